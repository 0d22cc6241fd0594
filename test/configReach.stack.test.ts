/**
 * Every setting the schema declares reaches the program (issue 16, item 1: one schema, whose keys the program reads;
 * attack #16: `renderLokiConfig(retentionDays = 14)` called with nothing, so freshtrack:monitoring.logRetentionDays
 * was declared, documented, checked and ignored). Rung 1 (mocks): each shipped stack and URN variant
 * (test/urnVariants.ts), and one stack that sets the optional settings none of them sets, runs the whole program once
 * with the StackConfig it reads wrapped in a recording proxy; every leaf of the schema must be read by a run on its
 * target, or be listed with what reads it instead. Beside it, components/ is parsed: an exported function may not
 * default a parameter to a setting's default, since a renderer must be told, not guess (the attack's other half), nor
 * fall back with `x ?? <default>` or `x || <default>` on a property named like that setting (attack #21).
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import * as configModule from "../components/config";
import { CONFIG_KEYS, CONFIG_SCHEMA, StackConfig, Target, TARGETS } from "../components/config";
import type { FieldSpecs } from "../components/config/fields";
import { NESTED } from "../components/config/nestedFields";
import type { KeySpec } from "../components/config/schema";
import { deployStack } from "../components/stack";
import { runUnderMocks } from "../scripts/lib/mockRun";
import { loadStackSettings, StackSettings } from "../scripts/lib/stackFiles";
import { nodesOf, Parsed, parseSource, ROOT, sourceFiles } from "./sourceTree";
import { symbolOf } from "./sourceTreeParse";
import { URN_VARIANTS } from "./urnVariants";

/**
 * `value` behind a proxy that records the path of every property read, at any depth (an absent one too: the program
 * looked). A proxy of a frozen object must hand back the object's own values (the [[Get]] invariant of proxy objects,
 * ECMA-262 10.5.8), and the StackConfig is deeply frozen, so each object is wrapped as an unfrozen copy; a
 * list counts as read when anything of it is (its length, an item, its iterator); Outputs are handed back as they are.
 */
function recording(value: unknown, at: string, reads: Set<string>): unknown {
    if (typeof value !== "object" || value === null || pulumi.Output.isInstance(value)) return value;
    if (Array.isArray(value)) {
        return new Proxy([...(value as unknown[])], {
            get(target, prop, receiver) {
                reads.add(at);
                return Reflect.get(target, prop, receiver) as unknown;
            },
        });
    }
    const wrapped = new Map<string, unknown>();
    return new Proxy(
        { ...value },
        {
            get(target, prop, receiver) {
                const inner = Reflect.get(target, prop, receiver) as unknown;
                if (typeof prop !== "string") return inner;
                const where = at === "" ? prop : `${at}.${prop}`;
                reads.add(where);
                if (!wrapped.has(prop)) wrapped.set(prop, recording(inner, where, reads));
                return wrapped.get(prop);
            },
        },
    );
}

/**
 * Runs the whole program on `settings` with the StackConfig it reads behind `recording`. deployStack reads its config
 * with loadStackConfig from components/config, through that module's exports (CommonJS), so the loader is swapped there
 * for the run; the run fails if the program did not take its config from it.
 */
async function pathsRead(settings: StackSettings): Promise<{ target: Target; reads: Set<string> }> {
    const loader = configModule as { loadStackConfig: () => StackConfig };
    const original = loader.loadStackConfig;
    const reads = new Set<string>();
    let target: Target | undefined;
    loader.loadStackConfig = () => {
        const cfg = original();
        target = cfg.target;
        return recording(cfg, "", reads) as StackConfig;
    };
    try {
        await runUnderMocks(settings, deployStack);
    } finally {
        loader.loadStackConfig = original;
    }
    expect(target, "deployStack no longer reads its config through loadStackConfig").to.not.equal(undefined);
    return { target: target!, reads };
}

