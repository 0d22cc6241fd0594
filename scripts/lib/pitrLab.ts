/**
 * A point-in-time recovery lab on 127.0.0.1, shared by test/pitr.servers.test.ts, test/drill.servers.test.ts and
 * `npm run bench`: a throwaway Debian PostgreSQL cluster, the rendered WAL receiver streaming from it, optionally a
 * bulk of readings, one base backup, a writer that inserts a row every 100 ms, then a SIGKILL of the postmaster; the
 * killed server restarted afterwards gives the truth (every committed row: crash recovery keeps them). The rendered
 * scripts run as root with only SETUID and SETGID left (setpriv), as in the backup container, where root has no
 * DAC_OVERRIDE: a script that reads the server user's files as root fails here as it would there.
 *
 * It needs root, Debian's postgresql (its programs under /usr/lib/postgresql/<version>/bin and its `postgres` user),
 * gosu (the restore script's way to the server's user), setpriv and runuser: labUnavailable says which is missing.
 * Errors are plain Errors: the bench may not load chai.
 */
import { spawn, spawnSync } from "child_process";
import type { ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { renderRestoreScript } from "../../components/services/backupScripts";
import { renderPitrRestoreScript } from "../../components/services/pitrRestoreScript";
import { renderBaseBackupScript, renderWalReceiverScript } from "../../components/services/pitrScripts";

const SUPERUSER = "freshtrack";
const REPLICATION_USER = "freshtrack_replication";
const DB = "freshtrack";
import {
    CONTAINER_CAPS,
    labEnv,
    labPath,
    labUnavailable,
    postgresBinDir,
    SERVER_USER,
    SQL,
    userIds,
} from "./pitrLabParts";
import { LimitedGroup, shInGroup } from "./benchCgroup";
export { CONTAINER_CAPS, labUnavailable, postgresBinDir };
/** A program of the PostgreSQL version as the server's user (PostgreSQL refuses to run as root); throws on failure. */
function asServerUser(program: string, args: readonly string[]): void {
    const result = spawnSync("runuser", ["-u", SERVER_USER, "--", path.join(postgresBinDir()!, program), ...args], {
        env: labEnv(),
        encoding: "utf8",
    });
    if (result.status !== 0)
        throw new Error(`${program} ${args.join(" ")} failed: ${result.error?.message ?? ""}${result.stderr}`);
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer().listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
        server.once("error", reject);
    });
}

/** A throwaway cluster: its directory (data, socket, log) and its TCP port on 127.0.0.1. */
export interface LabCluster {
    readonly dir: string;
    readonly port: number;
}

/** Starts the cluster's server on its port, its socket in its directory; throws with the log's end if it fails. */
function startServer(cluster: LabCluster, what: string): void {
    const [data, log] = [path.join(cluster.dir, "data"), path.join(cluster.dir, "pg.log")];
    const options = `-p ${cluster.port} -k ${cluster.dir} -c listen_addresses=127.0.0.1`;
    try {
        asServerUser("pg_ctl", ["-D", data, "-l", log, "-w", "-o", options, "start"]);
    } catch (error) {
        const tail = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").slice(-8).join("\n") : "";
        throw new Error(`${what} did not start: ${String(error)}\n${tail}`, { cause: error });
    }
}

/** A new directory under the system's temp directory, the server user's, that every user may write in (`mode`). */
function serverScratchDir(prefix: string, mode: number): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    try {
        const ids = userIds(SERVER_USER)!;
        fs.chmodSync(dir, mode);
        fs.chownSync(dir, ids.uid, ids.gid);
        return dir;
    } catch (error) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw error;
    }
}

