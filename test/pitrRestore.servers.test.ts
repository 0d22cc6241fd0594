/**
 * Issue 18, second stop: the point-in-time restore across log chains and base backups, on a real server (rung 4:
 * Debian's PostgreSQL 15 on 127.0.0.1, its pg_receivewal, pg_basebackup and pg_waldump, the rendered scripts run as
 * the backup container's root with only SETUID and SETGID left). The lab (scripts/lib/pitrLab.ts) gives one chain
 * with one base backup; here a second base backup follows in that chain, then the chain is closed as the receiver
 * closes it after losing its slot (renamed to CLOSED_CHAIN_PREFIX<time>), rows are written while nothing receives
 * them (the gap), and a new chain starts, first without a base backup, then with one. The attack pass's misses
 * (A01/A02/A10 two base backups, A09/A11 an unreadable segment for --latest, A10/A11 for --to-time, A31 a zone other
 * than UTC and a window that must change nothing, A15 a base backup alone, a gap inside one chain) each have a test
 * here; the damaged archives are copies, so the lab's own stays whole for the next test.
 */
import { expect } from "chai";
import type { ChildProcess } from "child_process";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SYSTEM_ID_FILE } from "../components/services/pitrNames";
import { PITR_EXIT, PITR_OUTPUT } from "../components/services/pitrRestoreScript";
import { renderBaseBackupScript } from "../components/services/pitrScripts";
import {
    CONTAINER_CAPS,
    killReceiver,
    PitrLab,
    spawnReceiver,
    startPitrLab,
    stopPitrLab,
} from "../scripts/lib/pitrLab";
import { IS_ROOT } from "./localServers";
import {
    baseInfo,
    commitsIn,
    DAMAGE_AT,
    DAMAGE_BYTES,
    fromMicros,
    latestReachable,
    micros,
    reachableRanges,
    wholeSegments,
} from "./pitrRestoreFixtures";
import { expectNothingChanged, expectNothingLeft, restoreServers } from "./pitrLab";

