/**
 * Point-in-time recovery as rendered, run against a real PostgreSQL on 127.0.0.1 (rung 4: Debian's postgresql 15 and
 * its pg_receivewal, pg_basebackup, pg_waldump and pg_archivecleanup, and Debian's gosu, installed by .ci/run; the
 * image runs the same scripts with PostgreSQL 17's tools, whose options these are too). Issue 18, item 5: a row every
 * 100 ms, the server killed with SIGKILL, a restore to the latest point loses no more than 5 s; a restore to a chosen
 * time lands within one commit of it; a truncated segment, a missing segment, a missing base backup and a time outside
 * the archive are each refused with the earliest and latest reachable times, and nothing is changed; the latest
 * point's dump swaps into the live server through freshtrack-restore. The lab is scripts/lib/pitrLab.ts, which the
 * bench runs too (test/benchPitr.servers.test.ts).
 */
import { expect } from "chai";
import { PITR_EXIT } from "../components/services/pitrRestoreScript";
import {
    renderBaseBackupScript,
    renderWalReceiverHealthCheck,
    renderWalReceiverScript,
} from "../components/services/pitrScripts";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CONTAINER_CAPS, spawnReceiver } from "../scripts/lib/pitrLab";
import { IS_ROOT, shellcheck } from "./localServers";
import { PitrLab, startPitrLab, stopPitrLab } from "../scripts/lib/pitrLab";
import { expectNothingChanged, expectNothingLeft } from "./pitrLab";

const describeAsRoot = IS_ROOT ? describe : describe.skip;