/** A cluster whose superuser logs in with a password (scram-sha-256, as the image sets up), on 127.0.0.1 only. */
async function startCluster(password: string): Promise<LabCluster> {
    const dir = serverScratchDir("freshtrack-pitr-", 0o777);
    try {
        const cluster = { dir, port: await freePort() };
        fs.writeFileSync(path.join(dir, "pw"), password);
        const data = path.join(dir, "data");
        asServerUser("initdb", ["-D", data, "-U", SUPERUSER, "--auth=scram-sha-256", `--pwfile=${dir}/pw`]);
        startServer(cluster, "the new cluster");
        return cluster;
    } catch (error) {
        stopCluster({ dir, port: 0 });
        throw error;
    }
}

function stopCluster(cluster: LabCluster | undefined): void {
    if (!cluster) return;
    try {
        asServerUser("pg_ctl", ["-D", path.join(cluster.dir, "data"), "-m", "fast", "stop"]);
    } catch {
        // Not running (a failed start, or killed): the directory goes all the same.
    }
    fs.rmSync(cluster.dir, { recursive: true, force: true });
}

export interface ScriptRun {
    readonly status: number | null;
    readonly output: string;
}

export interface RestoreRun extends ScriptRun {
    readonly dump?: string;
    readonly dumpsBefore: string[];
    readonly dumpsAfter: string[];
}

export interface PitrLabOptions {
    /** How long the writer writes a row every 100 ms before the SIGKILL. @default 6 */
    readonly writeSeconds?: number;
    /**
     * Readings loaded before the base backup, dated the day before: what a restore unpacks, dumps and loads again grows
     * with them. @default 0
     */
    readonly preloadRows?: number;
    readonly progress?: (line: string) => void;
    /** Where the restores and the swap run, as limited as the backup container (npm run bench -- --pitr-limits). */
    readonly restoreGroup?: LimitedGroup;
}

export interface PitrLab {
    readonly restoreScript: string;
    /**
     * The restarted server's committed rows: how many in all (the preloaded ones too), the last one's time in ms since
     * the epoch, and the writer's rows in id order with their times.
     */
    readonly truth: { count: number; lastAt: number; rows: Array<{ id: number; at: number }> };
    /** freshtrack-pitr-restore with `args`, as the backup container runs it. */
    restore(args: string[], env?: Record<string, string>): RestoreRun;
    /** freshtrack-restore of `dump` into the live server: check, new database, one-transaction swap. */
    swapIn(dump: string): ScriptRun;
    /**
     * The env the backup container gives a script here: the archive's directories (the damaged copy's inside
     * withDamagedArchive), TMPDIR, the live server's DATABASE_* with a password file, the server user.
     */
    scriptEnv(extra?: Record<string, string>): Record<string, string>;
    /** psql as the live server's superuser, in `db`: the output, tuples only, unaligned. */
    psql(db: string, sql: string): string;
    /** Rows of a dump the restore wrote, loaded into a scratch database of the restarted server. */
    loadDump(file: string): { count: number; lastAt: number; maxId: number };
    /** A time as the restore script takes it: UTC, `YYYY-MM-DD HH:MM:SS.fff`. */
    utc(d: Date): string;
    /** Runs `fn` against a copy of the archive with one segment of the chain truncated or removed. */
    withDamagedArchive<T>(damage: "truncate" | "remove", fn: () => T): T;
    withoutBaseBackups<T>(fn: () => T): T;
    readonly dirs: { archive: string; tmp: string; secrets: string };
    cluster?: LabCluster;
    receiver?: ChildProcess;
}

function psqlAt(cluster: LabCluster, password: string, db: string, sql: string): string {
    const args = ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(cluster.port)];
    const result = spawnSync("psql", [...args, "-U", SUPERUSER, "-d", db], {
        input: sql,
        encoding: "utf8",
        env: labEnv(password),
    });
    if (result.status !== 0) throw new Error(`psql failed: ${result.error?.message ?? ""}${result.stderr}`);
    return result.stdout.trim();
}

