/**
 * Rung 3 (the real source tree, read with the TypeScript parser, against each script's own spec): issue 17, friction
 * 3 and its attack pass. The docs' npm commands parse with their scripts' specs (test/docsCommands.test.ts); so must
 * those the code itself tells the operator to run: in help texts and examples, errors, warnings and hints. Every
 * string of the program, the operator code, the scripts and the policy pack is read (a `+` chain of strings as one
 * text, `${...}` as a placeholder, `${npmCommand("plan")}` as the command it spells), and each `npm run <script> ...`
 * (or `npm test ...`) in it must name a script of package.json and parse with that script's spec.
 *
 * Where a command ends: a code span (`` `npm run plan -- prod` ``), or a text that starts with npm (an example's
 * `command`), is a whole command, as in the docs. In running
 * text, the command takes `-- `, then the stack (the first word, whatever it is), the flags and their values, and
 * words that can only be arguments (placeholders, file names, versions, shipped stacks); it ends at the first word of
 * prose (`npm run plan -- <stack> shows ...`), at a `(`, or after a word that closes a clause (`,` `;` `:` `.` `)`).
 * A script named without arguments (`as npm run deploy does`) is only looked up in package.json.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { CommandLineSpec, npmCommand, npmScriptArgs } from "../scripts/lib/commandLine";
import { shippedStacks } from "../scripts/lib/stackFiles";
import { npmCommandProblem, ROOT, SCRIPTS, specOf } from "./scriptSpecs";
import { rootsOf, sourceFiles } from "./sourceTree";

type SpecFor = (script: string) => CommandLineSpec | undefined;

/**
 * `npmCommand("<script>")` (scripts/lib/commandLine.ts), the helper that spells a script's command, as the command it
 * returns for that literal; undefined for any other expression. Issue 17, attack pass 2: `${npmCommand("generate")}
 * -- --write` read as a placeholder, so its arguments went unchecked.
 */
function npmCommandText(expression: ts.Expression): string | undefined {
    if (!ts.isCallExpression(expression) || expression.arguments.length !== 1) return undefined;
    const callee = expression.expression;
    const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : "";
    const script = expression.arguments[0]!;
    return name === npmCommand.name && ts.isStringLiteralLike(script) ? npmCommand(script.text) : undefined;
}

/**
 * A `${...}` of a template, as the placeholder a doc would write for it: `${opts.stack}` is `<opts.stack>`; a call
 * of npmCommand with a literal is the command it spells.
 */
function placeholderOf(expression: ts.Expression, source: ts.SourceFile): string {
    const command = npmCommandText(expression);
    if (command !== undefined) return command;
    const name = expression.getText(source).replace(/[^\w.]/g, "");
    return /^[A-Za-z]/.test(name) ? `<${name}>` : "<value>";
}

/** The text of a string, a template or any other expression (a placeholder) as part of a `+` chain. */
function textOf(node: ts.Expression, source: ts.SourceFile): string {
    if (ts.isStringLiteralLike(node)) return node.text;
    if (ts.isTemplateExpression(node))
        return (
            node.head.text +
            node.templateSpans.map((s) => placeholderOf(s.expression, source) + s.literal.text).join("")
        );
    if (ts.isParenthesizedExpression(node)) return textOf(node.expression, source);
    return placeholderOf(node, source);
}

function isText(node: ts.Node): node is ts.Expression {
    return ts.isStringLiteralLike(node) || ts.isTemplateExpression(node);
}

function isConcatenation(node: ts.Node): node is ts.BinaryExpression {
    return ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken;
}

/** The operands of a `+` chain, left to right. */
function operands(node: ts.Expression): ts.Expression[] {
    const bare = ts.isParenthesizedExpression(node) ? node.expression : node;
    return isConcatenation(bare) ? [...operands(bare.left), ...operands(bare.right)] : [node];
}

/** A text of a source file, and whether it is a command as a whole: the `command` of a spec's example. */
interface SourceText {
    readonly line: number;
    readonly text: string;
    readonly whole: boolean;
}