/** A shipped stack with every optional setting no URN variant sets: each alert destination, the ingest token. */
function withEveryOption(): StackSettings {
    const settings = loadStackSettings("prod");
    const secrets = {
        "freshtrack:alertSmtpPassword": "smtp-password",
        "freshtrack:alertSlackWebhookUrl": "https://hooks.slack.com/services/T000/B000/reach",
        "freshtrack:alertWebhookUrl": "https://hooks.acme-foods.eu/alerts",
        "freshtrack:verificationIngestToken": "ingest-token",
    };
    Object.assign(settings.config, secrets, {
        "freshtrack:alerts": JSON.stringify({
            email: { to: ["oncall@acme-foods.eu"], from: "alerts@acme-foods.eu", smarthost: "smtp.acme-foods.eu:587" },
            slack: { channel: "#cold-chain" },
            webhook: true,
        }),
        "freshtrack:verification": JSON.stringify({ e2e: { sensorId: "demo-sensor-1" } }),
    });
    settings.secretKeys.push(...Object.keys(secrets));
    return settings;
}

/** Staging's managed database with a fork in use (issue 18, item 3): no URN variant sets database.fork. */
function withForkInUse(): StackSettings {
    const settings = loadStackSettings("staging");
    const fork = { at: "2026-03-14T09:30:00Z", use: true };
    settings.config["freshtrack:database"] = JSON.stringify({ mode: "managed", fork });
    return settings;
}

const RUNS: Readonly<Record<string, () => StackSettings>> = {
    ...URN_VARIANTS,
    "prod with every alert destination and the ingest token": withEveryOption,
    "staging with managed PostgreSQL and a fork in use": withForkInUse,
};

/** A setting of the schema, dotted below `freshtrack:` as an operator writes it, and the target it applies to. */
interface Leaf {
    readonly setting: string;
    readonly target?: Target;
}

/** Every leaf of the schema: typed and secret keys, each field of an object key at any depth, nested ones included. */
function schemaLeaves(): Leaf[] {
    const leaves: Leaf[] = [];
    const targetOf = (key: string): Target | undefined =>
        (TARGETS as readonly string[]).includes(key) ? (key as Target) : key === "sshPrivateKey" ? "ssh" : undefined;
    const walk = (key: string, prefix: string, fields: FieldSpecs) => {
        for (const [name, spec] of Object.entries(fields)) {
            if (spec.kind === "object") walk(key, `${prefix}${name}.`, spec.fields);
            else leaves.push({ setting: `${key}.${prefix}${name}`, ...withTarget(targetOf(key)) });
        }
    };
    const withTarget = (target: Target | undefined) => (target ? { target } : {});
    for (const key of CONFIG_KEYS) {
        const spec = CONFIG_SCHEMA[key];
        if (!("type" in spec) || spec.type !== "object") leaves.push({ setting: key, ...withTarget(targetOf(key)) });
        else walk(key, "", { ...spec.fields, ...((NESTED as Record<string, FieldSpecs>)[key] ?? {}) });
    }
    return leaves;
}

/**
 * Where a setting lands in the StackConfig when not at its own path: the app's settings under `app`, each secret
 * beside the setting it goes with. appImages.registry is folded into each image reference by the parser
 * (components/config/app.ts, readImages), so the program reads it as the reference.
 */
const LANDS_AT: Readonly<Record<string, string>> = {
    "appImages.registry": "app.images.backend.ref",
    appImages: "app.images",
    appVersion: "app.version",
    appCommands: "app.commands",
    appBuild: "app.build",
    appRegistryUsername: "app.registryAuth.username",
    appRegistryPassword: "app.registryAuth.password",
    sshPrivateKey: "ssh.privateKey",
    alertSmtpPassword: "alerts.email.password",
    alertSlackWebhookUrl: "alerts.slack.webhookUrl",
    alertWebhookUrl: "alerts.webhook.url",
    backupOffsiteAccessKeyId: "backup.offsite.accessKeyId",
    backupOffsiteSecretAccessKey: "backup.offsite.secretAccessKey",
    backupOffsiteEncryptionKey: "backup.offsite.encryptionKey",
    verificationIngestToken: "verification.e2e.token",
};

