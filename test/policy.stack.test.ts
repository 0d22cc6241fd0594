import * as docker from "@pulumi/docker";
import { ResourceValidationPolicy } from "@pulumi/policy";
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as path from "path";
import { SERVICE_SPECS } from "../components/catalog";
import { Baseline, BASELINE_STACK, containerBaselines, Spec, withProperty } from "./policy/containerBaseline";
import { PROPERTY_CASES, PropertyCase } from "./policy/containerCases";
import { typeOf, validate } from "./policy/resourceArgs";
import { deployStack } from "../components/stack";
import { POLICIES } from "../policy/policies";
import { loadStackSettings, shippedStacks } from "../scripts/lib/stackFiles";
import { withOffsite } from "./helpers";
import {
    fromRegistered,
    mandatory,
    PackConfig,
    PolicyInput,
    readPackConfig,
    runPolicies,
    settingsFor,
    UNKNOWN_SENTINEL,
} from "../scripts/lib/policyRun";
import { T, findingsFor, watchingMirror } from "./policyFixtures";
import { sharedRun, shippedRun } from "./variantRuns";

/** The rules with a check on resources (the others validate the whole stack). */
const RESOURCE_RULES = POLICIES.filter((p) => (p as ResourceValidationPolicy).validateResource !== undefined);

/** One service's container, as a rule sees it: the resource is named after the service, as the program names it. */
const asContainer = (service: string, props: Record<string, unknown>) => ({
    type: typeOf(docker.Container),
    name: service,
    props,
});

/** Every resource rule on one service's container, judged with the baseline stack's pack config. */
async function violationsOf(
    service: string,
    props: Record<string, unknown>,
    packConfig: PackConfig = readPackConfig(BASELINE_STACK),
): Promise<Array<[rule: string, message: string]>> {
    const found: Array<[string, string]> = [];
    for (const policy of RESOURCE_RULES) {
        const outcome = await validate(policy, asContainer(service, props), packConfig);
        for (const message of outcome.violations) found.push([policy.name, message]);
    }
    return found;
}

/** What a case expects of one service's baseline: the rules it breaks, each with its message, or none on a job. */
function expectedOf(c: PropertyCase, spec: Spec): Array<[rule: string, message: string]> {
    if (c.longRunningOnly && spec.kind === "job") return [];
    const message = typeof c.message === "string" ? c.message : c.message(spec);
    return [[c.policy, message], ...(c.alsoBreaks ?? [])].map(([rule, m]) => [rule, `${spec.name}: ${m}`]);
}

/** How the violations on a service's changed baseline differ from what the case expects; empty when they do not. */
function mismatch(found: Array<[string, string]>, expected: Array<[string, string]>): string[] {
    const rules = (list: Array<[string, string]>) => list.map(([rule]) => rule).sort();
    if (JSON.stringify(rules(found)) !== JSON.stringify(rules(expected)))
        return [`broke ${JSON.stringify(rules(found))}, expected ${JSON.stringify(rules(expected))}`];
    return expected.flatMap(([rule, message]) => {
        const own = found.filter(([r]) => r === rule).map(([, m]) => m);
        return own.length === 1 && own[0]!.includes(message)
            ? []
            : [`${rule}: ${JSON.stringify(own)} lacks ${message}`];
    });
}

