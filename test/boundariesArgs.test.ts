/**
 * Rung 3 (the real source tree, components/ parsed into one program whose checker follows each name to its
 * declaration): tiers take values, not neighbours (issue 16, item 3). No component's args name StackConfig or a
 * component the stack composes, however the name is spelled: renamed on import (`StackConfig as Settings`), through a
 * type alias, as `typeof Tier` or `InstanceType<typeof Tier>`, in an args type that is not exported, or in a
 * constructor's parameter typed by something not called `*Args`. Nor do the parameters of a component's public methods,
 * setters and function-valued properties (`MonitoringTier.watch(app: AppTier)`, called after construction) or of a
 * function components/ exports, however it is exported (`export { f }`, `export default`). The checker is fed each way
 * around it the attack passes found, named after the attack, then the tree.
 */
import { expect } from "chai";
import * as ts from "typescript";
import {
    nodesOf,
    Parsed,
    parseProgram,
    referenceName,
    resolvedSymbol,
    resolvedTypeReferences,
    sourceFiles,
} from "./sourceTree";

/** Where the stack composes its components: deployStack, and the host it picks. */
const STACK_FILES = ["components/stack.ts", "components/host/index.ts"];

/** Args that name a forbidden type today: the property's trail, the name, and why it may. */
const ARGS_ALLOWED: ReadonlyArray<readonly [at: string, names: string, why: string]> = [
    // Pick<Edge, "urls" | "adminPassword">: typed by the edge's own fields, and no other member of it is reachable.
    ["VerificationArgs.edge", "Edge", "two outputs of the edge: the URLs to check and the admin password to log in"],
];

/**
 * Parameters of public methods and exported functions that name a forbidden type today: the trail, the name, and why.
 * Each is the composer's own helper (called by deployStack, or by the operator's scripts on the whole stack), not a
 * way into a tier: the rule is that a tier never sees the config or a neighbour, and these hand tiers values.
 */
const PARAMS_ALLOWED: ReadonlyArray<readonly [at: string, names: string, why: string]> = [
    ["placeholderValues(cfg)", "StackConfig", "deployStack and scripts/deploy.ts refuse a config's example values"],
    ["createHost(cfg)", "StackConfig", "deployStack picks the host for the stack's target from the config"],
    ["hostPreflight(cfg)", "StackConfig", "the pre-flight settings are derived from the config, for the host"],
    ["preflightScriptFor(cfg)", "StackConfig", "scripts/preflight.ts renders the whole stack's pre-flight script"],
    [
        "appImageSources(cfg)",
        "StackConfig",
        "deployStack picks built or pulled images from the config's image settings",
    ],
    ...[
        ["networks", "Networks"],
        ["volumes", "DataVolumes"],
        ["secrets", "GeneratedSecrets"],
    ].map(
        ([field, names]) =>
            [
                `pickPlatform(platform)(Platform).${field}`,
                names!,
                "deployStack's helper that cuts the whole platform into each tier's part: its input is the whole",
            ] as const,
    ),
];
const ALLOWED = [...ARGS_ALLOWED, ...PARAMS_ALLOWED];

const isArgsDeclaration = (n: ts.Node): n is ts.InterfaceDeclaration | ts.TypeAliasDeclaration =>
    (ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n)) && /Args$/.test(n.name.text);

/** The classes of `files` that are components: they extend ComponentResource, or a class that does. */
function componentClasses(files: readonly Parsed[]): Map<ts.Symbol, ts.ClassDeclaration> {
    const checker = files[0]!.checker;
    const classes = files.flatMap(nodesOf).filter((n): n is ts.ClassDeclaration => ts.isClassDeclaration(n));
    const components = new Map<ts.Symbol, ts.ClassDeclaration>();
    for (let grown = true; grown;) {
        grown = false;
        for (const c of classes) {
            const symbol = c.name && checker.getSymbolAtLocation(c.name);
            const base = c.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
            if (!symbol || !base || components.has(symbol)) continue;
            const baseSymbol = resolvedSymbol(checker, ts.isPropertyAccessExpression(base) ? base.name : base);
            if (referenceName(base) === "ComponentResource" || (baseSymbol && components.has(baseSymbol))) {
                components.set(symbol, c);
                grown = true;
            }
        }
    }
    return components;
}

const isPublic = (m: ts.ClassElement): boolean =>
    !(m.name && ts.isPrivateIdentifier(m.name)) &&
    !(ts.getCombinedModifierFlags(m) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected));