describeAsRoot("point-in-time recovery on a real PostgreSQL (issue 18)", function () {
    this.timeout(180000);
    let lab: PitrLab | undefined;

    before(async () => {
        lab = await startPitrLab();
    });
    after(() => stopPitrLab(lab));

    it("the receiver, base backup and restore scripts pass shellcheck as POSIX sh", () => {
        for (const script of [renderWalReceiverScript(), renderBaseBackupScript(), lab!.restoreScript]) {
            const result = shellcheck(script);
            expect(result.status, result.stdout).to.equal(0);
        }
    });

    it("RPO: rows written every 100 ms, the server killed with SIGKILL, a restore to the latest point loses at most 5 s", () => {
        const l = lab!;
        const outcome = l;
        // The kill came in the middle of a segment: the newest rows are only in the open `.partial`, which the restore
        // must read (a restore that dropped it lost a second of rows in the attack pass, unseen while the lab switched
        // segments just before the kill).
        const wal = fs
            .readdirSync(path.join(l.dirs.archive, "pitr", "wal"))
            .filter((f) => /^[0-9A-F]{24}/.test(f))
            .sort();
        expect(wal[wal.length - 1], wal.join(" ")).to.match(/^[0-9A-F]{24}\.partial$/);
        const restored = l.restore(["--latest"]);
        expect(restored.status, restored.output).to.equal(0);
        // The throwaway server is stopped and its directory gone (the attack pass: one left running went unseen).
        expectNothingLeft(l);
        const rows = l.loadDump(restored.dump!);
        const lostRows = outcome.truth.count - rows.count;
        const lostMs = outcome.truth.lastAt - rows.lastAt;
        console.log(
            `      RPO: ${lostRows} of ${outcome.truth.count} committed rows lost, ${lostMs} ms of readings (target 5000 ms)`,
        );
        expect(lostMs).to.be.at.most(5000);
        expect(rows.count).to.be.at.least(outcome.truth.count - 50);
        // What the writer committed after the last segment switch is there: rows of the open segment came back.
        expect(rows.count).to.be.above(outcome.truth.count - 9);
    });

    it("a restore to a chosen time keeps every row committed before it and none after, and says how close it came", () => {
        const l = lab!;
        const pick = l.truth.rows[20]!;
        // Half-way between this row's commit and the next row's (rows come 100 ms apart).
        const target = new Date(pick.at + 50);
        const restored = l.restore(["--to-time", l.utc(target)]);
        expect(restored.status, restored.output).to.equal(0);
        const rows = l.loadDump(restored.dump!);
        expect(rows.maxId).to.equal(pick.id);
        const distance = /committed (\d+) ms before it/.exec(restored.output);
        expect(distance, restored.output).to.not.equal(null);
        console.log(`      a restore to ${l.utc(target)} stopped ${distance![1]} ms before the target`);
        expect(Number(distance![1])).to.be.below(150);
    });

    it("a time before the oldest base backup or after the last commit is refused with both reachable times", () => {
        const l = lab!;
        for (const when of [new Date(Date.now() - 3600_000), new Date(Date.now() + 3600_000)]) {
            const refused = l.restore(["--to-time", l.utc(when)]);
            expect(refused.status, refused.output).to.equal(PITR_EXIT.refused);
            expect(refused.output).to.match(/the archive reaches from \d{4}-\d\d-\d\d [\d:.]+ UTC .* to \d{4}-/);
            expectNothingChanged(l, refused);
        }
    });

    it("a truncated segment is refused, naming it, and nothing is changed", () => {
        const l = lab!;
        const refused = l.withDamagedArchive("truncate", () => l.restore(["--latest"]));
        expect(refused.status, refused.output).to.equal(PITR_EXIT.refused);
        expect(refused.output).to.match(/segment \S+ is \d+ bytes, not 16777216: it is truncated/);
        expectNothingChanged(l, refused);
    });

    it("a missing segment in the middle of the log is refused for --latest, naming it", () => {
        const l = lab!;
        const refused = l.withDamagedArchive("remove", () => l.restore(["--latest"]));
        expect(refused.status, refused.output).to.equal(PITR_EXIT.refused);
        expect(refused.output).to.match(/segment [0-9A-F]{24} is missing/);
        expectNothingChanged(l, refused);
    });

    // The attack pass on issue 18 found --latest accepted an archive whose open segment was followed by a segment of
    // another timeline, and said it had restored the latest point.
    it("a segment of another timeline after the open one is refused for --latest, and nothing is changed", () => {
        const l = lab!;
        const wal = path.join(l.dirs.archive, "pitr", "wal");
        const open = fs.readdirSync(wal).find((f) => f.endsWith(".partial"))!;
        const later = `00000002${open.slice(8, 24)}`;
        fs.copyFileSync(path.join(wal, open), path.join(wal, later));
        try {
            const refused = l.restore(["--latest"]);
            expect(refused.status, refused.output).to.equal(PITR_EXIT.refused);
            expect(refused.output).to.contain("the log goes on after the open segment");
            expectNothingChanged(l, refused);
        } finally {
            fs.rmSync(path.join(wal, later));
        }
    });

    it("no base backup: refused with what makes one, and nothing is changed", () => {
        const l = lab!;
        const refused = l.withoutBaseBackups(() => l.restore(["--latest"]));
        expect(refused.status, refused.output).to.equal(PITR_EXIT.refused);
        expect(refused.output).to.contain("there is no complete base backup");
        expectNothingChanged(l, refused);
    });

    it("a lock left by a killed restore, and its work directory, are taken over and removed; a live one turns it away", () => {
        const l = lab!;
        const lock = path.join(l.dirs.tmp, "freshtrack-pitr.lock");
        const leftover = path.join(l.dirs.tmp, "freshtrack-pitr.left0v");
        // A process id that is no process: the lock of a restore that was killed.
        const gone = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();
        fs.symlinkSync(gone, lock);
        fs.mkdirSync(leftover);
        const window = l.restore(["--window"]);
        expect(window.status, window.output).to.equal(0);
        expect(fs.existsSync(leftover), "the killed restore's directory is removed").to.equal(false);
        expect(fs.readdirSync(l.dirs.tmp), "the lock it took over is released").to.deep.equal([]);
        // A lock held by a running restore (here: a process whose command line names it) turns the next one away.
        const holder = spawn("sh", ["-c", "sleep 30; :", "freshtrack-pitr-restore"], { stdio: "ignore" });
        try {
            fs.symlinkSync(String(holder.pid), lock);
            const busy = l.restore(["--window"]);
            expect(busy.status, busy.output).to.equal(PITR_EXIT.busy);
            expect(fs.readlinkSync(lock)).to.equal(String(holder.pid));
        } finally {
            holder.kill("SIGKILL");
            fs.rmSync(lock, { force: true });
        }
    });

    // Last but one: the receiver streams again, into the same archive. Its container's health check (catalog
    // wal-receiver; test/catalogHealthFixtures.ts NOT_RUN_HERE points here) against the real server.
    it("the receiver's health check passes while it streams from its slot and fails once it has stopped", async () => {
        const l = lab!;
        const health = () =>
            spawnSync("setpriv", [...CONTAINER_CAPS.slice(1), renderWalReceiverHealthCheck(), "health"], {
                env: l.scriptEnv(),
                encoding: "utf8",
            });
        const receiver = spawn("setpriv", [...CONTAINER_CAPS.slice(1), renderWalReceiverScript(), "receiver"], {
            env: l.scriptEnv(),
            stdio: "ignore",
        });
        try {
            let result = health();
            for (let i = 0; i < 100 && result.status !== 0; i++) {
                await new Promise((resolve) => setTimeout(resolve, 100));
                result = health();
            }
            expect(result.status, `${result.stdout}${result.stderr}`).to.equal(0);
            expect(result.stdout).to.contain("streaming");
        } finally {
            await new Promise((resolve) => {
                receiver.once("exit", resolve);
                receiver.kill("SIGTERM");
            });
        }
        const stopped = health();
        expect(stopped.status).to.equal(1);
        // pidof sees every pg_receivewal on the machine, another test's too: then the slot's `active` tells.
        expect(stopped.stdout).to.match(/pg_receivewal is not running|the replication slot is not in use/);
    });

    // The attack pass on issue 18: the lab's stop killed the receiver's shell alone, and its pg_receivewal went on
    // streaming, an orphan holding the slot. The receiver runs in a process group the stop ends whole.
    it("the lab's stop ends the receiver's pg_receivewal too, not only its shell", async () => {
        const l = lab!;
        const env = l.scriptEnv();
        const receivers = () =>
            fs
                .readdirSync("/proc")
                .filter((p) => /^\d+$/.test(p))
                .filter((p) => {
                    try {
                        const args = fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
                        return args[0]!.endsWith("pg_receivewal") && args.includes(`--directory=${env.WAL_DIR}`);
                    } catch {
                        return false;
                    }
                });
        const receiver = spawnReceiver(env);
        const until = async (check: () => boolean) => {
            for (let i = 0; i < 100 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
        };
        await until(() => receivers().length === 1);
        expect(receivers(), "the receiver's pg_receivewal runs").to.have.length(1);
        stopPitrLab({ dirs: { archive: "", tmp: "", secrets: "" }, receiver });
        await until(() => receivers().length === 0);
        expect(receivers(), "no pg_receivewal of the lab is left").to.deep.equal([]);
    });

    // Last: it replaces the live database. The swap npm run bench times for the RTO (scripts/lib/benchPitr.ts).
    it("the latest point's dump swaps into the live server with freshtrack-restore, which keeps the old database", () => {
        const l = lab!;
        const restored = l.restore(["--latest"]);
        expect(restored.status, restored.output).to.equal(0);
        const swapped = l.swapIn(restored.dump!);
        expect(swapped.status, swapped.output).to.equal(0);
        expect(swapped.output).to.match(
            /restored \S+ into freshtrack; the previous database is kept as freshtrack_before_/,
        );
        const [count, lastAt] = l
            .psql("freshtrack", "SELECT count(*) || ' ' || (extract(epoch FROM max(at)) * 1000)::bigint FROM readings")
            .split(" ")
            .map(Number);
        expect(count).to.equal(l.loadDump(restored.dump!).count);
        expect(l.truth.lastAt - lastAt!).to.be.at.most(5000);
        expect(
            l.psql("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'freshtrack_before_restore_%'"),
        ).to.equal("1");
    });
});