describe("container rules, typed: each refuses every service's baseline changed in one property (rung 1: validateResource on registered inputs)", () => {
    let baselines: Baseline[];
    before(async () => {
        baselines = await containerBaselines();
    });

    it("has a baseline for every service of the catalog, which passes every rule that checks a container, each having run", async () => {
        expect(baselines.map((b) => b.spec.name)).to.deep.equal(SERVICE_SPECS.map((s) => s.name));
        const problems: string[] = [];
        for (const { spec, props } of baselines) {
            for (const [rule, message] of await violationsOf(spec.name, props)) problems.push(`${rule}: ${message}`);
            const ran: string[] = [];
            for (const policy of RESOURCE_RULES) {
                const outcome = await validate(policy, asContainer(spec.name, props), readPackConfig(BASELINE_STACK));
                if (outcome.unknown.length > 0) problems.push(`${spec.name}: ${policy.name} met unknowns`);
                if (outcome.ran > 0) ran.push(policy.name);
            }
            // The typed checks ran on the container (args.isType held), except those that skip a job: a rule that
            // never runs passes every baseline.
            const due = PROPERTY_CASES.filter((c) => !(c.longRunningOnly && spec.kind === "job")).map((c) => c.policy);
            for (const rule of new Set(due))
                if (!ran.includes(rule)) problems.push(`${spec.name}: ${rule} did not run`);
        }
        expect(problems).to.deep.equal([]);
    });

    for (const c of PROPERTY_CASES) {
        const others = c.alsoBreaks ? `only ${c.alsoBreaks.map(([p]) => p).join(", ")} besides` : "no other rule";
        const jobs = c.longRunningOnly ? " (a job's: none, it runs to completion)" : "";
        it(`${c.policy} fails every service's baseline${jobs} with ${c.change} (${String(c.property)}), and ${others} does`, async () => {
            const problems: string[] = [];
            for (const { spec, props } of baselines) {
                const found = await violationsOf(spec.name, withProperty(props, c.property, c.value(props)));
                problems.push(...mismatch(found, expectedOf(c, spec)).map((p) => `${spec.name}: ${p}`));
                for (const value of c.stillPasses ?? []) {
                    const still = await violationsOf(spec.name, withProperty(props, c.property, value));
                    if (still.length > 0)
                        problems.push(`${spec.name} with ${JSON.stringify(value)}: ${JSON.stringify(still)}`);
                }
            }
            expect(problems).to.deep.equal([]);
        });
    }

    it("container-no-docker-socket refuses the socket on every service even where container-host-mounts' allowlist permits it", async () => {
        const socket = PROPERTY_CASES.find((c) => c.policy === "container-no-docker-socket")!;
        const problems: string[] = [];
        const packConfig = readPackConfig(BASELINE_STACK);
        const hostMounts = POLICIES.find((p) => p.name === "container-host-mounts")!;
        const allowed = settingsFor(hostMounts, packConfig).config.allowed as Record<string, string[]>;
        for (const { spec, props } of baselines) {
            // The service's own allowlist (promtail's log directories, node-exporter's /), with the socket added.
            const withSocket = { ...allowed, [spec.name]: [...(allowed[spec.name] ?? []), "/var/run/docker.sock"] };
            const config = { ...packConfig, "container-host-mounts": { allowed: withSocket } };
            const found = await violationsOf(
                spec.name,
                withProperty(props, socket.property, socket.value(props)),
                config,
            );
            if (JSON.stringify(found.map(([policy]) => policy)) !== JSON.stringify(["container-no-docker-socket"]))
                problems.push(`${spec.name}: ${JSON.stringify(found)}`);
        }
        expect(problems).to.deep.equal([]);
    });

    it("no rule passes or fails a baseline when the property it reads is unknown during preview: it says it cannot run", async () => {
        const problems: string[] = [];
        for (const { spec, props } of baselines) {
            for (const c of PROPERTY_CASES) {
                const policy = POLICIES.find((p) => p.name === c.policy)!;
                const unknown = withProperty(props, c.property, UNKNOWN_SENTINEL);
                const outcome = await validate(policy, asContainer(spec.name, unknown));
                // A job is judged not applicable before a long-running rule reads the property.
                const skipsJob = c.longRunningOnly === true && spec.kind === "job";
                const expected = skipsJob ? { violations: 0, unknown: 0 } : { violations: 0, unknown: 1 };
                const got = { violations: outcome.violations.length, unknown: outcome.unknown.length };
                if (JSON.stringify(got) !== JSON.stringify(expected))
                    problems.push(`${spec.name}: ${c.policy} on ${String(c.property)}: ${JSON.stringify(outcome)}`);
                if (skipsJob && !outcome.notApplicable.includes("one-shot job"))
                    problems.push(`${spec.name}: ${c.policy} applies to a job`);
            }
        }
        expect(problems).to.deep.equal([]);
    });

    it("no container rule applies to a resource of another type, even with a container's props", async () => {
        for (const { spec, props } of baselines) {
            for (const policy of POLICIES.filter((p) => PROPERTY_CASES.some((c) => c.policy === p.name))) {
                const outcome = await validate(policy, {
                    type: typeOf(docker.Volume),
                    name: spec.name,
                    props: { ...props, privileged: true },
                });
                expect(outcome.ran, `${spec.name}: ${policy.name}`).to.equal(0);
                expect(outcome.notApplicable, `${spec.name}: ${policy.name}`).to.include(
                    "Policy only applies to resources of type 'docker:index/container:Container'",
                );
            }
        }
    });
});