/** The function an expression is, seen through parentheses and type assertions (`(f) as F`), if it is one. */
function functionValue(e: ts.Expression | undefined): ts.SignatureDeclaration | undefined {
    while (e && (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)))
        e = e.expression;
    return e && (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) ? e : undefined;
}

/**
 * The members a caller reaches after construction: public methods, setters (`tier.app = app`) and properties holding a
 * function (`readonly follow = (app: AppTier) => ...`), each as callable as a method.
 */
function publicCallables(c: ts.ClassDeclaration): Array<{ name: string; f: ts.SignatureDeclaration }> {
    return c.members.flatMap((m) => {
        if (!isPublic(m) || !m.name) return [];
        const f =
            ts.isMethodDeclaration(m) || ts.isSetAccessorDeclaration(m)
                ? m
                : ts.isPropertyDeclaration(m)
                  ? functionValue(m.initializer)
                  : undefined;
        return f ? [{ name: m.name.getText(), f }] : [];
    });
}

/**
 * The functions `files` export, each once however many ways it is exported: `export function f`, `export const f =` a
 * function, `function f` then `export { f }` or `export default f`, `export default` a function, and each again through
 * a barrel. The checker lists a module's exports whatever the syntax, so a way of exporting is not a way around.
 */
function exportedFunctions(files: readonly Parsed[]): Array<{ p: Parsed; name: string; f: ts.SignatureDeclaration }> {
    const checker = files[0]!.checker;
    const found = new Map<ts.SignatureDeclaration, { p: Parsed; name: string; f: ts.SignatureDeclaration }>();
    for (const p of files) {
        const module = checker.getSymbolAtLocation(p.source);
        for (const exported of module ? checker.getExportsOfModule(module) : []) {
            const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
            for (const d of symbol.declarations ?? []) {
                const f = ts.isFunctionDeclaration(d)
                    ? d
                    : ts.isVariableDeclaration(d) || ts.isExportAssignment(d)
                      ? functionValue(ts.isVariableDeclaration(d) ? d.initializer : d.expression)
                      : undefined;
                const owner = files.find((o) => o.source === d.getSourceFile());
                if (f && owner && !found.has(f))
                    found.set(f, { p: owner, name: ts.getNameOfDeclaration(d)?.getText() ?? "default", f });
            }
        }
    }
    return [...found.values()];
}

/** The typed parameters of a method or function as roots, named `Owner.method(param)` or `function(param)`. */
function paramRoots(p: Parsed, name: string, f: ts.SignatureDeclaration) {
    return f.parameters.flatMap((param) =>
        param.type ? [{ p, name: `${name}(${param.name.getText()})`, node: param.type as ts.Node }] : [],
    );
}

/**
 * Where the args of a component name StackConfig or a component the stack composes (a tier, the host, the platform),
 * through every interface, type alias and `typeof` they reach, each name resolved by the checker. The roots: every
 * `*Args` interface or type alias, exported or not, and every parameter of a component's constructor after its name
 * (unless it is typed by one of those roots alone, which is checked as such). A section of the config
 * (`StackConfig["resources"]`) is data, not the config, and may be named; so may a Service, which args take to order
 * containers (`requires`), as they would take any resource.
 */
