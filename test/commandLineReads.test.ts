/**
 * Rung 3 (the real source tree, each file of scripts/ read with the TypeScript parser and a checker of its own scopes):
 * a script reads its options only as its spec types them. The values of a command line are typed from the script's
 * COMMAND_LINE (scripts/lib/commandLine.ts, OptionValues), so `line.values.too` for `to` does not compile
 * (test/commandLine.test.ts). A type assertion switches that off: the attack pass 2 on issue 17 wrote
 * `(line.values as Record<string, unknown>)["show-secret"]` in scripts/summary.ts, which compiles and ignores
 * --show-secrets. So in scripts/, each command line (what commandLine returns) is kept whole in one const, and each use
 * of it is a `"exitCode" in line` test, `return line` under that test, `line.exitCode`, `line.stacks`, `line.extra`,
 * or a read of one option straight off `line.values` (`line.values.yes`, `line.values["show-secrets"]`), the option
 * one that the spec handed to commandLine declares: no type assertion on the line or on its values, and neither passed
 * on, spread or destructured, where the reads could no longer be seen. The checker is fed each way around it first,
 * then the tree.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { bare, expectFindings, nodesOf, Parsed, parseSource, ROOT, sourceFiles } from "./sourceTree";

/** Makes the command lines and reads them as parseArgs gives them; the rule is about the scripts that use it. */
const PARSER = "scripts/lib/commandLine.ts";
/** What a command line holds besides its values (scripts/lib/commandLine.ts, CommandLine, and the exit code). */
const LINE_MEMBERS = new Set(["exitCode", "stacks", "extra"]);

/** What the checker saw in one file: each command line, each option read, and each way around the rule. */
interface Reads {
    /** `file:line` of each command line kept in a const. */
    readonly lines: string[];
    /** `file:line option` of each option read straight off the values. */
    readonly options: string[];
    /** `file:line what`. */
    readonly findings: string[];
}

/** The variable `id` refers to (a shorthand `{ line }` to the variable, not to the new property). */
function referenced(p: Parsed, id: ts.Identifier): ts.Symbol | undefined {
    return ts.isShorthandPropertyAssignment(id.parent)
        ? p.checker.getShorthandAssignmentValueSymbol(id.parent)
        : p.checker.getSymbolAtLocation(id);
}

/** A property's name as written: `yes`, `"show-secrets"`. */
function propertyName(name: ts.PropertyName): string | undefined {
    return ts.isIdentifier(name) || ts.isStringLiteralLike(name) ? name.text : undefined;
}

/**
 * The options a spec declares, when the spec is a const of the file holding an object literal (`satisfies` allowed):
 * the names of its `options` object, none without one. Undefined when the spec is anything else, whose options the
 * checker cannot see: then no option may be read.
 */
function declaredOptions(p: Parsed, spec: ts.Expression | undefined): Set<string> | undefined {
    const at = spec && bare(spec);
    if (!at || !ts.isIdentifier(at)) return undefined;
    const decl = p.checker.getSymbolAtLocation(at)?.valueDeclaration;
    if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer) return undefined;
    const literal = bare(decl.initializer);
    if (!ts.isObjectLiteralExpression(literal)) return undefined;
    const options = literal.properties.find((m) => m.name && propertyName(m.name) === "options");
    if (options === undefined) return new Set();
    if (!ts.isPropertyAssignment(options)) return undefined;
    const value = bare(options.initializer);
    if (!ts.isObjectLiteralExpression(value)) return undefined;
    const names = value.properties.map((m) => (m.name ? propertyName(m.name) : undefined));
    return names.every((n): n is string => n !== undefined) ? new Set(names) : undefined;
}

/** `"exitCode" in <the line>`: the test that tells a command line from an exit code. */
function isExitCodeTest(p: Parsed, node: ts.Node, line: ts.Symbol): boolean {
    const test = bare(node);
    return (
        ts.isBinaryExpression(test) &&
        test.operatorToken.kind === ts.SyntaxKind.InKeyword &&
        ts.isStringLiteralLike(test.left) &&
        test.left.text === "exitCode" &&
        ts.isIdentifier(test.right) &&
        referenced(p, test.right) === line
    );
}

