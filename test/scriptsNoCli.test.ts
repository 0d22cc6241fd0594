/**
 * Rung 3 (the real tree, every file git tracks or would add): nothing outside the TypeScript runs the Pulumi CLI.
 * Issue 16, item 2: "No script shells out to the CLI", and `up` and `preview` always carry the policy pack: they run
 * through scripts/lib/workspace.ts alone (test/boundaries.test.ts), whose Automation API passes it. An npm script
 * `"up": "pulumi up --yes --stack"` or a scripts/redeploy.sh that runs `pulumi up` deploys without the pack, and
 * neither is a .ts file that the boundaries read (test/boundariesProcesses.test.ts reads what .ts files spawn).
 *
 * Two readings, each fed the attacks first, then the tree:
 * - In what runs as a script (package.json's scripts, shell, JavaScript and other script files, any file with a `#!`
 *   line or an executable bit): `pulumi` as a word at all, a command, a path to it or an argument (`npx pulumi`).
 * - In every other file but Markdown (the docs tell the operator what to run, and test/docs.test.ts checks them):
 *   `pulumi` followed by a command that reads or changes a stack, past any flags (`pulumi -s prod up`), except the
 *   lines listed with their reason.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./sourceTree";

/** The CLI as a word of a script: `pulumi`, `/usr/local/bin/pulumi`, `./node_modules/.bin/pulumi`. */
const CLI_WORD = /^(\S*\/)?pulumi$/;
const WORD_BREAK = /[\s;&|()`'"<>=,[\]{}$\\]+/;
/** The CLI run with a command of a stack, past flags and their values (pulumi CLI v3 `pulumi --help`). */
const CLI_RUN =
    /(^|[^\w@/.-])(\S*\/)?pulumi(\s+-{1,2}[\w-]+(=\S+|\s+[^-\s]\S*)?)*\s+(up|preview|update|refresh|destroy|import|state|stack|config|cancel|watch|new|login|logout|policy|deployment|env|org|plugin|install)\b/;
/** Files run as scripts by their name. */
const SCRIPT_FILE = /\.(sh|bash|zsh|ksh|js|mjs|cjs|jsx|py|rb|pl)$|(^|\/)(Makefile|Dockerfile|Procfile|Justfile)$/;

/** Lines that name the CLI and run nothing: the file, the lines, and why. */
const CLI_MENTIONS_ALLOWED: ReadonlyArray<readonly [file: string, line: RegExp, why: string]> = [
    [
        "Pulumi.yaml",
        /^ {4}description: /,
        "a config key's description, generated from components/config/schema.ts: prose telling the operator how to " +
            "set a secret or roll a credential; Pulumi.yaml names the program's runtime and runs no command",
    ],
    [
        "Pulumi.prod.yaml",
        /^\s*# /,
        "a YAML comment in a stack's settings, telling the operator how to add the SMTP password as a secret",
    ],
];

/** A file git tracks or would add, and its text; undefined for a binary file. */
function textOf(file: string): string | undefined {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    return text.includes("\0") ? undefined : text;
}

function isScriptFile(file: string, text: string): boolean {
    return SCRIPT_FILE.test(file) || text.startsWith("#!") || (fs.statSync(path.join(ROOT, file)).mode & 0o111) !== 0;
}

/** Where a script names the CLI as a word: `where` names the script (`package.json scripts.up`, `scripts/x.sh:3`). */
function scriptProblems(where: string, text: string): string[] {
    return text.split("\n").flatMap((line, i) =>
        line
            .split(WORD_BREAK)
            .filter((w) => CLI_WORD.test(w))
            .map(
                (w) => `${where}${text.includes("\n") ? `:${i + 1}` : ""} runs ${w}: the CLI runs through workspace.ts`,
            ),
    );
}

/** Every use of the CLI in one file (`script`: read as a script too). */
function cliProblems(file: string, text: string, script: boolean, allowed = CLI_MENTIONS_ALLOWED): string[] {
    const out: string[] = [];
    if (path.posix.basename(file) === "package.json") {
        const scripts = (JSON.parse(text) as { scripts?: Record<string, string> }).scripts ?? {};
        for (const [name, command] of Object.entries(scripts))
            out.push(...scriptProblems(`${file} scripts.${name}`, command));
    }
    if (script) out.push(...scriptProblems(file, text));
    text.split("\n").forEach((line, i) => {
        const run = CLI_RUN.exec(line);
        if (run && !allowed.some(([f, l]) => f === file && l.test(line)))
            out.push(`${file}:${i + 1} runs "${run[0].trim()}": the CLI runs through scripts/lib/workspace.ts`);
    });
    return out;
}

function trackedFiles(): string[] {
    return execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
        cwd: ROOT,
        encoding: "utf8",
    })
        .split("\0")
        .filter((f) => f !== "" && !/\.(ts|md)$/.test(f) && fs.existsSync(path.join(ROOT, f)));
}

const lines = (found: readonly string[]) => found.map((f) => f.replace(/ runs .*/, ""));

describe("scripts: nothing outside the TypeScript runs the Pulumi CLI", () => {
    it("the checker finds the CLI in package.json's scripts (the attack: an npm script `up`)", () => {
        const pkg = JSON.stringify(
            {
                name: "x",
                scripts: {
                    lint: "prettier --check . && eslint --max-warnings 0 .",
                    up: "pulumi up --yes --stack",
                    down: "npx pulumi -s prod destroy --yes",
                    out: "ts-node scripts/x.ts && node_modules/.bin/pulumi stack output",
                    bare: "pulumi",
                },
                description: "run with @pulumi/pulumi",
            },
            null,
            2,
        );
        expect(lines(cliProblems("package.json", pkg, false))).to.have.members([
            "package.json scripts.up",
            "package.json:5",
            "package.json scripts.down",
            "package.json:6",
            "package.json scripts.out",
            "package.json:7",
            "package.json scripts.bare",
        ]);
    });

    it("the checker finds the CLI in a shell script and other files (the attack: scripts/redeploy.sh)", () => {
        const redeploy = '#!/bin/sh\nset -eu\nexec pulumi up --yes --stack "$1"\n';
        expect(lines(cliProblems("scripts/redeploy.sh", redeploy, true))).to.have.members([
            "scripts/redeploy.sh:3",
            "scripts/redeploy.sh:3",
        ]);
        const python = 'import subprocess\nsubprocess.run(["pulumi", "preview"])\nPULUMI=pulumi\n';
        expect(lines(cliProblems("tools/deploy.py", python, true))).to.have.members([
            "tools/deploy.py:2",
            "tools/deploy.py:3",
        ]);
        const ci = "npm ci\n/usr/local/bin/pulumi --cwd . --non-interactive refresh --yes\n";
        expect(lines(cliProblems(".ci/run", ci, false))).to.deep.equal([".ci/run:2"]);
        // Pulumi.yaml: a description may name the CLI, any other line may not.
        const project = '  x:\n    description: "raise it and run pulumi up."\n# hook: pulumi destroy --yes\n';
        expect(lines(cliProblems("Pulumi.yaml", project, false))).to.deep.equal(["Pulumi.yaml:3"]);
        expect(cliProblems("Pulumi.yaml", project, false, [])).to.have.length(2);
        // A package, a folder, prose without a stack command: no run.
        const prose = '{ "a": "@pulumi/pulumi", "b": ".pulumi/", "c": "the pulumi command was not found" }';
        expect(cliProblems("policy/config/x.json", prose, false)).to.be.empty;
    });

    it("no tracked file but the TypeScript and Markdown does, but the listed lines, each of which is there today", () => {
        const files = trackedFiles();
        for (const f of ["package.json", ".ci/run", "Pulumi.yaml"]) expect(files).to.include(f);
        const found = files.flatMap((f) => {
            const text = textOf(f);
            return text === undefined ? [] : cliProblems(f, text, isScriptFile(f, text));
        });
        expect(found, `\n${found.join("\n")}\n`).to.be.empty;
        for (const [file, line] of CLI_MENTIONS_ALLOWED) {
            const text = textOf(file) ?? "";
            expect(
                text.split("\n").some((l) => line.test(l) && CLI_RUN.test(l)),
                `${file} ${line}`,
            ).to.be.true;
        }
    });
});
