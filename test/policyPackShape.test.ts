/**
 * The policy pack before any environment's file: which rules it registers, at which enforcement level, and each rule's
 * default settings, every one pinned here with its reason (the second attack pass on issue 16's guards, #7 and #8: a
 * default widened in a rule file, or a rule filtered out of the pack in policy/index.ts, changed every environment at
 * once and no test saw it; test/policyConfig.test.ts compares each environment's file with these defaults, not the
 * defaults themselves).
 *
 * - Registration, rung 3 (policy/index.ts and policy/policies.ts read with the TypeScript parser): one
 *   `new PolicyPack("freshtrack", { policies: POLICIES })`, no pack-wide level, no initial config; POLICIES an array
 *   of the rules' own exports, untouched.
 * - Registration, rung 1 (the entry file run with the pack's gRPC server left out): what the engine's
 *   GetAnalyzerInfo would answer, built by @pulumi/policy's own makeAnalyzerInfo from what the entry file gave
 *   PolicyPack. A rule's level there is its own, else the pack's (pulumi/pulumi-policy@v1.21.0
 *   sdk/nodejs/policy/protoutil.ts:150; the pack's is `args.enforcementLevel || "advisory"`, policy.ts:21, 107-108).
 * - Defaults, rung 1: each rule's settings as settingsFor hands them to the rule with no pack config given (the
 *   schema defaults the engine fills in), against the table below.
 */
import { Policy } from "@pulumi/policy";
import { expect } from "chai";
import { createRequire } from "module";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import * as vm from "vm";
import { POLICIES } from "../policy/policies";
import { containerPublishedPorts } from "../policy/rules/containerExposure";
import { settingsFor } from "../scripts/lib/policyRun";
import { bare, identifiersOf, nodesOf, parseSource, ROOT } from "./sourceTree";

/**
 * The rules that only report: they list the containers whose Service records why they keep a writable root or run as
 * root; the mandatory *-explained rules refuse one that does not say why. Every other rule is mandatory.
 */
const ADVISORY = new Set(["container-read-only-rootfs", "container-non-root-user"]);

/** One default setting: its value, and why that is the value every environment starts from. */
type Default = readonly [value: unknown, reason: string];
const NOT_EXEMPT: Default = [
    [],
    "no service escapes the rule unless an environment's file exempts it, with its reason",
];

/**
 * Every rule of the pack, in the order they report, and every setting of each with its default: adding, removing or
 * moving a rule, or a setting, updates this. A setting without a default fails.
 */
