/**
 * The generated PgBouncer and Redis configuration, run by the real servers (rung 4: Debian's postgresql, pgbouncer and
 * redis-server, installed by .ci/run) on 127.0.0.1. Only the addresses and paths differ from the containers'; the
 * render functions are the ones the program uses. The backup and restore scripts against the same PostgreSQL are in
 * test/dataTierBackups.servers.test.ts; the servers are started by test/dataTierFixtures.ts.
 */
import { expect } from "chai";
import { ChildProcess, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DATABASE } from "../components/services/context";
import { renderRedisAuthConf, renderRedisConf } from "../components/services/redis";
import { freePort, postgresBin, scratchDir, startServer, stopServer, waitForPort } from "./localServers";
import { Postgres, psql, startPgbouncer, startPostgres, stopPostgres } from "./dataTierFixtures";

describe("data tier configuration run by the real servers", function () {
    this.timeout(60000);

    describe("PostgreSQL, with PgBouncer in front", () => {
        const password = `pw-${Date.now()}-"quoted"`;
        let pg: Postgres | undefined;
        let bouncerPort: number;
        let bouncer: ChildProcess | undefined;

        before(async () => {
            pg = await startPostgres(password);
            ({ bouncerPort, bouncer } = await startPgbouncer(pg, password));
        });

        after(async () => {
            await stopServer(bouncer);
            stopPostgres(pg);
        });

        it("lets the application role query through PgBouncer with SCRAM, using the generated user list", () => {
            const result = psql(bouncerPort, password, "select current_user || ':' || current_database()");
            expect(result.status, result.stderr).to.equal(0);
            expect(result.stdout.trim()).to.equal(`${DATABASE.user}:${DATABASE.name}`);
        });

        it("refuses a wrong password", () => {
            const result = psql(bouncerPort, "not-the-password", "select 1");
            expect(result.status).to.not.equal(0);
            expect(result.stderr).to.match(/password authentication failed|SASL authentication failed/);
        });

        it("pools in transaction mode, as PgBouncer itself reports", () => {
            // The stats user (there for the PgBouncer exporter) may read SHOW CONFIG on the admin console.
            const result = spawnSync(
                postgresBin("psql"),
                [
                    "-X",
                    "-A",
                    "-t",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    String(bouncerPort),
                    "-U",
                    DATABASE.user,
                    "-d",
                    "pgbouncer",
                    "-c",
                    "SHOW CONFIG",
                ],
                {
                    encoding: "utf8",
                    env: { ...process.env, PGPASSWORD: password },
                },
            );
            expect(result.status, result.stderr).to.equal(0);
            expect(result.stdout).to.match(/^pool_mode\|transaction\|/m);
            expect(result.stdout).to.match(/^max_client_conn\|500\|/m);
        });
    });

    describe("Redis with the generated redis.conf", () => {
        const password = `redis-${Date.now()}`;
        let dir: string;
        let port: number;
        let server: ChildProcess | undefined;
        const cli = (args: string[], auth?: string) =>
            spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], {
                encoding: "utf8",
                env: { ...process.env, ...(auth ? { REDISCLI_AUTH: auth } : {}) },
            });

        before(async () => {
            dir = scratchDir("freshtrack-redis-");
            port = await freePort();
            const auth = path.join(dir, "auth.conf");
            fs.writeFileSync(auth, renderRedisAuthConf(password));
            fs.mkdirSync(path.join(dir, "data"));
            fs.writeFileSync(
                path.join(dir, "redis.conf"),
                renderRedisConf(256, { authConf: auth, dataDir: path.join(dir, "data") }),
            );
            server = startServer("redis-server", [
                path.join(dir, "redis.conf"),
                "--port",
                String(port),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "no",
            ]);
            await waitForPort(port);
        });

        after(async () => {
            await stopServer(server);
            fs.rmSync(dir, { recursive: true, force: true });
        });

        it("refuses clients without the password and answers the health probe with it", () => {
            expect(cli(["ping"]).stdout).to.match(/NOAUTH/);
            expect(cli(["ping"], password).stdout.trim()).to.equal("PONG");
        });

        it("never evicts (BullMQ's requirement), persists every second to the AOF and stays under 80 % of the limit", () => {
            expect(cli(["config", "get", "maxmemory-policy"], password).stdout).to.contain("noeviction");
            expect(cli(["config", "get", "appendonly"], password).stdout).to.match(/appendonly\s+yes/);
            expect(cli(["config", "get", "appendfsync"], password).stdout).to.contain("everysec");
            expect(cli(["config", "get", "maxmemory"], password).stdout).to.contain(
                String(Math.floor(256 * 0.8) * 1024 * 1024),
            );
        });
    });
});
