/**
 * Rung 3 (the real source tree, read with the TypeScript parser and a checker of each file's own scopes): the
 * boundaries issue 16 draws, closed against every spelling the attack pass found around them. Each checker is fed
 * crafted source first, so the way around it stays in the suite, then the tree.
 *
 * - Only scripts/lib/workspace.ts reaches the Automation API, however it is spelled.
 * - Only the files that need a child process start one, each only the programs named for it, never through a shell.
 * - Nothing keys behaviour on the stack's name (test/policyStackName.stack.test.ts runs the pack under another name).
 * - Tiers take values, not neighbours: no component's args name StackConfig or another component.
 *
 * test/layout.test.ts holds the rules of where code lives: the program's allow-list of modules and globals, config
 * read in components/config/ alone, every file under a root tsconfig.json covers, and the line limit.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import {
    bare,
    comparisons,
    expectFindings,
    isGlobalRef,
    isSpecifier,
    memberChain,
    moduleLoads,
    moduleName,
    nodesOf,
    outerExpression,
    Parsed,
    parseSource,
    propertyValues,
    referenceName,
    ROOT,
    rootsOf,
    sourceFiles,
    stringsPassed,
    typeDeclarations,
    typeReferences,
} from "./sourceTree";

const PRODUCTION = rootsOf("program", "operator", "policy");
const treeProblems = (files: readonly string[], check: (p: Parsed) => string[]) =>
    files.flatMap((f) => check(parseSource(f)));
const stringsOf = (p: Parsed) => nodesOf(p).filter((n): n is ts.StringLiteralLike => ts.isStringLiteralLike(n));

// --- The Automation API ----------------------------------------------------------------------------------------------

const WORKSPACE = "scripts/lib/workspace.ts";
const AUTOMATION_PATH = /(^|\/)@pulumi\/pulumi\/automation(\/|$)/;
/** The Automation API's entry points; @pulumi/pulumi 3.270.0 index.d.ts:10,17 also exports it as `automation`. */
const AUTOMATION_NAMES = new Set(["automation", "LocalWorkspace", "RemoteWorkspace", "PulumiCommand"]);

function automationProblems(p: Parsed): string[] {
    if (p.file === WORKSPACE) return [];
    const out: string[] = [];
    for (const load of moduleLoads(p)) {
        if (load.spec === undefined)
            out.push(`${load.at} loads a module named at run time: it could be the Automation API`);
        else if (AUTOMATION_PATH.test(load.spec)) out.push(`${load.at} loads ${load.spec}`);
        else if (moduleName(load.spec) === "@pulumi/pulumi")
            for (const use of load.uses.filter((u) => !u.typeOnly || u.member === "automation")) {
                if (use.member === "automation") out.push(`${p.at(use.node)} takes automation from ${load.spec}`);
                else if (use.member === undefined)
                    out.push(`${p.at(use.node)} takes ${load.spec} whole, automation with it`);
            }
    }
    for (const node of nodesOf(p))
        if ((ts.isIdentifier(node) || ts.isStringLiteralLike(node)) && AUTOMATION_NAMES.has(node.text))
            out.push(`${p.at(node)} names ${node.text}`);
    return out;
}

