/**
 * Rung 1: the pack as a whole: its rules' names, levels and descriptions, the pack config every shipped stack ships,
 * what a rule does with a value unknown during preview, the report `npm run policy` prints, and the pack that
 * deploy and rollback pass to `pulumi up`.
 */
import { expect } from "chai";
import * as path from "path";
import { POLICIES } from "../policy/policies";
import { shippedStacks } from "../scripts/lib/stackFiles";
import {
    Finding,
    advisorySummaryLines,
    findingLines,
    policyVerdict,
    policyUpOptions,
    readPackConfig,
    UNKNOWN_SENTINEL,
} from "../scripts/lib/policyRun";
import { T, resource, container, findingsFor, droplet } from "./policyFixtures";
import { inService } from "./policyCaseFixtures";

describe("policy pack", () => {
    describe("metadata", () => {
        it("has a rule for each requirement, each with a unique kebab-case name", () => {
            const names = POLICIES.map((p) => p.name);
            expect(new Set(names).size).to.equal(names.length);
            for (const name of names) expect(name).to.match(/^[a-z0-9]+(-[a-z0-9]+)+$/);
            expect(names).to.have.length(30);
        });

        it("gives every rule an explicit enforcement level and a description that says how to fix a violation", () => {
            for (const p of POLICIES) {
                expect(p.enforcementLevel, p.name).to.be.oneOf(["mandatory", "advisory"]);
                expect(p.description, p.name).to.match(/^[A-Z].*\. Fix: .+\.$/);
                expect(Object.keys(p.configSchema?.properties ?? {}), p.name).to.not.include("enforcementLevel");
            }
        });

        it("keeps only the read-only root filesystem and non-root rules advisory", () => {
            expect(
                POLICIES.filter((p) => p.enforcementLevel === "advisory")
                    .map((p) => p.name)
                    .sort(),
            ).to.deep.equal(["container-non-root-user", "container-read-only-rootfs"]);
        });

        it("ships a policy config for every shipped stack that names only real rules and settings", () => {
            for (const stack of shippedStacks()) {
                const config = readPackConfig(stack) as Record<string, Record<string, unknown>>;
                for (const [name, settings] of Object.entries(config)) {
                    const policy = POLICIES.find((p) => p.name === name);
                    expect(policy, `${stack}: ${name}`).to.not.equal(undefined);
                    for (const key of Object.keys(settings)) {
                        if (key !== "enforcementLevel")
                            expect(
                                Object.keys(policy!.configSchema?.properties ?? {}),
                                `${stack}: ${name}.${key}`,
                            ).to.include(key);
                    }
                }
            }
        });
    });
    describe("values unknown during preview", () => {
        const expectUnknownNotViolation = (findings: Finding[], policy: string) => {
            const own = findings.filter((f) => f.policy === policy);
            expect(
                own.filter((f) => f.kind === "violation"),
                `${policy} must not fail on an unknown`,
            ).to.deep.equal([]);
            expect(
                own.filter((f) => f.kind === "unknown"),
                `${policy} must not pass silently on an unknown`,
            ).to.have.length(1);
            expect(own[0]!.enforcementLevel).to.equal("advisory");
        };

        it("neither fails nor passes a container rule whose value is unknown", async () => {
            const unknownMemory = [container({ memory: UNKNOWN_SENTINEL })];
            expectUnknownNotViolation(
                await findingsFor("container-memory-limit", unknownMemory),
                "container-memory-limit",
            );
            expectUnknownNotViolation(
                await findingsFor("container-published-ports", [container({ ports: UNKNOWN_SENTINEL })]),
                "container-published-ports",
            );
            expectUnknownNotViolation(
                await findingsFor("container-no-secret-env", [container({ envs: UNKNOWN_SENTINEL })]),
                "container-no-secret-env",
            );
        });

        it("neither fails nor passes a firewall or droplet rule whose value is unknown", async () => {
            expectUnknownNotViolation(
                await findingsFor("do-firewall-no-world-ssh", [
                    resource(T.firewall, { inboundRules: UNKNOWN_SENTINEL }),
                ]),
                "do-firewall-no-world-ssh",
            );
            expectUnknownNotViolation(
                await findingsFor("do-droplet-size", [droplet({ size: UNKNOWN_SENTINEL })]),
                "do-droplet-size",
            );
        });

        it("neither fails nor passes the memory budget when a limit or the droplet size is unknown", async () => {
            expectUnknownNotViolation(
                await findingsFor("stack-memory-budget", [
                    droplet({ size: UNKNOWN_SENTINEL }),
                    ...inService(container()),
                ]),
                "stack-memory-budget",
            );
            expectUnknownNotViolation(
                await findingsFor("stack-memory-budget", [
                    droplet(),
                    ...inService(container({ memory: UNKNOWN_SENTINEL })),
                ]),
                "stack-memory-budget",
            );
        });
    });
});