const DEFAULTS: Readonly<Record<string, Readonly<Record<string, Default>>>> = {
    "container-memory-limit": {
        exemptServices: NOT_EXEMPT,
        maxMemoryMb: [4096, "no one container may claim a 4 GB droplet whole; every catalog limit fits under it"],
    },
    "container-cpu-limit": { exemptServices: NOT_EXEMPT },
    "container-pids-limit": {
        maxPids: [4096, "CIS Docker 5.29: a runaway fork stops there; SERVICE_DEFAULTS.pidsLimit (512) is under it"],
        exemptServices: NOT_EXEMPT,
    },
    "container-healthcheck": { exemptServices: NOT_EXEMPT },
    "container-restart-policy": {
        exemptServices: NOT_EXEMPT,
        allowed: [
            ["unless-stopped", "always", "on-failure"],
            "each brings a crashed or rebooted service back; no `no`",
        ],
    },
    "container-log-rotation": { exemptServices: NOT_EXEMPT },
    "image-pinned": {},
    "container-not-privileged": { exemptServices: NOT_EXEMPT },
    "container-no-host-namespaces": { exemptServices: NOT_EXEMPT },
    "container-no-new-privileges": { exemptServices: NOT_EXEMPT },
    "container-capabilities": {
        exemptServices: NOT_EXEMPT,
        perService: [
            { caddy: ["NET_BIND_SERVICE"], backup: ["SETUID", "SETGID"] },
            "caddy binds 80/443 as non-root; busybox crond setuids each job; the catalog's specs add exactly these",
        ],
    },
    "container-host-mounts": {
        exemptServices: NOT_EXEMPT,
        allowed: [
            {
                promtail: ["/var/lib/docker/containers", "/mnt/freshtrack-data/docker/containers"],
                "node-exporter": ["/"],
            },
            "promtail tails the containers' json-file logs (local and droplet data roots); node-exporter reads the host",
        ],
    },
    "container-no-docker-socket": {
        exemptServices: NOT_EXEMPT,
        socketProxy: ["", "no service holds the Docker socket, not even through a proxy"],
        hostRootReaders: [
            { "node-exporter": ["/"] },
            "node-exporter's / holds the socket, but it runs as nobody, whom the root:docker 0660 socket refuses",
        ],
    },
    "container-published-ports": {
        exemptServices: NOT_EXEMPT,
        publicPorts: [[80, 443], "only Caddy's HTTP and HTTPS answer the internet (design.md: only 80 and 443)"],
    },
    "container-no-secret-env": { exemptServices: NOT_EXEMPT },
    "caddy-admin-routes-authenticated": {
        exemptServices: NOT_EXEMPT,
        caddyfile: ["/etc/caddy/Caddyfile", "where the Edge component uploads the Caddyfile into the caddy container"],
        adminSubdomains: [
            ["status", "prometheus", "alertmanager"],
            "whole sites that are admin interfaces Caddy must gate (Grafana logs in by itself)",
        ],
        adminPaths: [["/admin/"], "the backend's admin pages (the queue board, /admin/queues) sit under /admin/"],
        publicPaths: [
            [
                "^/status/[A-Za-z0-9]+(-[A-Za-z0-9]+)*$",
                "^/api/status-page/(heartbeat/)?[A-Za-z0-9]+(-[A-Za-z0-9]+)*$",
                "^/api/status-page/[A-Za-z0-9]+(-[A-Za-z0-9]+)*/manifest\\.json$",
                "^/status$",
                "^/status-page$",
                "^/assets/\\*$",
                "^/icon\\.svg$",
                "^/favicon\\.ico$",
                "^/upload/logo\\*$",
            ],
            "Uptime Kuma's read-only status page and what it loads, nothing else (cited in policy/rules/adminRoutes.ts)",
        ],
    },
    "container-root-explained": { exemptServices: NOT_EXEMPT },
    "container-writable-root-explained": { exemptServices: NOT_EXEMPT },
    "container-read-only-rootfs": { exemptServices: NOT_EXEMPT },
    "container-non-root-user": { exemptServices: NOT_EXEMPT },
    "do-firewall-public-ports": {
        publicPorts: [["80", "443"], "the cloud firewall opens only HTTP and HTTPS to the world; SSH has its own rule"],
    },
    "do-firewall-no-world-ssh": {},
    "do-droplet-size": {
        allowedSizes: [
            ["s-1vcpu-2gb", "s-2vcpu-2gb", "s-2vcpu-4gb", "s-4vcpu-8gb", "s-8vcpu-16gb"],
            "the Basic sizes whose memory the budget knows (DROPLET_SIZES); staging and production narrow it",
        ],
    },
    "do-droplet-hardening": {
        requireBackups: [false, "DigitalOcean's backups cost extra; production's file requires them"],
    },
    "do-droplet-replacement-guard": {},
    "stateful-resources-protected": {},
    "docker-ssh-host-key-pinned": {},
    "stack-memory-budget": {
        headroom: [0.15, "15 % of the host's memory stays free for the kernel, dockerd and the page cache"],
        hostMemoryMb: [0, "an ssh host's memory is unknown to the pack; 0 skips the budget there, not passes it"],
    },
    "stack-containers-through-service": {},
    "stack-backups-and-monitoring": {
        required: [false, "the production checks bind where production's file turns them on"],
        requiredServices: [[], "production's file names the safety net it requires"],
        offsiteForVolumes: [true, "where the production checks bind, losing the block volume must not lose every copy"],
    },
};

