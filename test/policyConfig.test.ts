/**
 * The policy pack's settings in each environment, against the service catalog (issue 16, item 4: the pack's
 * allowlists stay hand-written, an independent control, and a test compares them with the specs). Rung 1: the pack's
 * own rules and files, no stack.
 *
 * What binds a stack is the effective config of its environment: every rule's schema defaults with
 * policy/config/<environment>.json applied over them, setting by setting, as the engine reconciles them
 * (pulumi/pulumi@v3.259.0 pkg/resource/analyzer/config.go:276-302 fills the defaults, 337-372 applies the file: a
 * setting the file gives replaces the default whole, `maps.Copy` at 365) and as scripts/lib/policyRun.ts settingsFor
 * hands them to the rules. So a line in an environment's file can lift a rule quietly: exempt a service, widen an
 * allowlist, lower an enforcement level. Here every such allowance is listed with its reason, and the rest of the
 * effective config must be each rule's own default, so a new exemption or a widened allowance fails until it is
 * written down. The defaults themselves, which bind every environment at once, are pinned with their reasons in
 * test/policyPackShape.test.ts.
 */
import { Policy } from "@pulumi/policy";
import { expect } from "chai";
import { CatalogName, SERVICE_SPECS, SERVICES } from "../components/catalog";
import { Environment, ENVIRONMENTS, parseStackConfig } from "../components/config";
import { POLICIES } from "../policy/policies";
import {
    packConfigProblems,
    packEnvironmentOf,
    readEnvironmentPackConfig,
    settingsFor,
} from "../scripts/lib/policyRun";
import { loadStackSettings, rawConfigOf, shippedStacks } from "../scripts/lib/stackFiles";

/** A setting of one rule, by the rule's name and the setting's (or `enforcementLevel`). */
interface Setting {
    readonly policy: string;
    readonly setting: string;
}

/**
 * What an environment's file changes from the rules' defaults, each with why. Anything else it changes fails the
 * test, narrowing or widening alike: a reader of the file should never have to work out which one a line is.
 */
const ENVIRONMENT_CHANGES: Readonly<
    Record<Environment, ReadonlyArray<Setting & { readonly value: unknown; readonly reason: string }>>
> = {
    development: [],
    staging: [
        {
            policy: "do-droplet-size",
            setting: "allowedSizes",
            value: ["s-2vcpu-4gb", "s-4vcpu-8gb"],
            reason: "narrower: a staging droplet is the size of a production one, not larger",
        },
    ],
    production: [
        {
            policy: "do-droplet-size",
            setting: "allowedSizes",
            value: ["s-2vcpu-4gb", "s-4vcpu-8gb", "s-8vcpu-16gb"],
            reason: "narrower: no size under the 4 GB the catalog's limits are sized for",
        },
        {
            policy: "do-droplet-hardening",
            setting: "requireBackups",
            value: true,
            reason: "stricter: a production droplet keeps DigitalOcean's backups",
        },
        {
            policy: "stack-backups-and-monitoring",
            setting: "required",
            value: true,
            reason: "stricter: the production checks (backups, monitoring, an offsite copy of the volume) bind",
        },
        {
            policy: "stack-backups-and-monitoring",
            setting: "requiredServices",
            value: [
                "backup",
                "backup-sync",
                "prometheus",
                "alertmanager",
                "grafana",
                "node-exporter",
                "blackbox",
                "loki",
                "promtail",
            ],
            reason: "stricter: the safety net (backups and their copy, metrics, alerts, logs, probes) must be deployed",
        },
    ],
};

/** A service let through where a rule would otherwise refuse it, in every environment, and why. */
interface Exception {
    readonly service: CatalogName;
    readonly value: unknown;
    readonly reason: string;
}

/**
 * The settings that let named services through, each entry listed with its reason: the same in every environment
 * (an environment that changes one fails here, and must list the change above, too). The capability allowlist is not
 * here: it must be exactly what the specs add back (below).
 */
