/**
 * Rung 3 (the real source tree): the layout issue 16 asks for, read from the files themselves.
 *
 * - The Pulumi program (index.ts and components/) holds only Pulumi components and pure renderers. What runs
 *   against a live stack (HTTP checks, mail, rollback planning) lives in operator/ and scripts/, which may import
 *   from components/, never the reverse. A program file loads only the modules on an allow-list, each for what it
 *   is named, and names no global that reaches the network or runs text as code; so no program file opens a socket,
 *   sends mail or starts a process, whatever new package or global would let it.
 * - Config is read in one place, components/config/: no other file constructs a pulumi.Config, calls the runtime's
 *   config readers or a provider's config module.
 * - Every source file sits under a known root, and tsconfig.json compiles each: a new folder escapes no rule.
 * - No source file is over 450 lines.
 *
 * Imports are read with the TypeScript parser and a checker of the file's own scopes, not with a regular expression,
 * so comments and strings that name a module (a rendered shell script, a cited path) are not taken for imports, and a
 * local named like a global is not the global.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import {
    expectFindings,
    isGlobalRef,
    memberChain,
    moduleLoads,
    moduleName,
    nodesOf,
    Parsed,
    parseSource,
    ROOT,
    rootsOf,
    SOURCE_ROOTS,
    sourceFiles,
} from "./sourceTree";

/** The Pulumi program: what `pulumi up` evaluates to build the resource graph. */
const PROGRAM = rootsOf("program");

/** What a program file may load of a module, and why that use is no runtime I/O. Nothing else may be loaded. */
interface Allowance {
    readonly module: string;
    /** Only these members; any member when absent. */
    readonly members?: readonly string[];
    /** Only these files; every program file when absent. */
    readonly files?: readonly string[];
    readonly why: string;
}

const PULUMI_WHY = "the Pulumi SDK and providers: resources go to the engine, which runs the providers";

const ALLOWED: readonly Allowance[] = [
    ...["pulumi", "docker", "command", "digitalocean", "random", "tls", "policy"].map((p) => ({
        module: `@pulumi/${p}`,
        why: PULUMI_WHY,
    })),
    { module: "yaml", why: "parses and prints YAML text in memory (the rendered configuration files)" },
    { module: "path", why: "string operations on paths" },
    {
        module: "crypto",
        members: ["createHash", "createHmac", "pbkdf2Sync"],
        why: "hashes and key derivation, computed in memory",
    },
    {
        // Node v20.20.2 doc/api/net.md:1810-1821: isIP returns 6, 4 or 0 for a string; :74-84: a BlockList holds
        // address rules in memory, which network APIs may consult; building and checking one opens nothing.
        module: "net",
        members: ["isIP", "isIPv4", "isIPv6", "BlockList"],
        why: "string predicates on IP addresses, and an in-memory list of address rules",
    },
    {
        // Part of the program's evaluation, not of a live stack: NODE_FILES lets the config parser refuse an appBuild
        // context that does not exist before any resource is registered (the parser itself takes it as an argument).
        module: "fs",
        members: ["existsSync", "statSync"],
        files: ["components/config/index.ts"],
        why: "the appBuild check: the build context and its Dockerfile exist on this machine",
    },
    {
        // The Docker provider's ssh reads the deploy key and known_hosts from files, which the program writes from
        // state on every run (components/host/deployKey.ts, sshOptionsWithKey); the files live under the home
        // directory so that `pulumi destroy` without the program finds them again.
        module: "fs",
        members: ["mkdirSync", "chmodSync", "existsSync", "readFileSync", "rmSync", "writeFileSync", "renameSync"],
        files: ["components/host/deployKey.ts"],
        why: "writes the deploy key and the pinned known_hosts for the Docker provider's ssh",
    },
    {
        module: "os",
        members: ["homedir"],
        files: ["components/host/deployKey.ts"],
        why: "the deploy key's directory is under the home directory",
    },
];

/**
 * Globals that reach the network, or load a module or run text as code past the allow-list, with or without a call
 * (`globalThis.fetch`, `new WebSocket`, `process.getBuiltinModule`: @types/node 20.19.43 process.d.ts:998-1003).
 */
