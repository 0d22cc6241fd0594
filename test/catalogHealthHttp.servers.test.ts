/**
 * Issue 16, item 4 (a leftover of the attack pass): a health check could pass the catalog test yet always succeed.
 * Rung 4 of the ladder (real servers on 127.0.0.1): every HTTP health check, exactly as the program registers it on
 * each shipped stack and variant, runs the way Docker runs it against an HTTP server this test starts in place of the
 * service, and against Debian's real Caddy, Prometheus and Alertmanager (installed by .ci/run); the checks that cannot
 * run here are pinned by their shape. How a check is run and what is substituted: test/catalogHealthFixtures.ts. The
 * database tier's checks, and the test that every long-running service is accounted for:
 * test/catalogHealth.servers.test.ts.
 */
import { expect } from "chai";
import { ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ServiceSpec } from "../components/catalog";
import { parseStackConfig } from "../components/config";
import { renderCaddyfile } from "../components/edge/caddyfile";
import { contractFor } from "../components/imageContracts";
import { PUBLIC_IMAGES } from "../components/images";
import { rawConfigOf } from "../scripts/lib/stackFiles";
import {
    distinctChecks,
    HTTP_SPECS,
    makeSandbox,
    RegisteredCheck,
    registeredChecks,
    removeSandbox,
    runCheck,
    Sandbox,
    serverDir,
    StandIn,
    standIn,
} from "./catalogHealthFixtures";
import { freePort, startServer, stopServer, waitForPort } from "./localServers";
import { URN_VARIANTS } from "./urnVariants";