describe("policy pack", () => {
    describe("shipped stacks", () => {
        // Prod as the walkthrough has the operator finish it: with an offsite store, which its policy requires.
        const finished = (stack: string) =>
            stack === "prod" ? withOffsite(loadStackSettings(stack)) : loadStackSettings(stack);
        for (const stack of shippedStacks()) {
            it(`stack ${stack} has no mandatory violation with the pack config of its environment`, async () => {
                const { resources } = await sharedRun(finished(stack));
                const config = readPackConfig(stack);
                const findings = await runPolicies(POLICIES, fromRegistered(resources), config);
                expect(mandatory(findings).map((f) => `${f.policy}: ${f.message}`)).to.deep.equal([]);
                expect(findings.filter((f) => f.kind === "unknown")).to.deep.equal([]);
            });
        }

        it("refuses the shipped prod as it ships, with no offsite copy of the block volume that holds every copy (issue 15, finding 2)", async () => {
            const { resources } = await shippedRun("prod");
            const violations = mandatory(
                await runPolicies(POLICIES, fromRegistered(resources), readPackConfig("prod")),
            );
            expect(violations.map((v) => `${v.policy}: ${v.message}`)).to.deep.equal([
                "stack-backups-and-monitoring: volume droplet-data holds the stack's data and droplet backups do not cover block volumes; its only other copy is on the same host. " +
                    "Set freshtrack:backup.offsite and its three secrets (docs/walkthrough.md, step 4; docs/operations.md, Offsite copies).",
            ]);
            // The written decision to accept the risk lifts it.
            const accepted = readPackConfig("prod") as Record<string, Record<string, unknown>>;
            accepted["stack-backups-and-monitoring"] = {
                ...accepted["stack-backups-and-monitoring"],
                offsiteForVolumes: false,
            };
            expect(mandatory(await runPolicies(POLICIES, fromRegistered(resources), accepted))).to.deep.equal([]);
        });

        it("reports exactly the two broken things in a prod stack with a container without memory limit and SSH open to the world", async () => {
            const { resources } = await sharedRun(withOffsite(loadStackSettings("prod")));
            const inputs = fromRegistered(resources).map((r) => {
                if (r.type === T.container && r.name === "postgres") {
                    const { memory: _memory, memorySwap: _swap, ...rest } = r.props;
                    return { ...r, props: rest };
                }
                if (r.type === T.firewall) {
                    const rules = (r.props.inboundRules as Array<{ portRange: string; sourceAddresses: string[] }>).map(
                        (rule) => (rule.portRange === "22" ? { ...rule, sourceAddresses: ["0.0.0.0/0"] } : rule),
                    );
                    return { ...r, props: { ...r.props, inboundRules: rules } };
                }
                return r;
            });
            const config = readPackConfig("prod");
            const violations = mandatory(await runPolicies(POLICIES, inputs, config));
            expect(violations.map((v) => [v.policy, v.message])).to.deep.equal([
                [
                    "container-memory-limit",
                    "postgres: has no memory limit; a leak in it could take the whole host down. Set limits.memoryMb.",
                ],
                ["do-firewall-no-world-ssh", "freshtrack-prod-firewall: allows SSH from 0.0.0.0/0."],
            ]);
            expect(violations[0]!.urn).to.match(/docker:index\/container:Container::postgres$/);
        });

        it("catches a prod stack that outgrows its droplet", async () => {
            const settings = loadStackSettings("prod");
            // Prod's s-4vcpu-8gb leaves about half its budget free: raise two services past it, each within the
            // per-container cap (container-memory-limit, 4096 MB).
            settings.config["freshtrack:resources"] = JSON.stringify({
                postgres: { memoryMb: 4096 },
                backend: { memoryMb: 2048 },
            });
            const { runUnderMocks } = await import("../scripts/lib/mockRun");
            const { resources } = await runUnderMocks(settings, deployStack);
            const violations = mandatory(await runPolicies(POLICIES, fromRegistered(resources), {}));
            expect(violations.map((v) => v.policy)).to.deep.equal(["stack-memory-budget"]);
        });
    });
});

