/**
 * One operator workspace over the Automation API (issue 16, item 2): scripts/lib/workspace.ts.
 *
 * - Every script reaches a deployed stack through that one module: no other file imports @pulumi/pulumi/automation,
 *   and none starts the `pulumi` CLI itself (rung 3, the source tree read with the TypeScript parser).
 * - `up` and `preview` always carry the policy pack and the pack config of the stack's environment, whatever a
 *   caller passes; rollback's update included (rung 4: the module and the real rollback script against a stand-in
 *   `pulumi` on PATH that records what the Automation API asks it, and a stand-in `docker`).
 * - The pack config follows `freshtrack:environment`, not the stack's name, and no script can change it before an
 *   update: the config values the workspace writes are freshtrack:appVersion, through setAppVersion, and a managed
 *   database's fork (database.fork.at and .use), through setDatabaseFork (rung 3).
 *   Every other spelling of the Automation API is refused in test/boundaries.test.ts.
 * - Outputs are read without selecting the stack, secrets masked unless they may be shown; a failure is one line.
 * - Nothing gets round the pack (rung 3): OperatorStack offers exactly today's members, every `up` and `preview` in the
 *   module spreads `...policyUpOptions(...)` last in its options, and nothing the module exports has a type that is
 *   or holds the Automation API's Stack, Workspace or LocalWorkspace (read with the type checker over the real
 *   imports), so no script can reach a raw `up` (the second attack pass on issue 16's guards, #9 and #31).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { memberOf, nodesOf, parseSource, ROOT, sourceFacts, sourceFiles } from "./sourceTree";

const WORKSPACE = "scripts/lib/workspace.ts";

/** What changes a stack's config through the Automation API (@pulumi/pulumi 3.270.0 automation/stack.d.ts:132-229). */
const CONFIG_WRITERS = new Set([
    ...["setConfig", "setAllConfig", "setAllConfigJson", "removeConfig", "removeAllConfig", "refreshConfig"],
    ...["addEnvironments", "removeEnvironment", "setTag", "removeTag"],
]);

/** The keys a script may write, each through its own OperatorStack member (setAppVersion, setDatabaseFork). */
const ALLOWED_CONFIG_WRITES = ["freshtrack:appVersion", "freshtrack:database.fork.at", "freshtrack:database.fork.use"];

/**
 * Every config write of a file but setConfig("freshtrack:appVersion", ...), and the members of its OperatorStack that
 * would write config (any `set`, `remove`, `add` or `refresh` member but setAppVersion).
 */
function configWrites(file: string, text?: string): string[] {
    const p = parseSource(file, text);
    const found: string[] = [];
    for (const node of nodesOf(p)) {
        if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
            const method = node.expression.name.text;
            const [first] = node.arguments;
            // freshtrack:appVersion (rollback), and a managed database's fork (restore, issue 18): neither picks the
            // policy pack's config, which follows freshtrack:environment.
            const appVersion =
                method === "setConfig" &&
                first !== undefined &&
                ts.isStringLiteral(first) &&
                ALLOWED_CONFIG_WRITES.includes(first.text);
            if (CONFIG_WRITERS.has(method) && !appVersion)
                found.push(`${p.at(node)} ${node.getText(p.source).slice(0, 60)}`);
        }
        if (ts.isInterfaceDeclaration(node) && node.name.text === "OperatorStack")
            for (const m of node.members) {
                const name = m.name?.getText(p.source) ?? "";
                if (/^(set|remove|add|refresh)/.test(name) && !["setAppVersion", "setDatabaseFork"].includes(name))
                    found.push(`${p.at(m)} OperatorStack.${name}`);
            }
    }
    return found;
}