/** A rendered script as the backup container runs it: root with SETUID and SETGID only, `name` as its $0. */
function inContainer(
    script: string,
    name: string,
    args: readonly string[],
    env: Record<string, string>,
    group?: LimitedGroup,
) {
    const setpriv = [...CONTAINER_CAPS.slice(1), script, name, ...args];
    return group
        ? spawnSync("sh", shInGroup(group, ["setpriv", ...setpriv]), { env, encoding: "utf8" })
        : spawnSync("setpriv", setpriv, { env, encoding: "utf8" });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The rendered WAL receiver as its container runs it, in a process group of its own, so that killReceiver ends it
 * with its pg_receivewal, psql and sleep: setpriv execs the shell, and a SIGKILL of the shell alone leaves
 * pg_receivewal streaming, an orphan that holds the slot. `log`: where its output goes (a file descriptor).
 */
export function spawnReceiver(env: NodeJS.ProcessEnv, log?: number): ChildProcess {
    const args = [...CONTAINER_CAPS.slice(1), renderWalReceiverScript(), "freshtrack-wal-receiver"];
    return spawn("setpriv", args, { env, stdio: log === undefined ? "ignore" : ["ignore", log, log], detached: true });
}

/** Ends a receiver's whole process group (spawnReceiver), whatever is still in it. */
export function killReceiver(receiver: ChildProcess | undefined): void {
    if (receiver?.pid === undefined) return;
    try {
        process.kill(-receiver.pid, "SIGKILL");
    } catch {
        // Nothing left in the group.
    }
}

export async function startPitrLab(opts: PitrLabOptions = {}): Promise<PitrLab> {
    const made: Partial<PitrLab> & Pick<PitrLab, "dirs"> = { dirs: { archive: "", tmp: "", secrets: "" } };
    try {
        return await buildPitrLab(opts, made);
    } catch (error) {
        stopPitrLab(made as PitrLab);
        throw error;
    }
}

async function buildPitrLab(opts: PitrLabOptions, made: Partial<PitrLab> & Pick<PitrLab, "dirs">): Promise<PitrLab> {
    const progress = opts.progress ?? (() => undefined);
    const password = `pw${Date.now()}`;
    const replicationPassword = `rpw${Date.now()}`;
    progress("starting a PostgreSQL cluster on 127.0.0.1");
    const cluster = await startCluster(password);
    made.cluster = cluster;
    const archive = (made.dirs.archive = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-pitr-archive-")));
    const tmp = (made.dirs.tmp = serverScratchDir("freshtrack-pitr-tmp-", 0o1777));
    const secrets = (made.dirs.secrets = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-pitr-secrets-")));
    fs.writeFileSync(path.join(secrets, "replication"), replicationPassword);
    fs.writeFileSync(path.join(secrets, "database"), password);
    const psql = (db: string, sql: string) => psqlAt(cluster, password, db, sql);
    // The role and the slot, as the database-grant job makes them (the receiver never makes its slot).
    const roleSql = `CREATE ROLE ${REPLICATION_USER} LOGIN REPLICATION PASSWORD '${replicationPassword}';`;
    psql("postgres", `CREATE DATABASE ${DB}; ${roleSql} ${SQL.makeSlot}`);
    psql(DB, SQL.readings);

    const dirs = {
        BASE_DIR: path.join(archive, "pitr", "base"),
        WAL_DIR: path.join(archive, "pitr", "wal"),
        BASE_INCOMPLETE_DIR: path.join(archive, ".pitr-incomplete"),
        BACKUP_DIR: path.join(archive, "postgres"),
    };
    const env = {
        PATH: labPath(),
        DATABASE_HOST: "127.0.0.1",
        DATABASE_PORT: String(cluster.port),
        REPLICATION_USER,
        REPLICATION_PASSWORD_FILE: path.join(secrets, "replication"),
        POINT_IN_TIME_DAYS: "7",
        TMPDIR: tmp,
        ...dirs,
    };
    const receiver = (made.receiver = spawnReceiver(env));
    const slotActive = () => psql("postgres", SQL.slotActive);
    for (let i = 0; i < 100 && slotActive() !== "true"; i++) await sleep(100);
    if (slotActive() !== "true") throw new Error("the WAL receiver did not start streaming from its slot within 10 s");
    const preload = opts.preloadRows ?? 0;
    if (preload > 0) {
        progress(`loading ${preload} readings`);
        // Dated the day before the writer's rows, in order: the preloaded rows sort before every row it writes.
        psql(DB, SQL.preload(preload));
    }
    progress("taking a base backup (freshtrack-base-backup)");
    const base = inContainer(renderBaseBackupScript(), "freshtrack-base-backup", [], env);
    if (base.status !== 0) throw new Error(`the base backup failed: ${base.stdout}${base.stderr}`);

    // The writer: one connection, a row every 100 ms, and a switch to a new segment every 2 s so the chain has several.
    const seconds = opts.writeSeconds ?? 6;
    progress(`writing a row every 100 ms for ${seconds} s, then killing the server with SIGKILL`);
    const writerArgs = ["-X", "-q", "-h", "127.0.0.1", "-p", String(cluster.port), "-U", SUPERUSER, "-d", DB];
    const writer = spawn("psql", writerArgs, { env: labEnv(password), stdio: ["pipe", "ignore", "ignore"] });
    writer.stdin!.on("error", () => undefined);
    for (let tick = 0; tick < seconds * 10; tick++) {
        writer.stdin!.write("INSERT INTO readings (celsius) VALUES (4.5);\n");
        // Not on the last ticks: the kill must come in the middle of a segment, so the archive ends in the open
        // `.partial` a restore to the latest point has to read (the attack pass on issue 18: a switch just before the
        // kill left every row in whole segments, and a restore that dropped the open one still lost nothing here).
        if (tick % 20 === 9) writer.stdin!.write("SELECT pg_switch_wal();\n");
        await sleep(100);
    }
    const postmaster = fs.readFileSync(path.join(cluster.dir, "data", "postmaster.pid"), "utf8").split("\n")[0]!;
    process.kill(Number(postmaster), "SIGKILL");
    const writerDone = new Promise((resolve) => writer.once("exit", resolve));
    writer.stdin!.end();
    await writerDone;
    // The receiver has what it got; stop it (TERM becomes pg_receivewal's INT) so the archive holds still.
    await new Promise((resolve) => {
        receiver.once("exit", resolve);
        receiver.kill("SIGTERM");
    });
    // The postmaster is gone (or a zombie nobody reaps here) once its backends noticed; its lock files are then stale.
    for (let i = 0; i < 100; i++) {
        const statFile = `/proc/${postmaster}/stat`;
        const stat = fs.existsSync(statFile) ? fs.readFileSync(statFile, "utf8") : "";
        if (!stat || / Z /.test(stat)) break;
        await sleep(100);
    }
    for (const lock of ["data/postmaster.pid", `.s.PGSQL.${cluster.port}.lock`, `.s.PGSQL.${cluster.port}`])
        fs.rmSync(path.join(cluster.dir, lock), { force: true });
    await sleep(500);
    progress("starting the killed server again (crash recovery keeps every committed row)");
    startServer(cluster, "the killed server");
    const rows = psql(DB, SQL.rowsAfter(preload))
        .split("\n")
        .filter(Boolean)
        .map((line) => {
            const [id, at] = line.split(" ").map(Number);
            return { id: id!, at: at! };
        });
    const count = Number(psql(DB, "SELECT count(*) FROM readings"));
    const truth = { count, lastAt: rows[rows.length - 1]?.at ?? 0, rows };

    let walDir = dirs.WAL_DIR;
    let baseDir = dirs.BASE_DIR;
    const listDumps = () => (fs.existsSync(dirs.BACKUP_DIR) ? fs.readdirSync(dirs.BACKUP_DIR).sort() : []);
    const restoreScript = renderPitrRestoreScript();
    const scriptEnv = (extra: Record<string, string> = {}) => ({
        ...env,
        WAL_DIR: walDir,
        BASE_DIR: baseDir,
        PITR_SERVER_USER: SERVER_USER,
        DATABASE_USER: SUPERUSER,
        DATABASE_NAME: DB,
        DATABASE_PASSWORD_FILE: path.join(secrets, "database"),
        ...extra,
    });
    return {
        restoreScript,
        truth,
        dirs: made.dirs,
        cluster,
        receiver,
        restore(args, extra = {}) {
            const dumpsBefore = listDumps();
            const result = inContainer(
                restoreScript,
                "freshtrack-pitr-restore",
                args,
                scriptEnv(extra),
                opts.restoreGroup,
            );
            const output = `${result.stdout}${result.stderr}`;
            const dump = /^dump: (.+)$/m.exec(result.stdout)?.[1];
            return { status: result.status, output, ...(dump ? { dump } : {}), dumpsBefore, dumpsAfter: listDumps() };
        },
        swapIn(dump) {
            const result = inContainer(
                renderRestoreScript(),
                "freshtrack-restore",
                [dump],
                scriptEnv(),
                opts.restoreGroup,
            );
            return { status: result.status, output: `${result.stdout}${result.stderr}` };
        },
        scriptEnv,
        psql,
        loadDump(file) {
            const check = `check_${Date.now()}`;
            psql("postgres", `CREATE DATABASE ${check}`);
            try {
                const result = spawnSync(
                    "pg_restore",
                    ["-h", "127.0.0.1", "-p", String(cluster.port), "-U", SUPERUSER, "-d", check, file],
                    { env: labEnv(password), encoding: "utf8" },
                );
                if (result.status !== 0) throw new Error(`pg_restore of ${file} failed: ${result.stderr}`);
                const [n, lastAt, maxId] = psql(check, SQL.summary).split(" ").map(Number);
                return { count: n!, lastAt: lastAt!, maxId: maxId! };
            } finally {
                psql("postgres", `DROP DATABASE ${check}`);
            }
        },
        utc: (d) => d.toISOString().replace("T", " ").replace("Z", ""),
        withDamagedArchive(damage, fn) {
            const copy = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-pitr-damaged-"));
            fs.cpSync(dirs.WAL_DIR, copy, { recursive: true, preserveTimestamps: true });
            const baseInfo = path.join(dirs.BASE_DIR, fs.readdirSync(dirs.BASE_DIR)[0]!, "freshtrack-base.info");
            const end = /^end_segment=(\S+)$/m.exec(fs.readFileSync(baseInfo, "utf8"))![1]!;
            const complete = fs
                .readdirSync(copy)
                .filter((f) => /^[0-9A-F]{24}$/.test(f) && f > end)
                .sort();
            // One with later segments after it, so a removal leaves a gap rather than a shorter chain.
            const victim = complete[0];
            if (victim === undefined) {
                fs.rmSync(copy, { recursive: true, force: true });
                throw new Error(`no complete segment after the base backup's end (${end}) to damage`);
            }
            if (damage === "truncate") fs.truncateSync(path.join(copy, victim), 1_000_000);
            else fs.rmSync(path.join(copy, victim));
            walDir = copy;
            try {
                return fn();
            } finally {
                walDir = dirs.WAL_DIR;
                fs.rmSync(copy, { recursive: true, force: true });
            }
        },
        withoutBaseBackups(fn) {
            const empty = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-pitr-nobase-"));
            baseDir = empty;
            try {
                return fn();
            } finally {
                baseDir = dirs.BASE_DIR;
                fs.rmSync(empty, { recursive: true, force: true });
            }
        },
    };
}

export function stopPitrLab(lab: Pick<PitrLab, "dirs" | "cluster" | "receiver"> | undefined): void {
    if (!lab) return;
    killReceiver(lab.receiver);
    stopCluster(lab.cluster);
    for (const dir of Object.values(lab.dirs)) if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
