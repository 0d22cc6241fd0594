/**
 * Rung 3 (the real tree, every file git tracks or would add): the formatter and the linter cannot be switched off
 * around a line. Issue 16, item 7: "npm run lint runs a formatter and a linter over everything, at a line width of 120
 * or less". Each way around them the attack pass found is fed to its checker first, then the tree:
 *
 * - No `prettier-ignore` and no ESLint directive comment in a .ts or JavaScript file, but those listed with their
 *   reason (read with the TypeScript parser, so text in a string is no comment). Prettier 3.10.1 skips the node after
 *   any comment whose trimmed text is `prettier-ignore` (plugins/estree.js, `e.value.trim()==="prettier-ignore"`).
 *   ESLint 10.15.0 reads the labels eslint, eslint-env, eslint-enable, eslint-disable, -line, -next-line, exported,
 *   global and globals (lib/shared/directives.js:11-12) at the start of a comment, before any ` -- ` reason
 *   (@eslint/plugin-kit 0.7.3 dist/cjs/index.cjs:208-244), in block comments, and -line and -next-line in line
 *   comments too (lib/languages/js/source-code/source-code.js:877-897). Any of them is refused in either kind.
 * - .prettierignore and eslint.config.mjs's `ignores` list what they list today, each entry with its reason, and the
 *   config turns no rule off beyond the two named overrides: an ignored source file is neither formatted nor linted.
 * - The width itself, whatever the settings: no line of a .ts or JavaScript file is over 120 columns, unless what
 *   passes column 120 is a string, template or regular expression literal, which neither tool breaks, followed only
 *   by what prettier keeps beside it (`,`, `)`, `;`, `", () => {`). A comment past column 120 fails even on a line
 *   that holds a string, which max-len's ignoreStrings lets through (it skips every such line).
 * - The gate's settings are pinned: tsconfig.json's compilerOptions (each strictness flag); package.json's lint,
 *   format, typecheck, test and test:* scripts, each running its task of scripts/tasks.ts, and the commands that
 *   task's row of TASKS runs, word for word (the runner runs the row: a narrowed lint or a dropped test glob is
 *   there); and .ci/run running `npm run lint` under `set -e`.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { ROOT } from "./sourceTree";
import { Task, TASKS } from "../scripts/tasks";

const CODE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const WIDTH = 120;

/** The directives, as a comment's text starts (ESLint's labels and prettier's). */
const DIRECTIVE = /^(prettier-ignore|eslint(-env|-enable|-disable(-next-line|-line)?)?|exported|globals?)(\s|$)/;

/** Directives in the tree today: the file, the directive (its `-- reason` aside), how many, and why. */
const DIRECTIVES_ALLOWED: ReadonlyArray<readonly [file: string, directive: string, count: number, why: string]> = [
    [
        "components/sdkInternals.ts",
        "eslint-disable-next-line @typescript-eslint/no-require-imports",
        1,
        "@pulumi/policy's internals are loaded on first use, so that the program never loads the policy SDK",
    ],
    [
        "test/urnStability.stack.test.ts",
        "eslint-disable-next-line @typescript-eslint/no-require-imports",
        2,
        "loads the @pulumi package a source file imports, by its name, to read the type token of each class it builds",
    ],
    ...["test/bench.stack.test.ts", "test/monitoring.stack.test.ts"].map(
        (file) =>
            [
                file,
                "eslint-disable-next-line @typescript-eslint/no-explicit-any",
                1,
                "parsed JSON or YAML of varied shape (the bench's report, promtail's stages), read field by field",
            ] as const,
    ),
];