describe("npm run policy: a report an operator can read", () => {
    const root = path.join(__dirname, "..");
    const policy = (...args: string[]) =>
        spawnSync(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", path.join(root, "scripts", "policy.ts"), ...args],
            { cwd: root, encoding: "utf8" },
        );

    // Rung 1 (the whole prod stack under mocks, through the script itself). Issue 17, friction 9: routine output must
    // not look like failure; the pack reports the same advisory findings on every preview.
    it("lists prod's mandatory violation in full, its advisory rules one line each, then the verdict; exit 1", function () {
        this.timeout(60_000);
        const result = policy("prod");
        expect(result.status, result.stderr).to.equal(1);
        // Every line within 120 columns (issue 17 newcomer pass: the violation and the verdict ran to 250).
        const all = result.stdout.trimEnd().split("\n");
        expect(all.filter((l) => [...l].length > 120)).to.deep.equal([]);
        // The verdict wraps onto a second line; read the report up to its first.
        const verdictAt = all.findIndex((l) =>
            l.startsWith("policy: 'prod' FAILS: 1 mandatory violation(s) in 1 rule(s)"),
        );
        expect(verdictAt, result.stdout).to.be.greaterThan(0);
        const lines = all.slice(0, verdictAt + 1);
        const mandatoryAt = lines.indexOf("Mandatory violations: pulumi preview and pulumi up fail on each");
        const advisoryAt = lines.findIndex((l) => l.startsWith("Advisory findings, for information"));
        expect(mandatoryAt, result.stdout).to.be.greaterThan(0);
        expect(advisoryAt, result.stdout).to.be.greaterThan(mandatoryAt);
        // The violation, whole: what is wrong and what to set.
        expect(lines.slice(mandatoryAt, advisoryAt).join(" ").replace(/\s+/g, " ")).to.contain(
            "volume droplet-data holds the stack's data and droplet backups do not cover block volumes",
        );
        // The advisory rules: a count each, and where the list is; no resource's reason.
        const advisory = lines.slice(advisoryAt + 1, lines.length - 2);
        expect(advisory, result.stdout).to.have.length(3);
        expect(advisory[0]).to.match(/^ {2}advisory {2}container-read-only-rootfs \(\d+\)$/);
        expect(advisory[1]).to.match(/^ {2}advisory {2}container-non-root-user \(\d+\)$/);
        expect(advisory[2]).to.equal("  Each with its resource and reason: npm run policy -- prod --all");
        expect(lines[lines.length - 2]).to.equal("");
        expect(result.stdout).to.not.contain("runs as root (user unset), because");
    });

    it("lists every advisory finding with its reason with --all", function () {
        this.timeout(60_000);
        const result = policy("prod", "--all");
        expect(result.status, result.stderr).to.equal(1);
        // The advisory findings are the exceptions, each with its reason: the frontend, node-exporter and Uptime Kuma
        // are read-only.
        expect(result.stdout).to.match(/advisory {2}container-read-only-rootfs \(\d+\)/);
        expect(result.stdout).to.not.match(/(frontend|node-exporter|uptime-kuma): has a writable root filesystem/);
        expect(result.stdout).to.contain(
            "promtail: runs as root (user unset), because it reads every container's log file",
        );
        expect(result.stdout).to.not.contain("--all");
    });
});

describe("backup copies that follow deletions, and a data volume no backup covers (issue 15, finding 2)", () => {
    const RULE = "stack-backups-and-monitoring";

    it("passes the shipped prod stack's own backup-sync, and would have refused the one before issue 15", async () => {
        const { resources } = await sharedRun(withOffsite(loadStackSettings("prod")));
        const inputs = fromRegistered(resources);
        expect(
            mandatory(await runPolicies(POLICIES, inputs, readPackConfig("prod"))).filter((f) => f.policy === RULE),
        ).to.deep.equal([]);
        const before = inputs.map((r) =>
            r.type === T.container && r.name === "backup-sync"
                ? { ...r, props: { ...r.props, entrypoints: undefined, command: watchingMirror().props.command } }
                : r,
        );
        const findings = mandatory(await runPolicies(POLICIES, before, readPackConfig("prod"))).filter(
            (f) => f.policy === RULE,
        );
        expect(findings.map((f) => f.message.split(",")[0])).to.deep.equal([
            "backup-sync: mirrors with --remove",
            "backup-sync: mirrors with --watch",
            "backup-sync: mirrors with --overwrite",
        ]);
    });
});

