/**
 * What the tests of the write-ahead log's replication role, slot and pg_hba.conf share (test/pitrReplication.test.ts,
 * test/pitrReplication.servers.test.ts): a reader of pg_hba.conf rules, and on the scratch clusters of
 * test/databaseRolesFixtures.ts a restart with the container's server settings, replication connections, a
 * pg_receivewal as the receiver runs it, and readers of the slot.
 */
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DATABASE } from "../components/services/context";
import { WAL_RECEIVER_APPLICATION, WAL_SLOT } from "../components/services/pitrNames";
import { Cluster, R, serverBin, su } from "./databaseRolesFixtures";
import { asPostgres, postgresBin } from "./localServers";

/** The rules of a pg_hba.conf, one array of whitespace-separated fields per line, comments and blanks left out. */
export function hbaRules(text: string): string[][] {
    return text
        .split("\n")
        .map((l) => l.replace(/#.*/, "").trim())
        .filter(Boolean)
        .map((l) => l.split(/\s+/));
}

/** One argument for the shell pg_ctl starts the server through (`-o`), in single quotes. */
function shellWord(word: string): string {
    return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Restarts a scratch cluster with `-c k=v` for each setting, as the container's command passes them, besides the
 * scratch cluster's own port, socket directory and 127.0.0.1. pg_ctl hands `-o` to /bin/sh, as the image's entrypoint
 * does with its temporary server (printf %q), so each argument is quoted for it.
 */
export function restartWithSettings(c: Cluster, settings: Readonly<Record<string, string>>): void {
    const options = [`-p ${c.port} -k ${shellWord(c.dir)} -c listen_addresses=127.0.0.1`]
        .concat(Object.entries(settings).map(([k, v]) => `-c ${shellWord(`${k}=${v}`)}`))
        .join(" ");
    const data = path.join(c.dir, "data");
    const [cmd, args] = asPostgres(serverBin("pg_ctl"), [
        ...["-D", data, "-l", path.join(c.dir, "pg.log"), "-w", "-m", "fast", "-o", options, "restart"],
    ]);
    const result = spawnSync(cmd, args, { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`pg_ctl restart failed: ${result.stdout}${result.stderr}`);
}

/** Nothing but what the command line gives: no password file of the user running the tests. */
const CLIENT_ENV = { PATH: process.env.PATH ?? "", PGPASSFILE: "/dev/null", PGCONNECT_TIMEOUT: "5" };

/**
 * A physical replication connection over TCP (psql's `replication=true`), which runs one replication command:
 * IDENTIFY_SYSTEM answers `systemid|timeline|xlogpos|dbname`. No password when `password` is undefined.
 */
export function replicationCommand(
    c: Cluster,
    user: string,
    password: string | undefined,
    command = "IDENTIFY_SYSTEM",
): SpawnSyncReturns<string> {
    const conninfo = `host=127.0.0.1 port=${c.port} user=${user} dbname=replication replication=true`;
    return spawnSync(postgresBin("psql"), ["-X", "-A", "-t", "-w", "-d", conninfo, "-c", command], {
        encoding: "utf8",
        env: { ...CLIENT_ENV, ...(password !== undefined ? { PGPASSWORD: password } : {}) },
        timeout: 20_000,
    });
}

/** A statement as `user` over TCP, given up after `timeoutMs` (status null then): a commit may wait for ever. */
export function timedSql(
    c: Cluster,
    user: string,
    password: string | undefined,
    sql: string,
    timeoutMs: number,
): SpawnSyncReturns<string> {
    const args = ["-X", "-A", "-t", "-w", "--set", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(c.port)];
    return spawnSync(postgresBin("psql"), [...args, "-U", user, "-d", DATABASE.name, "-c", sql], {
        encoding: "utf8",
        env: { ...CLIENT_ENV, ...(password !== undefined ? { PGPASSWORD: password } : {}) },
        timeout: timeoutMs,
    });
}

/** A receiver running as the stack's will: pg_receivewal from the slot, as the replication role, by its name. */
export interface Receiver {
    readonly process: ChildProcess;
    /** Where it writes the log, and its own output (receiver.log). */
    readonly dir: string;
}

export function startReceiver(c: Cluster, password: string, opts: { synchronous: boolean }): Receiver {
    const dir = fs.mkdtempSync(path.join(c.dir, "wal-"));
    const log = fs.openSync(path.join(dir, "receiver.log"), "w");
    const args = ["-h", "127.0.0.1", "-p", String(c.port), "-U", R.replication, "-w", `--slot=${WAL_SLOT}`];
    // -n: exit when the server goes, rather than retry every 5 s after the test has ended.
    args.push("-D", dir, "-n", ...(opts.synchronous ? ["--synchronous"] : []));
    const child = spawn(postgresBin("pg_receivewal"), args, {
        stdio: ["ignore", log, log],
        detached: true,
        env: { ...CLIENT_ENV, PGPASSWORD: password, PGAPPNAME: WAL_RECEIVER_APPLICATION },
    });
    fs.closeSync(log);
    return { process: child, dir };
}

/** What the receiver printed, for a failure message. */
export function receiverLog(r: Receiver | undefined): string {
    return r ? fs.readFileSync(path.join(r.dir, "receiver.log"), "utf8") : "";
}

/** The receiver's slot as `type|active|restart_lsn is set|wal_status`, or "" when there is none. */
export function slotState(c: Cluster): string {
    return su(
        c,
        `SELECT concat_ws('|', slot_type, active, restart_lsn IS NOT NULL, wal_status) FROM pg_replication_slots WHERE slot_name = '${WAL_SLOT}'`,
        "postgres",
    );
}

/** Polls `check` every 100 ms until it holds, failing with `what` after `timeoutMs`. */
export async function waitFor(what: () => string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}