/** .prettierignore's entries and why prettier may skip each. */
const PRETTIER_IGNORES: Readonly<Record<string, string>> = {
    "node_modules/": "installed packages",
    "package-lock.json": "npm writes it",
    "policy/package-lock.json": "npm writes it",
    "test/fixtures/stackExport.*.json": "real Pulumi state exports, kept byte for byte as the CLI wrote them",
    "*.md": "prose: prettier pads table cells to the widest; test/docs.test.ts checks the docs instead",
};
/** eslint.config.mjs's `ignores` and why ESLint may skip each. */
const ESLINT_IGNORES: Readonly<Record<string, string>> = {
    "node_modules/": "installed packages",
    "bin/": "tsc's output (tsconfig.json outDir)",
    "policy/node_modules/": "installed packages",
    "policy/bin/": "compiled output",
    ".tmp-note/": "the lead's scratch notes, never committed",
};
/** Rules eslint.config.mjs turns off, for which files, and why. */
const ESLINT_OFF: Readonly<Record<string, string>> = {
    "policy/**/*.ts @typescript-eslint/no-explicit-any": "@pulumi/policy hands stack rules their resources untyped",
    "test/**/*.ts @typescript-eslint/no-unused-expressions": "chai's property assertions are expressions",
};

/** Lines over the width today that the width rule would refuse: the file, the line's text, and why they stand. */
const WIDE_ALLOWED: ReadonlyArray<readonly [file: string, line: string, why: string]> = [
    ...[
        ["test/engineModel.test.ts", "// funcs:456-458, no ID"],
        ["test/engineModel.test.ts", "// the cause was fixed outside the program (say, the database came back)"],
        ["test/hostsAccess.servers.test.ts", "// needs root to add a user and a sudoers drop-in (CI runs as root)"],
    ].map(
        ([file, line]) =>
            [
                file!,
                line!,
                "a trailing comment on a line with a string, which max-len let through: to move above its line",
            ] as const,
    ),
];

const kindOf = (file: string) => (/\.(m|c)?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS);
const sourceOf = (file: string, text: string) =>
    ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kindOf(file));
const lineOf = (s: ts.SourceFile, pos: number) => s.getLineAndCharacterOfPosition(pos).line + 1;

/** Every comment of a file, as the parser reads it: the trivia around each token, the end of the file's included. */
function commentsOf(s: ts.SourceFile): Array<{ pos: number; text: string; block: boolean }> {
    const out = new Map<number, { pos: number; text: string; block: boolean }>();
    const visit = (n: ts.Node): void => {
        // A JSDoc node is a comment's own parse; the comment is the leading trivia of the token after it.
        if (n.kind >= ts.SyntaxKind.FirstJSDocNode && n.kind <= ts.SyntaxKind.LastJSDocNode) return;
        const children = n.getChildren(s);
        if (children.length === 0)
            for (const r of [
                ...(ts.getLeadingCommentRanges(s.text, n.pos) ?? []),
                ...(ts.getTrailingCommentRanges(s.text, n.end) ?? []),
            ])
                out.set(r.pos, {
                    pos: r.pos,
                    text: s.text.slice(r.pos, r.end),
                    block: r.kind === ts.SyntaxKind.MultiLineCommentTrivia,
                });
        children.forEach(visit);
    };
    visit(s);
    return [...out.values()];
}

/** The directive comments of a file: `file:line directive`. */
function directivesOf(file: string, text: string): string[] {
    const s = sourceOf(file, text);
    return commentsOf(s).flatMap((c) => {
        const body = (c.block ? c.text.slice(2, -2).replace(/^\s*\*/, "") : c.text.slice(2)).trim();
        const directive = body.split(/\s-{2,}\s/)[0]!.trim();
        return DIRECTIVE.test(directive) ? [`${file}:${lineOf(s, c.pos)} ${directive}`] : [];
    });
}