describe("the operator workspace is the one way to a deployed stack (rung 3, the source tree)", () => {
    const files = sourceFiles(["scripts", "operator"]);

    it("no script or operator file but scripts/lib/workspace.ts loads the Automation API", () => {
        expect(files).to.include("scripts/lib/workspace.ts");
        const loading = files.flatMap((f) =>
            sourceFacts(f)
                .imports.filter((i) => /^@pulumi\/pulumi\/automation(\/|$)/.test(i.spec))
                .map((i) => i.at),
        );
        expect(loading.map((at) => at.replace(/:\d+$/, ""))).to.deep.equal(["scripts/lib/workspace.ts"]);
    });

    it("no script or operator file starts the pulumi CLI itself", () => {
        const starting = files.flatMap((f) =>
            sourceFacts(f)
                .calls.filter((c) => /^pulumi(\s|$)/.test(c.firstArg) && !/\b(log|error|warn|write)$/.test(c.callee))
                .map((c) => `${c.at} ${c.callee}("${c.firstArg}")`),
        );
        expect(starting, starting.join("\n")).to.deep.equal([]);
    });

    it("the workspace writes no config but freshtrack:appVersion, and offers scripts no other config writer", () => {
        expect(configWrites("scripts/lib/workspace.ts")).to.deep.equal([]);
        // What it offered before: any key, so a script could set freshtrack:environment (another pack config) first.
        const before = [
            "export interface OperatorStack { setConfig(key: string, value: ConfigValue): Promise<void>; }",
            "const s = { setConfig: (key, value) => selected.setConfig(key, value) };",
            'selected.setConfig("freshtrack:appVersion", { value: v }); selected.setAllConfig({});',
        ].join("\n");
        expect(configWrites("scripts/lib/workspace.ts", before).map((f) => f.split(" ")[0])).to.deep.equal(
            [1, 2, 3].map((l) => `scripts/lib/workspace.ts:${l}`),
        );
    });

    it("the checker finds a script that would (a synthetic file)", () => {
        const text = [
            'import { LocalWorkspace } from "@pulumi/pulumi/automation";',
            'execFileSync("pulumi", ["stack", "output"]);',
            'spawnSync("pulumi up --yes");',
            'console.error("pulumi up failed");',
        ].join("\n");
        const facts = sourceFacts("scripts/example.ts", text);
        expect(facts.imports.map((i) => i.spec)).to.deep.equal(["@pulumi/pulumi/automation"]);
        expect(
            facts.calls.filter((c) => /^pulumi(\s|$)/.test(c.firstArg) && !/\b(log|error|warn|write)$/.test(c.callee)),
        ).to.have.length(2);
    });
});

/** What OperatorStack offers the scripts today; a new member (an `up` of another shape) is reviewed here first. */
const OPERATOR_STACK_MEMBERS = [
    ...["name", "outputs", "config", "setAppVersion", "setDatabaseFork", "history", "exportState"],
    ...["up", "preview"],
] as const;

/** The members of the module's OperatorStack interface, in order. */
function operatorStackMembers(text?: string): string[] {
    const p = parseSource(WORKSPACE, text);
    const found = nodesOf(p).filter(
        (n): n is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(n) && n.name.text === "OperatorStack",
    );
    expect(found, "one OperatorStack interface").to.have.length(1);
    return found[0]!.members.map((m) => m.name?.getText(p.source) ?? "[index]");
}

/** Whether `node` is `...policyUpOptions(<anything>)`, the function imported from ./policyRun. */
function isPackSpread(p: ReturnType<typeof parseSource>, node: ts.Node | undefined): boolean {
    if (!node || !ts.isSpreadAssignment(node) || !ts.isCallExpression(node.expression)) return false;
    const callee = node.expression.expression;
    if (!ts.isIdentifier(callee) || callee.text !== "policyUpOptions") return false;
    const [decl] = p.checker.getSymbolAtLocation(callee)?.declarations ?? [];
    const from = decl && ts.isImportSpecifier(decl) ? decl.parent.parent.parent.moduleSpecifier : undefined;
    return from !== undefined && ts.isStringLiteral(from) && from.text === "./policyRun";
}

/**
 * Every `up` or `preview` the module reads (a call, `x["up"]`, a destructured `{ up }`) that is not a call whose
 * options are an object literal ending in the pack's spread: a property after it (`policyPacks: []`) or a spread
 * after it (`...opts`) would override the pack, and options built elsewhere could leave it out.
 */
