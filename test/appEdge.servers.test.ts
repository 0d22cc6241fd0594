import { expect } from "chai";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { TLS_MODES } from "../components/config";
import { renderCaddyfile } from "../components/edge/caddyfile";
import { statusSite } from "../components/edge/caddy";
import { deployStack } from "../components/stack";
import { RegisteredResource } from "../scripts/lib/mockRun";
import { shippedStacks } from "../scripts/lib/stackFiles";
import { configFor, runStack, settingsWith, uploadText } from "./helpers";
import { freePort, startServer, stopServer, waitForPort } from "./localServers";

function scratch(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-caddy-"));
}

/** A throwaway certificate and key (openssl), for validating configs that name TLS files. */
function makeCert(dir: string): { cert: string; key: string } {
    const cert = path.join(dir, "server.crt");
    const key = path.join(dir, "server.key");
    execFileSync(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            key,
            "-out",
            cert,
            "-days",
            "2",
            "-subj",
            "/CN=freshtrack.test",
        ],
        { stdio: "ignore" },
    );
    return { cert, key };
}

function caddyValidate(caddyfile: string): { status: number | null; output: string } {
    const file = path.join(scratch(), "Caddyfile");
    fs.writeFileSync(file, caddyfile);
    const result = spawnSync("caddy", ["validate", "--config", file, "--adapter", "caddyfile"], { encoding: "utf8" });
    return { status: result.status, output: result.stdout + result.stderr };
}

/** The stack's rendered Caddyfile, with the internal-mode certificate paths pointed at real files. */
function stackCaddyfile(resources: RegisteredResource[]): string {
    const text = uploadText(resources, "caddy", "/etc/caddy/Caddyfile");
    const { cert, key } = makeCert(scratch());
    return text.replaceAll("/etc/caddy/certs/server.crt", cert).replaceAll("/etc/caddy/certs/server.key", key);
}

/**
 * A Caddyfile for a caddy run on 127.0.0.1 by a test: internal TLS off the ports, admin and metrics on the test's own
 * ports.
 */
function localCaddyfile(
    adminPort: number,
    metricsPort: number,
    sites: Parameters<typeof renderCaddyfile>[0]["sites"],
): string {
    return renderCaddyfile({
        email: "ops@example.com",
        tlsMode: "internal",
        autoHttps: false,
        adminAddress: `localhost:${adminPort}`,
        metricsPort,
        sites,
    });
}