function argsProblems(files: readonly Parsed[], allowed = ALLOWED): string[] {
    const checker = files[0]!.checker;
    const components = componentClasses(files);
    const symbolOf = (n: ts.Node) => resolvedSymbol(checker, n);
    const roots: Array<{ p: Parsed; name: string; node: ts.Node }> = [];
    for (const p of files)
        for (const node of nodesOf(p)) if (isArgsDeclaration(node)) roots.push({ p, name: node.name.text, node });
    for (const [, c] of components) {
        const p = files.find((f) => f.source === c.getSourceFile())!;
        const constructor = c.members.find(ts.isConstructorDeclaration);
        for (const param of constructor?.parameters.slice(1) ?? []) {
            const type = param.type;
            if (!type) continue;
            const target = ts.isTypeReferenceNode(type) && !type.typeArguments ? symbolOf(type.typeName) : undefined;
            if (target?.declarations?.length && target.declarations.every(isArgsDeclaration)) continue;
            roots.push({ p, name: `new ${c.name!.text}(${param.name.getText()})`, node: type });
        }
        // A method called after construction (`tier.watch(app)`) is a way in just as the constructor is.
        for (const { name, f } of publicCallables(c)) roots.push(...paramRoots(p, `${c.name!.text}.${name}`, f));
    }
    for (const { p, name, f } of exportedFunctions(files)) roots.push(...paramRoots(p, name, f));
    const composed = files
        .filter((p) => STACK_FILES.includes(p.file))
        .flatMap(nodesOf)
        .filter(ts.isNewExpression)
        .map((n) => symbolOf(ts.isPropertyAccessExpression(n.expression) ? n.expression.name : n.expression));
    const config = files
        .flatMap((p) => p.source.statements)
        .filter((n) => (ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n)) && n.name.text === "StackConfig")
        .map((n) => checker.getSymbolAtLocation((n as ts.InterfaceDeclaration).name));
    const forbidden = new Set([...config, ...composed.filter((s) => s && components.has(s))]);
    const isConfig = (s: ts.Symbol) => config.includes(s);
    const isSection = (n: ts.Node) =>
        ts.isIndexedAccessTypeNode(n.parent) && n.parent.objectType === n && ts.isLiteralTypeNode(n.parent.indexType);
    const found = roots.flatMap(({ p, name, node }) =>
        resolvedTypeReferences(checker, node, name, (s) => !forbidden.has(s))
            .filter((r) => forbidden.has(r.symbol) && !(isConfig(r.symbol) && isSection(r.node)))
            .filter((r) => !allowed.some(([at, names]) => at === r.trail && names === r.symbol.name))
            .map((r) => {
                const spelled = ts.isTypeReferenceNode(r.node) ? referenceName(r.node.typeName) : r.node.getText();
                const as = spelled === r.symbol.name ? "" : ` (as ${r.node.getText()})`;
                return `${p.file}: ${r.trail} names ${r.symbol.name}${as}`;
            }),
    );
    return [...new Set(found)];
}

/** The composing files of the crafted cases: the stack news the tiers; the config's types are re-exported. */
const CRAFTED_BASE: Readonly<Record<string, string>> = {
    "components/stack.ts": [
        'import { AppTier } from "./services/appTier";',
        'import { DataTier } from "./services/dataTier";',
        'import { Edge } from "./edge/caddy";',
        "new DataTier(); new AppTier(); new Edge();",
    ].join("\n"),
    "components/config/types.ts": "export interface StackConfig { readonly resources: { readonly caddy: string } }",
    "components/config/index.ts": 'export type * from "./types";',
    "components/services/dataTier.ts":
        'import * as pulumi from "@pulumi/pulumi";\nexport class DataTier extends pulumi.ComponentResource {}',
    "components/services/appTier.ts":
        'import * as pulumi from "@pulumi/pulumi";\nexport class AppTier extends pulumi.ComponentResource {}',
    "components/service.ts":
        'import * as pulumi from "@pulumi/pulumi";\nexport class Service extends pulumi.ComponentResource {}',
};

const crafted = (texts: Readonly<Record<string, string>>) =>
    argsProblems(parseProgram([], { ...CRAFTED_BASE, ...texts }));

const EDGE_HEAD = [
    'import * as pulumi from "@pulumi/pulumi";',
    'import type { StackConfig } from "../config";',
    'import { DataTier } from "../services/dataTier";',
    'import type { Service } from "../service";',
].join("\n");

/** A crafted monitoring tier up to its first member: the config (renamed) and two neighbours in scope, plain args. */
const MONITORING_HEAD = [
    'import * as pulumi from "@pulumi/pulumi";',
    'import type { StackConfig as Settings } from "../config";',
    'import type { AppTier } from "../services/appTier";',
    'import { DataTier } from "../services/dataTier";',
    "export class MonitoringTier extends pulumi.ComponentResource {",
    "    constructor(n: string, args: { readonly port: number }) { super(); }",
].join("\n");

