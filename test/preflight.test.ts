/**
 * Pre-flight, run for real on this machine: the disk, port and DNS checks see
 * the real filesystem, a real listener and the real resolver; the Docker check
 * sees a daemon that does not answer (DOCKER_HOST points at a socket that does
 * not exist), whether or not this machine runs one.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { PreflightOptions, renderPreflightScript } from "../components/preflight/preflight";
import { deployStack } from "../components/stack";
import { runStack } from "./helpers";
import { freePort } from "./localServers";

function preflight(over: Partial<PreflightOptions>): { status: number | null; stdout: string; stderr: string } {
    const script = renderPreflightScript({ stackLabel: "freshtrack-test", dataPath: os.tmpdir(), minFreeGb: 1, ports: [], dnsNames: [], publicAddress: "127.0.0.1", ...over });
    const env = { ...process.env, DOCKER_HOST: `unix://${path.join(os.tmpdir(), "freshtrack-no-docker.sock")}` };
    const result = spawnSync("sh", ["-c", script], { encoding: "utf8", env });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("pre-flight", function () {
    this.timeout(20000);

    it("passes shellcheck as POSIX sh", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-pf-")), "preflight.sh");
        fs.writeFileSync(file, renderPreflightScript({ stackLabel: "freshtrack-prod", dataPath: "/mnt/freshtrack-data", minFreeGb: 5, ports: [80, 443], dnsNames: ["ft.example.com"], publicAddress: "203.0.113.50" }));
        const result = spawnSync("shellcheck", ["--shell=sh", file], { encoding: "utf8" });
        expect(result.status, result.stdout).to.equal(0);
    });

    it("reports Docker unreachable, with what it saw and the fix, and fails", () => {
        const r = preflight({});
        expect(r.status).to.equal(1);
        expect(r.stderr).to.match(/preflight FAILED: Docker reachable\n {2}saw: .+\n {2}fix: check the daemon/);
        expect(r.stderr).to.match(/preflight: 1 check\(s\) failed; no container was created or changed/);
    });

    it("checks free disk on the data path against the configured minimum", () => {
        expect(preflight({ minFreeGb: 1 }).stdout).to.match(/preflight ok: free disk on .* \(\d+ GB free\)/);
        const r = preflight({ minFreeGb: 1_000_000 });
        expect(r.stderr).to.match(/preflight FAILED: at least 1000000 GB free on .*\n {2}saw: \d+ MB free\n {2}fix: free space/);
        expect(preflight({ dataPath: "/no/such/dir" }).stderr).to.contain("saw: no such filesystem");
    });

    it("fails a port already taken by something that is not this stack's Caddy, and passes a free one", async () => {
        const server = http.createServer().listen(0, "0.0.0.0");
        await new Promise((resolve) => server.once("listening", resolve));
        const busy = (server.address() as net.AddressInfo).port;
        const free = await freePort();
        try {
            const r = preflight({ ports: [busy, free] });
            expect(r.stderr).to.contain(`preflight FAILED: port ${busy} free for Caddy\n  saw: in use by a process outside Docker`);
            expect(r.stdout).to.contain(`preflight ok: port ${free} (free)`);
            expect(r.stderr).to.match(/2 check\(s\) failed/);
        } finally {
            server.close();
        }
    });

    it("in the ACME modes, passes a name that resolves to the host and fails one that does not, before any certificate is asked for", () => {
        expect(preflight({ dnsNames: ["localhost"], publicAddress: "127.0.0.1" }).stdout).to.contain("preflight ok: DNS localhost (127.0.0.1)");
        const wrong = preflight({ dnsNames: ["localhost"], publicAddress: "203.0.113.9" });
        expect(wrong.stderr).to.contain("preflight FAILED: DNS localhost points at 203.0.113.9\n  saw: 127.0.0.1\n  fix: create an A record for localhost pointing at 203.0.113.9");
        expect(wrong.stderr).to.contain("Let's Encrypt's rate limit is untouched");
        expect(preflight({ dnsNames: ["no-such-host.invalid"] }).stderr).to.contain("saw: no A record");
    });

    it("refuses to render a value that could break out of the script", () => {
        expect(() => renderPreflightScript({ stackLabel: "x; rm -rf /", dataPath: "/", minFreeGb: 1, ports: [], dnsNames: [], publicAddress: "1.2.3.4" })).to.throw(/refusing/);
    });

    describe("in the program", () => {
        it("runs on the droplet after the bootstrap, before any container, checking every public name in ACME mode", async () => {
            const { resources } = await runStack("prod", deployStack);
            const pf = resources.find((r) => r.name === "droplet-preflight")!;
            const bootstrap = resources.find((r) => r.name === "droplet-bootstrap-wait")!;
            expect(pf.options.dependsOn).to.include(bootstrap.urn);
            for (const c of resources.filter((r) => r.type === "docker:index/container:Container")) expect(c.options.dependsOn, c.name).to.include(pf.urn);
            const script = String(pf.inputs.stdin);
            expect(script).to.contain('DNS_NAMES="freshtrack.example.com grafana.freshtrack.example.com status.freshtrack.example.com prometheus.freshtrack.example.com alertmanager.freshtrack.example.com"');
            expect(script).to.contain("PUBLIC_ADDRESS=203.0.113.50");
            expect(script).to.contain("DATA_PATH=/mnt/freshtrack-data");
            expect(script).to.contain("MIN_FREE_GB=5");
            expect(pf.inputs.triggers).to.deep.equal([script, "1.4.2"]);
        });

        it("does not run on the local target", async () => {
            const { resources } = await runStack("dev", deployStack);
            expect(resources.filter((r) => r.name.endsWith("-preflight"))).to.deep.equal([]);
        });
    });
});
