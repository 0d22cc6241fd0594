/**
 * Rung 3 (the real source tree): the layout issue 16 asks for, read from the files themselves.
 *
 * - The Pulumi program (index.ts and components/) holds only Pulumi components and pure renderers. What runs
 *   against a live stack (HTTP checks, mail, rollback planning) lives in operator/ and scripts/, which may import
 *   from components/, never the reverse. A program file loads only the modules on an allow-list, each for what it
 *   is named, and names no global that reaches the network or runs text as code; so no program file opens a socket,
 *   sends mail or starts a process, whatever new package or global would let it.
 * - An allowance scoped to a file (deployKey.ts writes the key files) covers that file's functions: another program
 *   file that imports one of them does the same I/O, so it must be named for it.
 * - No source file is over 450 lines.
 *
 * Beside it: test/layoutConfig.test.ts (config read in components/config/ alone), test/layoutRoots.test.ts (every
 * file under a known root; no production import from test/), test/programInvokes.test.ts (no provider function
 * called while the program is evaluated).
 *
 * Imports are read with the TypeScript parser and a checker of the file's own scopes, not with a regular expression,
 * so comments and strings that name a module (a rendered shell script, a cited path) are not taken for imports, and a
 * local named like a global is not the global.
 */
import { expect } from "chai";
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
 * `console` is here too: it writes to the operator's terminal and CI log, so a secret's `apply(console.log)` leaks it.
 */
const REACHING_GLOBALS = new Set([
    ...["fetch", "WebSocket", "EventSource", "XMLHttpRequest", "navigator", "console"],
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
        // Attack #18: a secret printed to the deploy log from inside an apply.
        const leak = "secrets.values.minioRootPassword.apply((pw) => console.log(...pw));";
        expect(layoutViolations("components/stack.ts", leak)).to.deep.equal([
            "components/stack.ts:1 uses console, which reaches outside",
        ]);
    });

    it("no file of index.ts and components/ loads a module off the allow-list, operator/ or scripts/, or such a global", () => {
        const files = sourceFiles(PROGRAM);
        expect(files.length, "program files found").to.be.greaterThan(30);
        const problems = files.flatMap((f) => layoutViolations(f, fs.readFileSync(path.join(ROOT, f), "utf8")));
        expect(problems, `\n${problems.join("\n")}\n`).to.be.empty;
    });
});

/** The files an allowance is scoped to: the I/O it allows is theirs, not their importers'. */
const IO_FILES = [...new Set([...ALLOWED.flatMap((a) => a.files ?? []), ...Object.keys(PROCESS_ALLOWED)])];

/** Program files that call an I/O file's own I/O: the importer, the I/O file, the export, and why it may. */
const KEY_FILES_WHY = "the host's Docker provider, whose ssh options name the key files deployKey.ts writes";
const IO_IMPORTS: ReadonlyArray<readonly [importer: string, file: string, name: string, why: string]> = [
    ["components/stack.ts", "components/config/index.ts", "loadStackConfig", "the program's entry reads its config"],
    ["components/host/sshHost.ts", "components/host/deployKey.ts", "dockerOverSsh", KEY_FILES_WHY],
    ["components/host/dropletHost.ts", "components/host/deployKey.ts", "dockerOverSsh", KEY_FILES_WHY],
];

/**
 * The exports of an I/O file that reach its I/O: a top-level declaration that uses a module allowed for this file
 * alone (or `process`), or uses such a declaration, however deep (dockerOverSsh through sshOptionsWithKey).
 */
function ioExports(p: Parsed): string[] {
    const modules = new Set(ALLOWED.filter((a) => a.files?.includes(p.file)).map((a) => a.module));
    const topOf = (n: ts.Node) => {
        let m = n;
        while (m.parent && m.parent !== p.source) m = m.parent;
        return m;
    };
    const touching = new Set<ts.Node>();
    for (const load of moduleLoads(p))
        if (load.spec !== undefined && modules.has(moduleName(load.spec)))
            for (const use of load.uses.filter((u) => u.ref)) touching.add(topOf(use.node));
    for (const node of nodesOf(p))
        if (PROCESS_ALLOWED[p.file] && ts.isIdentifier(node) && node.text === "process" && isGlobalRef(p, node))
            touching.add(topOf(node));
    const statementOf = (symbol: ts.Symbol | undefined) => {
        const local = symbol?.declarations?.find((d) => d.getSourceFile() === p.source);
        return local && topOf(local);
    };
    const declarationOf = (id: ts.Identifier) =>
        statementOf(
            ts.isShorthandPropertyAssignment(id.parent)
                ? p.checker.getShorthandAssignmentValueSymbol(id.parent)
                : p.checker.getSymbolAtLocation(id),
        );
    const references = nodesOf(p).filter(ts.isIdentifier);
    for (let size = -1; size !== touching.size;) {
        size = touching.size;
        for (const id of references) {
            const [from, to] = [topOf(id), declarationOf(id)];
            if (to && to !== from && touching.has(to) && !ts.isImportDeclaration(to)) touching.add(from);
        }
    }
    const names: string[] = [];
    for (const s of p.source.statements) {
        const exported =
            ts.canHaveModifiers(s) && ts.getModifiers(s)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
        if (exported && touching.has(s) && (ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name)
            names.push(s.name.text);
        if (exported && touching.has(s) && ts.isVariableStatement(s))
            for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name)) names.push(d.name.text);
        if (ts.isExportDeclaration(s) && !s.moduleSpecifier && s.exportClause && ts.isNamedExports(s.exportClause))
            for (const e of s.exportClause.elements)
                if (touching.has(statementOf(p.checker.getExportSpecifierLocalTargetSymbol(e)) ?? s))
                    names.push(e.name.text);
    }
    return names.sort();
}

