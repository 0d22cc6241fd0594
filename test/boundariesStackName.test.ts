/**
 * Rung 3 (the real source tree, read with the TypeScript parser and a checker of each file's own scopes): nothing keys
 * behaviour on the stack's name (issue 16, item 1: an explicit setting, freshtrack:environment, says what a stack is
 * for). Three nets, each fed the attacks that passed an earlier one, named after the attack, then the tree:
 *
 * - No comparison of the stack's name: with a stack name's word, with a literal, or as the key of any lookup
 *   (`X.has(stack)`, `X.includes(stack)`, `X[stack]`, `stack in X`), whatever X is.
 * - No literal spells a stack name's word (prod, production, staging, dev, development) as a token, wherever it
 *   stands (`new Set(["dev", "staging"])` keys nothing yet, but is there to be keyed on), and no object key is one;
 *   each use today is listed with its reason. Prose (a literal with a space) is for people, and is caught by the first
 *   net the moment it is compared.
 * - In policy/, no rule reads a resource's URN, which holds the stack's name (`urn:pulumi:<stack>::...`): a URN only
 *   names the resource a violation is about.
 *
 * test/policyStackName.stack.test.ts runs the pack under another stack name.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import {
    bare,
    comparisons,
    expectFindings,
    nodesOf,
    outerExpression,
    Parsed,
    parseSource,
    ROOT,
    rootsOf,
    sourceFiles,
} from "./sourceTree";

const PRODUCTION = rootsOf("program", "operator", "policy");

/**
 * The shipped stacks' names and the environments they suggest, as a word of a literal ("prod", "freshtrack-prod"),
 * between separators; `/` is none, so a device path (`/dev/null`) is no stack's name.
 */
const NAME_WORD = /(^|[-_.:\s^$|()])(prod|production|staging|dev|development)([-_.:\s^$|()]|$)/i;
const WHOLE_NAME_WORD = /^(prod|production|staging|dev|development)$/i;
/** Values that hold a stack's name, or what is made from it (the name prefix `freshtrack-<stack>`). */
const STACK_VALUES = new Set(["stack", "stackName", "namePrefix"]);

/**
 * Comparisons that read such a word as a setting's value, not as a stack's name: the file, what is compared, why.
 * freshtrack:environment is the explicit setting that says what a stack is for (issue 16, item 1).
 */
const NAME_WORD_ALLOWED: ReadonlyArray<readonly [file: string, compared: string, why: string]> = [
    ["components/config/targets.ts", "environment", "a production environment's droplet has backups by default"],
    ["components/config/operations.ts", "cfg.environment", "a production environment's stack is warned without alerts"],
    ["components/edge/caddyfile.ts", "opts.tlsMode", "freshtrack:tls acme-staging is Let's Encrypt's staging CA"],
    ["scripts/lib/bench.ts", "cfg.environment", "the evaluation-time target binds production environments"],
];

const ENVIRONMENT_VALUE = "a value of freshtrack:environment, the setting that says what a stack is for";
/** Literals and object keys that spell such a word today: the file, the literal as written, why it is no stack's. */
const NAME_LITERAL_ALLOWED: ReadonlyArray<readonly [file: string, literal: string, why: string]> = [
    ["components/config/schema.ts", "development", `${ENVIRONMENT_VALUE} (ENVIRONMENTS, and its default)`],
    ["components/config/schema.ts", "staging", `${ENVIRONMENT_VALUE} (ENVIRONMENTS)`],
    ["components/config/schema.ts", "production", `${ENVIRONMENT_VALUE} (ENVIRONMENTS)`],
    ["components/config/schema.ts", "acme-staging", "a value of freshtrack:tlsMode: Let's Encrypt's staging CA"],
    ["components/config/targets.ts", "production", `${ENVIRONMENT_VALUE}: its droplet has backups by default`],
    ["components/config/operations.ts", "production", `${ENVIRONMENT_VALUE}: it is warned when alerts reach no one`],
    ["components/edge/caddyfile.ts", "acme-staging", "freshtrack:tlsMode's value for Let's Encrypt's staging CA"],
    [
        "components/edge/caddyfile.ts",
        "https://acme-staging-v02.api.letsencrypt.org/directory",
        "Let's Encrypt's staging directory, which Caddy uses in that TLS mode",
    ],
    ...["development", "staging", "production"].map(
        (e) => ["components/host/dropletHost.ts", e, `${ENVIRONMENT_VALUE}, a key of PROJECT_ENVIRONMENTS`] as const,
    ),
    ...["Development", "Staging", "Production"].map(
        (e) => ["components/host/dropletHost.ts", e, "DigitalOcean's name of a project's environment"] as const,
    ),
    ["components/services/appEnv.ts", "production", "NODE_ENV of the FreshTrack images, Node's own convention"],
    ["scripts/lib/bench.ts", "production", `${ENVIRONMENT_VALUE}: the evaluation-time target binds it`],
];

