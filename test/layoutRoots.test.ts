/**
 * Rung 3 (the real source tree): where each kind of code lives, issue 16's layout, read from the files themselves.
 *
 * - Every code file sits under a known root, and tsconfig.json compiles each: a new folder escapes no rule. A shell
 *   or JavaScript file (by its name, a `#!` line or its executable bit) is code too, and under a root only TypeScript
 *   is: `scripts/redeploy.sh` would run beside every rule that reads .ts files.
 * - Production code (index.ts, components/, operator/, scripts/, policy/) never imports from test/: a module it needs
 *   is production code, and belongs under a production root, where its rules and the line limit read it as such.
 *
 * Moved from test/layout.test.ts (the known-root rule), which keeps the program's allow-list, config in one place
 * and the line limit.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import {
    expectFindings,
    moduleLoads,
    Parsed,
    parseSource,
    ROOT,
    rootsOf,
    SOURCE_ROOTS,
    sourceFiles,
} from "./sourceTree";

function isUnder(rel: string, dir: string): boolean {
    return rel === dir || rel.startsWith(`${dir}/`);
}

/** Code files that are no source of the project, and why no rule needs to read them. */
const OTHER_CODE: Readonly<Record<string, string>> = {
    "eslint.config.mjs": "the linter's own settings, read by eslint alone",
    ".ci/run":
        "CI's entry point (apt, dockerd, npm run lint, npm test); test/scriptsNoCli.test.ts reads it for the CLI",
};
/** Code by its name: TypeScript, JavaScript, and the scripting languages a file could be run with. */
const CODE_FILE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|sh|bash|zsh|ksh|py|rb|pl)$/;

/** A file run as a program although its name says nothing: a `#!` line, or an executable bit. */
function isScript(file: string): boolean {
    const abs = path.join(ROOT, file);
    const head = Buffer.alloc(2);
    const fd = fs.openSync(abs, "r");
    try {
        fs.readSync(fd, head, 0, 2, 0);
    } finally {
        fs.closeSync(fd);
    }
    return head.toString("latin1") === "#!" || (fs.statSync(abs).mode & 0o111) !== 0;
}

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

/**
 * Code files outside every known root or left out of tsc, and known roots tsconfig.json's include leaves out. `script`
 * says whether a file is run as a program although its name is no code file's.
 */
function rootProblems(
    files: readonly string[],
    tsconfig: { include?: string[]; exclude?: string[] },
    compiled: ReadonlySet<string>,
    script: (file: string) => boolean,
): string[] {
    const problems: string[] = [];
    const matches = (globs: string[] | undefined, file: string) => (globs ?? []).some((g) => globPattern(g).test(file));
    for (const file of files.filter((f) => (CODE_FILE.test(f) || script(f)) && !(f in OTHER_CODE))) {
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

/** Files git tracks or would add (untracked, not ignored), as they are in the work tree. */
function trackedFiles(): string[] {
    return execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
        cwd: ROOT,
        encoding: "utf8",
    })
        .split("\0")
        .filter((f) => f !== "" && fs.existsSync(path.join(ROOT, f)));
}

describe("layout: every source file sits under a known root that the rules and tsconfig.json cover", () => {
    it("the checker finds a new folder, a file tsc leaves out, and an include that drops a root (synthetic)", () => {
        const include = ["index.ts", "components/**/*.ts", "scripts/**/*.ts", "policy", "test/*.ts"];
        const files = ["tools/x.ts", "operator/run.mjs", "scripts/a.ts", "scripts/b.ts", "eslint.config.mjs"];
        const none = () => false;
        expect(
            rootProblems(files, { include, exclude: ["scripts/b.ts"] }, new Set(["scripts/a.ts"]), none),
        ).to.deep.equal([
            "tools/x.ts sits outside every known root (index.ts, components, operator, scripts, policy, test): no rule reads it",
            "operator/run.mjs is not TypeScript: the rules and tsc read .ts files",
            "scripts/b.ts is left out of tsconfig.json: tsc does not check it",
            "tsconfig.json's include does not cover operator (a new operator/new/deeper/file.ts would escape tsc)",
            "tsconfig.json's include does not cover test (a new test/new/deeper/file.ts would escape tsc)",
        ]);
    });

    it("a shell or JavaScript file is code: the attack's scripts/redeploy.sh, a bin/ script by its #! (synthetic)", () => {
        const include = [
            "index.ts",
            "components/**/*.ts",
            "operator/**/*.ts",
            "scripts/**/*.ts",
            "policy",
            "test/**/*.ts",
        ];
        const files = ["scripts/redeploy.sh", "tools/deploy", "operator/hook.cjs", "ops/x.js", "README.md", ".ci/run"];
        const script = (f: string) => f === "tools/deploy" || f === ".ci/run";
        expect(rootProblems(files, { include }, new Set(), script)).to.deep.equal([
            "scripts/redeploy.sh is not TypeScript: the rules and tsc read .ts files",
            "tools/deploy sits outside every known root (index.ts, components, operator, scripts, policy, test): no rule reads it",
            "operator/hook.cjs is not TypeScript: the rules and tsc read .ts files",
            "ops/x.js sits outside every known root (index.ts, components, operator, scripts, policy, test): no rule reads it",
        ]);
    });

    it("every tracked code file is under a known root and compiled by tsconfig.json, which covers every root", () => {
        const file = path.join(ROOT, "tsconfig.json");
        const tsconfig = ts.readConfigFile(file, ts.sys.readFile).config as { include?: string[]; exclude?: string[] };
        const compiled = new Set(
            ts.parseJsonConfigFileContent(tsconfig, ts.sys, ROOT).fileNames.map((f) => path.relative(ROOT, f)),
        );
        // A new folder is caught before its first commit, and a file deleted but not yet committed is not.
        const tracked = trackedFiles();
        expect(tracked.filter((f) => f.endsWith(".ts")).length, "tracked .ts files").to.be.greaterThan(100);
        for (const f of Object.keys(OTHER_CODE)) expect(tracked, f).to.include(f);
        expect(isScript(".ci/run"), ".ci/run is found by its #! line").to.be.true;
        const problems = rootProblems(tracked, tsconfig, compiled, isScript);
        expect(problems, `\n${problems.join("\n")}\n`).to.be.empty;
    });
});