/**
 * Issue 15, finding 3: a Docker provider that reaches its daemon over SSH pins the host key.
 * Rung 1: the rule on a compliant provider changed in one option, and on the providers the
 * shipped stacks and an ssh stack register under mocks.
 */
describe("docker-ssh-host-key-pinned: the Docker provider's ssh accepts only the pinned host key (issue 15, finding 3)", () => {
    const RULE = "docker-ssh-host-key-pinned";
    const messages = async (...inputs: PolicyInput[]) => (await findingsFor(RULE, inputs)).map((f) => f.message);

    it("passes the Docker providers of the shipped stacks and of an ssh stack as the program registers them", async () => {
        // One after another: the mocks are process-wide.
        const stacks = [];
        for (const stack of shippedStacks()) stacks.push(await shippedRun(stack));
        const { runUnderMocks } = await import("../scripts/lib/mockRun");
        const settings = loadStackSettings("prod");
        settings.config["freshtrack:target"] = "ssh";
        settings.config["freshtrack:ssh"] = JSON.stringify({
            host: "vm.example.net",
            port: 2222,
            hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILSEL3mlyPpCGaUNBxcpStcsu+5bt0IiOM455EXcf9/y",
        });
        settings.config["freshtrack:sshPrivateKey"] =
            "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----\n";
        settings.secretKeys.push("freshtrack:sshPrivateKey");
        delete settings.config["freshtrack:droplet"];
        const ssh = await runUnderMocks(settings, deployStack);
        for (const run of [...stacks, ssh]) {
            const providers = fromRegistered(run.resources).filter((r) => r.type === "pulumi:providers:docker");
            const overSsh = providers.filter((p) => String(p.props.host ?? "").startsWith("ssh://"));
            expect(overSsh.length, "a droplet or ssh stack reaches Docker over SSH").to.equal(
                run.result.target === "local" ? 0 : 1,
            );
            expect(await messages(...providers), run.result.target).to.deep.equal([]);
        }
    });
});

/**
 * Issue 15, findings 1 and 6 (rung 1, the policy's validateResource on registered inputs): the pack refuses a
 * Caddy route to an admin interface without auth, and any container holding the Docker socket.
 */
describe("admin routes and the Docker socket (issue 15, findings 1 and 6)", () => {
    const messages = async (policy: string, inputs: PolicyInput[], config: PackConfig = {}) =>
        (await findingsFor(policy, inputs, config)).filter((f) => f.kind === "violation").map((f) => f.message);

    it("caddy-admin-routes-authenticated passes the shipped prod stack's Caddyfile and refuses the one before issue 15", async () => {
        const { resources } = await shippedRun("prod");
        const caddy = fromRegistered(resources).filter((r) => r.type === T.container && r.name === "caddy");
        expect(caddy).to.have.length(1);
        expect(await messages("caddy-admin-routes-authenticated", caddy)).to.deep.equal([]);
        const before = caddy.map((r) => {
            const uploads = (r.props.uploads as Array<{ file: string; content: string }>).map((u) =>
                u.file === "/etc/caddy/Caddyfile"
                    ? {
                          ...u,
                          content: u.content.replace(
                              /(status\.freshtrack\.example\.com \{[\s\S]*?handle \{\n)\s+basicauth \{\n[^\n]*\n\s+\}\n/,
                              "$1",
                          ),
                      }
                    : u,
            );
            return { ...r, props: { ...r.props, uploads } };
        });
        expect(await messages("caddy-admin-routes-authenticated", before)).to.deep.equal([
            "caddy: status.freshtrack.example.com: every other path reaches an admin interface without basicauth.",
        ]);
    });
});