describe("every HTTP health check, run as Docker runs it against servers on 127.0.0.1 (rung 4)", function () {
    this.timeout(180_000);
    let checks: RegisteredCheck[];
    let box: Sandbox;

    before(async () => {
        checks = await registeredChecks();
        box = makeSandbox();
    });
    after(() => removeSandbox(box));

    const checksOf = (service: string) => distinctChecks(checks, service);

    describe("HTTP checks against a server on 127.0.0.1 standing in for each service", () => {
        /** The clients a check may meet: the image's own, or both wgets where the image is the stack's input. */
        const clientsOf = (spec: ServiceSpec): Array<{ name: string; pathFirst?: string }> => {
            if (!("public" in spec.image)) {
                const gnu = path.join(box.dir, "gnu-wget");
                if (!fs.existsSync(gnu)) {
                    fs.mkdirSync(gnu);
                    fs.symlinkSync("/usr/bin/wget", path.join(gnu, "wget"));
                }
                return [{ name: "BusyBox wget" }, { name: "GNU wget", pathFirst: gnu }];
            }
            return [{ name: "the image's client" }];
        };

        for (const spec of HTTP_SPECS) {
            const get = (spec.health as { get: string }).get;
            describe(`${spec.name}: GET ${get} on :${spec.port}`, () => {
                let server: StandIn;
                before(async () => (server = await standIn(get)));
                after(() => server.close());
                beforeEach(() => (server.seen.length = 0));

                const expectAll = async (zero: boolean) => {
                    for (const c of checksOf(spec.name)) {
                        for (const client of clientsOf(spec)) {
                            const r = await runCheck(c, { port: server.port, pathFirst: client.pathFirst }, box);
                            const what = `${client.name}: ${r.output}`;
                            if (zero) expect(r.code, what).to.equal(0);
                            else expect(r.code, what).to.not.equal(0);
                        }
                    }
                };

                it("exits 0 when the service answers 200 on the path its spec names, and asks for that path", async () => {
                    server.status = 200;
                    await expectAll(true);
                    expect(server.seen.map((s) => s.url)).to.satisfy((urls: string[]) => urls.every((u) => u === get));
                    expect(server.seen, "it reached the server").to.not.be.empty;
                });

                afterEach(() => (server.errorBody = "not ready\n"));

                it("exits non-zero on a 500 whose body reads like a healthy answer (it judges the status only)", async () => {
                    server.status = 500;
                    server.errorBody = "HTTP/1.1 200 OK\nstatus 200 ok\n";
                    await expectAll(false);
                });

                for (const status of [500, 503, 404]) {
                    it(`exits non-zero when the service answers ${status}`, async () => {
                        server.status = status;
                        await expectAll(false);
                    });
                }

                it("exits non-zero when nothing listens on its port", async () => {
                    const down = await freePort();
                    for (const c of checksOf(spec.name)) {
                        const r = await runCheck(c, { port: down }, box);
                        expect(r.code, r.output).to.not.equal(0);
                    }
                });
            });
        }

        it("the public images' wget is BusyBox's, which sends GET even with --spider (busybox 1_36_1 networking/wget.c:1225-1229)", async () => {
            const server = await standIn("/metrics");
            try {
                for (const spec of HTTP_SPECS.filter((s) => "public" in s.image)) {
                    for (const c of checksOf(spec.name).filter((c) => c.test[1] === "wget")) {
                        const contract = contractFor(c.image);
                        const wget = contract?.binaries["/bin/wget"] ?? contract?.binaries["/usr/bin/wget"];
                        expect(wget, `${spec.name}: ${c.image}`).to.match(/busybox/i);
                    }
                }
                const probe = checksOf("node-exporter")[0]!;
                const r = await runCheck(probe, { port: server.port }, box);
                expect(r.code, r.output).to.equal(0);
                expect(server.seen.map((s) => s.method)).to.deep.equal(["GET"]);
            } finally {
                await server.close();
            }
        });
    });

    describe("the real servers Debian has answer their checks: Caddy, Prometheus, Alertmanager", () => {
        const realServer = async (service: string, start: (port: number, dir: string) => Promise<ChildProcess>) => {
            const dir = serverDir(box, `real-${service}`);
            const port = await freePort();
            const child = await start(port, dir);
            try {
                await waitForPort(port);
                for (const c of checksOf(service)) {
                    // A server that listens may still be starting; Docker's start period covers that.
                    let r = await runCheck(c, { port }, box);
                    for (let i = 0; i < 20 && r.code !== 0; i++) {
                        await new Promise((resolve) => setTimeout(resolve, 250));
                        r = await runCheck(c, { port }, box);
                    }
                    expect(r.code, r.output).to.equal(0);
                }
            } finally {
                await stopServer(child);
            }
            for (const c of checksOf(service)) {
                const r = await runCheck(c, { port }, box);
                expect(r.code, `after it stopped: ${r.output}`).to.not.equal(0);
            }
        };

        it("caddy: its metrics listener, from the program's own Caddyfile renderer", () =>
            realServer("caddy", async (port, dir) => {
                const file = path.join(dir, "Caddyfile");
                const admin = await freePort();
                const text = renderCaddyfile({
                    email: "ops@example.com",
                    tlsMode: "internal",
                    autoHttps: false,
                    adminAddress: `localhost:${admin}`,
                    metricsPort: port,
                    sites: [],
                });
                fs.writeFileSync(file, text);
                return startServer("caddy", ["run", "--config", file, "--adapter", "caddyfile"]);
            }));

        it("prometheus: /-/healthy", () =>
            realServer("prometheus", async (port, dir) => {
                fs.writeFileSync(path.join(dir, "prometheus.yml"), "scrape_configs: []\n");
                return startServer("prometheus", [
                    `--config.file=${path.join(dir, "prometheus.yml")}`,
                    `--storage.tsdb.path=${path.join(dir, "data")}`,
                    `--web.listen-address=127.0.0.1:${port}`,
                ]);
            }));

        it("alertmanager: /-/healthy", () =>
            realServer("alertmanager", async (port, dir) => {
                fs.writeFileSync(
                    path.join(dir, "alertmanager.yml"),
                    "route:\n  receiver: none\nreceivers:\n  - name: none\n",
                );
                return startServer("prometheus-alertmanager", [
                    `--config.file=${path.join(dir, "alertmanager.yml")}`,
                    `--storage.path=${path.join(dir, "data")}`,
                    `--web.listen-address=127.0.0.1:${port}`,
                    "--cluster.listen-address=",
                ]);
            }));
    });

    describe("checks that cannot run here: their shape", () => {
        it("worker: runs the configured command under /bin/sh -c, exactly as freshtrack:appCommands.workerHealthcheck gives it", () => {
            for (const [variant, settings] of Object.entries(URN_VARIANTS)) {
                const cfg = parseStackConfig(rawConfigOf(settings()));
                for (const c of checks.filter((c) => c.service === "worker" && c.variant === variant))
                    expect(c.test, variant).to.deep.equal(["CMD-SHELL", cfg.app.commands.workerHealthcheck]);
            }
        });

        it("uptime-kuma: execs the image's extra/healthcheck from the image's working directory /app", () => {
            // As the image's own HEALTHCHECK does (louislam/uptime-kuma@1.23.15 docker/dockerfile:27,37).
            const contract = contractFor(PUBLIC_IMAGES.uptimeKuma)!;
            expect(contract.workdir).to.equal("/app");
            expect(contract.binaries).to.have.property("/app/extra/healthcheck");
            for (const c of checksOf("uptime-kuma")) {
                expect(c.test).to.deep.equal(["CMD", "extra/healthcheck"]);
                // moby v27.5.1 daemon/health.go:86: the probe runs in the container's working directory.
                expect(c.workingDir, "the container keeps the image's working directory").to.equal(undefined);
            }
        });

        it("backup, backup-sync, backup-offsite: run /bin/sh on the script the container is given", () => {
            for (const name of ["backup", "backup-sync", "backup-offsite"]) {
                for (const c of checksOf(name)) {
                    expect(c.test.slice(0, 2), name).to.deep.equal(["CMD", "/bin/sh"]);
                    expect(c.uploads, `${name} receives its check's script`).to.include(c.test[2]);
                }
            }
        });
    });
});