function landsAt(setting: string): string {
    const prefix = Object.keys(LANDS_AT)
        .filter((p) => setting === p || setting.startsWith(`${p}.`))
        .sort((a, b) => b.length - a.length)[0];
    return prefix === undefined ? setting : `${LANDS_AT[prefix]}${setting.slice(prefix.length)}`;
}

/** Settings the program does not read, each with the file that does and why. */
const READ_ELSEWHERE: Readonly<Record<string, { readonly by: string; readonly why: string }>> = {
    allowSshFromAnywhere: {
        by: "components/config/parse.ts",
        why: "it only widens what adminCidrs may hold, judged by the parser's rule across both; the program reads adminCidrs",
    },
};

type Run = { readonly target: Target; readonly reads: ReadonlySet<string> };

/** The settings no run on their target read, at their StackConfig path or below it. */
function unread(runs: readonly Run[]): string[] {
    return schemaLeaves()
        .filter((leaf) => !(leaf.setting in READ_ELSEWHERE))
        .filter((leaf) => {
            const at = landsAt(leaf.setting);
            return !runs.some(
                (run) =>
                    (leaf.target === undefined || run.target === leaf.target) &&
                    [...run.reads].some((r) => r === at || r.startsWith(`${at}.`)),
            );
        })
        .map((leaf) => `${leaf.setting} (as ${landsAt(leaf.setting)})`);
}

describe("config: every setting the schema declares reaches the program (issue 16, item 1; attack #16)", function () {
    this.timeout(180_000);
    const runs = new Map<string, Run>();

    before(async () => {
        for (const [name, settings] of Object.entries(RUNS)) runs.set(name, await pathsRead(settings()));
    });

    it("reads every leaf of the schema in a run on its target, or names what reads it instead", () => {
        expect(runs.size).to.equal(Object.keys(RUNS).length);
        expect(unread([...runs.values()])).to.deep.equal([]);
    });

    it("lists only settings that exist and that no run reads, each with a file that names it", () => {
        const settings = schemaLeaves().map((l) => l.setting);
        for (const [setting, { by }] of Object.entries(READ_ELSEWHERE)) {
            expect(settings, setting).to.include(setting);
            const at = landsAt(setting);
            const readBy = [...runs].filter(([, r]) => [...r.reads].some((p) => p === at || p.startsWith(`${at}.`)));
            expect(
                readBy.map(([name]) => name),
                `${setting} is read by the program now`,
            ).to.deep.equal([]);
            const last = setting.slice(setting.lastIndexOf(".") + 1);
            expect(fs.readFileSync(path.join(ROOT, by), "utf8"), `${by} names ${setting}`).to.contain(last);
        }
    });

    it("catches a setting the program stops reading (attack #16: Loki's retention left to a renderer default)", () => {
        const attacked = [...runs.values()].map((run) => ({
            target: run.target,
            reads: new Set([...run.reads].filter((r) => r !== "monitoring.logRetentionDays")),
        }));
        expect(unread(attacked)).to.deep.equal(["monitoring.logRetentionDays (as monitoring.logRetentionDays)"]);
    });
});

/**
 * The scalar defaults of the schema (booleans aside: a flag's false or true says nothing of which setting it is; the
 * empty text aside: every optional text is empty when unset), each with the settings that have it.
 */
function schemaDefaults(): Map<string | number, string[]> {
    const found = new Map<string | number, string[]>();
    const add = (value: unknown, setting: string) => {
        if ((typeof value === "string" && value !== "") || typeof value === "number")
            found.set(value, [...(found.get(value) ?? []), setting]);
    };
    const walk = (prefix: string, fields: FieldSpecs) => {
        for (const [name, spec] of Object.entries(fields)) {
            if (spec.kind === "object") walk(`${prefix}${name}.`, spec.fields);
            add(spec.default, `${prefix}${name}`);
        }
    };
    for (const key of CONFIG_KEYS) {
        const spec: KeySpec = CONFIG_SCHEMA[key];
        if (!("type" in spec)) continue;
        if (spec.type === "object")
            walk(`${key}.`, { ...spec.fields, ...((NESTED as Record<string, FieldSpecs>)[key] ?? {}) });
        else add(spec.default, key);
    }
    return found;
}