const EQUALITY = [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken];

/**
 * Lookups keyed on the stack's name that choose nothing by it: the file, the lookup as written, why. (A lookup by the
 * name is refused whatever it looks in, so a table of stacks built elsewhere cannot choose behaviour.)
 */
const KEYED_ALLOWED: ReadonlyArray<readonly [file: string, lookup: string, why: string]> = [
    [
        "scripts/lib/stackFiles.ts",
        "known.includes(stack)",
        "whether the stack exists (has a Pulumi.<stack>.yaml), to refuse an unknown one with a did-you-mean",
    ],
];

const isLiteral = (n: ts.Node) =>
    ts.isStringLiteralLike(n) || ts.isTemplateExpression(n) || ts.isRegularExpressionLiteral(n);
const literalText = (n: ts.Node) =>
    ts.isTemplateExpression(n)
        ? [n.head, ...n.templateSpans.map((s) => s.literal)].map((t) => t.text).join(" ")
        : ts.isRegularExpressionLiteral(n)
          ? n.text.slice(1, n.text.lastIndexOf("/"))
          : (n as ts.StringLiteralLike).text;
const isKey = (n: ts.Node) => ts.isIdentifier(n) && ts.isPropertyAssignment(n.parent) && n.parent.name === n;
const hasNameWord = (n: ts.Node): boolean =>
    (isKey(n) && NAME_WORD.test((n as ts.Identifier).text)) ||
    (isLiteral(n) && NAME_WORD.test(literalText(n))) ||
    (!isLiteral(n) && ts.forEachChild(n, (c) => hasNameWord(c) || undefined) === true);

/** The text of each literal piece of the file (a template's parts one by one) and of each property's own name. */
function spelled(p: Parsed): Array<{ node: ts.Node; text: string; key: boolean }> {
    const out: Array<{ node: ts.Node; text: string; key: boolean }> = [];
    for (const n of nodesOf(p)) {
        if (ts.isStringLiteralLike(n) || ts.isTemplateLiteralToken(n)) out.push({ node: n, text: n.text, key: false });
        else if (ts.isRegularExpressionLiteral(n)) out.push({ node: n, text: literalText(n), key: false });
        else if (ts.isIdentifier(n) && n.parent && (ts.isPropertyAssignment(n.parent) || ts.isEnumMember(n.parent)))
            if (n.parent.name === n) out.push({ node: n, text: n.text, key: true });
    }
    return out;
}

/** Literals spelling a stack name's word as a token, and object keys that are one, off the list. */
function nameLiteralProblems(p: Parsed, allowed = NAME_LITERAL_ALLOWED): string[] {
    return spelled(p)
        .filter(({ text, key }) => (key ? WHOLE_NAME_WORD.test(text) : !/\s/.test(text) && NAME_WORD.test(text)))
        .filter(({ text }) => !allowed.some(([f, literal]) => f === p.file && literal === text))
        .map(
            ({ node, text, key }) =>
                `${p.at(node)} spells a stack name's word as ${key ? "a key" : "a literal"}: ${text}`,
        );
}

/**
 * In policy/, each use of a resource's URN (its stack's name is in it) other than naming a violation's resource or
 * telling two resources apart (`r.parent?.urn === parent`): a URN read as text is the stack's name read. A variable set
 * to a URN is followed to its uses.
 */
function urnProblems(p: Parsed): string[] {
    if (!p.file.startsWith("policy/")) return [];
    const out: string[] = [];
    const held = new Set<ts.Symbol>();
    const isUrn = (n: ts.Node): boolean =>
        (ts.isPropertyAccessExpression(n) && n.name.text === "urn") ||
        (ts.isElementAccessExpression(n) &&
            ts.isStringLiteralLike(n.argumentExpression) &&
            n.argumentExpression.text === "urn") ||
        (ts.isIdentifier(n) && !ts.isVariableDeclaration(n.parent) && held.has(p.checker.getSymbolAtLocation(n)!));
    const problem = (n: ts.Node): string | undefined => {
        if (ts.isBindingElement(n)) return (n.propertyName ?? n.name).getText(p.source) === "urn" ? "takes" : undefined;
        if (!isUrn(n)) return undefined;
        const use = outerExpression(n).parent;
        if (ts.isCallExpression(use) && use.expression.getText(p.source).split(".").pop() === "reportViolation")
            return undefined;
        if (ts.isBinaryExpression(use) && EQUALITY.includes(use.operatorToken.kind)) return undefined;
        if (ts.isVariableDeclaration(use) && ts.isIdentifier(use.name) && use.initializer === outerExpression(n)) {
            held.add(p.checker.getSymbolAtLocation(use.name)!);
            return undefined;
        }
        return "reads";
    };
    for (const n of nodesOf(p)) {
        if (ts.isStringLiteralLike(n) && n.text.includes("urn:pulumi:"))
            out.push(`${p.at(n)} spells a URN's head: the stack's name follows it`);
        if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === "split")
            if (n.arguments.some((a) => ts.isStringLiteralLike(a) && a.text.includes("::")))
                out.push(`${p.at(n)} splits at "::", as a URN is split to read its stack`);
        const how = problem(n);
        if (how) out.push(`${p.at(n)} ${how} a resource's URN, which holds the stack's name`);
    }
    return out;
}