describe("app tier and edge", () => {
    describe("Caddyfile", () => {
        for (const stack of shippedStacks()) {
            it(`passes \`caddy validate\` as rendered for stack ${stack}`, async () => {
                const { resources } = await runStack(stack, deployStack);
                const result = caddyValidate(stackCaddyfile(resources));
                expect(result.status, result.output).to.equal(0);
                expect(result.output).to.contain("Valid configuration");
            });
        }

        for (const tlsMode of TLS_MODES) {
            it(`passes \`caddy validate\` in TLS mode ${tlsMode}`, () => {
                const { cert, key } = makeCert(scratch());
                const text = renderCaddyfile({
                    email: "ops@example.com",
                    tlsMode,
                    internalTls: { certFile: cert, keyFile: key },
                    sites: [
                        {
                            address: "freshtrack.example.com",
                            routes: [{ upstreams: ["frontend:8080"], healthUri: "/health" }],
                        },
                    ],
                });
                const result = caddyValidate(text);
                expect(result.status, result.output).to.equal(0);
            });
        }

        it("is refused by `caddy validate` when broken, so the checks above can fail", () => {
            const text = renderCaddyfile({
                email: "ops@example.com",
                tlsMode: "acme",
                sites: [{ address: "x.example.com", routes: [{ upstreams: ["a:1"] }] }],
            });
            expect(caddyValidate(text.replace("reverse_proxy", "reverse_proxi")).status).to.not.equal(0);
        });

        // Issue 15, finding 15 (rung 3, the real caddy): adminEmail reached the Caddyfile unquoted and unchecked.
        const caddyAdapt = (caddyfile: string, env: Record<string, string> = {}) => {
            const file = path.join(scratch(), "Caddyfile");
            fs.writeFileSync(file, caddyfile);
            const result = spawnSync("caddy", ["adapt", "--config", file, "--adapter", "caddyfile"], {
                encoding: "utf8",
                env: { ...process.env, ...env },
            });
            return { status: result.status, stdout: result.stdout, output: result.stdout + result.stderr };
        };
        const acmeEmails = (adaptedJson: string): string[] => {
            const config = JSON.parse(adaptedJson) as {
                apps: { tls: { automation: { policies: Array<{ issuers?: Array<{ email?: string }> }> } } };
            };
            return config.apps.tls.automation.policies.flatMap((p) => (p.issuers ?? []).map((i) => i.email ?? ""));
        };

        it("quotes the admin email, and the real caddy reads a plus-addressed one back unchanged as the ACME account", async () => {
            const email = "ops+edge.alerts@mail.freshtrack.example.com";
            const cfg = await configFor(settingsWith({ "freshtrack:adminEmail": email }));
            const text = renderCaddyfile({
                email: cfg.adminEmail,
                tlsMode: "acme",
                sites: [{ address: "x.example.com", routes: [{ upstreams: ["a:1"] }] }],
            });
            expect(text).to.contain(`\n    email "${email}"\n`);
            const adapted = caddyAdapt(text);
            expect(adapted.status, adapted.output).to.equal(0);
            const emails = acmeEmails(adapted.stdout);
            expect(emails).to.not.be.empty;
            for (const e of emails) expect(e).to.equal(email);
            expect(caddyValidate(text).status).to.equal(0);
        });

        it("needs the validation as well as the quotes: the real caddy expands {$VAR} inside a quoted token, before it reads tokens", () => {
            // Written by hand: the config never lets such an email through. caddy@v2.8.4
            // caddyconfig/caddyfile/parse.go:63-110.
            const text = '{\n    email "ops{$FT_PROBE}@example.com"\n}\n\nx.example.com {\n    respond "ok"\n}\n';
            const leaked = caddyAdapt(text, { FT_PROBE: "-leaked-value" });
            expect(leaked.status, leaked.output).to.equal(0);
            expect(acmeEmails(leaked.stdout)).to.include("ops-leaked-value@example.com");
            const injected = caddyAdapt(text, { FT_PROBE: 'x"\n    admin 0.0.0.0:2019\n    email "y' });
            expect(injected.status, injected.output).to.equal(0);
            expect(
                (JSON.parse(injected.stdout) as { admin?: { listen?: string } }).admin?.listen,
                "the admin API, opened to every address",
            ).to.equal("0.0.0.0:2019");
        });
    });

    /**
     * Issue 15, finding 1: Uptime Kuma makes whoever first calls `setup` over socket.io its admin
     * (louislam/uptime-kuma@1.23.15 server/server.js:608-623), and status.<domain> was proxied without auth.
     * Rung 2 for the rendered Caddyfile (the stack's own), rung 3 for the gate: the real caddy binary
     * (2.6.2 here; the stack pins 2.8.4) in front of a stand-in upstream that records what reaches it.
     */
    describe("status subdomain behind the admin gate (issue 15, finding 1)", function () {
        this.timeout(60000);
        const PASSWORD = "gate-password-1";
        const ADMIN_PATHS = [
            "/",
            "/setup",
            "/dashboard",
            "/manage-status-page",
            "/settings/security",
            "/metrics",
            "/socket.io/?EIO=4&transport=polling",
            "/api/entry-page",
            "/api/badge/1/status",
        ];

        const runGate = async (
            publicSlugs: string[],
            check: (
                get: (p: string, auth?: boolean) => Promise<{ status: number; location?: string }>,
                seen: string[],
            ) => Promise<void>,
        ) => {
            const hash = execFileSync("caddy", ["hash-password", "--plaintext", PASSWORD], { encoding: "utf8" })
                .trim()
                .split("\n")
                .pop()!;
            const [upPort, caddyPort, adminPort, metricsPort] = await Promise.all([
                freePort(),
                freePort(),
                freePort(),
                freePort(),
            ]);
            const seen: string[] = [];
            const upstream = http
                .createServer((req, res) => {
                    seen.push(req.url!);
                    res.end("kuma");
                })
                .listen(upPort, "127.0.0.1");
            const site = statusSite("freshtrack.example.com", hash, publicSlugs);
            const dir = scratch();
            const caddyfile = path.join(dir, "Caddyfile");
            fs.writeFileSync(
                caddyfile,
                localCaddyfile(adminPort, metricsPort, [
                    {
                        address: `http://127.0.0.1:${caddyPort}`,
                        routes: site.routes.map((r) => ({
                            ...r,
                            upstreams: r.upstreams.map(() => `127.0.0.1:${upPort}`),
                        })),
                    },
                ]),
            );
            const caddy = startServer("caddy", ["run", "--config", caddyfile, "--adapter", "caddyfile"]);
            const get = (p: string, auth = false) =>
                new Promise<{ status: number; location?: string }>((resolve, reject) => {
                    const headers = auth
                        ? { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}` }
                        : {};
                    http.get({ host: "127.0.0.1", port: caddyPort, path: p, headers, agent: false }, (res) => {
                        res.resume();
                        res.on("end", () =>
                            resolve({
                                status: res.statusCode!,
                                ...(res.headers.location ? { location: res.headers.location } : {}),
                            }),
                        );
                    }).on("error", reject);
                });
            try {
                await waitForPort(caddyPort);
                await check(get, seen);
            } finally {
                await stopServer(caddy);
                upstream.close();
            }
        };

        it("answers 401 to every path without the admin password, setup and socket.io included, and proxies them with it (real caddy)", async () => {
            await runGate([], async (get, seen) => {
                for (const p of [...ADMIN_PATHS, "/status/public", "/api/status-page/public", "/assets/index.js"])
                    expect((await get(p)).status, p).to.equal(401);
                expect(seen, "nothing reached Uptime Kuma").to.deep.equal([]);
                for (const p of ADMIN_PATHS) expect((await get(p, true)).status, p).to.equal(200);
                expect(seen).to.deep.equal(ADMIN_PATHS);
            });
        });

        it("with a published page, serves only its read-only paths without auth, sends / there, and gates the rest (real caddy)", async () => {
            const open = [
                "/status/public",
                "/api/status-page/public",
                "/api/status-page/heartbeat/public",
                "/api/status-page/public/manifest.json",
                "/assets/index-3f2a.js",
                "/icon.svg",
                "/favicon.ico",
                "/upload/logo1.png",
            ];
            const gated = [
                ...ADMIN_PATHS.filter((p) => p !== "/"),
                "/status/other",
                "/status",
                "/api/status-page/other",
                "/api/status-page/heartbeat/other",
                "/api/status-page/public/badge",
                "/status/public/x",
                "/status/public/../../setup",
                "/assets/../setup",
                "/assets/..%2fsetup",
                "/upload/../dashboard",
                "/socket.io/?EIO=4&transport=websocket",
            ];
            await runGate(["public"], async (get, seen) => {
                for (const p of open) expect((await get(p)).status, p).to.equal(200);
                expect(seen).to.deep.equal(open);
                expect(await get("/")).to.deep.equal({ status: 302, location: "/status/public" });
                seen.length = 0;
                for (const p of gated) expect((await get(p)).status, p).to.equal(401);
                expect(seen, "nothing else reached Uptime Kuma").to.deep.equal([]);
            });
        });
    });

    describe("zero-downtime switchover through the real Caddy", function () {
        this.timeout(60000);

        it("answers every request while the old upstream stops and the new one takes over", async () => {
            const served = { old: 0, new: 0 };
            const closing = { old: false, new: false };
            const makeUpstream = (which: "old" | "new") =>
                http.createServer((req, res) => {
                    // A graceful stop, as docs/app-contract.md asks of the images: finish what is in
                    // flight and tell keep-alive clients the connection ends with this response.
                    if (closing[which]) res.setHeader("Connection", "close");
                    if (req.url === "/health/ready") {
                        res.end("ok");
                        return;
                    }
                    served[which]++;
                    // A little work per request, so some are always in flight during the switch.
                    setTimeout(() => res.end(which), 5);
                });
            const [oldPort, newPort, caddyPort, adminPort, metricsPort] = await Promise.all([
                freePort(),
                freePort(),
                freePort(),
                freePort(),
                freePort(),
            ]);
            const oldServer = makeUpstream("old").listen(oldPort, "127.0.0.1");
            const newServer = makeUpstream("new");

            const dir = scratch();
            const caddyfile = path.join(dir, "Caddyfile");
            // The stack routes to one network alias; Docker's DNS answers with the old container, then
            // both, then the new one. Two static upstreams walk Caddy through the same three states.
            fs.writeFileSync(
                caddyfile,
                localCaddyfile(adminPort, metricsPort, [
                    {
                        address: `http://127.0.0.1:${caddyPort}`,
                        routes: [
                            {
                                path: "/api/*",
                                upstreams: [`127.0.0.1:${oldPort}`, `127.0.0.1:${newPort}`],
                                healthUri: "/health/ready",
                            },
                        ],
                    },
                ]),
            );
            const caddy = startServer("caddy", ["run", "--config", caddyfile, "--adapter", "caddyfile"]);
            let sent = 0;
            const failures: string[] = [];
            let running = true;
            try {
                await waitForPort(caddyPort);
                const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
                const client = async () => {
                    while (running) {
                        sent++;
                        await new Promise<void>((resolve) => {
                            const req = http.get(
                                {
                                    host: "127.0.0.1",
                                    port: caddyPort,
                                    path: `/api/readings?n=${sent}`,
                                    agent,
                                    timeout: 10000,
                                },
                                (res) => {
                                    res.resume();
                                    res.on("end", () => {
                                        if (res.statusCode !== 200) failures.push(`HTTP ${res.statusCode}`);
                                        resolve();
                                    });
                                },
                            );
                            req.on("timeout", () => req.destroy(new Error("no answer within 10 s")));
                            req.on("error", (err) => {
                                failures.push(err.message);
                                resolve();
                            });
                        });
                    }
                };
                const clients = Array.from({ length: 6 }, client);
                const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

                await sleep(1500); // old only
                newServer.listen(newPort, "127.0.0.1"); // new version starts
                await sleep(3000); // both healthy
                const servedByOldBeforeStop = served.old;
                closing.old = true; // old version stops gracefully
                await new Promise<void>((resolve) => {
                    oldServer.close(() => resolve());
                    oldServer.closeIdleConnections();
                });
                const newBeforeStop = served.new;
                await sleep(2000); // new only
                running = false;
                await Promise.all(clients);
                agent.destroy();

                console.log(
                    `      switchover: ${sent} requests sent, ${failures.length} failed; ${served.old} served by the old upstream, ${served.new} by the new`,
                );
                expect(failures, failures.slice(0, 5).join("; ")).to.deep.equal([]);
                expect(sent).to.be.greaterThan(200);
                expect(servedByOldBeforeStop).to.be.greaterThan(0);
                expect(
                    served.new - newBeforeStop,
                    "the new upstream carried the traffic after the switch",
                ).to.be.greaterThan(50);
            } finally {
                running = false;
                await stopServer(caddy);
                newServer.close();
                newServer.closeAllConnections();
            }
        });
    });
});