function upsWithoutPack(text?: string): string[] {
    const p = parseSource(WORKSPACE, text);
    const found: string[] = [];
    for (const node of nodesOf(p)) {
        const destructured =
            ts.isBindingElement(node) && /^(up|preview)$/.test((node.propertyName ?? node.name).getText(p.source));
        const member = node.parent ? memberOf(node) : undefined;
        if (!destructured && !(member && /^(up|preview)$/.test(member.name))) continue;
        const call = member?.access.parent;
        const options = call && ts.isCallExpression(call) && call.expression === member.access && call.arguments[0];
        const ok = options && ts.isObjectLiteralExpression(options) && isPackSpread(p, options.properties.at(-1));
        if (!ok) found.push(`${p.at(node)} ${(call ?? node).getText(p.source).slice(0, 80)}`);
    }
    return found;
}

/**
 * The Automation API's types that run an update themselves, with no pack unless the caller adds it, and their members
 * (`Stack["up"]`, a raw `up` on its own).
 */
const RAW_AUTOMATION = new Set(["Stack", "Workspace", "LocalWorkspace"]);
const isRawAutomation = (s: ts.Symbol | undefined): boolean =>
    (s?.declarations ?? []).some(
        (d) =>
            /\/@pulumi\/pulumi\/automation\//.test(d.getSourceFile().fileName) &&
            [d, d.parent].some(
                (n) =>
                    (ts.isClassDeclaration(n) || ts.isInterfaceDeclaration(n)) &&
                    RAW_AUTOMATION.has(n.name?.text ?? ""),
            ),
    );

/** The last program and its files: each run after the first parses only the file it changes. */
let program: ts.Program | undefined;
const FILES = new Map<string, ts.SourceFile>();

/**
 * `export: Type` for each export of the module (as on disk, or `text` in its place) whose type is or holds a raw
 * Automation API type: in a union, a type argument (`Promise<Stack>`), a member, a parameter or a return type. The
 * members of a package's own types (UpResult's) are the package's; those declared in this tree are followed.
 */