describe("boundaries: only scripts/lib/workspace.ts reaches the Automation API", () => {
    it("the checker finds every spelling of it (crafted source)", () => {
        const attack = [
            'import * as pulumi from "@pulumi/pulumi";',
            "pulumi.automation.LocalWorkspace.selectStack;",
            'import { automation as a } from "@pulumi/pulumi";',
            'const p2 = require("@pulumi/pulumi").automation;',
            'const { automation: auto } = require("@pulumi/pulumi");',
            'const p3 = await import("@pulumi/pulumi"); p3["auto" + "mation"];',
            'import("@pulumi/pulumi/automation");',
            'const name = "@pulumi/pulumi"; require(name);',
            "const whole = pulumi; a; p2; auto; whole;",
        ].join("\n");
        // Each spelling is caught by what it loads and takes; the names are a second net.
        const takes = (line: number) => [`:${line} takes automation from @pulumi/pulumi`, `:${line} names automation`];
        expectFindings(
            automationProblems(parseSource("scripts/attack.ts", attack)).map((f) => f.replace("scripts/attack.ts", "")),
            [
                ...[2, 3, 4, 5].flatMap(takes),
                ":2 names LocalWorkspace",
                ":6 takes @pulumi/pulumi whole",
                ":7 loads @pulumi/pulumi/automation",
                ":8 loads a module named at run time",
                ":9 takes @pulumi/pulumi whole",
                ":9 takes automation from @pulumi/pulumi",
            ],
        );
        expect(
            automationProblems(parseSource("scripts/ok.ts", 'import * as pulumi from "@pulumi/pulumi";\npulumi.log;')),
        ).to.be.empty;
    });

    it("no program, script, operator or policy file but scripts/lib/workspace.ts does", () => {
        const files = sourceFiles(PRODUCTION);
        expect(files).to.include(WORKSPACE);
        const found = treeProblems(files, automationProblems);
        expect(found, `\n${found.join("\n")}\n`).to.be.empty;
    });
});

// --- Child processes -------------------------------------------------------------------------------------------------

/** Modules that start processes or threads that run any code they are given. */
const PROCESS_MODULES = new Set(["child_process", "cluster", "worker_threads", "vm"]);
/**
 * Calls whose first argument is the program. exec and execSync are none: they hand their text to a shell
 * (@types/node 20.19.43 child_process.d.ts:912-913, 1404).
 */
const SPAWNERS = new Set(["spawn", "spawnSync", "execFile", "execFileSync", "fork"]);

/** The files that may start a process, the programs each may start, and why. */
const PROCESS_ALLOWED: Readonly<Record<string, { programs: readonly string[]; why: string }>> = {
    "scripts/lib/hostDocker.ts": { programs: ["docker", "ssh"], why: "docker here, or over ssh on the stack's host" },
    "scripts/preflight.ts": { programs: ["ssh"], why: "the pre-flight script, run on the host over ssh" },
};

/**
 * Members of `process` that reach past the module system: dlopen loads native code (@types/node 20.19.43
 * process.d.ts:720-744); binding and _linkedBinding, untyped and undocumented, hand out Node's internal bindings,
 * the process spawner among them. (getBuiltinModule is read as a module load, by moduleLoads.)
 */
const PROCESS_MEMBERS = new Set(["binding", "_linkedBinding", "dlopen"]);

/** Why a spawn call may start another program than `programs`, or start a shell; undefined when it cannot. */
function spawnProblem(p: Parsed, call: ts.CallExpression, programs: readonly string[]): string | undefined {
    const [program, ...rest] = call.arguments;
    // After the program: its arguments (any array), options (an object written out here), a callback.
    for (const [i, arg] of rest.entries()) {
        if (ts.isFunctionLike(arg) || (i === 0 && !ts.isObjectLiteralExpression(bare(arg)))) continue;
        const shell = propertyValues(arg, "shell");
        if ("problem" in shell) return `its options are ${shell.problem}`;
        if (shell.values.some((v) => v.kind !== ts.SyntaxKind.FalseKeyword)) return "it sets shell";
    }
    const started = stringsPassed(p, program);
    if ("problem" in started) return `its program is ${started.problem}`;
    const other = started.values.filter((v) => !programs.includes(v));
    return other.length > 0 ? `it starts ${other.join(", ")}, not one of ${programs.join(", ")}` : undefined;
}

