/**
 * components/config/parse.ts holds only the rules across keys (issue 16, item 1: each key's own check lives in the
 * schema, one declaration per key). Attack #33 put a check on one key there (the domain must not end in `.local`),
 * where the schema, Pulumi.yaml and every test that walks the schema miss it. Each problem parse.ts adds is read here
 * with the TypeScript parser and the file's own checker: the key it reports, and the keys its condition reads (the
 * `if`s, `&&`s, loops and early `continue`s around it, each name followed back to the reader call it came from). A rule
 * must report a key and read at least one other; the two rules over every key at once are listed with their reasons,
 * and the whole list is pinned, so a new rule is read by a reviewer. Rung 3: the real source file.
 */
import { expect } from "chai";
import * as ts from "typescript";
import { CONFIG_KEYS } from "../components/config";
import { nodesOf, Parsed, parseSource } from "./sourceTree";
import { symbolOf } from "./sourceTreeParse";

const PARSE = "components/config/parse.ts";

/** The Source methods that read a key named by their first argument (`key` only names one, so it is not here). */
const READERS = new Set(["read", "value", "text", "fields", "field", "nested", "secret", "optionalSecret", "object"]);

/** Reads that stand for more than one key, as a rule's reads show them. */
const EVERY_SECRET = "(whether each secret key arrived encrypted)";
const EVERY_KEY = "(every key the stack sets)";

/** The Problems methods that record a problem. */
const RECORDERS = new Set(["add", "hidden", "nearSecret", "secretValue"]);

interface Rule {
    readonly reported: string;
    readonly reads: readonly string[];
    readonly at: string;
}

/** The expression a name stands for: a variable's initializer, a loop's items, a callback's receiver. */
function origin(p: Parsed, id: ts.Identifier): ts.Node | undefined {
    let decl: ts.Node | undefined = symbolOf(p, id)?.declarations?.find((d) => d.getSourceFile() === p.source);
    while (decl && ts.isBindingElement(decl)) decl = decl.parent.parent;
    if (decl && ts.isVariableDeclaration(decl)) {
        const loop = decl.parent.parent;
        if (ts.isForOfStatement(loop) || ts.isForInStatement(loop)) return loop.expression;
        return decl.initializer;
    }
    // A callback's parameter stands for the items of what it is called on (`list.forEach((item) => ...)`).
    if (decl && ts.isParameter(decl) && ts.isArrowFunction(decl.parent) && ts.isCallExpression(decl.parent.parent)) {
        const callee = decl.parent.parent.expression;
        return ts.isPropertyAccessExpression(callee) ? callee.expression : undefined;
    }
    return undefined;
}

/** The keys `node` reads, following each name it uses back to where its value came from. */
function keysRead(p: Parsed, node: ts.Node, seen = new Set<ts.Node>()): Set<string> {
    const keys = new Set<string>();
    const visit = (n: ts.Node): void => {
        if (seen.has(n)) return;
        seen.add(n);
        if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) {
            const method = n.expression.name.text;
            const [first] = n.arguments;
            if (READERS.has(method) && first && ts.isStringLiteralLike(first)) keys.add(first.text);
            if (method === "plainTextSecrets") keys.add(EVERY_SECRET);
        }
        if (ts.isPropertyAccessExpression(n) && n.name.text === "values" && n.expression.getText(p.source) === "raw")
            keys.add(EVERY_KEY);
        if (ts.isIdentifier(n)) {
            const from = origin(p, n);
            if (from) visit(from);
        }
        ts.forEachChild(n, visit);
    };
    visit(node);
    return keys;
}

const LOGICAL = new Set([
    ts.SyntaxKind.AmpersandAmpersandToken,
    ts.SyntaxKind.BarBarToken,
    ts.SyntaxKind.QuestionQuestionToken,
]);

/** What decides whether `call` runs: the conditions around it, the loops it is in, the guards that skip it. */
function conditionsOf(call: ts.Node): ts.Node[] {
    const found: ts.Node[] = [];
    for (let child = call, n = call.parent; n && !ts.isSourceFile(n); child = n, n = n.parent) {
        if (ts.isIfStatement(n) && child !== n.expression) found.push(n.expression);
        if (ts.isConditionalExpression(n) && child !== n.condition) found.push(n.condition);
        if (ts.isBinaryExpression(n) && child === n.right && LOGICAL.has(n.operatorToken.kind)) found.push(n.left);
        if (ts.isForOfStatement(n) || ts.isForInStatement(n)) found.push(n.expression);
        if (ts.isBlock(n)) {
            // An earlier `if (...) continue;` (or return, break) decides whether this statement is reached.
            for (const s of n.statements.slice(0, n.statements.indexOf(child as ts.Statement))) {
                const exits = (t: ts.Statement) =>
                    ts.isContinueStatement(t) || ts.isReturnStatement(t) || ts.isBreakStatement(t);
                if (ts.isIfStatement(s) && exits(s.thenStatement)) found.push(s.expression);
            }
        }
        if (ts.isFunctionDeclaration(n)) break;
    }
    return found;
}

/** The key a problem is reported on: the name given to `key(...)`, or the expression it comes from. */
function reportedKey(p: Parsed, arg: ts.Expression): string {
    let named: string | undefined;
    const visit = (n: ts.Node): void => {
        if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === "key") {
            const [first] = n.arguments;
            if (first && ts.isStringLiteralLike(first)) named ??= first.text;
            else if (first && ts.isIdentifier(first)) named ??= `<each of ${origin(p, first)?.getText(p.source)}>`;
        }
        ts.forEachChild(n, visit);
    };
    visit(arg);
    if (named === undefined && ts.isIdentifier(arg)) named = `<each of ${origin(p, arg)?.getText(p.source)}>`;
    return named ?? `<${arg.getText(p.source)}>`;
}

