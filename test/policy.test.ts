import { expect } from "chai";
import * as path from "path";
import { PROPERTY_CASES } from "./policy/containerCases";
import { POLICIES } from "../policy/policies";
import { CaddySite, renderCaddyfile } from "../components/edge/caddyfile";
import { statusSite } from "../components/edge/caddy";
import { shippedStacks } from "../scripts/lib/stackFiles";
import { renderPidsLimitScript } from "../components/host/pidsLimit";
import {
    Finding,
    findingLines,
    packConfigProblems,
    policyVerdict,
    PackConfig,
    PolicyInput,
    policyUpOptions,
    readPackConfig,
    UNKNOWN_SENTINEL,
} from "../scripts/lib/policyRun";
import { T, resource, container, findingsFor, droplet, firewall, watchingMirror } from "./policyFixtures";

const GOOD_FIREWALL = [
    { protocol: "tcp", portRange: "80", sourceAddresses: ["0.0.0.0/0", "::/0"] },
    { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0", "::/0"] },
    { protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.0/28"] },
];

/** Containers wrapped in Service components, as a stack has them. */
function inService(...containers: PolicyInput[]): PolicyInput[] {
    return containers.flatMap((c) => withService({}, c));
}

/** One container in a Service component whose registered props are `serviceProps` (e.g. the reasons it records). */
function withService(serviceProps: Record<string, unknown>, c: PolicyInput): PolicyInput[] {
    const svc = resource(T.service, serviceProps);
    return [svc, { ...c, parent: svc.urn }];
}

/** A long-running container in its Service, beside the command Service makes to limit its PIDs with `script`. */
function withPidsLimit(script: string, c0: PolicyInput = container()): PolicyInput[] {
    const [svc, c] = inService(c0);
    return [svc!, c!, { ...resource("command:remote:Command", { create: "sh -s", stdin: script }), parent: svc!.urn }];
}

interface Case {
    readonly policy: string;
    readonly passing: () => PolicyInput[];
    readonly failing: () => PolicyInput[];
    readonly message: RegExp;
    readonly config?: PackConfig;
}

/** The caddy container with a Caddyfile among its uploads, as the Edge component registers it. */
function caddyWith(sites: CaddySite[]): PolicyInput {
    const caddyfile = renderCaddyfile({ email: "ops@example.com", tlsMode: "acme", sites });
    return container(
        { uploads: [{ file: "/etc/caddy/Caddyfile", content: caddyfile, permissions: "0444" }], user: undefined },
        "caddy",
    );
}
const HASH = "$2a$10$abcdefghijklmnopqrstuv";
const APP_SITE: CaddySite = {
    address: "freshtrack.example.com",
    routes: [
        { upstreams: ["frontend:8080"] },
        { path: "/admin/queues*", upstreams: ["backend:3000"], basicAuth: { user: "admin", bcryptHash: HASH } },
    ],
};
const STATUS_GATED = [APP_SITE, statusSite("freshtrack.example.com", HASH, ["public"])];
/** The status site before issue 15: Uptime Kuma, setup and all, proxied with no auth. */
const STATUS_OPEN = [
    APP_SITE,
    { address: "status.freshtrack.example.com", routes: [{ upstreams: ["uptime-kuma:3001"] }] },
];

const CASES: Case[] = [
    {
        policy: "container-healthcheck",
        passing: () => [container(), container({ healthcheck: undefined, wait: undefined }, "migrate", "job")],
        failing: () => [container({ healthcheck: undefined })],
        message: /has no health check/,
    },
    {
        policy: "container-restart-policy",
        passing: () => [container(), container({}, "migrate", "job")],
        failing: () => [container({ restart: "no" })],
        message: /restart policy 'no'/,
    },
    {
        policy: "image-pinned",
        passing: () => [
            container({ image: "postgres:17.11-alpine" }),
            resource(T.remoteImage, { name: "ghcr.io/x/backend:1.4.2" }),
            resource(T.remoteImage, { name: `redis@sha256:${"a".repeat(64)}` }),
        ],
        failing: () => [
            resource(T.remoteImage, { name: "ghcr.io/x/backend:latest" }),
            resource(T.remoteImage, { name: "postgres" }),
            container({ image: "nginx" }),
        ],
        message: /image '(ghcr.io\/x\/backend:latest|postgres|nginx)' is not pinned/,
    },
    {
        policy: "container-capabilities",
        passing: () => [container({ capabilities: { drops: ["ALL"], adds: ["NET_BIND_SERVICE"] } }, "caddy")],
        failing: () => [container({ capabilities: { drops: ["ALL"], adds: ["SYS_ADMIN"] } })],
        message: /adds capabilities SYS_ADMIN beyond its allowlist \(none\)/,
    },
    {
        policy: "container-host-mounts",
        passing: () => [
            container(),
            container(
                {
                    volumes: [
                        {
                            hostPath: "/var/lib/docker/containers",
                            containerPath: "/var/lib/docker/containers",
                            readOnly: true,
                        },
                    ],
                },
                "promtail",
            ),
        ],
        failing: () => [
            container({ volumes: [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }] }),
        ],
        message: /mounts host path \/var\/run\/docker.sock \(control of the whole host\)/,
    },
    {
        policy: "container-host-mounts",
        passing: () => [container()],
        failing: () => [
            container({ volumes: [{ hostPath: "/var/lib/docker/containers", containerPath: "/s" }] }, "promtail"),
        ],
        message: /writable; the allowlist permits it read-only only/,
    },
    {
        policy: "container-no-docker-socket",
        passing: () => [
            container(),
            container(
                {
                    volumes: [
                        {
                            hostPath: "/mnt/freshtrack-data/docker/containers",
                            containerPath: "/var/lib/docker/containers",
                            readOnly: true,
                        },
                    ],
                },
                "promtail",
            ),
            container(
                { user: undefined, volumes: [{ hostPath: "/", containerPath: "/host", readOnly: true }] },
                "node-exporter",
            ),
        ],
        failing: () => [
            container(
                {
                    volumes: [
                        { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true },
                    ],
                },
                "promtail",
            ),
        ],
        message: /promtail: mounts the Docker socket \/var\/run\/docker.sock \(read-only does not limit the API\)/,
    },
    {
        policy: "caddy-admin-routes-authenticated",
        passing: () => [caddyWith(STATUS_GATED)],
        failing: () => [caddyWith(STATUS_OPEN)],
        message:
            /caddy: status\.freshtrack\.example\.com: every other path reaches an admin interface without basicauth/,
    },
    {
        policy: "container-pids-limit",
        passing: () => withPidsLimit(renderPidsLimitScript("freshtrack-dev", "api", 512)),
        failing: () => [
            ...inService(container()),
            ...withPidsLimit(renderPidsLimitScript("freshtrack-dev", "api", 100000)),
            // A limit for another service's containers does not count for this one.
            ...withPidsLimit(renderPidsLimitScript("freshtrack-dev", "worker", 512)),
        ],
        message: /api: (no PID limit; a fork bomb|PID limit 100000 is above the 4096 allowed)/,
    },
    // The two advisory rules list exactly the exceptions a Service explains; the two mandatory ones refuse an
    // unexplained one.
    {
        policy: "container-read-only-rootfs",
        passing: () => inService(container()),
        failing: () => withService({ writableRootReason: "its files are copied in" }, container({ readOnly: false })),
        message: /api: has a writable root filesystem, because its files are copied in\./,
    },
    {
        policy: "container-non-root-user",
        passing: () => inService(container()),
        failing: () => withService({ runsAsRootReason: "it reads root's logs" }, container({ user: "0:0" })),
        message: /api: runs as root \(user 0:0\), because it reads root's logs\./,
    },
    {
        policy: "container-root-explained",
        passing: () => [
            ...withService({ runsAsRootReason: "it reads root's logs" }, container({ user: undefined })),
            ...inService(container()),
        ],
        failing: () => inService(container({ user: "root" })),
        message: /api: runs as root \(user root\), and its Service records no runsAsRootReason/,
    },
    {
        policy: "container-writable-root-explained",
        passing: () => [
            ...withService({ writableRootReason: "its files are copied in" }, container({ readOnly: false })),
            ...inService(container()),
        ],
        failing: () => inService(container({ readOnly: undefined })),
        message: /api: has a writable root filesystem, and its Service records no writableRootReason/,
    },
    {
        policy: "do-firewall-public-ports",
        passing: () => [firewall(GOOD_FIREWALL)],
        failing: () => [
            firewall([...GOOD_FIREWALL, { protocol: "tcp", portRange: "5432", sourceAddresses: ["0.0.0.0/0"] }]),
        ],
        message: /opens tcp 5432 to the whole internet/,
    },
    {
        policy: "docker-ssh-host-key-pinned",
        passing: () => [
            resource("pulumi:providers:docker", {
                host: "ssh://deploy@203.0.113.10",
                sshOpts: [
                    "-o",
                    "StrictHostKeyChecking=yes",
                    "-o",
                    "UserKnownHostsFile=/k/known_hosts",
                    "-o",
                    "GlobalKnownHostsFile=/dev/null",
                ],
            }),
        ],
        failing: () => [
            resource("pulumi:providers:docker", {
                host: "ssh://deploy@203.0.113.10",
                sshOpts: ["-o", "StrictHostKeyChecking=accept-new", "-o", "UserKnownHostsFile=/k/known_hosts"],
            }),
        ],
        message: /StrictHostKeyChecking=accept-new, which accepts a host key it does not know/,
    },
    {
        policy: "do-firewall-no-world-ssh",
        passing: () => [firewall(GOOD_FIREWALL)],
        failing: () => [firewall([{ protocol: "tcp", portRange: "1-65535", sourceAddresses: ["::/0"] }])],
        message: /allows SSH from ::\/0/,
    },
    {
        policy: "do-droplet-size",
        passing: () => [droplet()],
        failing: () => [droplet({ size: "s-32vcpu-192gb" })],
        message: /size s-32vcpu-192gb is not one of/,
    },
    {
        policy: "do-droplet-hardening",
        passing: () => [droplet()],
        failing: () => [droplet({ monitoring: false, sshKeys: [] })],
        message: /monitoring agent|no SSH key/,
    },
    {
        policy: "do-droplet-hardening",
        passing: () => [droplet()],
        failing: () => [droplet({ backups: false })],
        message: /backups off, which this stack requires/,
        config: { "do-droplet-hardening": { requireBackups: true } },
    },
    {
        policy: "do-droplet-replacement-guard",
        passing: () => [droplet()],
        failing: () => [droplet({}, { ignoreChanges: ["userData"] })],
        message: /replaced when sshKeys change/,
    },
    {
        policy: "stateful-resources-protected",
        passing: () => [resource(T.dockerVolume, { name: "v" }, { protect: true })],
        failing: () => [resource(T.dockerVolume, { name: "v" }, { protect: false })],
        message: /holds data but is not protected/,
    },
    {
        policy: "stack-memory-budget",
        passing: () => [
            droplet(),
            ...inService(container({ memory: 2000 }, "db", "stateful"), container({ memory: 600 })),
        ],
        failing: () => [
            droplet({ size: "s-1vcpu-2gb" }),
            ...inService(container({ memory: 1200 }, "db", "stateful"), container({ memory: 400 })),
        ],
        message: /reach 2000 MB at peak \(1600 MB steady\), over the 1740 MB budget: 2048 MB less 15 % headroom/,
    },
    {
        policy: "stack-containers-through-service",
        passing: () => inService(container()),
        failing: () => [container()],
        message: /container r\d+ is not created by the Service component/,
    },
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

        it("covers every rule of the pack, with the container rules' cases on the baseline below", () => {
            const covered = [...CASES, ...PROPERTY_CASES].map((c) => c.policy);
            expect(new Set(covered)).to.deep.equal(new Set(POLICIES.map((p) => p.name)));
        });

        it("lets a stack exempt a service from a container rule by config", async () => {
            const broken = [container({ envs: ["DB_PASSWORD=hunter2"] }, "postgres")];
            expect(await findingsFor("container-no-secret-env", broken)).to.have.length(1);
            expect(
                await findingsFor("container-no-secret-env", broken, {
                    "container-no-secret-env": { exemptServices: ["postgres"] },
                }),
            ).to.deep.equal([]);
        });

        it("refuses a pack config line no rule reads, with the closest name, instead of running as if it were not there", () => {
            const problems = packConfigProblems(
                {
                    "stack-backups-and-monitoring": { required: true, offsiteForVolume: false },
                    "container-non-root-users": "disabled",
                    "container-pids-limit": "off" as never,
                },
                POLICIES,
            );
            expect(problems).to.have.length(3);
            expect(problems[0]).to.match(
                /^"stack-backups-and-monitoring"\.offsiteForVolume: the rule has no such setting \(did you mean offsiteForVolumes\?\)/,
            );
            expect(problems[1]).to.equal(
                '"container-non-root-users": no rule of that name (did you mean "container-non-root-user"?)',
            );
            expect(problems[2]).to.match(/^"container-pids-limit": "off" is not an enforcement level/);
            for (const stack of shippedStacks())
                expect(packConfigProblems(readPackConfig(stack), POLICIES), stack).to.deep.equal([]);
        });

        it("lets a stack exempt a service from the rules that read a container's Service too (the newcomer pass: they ignored it)", async () => {
            const rootNoReason = inService(container({ user: "root", readOnly: false }, "postgres"));
            for (const rule of [
                "container-root-explained",
                "container-writable-root-explained",
                "container-pids-limit",
            ]) {
                expect(await findingsFor(rule, rootNoReason), rule).to.not.be.empty;
                expect(
                    await findingsFor(rule, rootNoReason, { [rule]: { exemptServices: ["postgres"] } }),
                    rule,
                ).to.deep.equal([]);
            }
        });

        it("lets a stack change a rule's enforcement level or disable it", async () => {
            const broken = withService(
                { writableRootReason: "its files are copied in" },
                container({ readOnly: false }),
            );
            expect(
                (
                    await findingsFor("container-read-only-rootfs", broken, {
                        "container-read-only-rootfs": { enforcementLevel: "mandatory" },
                    })
                )[0]!.enforcementLevel,
            ).to.equal("mandatory");
            expect(
                await findingsFor("container-read-only-rootfs", broken, { "container-read-only-rootfs": "disabled" }),
            ).to.deep.equal([]);
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

describe("container-pids-limit takes no fake for a limit (the attack pass)", () => {
    const real = renderPidsLimitScript("freshtrack-dev", "api", 512);
    const fakes: Array<[string, string, PolicyInput?]> = [
        ["a limit of 0, which Docker takes as none", real.replace("--pids-limit 512", "--pids-limit 0")],
        [
            "the filter only in a comment",
            `# ids=$(docker ps -q --filter label=com.freshtrack.stack=freshtrack-dev --filter label=com.freshtrack.service=api)\necho ok\n`,
        ],
        [
            "an echo of a limit, then none",
            real.replace(
                "docker update --pids-limit 512 $ids >/dev/null",
                'echo "docker update --pids-limit 512 $ids"\ndocker update --pids-limit -1 $ids',
            ),
        ],
        ["another stack's containers", renderPidsLimitScript("freshtrack-prod", "api", 512)],
        ["a service whose name starts the same", renderPidsLimitScript("freshtrack-dev", "api-old", 512)],
        ["an exit before the update", real.replace("docker update", "exit 0\ndocker update")],
        ["the whole script in a heredoc", `: <<'X'\n${real}X\n`],
        [
            "a long-running container labelled a job",
            "",
            container({
                labels: [
                    { label: "com.freshtrack.stack", value: "freshtrack-dev" },
                    { label: "com.freshtrack.service", value: "api" },
                    { label: "com.freshtrack.kind", value: "job" },
                ],
            }),
        ],
    ];
    for (const [what, script, c] of fakes) {
        it(`refuses ${what}`, async () => {
            const findings = await findingsFor("container-pids-limit", withPidsLimit(script, c));
            expect(findings.map((f) => f.message)).to.deep.equal([
                "api: no PID limit; a fork bomb or a thread leak in it could exhaust the host's processes.",
            ]);
        });
    }
    it("takes the script Service writes, and a job (attached, never restarted) needs none", async () => {
        expect(await findingsFor("container-pids-limit", withPidsLimit(real))).to.deep.equal([]);
        expect(await findingsFor("container-pids-limit", inService(container({}, "api", "job")))).to.deep.equal([]);
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
            "container limits reach 4000 MB at peak (3000 MB steady), over the 3481 MB budget: 4096 MB less 15 % headroom.",
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
            "      container limits reach 4000 MB at peak (3000 MB steady), over the 3481 MB budget: 4096 MB less 15 % headroom.",
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

/**
 * Issue 15, finding 8 (rung 1, the policy's validateResource): the firewall rules judged the
 * whole internet by its spelling (0.0.0.0/0, ::/0). They judge it by what the sources cover.
 */
describe("firewall rules judge the whole internet by the addresses the sources cover (issue 15, finding 8)", () => {
    const ssh = (sources: string[], portRange = "22") =>
        firewall([...GOOD_FIREWALL.slice(0, 2), { protocol: "tcp", portRange, sourceAddresses: sources }]);

    for (const sources of [
        ["1.2.3.4/0"],
        ["0::/0"],
        ["::ffff:0.0.0.0/96"],
        ["::/80"],
        ["0.0.0.0/1", "128.0.0.0/1"],
        ["::/1", "8000::/1"],
    ]) {
        it(`do-firewall-no-world-ssh fails SSH from ${sources.join(" + ")}, naming what it covers`, async () => {
            const [finding, ...rest] = await findingsFor("do-firewall-no-world-ssh", [ssh(sources)]);
            expect(rest).to.deep.equal([]);
            expect(finding!.kind).to.equal("violation");
            const covers = `${sources.join(", ").replace(/[./]/g, "\\$&")} ${sources.length === 1 ? "covers it" : "cover it together"}`;
            expect(finding!.message).to.match(
                new RegExp(`allows SSH from every IPv[46]( and every IPv6)? address \\(${covers}\\)\\.$`),
            );
        });
    }

    it("do-firewall-no-world-ssh adds up the rules that reach port 22, whatever their port ranges", async () => {
        const split = firewall([
            ...GOOD_FIREWALL,
            { protocol: "tcp", portRange: "20-30", sourceAddresses: ["0.0.0.0/1"] },
            { protocol: "tcp", portRange: "22", sourceAddresses: ["128.0.0.0/1"] },
        ]);
        const findings = await findingsFor("do-firewall-no-world-ssh", [split]);
        expect(findings.map((f) => f.message)).to.deep.equal([
            `${split.name}: allows SSH from every IPv4 address (203.0.113.0/28, 0.0.0.0/1, 128.0.0.0/1 cover it together).`,
        ]);
        expect(await findingsFor("do-firewall-no-world-ssh", [ssh(["0.0.0.0/1", "8000::/1"])])).to.deep.equal([]);
    });

    it("do-firewall-public-ports fails a port opened to the world in halves, across rules", async () => {
        const halves = firewall([
            ...GOOD_FIREWALL,
            { protocol: "tcp", portRange: "5432", sourceAddresses: ["0.0.0.0/1"] },
            { protocol: "tcp", portRange: "5432", sourceAddresses: ["128.0.0.0/1"] },
        ]);
        expect((await findingsFor("do-firewall-public-ports", [halves])).map((f) => f.message)).to.deep.equal([
            `${halves.name}: opens tcp 5432 to the whole internet.`,
        ]);
    });
});

describe("backup copies that follow deletions, and a data volume no backup covers (issue 15, finding 2)", () => {
    const RULE = "stack-backups-and-monitoring";
    const doVolume = () => resource("digitalocean:index/volume:Volume", { name: "freshtrack-prod-data", size: 100 });
    const loop = (args: string) => [
        "/bin/sh",
        "-c",
        `set -u\nwhile :; do\n  mc --config-dir /run/secrets/mc mirror --older-than 2m --exclude '*.partial'${args} ||\n  sleep 300 &\n  wait $!\ndone`,
    ];
    const appendOnly = (service = "backup-sync", args = " /backups/postgres local/backups/postgres") =>
        container({ entrypoints: loop(args).slice(0, 2), command: [loop(args)[2]] }, service);

    it("refuses a mirror with --watch, --remove or --overwrite in every stack, production or not (rung 1: policy on registered inputs)", async () => {
        const findings = await findingsFor(RULE, inService(watchingMirror()), { [RULE]: { required: false } });
        expect(findings.map((f) => f.message)).to.deep.equal([
            "backup-sync: mirrors with --remove, which removes copies whose source is gone: an emptied or rebuilt backups volume must never cost a copy.",
            "backup-sync: mirrors with --watch, which removes on the target every file removed at the source, --remove or not (minio/mc@RELEASE.2025-08-13T08-35-41Z cmd/mirror-main.go:754): an emptied or rebuilt backups volume must never cost a copy.",
            "backup-sync: mirrors with --overwrite, which lets a corrupt or emptied local file replace a good copy: an emptied or rebuilt backups volume must never cost a copy.",
        ]);
        expect(findings.every((f) => f.kind === "violation" && f.enforcementLevel === "mandatory")).to.equal(true);
    });

    it("accepts the append-only loop, and requires --enc-c for a copy that leaves the host", async () => {
        expect(await findingsFor(RULE, inService(appendOnly()), {})).to.deep.equal([]);
        const plainOffsite = appendOnly("backup-offsite", " /backups/postgres offsite/acme-backups/postgres");
        expect((await findingsFor(RULE, inService(plainOffsite), {})).map((f) => f.message)).to.deep.equal([
            "backup-offsite: copies offsite without --enc-c: the copies leave the host unencrypted.",
        ]);
        const encrypted = appendOnly(
            "backup-offsite",
            ' --enc-c "offsite/acme-backups/postgres/=$(cat /run/secrets/mc/offsite-sse-c.key)" /backups/postgres offsite/acme-backups/postgres',
        );
        expect(await findingsFor(RULE, inService(encrypted), {})).to.deep.equal([]);
    });

    it("does not take droplet backups for a backup of the block volume: with offsiteForVolumes, the volume needs an offsite copy", async () => {
        const config = { [RULE]: { required: true, offsiteForVolumes: true } };
        const findings = await findingsFor(
            RULE,
            [droplet({ backups: true }), doVolume(), ...inService(appendOnly())],
            config,
        );
        expect(findings.map((f) => f.message)).to.have.length(1);
        expect(findings[0]!.message).to.match(
            /^volume r\d+ holds the stack's data and droplet backups do not cover block volumes; its only other copy is on the same host\. Set freshtrack:backup\.offsite/,
        );
        const both = appendOnly(
            "backup-offsite",
            ' --enc-c "offsite/b/=$(cat /k)" /backups/postgres offsite/b/postgres ||\n  mc mirror --older-than 2m --enc-c "offsite/b/=$(cat /k)" local/uploads offsite/b/uploads',
        );
        expect(
            await findingsFor(RULE, [droplet({ backups: true }), doVolume(), ...inService(appendOnly(), both)], config),
        ).to.deep.equal([]);
    });

    // Issue 15, finding 2 (the attack pass): the rule passed as soon as a container labelled backup-offsite existed,
    // though it copied only the dumps, and the uploaded files, in MinIO on the same volume, had no copy anywhere else.
    it("does not take a mirror of the dumps alone for a copy of the volume: backup-offsite must copy the uploads bucket too", async () => {
        const config = { [RULE]: { required: true, offsiteForVolumes: true } };
        const dumpsOnly = appendOnly(
            "backup-offsite",
            ' --enc-c "offsite/b/postgres/=$(cat /k)" /backups/postgres offsite/b/postgres',
        );
        const findings = await findingsFor(
            RULE,
            [droplet({ backups: true }), doVolume(), ...inService(appendOnly(), dumpsOnly)],
            config,
        );
        expect(findings.map((f) => f.message)).to.have.length(1);
        expect(findings[0]!.message).to.match(
            /^volume r\d+ holds the stack's data and droplet backups do not cover block volumes; backup-offsite copies nothing of the uploaded files \(MinIO bucket uploads, which exist nowhere else\) off the host\./,
        );
        // Nor the uploads alone, nor copies to a target that is not offsite.
        const uploadsOnly = appendOnly(
            "backup-offsite",
            ' --enc-c "offsite/b/=$(cat /k)" local/uploads offsite/b/uploads',
        );
        const [onlyUploads] = await findingsFor(RULE, [doVolume(), ...inService(uploadsOnly)], config);
        expect(onlyUploads!.message).to.contain(
            "copies nothing of the database dumps (/backups/postgres) off the host",
        );
        const local = appendOnly(
            "backup-offsite",
            " /backups/postgres local/backups/postgres ||\n  mc mirror local/uploads local/backups/uploads",
        );
        const [notOffsite] = await findingsFor(RULE, [doVolume(), ...inService(local)], config);
        expect(notOffsite!.message).to.contain(
            "copies nothing of the database dumps (/backups/postgres) or the uploaded files",
        );
        // The written decision to accept the risk still lifts it.
        expect(
            await findingsFor(RULE, [doVolume(), ...inService(dumpsOnly)], {
                [RULE]: { required: true, offsiteForVolumes: false },
            }),
        ).to.deep.equal([]);
    });

    // The second attack pass: the words `mirror <source> <target>` anywhere in the script were enough.
    it("takes only a mirror that mc really runs and that copies something: not a comment, an echo, a dry run or an exclude of everything", async () => {
        const config = { [RULE]: { required: true, offsiteForVolumes: true } };
        const both =
            ' --enc-c "offsite/b/=$(cat /k)" /backups/postgres offsite/b/postgres ||\n  mc --config-dir /run/secrets/mc mirror --older-than 2m --enc-c "offsite/b/=$(cat /k)" local/uploads offsite/b/uploads';
        expect(
            await findingsFor(RULE, [doVolume(), ...inService(appendOnly("backup-offsite", both))], config),
            "the real pair",
        ).to.deep.equal([]);
        const fakes: Array<[string, string]> = [
            ["a comment", both.replace("||\n  mc --config-dir", "||\n# mc --config-dir")],
            ["an echo", both.replace("||\n  mc --config-dir /run/secrets/mc mirror", "||\n  echo mirror")],
            ["a dry run", both.replace("mirror --older-than 2m --enc-c", "mirror --dry-run --older-than 2m --enc-c")],
            [
                "an exclude of everything",
                both.replace("mirror --older-than 2m --enc-c", "mirror --exclude '*' --older-than 2m --enc-c"),
            ],
            ["the offsite store as the source", both.replace("local/uploads", "offsite/uploads")],
        ];
        for (const [what, args] of fakes) {
            const findings = await findingsFor(
                RULE,
                [doVolume(), ...inService(appendOnly("backup-offsite", args))],
                config,
            );
            expect(findings.map((f) => f.message).join(" "), what).to.contain("copies nothing of the uploaded files");
        }
    });
});

/**
 * Issue 15, finding 3: a Docker provider that reaches its daemon over SSH pins the host key.
 * Rung 1: the rule on a compliant provider changed in one option, and on the providers the
 * shipped stacks and an ssh stack register under mocks.
 */
describe("docker-ssh-host-key-pinned: the Docker provider's ssh accepts only the pinned host key (issue 15, finding 3)", () => {
    const RULE = "docker-ssh-host-key-pinned";
    const PINNED = [
        "-o",
        "IdentityFile=/home/op/.freshtrack/ssh/prod/deploy_key",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "UserKnownHostsFile=/home/op/.freshtrack/ssh/prod/known_hosts",
        "-o",
        "GlobalKnownHostsFile=/dev/null",
    ];
    const provider = (sshOpts: unknown, host = "ssh://deploy@203.0.113.10") =>
        resource("pulumi:providers:docker", { host, ...(sshOpts === undefined ? {} : { sshOpts }) });
    const messages = async (...inputs: PolicyInput[]) => (await findingsFor(RULE, inputs)).map((f) => f.message);

    it("passes pinned options, as a list or as the JSON text provider config arrives in, and ignores a provider that is not reached over SSH", async () => {
        expect(
            await messages(
                provider(PINNED),
                provider(JSON.stringify(PINNED)),
                provider(["-oStrictHostKeyChecking yes", "-oUserKnownHostsFile=/k", "-oGlobalKnownHostsFile=none"]),
            ),
        ).to.deep.equal([]);
        expect(
            await messages(resource("pulumi:providers:docker", {}), provider(undefined, "unix:///var/run/docker.sock")),
        ).to.deep.equal([]);
    });

    it("fails options that trust a host key it does not know: accept-new (the program before issue 15), no, ask, or nothing set", async () => {
        const before = PINNED.map((o) => (o === "StrictHostKeyChecking=yes" ? "StrictHostKeyChecking=accept-new" : o));
        for (const [opts, value] of [
            [before, "accept-new"],
            [PINNED.map((o) => o.replace("=yes", "=no")), "no"],
            [PINNED.map((o) => o.replace("=yes", "=ask")), "ask"],
            [undefined, "(not set: ask"],
            [["-o", "StrictHostKeyChecking=accept-new", ...PINNED], "accept-new"],
        ] as const) {
            const found = await messages(provider(opts));
            expect(found, JSON.stringify(opts)).to.have.length(1);
            expect(found[0]).to.match(/^r\d+: reaches ssh:\/\/deploy@203\.0\.113\.10 with StrictHostKeyChecking=/);
            expect(found[0], "ssh uses the first value given").to.contain(`StrictHostKeyChecking=${value}`);
        }
    });

    it("fails a provider without a known_hosts of its own, or that also trusts the machine's global file", async () => {
        const withoutFile = PINNED.filter(
            (o, i) => !o.startsWith("UserKnownHostsFile") && PINNED[i + 1]?.startsWith("UserKnownHostsFile") !== true,
        );
        const found = await messages(provider(withoutFile));
        expect(found).to.have.length(1);
        expect(found[0]).to.match(
            /^r\d+: reaches ssh:\/\/deploy@203\.0\.113\.10 without a known_hosts file of its own \(UserKnownHostsFile=\(not set: the operator's ~\/\.ssh\/known_hosts\)\), so nothing pins the host's key\.$/,
        );
        const withGlobal = PINNED.filter(
            (o, i) =>
                !o.startsWith("GlobalKnownHostsFile") && PINNED[i + 1]?.startsWith("GlobalKnownHostsFile") !== true,
        );
        expect((await messages(provider(withGlobal)))[0]).to.match(
            /trusting the machine's global known_hosts too \(GlobalKnownHostsFile=\(not set\)\)/,
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

/**
 * Issue 15, findings 1 and 6 (rung 1, the policy's validateResource on registered inputs): the pack refuses a
 * Caddy route to an admin interface without auth, and any container holding the Docker socket.
 */
describe("admin routes and the Docker socket (issue 15, findings 1 and 6)", () => {
    const messages = async (policy: string, inputs: PolicyInput[], config: PackConfig = {}) =>
        (await findingsFor(policy, inputs, config)).filter((f) => f.kind === "violation").map((f) => f.message);

    it("caddy-admin-routes-authenticated refuses Bull Board, Prometheus or a status page path beyond the read-only ones without basic auth", async () => {
        const status = statusSite("freshtrack.example.com", HASH, ["public"]);
        const widened: CaddySite = {
            ...status,
            routes: [{ path: "/socket.io/*", upstreams: ["uptime-kuma:3001"] }, ...status.routes],
        };
        expect(await messages("caddy-admin-routes-authenticated", [caddyWith([APP_SITE, widened])])).to.deep.equal([
            "caddy: status.freshtrack.example.com: /socket.io/* reaches an admin interface without basicauth.",
        ]);
        const openQueues: CaddySite = {
            ...APP_SITE,
            routes: [APP_SITE.routes[0]!, { path: "/admin/queues*", upstreams: ["backend:3000"] }],
        };
        const openPrometheus: CaddySite = {
            address: "prometheus.freshtrack.example.com",
            routes: [{ upstreams: ["prometheus:9090"] }],
        };
        expect(
            await messages("caddy-admin-routes-authenticated", [caddyWith([openQueues, openPrometheus])]),
        ).to.deep.equal([
            "caddy: freshtrack.example.com: admin path /admin/queues* without basicauth.",
            "caddy: prometheus.freshtrack.example.com: every other path reaches an admin interface without basicauth.",
        ]);
    });

    it("container-no-docker-socket refuses the socket read-only, any docker.sock, a directory that holds it, and the host root under another user", async () => {
        const bind = (hostPath: string, over: Record<string, unknown> = {}, service = "api") =>
            container({ volumes: [{ hostPath, containerPath: "/x", readOnly: true }], ...over }, service);
        for (const hostPath of [
            "/run/docker.sock",
            "/var/run/docker.sock/",
            "/home/op/.docker/run/docker.sock",
            "/run",
            "/var/run",
            "/var",
            "/",
        ]) {
            expect(await messages("container-no-docker-socket", [bind(hostPath)]), hostPath).to.have.length(1);
        }
        expect(
            await messages("container-no-docker-socket", [bind("/", { user: "0" }, "node-exporter")]),
        ).to.have.length(1);
        expect(
            await messages("container-no-docker-socket", [bind("/", { user: "0:65534" }, "node-exporter")]),
        ).to.have.length(1);
        // The image's own user stated explicitly, as the Service does.
        expect(
            await messages("container-no-docker-socket", [bind("/", { user: "65534:65534" }, "node-exporter")]),
        ).to.deep.equal([]);
        expect(
            await messages("container-no-docker-socket", [
                container({ mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/s", readOnly: true }] }),
            ]),
        ).to.have.length(1);
        expect(
            await messages("container-no-docker-socket", [bind("/srv/data"), bind("/var/lib/docker/containers")]),
        ).to.deep.equal([]);
        // The one exception the rule names: a filtering read-only proxy, only when configured (none is, in this
        // program).
        expect(
            await messages("container-no-docker-socket", [bind("/var/run/docker.sock", {}, "socket-proxy")], {
                "container-no-docker-socket": { socketProxy: "socket-proxy" },
            }),
        ).to.deep.equal([]);
    });

    it("neither rule passes silently when the Caddyfile or the mounts are unknown during preview", async () => {
        const unknownCaddyfile = container(
            { uploads: [{ file: "/etc/caddy/Caddyfile", content: UNKNOWN_SENTINEL }] },
            "caddy",
        );
        const own = (await findingsFor("caddy-admin-routes-authenticated", [unknownCaddyfile])).map((f) => f.kind);
        expect(own).to.deep.equal(["unknown"]);
        expect(
            (await findingsFor("container-no-docker-socket", [container({ volumes: UNKNOWN_SENTINEL })])).map(
                (f) => f.kind,
            ),
        ).to.deep.equal(["unknown"]);
    });
});