const EXCEPTIONS: ReadonlyArray<Setting & { readonly services: readonly Exception[] }> = [
    {
        policy: "container-host-mounts",
        setting: "allowed",
        services: [
            {
                service: "promtail",
                value: ["/var/lib/docker/containers", "/mnt/freshtrack-data/docker/containers"],
                reason: "it tails the json-file logs under the Docker data root (the droplet's is on the block volume)",
            },
            {
                service: "node-exporter",
                value: ["/"],
                reason: "it reads the host's filesystems, memory and CPU through --path.rootfs, read-only",
            },
        ],
    },
    {
        policy: "container-no-docker-socket",
        setting: "hostRootReaders",
        services: [
            {
                service: "node-exporter",
                value: ["/"],
                reason: "its / brings the socket along, but it runs as nobody, whom the root:docker 0660 socket refuses",
            },
        ],
    },
];

/**
 * Services a rule does not apply to (`exemptServices`), by environment: none. An exemption takes an entry here with
 * its reason, in the environment that has it.
 */
const EXEMPTIONS: ReadonlyArray<{
    readonly environment: Environment;
    readonly policy: string;
    readonly service: CatalogName;
    readonly reason: string;
}> = [];

/**
 * Whether a setting names services (an exemption, a per-service allowlist): those are checked against the lists above
 * and the catalog; every other setting against its rule's default.
 */
function isPerService(policy: Policy, setting: string): boolean {
    return (
        setting === "exemptServices" ||
        (policy.name === "container-capabilities" && setting === "perService") ||
        (policy.name === "container-no-docker-socket" && setting === "socketProxy") ||
        EXCEPTIONS.some((e) => e.policy === policy.name && e.setting === setting)
    );
}

const json = (value: unknown) => JSON.stringify(value);

/** The effective config of an environment: each rule's enforcement level and settings, as the rules receive them. */
function effective(environment: Environment): Map<string, { level: string; config: Record<string, unknown> }> {
    const file = readEnvironmentPackConfig(environment);
    return new Map(POLICIES.map((p) => [p.name, settingsFor(p, file)]));
}

function settingOf(environment: Environment, policy: string, setting: string): unknown {
    const rule = effective(environment).get(policy);
    if (rule === undefined) throw new Error(`no rule ${policy}`);
    return rule.config[setting];
}