/** Every problem parse.ts records: the key reported, and the keys the condition around it reads. */
function rulesOf(p: Parsed): Rule[] {
    const problemsRecorder = (call: ts.CallExpression) => {
        if (!ts.isPropertyAccessExpression(call.expression) || !RECORDERS.has(call.expression.name.text)) return false;
        const receiver = call.expression.expression;
        const text = ts.isIdentifier(receiver) ? origin(p, receiver)?.getText(p.source) : receiver.getText(p.source);
        return text !== undefined && /(^|\.)problems$/.test(text);
    };
    return nodesOf(p)
        .filter((n): n is ts.CallExpression => ts.isCallExpression(n) && problemsRecorder(n))
        .map((call) => {
            const reads = new Set<string>();
            for (const condition of conditionsOf(call)) for (const key of keysRead(p, condition)) reads.add(key);
            return { reported: reportedKey(p, call.arguments[0]!), reads: [...reads].sort(), at: p.at(call) };
        });
}

/** Rules that break the cross-key rule: no key reported, or no other key read. */
function singleKeyRules(rules: readonly Rule[], allowed: ReadonlySet<string>): string[] {
    return rules
        .filter((r) => !allowed.has(r.reported))
        .filter(
            (r) => !(CONFIG_KEYS as readonly string[]).includes(r.reported) || !r.reads.some((k) => k !== r.reported),
        )
        .map((r) => `${r.at} reports ${r.reported} reading only ${r.reads.join(", ") || "nothing"}`);
}

/**
 * Today's rules: the key reported, the keys read, and why the rule spans them. `overEveryKey`: a rule over every key
 * at once, which reads no single other key; its reason says why it belongs in parse.ts and not in the schema.
 */
const PINNED: ReadonlyArray<{ reported: string; reads: readonly string[]; why: string; overEveryKey?: true }> = [
    { reported: "tlsMode", reads: ["target", "tlsMode"], why: "Let's Encrypt cannot reach the local target" },
    { reported: "tlsMode", reads: ["domain", "target", "tlsMode"], why: "no ACME certificate for a local-only domain" },
    { reported: "adminCidrs", reads: ["adminCidrs", "target"], why: "droplet and ssh targets need an SSH network" },
    {
        reported: "adminCidrs",
        reads: ["adminCidrs", "allowSshFromAnywhere"],
        why: "SSH from the whole internet only with the explicit override",
    },
    {
        reported: "resources",
        reads: ["droplet", "resources", "target"],
        why: "Docker refuses a container limited to more CPUs than the host has, and a droplet's are its size's vCPUs",
    },
    {
        reported: "<each of src.plainTextSecrets()>",
        reads: [EVERY_SECRET],
        why:
            "whether a value arrived encrypted is known from the stack's list of encrypted keys, never from the " +
            "value the schema's checks are given",
        overEveryKey: true,
    },
    {
        reported: "<each of Object.keys(raw.values)>",
        reads: [EVERY_KEY],
        why: "a key the schema does not declare has no spec to check it: only the list of every key set shows it",
        overEveryKey: true,
    },
];

const ATTACK = `
    if (domain.endsWith(".local")) p.add(src.key("domain"), domain, "a domain that does not end in .local");`;

describe("config: parse.ts holds only rules across keys (issue 16, item 1; attack #33)", () => {
    const today = parseSource(PARSE);
    const allowed = new Set(PINNED.filter((r) => r.overEveryKey).map((r) => r.reported));

    it("finds every problem parse.ts records, with the keys its condition reads (pinned: review a new rule)", () => {
        const found = rulesOf(today).map(({ reported, reads }) => ({ reported, reads }));
        expect(found).to.deep.equal(PINNED.map(({ reported, reads }) => ({ reported, reads })));
    });

    it("every rule reports a key and reads another; the two over every key are listed with their reasons", () => {
        expect(singleKeyRules(rulesOf(today), allowed)).to.deep.equal([]);
        expect([...allowed]).to.have.length(2);
        for (const { reported, why } of PINNED) expect(why, reported).to.have.length.greaterThan(30);
    });

    it("refuses a check on one key placed in parse.ts (attack #33: the domain must not end in .local)", () => {
        const text = today.source.text;
        const anchor = 'const { value: domain, valid: domainValid } = src.read("domain");';
        expect(text).to.contain(anchor);
        const attacked = parseSource(PARSE, text.replace(anchor, `${anchor}${ATTACK}`));
        expect(singleKeyRules(rulesOf(attacked), allowed)).to.deep.equal([
            `${PARSE}:${today.source.getLineAndCharacterOfPosition(text.indexOf(anchor)).line + 2} reports domain reading only domain`,
        ]);
    });

    it("follows a condition through the names it uses, and through a loop's guard", () => {
        const crafted = parseSource(
            PARSE,
            `export function f(raw: RawConfig) {
                const src = new Source(raw);
                const p = src.problems;
                const { value: target } = src.read("target");
                const wide = target !== "local";
                for (const cidr of src.read("adminCidrs").value) {
                    if (!wide) continue;
                    p.add(src.key("adminCidrs"), cidr, "a narrower network");
                }
                if (src.text("domain")) src.problems.add(src.key("domain"), "", "no");
                target === "ssh" && p.add(src.key("ssh"), undefined, "the VM's settings");
            }`,
        );
        expect(rulesOf(crafted).map(({ reported, reads }) => ({ reported, reads }))).to.deep.equal([
            { reported: "adminCidrs", reads: ["adminCidrs", "target"] },
            { reported: "domain", reads: ["domain"] },
            { reported: "ssh", reads: ["target"] },
        ]);
    });
});
