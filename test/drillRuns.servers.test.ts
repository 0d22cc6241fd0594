/**
 * Restore drills (issue 18, item 4) run for real (rung 4), how a run behaves: nothing to restore, one drill at a time,
 * a point-in-time restore's lock, TERM at any moment (test/drillHarness.ts says how it runs, as the backup container).
 */
import { expect } from "chai";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DRILL_EXIT, drillMetricFile } from "../components/services/drillScript";
import { BASE_BACKUP_METRIC_FILE } from "../components/services/pitrNames";
import { CONTAINER_CAPS } from "../scripts/lib/pitrLab";
import { describeAsRoot, drillServers, sleep, useDrillLab, which } from "./drillHarness";

describeAsRoot(
    "restore drills on a real PostgreSQL: one at a time, and nothing left behind (issue 18, item 4)",
    function () {
        this.timeout(300000);
        const h = useDrillLab();
        const { dirs, drill, drillArgv, drillEnv, expectNothingLeft } = h;

        it("nothing to restore is skipped while no drill of that kind has run, and fails once one has", () => {
            const empty = fs.mkdtempSync(path.join(h.made(), "empty-"));
            const fresh = fs.mkdtempSync(path.join(h.made(), "fresh-"));
            const first = drill(["dump"], { BACKUP_DIR: empty, TEXTFILE_DIR: fresh, DRILL_SUMMARY_DIR: fresh });
            expect(first.status, first.output).to.equal(0);
            expect(first.output).to.contain("dump: skipped: no dump in");
            expect(fs.readdirSync(fresh), "nothing recorded").to.deep.equal([]);
            const once = drill(["dump"]);
            expect(once.status, `a dump drill that ran here: ${once.output}`).to.equal(0);
            const later = drill(["dump"], { BACKUP_DIR: empty });
            expect(later.status, later.output).to.equal(DRILL_EXIT.failed);
            expect(later.output).to.contain(
                `dump: FAILED: no dump (freshtrack-*.dump, not freshtrack-pitr-*) in ${empty}`,
            );
            expectNothingLeft();
        });

        it("with point-in-time recovery off, the pitr drill's and base backups' last records go (no alert for ever)", () => {
            const left = [
                drillMetricFile(dirs.textfile, "pitr"),
                path.join(dirs.textfile, BASE_BACKUP_METRIC_FILE),
                path.join(dirs.summary, ".freshtrack-last-drill-pitr"),
            ];
            for (const f of left) fs.writeFileSync(f, "left from when point-in-time recovery was on\n");
            // A kind asked for by name removes nothing.
            const kept = drill(["dump"], { POINT_IN_TIME_DAYS: "" });
            expect(kept.status, kept.output).to.equal(0);
            for (const f of left) expect(fs.existsSync(f), f).to.equal(true);
            // Off: the backup service has no POINT_IN_TIME_DAYS.
            const off = drill([], { POINT_IN_TIME_DAYS: "" });
            expect(off.status, off.output).to.equal(0);
            for (const f of left) {
                expect(fs.existsSync(f), f).to.equal(false);
                expect(off.output).to.contain(`point-in-time recovery is off: removed ${f}, its last record`);
            }
            expect(fs.existsSync(drillMetricFile(dirs.textfile, "dump")), "the dump kind ran and recorded").to.equal(
                true,
            );
        });

        it("one drill at a time: a running drill's lock turns another away, a dead one's is taken over", async () => {
            const l = h.lab();
            const lock = path.join(l.dirs.tmp, "freshtrack-drill.lock");
            const holder = spawn("sh", ["-c", "sleep 60; :", "freshtrack-drill"], { stdio: "ignore" });
            try {
                fs.symlinkSync(String(holder.pid), lock);
                const busy = drill(["dump"]);
                expect(busy.status, busy.output).to.equal(DRILL_EXIT.busy);
                expect(busy.output).to.contain(`another drill is running (process ${holder.pid}`);
                expect(fs.readlinkSync(lock), "the other drill's lock stays").to.equal(String(holder.pid));
            } finally {
                holder.kill("SIGKILL");
            }
            await new Promise((resolve) => (holder.exitCode === null ? holder.once("exit", resolve) : resolve(null)));
            const taken = drill(["dump"]);
            expect(taken.status, taken.output).to.equal(0);
            expect(taken.output).to.contain(
                `took over the lock ${lock} of process ${holder.pid}, which no longer runs freshtrack-drill`,
            );
            expectNothingLeft();
        });

        it("waits outside a point-in-time restore's lock and fails, naming it, once DRILL_LOCK_WAIT_SECONDS have passed", () => {
            const l = h.lab();
            const pitrLock = path.join(l.dirs.tmp, "freshtrack-pitr.lock");
            fs.mkdirSync(pitrLock);
            try {
                const run = drill(["pitr"], { DRILL_LOCK_WAIT_SECONDS: "0" });
                expect(run.status, run.output).to.equal(DRILL_EXIT.failed);
                expect(run.output).to.contain(`a point-in-time restore held its lock (${pitrLock})`);
            } finally {
                fs.rmdirSync(pitrLock);
            }
            expectNothingLeft();
        });

        it("killed with TERM while its throwaway server runs, it stops the server and removes what it made", async () => {
            const metrics = drillMetricFile(dirs.textfile, "dump");
            const recorded = () => (fs.existsSync(metrics) ? fs.readFileSync(metrics, "utf8") : "none");
            const before = recorded();
            const child: ChildProcess = spawn(which(CONTAINER_CAPS[0]!), drillArgv(["dump"]), {
                env: drillEnv(),
                stdio: ["ignore", "pipe", "pipe"],
            });
            let output = "";
            child.stdout!.on("data", (d) => (output += String(d)));
            child.stderr!.on("data", (d) => (output += String(d)));
            const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
            const deadline = Date.now() + 60000;
            while (drillServers().length === 0 && Date.now() < deadline && child.exitCode === null) await sleep(20);
            expect(drillServers(), "the throwaway server started").to.not.deep.equal([]);
            const at = drillServers();
            child.kill("SIGTERM");
            const code = await exited;
            expect(code, `${output}\n${at.join("\n")}`).to.equal(143);
            expectNothingLeft();
            expect(recorded(), "a killed drill records nothing").to.equal(before);
        });

        it("killed with TERM at any other moment, it leaves nothing behind either", async () => {
            // From its first steps to the middle of the restore: a directory made just before the signal, whose name
            // the drill has not kept yet, goes too.
            for (const delay of [20, 150, 400, 800]) {
                const child = spawn(which(CONTAINER_CAPS[0]!), drillArgv(["dump"]), {
                    env: drillEnv(),
                    stdio: "ignore",
                });
                const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
                await sleep(delay);
                child.kill("SIGTERM");
                expect(await exited, `TERM after ${delay} ms`).to.be.oneOf([143, 0]);
                expectNothingLeft();
            }
        });
    },
);