function processProblems(p: Parsed): string[] {
    const allowed = PROCESS_ALLOWED[p.file];
    const out: string[] = [];
    for (const load of moduleLoads(p)) {
        if (load.spec === undefined || !PROCESS_MODULES.has(moduleName(load.spec)) || load.typeOnly) continue;
        const module = moduleName(load.spec);
        if (!allowed || module !== "child_process") {
            out.push(`${load.at} loads ${load.spec}: only ${Object.keys(PROCESS_ALLOWED).join(", ")} start processes`);
            continue;
        }
        for (const use of load.uses.filter((u) => !u.typeOnly)) {
            const where = p.at(use.node);
            if (use.member === undefined) out.push(`${where} takes child_process whole`);
            else if (!SPAWNERS.has(use.member)) out.push(`${where} uses ${use.member}: a shell, or not a spawn call`);
            else if (use.ref) {
                const call = outerExpression(use.node).parent;
                if (!ts.isCallExpression(call) || outerExpression(call.expression) !== outerExpression(use.node))
                    out.push(`${where} passes ${use.member} on as a value`);
                else {
                    const problem = spawnProblem(p, call, allowed.programs);
                    if (problem) out.push(`${where} ${use.member}: ${problem}`);
                }
            }
        }
    }
    for (const node of nodesOf(p)) {
        if (ts.isIdentifier(node) && ["eval", "Function"].includes(node.text) && isGlobalRef(p, node))
            out.push(`${p.at(node)} uses ${node.text}: text run as code escapes every check`);
        if (ts.isIdentifier(node) && node.text === "process" && isGlobalRef(p, node)) {
            const member = memberChain(node).names[0];
            if (member !== undefined && PROCESS_MEMBERS.has(member)) out.push(`${p.at(node)} uses process.${member}`);
        }
    }
    for (const s of stringsOf(p))
        if (/child_process/.test(s.text) && !isSpecifier(p, s)) out.push(`${p.at(s)} names child_process in text`);
    return out;
}

describe("boundaries: child processes start only from the files that need them, only the programs named for each", () => {
    it("the checker finds each way to start another program (crafted source)", () => {
        const attack = [
            'import { spawnSync, execSync } from "child_process";',
            "spawnSync(`pulumi`, ['up']);",
            'spawnSync("npx", ["pulumi", "up"]);',
            'spawnSync("docker", ["ps"], { shell: true });',
            'const o = { shell: "/bin/sh" }; spawnSync("docker", [], { ...o });',
            'execSync("docker ps");',
            "const s = spawnSync; s;",
            "function run(cmd: string) { return spawnSync(cmd, []); } run('docker'); run('pulumi');",
            'process.binding("spawn_sync"); new Function("return 1"); eval("1");',
            // What hostDocker.ts does: a private function that only this file calls, each time with a program allowed.
            "function start(cmd: string) { return spawnSync(cmd, [], { ...(o ? { input: 'y' } : {}) }); }",
            "start('ssh'); start('docker');",
        ].join("\n");
        expectFindings(
            processProblems(parseSource("scripts/lib/hostDocker.ts", attack)).map((f) => f.replace(/^.*?:/, ":")),
            [
                ":1 uses execSync",
                ":2 spawnSync: its program is not a string written out here",
                ":3 spawnSync: it starts npx, not one of docker, ssh",
                ":4 spawnSync: it sets shell",
                ":5 spawnSync: its options are not written out here",
                ":6 uses execSync",
                ":7 passes spawnSync on as a value",
                ":8 spawnSync: it starts pulumi, not one of docker, ssh",
                ":9 uses process.binding",
                ":9 uses Function",
                ":9 uses eval",
            ],
        );
        expect(
            processProblems(parseSource("scripts/other.ts", 'import { spawnSync } from "node:child_process";')),
        ).to.have.length(1);
    });

    it("in the tree, only the allowed files load child_process, and each starts only its programs", () => {
        const files = sourceFiles(PRODUCTION);
        for (const f of Object.keys(PROCESS_ALLOWED)) expect(files).to.include(f);
        const found = treeProblems(files, processProblems);
        expect(found, `\n${found.join("\n")}\n`).to.be.empty;
    });
});