const describeAsRoot = IS_ROOT ? describe : describe.skip;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
type Row = { id: number; at: number };
describeAsRoot(
    "the point-in-time restore across base backups and log chains (issue 18; rung 4: real server)",
    function () {
        this.timeout(300_000);
        let lab: PitrLab | undefined;
        let receiver: ChildProcess | undefined;
        const phase: Record<string, Row[]> = {};
        const bases: string[] = [];
        let closed = "";
        let env: Record<string, string> = {};

        /** `n` rows 100 ms apart, each with its id and insertion time (ms). */
        async function writeRows(n: number): Promise<Row[]> {
            const rows: Row[] = [];
            for (let i = 0; i < n; i++) {
                const [id, at] = lab!
                    .psql(
                        "freshtrack",
                        "INSERT INTO readings (celsius) VALUES (1) RETURNING id || ' ' || (extract(epoch FROM at) * 1000)::bigint",
                    )
                    .split("\n")[0]!
                    .split(" ")
                    .map(Number);
                rows.push({ id: id!, at: at! });
                await sleep(100);
            }
            return rows;
        }
        const switchWal = () => lab!.psql("postgres", "SELECT pg_switch_wal()");
        async function startReceiving(): Promise<void> {
            receiver = spawnReceiver(env);
            for (let i = 0; i < 100; i++) {
                const active = lab!.psql(
                    "postgres",
                    "SELECT active FROM pg_replication_slots WHERE slot_name = 'freshtrack_wal'",
                );
                if (active === "t") return;
                await sleep(100);
            }
            throw new Error("the receiver did not stream within 10 s");
        }
        async function stopReceiving(): Promise<void> {
            // Give it the last records, then stop it the way Docker does (TERM: it writes what it has).
            await sleep(1500);
            const r = receiver!;
            await new Promise((resolve) => {
                r.once("exit", resolve);
                r.kill("SIGTERM");
            });
            killReceiver(r);
            receiver = undefined;
        }
        function baseBackup(): string {
            const r = spawnSync(
                "setpriv",
                [...CONTAINER_CAPS.slice(1), renderBaseBackupScript(), "freshtrack-base-backup"],
                {
                    env,
                    encoding: "utf8",
                },
            );
            if (r.status !== 0) throw new Error(`base backup failed: ${r.stdout}${r.stderr}`);
            const made = fs.readdirSync(env.BASE_DIR!).sort();
            return made[made.length - 1]!;
        }
        const restore = (args: string[], extra: Record<string, string> = {}) =>
            lab!.restore(args, { CLOSED_CHAIN_PREFIX: env.CLOSED_CHAIN_PREFIX!, ...extra });
        /** Half-way between a row's commit and the next row's. */
        const justAfter = (row: Row) => lab!.utc(new Date(row.at + 50));
        const restoredMaxId = (run: { dump?: string }) => lab!.loadDump(run.dump!).maxId;

        before(async () => {
            lab = await startPitrLab({ writeSeconds: 3 });
            const archive = lab.dirs.archive;
            env = {
                ...lab.scriptEnv(),
                CLOSED_CHAIN_PREFIX: path.join(archive, "pitr", "wal-closed-"),
                TZ: "UTC",
            };
            bases.push(fs.readdirSync(env.BASE_DIR!)[0]!);
            // Chain 1 goes on: rows, a second base backup, more rows.
            await startReceiving();
            phase.a = await writeRows(10);
            await sleep(1100);
            bases.push(baseBackup());
            phase.b = await writeRows(10);
            switchWal();
            phase.c = await writeRows(10);
            await stopReceiving();
            // The break: chain 1 closed as the receiver closes it, its slot gone, rows nothing receives, a new slot.
            closed = `${env.CLOSED_CHAIN_PREFIX}20260101T000000Z`;
            fs.renameSync(env.WAL_DIR!, closed);
            lab.psql("postgres", "SELECT pg_drop_replication_slot('freshtrack_wal')");
            phase.gap = await writeRows(10);
            switchWal();
            // Without a checkpoint first the new slot's log began inside chain 1 (seen here on 15.18: the new chain
            // held base backup 2's end segment), so no gap; after it, the new chain starts past the rows written in
            // between, as after a slot lost to max_slot_wal_keep_size.
            lab.psql("postgres", "CHECKPOINT");
            lab.psql("postgres", "SELECT pg_create_physical_replication_slot('freshtrack_wal', true)");
            await startReceiving();
            phase.d = await writeRows(5);
        });
        after(() => {
            killReceiver(receiver);
            stopPitrLab(lab);
        });

        it("a new chain with no base backup yet: --latest is refused naming the latest point before the break", async () => {
            const refused = restore(["--latest"]);
            expect(refused.status, refused.output).to.equal(PITR_EXIT.refused);
            expect(refused.output).to.contain("has no base backup yet");
            expect(refused.output).to.contain("within 15 minutes");
            expect(refused.output).to.match(
                /The latest point reachable before the break is \d{4}-\d\d-\d\d [\d:.]+ UTC/,
            );
            expectNothingChanged(lab!, refused);
            // Then its first base backup, in a server zone other than UTC (A31), and more rows.
            lab!.psql("postgres", "ALTER SYSTEM SET timezone = 'Pacific/Chatham'");
            lab!.psql("postgres", "SELECT pg_reload_conf()");
            await sleep(1100);
            bases.push(baseBackup());
            phase.e = await writeRows(10);
            switchWal();
            phase.f = await writeRows(10);
            await stopReceiving();
        });

        /** Every file under the archive with its size and modification time: what a look at it must leave alone. */
        const archiveState = () =>
            fs
                .readdirSync(lab!.dirs.archive, { recursive: true, encoding: "utf8" })
                .sort()
                .map((f) => {
                    const stat = fs.statSync(path.join(lab!.dirs.archive, f));
                    return `${f} ${stat.size} ${stat.mtimeMs}`;
                });

        it("the window names one range per chain, the closed one's and the current one's; A31: it changes nothing", () => {
            const before = archiveState();
            const window = restore(["--window"]);
            expect(window.status, window.output).to.equal(0);
            const ranges = window.output.split("\n").filter((l) => l.startsWith(`${PITR_OUTPUT.reachable}: `));
            expect(ranges, window.output).to.have.length(2);
            expect(ranges[0]).to.contain(`(${closed})`);
            expect(ranges[1]).to.contain(`(${env.WAL_DIR})`);
            // A31: a look at the window replays nothing, dumps nothing, and leaves no work directory or server.
            expect(window.output).not.to.match(new RegExp(`^${PITR_OUTPUT.recoveryPoint}: `, "m"));
            expect(window.dumpsAfter, "no new dump").to.deep.equal(window.dumpsBefore);
            expect(archiveState(), "the archive as it was").to.deep.equal(before);
            expectNothingLeft(lab!);
        });

        it("a base backup of another server (its system identifier) belongs to no chain whose names it shares", () => {
            const infoFile = path.join(env.BASE_DIR!, bases[2]!, "freshtrack-base.info");
            const original = fs.readFileSync(infoFile, "utf8");
            const real = lab!.psql("postgres", "SELECT system_identifier FROM pg_control_system()");
            expect(fs.readFileSync(path.join(env.WAL_DIR!, SYSTEM_ID_FILE), "utf8").trim()).to.equal(real);
            expect(original).to.contain(`system_identifier=${real}`);
            fs.writeFileSync(infoFile, original.replace(`system_identifier=${real}`, "system_identifier=999"));
            try {
                const window = restore(["--window"]);
                expect(window.status, window.output).to.equal(0);
                const ranges = window.output.split("\n").filter((l) => l.startsWith(`${PITR_OUTPUT.reachable}: `));
                expect(ranges, window.output).to.have.length(2);
                expect(ranges[0]).to.contain(`(${closed})`);
                expect(ranges[1]).to.contain("(a base backup alone)");
            } finally {
                fs.writeFileSync(infoFile, original);
            }
        });

        it("A01/A02/A10: between two base backups' ends the older one is restored, after the newer one's end the newer", () => {
            const early = restore(["--to-time", justAfter(phase.a![4]!)]);
            expect(early.status, early.output).to.equal(0);
            expect(early.output).to.contain(`base backup: ${bases[0]} `);
            expect(restoredMaxId(early)).to.equal(phase.a![4]!.id);
            const late = restore(["--to-time", justAfter(phase.b![4]!)]);
            expect(late.status, late.output).to.equal(0);
            expect(late.output).to.contain(`base backup: ${bases[1]} `);
            expect(restoredMaxId(late)).to.equal(phase.b![4]!.id);
        });

        it("a time in the closed chain is restored from it; a time in the gap between chains is refused naming both", () => {
            const closedRun = restore(["--to-time", justAfter(phase.c![6]!)]);
            expect(closedRun.status, closedRun.output).to.equal(0);
            expect(restoredMaxId(closedRun)).to.equal(phase.c![6]!.id);
            const gap = restore(["--to-time", justAfter(phase.gap![5]!)]);
            expect(gap.status, gap.output).to.equal(PITR_EXIT.refused);
            expect(gap.output).to.contain("falls in a gap between the ranges");
            expect(gap.output).to.contain(`in ${closed}`).and.contain(`in ${env.WAL_DIR}`);
            expectNothingChanged(lab!, gap);
        });

        it("--latest restores the current chain to its last commit, and so does --to-time at that commit", () => {
            const latest = restore(["--latest"]);
            expect(latest.status, latest.output).to.equal(0);
            expect(latest.output).to.contain(`base backup: ${bases[2]} `);
            expect(restoredMaxId(latest)).to.equal(phase.f![9]!.id);
            // The latest time the window names is a time --to-time reaches too, though no commit follows it.
            const toEnd = restore(["--to-time", latestReachable(latest.output)]);
            expect(toEnd.status, toEnd.output).to.equal(0);
            expect(restoredMaxId(toEnd)).to.equal(phase.f![9]!.id);
        });

        it("A31: with the backup container's TZ and the server's TimeZone not UTC, the restore stops at the same instant", () => {
            const run = restore(["--to-time", justAfter(phase.e![3]!)], { TZ: "Pacific/Chatham" });
            expect(run.status, run.output).to.equal(0);
            expect(run.output).to.contain(`base backup: ${bases[2]} `);
            expect(restoredMaxId(run)).to.equal(phase.e![3]!.id);
            const latest = restore(["--latest"], { TZ: "America/New_York" });
            expect(latest.status, latest.output).to.equal(0);
            expect(restoredMaxId(latest)).to.equal(phase.f![9]!.id);
        });

        /** The archive's point-in-time part copied (base backups, the current chain, the closed one), to damage. */
        type ArchiveCopy = { wal: string; base: string; closed: string; env: Record<string, string> };
        function withArchiveCopy<T>(fn: (copy: ArchiveCopy) => T): T {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-pitr-damage-"));
            try {
                fs.cpSync(path.dirname(env.WAL_DIR!), dir, { recursive: true });
                return fn({
                    wal: path.join(dir, "wal"),
                    base: path.join(dir, "base"),
                    closed: path.join(dir, path.basename(closed)),
                    env: {
                        WAL_DIR: path.join(dir, "wal"),
                        BASE_DIR: path.join(dir, "base"),
                        CLOSED_CHAIN_PREFIX: path.join(dir, "wal-closed-"),
                    },
                });
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        }
        /** The archive copied, one whole segment of the current chain overwritten in the middle (right size). */
        function withDamagedSegment<T>(
            pick: (whole: string[]) => string,
            fn: (e: Record<string, string>, victim: string, copy: ArchiveCopy) => T,
        ): T {
            return withArchiveCopy((copy) => {
                const end = baseInfo(copy.base, bases[2]!, "end_segment");
                const victim = pick(wholeSegments(copy.wal).filter((f) => f > end));
                const fd = fs.openSync(path.join(copy.wal, victim), "r+");
                fs.writeSync(fd, Buffer.alloc(DAMAGE_BYTES, 0x5a), 0, DAMAGE_BYTES, DAMAGE_AT);
                fs.closeSync(fd);
                return fn(copy.env, victim, copy);
            });
        }

        it("A09: a middle segment overwritten (right size) is refused for --latest before any replay, naming it", () => {
            const refused = withDamagedSegment(
                (whole) => whole[0]!,
                (e) => restore(["--latest"], e),
            );
            expect(refused.status, refused.output).to.equal(PITR_EXIT.refused);
            expect(refused.output, refused.output).to.match(
                /the log cannot be read past [0-9A-F]+\/[0-9A-F]+ in segment \S+/,
            );
            expectNothingChanged(lab!, refused);
        });

        it("A11: the last whole segment overwritten (the open one after it) is refused for --latest before any replay", () => {
            const refused = withDamagedSegment(
                (whole) => whole[whole.length - 1]!,
                (e) => restore(["--latest"], e),
            );
            expect(refused.status, refused.output).to.equal(PITR_EXIT.refused);
            expect(refused.output, refused.output).to.match(
                /the log cannot be read past [0-9A-F]+\/[0-9A-F]+ in segment \S+/,
            );
            expectNothingChanged(lab!, refused);
        });

        /** Every row the tests know of, the lab's writer's and each phase's. */
        const allRows = () => [...lab!.truth.rows, ...Object.values(phase).flat()];
        /** The last row inserted at or before a time (µs); its commit follows its insertion within a millisecond. */
        function lastRowBy(us: number): Row {
            const rows = allRows().filter((r) => r.at * 1000 <= us + 1000);
            expect(rows, `a row by ${fromMicros(us)}`).not.to.be.empty;
            return rows.reduce((a, b) => (b.at > a.at ? b : a));
        }

        it("a gap inside one chain between two base backups: a range on each side, each from its own base backup's end", () => {
            withArchiveCopy((copy) => {
                // The closed chain's segments between the older base backup's end and the newer one's start: the
                // last of them removed, so the run before the gap still holds commits after the older one's end.
                const end0 = baseInfo(copy.base, bases[0]!, "end_segment");
                const start1 = baseInfo(copy.base, bases[1]!, "start_segment");
                const between = wholeSegments(copy.closed).filter((f) => f > end0 && f < start1);
                expect(between, `whole segments between ${end0} and ${start1}`).to.have.length.of.at.least(2);
                const victim = between[between.length - 1]!;
                fs.rmSync(path.join(copy.closed, victim));

                const window = restore(["--window"], copy.env);
                expect(window.status, window.output).to.equal(0);
                const ranges = reachableRanges(window.output).filter((r) => r.where === copy.closed);
                expect(ranges, window.output).to.have.length(2);
                const [before, after] = [ranges[0]!, ranges[1]!];
                expect(before.stop).to.contain(`segment ${victim} is missing`);
                expect(before.from).to.equal(baseInfo(copy.base, bases[0]!, "end_time"));
                expect(after.from, "the range after the gap starts at its own base backup's end").to.equal(
                    baseInfo(copy.base, bases[1]!, "end_time"),
                );
                expect(micros(before.to)).to.be.above(micros(before.from)).and.below(micros(after.from));

                // The last commit before the gap is reached, from the base backup before it.
                const early = restore(["--to-time", before.to], copy.env);
                expect(early.status, early.output).to.equal(0);
                expect(early.output).to.contain(`base backup: ${bases[0]} `);
                expect(restoredMaxId(early)).to.equal(lastRowBy(micros(before.to)).id);

                const inGap = fromMicros(Math.floor((micros(before.to) + micros(after.from)) / 2));
                const gap = restore(["--to-time", inGap], copy.env);
                expect(gap.status, gap.output).to.equal(PITR_EXIT.refused);
                expect(gap.output).to.contain("falls in a gap between the ranges");
                for (const r of [before, after])
                    expect(gap.output).to.contain(`from ${r.from} UTC to ${r.to} UTC in ${copy.closed}`);
                expectNothingChanged(lab!, gap);
            });
        });

        it("A15: a base backup whose end segment is in no chain is listed alone, with why, and restores to its end", () => {
            withArchiveCopy((copy) => {
                const end1 = baseInfo(copy.base, bases[1]!, "end_segment");
                const endTime = baseInfo(copy.base, bases[1]!, "end_time");
                fs.rmSync(path.join(copy.closed, end1));

                const window = restore(["--window"], copy.env);
                expect(window.status, window.output).to.equal(0);
                const alone = reachableRanges(window.output).filter((r) => r.where === "a base backup alone");
                expect(alone, window.output).to.have.length(1);
                expect(alone[0]).to.deep.include({ from: endTime, to: endTime });
                expect(alone[0]!.stop).to.contain(`its end segment ${end1} is in no chain`);

                const run = restore(["--to-time", endTime], copy.env);
                expect(run.status, run.output).to.equal(0);
                expect(run.output).to.contain(`base backup: ${bases[1]} `);
                // Every row written before that base backup, none after.
                expect(restoredMaxId(run)).to.equal(phase.a![9]!.id);
            });
        });

        it("A10/A11: a --to-time past a damaged middle segment is refused naming it; the window ends before the damage", () => {
            const damaged = (victim: string) =>
                commitsIn(path.join(env.WAL_DIR!, victim)).filter((c) => c.endsAt > DAMAGE_AT);
            const whole = restore(["--window"]);
            expect(whole.status, whole.output).to.equal(0);
            withDamagedSegment(
                (whole) => whole[0]!,
                (e, victim, copy) => {
                    const lost = damaged(victim);
                    expect(lost, `commits past byte ${DAMAGE_AT} of ${victim}`).not.to.be.empty;
                    const window = restore(["--window"], e);
                    expect(window.status, window.output).to.equal(0);
                    expect(micros(latestReachable(window.output)), "the latest time reachable").to.be.below(
                        micros(lost[0]!.time),
                    );

                    // The last row of the damaged segment: its commit lies past the damage.
                    const row = phase.e![9]!;
                    expect(row.at * 1000).to.be.above(micros(lost[0]!.time) - 1000);
                    const refused = restore(["--to-time", justAfter(row)], e);
                    expect(refused.status, refused.output).to.equal(PITR_EXIT.refused);
                    expect(refused.output).to.contain("is after what the archive covers");
                    expect(refused.output).to.match(
                        new RegExp(`the log cannot be read past [0-9A-F]+/[0-9A-F]+ in segment ${copy.wal}/${victim} `),
                    );
                    expectNothingChanged(lab!, refused);
                    // The whole log's last commit: a replay to it goes to the end (no commit follows it), and would
                    // stop at the damage without a word but for the window.
                    const toEnd = restore(["--to-time", latestReachable(whole.output)], e);
                    expect(toEnd.status, toEnd.output).to.equal(PITR_EXIT.refused);
                    expectNothingChanged(lab!, toEnd);
                },
            );
        });

        it("another session's throwaway server elsewhere on the machine is not taken for one this lab left", async () => {
            // A stand-in for a restore's server under another TMPDIR: a process whose command line names its work
            // directory, as the postmaster's does (`postgres -D <work>/data`).
            const elsewhere = path.join(os.tmpdir(), "freshtrack-pitr-tmp-elsewhere", "freshtrack-pitr.Ab12Cd", "data");
            const other = spawn(process.execPath, ["-e", "setInterval(() => undefined, 1000)", "--", "-D", elsewhere], {
                stdio: "ignore",
            });
            try {
                await sleep(300);
                expect(restoreServers(path.dirname(path.dirname(elsewhere))), "the stand-in is seen").to.have.length(1);
                const refused = restore(["--to-time", "2000-01-01 00:00:00"]);
                expect(refused.status, refused.output).to.equal(PITR_EXIT.refused);
                expectNothingChanged(lab!, refused);
            } finally {
                other.kill("SIGKILL");
            }
        });
    },
);
