/**
 * Rung 1 (the policy's validateResource / validateStack on registered inputs): every rule of the pack passes a
 * compliant resource and fails one broken in one property, and a stack's pack config can exempt, re-level or disable a
 * rule. The container rules' own property cases are in test/policy/containerCases.ts.
 */
import { expect } from "chai";
import { PROPERTY_CASES } from "./policy/containerCases";
import { POLICIES } from "../policy/policies";
import { statusSite } from "../components/edge/caddy";
import { shippedStacks } from "../scripts/lib/stackFiles";
import { renderPidsLimitScript } from "../components/host/pidsLimit";
import { packConfigProblems, PackConfig, PolicyInput, readPackConfig } from "../scripts/lib/policyRun";
import { T, resource, container, findingsFor, droplet, firewall } from "./policyFixtures";
import { APP_SITE, caddyWith, GOOD_FIREWALL, HASH, inService, withPidsLimit, withService } from "./policyCaseFixtures";

interface Case {
    readonly policy: string;
    readonly passing: () => PolicyInput[];
    readonly failing: () => PolicyInput[];
    readonly message: RegExp;
    readonly config?: PackConfig;
}

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
});