function exportsHoldingRawAutomation(text?: string): string[] {
    const file = path.join(ROOT, WORKSPACE);
    const config = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
    const host = ts.createCompilerHost(options, true);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (f, lang, ...rest) => {
        if (text !== undefined && path.resolve(f) === file) return ts.createSourceFile(f, text, lang, true);
        const known = FILES.get(f) ?? getSourceFile(f, lang, ...rest);
        if (known) FILES.set(f, known);
        return known;
    };
    program = ts.createProgram({ rootNames: [file], options, host, oldProgram: program });
    const checker = program.getTypeChecker();
    const inTree = (t: ts.Type) =>
        (t.aliasSymbol ?? t.getSymbol())?.declarations?.some(
            (d) => !/\/node_modules\//.test(d.getSourceFile().fileName),
        );
    const seen = new Set<ts.Type>();
    const holds = (t: ts.Type): string | undefined => {
        if (seen.has(t)) return undefined;
        seen.add(t);
        if (isRawAutomation(t.aliasSymbol) || isRawAutomation(t.getSymbol())) return checker.typeToString(t);
        const inner = [
            ...(t.isUnionOrIntersection() ? t.types : []),
            ...(t.aliasTypeArguments ?? []),
            ...(t.flags & ts.TypeFlags.Object && (t as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference
                ? checker.getTypeArguments(t as ts.TypeReference)
                : []),
        ];
        if (inTree(t)) {
            inner.push(...t.getProperties().map((s) => checker.getTypeOfSymbol(s)));
            for (const sig of [...t.getCallSignatures(), ...t.getConstructSignatures()])
                inner.push(sig.getReturnType(), ...sig.getParameters().map((s) => checker.getTypeOfSymbol(s)));
        }
        return inner.map(holds).find((h) => h !== undefined);
    };
    const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
    const found: string[] = [];
    for (const exported of checker.getExportsOfModule(module)) {
        const s = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
        const types = [
            ...(s.flags & ts.SymbolFlags.Value ? [checker.getTypeOfSymbol(s)] : []),
            ...(s.flags & ts.SymbolFlags.Type ? [checker.getDeclaredTypeOfSymbol(s)] : []),
        ];
        const held = isRawAutomation(s) ? s.name : types.map(holds).find((h) => h !== undefined);
        if (held !== undefined) found.push(`${exported.name}: ${held}`);
    }
    return found;
}

describe("no script gets round the policy pack (rung 3, the workspace module's syntax and types)", () => {
    it("OperatorStack offers exactly today's members", () => {
        expect(operatorStackMembers()).to.deep.equal([...OPERATOR_STACK_MEMBERS]);
    });

    it("every up and preview in the workspace spreads ...policyUpOptions(...) last in its options", () => {
        expect(upsWithoutPack()).to.deep.equal([]);
        expect(nodesOf(parseSource(WORKSPACE)).filter((n) => n.parent && memberOf(n)?.name === "up")).to.have.length(1);
    });

    it("exports nothing whose type is or holds the Automation API's Stack, Workspace or LocalWorkspace", () => {
        expect(exportsHoldingRawAutomation()).to.deep.equal([]);
    });

    // The second attack pass on issue 16's guards: realistic changes the guards above did not see before.
    const real = fs.readFileSync(path.join(ROOT, WORKSPACE), "utf8");
    const edit = (from: string, to: string): string => {
        expect(real, "the attack's anchor").to.include(from);
        return real.replace(from, to);
    };

    it("attack #9: a new OperatorStack.upTargets that calls up without the pack", () => {
        const attacked = edit(
            "    up(opts?: StackUpOptions): Promise<UpResult>;\n",
            "    up(opts?: StackUpOptions): Promise<UpResult>;\n    upTargets(t: string[]): Promise<UpResult>;\n",
        ).replace(
            "        preview: (opts",
            "        upTargets: (t) => selected.up({ target: t }),\n        preview: (opts",
        );
        expect(operatorStackMembers(attacked)).to.include("upTargets");
        expect(upsWithoutPack(attacked).map((f) => f.replace(/^\S+ /, ""))).to.deep.equal([
            "selected.up({ target: t })",
        ]);
    });

    it("finds options that override the pack, or leave it out", () => {
        const cases = [
            "s.up({ ...policyUpOptions(stack), policyPacks: [] });",
            "s.up({ ...policyUpOptions(stack), ...opts });",
            "s.preview(opts);",
            's["up"]();',
            "const { up } = s;",
            "s.up({ ...policyUpOptions(stack) });",
        ];
        const text = ['import { policyUpOptions } from "./policyRun";', ...cases].join("\n");
        expect(upsWithoutPack(text).map((f) => f.split(" ")[0])).to.deep.equal(
            [2, 3, 4, 5, 6].map((l) => `${WORKSPACE}:${l}`),
        );
        // The same name from elsewhere is not the pack.
        expect(
            upsWithoutPack('import { policyUpOptions } from "./other";\ns.up({ ...policyUpOptions(x) });'),
        ).to.have.length(1);
    });

    it("attack #31: an export that hands out the Automation API's Stack (rollback then calls raw.up())", () => {
        const attacked = [
            real,
            'import type { Workspace } from "@pulumi/pulumi/automation";',
            "export function automationStack(stack: string): Promise<Stack> {",
            "    return LocalWorkspace.selectStack({ stackName: stack, workDir: REPO_ROOT });",
            "}",
            "export interface Handle { readonly raw?: Workspace | undefined }",
            "export const workspaces = LocalWorkspace;",
            "export type { Stack as RawStack };",
            'export const rawUp: Stack["up"] = (opts) => automationStack("dev").then((s) => s.up(opts));',
        ].join("\n");
        expect(exportsHoldingRawAutomation(attacked)).to.have.members([
            "automationStack: Stack",
            "Handle: Workspace",
            "workspaces: typeof LocalWorkspace",
            "RawStack: Stack",
            "rawUp: (opts?: UpOptions | undefined) => Promise<UpResult>",
        ]);
    });
});