describe("boundaries: tiers take values, not neighbours (no component's args name StackConfig or a component)", () => {
    it("the checker finds the config or a component in args, however deep (crafted)", () => {
        const edge = [
            EDGE_HEAD,
            "interface Context { readonly cfg: StackConfig }",
            'type Limits = Pick<StackConfig["resources"], "caddy">;',
            "export interface EdgeArgs extends Context {",
            '    readonly data: Pick<DataTier, "endpoints">; readonly limits: Limits; readonly requires: Service[] }',
            "export class Edge extends pulumi.ComponentResource {",
            "    constructor(n: string, args: { after: Edge[] }) { super(); } }",
        ].join("\n");
        expect(crafted({ "components/edge/caddy.ts": edge })).to.deep.equal([
            "components/edge/caddy.ts: EdgeArgs(Context).cfg names StackConfig",
            "components/edge/caddy.ts: EdgeArgs.data names DataTier",
            "components/edge/caddy.ts: new Edge(args).after names Edge",
        ]);
    });

    it("attacks #2 and #3: the config or a tier renamed on import, or named by typeof (crafted)", () => {
        const monitoring = [
            'import * as pulumi from "@pulumi/pulumi";',
            'import type { StackConfig as Settings } from "../config";',
            'import type { AppTier as Application } from "../services/appTier";',
            'import { DataTier } from "../services/dataTier";',
            "type Neighbour = Application;",
            "export interface MonitoringTierArgs {",
            "    readonly settings?: Settings;",
            "    readonly app?: Application;",
            '    readonly limits: Settings["resources"];',
            "    readonly tier?: InstanceType<typeof DataTier>;",
            "    readonly next?: Neighbour;",
            '    readonly later?: import("../services/appTier").AppTier;',
            "}",
            "export class MonitoringTier extends pulumi.ComponentResource {",
            "    constructor(n: string, args: MonitoringTierArgs) { super(); } }",
        ].join("\n");
        expect(crafted({ "components/monitoring/monitoringTier.ts": monitoring })).to.deep.equal([
            "components/monitoring/monitoringTier.ts: MonitoringTierArgs.settings names StackConfig (as Settings)",
            "components/monitoring/monitoringTier.ts: MonitoringTierArgs.app names AppTier (as Application)",
            "components/monitoring/monitoringTier.ts: MonitoringTierArgs.tier names DataTier (as typeof DataTier)",
            "components/monitoring/monitoringTier.ts: MonitoringTierArgs.next(Neighbour) names AppTier (as Application)",
            'components/monitoring/monitoringTier.ts: MonitoringTierArgs.later names AppTier (as import("../services/appTier").AppTier)',
        ]);
    });

    it("attack #4: args not exported, or a constructor's args typed by another name (crafted)", () => {
        const edge = (args: string) =>
            [
                EDGE_HEAD,
                "interface EdgeArgs { readonly domain: string; readonly data?: DataTier }",
                "interface EdgeInputs { readonly settings: StackConfig }",
                `export class Edge extends pulumi.ComponentResource { constructor(n: string, ${args}) { super(); } }`,
            ].join("\n");
        const found = (args: string) => crafted({ "components/edge/caddy.ts": edge(args) });
        expect(found("args: EdgeArgs")).to.deep.equal(["components/edge/caddy.ts: EdgeArgs.data names DataTier"]);
        expect(found("args: EdgeInputs & { readonly extra?: string }")).to.deep.equal([
            "components/edge/caddy.ts: EdgeArgs.data names DataTier",
            "components/edge/caddy.ts: new Edge(args)(EdgeInputs).settings names StackConfig",
        ]);
        // A subclass of a component is a component: its constructor's args are checked too.
        const sub = `${edge("args: EdgeArgs")}\nexport class Sub extends Edge { constructor(n: string, a: EdgeInputs) {} }`;
        expect(crafted({ "components/edge/caddy.ts": sub })).to.include(
            "components/edge/caddy.ts: new Sub(a)(EdgeInputs).settings names StackConfig",
        );
    });

    it("attack #5: a public method or an exported function taking the config or a whole neighbour (crafted)", () => {
        const monitoring = [
            MONITORING_HEAD,
            "    watch(app: AppTier): void {}",
            "    static fromConfig(cfg: Settings, port: number): void {}",
            "    private attach(d: DataTier): void {}",
            "    protected reattach(d: DataTier): void {}",
            "    #hidden(d: DataTier): void {}",
            "}",
            "export function scrapeTargets(cfg: Settings): string[] { return []; }",
            "export const probe = (tier: InstanceType<typeof DataTier>, port: number) => port;",
            "function internal(cfg: Settings): void {}",
            'export function fine(port: number, limits: Settings["resources"]): void {}',
        ].join("\n");
        expect(crafted({ "components/monitoring/monitoringTier.ts": monitoring })).to.deep.equal([
            "components/monitoring/monitoringTier.ts: MonitoringTier.watch(app) names AppTier",
            "components/monitoring/monitoringTier.ts: MonitoringTier.fromConfig(cfg) names StackConfig (as Settings)",
            "components/monitoring/monitoringTier.ts: scrapeTargets(cfg) names StackConfig (as Settings)",
            "components/monitoring/monitoringTier.ts: probe(tier) names DataTier (as typeof DataTier)",
        ]);
    });

    it("attack #6: a public function-valued property, or a function exported by name or as default (crafted)", () => {
        const monitoring = [
            MONITORING_HEAD,
            "    readonly follow = (app: AppTier) => {};",
            "    static readonly fromData = function (d: DataTier): void {};",
            "    set neighbour(app: AppTier) {}",
            "    private readonly attach = (d: DataTier) => {};",
            "    #hidden = (d: DataTier) => {};",
            "    readonly port = 9090;",
            "}",
            "function internal(cfg: Settings): void {}",
            "const renamed = ((d: DataTier) => 0);",
            "function unexported(cfg: Settings): void {}",
            "export { internal, renamed as scrape };",
            "export default (cfg: Settings) => cfg;",
        ].join("\n");
        const alerts = [
            'import type { StackConfig } from "../config";',
            "function alertRules(cfg: StackConfig): string { return ''; }",
            "export default alertRules;",
        ].join("\n");
        // A barrel re-exports them all again: each is one way in, found once.
        const barrel = 'export * from "./monitoringTier";\nexport { default as alerts } from "./alerts";';
        const found = crafted({
            "components/monitoring/monitoringTier.ts": monitoring,
            "components/monitoring/alerts.ts": alerts,
            "components/monitoring/index.ts": barrel,
        });
        expect(found).to.have.members([
            "components/monitoring/monitoringTier.ts: MonitoringTier.follow(app) names AppTier",
            "components/monitoring/monitoringTier.ts: MonitoringTier.fromData(d) names DataTier",
            "components/monitoring/monitoringTier.ts: MonitoringTier.neighbour(app) names AppTier",
            "components/monitoring/monitoringTier.ts: internal(cfg) names StackConfig (as Settings)",
            "components/monitoring/monitoringTier.ts: renamed(d) names DataTier",
            "components/monitoring/monitoringTier.ts: default(cfg) names StackConfig (as Settings)",
            "components/monitoring/alerts.ts: alertRules(cfg) names StackConfig",
        ]);
        expect(found).to.have.lengthOf(7);
    });

    it("no component's args in components/ do, but the named exceptions, each of which is there today", () => {
        const files = parseProgram(sourceFiles(["components"]));
        for (const f of STACK_FILES) expect(files.map((p) => p.file)).to.include(f);
        const found = argsProblems(files);
        expect(found, `\n${found.join("\n")}\n`).to.be.empty;
        const unexcused = argsProblems(files, []).map((f) => f.replace(/^.*?: /, ""));
        for (const [at, names] of ALLOWED) expect(unexcused).to.include(`${at} names ${names}`);
    });

    it("the attacks, applied to today's files, are found (the tree's tiers are roots and are composed)", () => {
        const tree = sourceFiles(["components"]);
        const files = parseProgram(tree);
        const names = [...componentClasses(files).values()].map((c) => c.name!.text);
        expect(names).to.include.members(["DataTier", "AppTier", "Edge", "MonitoringTier", "Service"]);
        const today = (file: string) => files.find((f) => f.file === file)!.source.text;
        const attack = (file: string, imports: string, from: string, to: string) => {
            expect(today(file)).to.include(from);
            return argsProblems(parseProgram(tree, { [file]: `${imports}\n${today(file).replace(from, to)}` }));
        };
        const monitoring = "components/monitoring/monitoringTier.ts";
        const tierArgs = "export interface MonitoringTierArgs extends MonitoringContext {";
        expect(
            attack(
                monitoring,
                'import type { StackConfig as Settings } from "../config";\n' +
                    'import type { AppTier as Application } from "../services/appTier";',
                tierArgs,
                `${tierArgs}\n    readonly settings?: Settings;\n    readonly app?: Application;`,
            ),
        ).to.deep.equal([
            `${monitoring}: MonitoringTierArgs.settings names StackConfig (as Settings)`,
            `${monitoring}: MonitoringTierArgs.app names AppTier (as Application)`,
        ]);
        const edgeArgs = "export interface EdgeArgs extends EdgePlatform {";
        expect(
            attack(
                "components/edge/caddy.ts",
                'import type { DataTier } from "../services/dataTier";',
                edgeArgs,
                "interface EdgeArgs extends EdgePlatform {\n    readonly data?: DataTier;",
            ),
        ).to.deep.equal(["components/edge/caddy.ts: EdgeArgs.data names DataTier"]);
        const tierClass = "export class MonitoringTier extends pulumi.ComponentResource {";
        expect(
            attack(
                monitoring,
                'import type { AppTier } from "../services/appTier";',
                tierClass,
                `${tierClass}\n    watch(app: AppTier): void {\n        void app;\n    }`,
            ),
        ).to.deep.equal([`${monitoring}: MonitoringTier.watch(app) names AppTier`]);
    });
});