const REACHING_GLOBALS = new Set([
    ...["fetch", "WebSocket", "EventSource", "XMLHttpRequest", "navigator"],
    ...["globalThis", "global", "window", "self", "eval", "Function"],
]);
/** What a program file may read of `process`, by file. */
const PROCESS_ALLOWED: Readonly<Record<string, readonly string[]>> = {
    // sshStateRoot reads the home and XDG directories from the environment; the temporary file's name has the pid.
    "components/host/deployKey.ts": ["env", "pid"],
};

function isUnder(rel: string, dir: string): boolean {
    return rel === dir || rel.startsWith(`${dir}/`);
}

/**
 * Every way a program file reaches outside the process or into the operator's code. `file` is the path from the
 * repository root (it decides the allowances and resolves relative imports); `text` is its source.
 */
function layoutViolations(file: string, text: string): string[] {
    const p = parseSource(file, text);
    const problems: string[] = [];
    for (const load of moduleLoads(p)) {
        if (load.spec === undefined) {
            problems.push(`${load.at} loads a module named at run time`);
            continue;
        }
        if (load.spec.startsWith(".")) {
            const rel = path.posix.normalize(path.posix.join(path.posix.dirname(file), load.spec));
            const into = SOURCE_ROOTS.find((r) => isUnder(rel, r.root) || isUnder(`${rel}.ts`, r.root));
            if (into?.kind !== "program")
                problems.push(`${load.at} imports ${load.spec}: the program must not depend on ${into?.root ?? rel}/`);
            continue;
        }
        // A type-only import is erased when compiled: it cannot reach anything.
        if (load.typeOnly) continue;
        const module = moduleName(load.spec);
        const allowances = ALLOWED.filter((a) => a.module === module && (!a.files || a.files.includes(file)));
        if (allowances.length === 0) {
            problems.push(`${load.at} imports ${load.spec}, which is not on the program's allow-list here`);
            continue;
        }
        if (allowances.some((a) => !a.members)) continue;
        const members = new Set(allowances.flatMap((a) => a.members ?? []));
        for (const use of load.uses.filter((u) => !u.typeOnly)) {
            if (use.member === undefined)
                problems.push(`${p.at(use.node)} takes ${load.spec} whole: only named members can be allowed`);
            else if (!members.has(use.member))
                problems.push(`${p.at(use.node)} uses ${use.member} of ${load.spec}: not allowed here`);
        }
    }
    for (const node of nodesOf(p)) {
        if (!ts.isIdentifier(node) || !isGlobalRef(p, node)) continue;
        if (REACHING_GLOBALS.has(node.text)) problems.push(`${p.at(node)} uses ${node.text}, which reaches outside`);
        if (node.text !== "process") continue;
        const member = memberChain(node).names[0];
        if (member === undefined || !(PROCESS_ALLOWED[file] ?? []).includes(member))
            problems.push(`${p.at(node)} uses process${member ? `.${member}` : ""}: not allowed here`);
    }
    return problems;
}

