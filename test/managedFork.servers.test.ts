/**
 * Issue 18, item 3, rung 4 (a real server on 127.0.0.1, Debian's PostgreSQL): why the program creates no database and
 * no role on a managed fork (components/platform/managedDatabase.ts). DigitalOcean documents that a fork replicates
 * "all the databases, users, and other settings" and that a restore "creates a new copy of the cluster's primary
 * node"; that part stands on its documentation alone, since nothing here reaches DigitalOcean. What this file runs is
 * the PostgreSQL part: a physical copy of a cluster taken while it runs (pg_basebackup with its write-ahead log, as a
 * point-in-time copy is made) holds the application's database and role, the role logs in to the copy with the
 * password it had, the copy holds what was committed before it and nothing after, and creating the database or the
 * role again on the copy fails, as a second create through the API would fail the update.
 */
import { expect } from "chai";
import { execFileSync, spawnSync, SpawnSyncReturns } from "child_process";
import * as path from "path";
import { DATABASE } from "../components/services/context";
import {
    asPostgres,
    freePort,
    postgresBin,
    psqlOnLocalhost,
    ScratchCluster,
    startScratchCluster,
    stopScratchCluster,
} from "./localServers";

const SUPERUSER = "postgres";
const SUPERUSER_PASSWORD = `super-${Date.now()}`;
const APP_PASSWORD = `app-${Date.now()}`;

describe("a physical copy of a cluster holds its database and role (issue 18, item 3; rung 4: real server)", function () {
    this.timeout(120_000);
    let live: ScratchCluster | undefined;
    let copy: { dir: string; port: number; data: string } | undefined;

    const psql = (port: number, user: string, password: string, database: string, sql: string) =>
        psqlOnLocalhost(port, { user, password }, database, sql);
    const ok = (result: SpawnSyncReturns<string>) => {
        expect(result.status, result.stderr).to.equal(0);
        return result.stdout.trim();
    };
    const asPostgresUser = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
        const [c, a] = asPostgres(cmd, args);
        execFileSync(c, a, { stdio: "pipe", env });
    };

    before(async () => {
        live = await startScratchCluster({
            prefix: "freshtrack-fork-",
            superuser: SUPERUSER,
            password: SUPERUSER_PASSWORD,
        });
        const onLive = (database: string, sql: string) =>
            ok(psql(live!.port, SUPERUSER, SUPERUSER_PASSWORD, database, sql));
        // What the live managed cluster holds: the role and database the program creates through the API, and data.
        onLive("postgres", `CREATE ROLE ${DATABASE.user} LOGIN PASSWORD '${APP_PASSWORD}'`);
        onLive("postgres", `CREATE DATABASE ${DATABASE.name} OWNER ${DATABASE.user}`);
        ok(psql(live.port, DATABASE.user, APP_PASSWORD, DATABASE.name, "CREATE TABLE readings (id int)"));
        ok(psql(live.port, DATABASE.user, APP_PASSWORD, DATABASE.name, "INSERT INTO readings VALUES (1), (2)"));

        // The copy, taken while the cluster runs, with the write-ahead log it needs to be consistent.
        const data = path.join(live.dir, "copy");
        asPostgresUser(
            postgresBin("pg_basebackup"),
            ["-h", "127.0.0.1", "-p", String(live.port), "-U", SUPERUSER, "-D", data, "-X", "stream", "-c", "fast"],
            { ...process.env, PGPASSWORD: SUPERUSER_PASSWORD },
        );
        // Written after the copy: the copy must not have it.
        ok(psql(live.port, DATABASE.user, APP_PASSWORD, DATABASE.name, "INSERT INTO readings VALUES (3)"));

        const port = await freePort();
        const options = `-p ${port} -k ${live.dir} -c listen_addresses=127.0.0.1`;
        asPostgresUser(postgresBin("pg_ctl"), ["-D", data, "-l", `${data}.log`, "-w", "-o", options, "start"]);
        copy = { dir: live.dir, port, data };
    });

    after(() => {
        if (copy) {
            const [c, a] = asPostgres(postgresBin("pg_ctl"), ["-D", copy.data, "-m", "fast", "stop"]);
            spawnSync(c, a);
        }
        stopScratchCluster(live);
    });

    it("the application's role logs in to the copy with the password it had, and finds its database as of the copy", () => {
        const rows = ok(
            psql(
                copy!.port,
                DATABASE.user,
                APP_PASSWORD,
                DATABASE.name,
                "SELECT string_agg(id::text, ',' ORDER BY id) FROM readings",
            ),
        );
        expect(rows).to.equal("1,2");
        const wrong = psql(copy!.port, DATABASE.user, "not-the-password", DATABASE.name, "SELECT 1");
        expect(wrong.status).to.not.equal(0);
        expect(wrong.stderr).to.contain("password authentication failed");
    });

    it("creating the database or the role again on the copy fails: they exist already", () => {
        const onCopy = (sql: string) => psql(copy!.port, SUPERUSER, SUPERUSER_PASSWORD, "postgres", sql);
        const role = onCopy(`CREATE ROLE ${DATABASE.user} LOGIN`);
        expect(role.status).to.not.equal(0);
        expect(role.stderr).to.contain(`role "${DATABASE.user}" already exists`);
        const database = onCopy(`CREATE DATABASE ${DATABASE.name}`);
        expect(database.status).to.not.equal(0);
        expect(database.stderr).to.contain(`database "${DATABASE.name}" already exists`);
    });
});