/** A literal default's value: a number, a text, or a constant of the same file holding one. */
function literalValue(p: Parsed, node: ts.Expression): string | number | undefined {
    if (ts.isNumericLiteral(node)) return Number(node.text);
    if (ts.isStringLiteralLike(node)) return node.text;
    if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken) {
        const inner = literalValue(p, node.operand);
        return typeof inner === "number" ? -inner : undefined;
    }
    if (ts.isIdentifier(node)) {
        const decl = symbolOf(p, node)?.declarations?.find((d) => d.getSourceFile() === p.source);
        if (decl && ts.isVariableDeclaration(decl) && decl.initializer) return literalValue(p, decl.initializer);
    }
    return undefined;
}

/** Whether a property or variable named `name` looks like the setting `setting` (its last field, either way round). */
function namedLike(name: string, setting: string): boolean {
    const field = setting.slice(setting.lastIndexOf(".") + 1).toLowerCase();
    const own = name.toLowerCase();
    return own.endsWith(field) || field.endsWith(own);
}

/**
 * Each parameter of an exported function of `p` whose default is a setting's default, and each `x ?? <literal>` or
 * `x || <literal>` in such a function whose literal is the default of a setting `x` is named like: a value alone says
 * little there (`?? 15` is also Prometheus' own scrape interval), so the name must match too.
 */
function guessedDefaults(p: Parsed, defaults: Map<string | number, string[]>): string[] {
    const found: string[] = [];
    const exported = (n: ts.Node) =>
        ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    const listed = new Set(
        nodesOf(p).flatMap((n) =>
            ts.isExportDeclaration(n) && !n.moduleSpecifier && n.exportClause && ts.isNamedExports(n.exportClause)
                ? n.exportClause.elements.map((e) => (e.propertyName ?? e.name).text)
                : [],
        ),
    );
    const check = (name: string, fn: ts.FunctionLikeDeclaration) => {
        const visit = (n: ts.Node): void => {
            if ((ts.isParameter(n) || ts.isBindingElement(n)) && n.initializer) {
                const value = literalValue(p, n.initializer);
                const settings = value === undefined ? undefined : defaults.get(value);
                if (settings) found.push(`${p.at(n)} ${name}(${n.getText(p.source)}) guesses ${settings.join(", ")}`);
            }
            if (ts.isParameter(n) || ts.isObjectBindingPattern(n) || ts.isArrayBindingPattern(n)) {
                ts.forEachChild(n, visit);
            }
            if (ts.isBindingElement(n) && n.name && !ts.isIdentifier(n.name)) visit(n.name);
        };
        fn.parameters.forEach(visit);
        const fallbacks = (n: ts.Node): void => {
            const ops = [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken];
            if (ts.isBinaryExpression(n) && ops.includes(n.operatorToken.kind)) {
                const left = ts.isParenthesizedExpression(n.left) ? n.left.expression : n.left;
                const own = ts.isPropertyAccessExpression(left)
                    ? left.name.text
                    : ts.isIdentifier(left)
                      ? left.text
                      : "";
                const value = literalValue(p, n.right);
                const settings =
                    value === undefined ? [] : (defaults.get(value) ?? []).filter((s) => namedLike(own, s));
                if (own !== "" && settings.length > 0)
                    found.push(`${p.at(n)} ${name}: ${n.getText(p.source)} guesses ${settings.join(", ")}`);
            }
            ts.forEachChild(n, fallbacks);
        };
        if (fn.body) fallbacks(fn.body);
    };
    for (const n of nodesOf(p)) {
        if (ts.isFunctionDeclaration(n) && n.name && (exported(n) || listed.has(n.name.text))) check(n.name.text, n);
        if (ts.isVariableStatement(n) && exported(n)) {
            for (const d of n.declarationList.declarations) {
                const init = d.initializer;
                if (init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init)))
                    check(d.name.getText(p.source), init);
            }
        }
    }
    return found;
}

