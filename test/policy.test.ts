import { expect } from "chai";
import { spawnSync } from "child_process";
import * as path from "path";
import { deployStack } from "../components/stack";
import { POLICIES } from "../policy/policies";
import { loadStackSettings, shippedStacks } from "../scripts/lib/stackFiles";
import { runStack } from "./helpers";
import { Finding, findingLines, fromRegistered, mandatory, policyVerdict, PackConfig, PolicyInput, readPackConfig, runPolicies, UNKNOWN_SENTINEL } from "../scripts/lib/policyRun";

const T = {
    container: "docker:index/container:Container",
    remoteImage: "docker:index/remoteImage:RemoteImage",
    dockerVolume: "docker:index/volume:Volume",
    droplet: "digitalocean:index/droplet:Droplet",
    firewall: "digitalocean:index/firewall:Firewall",
    service: "freshtrack:services:Service",
};

let counter = 0;
function resource(type: string, props: Record<string, unknown>, opts: PolicyInput["opts"] = {}, parent?: string): PolicyInput {
    const name = `r${++counter}`;
    return { type, name, urn: `urn:pulumi:test::freshtrack::${type}::${name}`, props, opts, ...(parent ? { parent } : {}) };
}

/** A container as the Service component makes it: passes every rule, including the advisory ones. */
function container(over: Record<string, unknown> = {}, service = "api", kind = "stateless"): PolicyInput {
    return resource(T.container, {
        image: "sha256:0123abcd",
        memory: 256,
        memorySwap: 256,
        cpus: "0.5",
        healthcheck: { tests: ["CMD", "true"], interval: "10s" },
        wait: true,
        restart: kind === "job" ? "no" : "unless-stopped",
        ...(kind === "job" ? { attach: true, mustRun: false } : {}),
        logDriver: "json-file",
        logOpts: { "max-size": "10m", "max-file": "3" },
        securityOpts: ["no-new-privileges:true"],
        capabilities: { drops: ["ALL"], adds: [] },
        ports: [],
        envs: ["NODE_ENV=production", "DB_PASSWORD_FILE=/run/secrets/db"],
        labels: [
            { label: "com.freshtrack.service", value: service },
            { label: "com.freshtrack.kind", value: kind },
        ],
        readOnly: true,
        user: "1000:1000",
        ...over,
    });
}

function droplet(over: Record<string, unknown> = {}, opts: PolicyInput["opts"] = { ignoreChanges: ["userData", "sshKeys", "image"] }): PolicyInput {
    return resource(T.droplet, { size: "s-2vcpu-4gb", monitoring: true, backups: true, sshKeys: ["aa:bb"], vpcUuid: "vpc-1", ...over }, opts);
}

function firewall(inbound: Array<{ protocol: string; portRange?: string; sourceAddresses: string[] }>): PolicyInput {
    return resource(T.firewall, { inboundRules: inbound });
}