function stackNameProblems(p: Parsed, keyedAllowed = KEYED_ALLOWED): string[] {
    const tainted = new Set<ts.Symbol>();
    const isStackValue = (node: ts.Node): boolean => {
        const n = bare(node);
        if (ts.isCallExpression(n))
            return (
                /(^|\.)getStack$/.test(n.expression.getText(p.source)) ||
                (ts.isPropertyAccessExpression(n.expression) && isStackValue(n.expression.expression))
            );
        const symbol = ts.isIdentifier(n) ? p.checker.getSymbolAtLocation(n) : undefined;
        if (ts.isIdentifier(n)) return STACK_VALUES.has(n.text) || (symbol !== undefined && tainted.has(symbol));
        if (ts.isPropertyAccessExpression(n)) return STACK_VALUES.has(n.name.text);
        return ts.isTemplateExpression(n) && n.templateSpans.some((s) => isStackValue(s.expression));
    };
    // A variable set from the stack's name holds it too (`const s = pulumi.getStack()`).
    for (const node of nodesOf(p)) {
        const symbol = ts.isVariableDeclaration(node) ? p.checker.getSymbolAtLocation(node.name) : undefined;
        if (symbol && ts.isVariableDeclaration(node) && node.initializer && isStackValue(node.initializer))
            tainted.add(symbol);
    }
    const out: string[] = [];
    for (const { node, how, sides } of comparisons(p)) {
        const [first, ...others] = sides;
        // The other side names what is compared with the word: an exception names that.
        const word = sides.findIndex(hasNameWord);
        const compared = (word === 0 ? others[0] : first)!.getText(p.source);
        const literal = sides.some((s) => isLiteral(s) || ts.isArrayLiteralExpression(s));
        // A lookup or a method given the stack's name keys on it, whatever it looks in (`TRIAL_STACKS.has(stack)`).
        const keyed = (how === "looks up" || how === "matches") && others.some(isStackValue);
        const withLiteral = how !== "looks up" && sides.some(isStackValue) && literal;
        if (word < 0 && !keyed && !withLiteral) continue;
        if (word >= 0 && NAME_WORD_ALLOWED.some(([f, c]) => f === p.file && c === compared)) continue;
        if (word < 0 && keyedAllowed.some(([f, l]) => f === p.file && l === node.getText(p.source))) continue;
        const what = word >= 0 ? "a stack name's word" : "the stack's name";
        out.push(`${p.at(node)} ${how} ${what}: ${node.getText(p.source).slice(0, 80)}`);
    }
    return [...out, ...nameLiteralProblems(p), ...urnProblems(p)];
}

/** The findings in `attack` added to the end of today's `file`, each `:line` counted from the attack's first line. */
function onToday(file: string, attack: string): string[] {
    const today = fs.readFileSync(path.join(ROOT, file), "utf8");
    const offset = today.split("\n").length;
    return stackNameProblems(parseSource(file, `${today}\n${attack}`)).map((f) =>
        f.replace(/^.*?:(\d+)/, (_, line: string) => `:${Number(line) - offset}`),
    );
}

const linesOf = (file: string, text: string) => [
    ...new Set(stackNameProblems(parseSource(file, text)).map((f) => f.split(" ")[0])),
];

