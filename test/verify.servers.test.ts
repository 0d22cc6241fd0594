/**
 * The verification gate against real servers this test starts on 127.0.0.1:
 * HTTP and HTTPS (certificates made here with openssl), slow, flapping and
 * failing ones, and small stand-ins for the FreshTrack API, Prometheus and
 * Grafana.
 */
import { expect } from "chai";
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { PLAN_ENV } from "../components/postDeploy/verification";
import {
    certificate,
    CheckResult,
    consecutiveHealthy,
    grafanaHealthy,
    prometheusTargetsUp,
    renderReport,
    sensorReadingRaisesAlert,
} from "../operator/verify/checks";
import { VerifyPlan } from "../components/verify/plan";

type Handler = http.RequestListener;

async function serve(
    handler: Handler,
    tlsOptions?: https.ServerOptions,
): Promise<{ url: string; port: number; close: () => Promise<void> }> {
    const server = tlsOptions ? https.createServer(tlsOptions, handler) : http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    return {
        url: `${tlsOptions ? "https" : "http"}://127.0.0.1:${port}`,
        port,
        close: () =>
            new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}

/** A CA and a server certificate for `name`, valid for `days`, made with openssl. */
function makePki(name: string, days: number): { ca: string; cert: string; key: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-pki-"));
    const p = (f: string) => path.join(dir, f);
    const run = (...args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
    run(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        p("ca.key"),
        "-out",
        p("ca.crt"),
        "-days",
        "3650",
        "-subj",
        "/CN=FreshTrack test CA",
    );
    run(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        p("server.key"),
        "-out",
        p("server.csr"),
        "-subj",
        `/CN=${name}`,
    );
    fs.writeFileSync(p("ext"), `subjectAltName=DNS:${name}\nextendedKeyUsage=serverAuth\n`);
    run(
        "x509",
        "-req",
        "-in",
        p("server.csr"),
        "-CA",
        p("ca.crt"),
        "-CAkey",
        p("ca.key"),
        "-CAcreateserial",
        "-out",
        p("server.crt"),
        "-days",
        String(days),
        "-extfile",
        p("ext"),
    );
    return {
        ca: fs.readFileSync(p("ca.crt"), "utf8"),
        cert: fs.readFileSync(p("server.crt"), "utf8"),
        key: fs.readFileSync(p("server.key"), "utf8"),
    };
}

const fast = { intervalMs: 50, requestTimeoutMs: 500 };

function expectFailure(result: CheckResult, seen: RegExp): void {
    expect(result.ok, result.seen).to.equal(false);
    expect(result.seen).to.match(seen);
    expect(result.expected).to.be.a("string").that.is.not.empty;
    expect(result.where).to.be.a("string").that.is.not.empty;
}

describe("verification gate against real servers", function () {
    this.timeout(30000);

    describe("health endpoints: 3 consecutive passes", () => {
        it("passes a server that answers 200", async () => {
            const s = await serve((_req, res) => res.end("ok"));
            try {
                const r = await consecutiveHealthy("backend /health", `${s.url}/health`, { ...fast, timeoutMs: 3000 });
                expect(r.ok, r.seen).to.equal(true);
                expect(r.seen).to.match(/3 consecutive 2xx after 3 attempt/);
            } finally {
                await s.close();
            }
        });

        it("fails a server that answers 500, saying what it saw", async () => {
            const s = await serve((_req, res) => {
                res.statusCode = 500;
                res.end();
            });
            try {
                expectFailure(
                    await consecutiveHealthy("backend /health", `${s.url}/health`, { ...fast, timeoutMs: 800 }),
                    /last answer: HTTP 500/,
                );
            } finally {
                await s.close();
            }
        });

        it("fails a flapping server that never answers 200 three times in a row", async () => {
            let n = 0;
            const s = await serve((_req, res) => {
                res.statusCode = n++ % 2 === 0 ? 200 : 503;
                res.end();
            });
            try {
                expectFailure(
                    await consecutiveHealthy("frontend /health", `${s.url}/health`, { ...fast, timeoutMs: 1500 }),
                    /last answer: HTTP (200|503)/,
                );
            } finally {
                await s.close();
            }
        });

        it("passes a server that flaps, then settles", async () => {
            let n = 0;
            const s = await serve((_req, res) => {
                res.statusCode = n++ < 4 && n % 2 === 0 ? 503 : 200;
                res.end();
            });
            try {
                expect(
                    (await consecutiveHealthy("frontend /health", `${s.url}/health`, { ...fast, timeoutMs: 3000 })).ok,
                ).to.equal(true);
            } finally {
                await s.close();
            }
        });

        it("fails a server too slow to answer within the request timeout", async () => {
            const s = await serve((_req, res) => setTimeout(() => res.end("late"), 1500));
            try {
                expectFailure(
                    await consecutiveHealthy("backend /health", `${s.url}/health`, {
                        intervalMs: 50,
                        requestTimeoutMs: 200,
                        timeoutMs: 1000,
                    }),
                    /no answer within 200 ms/,
                );
            } finally {
                await s.close();
            }
        });

        it("fails when nothing listens", async () => {
            const s = await serve((_req, res) => res.end());
            await s.close();
            expectFailure(
                await consecutiveHealthy("backend /health", `${s.url}/health`, { ...fast, timeoutMs: 500 }),
                /ECONNREFUSED/,
            );
        });
    });

    describe("TLS certificate", () => {
        it("passes a certificate for the name, from the trusted CA, with a year left", async () => {
            const pki = makePki("freshtrack.test", 365);
            const s = await serve((_req, res) => res.end(), { cert: pki.cert, key: pki.key });
            try {
                const r = await certificate("TLS freshtrack.test", {
                    host: "127.0.0.1",
                    port: s.port,
                    servername: "freshtrack.test",
                    ca: pki.ca,
                });
                expect(r.ok, r.seen).to.equal(true);
                expect(r.seen).to.match(/issued by FreshTrack test CA for freshtrack.test, 36[45] days left/);
            } finally {
                await s.close();
            }
        });

        it("fails a certificate expiring within 30 days", async () => {
            const pki = makePki("freshtrack.test", 10);
            const s = await serve((_req, res) => res.end(), { cert: pki.cert, key: pki.key });
            try {
                expectFailure(
                    await certificate("TLS", {
                        host: "127.0.0.1",
                        port: s.port,
                        servername: "freshtrack.test",
                        ca: pki.ca,
                    }),
                    /expires in (9|10) days/,
                );
            } finally {
                await s.close();
            }
        });

        it("fails a certificate for another name", async () => {
            const pki = makePki("other.test", 365);
            const s = await serve((_req, res) => res.end(), { cert: pki.cert, key: pki.key });
            try {
                expectFailure(
                    await certificate("TLS", {
                        host: "127.0.0.1",
                        port: s.port,
                        servername: "freshtrack.test",
                        ca: pki.ca,
                    }),
                    /does not cover freshtrack.test/,
                );
            } finally {
                await s.close();
            }
        });

        it("fails a certificate from a CA that is not trusted", async () => {
            const pki = makePki("freshtrack.test", 365);
            const s = await serve((_req, res) => res.end(), { cert: pki.cert, key: pki.key });
            try {
                expectFailure(
                    await certificate("TLS", { host: "127.0.0.1", port: s.port, servername: "freshtrack.test" }),
                    /not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE|not trusted \(unable to verify/,
                );
            } finally {
                await s.close();
            }
        });

        it("reaches a name that is in no DNS at the host's address, keeping the name for TLS", async () => {
            const pki = makePki("freshtrack.internal-only.test", 365);
            const s = await serve((_req, res) => res.end("ok"), { cert: pki.cert, key: pki.key });
            try {
                const url = `https://freshtrack.internal-only.test:${s.port}/health`;
                expect(
                    (
                        await consecutiveHealthy("dashboard", url, {
                            ...fast,
                            ca: pki.ca,
                            resolveTo: "127.0.0.1",
                            timeoutMs: 3000,
                        })
                    ).ok,
                ).to.equal(true);
                expectFailure(
                    await consecutiveHealthy("dashboard", url, { ...fast, ca: pki.ca, timeoutMs: 400 }),
                    /ENOTFOUND|EAI_AGAIN/,
                );
            } finally {
                await s.close();
            }
        });

        it("uses the stack's CA for HTTPS health checks too", async () => {
            const pki = makePki("localhost", 365);
            const s = await serve((_req, res) => res.end("ok"), { cert: pki.cert, key: pki.key });
            try {
                const url = `https://localhost:${s.port}/health`;
                expect(
                    (await consecutiveHealthy("dashboard", url, { ...fast, ca: pki.ca, timeoutMs: 3000 })).ok,
                ).to.equal(true);
                expectFailure(
                    await consecutiveHealthy("dashboard", url, { ...fast, timeoutMs: 400 }),
                    /self-signed|unable to verify|UNABLE_TO_VERIFY/i,
                );
            } finally {
                await s.close();
            }
        });
    });

    describe("end to end: a reading over the threshold becomes an alert", () => {
        /** A stand-in for the FreshTrack API: alerts appear `delayMs` after an excursion, or never. */
        async function fakeApi(opts: { delayMs: number; raises: boolean; ingestStatus?: number }) {
            const alerts: Array<{ sensorId: string }> = [];
            return serve((req, res) => {
                const chunks: Buffer[] = [];
                req.on("data", (c: Buffer) => chunks.push(c));
                req.on("end", () => {
                    if (req.method === "POST" && req.url === "/api/v1/readings") {
                        const reading = JSON.parse(Buffer.concat(chunks).toString()) as {
                            sensorId: string;
                            temperatureC: number;
                        };
                        if (opts.raises && reading.temperatureC > 8)
                            setTimeout(() => alerts.push({ sensorId: reading.sensorId }), opts.delayMs);
                        res.statusCode = opts.ingestStatus ?? 202;
                        res.end();
                    } else if (req.url === "/api/v1/alerts?status=open") {
                        res.setHeader("content-type", "application/json");
                        res.end(JSON.stringify({ alerts }));
                    } else {
                        res.statusCode = 404;
                        res.end();
                    }
                });
            });
        }
        const check = (baseUrl: string, timeoutMs: number) =>
            sensorReadingRaisesAlert("sensor reading to alert", {
                baseUrl,
                ingestPath: "/api/v1/readings",
                alertsPath: "/api/v1/alerts?status=open",
                sensorId: "demo-sensor-1",
                celsius: 15,
                timeoutMs,
                pollMs: 50,
            });

        it("passes when the alert appears", async () => {
            const api = await fakeApi({ delayMs: 300, raises: true });
            try {
                const r = await check(api.url, 3000);
                expect(r.ok, r.seen).to.equal(true);
            } finally {
                await api.close();
            }
        });

        it("fails when no alert appears within the timeout", async () => {
            const api = await fakeApi({ delayMs: 0, raises: false });
            try {
                expectFailure(
                    await check(api.url, 600),
                    /no alert; last answer: HTTP 200 without an alert for the sensor/,
                );
            } finally {
                await api.close();
            }
        });

        it("fails when the reading is refused", async () => {
            const api = await fakeApi({ delayMs: 0, raises: true, ingestStatus: 401 });
            try {
                expectFailure(await check(api.url, 600), /the reading was refused: HTTP 401/);
            } finally {
                await api.close();
            }
        });
    });

    describe("monitoring", () => {
        const targets = (healths: Array<[string, string]>) =>
            JSON.stringify({
                status: "success",
                data: {
                    activeTargets: healths.map(([job, health]) => ({
                        labels: { job, instance: `${job}:1` },
                        health,
                        ...(health === "up" ? {} : { lastError: "connection refused" }),
                    })),
                },
            });

        it("passes when Prometheus reports every target up, and names the ones that are not", async () => {
            let body = targets([
                ["backend", "up"],
                ["node", "up"],
            ]);
            const s = await serve((req, res) => res.end(req.url?.startsWith("/api/v1/targets") ? body : ""));
            try {
                expect((await prometheusTargetsUp("Prometheus targets", s.url)).ok).to.equal(true);
                body = targets([
                    ["backend", "up"],
                    ["redis", "down"],
                ]);
                expectFailure(
                    await prometheusTargetsUp("Prometheus targets", s.url),
                    /1 of 2 down: redis redis:1 \(down: connection refused\)/,
                );
            } finally {
                await s.close();
            }
        });

        it("passes a healthy Grafana and fails one whose database is not ok", async () => {
            let database = "ok";
            const s = await serve((_req, res) => res.end(JSON.stringify({ database, version: "11.2.2" })));
            try {
                expect((await grafanaHealthy("Grafana", s.url)).ok).to.equal(true);
                database = "failing";
                expectFailure(await grafanaHealthy("Grafana", s.url), /HTTP 200, database failing/);
            } finally {
                await s.close();
            }
        });
    });

    describe("the gate as `pulumi up` runs it (scripts/verify.ts --from-env)", () => {
        /** One HTTPS server playing Caddy in front of the whole stack. */
        async function fakeStack(grafanaDatabase: string) {
            const pki = makePki("localhost", 365);
            const alerts: string[] = [];
            const s = await serve(
                (req, res) => {
                    const url = req.url ?? "/";
                    if (url === "/status/api/entry-page") {
                        // Uptime Kuma behind the admin basic auth, as Caddy serves it (issue 15, finding 1).
                        const authorised =
                            req.headers.authorization === `Basic ${Buffer.from("admin:pw").toString("base64")}`;
                        res.statusCode = authorised ? 200 : 401;
                        res.end(authorised ? JSON.stringify({ type: "entryPage", entryPage: "dashboard" }) : "");
                        return;
                    }
                    if (url.startsWith("/api/v1/targets")) {
                        if (req.headers.authorization !== `Basic ${Buffer.from("admin:pw").toString("base64")}`) {
                            res.statusCode = 401;
                            res.end();
                            return;
                        }
                        res.end(
                            JSON.stringify({ data: { activeTargets: [{ health: "up", labels: { job: "backend" } }] } }),
                        );
                    } else if (url === "/api/health") {
                        res.end(JSON.stringify({ database: grafanaDatabase }));
                    } else if (url === "/api/v1/readings" && req.method === "POST") {
                        alerts.push("demo-sensor-1");
                        res.statusCode = 202;
                        res.end();
                    } else if (url.startsWith("/api/v1/alerts")) {
                        res.end(JSON.stringify({ alerts }));
                    } else {
                        res.end("ok");
                    }
                },
                { cert: pki.cert, key: pki.key },
            );
            const base = `https://localhost:${s.port}`;
            const plan: VerifyPlan = {
                domain: "localhost",
                urls: { dashboard: base, api: `${base}/api`, grafana: base, prometheus: base },
                health: [
                    { name: "dashboard", url: base },
                    { name: "backend", url: `${base}/api/health/ready` },
                    {
                        name: "status page (behind the admin login)",
                        url: `${base}/status/api/entry-page`,
                        basicAuth: true,
                    },
                ],
                consecutivePasses: 3,
                timeoutSeconds: 10,
                ca: pki.ca,
                adminUser: "admin",
                adminPassword: "pw",
                e2e: {
                    ingestPath: "/api/v1/readings",
                    alertsPath: "/api/v1/alerts?status=open",
                    sensorId: "demo-sensor-1",
                    celsius: 15,
                },
            };
            return { plan, close: s.close };
        }
        const gate = (plan: VerifyPlan) =>
            new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
                const child = spawn(
                    process.execPath,
                    [
                        "-r",
                        "ts-node/register/transpile-only",
                        path.join(__dirname, "..", "scripts", "verify.ts"),
                        "--from-env",
                    ],
                    {
                        cwd: path.join(__dirname, ".."),
                        env: { ...process.env, [PLAN_ENV]: JSON.stringify(plan) },
                    },
                );
                let stdout = "";
                let stderr = "";
                child.stdout.on("data", (d: Buffer) => (stdout += d));
                child.stderr.on("data", (d: Buffer) => (stderr += d));
                child.on("exit", (status: number | null) => resolve({ status, stdout, stderr }));
            });

        it("exits 0 and prints the passing report when every check passes", async () => {
            const stack = await fakeStack("ok");
            try {
                const result = await gate(stack.plan);
                expect(result.status, result.stderr).to.equal(0);
                expect(result.stdout).to.match(/^Verification: 7 of 7 checks passed/);
            } finally {
                await stack.close();
            }
        });

        it("exits 1, failing the update, with the report of what failed", async () => {
            const stack = await fakeStack("failing");
            try {
                const result = await gate(stack.plan);
                expect(result.status).to.equal(1);
                expect(result.stderr).to.match(/^Verification: 6 of 7 checks passed/);
                expect(result.stderr).to.contain(
                    'Grafana health failed\n  expected: HTTP 200 with "database": "ok"\n  seen:     HTTP 200, database failing',
                );
            } finally {
                await stack.close();
            }
        });
    });

    it("reports a failing run readably: check, expected, seen, where to look", async () => {
        const down = await serve((_req, res) => {
            res.statusCode = 503;
            res.end();
        });
        const results = [
            await consecutiveHealthy("backend /health/ready", `${down.url}/health/ready`, { ...fast, timeoutMs: 300 }),
        ];
        await down.close();
        results.push({ check: "Grafana", ok: true, expected: "x", seen: "HTTP 200, database ok", where: "-", ms: 3 });
        const report = renderReport(results);
        // A failing report on purpose; shown only on request, so a passing run prints no FAIL line.
        if (process.env.SHOW_REPORTS === "1")
            console.log(
                report
                    .split("\n")
                    .map((l) => `      ${l}`)
                    .join("\n"),
            );
        expect(report).to.match(/^Verification: 1 of 2 checks passed/);
        expect(report).to.match(/FAIL {2}backend \/health\/ready/);
        expect(report).to.match(
            /backend \/health\/ready failed\n {2}expected: 3 consecutive 2xx within 300 ms\n {2}seen: {5}best streak ended; last answer: HTTP 503/,
        );
        expect(report).to.contain("look at:  http://127.0.0.1:");
    });
});