/** One use of a command line: nothing when it is one of the allowed forms, else what it does. */
function useProblem(p: Parsed, id: ts.Identifier, line: ts.Symbol, options: Set<string> | undefined, reads: Reads) {
    const parent = id.parent;
    const at = p.at(id);
    if (ts.isBinaryExpression(parent) && parent.right === id && isExitCodeTest(p, parent, line)) return;
    if (ts.isReturnStatement(parent) && ts.isIfStatement(parent.parent) && parent.parent.thenStatement === parent) {
        if (isExitCodeTest(p, parent.parent.expression, line)) return;
    }
    if (!ts.isPropertyAccessExpression(parent) || parent.expression !== id) {
        reads.findings.push(`${at} uses the command line other than by a member read straight off it`);
        return;
    }
    const member = parent.name.text;
    if (LINE_MEMBERS.has(member)) return;
    if (member !== "values") {
        reads.findings.push(`${at} reads ${member}, which a command line does not have`);
        return;
    }
    const read = parent.parent;
    const option =
        ts.isPropertyAccessExpression(read) && read.expression === parent
            ? read.name.text
            : ts.isElementAccessExpression(read) &&
                read.expression === parent &&
                ts.isStringLiteralLike(read.argumentExpression)
              ? read.argumentExpression.text
              : undefined;
    if (option === undefined) {
        reads.findings.push(`${at} reads the values other than one option straight off them (values.x, values["x-y"])`);
        return;
    }
    if (options === undefined) {
        reads.findings.push(`${at} reads --${option} from a spec the checker cannot see (not an object literal here)`);
        return;
    }
    if (!options.has(option)) {
        reads.findings.push(`${at} reads --${option}, which the spec does not declare`);
        return;
    }
    reads.options.push(`${at} ${option}`);
}

/** The command lines of a file of scripts/, each read of one, and each way around the rule. */
function commandLineReads(p: Parsed): Reads {
    const reads: Reads = { lines: [], options: [], findings: [] };
    for (const call of nodesOf(p).filter(ts.isCallExpression)) {
        const callee = bare(call.expression);
        if (!ts.isIdentifier(callee)) continue;
        if (callee.text === "parseCommandLine") {
            reads.findings.push(
                `${p.at(call)} calls parseCommandLine: a script reads its command line with commandLine`,
            );
            continue;
        }
        if (callee.text !== "commandLine") continue;
        const decl = call.parent;
        if (!ts.isVariableDeclaration(decl) || decl.initializer !== call || !ts.isIdentifier(decl.name) || decl.type) {
            reads.findings.push(`${p.at(call)} does not keep the command line whole in a const of its own type`);
            continue;
        }
        const line = p.checker.getSymbolAtLocation(decl.name);
        if (line === undefined) continue;
        reads.lines.push(p.at(call));
        const options = declaredOptions(p, call.arguments[2]);
        const uses = nodesOf(p).filter(
            (n): n is ts.Identifier => ts.isIdentifier(n) && n !== decl.name && referenced(p, n) === line,
        );
        for (const id of uses) useProblem(p, id, line, options, reads);
    }
    return reads;
}

/** A script around `body`, as the scripts are written: a spec with --yes, --to and --show-secrets, and main. */
function script(body: string, spec = "COMMAND_LINE"): string {
    return [
        'import { commandLine, CommandLineSpec } from "./lib/commandLine";',
        "export const COMMAND_LINE = {",
        '    summary: "s",',
        '    stack: { description: "d" },',
        "    options: {",
        '        yes: { type: "boolean", description: "d" },',
        '        to: { type: "string", value: "<v>", description: "d" },',
        '        "show-secrets": { type: "boolean", description: "d" },',
        "    },",
        "    exitCodes: [],",
        '    examples: [{ command: "c", what: "w" }],',
        "} satisfies CommandLineSpec;",
        "function main(argv: string[]): number {",
        `    const line = commandLine("s", argv, ${spec});`,
        '    if ("exitCode" in line) return line.exitCode;',
        ...body.split("\n").map((l) => `    ${l}`),
        "    return 0;",
        "}",
        "",
    ].join("\n");
}

/** The findings of a crafted script, each as `:line what` (the file's name left out). */
function findingsOf(text: string, file = "scripts/crafted.ts"): string[] {
    return commandLineReads(parseSource(file, text)).findings.map((f) => f.slice(file.length));
}