/** Every text of a source file: each string or template, a `+` chain holding one read as a whole. */
function sourceTexts(file: string, text: string): SourceText[] {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const out: SourceText[] = [];
    const lineOf = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    const visit = (node: ts.Node): void => {
        if (isConcatenation(node) && !(node.parent && isConcatenation(node.parent))) {
            const parts = operands(node);
            if (parts.some(isText)) {
                out.push({ line: lineOf(node), text: parts.map((p) => textOf(p, source)).join(""), whole: false });
                // Strings inside a part (a call's argument) are texts of their own.
                for (const p of parts) if (!isText(p)) visit(p);
                return;
            }
        }
        if (isText(node)) {
            const property = ts.isPropertyAssignment(node.parent) ? node.parent.name.getText(source) : undefined;
            out.push({ line: lineOf(node), text: textOf(node, source), whole: property === "command" });
            if (ts.isTemplateExpression(node)) for (const s of node.templateSpans) visit(s.expression);
            return;
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return out;
}

const NPM_COMMAND = /\bnpm\s+(?:run|run-script|test|tst|t)\b/g;

/** A word that can only be an argument of a command: a placeholder, a file name, a version, a shipped stack. */
function isArgument(word: string, stacks: readonly string[]): boolean {
    return /^<[^>]+>$/.test(word) || /^\$\{?\w+\}?$/.test(word) || /[./\d]/.test(word) || stacks.includes(word);
}

/** The command that starts at `npm` in running text: as far as its words can be arguments (see the header). */
function commandInProse(rest: string, specFor: SpecFor, stacks: readonly string[]): string {
    const words = rest.split(/[\n`]/)[0]!.trim().split(/\s+/);
    const out = words.slice(0, 2);
    let i = 2;
    let script = "test";
    if (["run", "run-script"].includes(words[1]!)) {
        for (; words[i]?.startsWith("-") && words[i] !== "--"; i++) out.push(words[i]!);
        const m = /^([\w:<>.-]*[\w:>])(.*)$/.exec(words[i] ?? "");
        if (!m) return out.join(" ");
        script = m[1]!;
        out.push(script);
        i++;
        if (m[2] !== "") return out.join(" ");
    }
    if (words[i] !== "--") return out.join(" ");
    out.push("--");
    const spec = specFor(script);
    let positionals = 0;
    let wantsValue = false;
    for (i++; i < words.length; i++) {
        const raw = words[i]!;
        if (raw.startsWith("(")) break;
        const word = raw.replace(/[.,;:)]+$/, "");
        if (word === "") break;
        if (wantsValue) {
            wantsValue = false;
        } else if (word.startsWith("-")) {
            // A task passes its arguments on unread: a word after a flag may be the flag's (`--grep policy`).
            const option = spec?.options?.[word.replace(/^-+/, "")];
            wantsValue = option?.type === "string" || (spec?.passOn !== undefined && word !== "--");
        } else if (!(positionals++ === 0 && spec?.stack) && !isArgument(word, stacks)) break;
        out.push(word);
        if (word !== raw) break;
    }
    return out.join(" ");
}

/**
 * Each npm command a text gives: the whole text when it is a command (`whole`: an example's `command`), else whole
 * code spans that start with npm, then those in its running text.
 */
function commandsInText(text: string, specFor: SpecFor, stacks: readonly string[], whole = false): string[] {
    if (whole) return /^npm\s/.test(text) ? [text] : [];
    const commands: string[] = [];
    const spans = /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g;
    for (const m of text.matchAll(spans)) if (/^npm\s/.test(m[2]!.trim())) commands.push(m[2]!.trim());
    const prose = text.replace(spans, (span) => " ".repeat(span.length));
    for (const m of prose.matchAll(NPM_COMMAND)) commands.push(commandInProse(prose.slice(m.index), specFor, stacks));
    return commands;
}

/** What is wrong with each npm command of `text`: a script package.json lacks, or a line its spec refuses. */
function commandProblems(t: SourceText, specFor: SpecFor, scripts: ReadonlySet<string>): string[] {
    return commandsInText(t.text, specFor, shippedStacks(), t.whole).flatMap((command) => {
        const script = /^npm\s+(?:(?:run|run-script)\s+(?:-\S+\s+)*([^\s[\]]+)|(test|t|tst)\b)/.exec(command);
        const name = script?.[1] ?? (script?.[2] !== undefined ? "test" : undefined);
        if (name === undefined || /^</.test(name)) return [];
        if (!scripts.has(name)) return [`\`${command}\`: package.json has no script '${name}'`];
        // `npm run deploy` alone names the script (as the docs' check reads a span without arguments).
        if (!npmScriptArgs(command.replace(/[[\]]/g, ""))?.args.length) return [];
        const problem = npmCommandProblem(command, specFor);
        return problem === undefined ? [] : [`\`${command}\`: ${problem}`];
    });
}

/** The code that may tell an operator what to run: everything but the tests. */
const CODE_ROOTS = rootsOf("program", "operator", "policy");

describe("code: every npm command in the code's own strings parses with its script's spec (issue 17)", () => {
    const specs = new Map<string, CommandLineSpec>();
    const scripts = new Set(Object.keys(SCRIPTS));
    before(async function () {
        this.timeout(120_000);
        for (const [name, command] of Object.entries(SCRIPTS)) specs.set(name, await specOf(command));
    });
    const specFor: SpecFor = (script) => specs.get(script);
    const check = (source: string) =>
        sourceTexts("x.ts", source).flatMap((t) => commandProblems(t, specFor, scripts).map((p) => `${t.line}: ${p}`));

    it("reads a string, a template and a + chain as texts, with ${...} as a placeholder (crafted source)", () => {
        const source = [
            'const a = "run npm run plan -- prod first";',
            "const b = `deploy it first (npm run deploy -- ${stack})`;",
            'const c = "The same rules run on every `npm run " +',
            '    "deploy` and " + name + " too";',
            "log(`hint: ${fmt('npm run verify -- prod')}`);",
        ].join("\n");
        expect(sourceTexts("x.ts", source).map((t) => `${t.line}: ${t.text}`)).to.deep.equal([
            "1: run npm run plan -- prod first",
            "2: deploy it first (npm run deploy -- <stack>)",
            "3: The same rules run on every `npm run deploy` and <name> too",
            "5: hint: <fmtnpmrunverifyprod>",
            "5: npm run verify -- prod",
        ]);
    });

    it("ends a command in running text where its prose begins (crafted texts)", () => {
        const stacks = ["dev", "staging", "prod"];
        const read = (text: string) => commandsInText(text, specFor, stacks);
        expect(read("then run it again: npm run deploy -- <stack> (it replaces failed jobs), or")).to.deep.equal([
            "npm run deploy -- <stack>",
        ]);
        expect(read("then npm run plan -- prod (docs/walkthrough.md, step 5)")).to.deep.equal(["npm run plan -- prod"]);
        expect(read("npm run plan -- <stack> shows every container's limits")).to.deep.equal([
            "npm run plan -- <stack>",
        ]);
        expect(read("To see them: npm run summary -- <opts.stack> --show-secrets (in a terminal).")).to.deep.equal([
            "npm run summary -- <opts.stack> --show-secrets",
        ]);
        expect(read("afterwards (npm run restore), then re-import; run npm run generate")).to.deep.equal([
            "npm run restore",
            "npm run generate",
        ]);
        expect(
            read("use `npm run -s bench -- --json > bench.json` and npm run bench -- dev prod to compare"),
        ).to.deep.equal(["npm run -s bench -- --json > bench.json", "npm run bench -- dev prod"]);
        expect(read("npm run rollback -- prod --to 1.4.1 --yes.")).to.deep.equal([
            "npm run rollback -- prod --to 1.4.1 --yes",
        ]);
    });

    it("reports an unknown option, a refused value, a wrong stack, an extra argument and an unknown script (crafted)", () => {
        const source = [
            "fail(`deploy it first (npm run deploy -- ${stack} --force)`);",
            "hint(`measure it: npm run bench -- --runs 0 ${stack}`);",
            'warn("run npm run verify -- prd, then look");',
            'note("restore with `npm run restore -- prod a.dump b.dump`");',
            'say("then npm run deploy-all -- prod, or `npm run deploy` alone, which names the script");',
            'ok("npm run plan -- <stack> shows it; `npm run policy -- prod --all`; npm test -- --grep x");',
            'const examples = [{ command: "npm run ssh -- prod -- \'sudo cat /var/log/syslog\'", what: "x" }];',
            'const wrong = [{ command: "npm run ssh -- prod --all", what: "an example is a whole command" }];',
        ].join("\n");
        expect(check(source)).to.deep.equal([
            "1: `npm run deploy -- <stack> --force`: unknown option --force",
            "2: `npm run bench -- --runs 0 <stack>`: --runs = 0: expected a whole number from 1 to 100",
            // The stacks there are, as the message lists them: an operator's own stack files are among them.
            `3: \`npm run verify -- prd\`: there is no stack 'prd' (no Pulumi.prd.yaml); did you mean prod? Stacks: ${shippedStacks().join(", ")}`,
            "4: `npm run restore -- prod a.dump b.dump`: unexpected argument 'b.dump'",
            "5: `npm run deploy-all -- prod`: package.json has no script 'deploy-all'",
            "8: `npm run ssh -- prod --all`: unknown option --all",
        ]);
    });

    // Issue 17, attack pass 2: a command spelt by the helper, `${npmCommand("generate")} -- --write`, read as a
    // placeholder, so its unknown option passed.
    it('reads npmCommand("<script>") as the command it spells, in a template and in a + chain (crafted source)', () => {
        const source = [
            'hint(`rewrite it: ${npmCommand("generate")} -- --write`);',
            'hint(npmCommand("generate") + " -- --check --file Pulumi.yaml");',
            'hint(`then ${commandLine.npmCommand("verify")} -- prd`);',
            'hint(`${npmCommand("test")} -- --grep x; ${npmCommand(name)} -- --help`);',
        ].join("\n");
        expect(sourceTexts("x.ts", source).map((t) => t.text)).to.include.members([
            "rewrite it: npm run generate -- --write",
            "npm run generate -- --check --file Pulumi.yaml",
            "npm test -- --grep x; <npmCommandname> -- --help",
        ]);
        expect(check(source)).to.deep.equal([
            "1: `npm run generate -- --write`: unknown option --write",
            `3: \`npm run verify -- prd\`: there is no stack 'prd' (no Pulumi.prd.yaml); did you mean prod? Stacks: ${shippedStacks().join(", ")}`,
        ]);
    });

    it("finds the commands the code gives today (the reader sees them)", () => {
        const found = sourceFiles(CODE_ROOTS).flatMap((file) =>
            sourceTexts(file, fs.readFileSync(path.join(ROOT, file), "utf8")).flatMap((t) =>
                commandsInText(t.text, specFor, shippedStacks(), t.whole).map((c) => `${file}: ${c}`),
            ),
        );
        expect(found).to.include.members([
            "components/service.ts: npm run deploy -- <stack>",
            "components/config/schema.ts: npm run plan -- <stack>",
            "scripts/policy.ts: npm run policy -- <stack> --all",
            "scripts/lib/summary.ts: npm run summary -- <opts.stack> --show-secrets",
        ]);
    });

    it("every npm command in index.ts, components/, operator/, scripts/ and policy/ parses", () => {
        const problems = sourceFiles(CODE_ROOTS).flatMap((file) =>
            sourceTexts(file, fs.readFileSync(path.join(ROOT, file), "utf8")).flatMap((t) =>
                commandProblems(t, specFor, scripts).map((p) => `${file}:${t.line}: ${p}`),
            ),
        );
        expect(problems, `\n${problems.join("\n")}\n`).to.deep.equal([]);
    });
});
