/**
 * Rung 1: the container rules an attacker probed: a PID limit that is only faked, a Caddy route to an admin interface
 * without auth, and a container that can reach the Docker socket.
 */
import { expect } from "chai";
import { CaddySite } from "../components/edge/caddyfile";
import { statusSite } from "../components/edge/caddy";
import { renderPidsLimitScript } from "../components/host/pidsLimit";
import { PackConfig, PolicyInput, UNKNOWN_SENTINEL } from "../scripts/lib/policyRun";
import { container, findingsFor } from "./policyFixtures";
import { APP_SITE, caddyWith, HASH, inService, withPidsLimit } from "./policyCaseFixtures";

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