describe("boundaries: nothing keys behaviour on the stack's name", () => {
    it("the checker finds each way to compare the stack's name (crafted)", () => {
        const attack = [
            'import * as pulumi from "@pulumi/pulumi";',
            'const s = pulumi.getStack(); if (s === "anything") {}',
            'if (cfg.stack !== "freshtrack-prod") {}',
            'switch (mode) { case "staging": break; }',
            'if (["prod", "dev"].includes(x)) {}',
            "if (/prod/.test(name)) {}",
            "const backups = { prod: true, dev: false }[env];",
            'if (args.namePrefix.endsWith("-live")) {}',
            'const t = TABLE[stack]; if (`${stack}` == "x") {}',
            'if (environment === "production") {}',
        ].join("\n");
        expect(linesOf("components/a.ts", attack)).to.deep.equal(
            [2, 3, 4, 5, 6, 7, 8, 9, 10].map((l) => `components/a.ts:${l}`),
        );
        // The exception holds in its own file only.
        expect(linesOf("components/config/targets.ts", attack)).to.not.include("components/config/targets.ts:10");
        expect(stackNameProblems(parseSource("scripts/lib/confirm.ts", "if (answer.trim() === stack) {}"))).to.be.empty;
    });

    it("attack #5: a set of trial stacks in scripts/deploy.ts, and a lookup keyed on the stack (added to today's file)", () => {
        const attack = [
            'const TRIAL_STACKS = new Set(["dev", "staging"]);',
            "if (!TRIAL_STACKS.has(stack)) await preflight(cfg);",
            "const trials = new Set(process.env.TRIALS?.split(','));",
            "if (trials.has(stack) || LIST.includes(pulumi.getStack()) || stack in SKIP || OTHER.get(stackName)) {}",
        ].join("\n");
        expectFindings(onToday("scripts/deploy.ts", attack), [
            ":1 spells a stack name's word as a literal: dev",
            ":1 spells a stack name's word as a literal: staging",
            ":2 matches the stack's name: TRIAL_STACKS.has(stack)",
            ":4 matches the stack's name: trials.has(stack)",
            ":4 matches the stack's name: LIST.includes(pulumi.getStack())",
            ":4 looks up the stack's name: stack in SKIP",
            ":4 matches the stack's name: OTHER.get(stackName)",
        ]);
    });

    it("attack #36: a policy reading the stack from a droplet's URN to loosen its headroom (added to today's file)", () => {
        const attack = [
            'const TIGHT = new Set(["prod", "staging"]);',
            'const stackOf = (urn: string) => urn.slice("urn:pulumi:".length).split("::")[0];',
            "const headroom = droplets.some((d) => TIGHT.has(stackOf(d.urn))) ? 0.05 : 0.1;",
            "const { urn } = droplets[0]; const other = String(droplets[1]['urn']);",
            "const parent = c.parent?.urn; const mine = droplets.filter((r) => r.parent?.urn === parent);",
            "reportViolation(`droplet ${d.name} has too little headroom`, d.urn); const p2 = parent.split(':');",
        ].join("\n");
        expectFindings(onToday("policy/rules/stack.ts", attack), [
            ":1 spells a stack name's word as a literal: prod",
            ":1 spells a stack name's word as a literal: staging",
            ":2 spells a URN's head",
            ':2 splits at "::"',
            ":3 reads a resource's URN",
            ":4 takes a resource's URN",
            ":4 reads a resource's URN",
            ":6 reads a resource's URN",
        ]);
        // Outside policy/ a URN is an operator's handle on a resource (deploy's --replace), not read for a stack.
        expect(urnProblems(parseSource("scripts/deploy.ts", attack))).to.be.empty;
    });

    it("no file of components/, operator/, scripts/ or policy/ does, but the named exceptions", () => {
        const found = sourceFiles(PRODUCTION).flatMap((f) => stackNameProblems(parseSource(f)));
        expect(found, `\n${found.join("\n")}\n`).to.be.empty;
    });

    it("each exception excuses a comparison or a literal that is there today (a stale one would excuse a new one)", () => {
        for (const [file, compared] of NAME_WORD_ALLOWED) {
            const text = fs.readFileSync(path.join(ROOT, file), "utf8");
            const unexcused = text.replace(new RegExp(`\\b${compared.replace(/\./g, "\\.")}\\b`, "g"), "other");
            expect(stackNameProblems(parseSource(file, unexcused)), file).to.not.be.empty;
        }
        for (const [file, lookup] of KEYED_ALLOWED) {
            const found = stackNameProblems(parseSource(file), []);
            expect(
                found.some((f) => f.endsWith(`: ${lookup}`)),
                `${file}: ${lookup}`,
            ).to.equal(true);
        }
        for (const [file, literal] of NAME_LITERAL_ALLOWED) {
            const found = nameLiteralProblems(parseSource(file), []);
            expect(
                found.some((f) => f.endsWith(`: ${literal}`)),
                `${file}: ${literal}`,
            ).to.equal(true);
        }
    });
});