/** Where a program file takes an I/O file's I/O (or the whole module, I/O with it), but the named importers. */
function ioImportProblems(files: readonly Parsed[], allowed = IO_IMPORTS): string[] {
    const io = new Map(files.filter((p) => IO_FILES.includes(p.file)).map((p) => [p.file, new Set(ioExports(p))]));
    const out = new Set<string>();
    for (const p of files)
        for (const load of moduleLoads(p)) {
            if (!load.spec?.startsWith(".")) continue;
            const rel = path.posix.normalize(path.posix.join(path.posix.dirname(p.file), load.spec));
            const target = [rel, `${rel}.ts`, `${rel}/index.ts`].find((t) => io.has(t) && t !== p.file);
            const names = target && io.get(target)!;
            if (!target || !names || names.size === 0) continue;
            for (const use of load.uses.filter((u) => !u.typeOnly)) {
                const ok = allowed.some(([f, t, n]) => f === p.file && t === target && n === use.member);
                if (use.member === undefined) out.add(`${p.at(use.node)} takes ${target} whole, its I/O with it`);
                else if (names.has(use.member) && !ok)
                    out.add(`${p.at(use.node)} uses ${use.member} of ${target}, which does that file's own I/O`);
            }
        }
    return [...out];
}

describe("layout: an I/O allowance covers its file's functions, not the files that import them", () => {
    const program = () => sourceFiles(PROGRAM);
    const parsed = (texts: Record<string, string> = {}) => program().map((f) => parseSource(f, texts[f]));

    it("the checker finds another file taking the I/O (the attack: internalCa.ts writing through deployKey.ts)", () => {
        const deployKey = fs.readFileSync(path.join(ROOT, "components/host/deployKey.ts"), "utf8");
        const hidden = "\nfunction installPrivateFile(";
        expect(deployKey, "the function the attack exports").to.include(hidden);
        const attack = [
            'import { installPrivateFile } from "../host/deployKey";',
            'installPrivateFile("/etc", "hosts", "127.0.0.1 example.com");',
            'import * as keys from "../host/deployKey"; keys.installKnownHosts("/x", { host: "h", port: 22 }, "k");',
            'const { sshStateRoot } = require("../host/deployKey"); import { NODE_FILES as F } from "../config";',
            'export * from "../host/deployKey"; import { dockerOverSsh as d } from "../host/deployKey";',
            'import { dockerSshOptions, DeployKey } from "../host/deployKey"; import type { SshEndpoint } from "../host/deployKey";',
            "sshStateRoot; F; d; dockerSshOptions; DeployKey; let e: SshEndpoint;",
        ].join("\n");
        const found = ioImportProblems(
            parsed({
                "components/host/deployKey.ts": deployKey.replace(hidden, "\nexport function installPrivateFile("),
                "components/edge/internalCa.ts": attack,
            }),
        );
        expectFindings(
            found.map((f) => f.replace(/ of components\/\S+|, which .*| whole.*/g, "")),
            [
                ...[1, 2].map((l) => `components/edge/internalCa.ts:${l} uses installPrivateFile`),
                "components/edge/internalCa.ts:3 uses installKnownHosts",
                "components/edge/internalCa.ts:4 uses sshStateRoot",
                "components/edge/internalCa.ts:4 uses NODE_FILES",
                "components/edge/internalCa.ts:7 uses sshStateRoot",
                "components/edge/internalCa.ts:5 takes components/host/deployKey.ts",
                "components/edge/internalCa.ts:5 uses dockerOverSsh",
                "components/edge/internalCa.ts:7 uses NODE_FILES",
                "components/edge/internalCa.ts:7 uses dockerOverSsh",
            ],
        );
    });

    it("each I/O file's exports that reach its I/O are these (what the allowance covers)", () => {
        const exportsOf = (f: string) => ioExports(parseSource(f));
        expect(IO_FILES).to.have.members(["components/config/index.ts", "components/host/deployKey.ts"]);
        expect(exportsOf("components/config/index.ts")).to.deep.equal([
            "NODE_FILES",
            "loadStackConfig",
            "runtimeConfig",
        ]);
        expect(exportsOf("components/host/deployKey.ts")).to.deep.equal([
            ...["dockerOverSsh", "installDeployKey", "installKnownHosts", "sshOptionsWithKey", "sshProjectRoot"],
            ...["sshStackDir", "sshStateRoot"],
        ]);
    });

    it("no program file takes them but the named importers, each of which does today", () => {
        const files = parsed();
        const found = ioImportProblems(files);
        expect(found, `\n${found.join("\n")}\n`).to.be.empty;
        const unexcused = ioImportProblems(files, []).map((f) => f.replace(/:\d+ uses (\S+) of (\S+),.*/, " $1 $2"));
        for (const [importer, file, name] of IO_IMPORTS) expect(unexcused).to.include(`${importer} ${name} ${file}`);
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