// --- Nothing keys behaviour on the stack's name ----------------------------------------------------------------------

/**
 * The shipped stacks' names and the environments they suggest, as a word of a literal ("prod", "freshtrack-prod"),
 * between separators; `/` is none, so a device path (`/dev/null`) is no stack's name.
 */
const NAME_WORD = /(^|[-_.:\s^$|()])(prod|production|staging|dev)([-_.:\s^$|()]|$)/i;
/** Values that hold a stack's name, or what is made from it (the name prefix `freshtrack-<stack>`). */
const STACK_VALUES = new Set(["stack", "stackName", "namePrefix"]);

/**
 * Comparisons that read such a word as a setting's value, not as a stack's name: the file, what is compared, why.
 * freshtrack:environment is the explicit setting that says what a stack is for (issue 16, item 1).
 */
const NAME_WORD_ALLOWED: ReadonlyArray<readonly [file: string, compared: string, why: string]> = [
    ["components/config/targets.ts", "environment", "a production environment's droplet has backups by default"],
    ["components/edge/caddyfile.ts", "opts.tlsMode", "freshtrack:tls acme-staging is Let's Encrypt's staging CA"],
    ["scripts/lib/bench.ts", "cfg.environment", "the evaluation-time target binds production environments"],
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

function stackNameProblems(p: Parsed): string[] {
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
        const keyed = how === "looks up" ? isStackValue(sides[1]!) : sides.some(isStackValue) && literal;
        if (word < 0 && !keyed) continue;
        if (word >= 0 && NAME_WORD_ALLOWED.some(([f, c]) => f === p.file && c === compared)) continue;
        const what = word >= 0 ? "a stack name's word" : "the stack's name";
        out.push(`${p.at(node)} ${how} ${what}: ${node.getText(p.source).slice(0, 80)}`);
    }
    return out;
}

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
        const lines = (file: string) => stackNameProblems(parseSource(file, attack)).map((f) => f.split(" ")[0]);
        expect([...new Set(lines("components/a.ts"))]).to.deep.equal(
            [2, 3, 4, 5, 6, 7, 8, 9, 10].map((l) => `components/a.ts:${l}`),
        );
        // The exception holds in its own file only.
        expect(lines("components/config/targets.ts")).to.not.include("components/config/targets.ts:10");
        expect(stackNameProblems(parseSource("scripts/lib/confirm.ts", "if (answer.trim() === stack) {}"))).to.be.empty;
    });

    it("no file of components/, operator/, scripts/ or policy/ does, but the named exceptions", () => {
        const found = treeProblems(sourceFiles(PRODUCTION), stackNameProblems);
        expect(found, `\n${found.join("\n")}\n`).to.be.empty;
    });

    it("each exception excuses a comparison that is there today (a stale one would excuse a new one unseen)", () => {
        for (const [file, compared] of NAME_WORD_ALLOWED) {
            const text = fs.readFileSync(path.join(ROOT, file), "utf8");
            const unexcused = text.replace(new RegExp(`\\b${compared.replace(/\./g, "\\.")}\\b`, "g"), "other");
            expect(stackNameProblems(parseSource(file, unexcused)), file).to.not.be.empty;
        }
    });
});

// --- Tiers take values, not neighbours -------------------------------------------------------------------------------

/** Where the stack composes its components: deployStack, and the host it picks. */
const STACK_FILES = ["components/stack.ts", "components/host/index.ts"];

/** Args that name a forbidden type today: the property's trail, the name, and why it may. */
const ARGS_ALLOWED: ReadonlyArray<readonly [at: string, names: string, why: string]> = [
    // Pick<Edge, "urls" | "adminPassword">: typed by the edge's own fields, and no other member of it is reachable.
    ["VerificationArgs.edge", "Edge", "two outputs of the edge: the URLs to check and the admin password to log in"],
];