describe("config: no exported function of components/ defaults a parameter to a setting's default (attack #16)", () => {
    const defaults = schemaDefaults();

    it("finds the defaults it compares with, nested and catalog ones included", () => {
        expect(defaults.get(14)).to.include.members(["backup.retentionDays", "monitoring.logRetentionDays"]);
        expect(defaults.get("pnpm --silent worker:healthcheck")).to.deep.equal(["appCommands.workerHealthcheck"]);
        expect(defaults.get(15)).to.include("verification.e2e.celsius");
    });

    it("no exported function in components/ has one (none is excepted today)", () => {
        const files = sourceFiles(["components"]);
        expect(files.length).to.be.greaterThan(50);
        expect(files.flatMap((f) => guessedDefaults(parseSource(f), defaults))).to.deep.equal([]);
    });

    it("has no fallback that guesses today: `opts.scrapeIntervalSeconds ?? 15` is not a setting's (attack #21)", () => {
        expect(schemaLeaves().map((l) => l.setting.slice(l.setting.lastIndexOf(".") + 1))).to.not.include(
            "scrapeIntervalSeconds",
        );
        const found = guessedDefaults(parseSource("components/monitoring/prometheusConfig.ts"), defaults);
        expect(found).to.deep.equal([]);
    });

    /** Made-up defaults, so the checker's cases do not move when the schema's do. */
    const crafted = new Map<string | number, string[]>([
        [14, ["backup.retentionDays", "monitoring.logRetentionDays"]],
        [15, ["monitoring.metricsRetentionDays"]],
        ["15 3 * * *", ["backup.schedule"]],
    ]);
    const check = (lines: readonly string[]) =>
        guessedDefaults(parseSource("components/crafted.ts", lines.join("\n")), crafted);

    it("refuses the attack's renderer, a default through a constant, and one in a destructured argument", () => {
        expect(
            check([
                "export function renderLokiConfig(retentionDays = 14): string { return `${retentionDays * 24}h`; }",
                "const DAYS = 15;",
                "export const renderRules = (days = DAYS) => `${days}d`;",
                "export function renderDump({ schedule = '15 3 * * *' }: { schedule?: string }) { return schedule; }",
                "function indent(depth = 14) { return depth; }",
                "export function tries(count = 4096) { return count; }",
            ]),
        ).to.deep.equal([
            "components/crafted.ts:1 renderLokiConfig(retentionDays = 14) guesses backup.retentionDays, monitoring.logRetentionDays",
            "components/crafted.ts:3 renderRules(days = DAYS) guesses monitoring.metricsRetentionDays",
            "components/crafted.ts:4 renderDump(schedule = '15 3 * * *') guesses backup.schedule",
        ]);
    });

    it("refuses a fallback to a setting's default on a property named like it, not one merely equal (attack #21)", () => {
        expect(
            check([
                "export function renderLoki(opts: { retentionDays?: number }) { return `${opts.retentionDays ?? 14}d`; }",
                "export const renderTsdb = (o: { metricsRetentionDays?: number }) => (o.metricsRetentionDays || 15);",
                "export function renderProm(opts: { scrapeIntervalSeconds?: number }) { return opts.scrapeIntervalSeconds ?? 15; }",
                "export function renderCron(schedule?: string) { const s = (schedule) ?? '15 3 * * *'; return s; }",
                "function inner(o: { retentionDays?: number }) { return o.retentionDays ?? 14; }",
            ]),
        ).to.deep.equal([
            "components/crafted.ts:1 renderLoki: opts.retentionDays ?? 14 guesses backup.retentionDays, monitoring.logRetentionDays",
            "components/crafted.ts:2 renderTsdb: o.metricsRetentionDays || 15 guesses monitoring.metricsRetentionDays",
            "components/crafted.ts:4 renderCron: (schedule) ?? '15 3 * * *' guesses backup.schedule",
        ]);
    });
});