describe("npm run policy: a report an operator can read", () => {
    const finding = (policy: string, enforcementLevel: Finding["enforcementLevel"], message: string): Finding => ({
        policy,
        enforcementLevel,
        kind: "violation",
        message,
    });
    const findings: Finding[] = [
        finding("do-firewall-no-world-ssh", "mandatory", "freshtrack-prod-firewall: allows SSH from 0.0.0.0/0."),
        ...["worker", "backend", "caddy"].map((n) =>
            finding("container-read-only-rootfs", "advisory", `${n}: has a writable root filesystem.`),
        ),
        finding("container-read-only-rootfs", "advisory", "grafana: mounts / read-write."),
        finding(
            "stack-memory-budget",
            "mandatory",
            "container limits reach 4000 MB at peak (3000 MB steady), over the 3481 MB budget: 4096 MB less 15 % headroom (s-2vcpu-4gb); 519 MB over.",
        ),
    ];

    it("folds findings that say the same thing into one line naming every resource, sorted", () => {
        expect(findingLines(findings)).to.deep.equal([
            "  mandatory do-firewall-no-world-ssh (1)",
            "      freshtrack-prod-firewall: allows SSH from 0.0.0.0/0.",
            "  advisory  container-read-only-rootfs (4)",
            "      3 resources: has a writable root filesystem.",
            "        backend, caddy, worker",
            "      grafana: mounts / read-write.",
            "  mandatory stack-memory-budget (1)",
            "      container limits reach 4000 MB at peak (3000 MB steady), over the 3481 MB budget: 4096 MB less 15 % headroom (s-2vcpu-4gb); 519 MB over.",
        ]);
    });

    it("says 'all N containers' when a finding holds for every container of the stack, instead of listing them", () => {
        const every = ["caddy", "backend", "worker"];
        const lines = findingLines(
            every.map((n) => finding("container-non-root-user", "advisory", `${n}: runs as root.`)),
            100,
            every,
        );
        expect(lines).to.deep.equal([
            "  advisory  container-non-root-user (3)",
            "      all 3 containers: runs as root.",
        ]);
        // Two of three is still a list: the one left out matters.
        expect(
            findingLines(
                every.slice(0, 2).map((n) => finding("r", "advisory", `${n}: runs as root.`)),
                100,
                every,
            )[1],
        ).to.equal("      2 resources: runs as root.");
    });

    it("wraps a long list of names at the given width", () => {
        const many = Array.from({ length: 30 }, (_, i) =>
            finding("r", "advisory", `service-${String(i).padStart(2, "0")}: same.`),
        );
        const lines = findingLines(many, 60);
        expect(lines.slice(0, 2)).to.deep.equal(["  advisory  r (30)", "      30 resources: same."]);
        for (const l of lines.slice(2)) expect(l.length, l).to.be.at.most(60);
        expect(lines.slice(2).join(" ").split(/,?\s+/).filter(Boolean)).to.have.length(30);
    });

    // Rung 1 (the report's own logic). Issue 17, friction 9: advisory findings, reported on every preview, read as
    // information: a count per rule, never the mandatory violations.
    it("sums up advisory findings as one line per rule with its count, leaving out mandatory violations", () => {
        // A rule that could not run is reported as advisory by the policy server, but is named as not run: a mandatory
        // one runs during the update and may stop it then.
        const unknown: Finding = { ...finding("container-memory-limit", "advisory", "can't run"), kind: "unknown" };
        expect(advisorySummaryLines([...findings, unknown])).to.deep.equal([
            "  advisory  container-read-only-rootfs (4)",
            "  not run   container-memory-limit (1)",
        ]);
        expect(findingLines([unknown])[0]).to.equal("  not run   container-memory-limit (1)");
        expect(advisorySummaryLines(findings.filter((f) => f.enforcementLevel === "mandatory"))).to.deep.equal([]);
    });

    it("ends with the verdict: FAILS with the count of mandatory violations, or passes", () => {
        expect(policyVerdict("prod", findings)).to.equal(
            "policy: 'prod' FAILS: 2 mandatory violation(s) in 2 rule(s); pulumi up with this pack stops before changing anything (4 advisory finding(s) in 1 rule(s), which do not block)",
        );
        expect(
            policyVerdict(
                "dev",
                findings.filter((f) => f.enforcementLevel === "advisory"),
            ),
        ).to.equal(
            "policy: 'dev' passes: no mandatory violation (4 advisory finding(s) in 1 rule(s), which do not block)",
        );
        expect(policyVerdict("dev", [])).to.equal(
            "policy: 'dev' passes: no mandatory violation (no advisory findings)",
        );
    });
});

// The newcomer pass: a new stack without its own pack config got a file that does not exist from `npm run deploy`.
// Issue 16: the pack config is chosen by the stack's freshtrack:environment, never by its name, and every environment
// ships one, so deploy, rollback and `npm run policy` read the same file.
describe("policyUpOptions: the pack for `pulumi up` through the Automation API (deploy, rollback)", () => {
    it("passes the pack config of the stack's environment: policy/config/<environment>.json", () => {
        const config = (file: string) => path.join(__dirname, "..", "policy", "config", file);
        const prod = policyUpOptions("prod");
        expect(prod.policyPacks).to.deep.equal([path.join(__dirname, "..", "policy")]);
        expect(prod.policyPackConfigs).to.deep.equal([config("production.json")]);
        expect(policyUpOptions("staging").policyPackConfigs).to.deep.equal([config("staging.json")]);
        expect(policyUpOptions("dev").policyPackConfigs).to.deep.equal([config("development.json")]);
    });
});