describe("a script reads each option straight off its command line's values, as its spec declares it (rung 3)", () => {
    it("passes the forms the scripts use: the exit-code test, the line's members, options by name or by quoted key", () => {
        const text = script(
            [
                "const stack = line.stacks[0]!;",
                "const backup = line.extra[0];",
                'const show = line.values["show-secrets"] ?? false;',
                "const yes = line.values.yes ?? false;",
                "console.log(stack, backup, show, yes, line.values.to);",
            ].join("\n"),
        );
        const reads = commandLineReads(parseSource("scripts/crafted.ts", text));
        expect(reads.findings).to.deep.equal([]);
        expect(reads.lines).to.deep.equal(["scripts/crafted.ts:14"]);
        expect(reads.options.map((r) => r.replace(/^\S+ /, ""))).to.deep.equal(["show-secrets", "yes", "to"]);
        // bench's shape: the line returned as it is when it is an exit code.
        const bench = script("").replace("return line.exitCode;", "return line;");
        expect(findingsOf(bench)).to.deep.equal([]);
    });

    it("finds each way around the types: an assertion on the values or the line, a name the spec does not declare", () => {
        const attacks = [
            // The attack pass's line in scripts/summary.ts: compiles, and --show-secrets is never read.
            'const show = (line.values as Record<string, unknown>)["show-secret"] ?? false;',
            'const shown = (line.values as Record<string, unknown>)["show-secrets"];',
            "const yes = (line as any).values.yes;",
            "const to = line!.values.to;",
            "const too = line.values.too;",
            'const all = line.values["all"];',
        ];
        for (const attack of attacks) expect(findingsOf(script(attack)), attack).to.have.length(1);
        expectFindings(findingsOf(script(attacks.join("\n"))), [
            ":16 reads the values other than one option",
            ":17 reads the values other than one option",
            ":18 uses the command line other than by a member read",
            ":19 uses the command line other than by a member read",
            ":20 reads --too, which the spec does not declare",
            ":21 reads --all, which the spec does not declare",
        ]);
    });

    it("finds the command line or its values passed on, spread, destructured, or kept under another type", () => {
        const ways = [
            "report(line);",
            "report({ line });",
            "const { values } = line;",
            "const copy = { ...line.values };",
            "console.log(Object.keys(line.values));",
            "const key = 'yes'; const yes = line.values[key];",
            'const wide = line["values"];',
        ];
        for (const way of ways) expect(findingsOf(script(way)), way).to.have.length(1);
        const typed = script("").replace("const line = ", "const line: ReturnType<typeof commandLine> = ");
        expect(findingsOf(typed)).to.deep.equal([
            ":14 does not keep the command line whole in a const of its own type",
        ]);
        const asserted = script("").replace("COMMAND_LINE);", "COMMAND_LINE) as any;");
        expect(findingsOf(asserted)).to.have.length(1);
        expect(findingsOf(script("").replace("const line = commandLine(", "const { values } = commandLine("))).to.not.be
            .empty;
    });

    it("reads no option from a spec it cannot see, and calls for commandLine rather than parseCommandLine", () => {
        expect(findingsOf(script("const yes = line.values.yes;", "specOf()"))).to.deep.equal([
            ":16 reads --yes from a spec the checker cannot see (not an object literal here)",
        ]);
        expect(findingsOf(script("const parsed = parseCommandLine(COMMAND_LINE, argv);"))).to.deep.equal([
            ":16 calls parseCommandLine: a script reads its command line with commandLine",
        ]);
        // A parameter of the same name elsewhere in the file is another variable (bench's `progress: (line) => ...`).
        expect(findingsOf(script("const log = (line: string) => console.log(line);"))).to.deep.equal([]);
    });

    it("finds the attack pass's line in scripts/summary.ts as the file stands around it", () => {
        const file = "scripts/summary.ts";
        const text = fs.readFileSync(path.join(ROOT, file), "utf8");
        const read = 'line.values["show-secrets"]';
        expect(text, `${file} reads --show-secrets as ${read}`).to.contain(read);
        const attacked = text.replace(read, '(line.values as Record<string, unknown>)["show-secret"]');
        const found = commandLineReads(parseSource(file, attacked)).findings;
        expect(found).to.have.length(1);
        expect(found[0]).to.match(/^scripts\/summary\.ts:\d+ reads the values other than one option/);
    });

    it("in the tree: every script's command line is read so, and each script with a spec reads it through one", () => {
        const files = sourceFiles(["scripts"]).filter((f) => f !== PARSER);
        const all = files.map((f) => commandLineReads(parseSource(f)));
        expect(all.flatMap((r) => r.findings)).to.deep.equal([]);
        // The checker saw the scripts' command lines: one in each script that has a spec, tasks.ts's included.
        const withSpec = files.filter(
            (f) =>
                /^scripts\/[^/]+\.ts$/.test(f) &&
                /\bCOMMAND_LINE\b|commandLine\(/.test(fs.readFileSync(path.join(ROOT, f), "utf8")),
        );
        expect(withSpec.length).to.be.at.least(12);
        const seen = all.flatMap((r) => r.lines).map((l) => l.replace(/:\d+$/, ""));
        expect(seen.sort()).to.deep.equal(withSpec.sort());
        const read = all.flatMap((r) => r.options).map((l) => l.replace(/:\d+ /, " "));
        expect(read).to.include.members([
            "scripts/summary.ts show-secrets",
            "scripts/rollback.ts to",
            "scripts/deploy.ts allow-examples",
        ]);
    });
});
