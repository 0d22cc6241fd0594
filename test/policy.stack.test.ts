import * as docker from "@pulumi/docker";
import { ResourceValidationPolicy } from "@pulumi/policy";
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as path from "path";
import { ContainerProps } from "../policy/lib";
import { BASELINE_SERVICE, BASELINE_STACK, containerBaseline, withProperty } from "./policy/containerBaseline";
import { PROPERTY_CASES } from "./policy/containerCases";
import { typeOf, validate } from "./policy/resourceArgs";
import { deployStack } from "../components/stack";
import { POLICIES } from "../policy/policies";
import { loadStackSettings, shippedStacks } from "../scripts/lib/stackFiles";
import { runStack, withOffsite } from "./helpers";
import {
    fromRegistered,
    mandatory,
    PackConfig,
    PolicyInput,
    readPackConfig,
    runPolicies,
    UNKNOWN_SENTINEL,
} from "../scripts/lib/policyRun";
import { T, findingsFor, watchingMirror } from "./policyFixtures";

/** The rules with a check on resources (the others validate the whole stack). */
const RESOURCE_RULES = POLICIES.filter((p) => (p as ResourceValidationPolicy).validateResource !== undefined);

/** Every resource rule on one container of the baseline's stack: [rule, message] for each violation. */
async function violationsOf(props: Record<string, unknown>, packConfig: PackConfig = readPackConfig(BASELINE_STACK)) {
    const found: Array<[string, string]> = [];
    for (const policy of RESOURCE_RULES) {
        const outcome = await validate(
            policy,
            { type: typeOf(docker.Container), name: BASELINE_SERVICE, props },
            packConfig,
        );
        for (const message of outcome.violations) found.push([policy.name, message]);
    }
    return found;
}

describe("container rules, typed: each refuses prod's backend changed in one property (rung 1: validateResource on registered inputs)", () => {
    let baseline: ContainerProps & Record<string, unknown>;
    before(async () => {
        baseline = await containerBaseline();
    });

    it("the baseline, prod's backend as the program registers it, passes every rule that checks a container, each having run", async () => {
        expect(await violationsOf(baseline)).to.deep.equal([]);
        const container = { type: typeOf(docker.Container), name: BASELINE_SERVICE, props: baseline };
        const ran: string[] = [];
        for (const policy of RESOURCE_RULES) {
            const outcome = await validate(policy, container, readPackConfig(BASELINE_STACK));
            expect(outcome.unknown, policy.name).to.deep.equal([]);
            if (outcome.ran > 0) ran.push(policy.name);
        }
        // The typed checks ran on the container (args.isType held): a rule that never runs passes every baseline.
        expect(ran).to.include.members(PROPERTY_CASES.map((c) => c.policy));
    });

    for (const c of PROPERTY_CASES) {
        const others = c.alsoBreaks ? `only ${c.alsoBreaks.map(([p]) => p).join(", ")} besides` : "no other rule";
        it(`${c.policy} fails the baseline with ${c.change} (${String(c.property)}), and ${others} does`, async () => {
            const found = await violationsOf(withProperty(baseline, c.property, c.value(baseline)));
            expect(found.map(([policy]) => policy).sort()).to.deep.equal(
                [c.policy, ...(c.alsoBreaks ?? []).map(([policy]) => policy)].sort(),
            );
            for (const [policy, message] of [[c.policy, c.message] as const, ...(c.alsoBreaks ?? [])]) {
                const own = found.filter(([p]) => p === policy).map(([, m]) => m);
                expect(own, policy).to.have.length(1);
                expect(own[0], policy).to.contain(`${BASELINE_SERVICE}: ${message}`);
            }
            for (const value of c.stillPasses ?? []) {
                expect(
                    await violationsOf(withProperty(baseline, c.property, value)),
                    JSON.stringify(value),
                ).to.deep.equal([]);
            }
        });
    }

    it("container-no-docker-socket refuses the socket even where container-host-mounts' allowlist permits it", async () => {
        const socket = PROPERTY_CASES.find((c) => c.policy === "container-no-docker-socket")!;
        const config = {
            ...readPackConfig(BASELINE_STACK),
            "container-host-mounts": { allowed: { [BASELINE_SERVICE]: ["/var/run/docker.sock"] } },
        };
        const found = await violationsOf(withProperty(baseline, socket.property, socket.value(baseline)), config);
        expect(found.map(([policy]) => policy)).to.deep.equal(["container-no-docker-socket"]);
    });

    it("no rule passes or fails the baseline when the property it reads is unknown during preview: it says it cannot run", async () => {
        for (const c of PROPERTY_CASES) {
            const policy = POLICIES.find((p) => p.name === c.policy)!;
            const props = withProperty(baseline, c.property, UNKNOWN_SENTINEL);
            const outcome = await validate(policy, { type: typeOf(docker.Container), name: BASELINE_SERVICE, props });
            expect(outcome.violations, `${c.policy} on ${String(c.property)}`).to.deep.equal([]);
            expect(outcome.unknown, `${c.policy} on ${String(c.property)}`).to.have.length(1);
        }
    });

    it("no container rule applies to a resource of another type, even with a container's props", async () => {
        for (const policy of POLICIES.filter((p) => PROPERTY_CASES.some((c) => c.policy === p.name))) {
            const outcome = await validate(policy, {
                type: typeOf(docker.Volume),
                name: "backend",
                props: { ...baseline, privileged: true },
            });
            expect(outcome.ran, policy.name).to.equal(0);
            expect(outcome.notApplicable, policy.name).to.include(
                "Policy only applies to resources of type 'docker:index/container:Container'",
            );
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
                const { runUnderMocks } = await import("../scripts/lib/mockRun");
                const { resources } = await runUnderMocks(finished(stack), deployStack);
                const config = readPackConfig(stack);
                const findings = await runPolicies(POLICIES, fromRegistered(resources), config);
                expect(mandatory(findings).map((f) => `${f.policy}: ${f.message}`)).to.deep.equal([]);
                expect(findings.filter((f) => f.kind === "unknown")).to.deep.equal([]);
            });
        }

        it("refuses the shipped prod as it ships, with no offsite copy of the block volume that holds every copy (issue 15, finding 2)", async () => {
            const { resources } = await runStack("prod", deployStack);
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
            const { runUnderMocks } = await import("../scripts/lib/mockRun");
            const { resources } = await runUnderMocks(withOffsite(loadStackSettings("prod")), deployStack);
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
            settings.config["freshtrack:resources"] = JSON.stringify({ postgres: { memoryMb: 2048 } });
            const { runUnderMocks } = await import("../scripts/lib/mockRun");
            const { resources } = await runUnderMocks(settings, deployStack);
            const violations = mandatory(await runPolicies(POLICIES, fromRegistered(resources), {}));
            expect(violations.map((v) => v.policy)).to.deep.equal(["stack-memory-budget"]);
        });
    });
});

