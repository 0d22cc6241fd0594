import { expect } from "chai";
import { TLS_MODES } from "../components/config";
import { caddyQuoted, LETS_ENCRYPT_STAGING, renderCaddyfile } from "../components/edge/caddyfile";
import { statusPagePublicPaths } from "../components/edge/caddy";
import { appEnvironment } from "../components/services/appEnv";
import { configFor, settingsWith } from "./helpers";

describe("app tier and edge", () => {
    describe("Caddyfile", () => {
        it("refuses a hostile admin email before any Caddyfile exists, and the renderer refuses what quotes cannot carry", async () => {
            const hostile = [
                'ops@example.com"\n}\nadmin 0.0.0.0:2019\n{',
                "{$CADDY_ADMIN}@example.com",
                "ops@{env.HOME}.example.com",
                "ops\\@example.com",
            ];
            for (const email of hostile) {
                const refused = await configFor(settingsWith({ "freshtrack:adminEmail": email })).then(
                    () => "accepted",
                    (err: Error) => err.message,
                );
                expect(refused, JSON.stringify(email)).to.contain(
                    `freshtrack:adminEmail = ${JSON.stringify(email)}: expected an email address`,
                );
                expect(() => caddyQuoted(email), JSON.stringify(email)).to.throw(/a Caddyfile value may not contain/);
            }
            expect(caddyQuoted('say "hi"')).to.equal('"say \\"hi\\""');
        });

        it("sends HSTS only with publicly trusted certificates, and uses Let's Encrypt staging in acme-staging", () => {
            const render = (tlsMode: (typeof TLS_MODES)[number]) =>
                renderCaddyfile({
                    email: "o@example.com",
                    tlsMode,
                    sites: [{ address: "x.example.com", routes: [{ upstreams: ["a:1"] }] }],
                });
            expect(render("acme")).to.contain("Strict-Transport-Security");
            expect(render("acme-staging")).to.contain(`acme_ca ${LETS_ENCRYPT_STAGING}`);
            expect(render("acme")).to.not.contain("acme_ca");
            expect(render("internal")).to.not.contain("Strict-Transport-Security");
        });
    });

    describe("configuration of the FreshTrack images", () => {
        it("hands credentials over as *_FILE pointers to secret files, never as values", async () => {
            const cfg = await configFor(settingsWith({}));
            const pulumiSecret = (await import("@pulumi/pulumi")).secret;
            const env = appEnvironment("backend", {
                cfg,
                database: {
                    host: "pgbouncer",
                    port: 6432,
                    database: "freshtrack",
                    user: "freshtrack",
                    password: pulumiSecret("db-pw"),
                    sslMode: "disable",
                },
                redis: { host: "redis", port: 6379, password: pulumiSecret("redis-pw") },
                objectStorage: {
                    endpoint: "http://minio:9000",
                    accessKey: "freshtrack-app",
                    secretKey: pulumiSecret("s3-pw"),
                },
                jwtSecret: pulumiSecret("jwt"),
            });
            const fileKeys = Object.keys(env.env).filter((k) => k.endsWith("_FILE"));
            expect(fileKeys.sort()).to.deep.equal([
                "DATABASE_PASSWORD_FILE",
                "JWT_SECRET_FILE",
                "REDIS_PASSWORD_FILE",
                "S3_ACCESS_KEY_ID_FILE",
                "S3_SECRET_ACCESS_KEY_FILE",
            ]);
            for (const key of fileKeys)
                expect(
                    env.files.map((f) => f.path),
                    key,
                ).to.include(env.env[key]);
            expect(env.files.filter((f) => f.secret).map((f) => f.path)).to.have.length(4);
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

        it("refuses a status page slug that is not Uptime Kuma's own form, so it cannot widen a Caddy path", () => {
            for (const bad of ["*", "a/b", "public*", "../setup", "a b", "", "-x"])
                expect(() => statusPagePublicPaths([bad]), bad).to.throw(/letters, digits and single hyphens/);
        });
    });
});