describe("policy pack settings per environment, against the service catalog (rung 1: the pack's own config)", () => {
    for (const environment of ENVIRONMENTS) {
        describe(environment, () => {
            it("changes a rule's level or setting only where the list says why (a new allowance fails here)", () => {
                const rules = effective(environment);
                const changes: string[] = [];
                for (const policy of POLICIES) {
                    const given = rules.get(policy.name)!;
                    const defaults = settingsFor(policy, {});
                    if (given.level !== defaults.level)
                        changes.push(`${policy.name}.enforcementLevel = ${json(given.level)}`);
                    for (const [setting, value] of Object.entries(given.config)) {
                        if (!isPerService(policy, setting) && json(value) !== json(defaults.config[setting]))
                            changes.push(`${policy.name}.${setting} = ${json(value)}`);
                    }
                }
                expect(changes.sort()).to.deep.equal(
                    ENVIRONMENT_CHANGES[environment].map((c) => `${c.policy}.${c.setting} = ${json(c.value)}`).sort(),
                );
            });

            it("exempts no service from any rule but those the list names, each with its reason", () => {
                const exempt: string[] = [];
                for (const [policy, { config }] of effective(environment)) {
                    for (const service of (config.exemptServices ?? []) as string[])
                        exempt.push(`${policy}: ${service}`);
                }
                expect(exempt.sort()).to.deep.equal(
                    EXEMPTIONS.filter((e) => e.environment === environment)
                        .map((e) => `${e.policy}: ${e.service}`)
                        .sort(),
                );
            });

            it("lets each service add back exactly the capabilities its spec adds, no more", () => {
                const allowlist = settingOf(environment, "container-capabilities", "perService") as Record<
                    string,
                    string[]
                >;
                const granted = Object.fromEntries(Object.entries(allowlist).map(([s, caps]) => [s, [...caps].sort()]));
                const wanted = Object.fromEntries(
                    SERVICE_SPECS.filter((s) => s.capabilities.length > 0).map((s) => [
                        s.name,
                        [...s.capabilities].sort(),
                    ]),
                );
                expect(granted).to.deep.equal(wanted);
            });

            it("lets through exactly the host paths and socket holders the list names, and no socket proxy", () => {
                for (const e of EXCEPTIONS) {
                    const expected = Object.fromEntries(e.services.map((s) => [s.service, s.value]));
                    expect(settingOf(environment, e.policy, e.setting), `${e.policy}.${e.setting}`).to.deep.equal(
                        expected,
                    );
                }
                expect(settingOf(environment, "container-no-docker-socket", "socketProxy")).to.equal("");
            });

            it("names only services of the catalog wherever a setting names one", () => {
                const named: string[] = [];
                for (const [policy, { config }] of effective(environment)) {
                    for (const key of ["exemptServices", "requiredServices"])
                        named.push(...((config[key] ?? []) as string[]).map((s) => `${policy}.${key}: ${s}`));
                    for (const key of ["perService", "allowed", "hostRootReaders"]) {
                        const value = config[key];
                        if (value !== null && typeof value === "object" && !Array.isArray(value))
                            named.push(...Object.keys(value).map((s) => `${policy}.${key}: ${s}`));
                    }
                    if (typeof config.socketProxy === "string" && config.socketProxy !== "")
                        named.push(`${policy}.socketProxy: ${config.socketProxy}`);
                }
                expect(named.filter((n) => !(n.slice(n.lastIndexOf(": ") + 2) in SERVICES))).to.deep.equal([]);
                expect(named, "the check saw the allowlists").to.not.be.empty;
            });

            it("admits every catalog limit, and every limit of the environment's shipped stacks, under its memory maximum", () => {
                const max = settingOf(environment, "container-memory-limit", "maxMemoryMb") as number;
                const over = SERVICE_SPECS.flatMap((s) =>
                    "memoryMb" in s.limits && s.limits.memoryMb > max ? [`${s.name}: ${s.limits.memoryMb} MB`] : [],
                );
                const stacks = shippedStacks().filter((stack) => packEnvironmentOf(stack) === environment);
                expect(stacks, "the environment's shipped stacks").to.not.be.empty;
                for (const stack of stacks) {
                    const cfg = parseStackConfig(rawConfigOf(loadStackSettings(stack)));
                    for (const [service, limits] of Object.entries(cfg.resources))
                        if (limits.memoryMb > max) over.push(`${stack} ${service}: ${limits.memoryMb} MB`);
                }
                expect(over, `over ${max} MB`).to.deep.equal([]);
            });
        });
    }

    it("gives every listed change and exception a reason, and names each exception's service once", () => {
        const listed = [
            ...Object.values(ENVIRONMENT_CHANGES).flat(),
            ...EXCEPTIONS.flatMap((e) => e.services),
            ...EXEMPTIONS,
        ];
        for (const entry of listed) expect(entry.reason, JSON.stringify(entry)).to.match(/^\S.{10,}/);
        for (const e of EXCEPTIONS)
            expect(new Set(e.services.map((s) => s.service)).size, e.policy).to.equal(e.services.length);
    });

    it("refuses the engine's `all` line, which would set every rule's enforcement level at once", () => {
        // The engine applies `"all": "<level>"` to every rule before the rules' own lines (config.go:341-348).
        const problems = packConfigProblems({ all: "advisory" }, POLICIES);
        expect(problems).to.have.length(1);
        expect(problems[0]).to.match(/^"all": no rule of that name/);
    });
});