const RULES = Object.keys(DEFAULTS).map((name) => `${name} ${ADVISORY.has(name) ? "advisory" : "mandatory"}`);
const json = (value: unknown) => JSON.stringify(value);

/** `rule.setting = value` for each default of `policies` that is not the table's, and each setting it lacks. */
function defaultsProblems(policies: readonly Policy[]): string[] {
    const problems: string[] = [];
    for (const p of policies) {
        const pinned = DEFAULTS[p.name] ?? {};
        const settings = Object.keys(p.configSchema?.properties ?? {});
        for (const s of new Set([...settings, ...Object.keys(pinned)]))
            if (!settings.includes(s) || !(s in pinned))
                problems.push(`${p.name}.${s}: in the schema or the table only`);
        const given = settingsFor(p, {}).config;
        for (const [s, [value]] of Object.entries(pinned))
            if (json(given[s]) !== json(value))
                problems.push(`${p.name}.${s} = ${json(given[s])}, pinned ${json(value)}`);
    }
    return problems;
}

const ENTRY = "policy/index.ts";
/** PolicyPackArgs' descriptive fields (policy.ts:26-67); its others are `policies` and the pack-wide level. */
const PACK_METADATA = new Set(["description", "displayName", "readme", "provider", "tags", "repository"]);

/** The module an identifier's import names (`./policies` for POLICIES), if it is imported. */
function importedFrom(p: ReturnType<typeof parseSource>, id: ts.Node): string | undefined {
    const [decl] = ts.isIdentifier(id) ? (p.checker.getSymbolAtLocation(id)?.declarations ?? []) : [];
    const spec = decl && ts.isImportSpecifier(decl) ? decl.parent.parent.parent.moduleSpecifier : undefined;
    return spec && ts.isStringLiteral(spec) ? spec.text : undefined;
}

/**
 * What is wrong with the entry file's registration (as on disk, or `text`): anything but one
 * `new PolicyPack("freshtrack", { policies: POLICIES })` with POLICIES from ./policies and used nowhere else, beside
 * the pack's descriptive fields; no pack-wide level, no initial config (which would set levels and settings).
 */
function entryProblems(text?: string): string[] {
    const p = parseSource(ENTRY, text);
    const packs = nodesOf(p).filter(
        (n): n is ts.NewExpression =>
            ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === "PolicyPack",
    );
    if (packs.length !== 1 || importedFrom(p, packs[0]!.expression) !== "@pulumi/policy")
        return [`${packs.length} PolicyPack from @pulumi/policy, not one`];
    const pack = packs[0]!;
    const [name, args, ...rest] = pack.arguments ?? [];
    const problems: string[] = [];
    if (!name || !ts.isStringLiteral(name) || name.text !== "freshtrack") problems.push("the pack is not `freshtrack`");
    if (rest.length > 0) problems.push(`${p.at(pack)} an initial config: ${rest[0]!.getText(p.source)}`);
    if (!args || !ts.isObjectLiteralExpression(args)) return [...problems, "the pack's args are not an object literal"];
    let policies: ts.Expression | undefined;
    for (const prop of args.properties) {
        const key = ts.isPropertyAssignment(prop) ? prop.name.getText(p.source) : undefined;
        if (key === "policies") policies = (prop as ts.PropertyAssignment).initializer;
        else if (key === undefined || !PACK_METADATA.has(key)) problems.push(`${p.at(prop)} ${prop.getText(p.source)}`);
    }
    if (
        !policies ||
        !ts.isIdentifier(policies) ||
        policies.text !== "POLICIES" ||
        importedFrom(p, policies) !== "./policies"
    )
        problems.push(`policies: ${policies?.getText(p.source) ?? "missing"}, not POLICIES from ./policies`);
    const uses = identifiersOf(p, "POLICIES").filter((id) => id !== policies && !ts.isImportSpecifier(id.parent));
    for (const id of uses) problems.push(`${p.at(id)} POLICIES used again: ${id.parent.getText(p.source)}`);
    return problems;
}