const GOOD_FIREWALL = [
    { protocol: "tcp", portRange: "80", sourceAddresses: ["0.0.0.0/0", "::/0"] },
    { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0", "::/0"] },
    { protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.0/28"] },
];

/** Containers wrapped in Service components, as a stack has them. */
function inService(...containers: PolicyInput[]): PolicyInput[] {
    return containers.flatMap((c) => {
        const svc = resource(T.service, {});
        return [svc, { ...c, parent: svc.urn }];
    });
}

async function findingsFor(policyName: string, inputs: PolicyInput[], config: PackConfig = {}): Promise<Finding[]> {
    const policy = POLICIES.find((p) => p.name === policyName);
    expect(policy, policyName).to.not.equal(undefined);
    return runPolicies([policy!], inputs, config);
}

interface Case {
    readonly policy: string;
    readonly passing: () => PolicyInput[];
    readonly failing: () => PolicyInput[];
    readonly message: RegExp;
    readonly config?: PackConfig;
}

const CASES: Case[] = [
    { policy: "container-memory-limit", passing: () => [container()], failing: () => [container({ memory: undefined })], message: /api: has no memory limit/ },
    { policy: "container-memory-limit", passing: () => [container({ memory: 4096 })], failing: () => [container({ memory: 6000 })], message: /6000 MB is above the 4096 MB/ },
    { policy: "container-cpu-limit", passing: () => [container()], failing: () => [container({ cpus: undefined })], message: /has no CPU limit/ },
    { policy: "container-healthcheck", passing: () => [container(), container({ healthcheck: undefined, wait: undefined }, "migrate", "job")], failing: () => [container({ healthcheck: undefined })], message: /has no health check/ },
    { policy: "container-healthcheck", passing: () => [container()], failing: () => [container({ wait: false })], message: /does not wait for it/ },
    { policy: "container-restart-policy", passing: () => [container(), container({}, "migrate", "job")], failing: () => [container({ restart: "no" })], message: /restart policy 'no'/ },
    { policy: "container-log-rotation", passing: () => [container(), container({ logDriver: "local", logOpts: {} })], failing: () => [container({ logOpts: { "max-size": "10m" } })], message: /without max-size and max-file/ },
    {
        policy: "image-pinned",
        passing: () => [container({ image: "postgres:17.11-alpine" }), resource(T.remoteImage, { name: "ghcr.io/x/backend:1.4.2" }), resource(T.remoteImage, { name: `redis@sha256:${"a".repeat(64)}` })],
        failing: () => [resource(T.remoteImage, { name: "ghcr.io/x/backend:latest" }), resource(T.remoteImage, { name: "postgres" }), container({ image: "nginx" })],
        message: /image '(ghcr.io\/x\/backend:latest|postgres|nginx)' is not pinned/,
    },
    { policy: "container-not-privileged", passing: () => [container()], failing: () => [container({ privileged: true })], message: /runs privileged/ },
    { policy: "container-no-host-namespaces", passing: () => [container()], failing: () => [container({ pidMode: "host" })], message: /host's PID namespace/ },
    { policy: "container-no-new-privileges", passing: () => [container()], failing: () => [container({ securityOpts: [] })], message: /lacks securityOpts no-new-privileges/ },
    { policy: "container-capabilities", passing: () => [container({ capabilities: { drops: ["ALL"], adds: ["NET_BIND_SERVICE"] } }, "caddy")], failing: () => [container({ capabilities: { drops: ["ALL"], adds: ["SYS_ADMIN"] } })], message: /adds capabilities SYS_ADMIN beyond its allowlist \(none\)/ },
    { policy: "container-capabilities", passing: () => [container()], failing: () => [container({ capabilities: { drops: [], adds: [] } })], message: /does not drop ALL/ },
    {
        policy: "container-host-mounts",
        passing: () => [container(), container({ volumes: [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true }] }, "promtail")],
        failing: () => [container({ volumes: [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }] })],
        message: /mounts host path \/var\/run\/docker.sock \(control of the whole host\)/,
    },
    { policy: "container-host-mounts", passing: () => [container()], failing: () => [container({ volumes: [{ hostPath: "/var/run/docker.sock", containerPath: "/s" }] }, "promtail")], message: /writable; the allowlist permits it read-only only/ },
    {
        policy: "container-published-ports",
        passing: () => [container({ ports: [{ internal: 443, external: 443, ip: "0.0.0.0" }, { internal: 5432, external: 5432, ip: "127.0.0.1" }] })],
        failing: () => [container({ ports: [{ internal: 5432, external: 5432, ip: "0.0.0.0" }] })],
        message: /publishes port 5432 on 0.0.0.0/,
    },
    { policy: "container-no-secret-env", passing: () => [container()], failing: () => [container({ envs: ["DB_PASSWORD=hunter2"] })], message: /env DB_PASSWORD carries a value/ },
    { policy: "container-read-only-rootfs", passing: () => [container()], failing: () => [container({ readOnly: false })], message: /writable root filesystem/ },
    { policy: "container-non-root-user", passing: () => [container()], failing: () => [container({ user: undefined })], message: /runs as root/ },
    { policy: "do-firewall-public-ports", passing: () => [firewall(GOOD_FIREWALL)], failing: () => [firewall([...GOOD_FIREWALL, { protocol: "tcp", portRange: "5432", sourceAddresses: ["0.0.0.0/0"] }])], message: /opens tcp 5432 to the whole internet/ },
    { policy: "do-firewall-no-world-ssh", passing: () => [firewall(GOOD_FIREWALL)], failing: () => [firewall([{ protocol: "tcp", portRange: "1-65535", sourceAddresses: ["::/0"] }])], message: /allows SSH from ::\/0/ },
    { policy: "do-droplet-size", passing: () => [droplet()], failing: () => [droplet({ size: "s-32vcpu-192gb" })], message: /size s-32vcpu-192gb is not one of/ },
    { policy: "do-droplet-hardening", passing: () => [droplet()], failing: () => [droplet({ monitoring: false, sshKeys: [] })], message: /monitoring agent|no SSH key/ },
    { policy: "do-droplet-hardening", passing: () => [droplet()], failing: () => [droplet({ backups: false })], message: /backups off, which this stack requires/, config: { "do-droplet-hardening": { requireBackups: true } } },
    { policy: "do-droplet-replacement-guard", passing: () => [droplet()], failing: () => [droplet({}, { ignoreChanges: ["userData"] })], message: /replaced when sshKeys change/ },
    { policy: "stateful-resources-protected", passing: () => [resource(T.dockerVolume, { name: "v" }, { protect: true })], failing: () => [resource(T.dockerVolume, { name: "v" }, { protect: false })], message: /holds data but is not protected/ },
    {
        policy: "stack-memory-budget",
        passing: () => [droplet(), ...inService(container({ memory: 2000 }, "db", "stateful"), container({ memory: 600 }))],
        failing: () => [droplet({ size: "s-1vcpu-2gb" }), ...inService(container({ memory: 1200 }, "db", "stateful"), container({ memory: 400 }))],
        message: /reach 2000 MB at peak \(1600 MB steady\), over the 1740 MB budget: 2048 MB less 15 % headroom/,
    },
    { policy: "stack-containers-through-service", passing: () => inService(container()), failing: () => [container()], message: /container r\d+ is not created by the Service component/ },
    {
        policy: "stack-backups-and-monitoring",
        passing: () => [droplet(), ...inService(container({}, "prometheus"))],
        failing: () => [droplet({ backups: false }), ...inService(container())],
        message: /has DigitalOcean backups off|required service prometheus is not deployed/,
        config: { "stack-backups-and-monitoring": { required: true, requiredServices: ["prometheus"] } },
    },
];

describe("policy pack", () => {
    describe("metadata", () => {
        it("has a rule for each requirement, each with a unique kebab-case name", () => {
            const names = POLICIES.map((p) => p.name);
            expect(new Set(names).size).to.equal(names.length);
            for (const name of names) expect(name).to.match(/^[a-z0-9]+(-[a-z0-9]+)+$/);
            expect(names).to.have.length(24);
        });

        it("gives every rule an explicit enforcement level and a description that says how to fix a violation", () => {
            for (const p of POLICIES) {
                expect(p.enforcementLevel, p.name).to.be.oneOf(["mandatory", "advisory"]);
                expect(p.description, p.name).to.match(/^[A-Z].*\. Fix: .+\.$/);
                expect(Object.keys(p.configSchema?.properties ?? {}), p.name).to.not.include("enforcementLevel");
            }
        });

        it("keeps only the read-only root filesystem and non-root rules advisory", () => {
            expect(POLICIES.filter((p) => p.enforcementLevel === "advisory").map((p) => p.name).sort()).to.deep.equal(["container-non-root-user", "container-read-only-rootfs"]);
        });

        it("ships a policy config for every shipped stack that names only real rules and settings", () => {
            for (const stack of shippedStacks()) {
                const config = readPackConfig(stack) as Record<string, Record<string, unknown>>;
                for (const [name, settings] of Object.entries(config)) {
                    const policy = POLICIES.find((p) => p.name === name);
                    expect(policy, `${stack}: ${name}`).to.not.equal(undefined);
                    for (const key of Object.keys(settings)) {
                        if (key !== "enforcementLevel") expect(Object.keys(policy!.configSchema?.properties ?? {}), `${stack}: ${name}.${key}`).to.include(key);
                    }
                }
            }
        });
    });

    describe("every rule passes a compliant resource and fails a broken one", () => {
        for (const c of CASES) {
            it(`${c.policy}: ${c.message.source.slice(0, 60)}`, async () => {
                expect(await findingsFor(c.policy, c.passing(), c.config), "compliant").to.deep.equal([]);
                const failing = await findingsFor(c.policy, c.failing(), c.config);
                expect(failing, "broken").to.not.be.empty;
                for (const f of failing) {
                    expect(f.kind).to.equal("violation");
                    expect(f.message).to.match(c.message);
                }
            });
        }

        it("covers every rule of the pack", () => {
            expect(new Set(CASES.map((c) => c.policy))).to.deep.equal(new Set(POLICIES.map((p) => p.name)));
        });

        it("lets a stack exempt a service from a container rule by config", async () => {
            const broken = [container({ readOnly: false }, "postgres")];
            expect(await findingsFor("container-read-only-rootfs", broken, { "container-read-only-rootfs": { exemptServices: ["postgres"] } })).to.deep.equal([]);
        });

        it("lets a stack change a rule's enforcement level or disable it", async () => {
            const broken = [container({ readOnly: false })];
            expect((await findingsFor("container-read-only-rootfs", broken, { "container-read-only-rootfs": { enforcementLevel: "mandatory" } }))[0]!.enforcementLevel).to.equal("mandatory");
            expect(await findingsFor("container-read-only-rootfs", broken, { "container-read-only-rootfs": "disabled" })).to.deep.equal([]);
        });
    });

    describe("values unknown during preview", () => {
        const expectUnknownNotViolation = (findings: Finding[], policy: string) => {
            const own = findings.filter((f) => f.policy === policy);
            expect(own.filter((f) => f.kind === "violation"), `${policy} must not fail on an unknown`).to.deep.equal([]);
            expect(own.filter((f) => f.kind === "unknown"), `${policy} must not pass silently on an unknown`).to.have.length(1);
            expect(own[0]!.enforcementLevel).to.equal("advisory");
        };

        it("neither fails nor passes a container rule whose value is unknown", async () => {
            const unknownMemory = [container({ memory: UNKNOWN_SENTINEL })];
            expectUnknownNotViolation(await findingsFor("container-memory-limit", unknownMemory), "container-memory-limit");
            expectUnknownNotViolation(await findingsFor("container-published-ports", [container({ ports: UNKNOWN_SENTINEL })]), "container-published-ports");
            expectUnknownNotViolation(await findingsFor("container-no-secret-env", [container({ envs: UNKNOWN_SENTINEL })]), "container-no-secret-env");
        });

        it("neither fails nor passes a firewall or droplet rule whose value is unknown", async () => {
            expectUnknownNotViolation(await findingsFor("do-firewall-no-world-ssh", [resource(T.firewall, { inboundRules: UNKNOWN_SENTINEL })]), "do-firewall-no-world-ssh");
            expectUnknownNotViolation(await findingsFor("do-droplet-size", [droplet({ size: UNKNOWN_SENTINEL })]), "do-droplet-size");
        });

        it("neither fails nor passes the memory budget when a limit or the droplet size is unknown", async () => {
            expectUnknownNotViolation(await findingsFor("stack-memory-budget", [droplet({ size: UNKNOWN_SENTINEL }), ...inService(container())]), "stack-memory-budget");
            expectUnknownNotViolation(await findingsFor("stack-memory-budget", [droplet(), ...inService(container({ memory: UNKNOWN_SENTINEL }))]), "stack-memory-budget");
        });
    });

    describe("shipped stacks", () => {
        for (const stack of shippedStacks()) {
            it(`stack ${stack} has no mandatory violation with policy/config/${stack}.json`, async () => {
                const { resources } = await runStack(stack, deployStack);
                const config = readPackConfig(stack);
                const findings = await runPolicies(POLICIES, fromRegistered(resources), config);
                expect(mandatory(findings).map((f) => `${f.policy}: ${f.message}`)).to.deep.equal([]);
                expect(findings.filter((f) => f.kind === "unknown")).to.deep.equal([]);
            });
        }

        it("reports exactly the two broken things in a prod stack with a container without memory limit and SSH open to the world", async () => {
            const { resources } = await runStack("prod", deployStack);
            const inputs = fromRegistered(resources).map((r) => {
                if (r.type === T.container && r.name === "postgres") {
                    const { memory: _memory, memorySwap: _swap, ...rest } = r.props;
                    return { ...r, props: rest };
                }
                if (r.type === T.firewall) {
                    const rules = (r.props.inboundRules as Array<{ portRange: string; sourceAddresses: string[] }>).map((rule) => (rule.portRange === "22" ? { ...rule, sourceAddresses: ["0.0.0.0/0"] } : rule));
                    return { ...r, props: { ...r.props, inboundRules: rules } };
                }
                return r;
            });
            const config = readPackConfig("prod");
            const violations = mandatory(await runPolicies(POLICIES, inputs, config));
            expect(violations.map((v) => [v.policy, v.message])).to.deep.equal([
                ["container-memory-limit", "postgres: has no memory limit; a leak in it could take the whole host down. Set limits.memoryMb."],
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
    const finding = (policy: string, enforcementLevel: Finding["enforcementLevel"], message: string): Finding => ({ policy, enforcementLevel, kind: "violation", message });
    const findings: Finding[] = [
        finding("do-firewall-no-world-ssh", "mandatory", "freshtrack-prod-firewall: allows SSH from 0.0.0.0/0."),
        ...["worker", "backend", "caddy"].map((n) => finding("container-read-only-rootfs", "advisory", `${n}: has a writable root filesystem.`)),
        finding("container-read-only-rootfs", "advisory", "grafana: mounts / read-write."),
        finding("stack-memory-budget", "mandatory", "container limits reach 4000 MB at peak (3000 MB steady), over the 3481 MB budget: 4096 MB less 15 % headroom."),
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
            "      container limits reach 4000 MB at peak (3000 MB steady), over the 3481 MB budget: 4096 MB less 15 % headroom.",
        ]);
    });

    it("says 'all N containers' when a finding holds for every container of the stack, instead of listing them", () => {
        const every = ["caddy", "backend", "worker"];
        const lines = findingLines(every.map((n) => finding("container-non-root-user", "advisory", `${n}: runs as root.`)), 100, every);
        expect(lines).to.deep.equal(["  advisory  container-non-root-user (3)", "      all 3 containers: runs as root."]);
        // Two of three is still a list: the one left out matters.
        expect(findingLines(every.slice(0, 2).map((n) => finding("r", "advisory", `${n}: runs as root.`)), 100, every)[1]).to.equal("      2 resources: runs as root.");
    });

    it("wraps a long list of names at the given width", () => {
        const many = Array.from({ length: 30 }, (_, i) => finding("r", "advisory", `service-${String(i).padStart(2, "0")}: same.`));
        const lines = findingLines(many, 60);
        expect(lines.slice(0, 2)).to.deep.equal(["  advisory  r (30)", "      30 resources: same."]);
        for (const l of lines.slice(2)) expect(l.length, l).to.be.at.most(60);
        expect(lines.slice(2).join(" ").split(/,?\s+/).filter(Boolean)).to.have.length(30);
    });

    it("ends with the verdict: FAILS with the count of mandatory violations, or passes", () => {
        expect(policyVerdict("prod", findings)).to.equal(
            "policy: 'prod' FAILS: 2 mandatory violation(s) in 2 rule(s); pulumi up with this pack stops before changing anything (4 advisory finding(s) in 1 rule(s), which do not block)",
        );
        expect(policyVerdict("dev", findings.filter((f) => f.enforcementLevel === "advisory"))).to.equal("policy: 'dev' passes: no mandatory violation (4 advisory finding(s) in 1 rule(s), which do not block)");
        expect(policyVerdict("dev", [])).to.equal("policy: 'dev' passes: no mandatory violation (no advisory findings)");
    });

    it("prints the shipped prod stack's report with the verdict as its last line and exits 0", () => {
        const root = path.join(__dirname, "..");
        const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(root, "scripts", "policy.ts"), "prod"], { cwd: root, encoding: "utf8" });
        expect(result.status, result.stderr).to.equal(0);
        const lines = result.stdout.trimEnd().split("\n");
        expect(lines[lines.length - 1]).to.match(/^policy: 'prod' passes: no mandatory violation/);
        expect(lines.length, "one line per resource would be 52 finding lines").to.be.below(15);
        expect(result.stdout).to.contain("      all 26 containers: has a writable root filesystem.");
    });
});