/**
 * Where an exported `*Args` interface or a component's constructor args name StackConfig or a component the stack
 * composes (a tier, the host, the platform), through every interface and type alias of `files` they reach. A section
 * of the config (`StackConfig["resources"]`) is data, not the config, and may be named; so may a Service, which args
 * take to order containers (`requires`), as they would take any resource.
 */
function argsProblems(files: readonly Parsed[], allowed = ARGS_ALLOWED): string[] {
    const declared = typeDeclarations(files);
    const components = new Set<string>();
    const roots: Array<{ p: Parsed; name: string; node: ts.Node }> = [];
    for (const p of files)
        for (const node of p.source.statements) {
            const exported = (n: ts.InterfaceDeclaration) =>
                n.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
            if (ts.isInterfaceDeclaration(node) && /Args$/.test(node.name.text) && exported(node))
                roots.push({ p, name: node.name.text, node });
            if (!ts.isClassDeclaration(node) || !node.name) continue;
            const base = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
            if (!base || referenceName(base.expression) !== "ComponentResource") continue;
            components.add(node.name.text);
            const args = node.members.find(ts.isConstructorDeclaration)?.parameters[1]?.type;
            // A constructor that takes an exported *Args interface is checked through it.
            if (args && !(ts.isTypeReferenceNode(args) && /Args$/.test(referenceName(args.typeName))))
                roots.push({ p, name: `new ${node.name.text}(args)`, node: args });
        }
    const composing = files.filter((p) => STACK_FILES.includes(p.file)).flatMap(nodesOf);
    const composed = composing.filter(ts.isNewExpression).map((n) => referenceName(n.expression));
    const forbidden = new Set(["StackConfig", ...composed.filter((c) => components.has(c))]);
    const isSection = (n: ts.Node) =>
        ts.isIndexedAccessTypeNode(n.parent) && n.parent.objectType === n && ts.isLiteralTypeNode(n.parent.indexType);
    return roots.flatMap(({ p, name, node }) =>
        typeReferences(node, name, declared, (n) => !forbidden.has(n))
            .filter((r) => forbidden.has(r.name) && !(r.name === "StackConfig" && isSection(r.node)))
            .filter((r) => !allowed.some(([at, names]) => at === r.trail && names === r.name))
            .map((r) => `${p.file}: ${r.trail} names ${r.name}`),
    );
}

describe("boundaries: tiers take values, not neighbours (no component's args name StackConfig or a component)", () => {
    it("the checker finds the config or a component in args, however deep (crafted)", () => {
        const stack = parseSource("components/stack.ts", "new DataTier(); new Edge();");
        const attack = [
            "export class DataTier extends pulumi.ComponentResource {}",
            "export class Service extends pulumi.ComponentResource {}",
            "interface Context { readonly cfg: StackConfig }",
            'type Limits = Pick<StackConfig["resources"], "caddy">;',
            'export interface EdgeArgs extends Context { readonly data: Pick<DataTier, "endpoints">; readonly limits: Limits }',
            "export class Edge extends pulumi.ComponentResource { constructor(n: string, args: { after: Edge[] }) { super(); } }",
        ].join("\n");
        const args = "export interface ServiceArgs { readonly requires: Service[] }";
        expect(argsProblems([stack, parseSource("components/attack.ts", `${attack}\n${args}`)])).to.deep.equal([
            "components/attack.ts: EdgeArgs(Context).cfg names StackConfig",
            "components/attack.ts: EdgeArgs.data names DataTier",
            "components/attack.ts: new Edge(args).after names Edge",
        ]);
    });

    it("no component's args in components/ do, but the named exceptions, each of which is there today", () => {
        const files = sourceFiles(["components"]).map((f) => parseSource(f));
        const found = argsProblems(files);
        expect(found, `\n${found.join("\n")}\n`).to.be.empty;
        const unexcused = argsProblems(files, []).map((f) => f.replace(/^.*?: /, ""));
        for (const [at, names] of ARGS_ALLOWED) expect(unexcused).to.include(`${at} names ${names}`);
    });
});
