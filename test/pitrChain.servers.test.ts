/**
 * Issue 18, second stop, on a real server (rung 4: Debian's PostgreSQL 15 on 127.0.0.1, its pg_receivewal and
 * pg_basebackup, the rendered scripts run as the containers' root with only SETUID and SETGID left): the WAL receiver
 * that finds its slot `lost` (max_slot_wal_keep_size) closes its chain, makes the slot anew and streams a new chain;
 * `freshtrack-base-backup --if-needed` then takes the new chain's first base backup, and only that one; retention
 * keeps a closed chain while a kept base backup belongs to it and cleans the current chain only up to its own oldest
 * base backup; the receiver's health check fails while its slot is not in use. The image runs PostgreSQL 17.
 */
import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import type { ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { SYSTEM_ID_FILE, WAL_SLOT } from "../components/services/pitrNames";
import { renderBaseBackupScript, renderWalReceiverHealthCheck } from "../components/services/pitrScripts";
import { CONTAINER_CAPS, killReceiver, spawnReceiver } from "../scripts/lib/pitrLab";
import { Cluster, expectJobSucceeds, PASSWORDS, R, startCluster, stopCluster, su } from "./databaseRolesFixtures";
import { IS_ROOT, postgresBin } from "./localServers";
import { slotState, waitFor } from "./pitrReplicationFixtures";

const describeAsRoot = IS_ROOT ? describe : describe.skip;
const SEGMENT = /^[0-9A-F]{24}(\.partial)?$/;

/** Where the archive lives in this test, as the containers' env names it, and the env the scripts run with. */
function archiveEnv(c: Cluster, root: string): Record<string, string> {
    const password = path.join(root, "replication_password");
    fs.writeFileSync(password, PASSWORDS.replication, { mode: 0o600 });
    return {
        PATH: `${path.dirname(postgresBin("psql"))}:/usr/sbin:/usr/bin:/bin`,
        TZ: "UTC",
        DATABASE_HOST: "127.0.0.1",
        DATABASE_PORT: String(c.port),
        REPLICATION_USER: R.replication,
        REPLICATION_PASSWORD_FILE: password,
        WAL_DIR: path.join(root, "pitr", "wal"),
        CLOSED_CHAIN_PREFIX: path.join(root, "pitr", "wal-closed-"),
        BASE_DIR: path.join(root, "pitr", "base"),
        BASE_INCOMPLETE_DIR: path.join(root, ".pitr-incomplete"),
        POINT_IN_TIME_DAYS: "7",
    };
}

/** A rendered script as the backup container runs it. */
function inContainer(script: string, name: string, args: string[], env: Record<string, string>) {
    const result = spawnSync("setpriv", [...CONTAINER_CAPS.slice(1), script, name, ...args], {
        env,
        encoding: "utf8",
        timeout: 60_000,
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Segment files of a chain directory with a digest of each: what "unchanged" means for a closed chain. */
function chainFiles(dir: string): Record<string, string> {
    const files = fs.readdirSync(dir).filter((f) => SEGMENT.test(f));
    return Object.fromEntries(
        files.map((f) => [
            f,
            crypto
                .createHash("sha256")
                .update(fs.readFileSync(path.join(dir, f)))
                .digest("hex"),
        ]),
    );
}

const closedChains = (env: Record<string, string>) =>
    fs
        .readdirSync(path.dirname(env.WAL_DIR!))
        .filter((d) => d.startsWith(path.basename(env.CLOSED_CHAIN_PREFIX!)))
        .sort();
const bases = (env: Record<string, string>) =>
    fs.existsSync(env.BASE_DIR!) ? fs.readdirSync(env.BASE_DIR!).sort() : [];
const info = (env: Record<string, string>, base: string, key: string) =>
    new RegExp(`^${key}=(\\S+)$`, "m").exec(
        fs.readFileSync(path.join(env.BASE_DIR!, base, "freshtrack-base.info"), "utf8"),
    )![1]!;

describeAsRoot("a new chain of the log after the receiver's slot is lost (issue 18; rung 4: real server)", function () {
    this.timeout(180_000);
    let c: Cluster | undefined;
    let root = "";
    let env: Record<string, string> = {};
    let receiver: ChildProcess | undefined;
    let logFile = "";
    const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "");
    const startReceiver = () => {
        const fd = fs.openSync(logFile, "a");
        receiver = spawnReceiver(env, fd);
        fs.closeSync(fd);
    };
    const stopReceiver = async () => {
        const r = receiver;
        receiver = undefined;
        if (r?.pid === undefined || r.exitCode !== null) return killReceiver(r);
        await new Promise((resolve) => {
            r.once("exit", resolve);
            r.kill("SIGTERM");
        });
        killReceiver(r);
    };
    const moveTheLogOn = () =>
        su(
            c!,
            "CREATE TABLE IF NOT EXISTS filler (i int); INSERT INTO filler SELECT generate_series(1, 1000); SELECT pg_switch_wal()",
            "postgres",
        );
    const baseBackup = (...args: string[]) =>
        inContainer(renderBaseBackupScript(), "freshtrack-base-backup", args, env);

    before(async () => {
        c = await startCluster(R.superuser, PASSWORDS.superuser);
        root = fs.mkdtempSync(path.join(c.dir, "archive-"));
        logFile = path.join(root, "receiver.log");
        env = archiveEnv(c, root);
        // The role and the slot, as the database-grant job makes them.
        expectJobSucceeds(c);
    });
    after(async () => {
        await stopReceiver();
        stopCluster(c);
    });

    it("closes the chain unchanged, makes the slot anew and streams a new chain, saying where the gap is", async () => {
        startReceiver();
        await waitFor(log, () => slotState(c!).startsWith("physical|t|"));
        moveTheLogOn();
        const first = baseBackup();
        expect(first.status, first.output).to.equal(0);
        const again = baseBackup("--if-needed");
        expect(again.status, again.output).to.equal(0);
        expect(again.output).to.match(/base backup \S+ belongs to the current chain .*: none needed/);
        expect(bases(env)).to.have.length(1);
        // A record after the last switch, so the chain ends in an open segment, which must be closed as it is.
        su(c!, "INSERT INTO filler VALUES (0)", "postgres");
        await waitFor(
            () => fs.readdirSync(env.WAL_DIR!).join(" "),
            () => fs.readdirSync(env.WAL_DIR!).some((f) => f.endsWith(".partial")),
        );

        await stopReceiver();
        const before = chainFiles(env.WAL_DIR!);
        // The receiver is away: with the cap at 1 MB, the least it can be, the next checkpoint invalidates the slot.
        // Not before: a streaming receiver reports its position every 10 s only, and a slot that far behind is
        // invalidated though its receiver is there (seen here on 15.18 during the base backup's checkpoint).
        su(c!, "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'", "postgres");
        su(c!, "SELECT pg_reload_conf()", "postgres");
        expect(
            Object.keys(before).some((f) => f.endsWith(".partial")),
            Object.keys(before).join(" "),
        ).to.equal(true);
        for (let i = 0; i < 5; i++) moveTheLogOn();
        su(c!, "CHECKPOINT", "postgres");
        expect(slotState(c!), "invalidated by the checkpoint").to.equal("physical|f|f|lost");
        su(c!, "ALTER SYSTEM RESET max_slot_wal_keep_size", "postgres");
        su(c!, "SELECT pg_reload_conf()", "postgres");

        startReceiver();
        await waitFor(log, () => closedChains(env).length === 1 && slotState(c!).startsWith("physical|t|t|"), 30_000);
        const closed = path.join(path.dirname(env.WAL_DIR!), closedChains(env)[0]!);
        expect(closed).to.match(/wal-closed-\d{8}T\d{6}Z$/);
        // Exactly as the receiver left it, its open segment too.
        expect(chainFiles(closed)).to.deep.equal(before);
        const last = Object.keys(before).sort().pop()!;
        expect(log()).to.contain(`replication slot ${WAL_SLOT} was lost`);
        expect(log()).to.contain(`the chain up to segment ${last} is closed, unchanged, in ${closed}`);
        const started = /a new chain starts in \S+ at segment ([0-9A-F]{24}): the log after (\S+) and before it/.exec(
            log(),
        );
        expect(started, log()).to.not.equal(null);
        expect(started![2]).to.equal(last);
        expect(started![1]! > last.replace(".partial", "")).to.equal(true);

        // A row written after the break is in the new chain, and only there.
        const marker = `after-the-break-${Date.now()}`;
        su(c!, `CREATE TABLE IF NOT EXISTS notes (t text); INSERT INTO notes VALUES ('${marker}')`, "postgres");
        const inChain = (dir: string) =>
            fs
                .readdirSync(dir)
                .filter((f) => SEGMENT.test(f))
                .some((f) => fs.readFileSync(path.join(dir, f)).includes(marker));
        await waitFor(
            () => fs.readdirSync(env.WAL_DIR!).join(" "),
            () => inChain(env.WAL_DIR!),
        );
        expect(inChain(closed)).to.equal(false);
    });

    it("--if-needed takes the new chain's first base backup, then none; retention keeps the closed chain", async () => {
        // A few whole segments first: once a base backup belongs to the new chain, those before it can go.
        for (let i = 0; i < 3; i++) moveTheLogOn();
        const whole = () => fs.readdirSync(env.WAL_DIR!).filter((f) => /^[0-9A-F]{24}$/.test(f));
        await waitFor(
            () => fs.readdirSync(env.WAL_DIR!).join(" "),
            () => whole().length >= 3,
        );
        const segments = whole();
        const taken = baseBackup("--if-needed");
        expect(taken.status, taken.output).to.equal(0);
        expect(taken.output).to.contain("no base backup belongs to the current chain");
        expect(bases(env)).to.have.length(2);
        const [, current] = bases(env) as [string, string];
        const end = info(env, current, "end_segment");
        const wal = fs.readdirSync(env.WAL_DIR!);
        expect(wal.includes(end) || wal.includes(`${end}.partial`), `${end} in ${wal.join(" ")}`).to.equal(true);
        // Retention: the closed chain stays, its base backup kept; the new chain loses what lies before its own base
        // backup's start (the oldest base backup overall belongs to the closed chain and starts before all of it).
        expect(closedChains(env)).to.have.length(1);
        const start = info(env, current, "start_segment");
        const before = segments.filter((f) => f < start);
        expect(before, `segments before ${start}: ${segments.join(" ")}`).to.not.deep.equal([]);
        expect(fs.readdirSync(env.WAL_DIR!).filter((f) => before.includes(f))).to.deep.equal([]);
        expect(fs.readdirSync(env.WAL_DIR!).some((f) => f.startsWith(start))).to.equal(true);

        const none = baseBackup("--if-needed");
        expect(none.status, none.output).to.equal(0);
        expect(none.output).to.match(/none needed/);
        expect(bases(env)).to.have.length(2);
    });

    it("drops a closed chain once no kept base backup belongs to it", () => {
        const [old] = bases(env) as [string];
        // The closed chain's only base backup ages past POINT_IN_TIME_DAYS: both go.
        fs.renameSync(path.join(env.BASE_DIR!, old), path.join(env.BASE_DIR!, "20000101T000000Z"));
        const aged = baseBackup();
        expect(aged.status, aged.output).to.equal(0);
        expect(aged.output).to.contain("dropped base backup 20000101T000000Z");
        expect(aged.output).to.match(/dropped closed chain wal-closed-\d{8}T\d{6}Z: no kept base backup belongs to it/);
        expect(closedChains(env)).to.deep.equal([]);
        expect(bases(env)).to.have.length(2);
    });

    it("keeps base backups POINT_IN_TIME_DAYS days, by the day: 2 days old stays, 8 days old goes", () => {
        const stamp = (daysAgo: number) =>
            new Date(Date.now() - daysAgo * 86_400_000)
                .toISOString()
                .replace(/[-:]/g, "")
                .replace(/\.\d+Z$/, "Z");
        const [source] = bases(env) as [string];
        const young = stamp(2);
        const old = stamp(Number(env.POINT_IN_TIME_DAYS) + 1);
        for (const name of [young, old])
            fs.cpSync(path.join(env.BASE_DIR!, source), path.join(env.BASE_DIR!, name), { recursive: true });
        try {
            const run = baseBackup();
            expect(run.status, run.output).to.equal(0);
            expect(run.output).to.contain(`dropped base backup ${old}: older than ${env.POINT_IN_TIME_DAYS} days`);
            expect(run.output).to.not.contain(`dropped base backup ${young}`);
            expect(bases(env)).to.include(young).and.not.include(old);
        } finally {
            for (const name of [young, old])
                fs.rmSync(path.join(env.BASE_DIR!, name), { recursive: true, force: true });
        }
    });

    it("a base backup whose end segment is still the chain's open one belongs to it (--if-needed takes none)", () => {
        const chain = fs.mkdtempSync(path.join(root, "open-end-"));
        const [base] = bases(env) as [string];
        fs.writeFileSync(path.join(chain, `${info(env, base, "end_segment")}.partial`), "");
        const before = bases(env);
        const run = inContainer(renderBaseBackupScript(), "freshtrack-base-backup", ["--if-needed"], {
            ...env,
            WAL_DIR: chain,
        });
        expect(run.status, run.output).to.equal(0);
        expect(run.output).to.contain(`base backup ${base} belongs to the current chain (${chain}): none needed`);
        expect(bases(env)).to.deep.equal(before);
    });

    it("--if-needed takes none while the current chain holds no segment yet", () => {
        const empty = fs.mkdtempSync(path.join(root, "empty-wal-"));
        const before = bases(env);
        const run = inContainer(renderBaseBackupScript(), "freshtrack-base-backup", ["--if-needed"], {
            ...env,
            WAL_DIR: empty,
        });
        expect(run.status, run.output).to.equal(0);
        expect(run.output).to.contain(`${empty} holds no segment yet`);
        expect(bases(env)).to.deep.equal(before);
    });

    it("runs one base backup at a time: a second one while the first holds the lock does nothing, and says so", () => {
        const holder = spawn("sleep", ["30"], { argv0: "freshtrack-base-backup" });
        const lock = path.join(env.BASE_INCOMPLETE_DIR!, "freshtrack-base-backup.lock");
        try {
            fs.symlinkSync(String(holder.pid), lock);
            const before = bases(env);
            const busy = baseBackup();
            expect(busy.status, busy.output).to.equal(0);
            expect(busy.output).to.contain("another base backup is running");
            expect(bases(env)).to.deep.equal(before);
            // The one at work writes into BASE_INCOMPLETE_DIR: --if-needed too must leave it alone.
            const working = path.join(env.BASE_INCOMPLETE_DIR!, "20990101T000000Z");
            fs.mkdirSync(working);
            try {
                const alsoBusy = baseBackup("--if-needed");
                expect(alsoBusy.status, alsoBusy.output).to.equal(0);
                expect(alsoBusy.output).to.contain("another base backup is running");
                expect(fs.existsSync(working), "the running one's half-written base backup").to.equal(true);
            } finally {
                fs.rmSync(working, { recursive: true, force: true });
            }
        } finally {
            holder.kill("SIGKILL");
            fs.rmSync(lock, { force: true });
        }
    });

    it("a chain of another server (a data directory made anew) is closed, and its base backups do not count", async () => {
        await stopReceiver();
        const idFile = path.join(env.WAL_DIR!, SYSTEM_ID_FILE);
        const real = su(c!, "SELECT system_identifier FROM pg_control_system()", "postgres");
        expect(fs.readFileSync(idFile, "utf8").trim(), "the receiver wrote its server's identifier").to.equal(real);
        // As if the archive were of a server whose data directory was since made anew.
        fs.writeFileSync(idFile, "1234\n");
        const segments = chainFiles(env.WAL_DIR!);
        const chainsBefore = closedChains(env).length;
        startReceiver();
        await waitFor(log, () => closedChains(env).length === chainsBefore + 1 && fs.existsSync(idFile));
        const closed = path.join(path.dirname(env.WAL_DIR!), closedChains(env).pop()!);
        expect(log()).to.contain(`the server is another database cluster (system identifier ${real}; the log in`);
        expect(chainFiles(closed)).to.deep.include(segments);
        expect(fs.readFileSync(path.join(closed, SYSTEM_ID_FILE), "utf8").trim()).to.equal("1234");
        await waitFor(
            () => fs.readFileSync(idFile, "utf8"),
            () => fs.readFileSync(idFile, "utf8").trim() === real,
        );
        moveTheLogOn();
        await waitFor(
            () => fs.readdirSync(env.WAL_DIR!).join(" "),
            () => fs.readdirSync(env.WAL_DIR!).some((f) => SEGMENT.test(f)),
        );
        // The server is the same one here, so the new chain may start before a segment a kept base backup ended in,
        // which then belongs to it. Said to be of another server, none may: --if-needed must take one of its own.
        const originals = new Map<string, string>();
        const markOtherServer = (base: string) => {
            const file = path.join(env.BASE_DIR!, base, "freshtrack-base.info");
            const text = fs.readFileSync(file, "utf8");
            expect(text).to.contain(`system_identifier=${real}`);
            if (!originals.has(file)) originals.set(file, text);
            fs.writeFileSync(file, text.replace(`system_identifier=${real}`, "system_identifier=999"));
        };
        // --if-needed until it takes one, each base backup it finds belonging marked as another server's first.
        const untilTaken = (): string => {
            for (let i = 0; i < 8; i++) {
                const run = baseBackup("--if-needed");
                expect(run.status, run.output).to.equal(0);
                const belonging = /base backup (\S+) belongs to the current chain/.exec(run.output)?.[1];
                if (!belonging) {
                    expect(run.output).to.contain("no base backup belongs to the current chain");
                    return bases(env).pop()!;
                }
                markOtherServer(belonging);
            }
            throw new Error("--if-needed never took a base backup");
        };
        try {
            const first = untilTaken();
            expect(info(env, first, "system_identifier"), "the new base backup names its server").to.equal(real);
            // That one, its end segment in the chain for certain, said to be of another server: it belongs no more.
            markOtherServer(first);
            const second = untilTaken();
            expect(second).to.not.equal(first);
        } finally {
            for (const [file, text] of originals) fs.writeFileSync(file, text);
        }
    });

    it("a slot made anew past the chain's end (PITR off, then on again) closes the chain; a plain restart does not", async () => {
        await waitFor(log, () => slotState(c!).startsWith("physical|t|"));
        const chains = closedChains(env).length;
        // A plain restart: the chain goes on where it stopped.
        await stopReceiver();
        startReceiver();
        await waitFor(log, () => slotState(c!).startsWith("physical|t|"));
        moveTheLogOn();
        expect(closedChains(env)).to.have.length(chains);
        // Off: the roles job drops the slot; the server then keeps no log for anyone, and moves on.
        await stopReceiver();
        su(c!, `SELECT pg_drop_replication_slot('${WAL_SLOT}')`, "postgres");
        for (let i = 0; i < 4; i++) moveTheLogOn();
        su(c!, "CHECKPOINT", "postgres");
        // On again: the roles job makes the slot, holding the log from now on, well past the chain's end.
        su(c!, `SELECT pg_create_physical_replication_slot('${WAL_SLOT}', true)`, "postgres");
        startReceiver();
        await waitFor(log, () => closedChains(env).length === chains + 1 && slotState(c!).startsWith("physical|t|"));
        expect(log()).to.match(
            new RegExp(`replication slot ${WAL_SLOT} starts at segment [0-9A-F]{24}, after [0-9A-F]{24}, the next one`),
        );
        moveTheLogOn();
        await waitFor(
            () => fs.readdirSync(env.WAL_DIR!).join(" "),
            () => fs.readdirSync(env.WAL_DIR!).some((f) => SEGMENT.test(f)),
        );
    });

    it("the receiver's health check fails while pg_receivewal runs but the slot is not in use", async () => {
        const health = () => inContainer(renderWalReceiverHealthCheck(), "health", [], env);
        const streaming = health();
        expect(streaming.status, streaming.output).to.equal(0);
        await stopReceiver();
        // Another pg_receivewal, with no slot, keeps pidof content: only the slot's `active` can tell.
        const dir = fs.mkdtempSync(path.join(root, "other-"));
        const other = spawn(
            postgresBin("pg_receivewal"),
            ["-h", "127.0.0.1", "-p", String(c!.port), "-U", R.replication, "-w", "-n", "-D", dir],
            { env: { ...env, PGPASSWORD: PASSWORDS.replication }, stdio: "ignore" },
        );
        try {
            await waitFor(
                () => su(c!, "SELECT count(*) FROM pg_stat_replication", "postgres"),
                () => su(c!, "SELECT count(*) FROM pg_stat_replication", "postgres") === "1",
            );
            expect(slotState(c!)).to.match(/^physical\|f\|/);
            const idle = health();
            expect(idle.status, idle.output).to.equal(1);
            expect(idle.output).to.contain("the replication slot is not in use (active: 'f')");
        } finally {
            other.kill("SIGKILL");
        }
    });
});