const PRODUCTION = rootsOf("program", "operator", "policy");
const COMPILER_OPTIONS = ts.parseJsonConfigFileContent(
    ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile).config,
    ts.sys,
    ROOT,
).options;

/**
 * Where a module a file loads lives, from the repository root: a relative or absolute path as it is written (the file
 * need not exist yet), any other name as TypeScript resolves it with tsconfig.json's options (a `paths` entry could
 * point into test/); undefined for a package outside the repository.
 */
function resolvedPath(file: string, spec: string): string | undefined {
    if (spec.startsWith(".")) return path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    if (path.isAbsolute(spec)) return path.relative(ROOT, spec).split(path.sep).join("/");
    const resolved = ts.resolveModuleName(spec, path.join(ROOT, file), COMPILER_OPTIONS, ts.sys).resolvedModule;
    const rel = resolved && path.relative(ROOT, resolved.resolvedFileName).split(path.sep).join("/");
    return rel && !rel.startsWith("..") && !rel.split("/").includes("node_modules") ? rel : undefined;
}

/** Loads of a production file that resolve under test/, or that name their module at run time. */
function testImportProblems(p: Parsed): string[] {
    const out: string[] = [];
    for (const load of moduleLoads(p)) {
        if (load.spec === undefined) {
            out.push(`${load.at} loads a module named at run time: it could be one under test/`);
            continue;
        }
        const target = resolvedPath(p.file, load.spec);
        if (target !== undefined && isUnder(target, "test"))
            out.push(`${load.at} imports ${load.spec} (${target}): production code must not live in test/`);
    }
    return out;
}

describe("layout: production code never imports from test/", () => {
    it("the checker finds each way to load a module under test/ (the attack: planReport.ts's table in test/)", () => {
        const attack = [
            'import { PLAN_NOTES } from "../../test/planNotes";',
            'import type { Note } from "../../test/planNotes";',
            'export * from "../../test/fixtures/urns.json";',
            'const t = require("../../test/helpers");',
            `const u = require(${JSON.stringify(path.join(ROOT, "test/helpers"))});`,
            'const v = require(["..", "..", "test", "x"].join("/"));',
            'import { parseStackConfig } from "../../components/config"; import * as yaml from "yaml";',
            'import { x } from "../tests/x"; import { y } from "./test/y";',
            "PLAN_NOTES; t; u; v; parseStackConfig; yaml; x; y;",
        ].join("\n");
        expectFindings(
            testImportProblems(parseSource("scripts/lib/planReport.ts", attack)).map((f) => f.replace(/^.*?:/, ":")),
            [
                ":1 imports ../../test/planNotes",
                ":2 imports ../../test/planNotes",
                ":3 imports ../../test/fixtures/urns.json",
                ":4 imports ../../test/helpers",
                `:5 imports ${path.join(ROOT, "test/helpers")}`,
                ":6 loads a module named at run time",
            ],
        );
        // The same import from index.ts, whose folder is the root.
        expect(testImportProblems(parseSource("index.ts", 'import { x } from "./test/x";\nx;'))).to.have.length(1);
    });

    it("no file of index.ts, components/, operator/, scripts/ or policy/ does", () => {
        const files = sourceFiles(PRODUCTION);
        expect(files.length, "production files found").to.be.greaterThan(100);
        const found = files.flatMap((f) => testImportProblems(parseSource(f)));
        expect(found, `\n${found.join("\n")}\n`).to.be.empty;
    });
});