describe("npm run policy: a report an operator can read", () => {
    it("prints the shipped prod stack's report with the verdict as its last line, and exits 1 for its one violation: no offsite copy", () => {
        const root = path.join(__dirname, "..");
        const result = spawnSync(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", path.join(root, "scripts", "policy.ts"), "prod"],
            { cwd: root, encoding: "utf8" },
        );
        expect(result.status, result.stderr).to.equal(1);
        const lines = result.stdout.trimEnd().split("\n");
        expect(lines[lines.length - 1]).to.match(/^policy: 'prod' FAILS: 1 mandatory violation\(s\) in 1 rule\(s\)/);
        expect(result.stdout).to.contain(
            "volume droplet-data holds the stack's data and droplet backups do not cover block volumes",
        );
        // The advisory findings are the exceptions, each with its reason: the frontend, node-exporter and Uptime Kuma
        // are read-only.
        expect(result.stdout).to.match(/advisory {2}container-read-only-rootfs \(\d+\)/);
        expect(result.stdout).to.not.match(/(frontend|node-exporter|uptime-kuma): has a writable root filesystem/);
        expect(result.stdout).to.contain(
            "promtail: runs as root (user unset), because it reads every container's log file",
        );
    });
});

describe("backup copies that follow deletions, and a data volume no backup covers (issue 15, finding 2)", () => {
    const RULE = "stack-backups-and-monitoring";

    it("passes the shipped prod stack's own backup-sync, and would have refused the one before issue 15", async () => {
        const { runUnderMocks } = await import("../scripts/lib/mockRun");
        const { resources } = await runUnderMocks(withOffsite(loadStackSettings("prod")), deployStack);
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
        for (const stack of shippedStacks()) stacks.push(await runStack(stack, deployStack));
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
        const { resources } = await runStack("prod", deployStack);
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
