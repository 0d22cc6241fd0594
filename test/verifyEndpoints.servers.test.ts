/**
 * The verification gate's health and certificate checks against real servers this test starts on 127.0.0.1 (rung 4):
 * HTTP and HTTPS (certificates made here with openssl), slow, flapping and failing ones. The end-to-end alert, the
 * monitoring checks and the gate as `pulumi up` runs it are in test/verifyGate.servers.test.ts.
 */
import { expect } from "chai";
import { certificate, consecutiveHealthy } from "../operator/verify/checks";
import { expectFailure, fast, makePki, serve } from "./verifyFixtures";

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
});
