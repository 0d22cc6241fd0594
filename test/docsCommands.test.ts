/**
 * Rung 3 (the real docs, read against each script's own spec): issue 17, "every command and config key in it checked
 * by the docs test", and friction 3. Every `npm run <script> ...` (and `npm test ...`) command line README.md and
 * docs/*.md show parses with the spec the script reads its command line with (scripts/lib/commandLine.ts, exported
 * beside each script's main): an unknown option, a value its check refuses, a missing stack or an argument too many
 * is reported. A command line is a code span that starts with npm, or a command in a code block (at the line's start
 * or after a shell operator); a span that only quotes one inside a sentence, or names a script without arguments, is
 * prose. A synopsis's brackets are optional parts (`[--to <version>]` is read as `--to <version>`), and placeholders
 * (`<stack>`, `$STACK`, an option's own value name such as `N`) stand for any value.
 */
import { expect } from "chai";
import { npmCommandProblem, ROOT, SCRIPTS, specOf } from "./scriptSpecs";
import * as fs from "fs";
import * as path from "path";
import { CommandLineSpec, npmScriptArgs } from "../scripts/lib/commandLine";
import { codeSpans, lines } from "./docsCheck/markdown";

const NPM_COMMAND = /\bnpm\s+(?:run|run-script|test|tst|t)\b/g;

/** The npm command lines of a page: the line each is on and its text (from npm to the end of its line or span). */
function commandLinesOf(md: string): Array<{ line: number; command: string }> {
    const out: Array<{ line: number; command: string }> = [];
    for (const l of lines(md)) {
        if (l.fenced) {
            for (const m of l.text.matchAll(NPM_COMMAND))
                if (/(^|&&|\|\||[;|(]|\$)\s*$/.test(l.text.slice(0, m.index)))
                    out.push({ line: l.n, command: l.text.slice(m.index) });
        } else
            for (const span of codeSpans(l.text))
                if (/^npm\s/.test(span) && npmScriptArgs(span.replace(/[[\]]/g, ""))?.args.length)
                    out.push({ line: l.n, command: span });
    }
    return out;
}

/** What is wrong with each command line of a page, given each script's spec (undefined: not a script of ours). */
function commandProblems(md: string, file: string, specFor: (script: string) => CommandLineSpec | undefined): string[] {
    return commandLinesOf(md).flatMap(({ line, command }) => {
        const problem = npmCommandProblem(command, specFor);
        return problem === undefined ? [] : [`${file}:${line}: \`${command.trim()}\`: ${problem}`];
    });
}

describe("docs: every npm command line in README.md and docs/ parses with its script's own spec", () => {
    const specs = new Map<string, CommandLineSpec>();
    before(async function () {
        this.timeout(120_000);
        for (const [name, command] of Object.entries(SCRIPTS)) specs.set(name, await specOf(command));
    });
    const specFor = (script: string) => specs.get(script);
    const check = (md: string) => commandProblems(md, "fake.md", specFor);

    it("reports an unknown option, a refused value, a missing stack and an extra argument (crafted pages)", () => {
        expect(check("Run `npm run deploy -- prod --force` then `npm run bench -- --runs 0`.")).to.deep.equal([
            "fake.md:1: `npm run deploy -- prod --force`: unknown option --force",
            "fake.md:1: `npm run bench -- --runs 0`: --runs = 0: expected a whole number from 1 to 100",
        ]);
        const block = "```sh\nnpm ci && npm run deploy\nnpm run plan -- prod dev   # both\nnpm run lint -- --fix\n```";
        expect(check(block)).to.deep.equal([
            "fake.md:2: `npm run deploy`: missing <stack>, the stack to act on",
            "fake.md:3: `npm run plan -- prod dev   # both`: unexpected argument 'dev'",
            "fake.md:4: `npm run lint -- --fix`: unknown option --fix",
        ]);
        expect(check("`npm run rollback -- <stack> [--to <version>] [--yes] [--dry-run]`")).to.have.length(1);
    });

    it("accepts placeholders, synopses, npm's own flags, and what only quotes or names a command (crafted)", () => {
        const page = [
            "`npm run rollback -- <stack> [--to <version>] [--yes]`, `npm run bench [-- [--json] [--runs N] [<stack> ...]]`",
            "`npm run -s bench -- --json > bench.json`, `npm test -- --grep policy`, `npm run restore -- $STACK x.dump`",
            "The deploy says `then run npm run deploy -- prod again`; `npm run deploy` is the script.",
            "```sh\nnpm run plan -- prod && npm run policy -- prod\necho 'npm run nothing -- --at-all'\n```",
        ].join("\n");
        expect(check(page)).to.deep.equal([]);
        expect(commandLinesOf(page).map((c) => c.line)).to.deep.equal([1, 1, 2, 2, 2, 5, 5]);
    });

    for (const page of ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).map((f) => `docs/${f}`)].filter((p) =>
        p.endsWith(".md"),
    ))
        it(`${page}: every command line parses`, () => {
            const problems = commandProblems(fs.readFileSync(path.join(ROOT, page), "utf8"), page, specFor);
            expect(problems, `\n${problems.join("\n")}\n`).to.deep.equal([]);
        });
});