function directiveProblems(found: readonly string[], allowed = DIRECTIVES_ALLOWED): string[] {
    const counts = new Map<string, number>();
    const out: string[] = [];
    for (const f of found) {
        const [, file, directive] = /^(.*?):\d+ (.*)$/.exec(f)!;
        const key = `${file} ${directive}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        const entry = allowed.find(([af, ad]) => af === file && ad === directive);
        if (!entry || counts.get(key)! > entry[2]) out.push(`${f}: switches the formatter or the linter off`);
    }
    return out;
}

/** What prettier keeps after a literal it cannot break: closing punctuation, `+`, a callback's head. */
const TAIL = /^[\s,;)\]}+:]*((async\s+)?((\([\w\s,]*\)|\w+)\s*=>|function\s*\([\w\s,]*\))\s*\{?)?[\s,;)\]}]*$/;

/** Lines over the width, but those a literal takes there (TAIL after it): `file:line (columns)`. */
function wideLines(file: string, text: string): string[] {
    const s = sourceOf(file, text);
    const spans: Array<readonly [number, number]> = [];
    const visit = (n: ts.Node): void => {
        const literal =
            ts.isStringLiteral(n) ||
            ts.isNoSubstitutionTemplateLiteral(n) ||
            ts.isRegularExpressionLiteral(n) ||
            ts.isTemplateExpression(n);
        if (literal) spans.push([n.getStart(s), n.end]);
        else ts.forEachChild(n, visit);
    };
    visit(s);
    const out: string[] = [];
    let start = 0;
    for (const [i, raw] of text.split("\n").entries()) {
        const line = raw.replace(/\r$/, "");
        const [limit, end] = [start + WIDTH, start + line.length];
        const fits =
            line.length <= WIDTH ||
            spans.some(([b, e]) => b < limit && e > start && (e >= end || TAIL.test(text.slice(e, end))));
        if (!fits) out.push(`${file}:${i + 1} (${line.length} columns) ${line.trim()}`);
        start += raw.length + 1;
    }
    return out;
}

const tracked = () =>
    execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
        cwd: ROOT,
        encoding: "utf8",
    })
        .split("\0")
        .filter((f) => f !== "" && fs.existsSync(path.join(ROOT, f)));
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");
const at = (found: readonly string[]) => found.map((f) => f.replace(/ .*/, ""));

/** What a list adds to its pinned entries, and drops of them. */
function pinProblems(found: readonly string[], pinned: Readonly<Record<string, string>>): string[] {
    return [
        ...found.filter((f) => !(f in pinned)).map((f) => `adds ${f}`),
        ...Object.keys(pinned)
            .filter((k) => !found.includes(k))
            .map((k) => `drops ${k}`),
    ];
}

/** .prettierignore's entries: its lines without comments and blanks. */
const prettierIgnores = (text: string) =>
    text
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"));

/** eslint.config.mjs's `ignores` entries, and each rule it turns off with the files it is off for. */
function eslintSettings(text: string): { ignores: string[]; off: string[] } {
    const s = sourceOf("eslint.config.mjs", text);
    const ignores: string[] = [];
    const off: string[] = [];
    const strings = (n: ts.Node | undefined) =>
        n && ts.isArrayLiteralExpression(n) ? n.elements.map((e) => (ts.isStringLiteralLike(e) ? e.text : "?")) : ["?"];
    const visit = (n: ts.Node): void => {
        if (ts.isObjectLiteralExpression(n)) {
            const prop = (name: string) =>
                n.properties.find(
                    (p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText(s) === name,
                )?.initializer;
            if (prop("ignores")) ignores.push(...strings(prop("ignores")));
            const rules = prop("rules");
            const files = prop("files") ? strings(prop("files")).join(",") : "every file";
            if (rules && ts.isObjectLiteralExpression(rules))
                for (const r of rules.properties.filter(ts.isPropertyAssignment)) {
                    const value = ts.isArrayLiteralExpression(r.initializer)
                        ? r.initializer.elements[0]
                        : r.initializer;
                    if (value && /^("off"|'off'|0)$/.test(value.getText(s)))
                        off.push(`${files} ${r.name.getText(s).replace(/^["']|["']$/g, "")}`);
                }
        }
        ts.forEachChild(n, visit);
    };
    visit(s);
    return { ignores, off };
}

/**
 * tsconfig.json's compilerOptions as they are today: the type checker's strictness is part of the lint gate, and a flag
 * set to false (or dropped: each defaults to off) lets through what it refuses. Every strictness flag is named here.
 */
const COMPILER_OPTIONS: Readonly<Record<string, unknown>> = {
    ...{ strict: true, noUnusedLocals: true, noUnusedParameters: true, noImplicitReturns: true },
    ...{ noFallthroughCasesInSwitch: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: false },
    ...{ forceConsistentCasingInFileNames: true, esModuleInterop: true, resolveJsonModule: true, skipLibCheck: true },
    ...{ target: "ES2022", module: "commonjs", moduleResolution: "node", lib: ["ES2022"], types: ["node", "mocha"] },
    ...{ sourceMap: true, outDir: "bin" },
};
/**
 * The gate's commands, word for word, as scripts/tasks.ts runs them (argv, no shell: a glob goes to mocha as written):
 * the checks CI runs and their scope and warning budget. Each script of package.json runs its task of the same name.
 */
const UNIT_IGNORES = ["stack", "servers", "ssh", "real"].flatMap((k) => ["--ignore", `test/**/*.${k}.test.ts`]);
const GATE_COMMANDS: Readonly<Record<string, ReadonlyArray<readonly string[]>>> = {
    lint: [
        ["prettier", "--check", "."],
        ["eslint", "--max-warnings", "0", "."],
    ],
    format: [
        ["prettier", "--write", "."],
        ["eslint", "--fix", "."],
    ],
    typecheck: [["tsc", "--noEmit", "-p", "."]],
    test: [
        ["tsc", "--noEmit", "-p", "."],
        ["mocha", "test/**/*.test.ts"],
    ],
    "test:unit": [["mocha", "test/**/*.test.ts", ...UNIT_IGNORES]],
    "test:stacks": [["mocha", "test/**/*.stack.test.ts"]],
    "test:servers": [["mocha", "test/**/*.servers.test.ts"]],
    "test:ssh": [["mocha", "test/**/*.ssh.test.ts"]],
    "test:engine": [["mocha", "test/**/*.real.test.ts"]],
};
const isGate = (name: string) => name in GATE_COMMANDS || name.startsWith("test:");
const taskScript = (name: string) => `ts-node --transpile-only scripts/tasks.ts ${name}`;
const shownCommands = (commands: ReadonlyArray<readonly string[]> | undefined) =>
    commands?.map((c) => c.join(" ")).join(" && ");

/** What differs from the pins, given tsconfig.json's, package.json's and .ci/run's text. */
function gateProblems(
    tsconfig: string,
    pkg: string,
    ci: string,
    tasks: Readonly<Record<string, Task>> = TASKS,
): string[] {
    const parsed = ts.parseConfigFileTextToJson("tsconfig.json", tsconfig);
    const options = ((parsed.config ?? {}) as { compilerOptions?: Record<string, unknown> }).compilerOptions ?? {};
    const out: string[] = [];
    for (const key of new Set([...Object.keys(COMPILER_OPTIONS), ...Object.keys(options)]))
        if (JSON.stringify(options[key]) !== JSON.stringify(COMPILER_OPTIONS[key]))
            out.push(
                `tsconfig.json ${key} is ${JSON.stringify(options[key])}, not ${JSON.stringify(COMPILER_OPTIONS[key])}`,
            );
    const scripts = ((JSON.parse(pkg) as { scripts?: Record<string, string> }).scripts ?? {}) as Record<string, string>;
    const gates = [...Object.keys(GATE_COMMANDS), ...Object.keys(scripts), ...Object.keys(tasks)].filter(isGate);
    for (const name of new Set(gates)) {
        if (scripts[name] !== taskScript(name)) out.push(`package.json script ${name} is ${scripts[name]}`);
        const runs = shownCommands(tasks[name]?.steps.map((s) => [s.program, ...s.args]));
        if (runs !== shownCommands(GATE_COMMANDS[name])) out.push(`scripts/tasks.ts task ${name} runs ${runs}`);
    }
    // A command line of its own, not in a comment; `set -e` makes its failure fail the run.
    const lines = ci.split("\n").map((l) => l.trim());
    if (!lines.includes("npm run lint")) out.push(".ci/run does not run npm run lint");
    if (!lines.some((l) => /^set -[a-z]*e/.test(l))) out.push(".ci/run does not stop on a failing command");
    return out;
}

describe("lint: the formatter and the linter cannot be switched off around a line", () => {
    it("the checkers find the attacks: prettier-ignore, an ignored file, eslint-disable max-len (crafted)", () => {
        const long = `const total = ${Array.from({ length: 30 }, (_, i) => `weights[${i}]`).join(" + ")};`;
        const attack27 = `// prettier-ignore\n${long}\n`;
        expect(at(directivesOf("components/a.ts", attack27))).to.deep.equal(["components/a.ts:1"]);
        expect(at(wideLines("components/a.ts", attack27))).to.deep.equal(["components/a.ts:2"]);
        const ignored = read(".prettierignore") + "components/services/appImages.ts\n";
        expect(pinProblems(prettierIgnores(ignored), PRETTIER_IGNORES)).to.deep.equal([
            "adds components/services/appImages.ts",
        ]);
        const eslintAttack = read("eslint.config.mjs").replace('".tmp-note/"', '".tmp-note/", "scripts/lib/"');
        expect(pinProblems(eslintSettings(eslintAttack).ignores, ESLINT_IGNORES)).to.deep.equal(["adds scripts/lib/"]);
        const offAttack = read("eslint.config.mjs").replace(
            '"max-len": [\n                "error",',
            '"max-len": ["off",',
        );
        expect(pinProblems(eslintSettings(offAttack).off, ESLINT_OFF)).to.deep.equal(["adds every file max-len"]);
        expect(at(wideLines("components/services/appImages.ts", `${long} ${long}\n`))).to.have.length(1);
        const attack35 = `/* eslint-disable max-len */\n// ${"why ".repeat(54)}\nconst x = 1;\n`;
        expect(at(directivesOf("scripts/b.ts", attack35))).to.deep.equal(["scripts/b.ts:1"]);
        expect(at(wideLines("scripts/b.ts", attack35))).to.deep.equal(["scripts/b.ts:2"]);
        const other = [
            "foo(); // eslint-disable-line",
            "/* eslint max-len: off */ /* global fetch */ /** eslint-enable */",
            "// eslint's settings, and a global remark: prose",
            'const s = "// prettier-ignore"; const t = `/* eslint-disable */`;',
            "/* prettier-ignore */ const u = 1;",
        ].join("\n");
        expect(at(directivesOf("eslint.config.mjs", other))).to.deep.equal([
            "eslint.config.mjs:1",
            "eslint.config.mjs:2",
            "eslint.config.mjs:2",
            "eslint.config.mjs:2",
            "eslint.config.mjs:5",
        ]);
        // One more of an allowed directive than listed, or in another file, is refused.
        const one = DIRECTIVES_ALLOWED[0]!;
        expect(directiveProblems([`${one[0]}:1 ${one[1]}`, `${one[0]}:9 ${one[1]}`])).to.have.length(1);
        expect(directiveProblems([`components/x.ts:1 ${one[1]}`])).to.have.length(1);
    });

    it("the width rule lets a literal pass column 120 and nothing else (crafted)", () => {
        const pad = " ".repeat(8);
        const title = `it("${"a requirement ".repeat(8)}", async () => {`;
        const cases = [
            `${pad}${title}`,
            `${pad}const message = "${"x".repeat(130)}";`,
            `${pad}expect(found).to.match(/${"y".repeat(130)}/);`,
            `${pad}const t = \`\n${"z".repeat(140)}\n\`;`,
            `${pad}const ok = "${"w".repeat(100)}"; const and = theCodeAfterIt(a, b, c, d, e);`,
            `${pad}const wide = "w"; // ${"comment ".repeat(15)}`,
        ].join("\n");
        expect(at(wideLines("test/x.test.ts", cases))).to.deep.equal(["test/x.test.ts:7", "test/x.test.ts:8"]);
    });

    it("no tracked code file holds a directive but those listed, each of which is there today", () => {
        const found = tracked()
            .filter((f) => CODE.test(f))
            .flatMap((f) => directivesOf(f, read(f)));
        const problems = directiveProblems(found);
        expect(problems, `\n${problems.join("\n")}\n`).to.be.empty;
        for (const [file, directive, count] of DIRECTIVES_ALLOWED)
            expect(
                found.filter((f) => f.startsWith(`${file}:`) && f.endsWith(` ${directive}`)),
                file,
            ).to.have.length(count);
    });

    it(".prettierignore and eslint.config.mjs skip and switch off only what they do today", () => {
        const eslint = eslintSettings(read("eslint.config.mjs"));
        expect({
            prettierignore: pinProblems(prettierIgnores(read(".prettierignore")), PRETTIER_IGNORES),
            eslintIgnores: pinProblems(eslint.ignores, ESLINT_IGNORES),
            eslintOff: pinProblems(eslint.off, ESLINT_OFF),
        }).to.deep.equal({ prettierignore: [], eslintIgnores: [], eslintOff: [] });
    });

    it(`no line of a tracked code file passes ${WIDTH} columns but by a literal, or is listed and there today`, () => {
        const found = tracked()
            .filter((f) => CODE.test(f))
            .flatMap((f) => wideLines(f, read(f)));
        const listed = (f: string) => WIDE_ALLOWED.some(([file, line]) => f.startsWith(`${file}:`) && f.endsWith(line));
        const problems = found.filter((f) => !listed(f));
        expect(problems, `\n${problems.join("\n")}\n`).to.be.empty;
        for (const [file, line] of WIDE_ALLOWED)
            expect(
                found.filter((f) => f.startsWith(`${file}:`) && f.endsWith(line)),
                line,
            ).to.have.length(1);
    });

    it("attacks #8b and #9: tsconfig.json's strictness off, the lint script narrowed (crafted), and the tree", () => {
        const [tsconfig, pkg, ci] = [read("tsconfig.json"), read("package.json"), read(".ci/run")];
        expect(gateProblems(tsconfig, pkg, ci)).to.deep.equal([]);
        const loose = ["noUncheckedIndexedAccess", "noUnusedLocals", "noUnusedParameters"].reduce(
            (t, flag) => t.replace(`"${flag}": true`, `"${flag}": false`),
            tsconfig,
        );
        expect(gateProblems(loose, pkg, ci).map((p) => p.split(" is ")[0])).to.deep.equal([
            "tsconfig.json noUnusedLocals",
            "tsconfig.json noUnusedParameters",
            "tsconfig.json noUncheckedIndexedAccess",
        ]);
        // The lint narrowed in package.json, past the runner, or in the runner's table.
        const narrowed = "prettier --check components && eslint --max-warnings 200 components";
        const lint = pkg.replace(`"lint": "${taskScript("lint")}"`, `"lint": "${narrowed}"`);
        expect(gateProblems(tsconfig, lint, ci)).to.deep.equal([`package.json script lint is ${narrowed}`]);
        const lintTask: Task = {
            ...TASKS.lint!,
            steps: [
                { program: "prettier", args: ["--check", "components"] },
                { program: "eslint", args: ["--max-warnings", "200", "components"] },
            ],
        };
        expect(gateProblems(tsconfig, pkg, ci, { ...TASKS, lint: lintTask })).to.deep.equal([
            `scripts/tasks.ts task lint runs ${narrowed}`,
        ]);
        // A test glob dropped from npm test, and a test script of its own (in package.json, or as a task).
        const [typecheck, mocha] = TASKS.test!.steps;
        const fewer: Task = { ...TASKS.test!, steps: [typecheck, { ...mocha!, args: ["test/*.test.ts"] }] };
        expect(gateProblems(tsconfig, pkg, ci, { ...TASKS, test: fewer })).to.deep.equal([
            "scripts/tasks.ts task test runs tsc --noEmit -p . && mocha test/*.test.ts",
        ]);
        const more = pkg.replace('"test:ssh":', '"test:quick": "mocha test/layout.test.ts", "test:ssh":');
        expect(gateProblems(tsconfig, more, ci)).to.deep.equal([
            "package.json script test:quick is mocha test/layout.test.ts",
        ]);
        const quick: Task = { ...TASKS["test:unit"]!, steps: [{ program: "mocha", args: ["test/layout.test.ts"] }] };
        expect(gateProblems(tsconfig, pkg, ci, { ...TASKS, "test:quick": quick })).to.deep.equal([
            "package.json script test:quick is undefined",
            "scripts/tasks.ts task test:quick runs mocha test/layout.test.ts",
        ]);
        const skipped = ci.replace("\nnpm run lint\n", "\n# npm run lint\n");
        expect(gateProblems(tsconfig, pkg, skipped)).to.deep.equal([".ci/run does not run npm run lint"]);
        const dropped = tsconfig.replace('"strict": true,', "");
        expect(gateProblems(dropped, pkg, ci)).to.deep.equal(["tsconfig.json strict is undefined, not true"]);
    });
});
