/**
 * The verification gate against real servers this test starts on 127.0.0.1 (rung 4): small stand-ins for the
 * FreshTrack API, Prometheus, Grafana and Caddy in front of the whole stack, the gate run as `pulumi up` runs it, and
 * its report. The health and certificate checks are in test/verifyEndpoints.servers.test.ts.
 */
import { expect } from "chai";
import { spawn } from "child_process";
import * as path from "path";
import { PLAN_ENV } from "../components/postDeploy/verification";
import {
    consecutiveHealthy,
    grafanaHealthy,
    prometheusTargetsUp,
    renderReport,
    sensorReadingRaisesAlert,
} from "../operator/verify/checks";
import { VerifyPlan } from "../components/verify/plan";
import { expectFailure, fast, makePki, serve } from "./verifyFixtures";

describe("verification gate against real servers", function () {
    this.timeout(30000);

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