/** What is wrong with POLICIES (as on disk, or `text`): anything but an array of rules imported from ./rules/. */
function listProblems(text?: string): string[] {
    const p = parseSource("policy/policies.ts", text);
    const problems: string[] = [];
    for (const id of identifiersOf(p, "POLICIES")) {
        const decl = id.parent;
        if (!ts.isVariableDeclaration(decl) || decl.name !== id) {
            problems.push(`${p.at(id)} POLICIES used again: ${decl.getText(p.source)}`);
            continue;
        }
        const list = decl.initializer && bare(decl.initializer);
        if (!list || !ts.isArrayLiteralExpression(list)) problems.push(`${p.at(id)} POLICIES is not an array literal`);
        for (const e of list && ts.isArrayLiteralExpression(list) ? list.elements : [])
            if (!/^\.\/rules\//.test(importedFrom(p, e) ?? "")) problems.push(`${p.at(e)} ${e.getText(p.source)}`);
    }
    return problems;
}

/** What the entry file gave PolicyPack, with the pack-wide level PolicyPack passes on (policy.ts:107-108). */
interface Served {
    readonly name: string;
    readonly level: string;
    readonly args: { readonly policies: readonly Policy[] };
    readonly initialConfig: unknown;
}

/**
 * Runs the entry file (as on disk, or `text` in its place) with @pulumi/policy's `serve` replaced by a recorder, so no
 * gRPC server starts (server.ts:95-160 serves one pack per process, on a port it binds). Its imports resolve from
 * policy/, so POLICIES and the rules are the very modules this test imports.
 */
function loadPack(text = fs.readFileSync(path.join(ROOT, ENTRY), "utf8")): Served {
    const file = path.join(ROOT, ENTRY);
    const load = createRequire(file);
    const server = load(path.join(path.dirname(load.resolve("@pulumi/policy")), "server.js")) as {
        serve: (...args: unknown[]) => void;
    };
    const real = server.serve;
    const served: unknown[][] = [];
    server.serve = (...args) => served.push(args);
    try {
        const js = ts.transpileModule(text, {
            compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        }).outputText;
        const module = { exports: {} };
        const params = ["exports", "require", "module", "__filename", "__dirname"];
        vm.compileFunction(js, params, { filename: file })(module.exports, load, module, file, path.dirname(file));
    } finally {
        server.serve = real;
    }
    expect(served, "packs the entry file serves").to.have.length(1);
    const [name, , level, args, initialConfig] = served[0]!;
    return { name, level, args, initialConfig } as Served;
}

/**
 * What is wrong with what the engine would be told (GetAnalyzerInfo, server.ts:144, made by protoutil.ts:107-215):
 * rules and levels not the table's, a rule that is not POLICIES' own object, an initial config.
 */
function servedProblems(served: Served): string[] {
    const load = createRequire(path.join(ROOT, ENTRY));
    const protoutil = load(path.join(path.dirname(load.resolve("@pulumi/policy")), "protoutil.js")) as {
        makeAnalyzerInfo: (...args: unknown[]) => {
            getPoliciesList(): Array<{ getName(): string; getEnforcementlevel(): number }>;
        };
    };
    const levels = ["advisory", "mandatory", "disabled", "remediate"]; // analyzer.proto's EnforcementLevel, in order
    const info = protoutil.makeAnalyzerInfo(served.name, "0.0.0", served.level, served.args, served.initialConfig);
    const told = info.getPoliciesList().map((p) => `${p.getName()} ${levels[p.getEnforcementlevel()]}`);
    const problems: string[] = [];
    if (json(told) !== json(RULES)) problems.push(`rules told: ${told.join(", ")}`);
    if (served.args.policies.some((p, i) => p !== POLICIES[i]) || served.args.policies.length !== POLICIES.length)
        problems.push("the rules are not POLICIES' own, in order");
    if (served.initialConfig !== undefined) problems.push(`initial config ${json(served.initialConfig)}`);
    return problems;
}

describe("the policy pack registers every rule at its own level, with pinned defaults", () => {
    it("policy/index.ts registers POLICIES untouched: no filter, no map, no pack-wide level (rung 3)", () => {
        expect(entryProblems()).to.deep.equal([]);
        expect(listProblems()).to.deep.equal([]);
    });

    it("the engine would be told every rule of the table, in order, each at its own level (rung 1)", () => {
        expect(servedProblems(loadPack())).to.deep.equal([]);
        expect(POLICIES.map((p) => `${p.name} ${p.enforcementLevel}`)).to.deep.equal(RULES);
    });

    it("gives every setting of every rule the default the table pins, for the reason it gives (rung 1)", () => {
        expect(Object.keys(DEFAULTS)).to.deep.equal(POLICIES.map((p) => p.name));
        expect(defaultsProblems(POLICIES)).to.deep.equal([]);
        for (const [rule, settings] of Object.entries(DEFAULTS))
            for (const [s, [, reason]] of Object.entries(settings))
                expect(reason, `${rule}.${s}`).to.match(/^\S.{20,}/);
    });

    it("attack #7: publicPorts' default widened to [80, 443, 5432] in the rule file", () => {
        const schema = containerPublishedPorts.configSchema!;
        const widened: Policy = {
            ...containerPublishedPorts,
            configSchema: {
                ...schema,
                properties: {
                    ...schema.properties,
                    publicPorts: { ...schema.properties.publicPorts!, default: [80, 443, 5432] },
                },
            },
        };
        expect(defaultsProblems(POLICIES.map((p) => (p === containerPublishedPorts ? widened : p)))).to.deep.equal([
            "container-published-ports.publicPorts = [80,443,5432], pinned [80,443]",
        ]);
    });

    it("attack #8: the entry file filters container-published-ports out of the pack", () => {
        const real = fs.readFileSync(path.join(ROOT, ENTRY), "utf8");
        const from = "{ policies: POLICIES }";
        expect(real, "the attack's anchor").to.include(from);
        const attacked = real.replace(
            from,
            '{ policies: POLICIES.filter((p) => p.name !== "container-published-ports") }',
        );
        expect(entryProblems(attacked)[0]).to.match(/^policies: POLICIES\.filter\(.*, not POLICIES from \.\/policies$/);
        const served = servedProblems(loadPack(attacked));
        expect(served).to.include("the rules are not POLICIES' own, in order");
        expect(served[0]).to.match(/^rules told: .*container-no-docker-socket mandatory, container-no-secret-env/);
    });

    it("finds a pack-wide level, an initial config, a mapped list and a list built with a spread", () => {
        const entry = (args: string) =>
            `import { PolicyPack } from "@pulumi/policy";\nimport { POLICIES } from "./policies";\nnew PolicyPack(${args});`;
        expect(
            entryProblems(entry('"freshtrack", { policies: POLICIES, enforcementLevel: "advisory" }')),
        ).to.have.length(1);
        expect(entryProblems(entry('"freshtrack", { policies: POLICIES }, { all: "advisory" }'))).to.have.length(1);
        expect(entryProblems(entry('"freshtrack", { policies: POLICIES.map((p) => p) }'))).to.have.length(2);
        const list = (items: string) =>
            `import { a } from "./rules/a";\nimport { b } from "./other";\nexport const POLICIES = [${items}];`;
        expect(listProblems(list("a"))).to.deep.equal([]);
        expect(listProblems(list("a, b"))).to.have.length(1);
        expect(listProblems(list("a, ...[b]"))).to.have.length(1);
        expect(listProblems(`${list("a")}\nPOLICIES.pop();`)).to.have.length(1);
        const advisory = loadPack(
            entry('"freshtrack", { policies: POLICIES.map((p) => ({ ...p, enforcementLevel: undefined })) }'),
        );
        expect(servedProblems(advisory)).to.have.length(2);
    });
});
