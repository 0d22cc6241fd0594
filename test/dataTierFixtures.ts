/**
 * What the data tier's tests on real servers share (test/dataTierConfig.servers.test.ts,
 * test/dataTierBackups.servers.test.ts): a scratch PostgreSQL cluster on 127.0.0.1 with the application's role and
 * database, PgBouncer in front of it with the generated configuration, and psql. The servers are Debian's postgresql
 * and pgbouncer, installed by .ci/run; only the addresses and paths differ from the containers'.
 */
import { expect } from "chai";
import { ChildProcess, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DATABASE } from "../components/services/context";
import { renderPgbouncerIni, renderUserlist } from "../components/services/pgbouncer";
import {
    asPostgres,
    freePort,
    postgresBin,
    startScratchCluster,
    startServer,
    stopScratchCluster,
    waitForPort,
} from "./localServers";

/** `sql` as the application's role, in its database, through whatever listens on `port`. */
export const psql = (port: number, pw: string, sql: string) =>
    spawnSync(
        postgresBin("psql"),
        ["-X", "-A", "-t", "-h", "127.0.0.1", "-p", String(port), "-U", DATABASE.user, "-d", DATABASE.name, "-c", sql],
        {
            encoding: "utf8",
            env: { ...process.env, PGPASSWORD: pw, PGCONNECT_TIMEOUT: "5" },
        },
    );

/** A cluster whose bootstrap superuser is the application's role (`password`), with the application's database. */
export interface Postgres {
    readonly dir: string;
    readonly pgPort: number;
}

export async function startPostgres(password: string): Promise<Postgres> {
    const { dir, port: pgPort } = await startScratchCluster({
        prefix: "freshtrack-pg-",
        superuser: DATABASE.user,
        password,
    });
    const created = spawnSync(
        postgresBin("createdb"),
        ["-h", "127.0.0.1", "-p", String(pgPort), "-U", DATABASE.user, DATABASE.name],
        { env: { ...process.env, PGPASSWORD: password }, encoding: "utf8" },
    );
    expect(created.status, created.stderr).to.equal(0);
    return { dir, pgPort };
}

export function stopPostgres(pg: Postgres | undefined): void {
    stopScratchCluster(pg);
}

/** PgBouncer with the generated pgbouncer.ini and user list, in front of `pg`; its files go in `pg.dir`. */
export async function startPgbouncer(
    pg: Postgres,
    password: string,
): Promise<{ bouncerPort: number; bouncer: ChildProcess }> {
    const { dir, pgPort } = pg;
    const bouncerPort = await freePort();
    const ini = path.join(dir, "pgbouncer.ini");
    const userlist = path.join(dir, "userlist.txt");
    fs.writeFileSync(
        ini,
        renderPgbouncerIni({
            postgresHost: "127.0.0.1",
            postgresPort: pgPort,
            listenAddr: "127.0.0.1",
            listenPort: bouncerPort,
            authFile: userlist,
            statsUser: DATABASE.user,
        }) + `unix_socket_dir = ${dir}\n`,
    );
    // PgBouncer's mechanics with one role; test/databaseRoles*.servers.test.ts run the stack's roles.
    fs.writeFileSync(userlist, renderUserlist([{ user: DATABASE.user, password }]));
    fs.chmodSync(userlist, 0o444);
    const [c, a] = asPostgres("/usr/sbin/pgbouncer", [ini]);
    const bouncer = startServer(c, a);
    await waitForPort(bouncerPort);
    return { bouncerPort, bouncer };
}