function lineCount(text: string): number {
    return text === "" ? 0 : text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

describe("layout: the Pulumi program holds only components and pure renderers", () => {
    it("the checker catches each way of reaching outside (a synthetic file)", () => {
        const broken = [
            'import * as http from "node:http";',
            'import { connect, isIP } from "net";',
            'import * as net2 from "net";',
            'import { notify } from "../../operator/notify";',
            'export * from "node:dns/promises";',
            "const cp = require('child_process');",
            "const mailer = import('nodemailer');",
            "const n = net2;",
            "net2.createConnection(1);",
            "net2.isIPv4('1.2.3.4');",
            "fetch('http://127.0.0.1');",
            "isIP('x'); connect(1); http.get('x'); notify; cp; mailer; n;",
            "globalThis.fetch('http://127.0.0.1'); const f = fetch; f;",
            'import { request } from "undici"; import axios from "axios"; request; axios;',
            "new XMLHttpRequest(); new WebSocket('ws://x'); global.process;",
            "process.getBuiltinModule('http'); const m = 'http'; require(m);",
            'import { randomBytes } from "crypto"; randomBytes(1); import type { Agent } from "http";',
            'import * as yaml from "yaml"; yaml.stringify({}); import { x } from "../../test/helpers"; x;',
        ].join("\n");
        const found = layoutViolations("components/host/example.ts", broken);
        const expected = [
            "components/host/example.ts:1 imports node:http",
            "components/host/example.ts:2 uses connect of net",
            "components/host/example.ts:4 imports ../../operator/notify",
            "components/host/example.ts:5 imports node:dns/promises",
            "components/host/example.ts:6 imports child_process",
            "components/host/example.ts:7 imports nodemailer",
            "components/host/example.ts:8 takes net whole",
            "components/host/example.ts:9 uses createConnection of net",
            "components/host/example.ts:11 uses fetch",
            "components/host/example.ts:12 uses connect of net",
            "components/host/example.ts:13 uses globalThis",
            "components/host/example.ts:13 uses fetch",
            "components/host/example.ts:14 imports undici",
            "components/host/example.ts:14 imports axios",
            "components/host/example.ts:15 uses XMLHttpRequest",
            "components/host/example.ts:15 uses WebSocket",
            "components/host/example.ts:15 uses global",
            "components/host/example.ts:16 uses process.getBuiltinModule",
            "components/host/example.ts:16 imports http",
            "components/host/example.ts:16 loads a module named at run time",
            "components/host/example.ts:17 uses randomBytes of crypto",
            "components/host/example.ts:17 uses randomBytes of crypto",
            "components/host/example.ts:18 imports ../../test/helpers",
        ];
        for (const e of expected)
            expect(
                found.some((f) => f.startsWith(e)),
                `${e}\nin:\n${found.join("\n")}`,
            ).to.be.true;
        expect(found, found.join("\n")).to.have.length(expected.length);
        // The same member, in a file its allowance does not name.
        expect(
            layoutViolations("components/other.ts", 'import * as fs from "fs";\nfs.existsSync("x");'),
        ).to.have.length(1);
        expect(layoutViolations("components/config/index.ts", 'import * as fs from "fs";\nfs.existsSync("x");')).to.be
            .empty;
        // A local named like a global is not the global.
        expect(layoutViolations("components/other.ts", "const global = [1];\nglobal.length;")).to.be.empty;
    });

    it("no file of index.ts and components/ loads a module off the allow-list, operator/ or scripts/, or such a global", () => {
        const files = sourceFiles(PROGRAM);
        expect(files.length, "program files found").to.be.greaterThan(30);
        const problems = files.flatMap((f) => layoutViolations(f, fs.readFileSync(path.join(ROOT, f), "utf8")));
        expect(problems, `\n${problems.join("\n")}\n`).to.be.empty;
    });
});

/** The one place that reads the stack's config: loadStackConfig, through the runtime's allConfig. */
const CONFIG_HOME = "components/config";
/** @pulumi/pulumi 3.270.0 runtime/config.js:23 (PULUMI_CONFIG, the config the CLI hands over), 33-38, 62-66. */
const RUNTIME_READERS = new Set(["allConfig", "getConfig"]);

function configProblems(p: Parsed): string[] {
    if (isUnder(p.file, CONFIG_HOME)) return [];
    const out: string[] = [];
    for (const load of moduleLoads(p)) {
        if (load.spec === undefined || !load.spec.replace(/^node:/, "").startsWith("@pulumi/")) continue;
        const sub = load.spec.slice(moduleName(load.spec).length);
        for (const use of load.uses) {
            const chain = [
                ...(sub ? sub.split("/").filter(Boolean) : []),
                ...(use.member !== undefined ? [use.member] : []),
                ...(use.ref ? memberChain(use.node).names : []),
            ];
            const pulumi = moduleName(load.spec) === "@pulumi/pulumi";
            // A provider's config module reads its keys from the stack (@pulumi/digitalocean 4.80.1 config/vars.js:30).
            const reads = pulumi
                ? ["Config", "config"].includes(chain[0]!) ||
                  (chain[0] === "runtime" && chain.some((m) => RUNTIME_READERS.has(m)))
                : chain[0] === "config";
            if (reads) out.push(`${p.at(use.node)} reads config: ${load.spec} ${chain.join(".")}`);
        }
    }
    for (const node of nodesOf(p)) {
        if (ts.isNewExpression(node) && /(^|\.)Config$/.test(node.expression.getText(p.source)))
            out.push(`${p.at(node)} constructs ${node.expression.getText(p.source)}`);
        if ((ts.isIdentifier(node) || ts.isStringLiteralLike(node)) && node.text === "PULUMI_CONFIG")
            out.push(`${p.at(node)} names PULUMI_CONFIG, the config the CLI hands the program`);
    }
    return out;
}

describe("layout: config is read in one place, components/config/", () => {
    it("the checker finds pulumi.Config, new Config(, the runtime's readers and a provider's config (crafted)", () => {
        const attack = [
            'import * as pulumi from "@pulumi/pulumi";',
            'import { Config as C, runtime } from "@pulumi/pulumi";',
            'import * as docker from "@pulumi/docker";',
            'const a = new pulumi.Config("freshtrack").require("environment");',
            'const b = new C(); const c = runtime.allConfig(); const d = (pulumi.runtime as any)["getConfig"]("x");',
            'const e = docker.config.host; const f = process.env["PULUMI_CONFIG"];',
        ].join("\n");
        expectFindings(
            configProblems(parseSource("components/services/attack.ts", attack)).map((f) => f.replace(/^.*?:/, ":")),
            [
                ":2 reads config: @pulumi/pulumi Config",
                ":4 reads config: @pulumi/pulumi Config",
                ":4 constructs pulumi.Config",
                ":5 reads config: @pulumi/pulumi Config",
                ":5 reads config: @pulumi/pulumi runtime.allConfig",
                ":5 reads config: @pulumi/pulumi runtime.getConfig",
                ":6 reads config: @pulumi/docker config.host",
                ":6 names PULUMI_CONFIG",
            ],
        );
        expect(configProblems(parseSource("components/config/index.ts", attack))).to.be.empty;
        const setsMocks = 'import * as pulumi from "@pulumi/pulumi";\npulumi.runtime.setAllConfig({});';
        expect(configProblems(parseSource("scripts/lib/mockRun.ts", setsMocks))).to.be.empty;
    });

    it("no program, script, operator or policy file outside components/config/ reads config", () => {
        const found = sourceFiles(rootsOf("program", "operator", "policy")).flatMap((f) =>
            configProblems(parseSource(f)),
        );
        expect(found, `\n${found.join("\n")}\n`).to.be.empty;
    });
});

/** Code files that are no source of the project, and why no rule needs to read them. */
const OTHER_CODE: Readonly<Record<string, string>> = {
    "eslint.config.mjs": "the linter's own settings, read by eslint alone",
};
const CODE_FILE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;

/** An include or exclude pattern of tsconfig.json as a regular expression (`**` any folders, `*` within one). */
function globPattern(glob: string): RegExp {
    const last = glob.split("/").pop()!;
    const full = /[*?]|\.[a-z]+$/.test(last) ? glob : `${glob.replace(/\/$/, "")}/**/*`;
    const part = (s: string) =>
        s === "**"
            ? "(?:[^/]+/)*"
            : `${s
                  .replace(/[.+^${}()|[\]\\]/g, "\\$&")
                  .replace(/\*/g, "[^/]*")
                  .replace(/\?/g, "[^/]")}/`;
    return new RegExp(`^${full.split("/").map(part).join("").replace(/\/$/, "")}$`);
}

/** Code files outside every known root or left out of tsc, and known roots tsconfig.json's include leaves out. */
function rootProblems(
    files: readonly string[],
    tsconfig: { include?: string[]; exclude?: string[] },
    compiled: ReadonlySet<string>,
): string[] {
    const problems: string[] = [];
    const matches = (globs: string[] | undefined, file: string) => (globs ?? []).some((g) => globPattern(g).test(file));
    for (const file of files.filter((f) => CODE_FILE.test(f) && !(f in OTHER_CODE))) {
        const root = SOURCE_ROOTS.find((r) => isUnder(file, r.root));
        const roots = SOURCE_ROOTS.map((r) => r.root).join(", ");
        if (!root) problems.push(`${file} sits outside every known root (${roots}): no rule reads it`);
        else if (!file.endsWith(".ts")) problems.push(`${file} is not TypeScript: the rules and tsc read .ts files`);
        else if (!compiled.has(file)) problems.push(`${file} is left out of tsconfig.json: tsc does not check it`);
    }
    for (const { root } of SOURCE_ROOTS) {
        const probe = root.endsWith(".ts") ? root : `${root}/new/deeper/file.ts`;
        if (!matches(tsconfig.include, probe) || matches(tsconfig.exclude, probe))
            problems.push(`tsconfig.json's include does not cover ${root} (a new ${probe} would escape tsc)`);
    }
    return problems;
}

describe("layout: every source file sits under a known root that the rules and tsconfig.json cover", () => {
    it("the checker finds a new folder, a file tsc leaves out, and an include that drops a root (synthetic)", () => {
        const include = ["index.ts", "components/**/*.ts", "scripts/**/*.ts", "policy", "test/*.ts"];
        const files = ["tools/x.ts", "operator/run.mjs", "scripts/a.ts", "scripts/b.ts", "eslint.config.mjs"];
        expect(rootProblems(files, { include, exclude: ["scripts/b.ts"] }, new Set(["scripts/a.ts"]))).to.deep.equal([
            "tools/x.ts sits outside every known root (index.ts, components, operator, scripts, policy, test): no rule reads it",
            "operator/run.mjs is not TypeScript: the rules and tsc read .ts files",
            "scripts/b.ts is left out of tsconfig.json: tsc does not check it",
            "tsconfig.json's include does not cover operator (a new operator/new/deeper/file.ts would escape tsc)",
            "tsconfig.json's include does not cover test (a new test/new/deeper/file.ts would escape tsc)",
        ]);
    });

    it("every tracked code file is under a known root and compiled by tsconfig.json, which covers every root", () => {
        const file = path.join(ROOT, "tsconfig.json");
        const tsconfig = ts.readConfigFile(file, ts.sys.readFile).config as { include?: string[]; exclude?: string[] };
        const compiled = new Set(
            ts.parseJsonConfigFileContent(tsconfig, ts.sys, ROOT).fileNames.map((f) => path.relative(ROOT, f)),
        );
        // Files git tracks or would add (untracked, not ignored), as they are in the work tree: a new folder is caught
        // before its first commit, and a file deleted but not yet committed is not.
        const tracked = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
            cwd: ROOT,
            encoding: "utf8",
        })
            .split("\0")
            .filter((f) => f !== "" && fs.existsSync(path.join(ROOT, f)));
        expect(tracked.filter((f) => f.endsWith(".ts")).length, "tracked .ts files").to.be.greaterThan(100);
        for (const f of Object.keys(OTHER_CODE)) expect(tracked, f).to.include(f);
        const problems = rootProblems(tracked.filter(Boolean), tsconfig, compiled);
        expect(problems, `\n${problems.join("\n")}\n`).to.be.empty;
    });
});

const MAX_LINES = 450;

describe(`layout: no source file is over ${MAX_LINES} lines`, () => {
    it("no file of the program, the operator code, the scripts, the policy pack or the tests passes the limit", () => {
        const files = sourceFiles(rootsOf("program", "operator", "policy", "test"));
        expect(files.length, "source files found").to.be.greaterThan(200);
        const long = files
            .map((f) => [f, lineCount(fs.readFileSync(path.join(ROOT, f), "utf8"))] as const)
            .filter(([, n]) => n > MAX_LINES)
            .map(([f, n]) => `${f} has ${n} lines, over ${MAX_LINES}: split it`);
        expect(long, `\n${long.join("\n")}\n`).to.deep.equal([]);
    });
});
