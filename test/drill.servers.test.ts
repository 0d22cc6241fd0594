/**
 * Restore drills (issue 18, item 4) run for real (rung 4): the rendered freshtrack-drill against the point-in-time lab
 * of scripts/lib/pitrLab.ts (Debian's PostgreSQL 15 on 127.0.0.1, the WAL receiver's archive, one base backup, a
 * writer, a SIGKILL, the restarted server as live), with a dump made by the rendered freshtrack-backup. The drill runs
 * as the backup container runs it: root with only SETUID and SETGID (setpriv), in BusyBox's sh (Debian's
 * busybox-static, a stand-in for the postgres image's), with a PATH holding only what DRILL_TOOLS lists, each a file
 * (gosu looks the commands it runs up on PATH). busybox-static's sh runs its own applets before PATH, so an applet
 * missing from the list is not caught here; a PostgreSQL program or another tool missing from it is. promtool
 * (Debian's) checks the metric files as node-exporter's textfile collector would read them.
 */
import { expect } from "chai";
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderBackupScript } from "../components/services/backupScripts";
import {
    DRILL_EXIT,
    DRILL_TOOLS,
    drillMetricFile,
    DrillSummary,
    parseDrillSummary,
    renderDrillScript,
} from "../components/services/drillScript";
import {
    DRILL_DURATION_METRIC,
    DRILL_KINDS,
    DRILL_RECOVERY_POINT_METRIC,
    DRILL_RUN_METRIC,
    DRILL_SUCCESS_METRIC,
    DrillKind,
} from "../components/services/pitrNames";
import { IS_ROOT, postgresBin, shellcheck } from "./localServers";
import { CONTAINER_CAPS, PitrLab, startPitrLab, stopPitrLab } from "../scripts/lib/pitrLab";

const describeAsRoot = IS_ROOT ? describe : describe.skip;
const BUSYBOX = "/usr/bin/busybox";
/** setpriv by its path: the drill's PATH holds only DRILL_TOOLS. */
const which = (name: string) => execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
const TABLES = "readings:at sensor_readings:recorded_at";

interface DrillRun {
    readonly status: number | null;
    readonly output: string;
}

/** `name{kind="<kind>"} value` lines of a metric file, and its HELP lines by metric. */
function readMetrics(file: string): { values: Map<string, number>; help: Map<string, string> } {
    const values = new Map<string, number>();
    const help = new Map<string, string>();
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        const sample = /^(\w+)\{kind="(\w+)"\} (\S+)$/.exec(line);
        if (sample) values.set(sample[1]!, Number(sample[3]));
        const h = /^# HELP (\w+) (.*)$/.exec(line);
        if (h) help.set(h[1]!, h[2]!);
    }
    return { values, help };
}

function promtoolCheck(file: string): { status: number | null; output: string } {
    const result = spawnSync("promtool", ["check", "metrics"], { input: fs.readFileSync(file), encoding: "utf8" });
    if (result.error) throw new Error(`promtool did not run (.ci/run installs Debian's): ${result.error.message}`);
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** PostgreSQL servers whose data directory is a drill's (not the drill's own sh, whose argument holds the script). */
function drillServers(): string[] {
    const found: string[] = [];
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
        try {
            const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
            if (/^\S*\/postgres .*freshtrack-drill-work\./.test(cmdline)) found.push(`${pid}: ${cmdline}`);
        } catch {
            // gone meanwhile
        }
    }
    return found;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeAsRoot("restore drills on a real PostgreSQL (issue 18, item 4)", function () {
    this.timeout(300000);
    let lab: PitrLab | undefined;
    let made = "";
    const dirs = { bin: "", textfile: "", summary: "" };
    const script = renderDrillScript();
    const summaryOf = (kind: DrillKind, dir = dirs.summary): DrillSummary | undefined =>
        parseDrillSummary(fs.readFileSync(path.join(dir, `.freshtrack-last-drill-${kind}`), "utf8"));

    /** The drill's env: the lab's, the drill's own directories, and a PATH of DRILL_TOOLS only. */
    const drillEnv = (extra: Record<string, string> = {}) =>
        lab!.scriptEnv({
            PATH: dirs.bin,
            TEXTFILE_DIR: dirs.textfile,
            DRILL_SUMMARY_DIR: dirs.summary,
            DRILL_TABLES: TABLES,
            ...extra,
        });
    /** Root with SETUID and SETGID only, BusyBox's sh instead of the lab's (CONTAINER_CAPS ends in `sh -c`). */
    const drillArgv = (args: string[]) => [
        ...CONTAINER_CAPS.slice(1, -2),
        BUSYBOX,
        "sh",
        "-c",
        script,
        "freshtrack-drill",
        ...args,
    ];
    const drill = (args: string[], extra: Record<string, string> = {}): DrillRun => {
        const result = spawnSync(which(CONTAINER_CAPS[0]!), drillArgv(args), {
            encoding: "utf8",
            env: drillEnv(extra),
        });
        return { status: result.status, output: `${result.stdout}${result.stderr}` };
    };
    const expectNothingLeft = () => {
        expect(fs.readdirSync(lab!.dirs.tmp), "no work directory, scratch directory or lock left").to.deep.equal([]);
        expect(drillServers(), "no throwaway server still running").to.deep.equal([]);
    };

    before(async () => {
        lab = await startPitrLab();
        made = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-drill-test-"));
        for (const d of ["bin", "textfile", "summary"] as const) {
            dirs[d] = path.join(made, d);
            fs.mkdirSync(dirs[d]);
        }
        // gosu runs as the server's user what it is given by name, so that user must reach the bin directory.
        fs.chmodSync(made, 0o755);
        fs.chmodSync(dirs.bin, 0o755);
        for (const applet of DRILL_TOOLS.applets) fs.symlinkSync(BUSYBOX, path.join(dirs.bin, applet));
        for (const program of DRILL_TOOLS.postgres) fs.symlinkSync(postgresBin(program), path.join(dirs.bin, program));
        fs.symlinkSync(which("gosu"), path.join(dirs.bin, "gosu"));
        // The point-in-time restore is the lead's script, run as in test/pitr.servers.test.ts, with the lab's PATH.
        const restore = path.join(made, "freshtrack-pitr-restore.sh");
        fs.writeFileSync(restore, lab.restoreScript);
        fs.writeFileSync(
            path.join(dirs.bin, "freshtrack-pitr-restore"),
            `#!/bin/sh\nPATH='${lab.scriptEnv().PATH}'\nexport PATH\nexec /bin/sh '${restore}' "$@"\n`,
            { mode: 0o755 },
        );
        expect([...DRILL_TOOLS.other].sort()).to.deep.equal(["freshtrack-pitr-restore", "gosu"]);
        // A scheduled dump of the restarted server, as the backup service takes it, in a later second than the last
        // write: its name's time is whole seconds, so the dump kind then compares every row.
        await sleep(1100);
        const backup = spawnSync(
            CONTAINER_CAPS[0]!,
            [...CONTAINER_CAPS.slice(1), renderBackupScript(), "freshtrack-backup", "scheduled"],
            { encoding: "utf8", env: lab.scriptEnv({ RETENTION_DAYS: "7" }) },
        );
        if (backup.status !== 0) throw new Error(`the dump failed: ${backup.stdout}${backup.stderr}`);
    });
    after(() => {
        stopPitrLab(lab);
        if (made) fs.rmSync(made, { recursive: true, force: true });
    });

    it("the drill script passes shellcheck as POSIX sh (rung 3)", () => {
        const result = shellcheck(script);
        expect(result.status, result.stdout).to.equal(0);
    });

    it("restores the newest base backup with its log and the newest dump, compares them with live, records both kinds", () => {
        const l = lab!;
        const run = drill([], { POINT_IN_TIME_DAYS: "7" });
        expect(run.status, run.output).to.equal(0);
        expectNothingLeft();
        // One line per table and kind: the table with rows compared, the table in neither skipped.
        const live = (point: string) =>
            Number(l.psql("freshtrack", `SELECT count(*) FROM readings WHERE at <= '${point}+00'`));
        const pitrPoint = /pitr: replayed to (\S+ \S+) UTC/.exec(run.output)?.[1];
        expect(pitrPoint, run.output).to.not.equal(undefined);
        const dumpFile = fs.readdirSync(path.join(l.dirs.archive, "postgres")).find((f) => f.endsWith(".dump"))!;
        const stamp = /-(\d{8}T\d{6}Z)\.dump$/.exec(dumpFile)![1]!;
        const dumpPoint = stamp.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3 $4:$5:$6");
        for (const [kind, point] of [
            ["pitr", pitrPoint!],
            ["dump", dumpPoint],
        ] as const) {
            const rows = live(point);
            expect(run.output).to.contain(
                `freshtrack-drill: ${kind}: readings: ${rows} rows with at at or before ${point} UTC, md5 `,
            );
            expect(run.output).to.contain(
                `freshtrack-drill: ${kind}: sensor_readings: skipped: no such table in the restored copy nor in live`,
            );
        }
        // The dump was taken after the last write, the log holds (nearly) every commit: both see (nearly) every row.
        expect(live(dumpPoint)).to.equal(l.truth.count);
        expect(live(pitrPoint!)).to.be.at.least(l.truth.count - 50);

        const helpTexts: Array<Map<string, string>> = [];
        for (const [kind, point] of [
            ["pitr", pitrPoint!],
            ["dump", dumpPoint],
        ] as const) {
            const file = drillMetricFile(dirs.textfile, kind);
            const check = promtoolCheck(file);
            expect(check.status, `${kind}: ${check.output}`).to.equal(0);
            expect(fs.statSync(file).mode & 0o777, "node-exporter reads it as another user").to.equal(0o644);
            const { values, help } = readMetrics(file);
            helpTexts.push(help);
            const ran = values.get(DRILL_RUN_METRIC)!;
            expect(values.get(DRILL_SUCCESS_METRIC), "a passed drill: success and run are the same instant").to.equal(
                ran,
            );
            expect(ran).to.be.within(Date.now() / 1000 - 300, Date.now() / 1000 + 1);
            expect(values.get(DRILL_DURATION_METRIC)).to.be.within(0, 300);
            const pointSeconds = Date.parse(`${point.replace(" ", "T")}Z`) / 1000;
            expect(values.get(DRILL_RECOVERY_POINT_METRIC)).to.be.closeTo(pointSeconds, 0.001);
            const summary = summaryOf(kind)!;
            expect(summary, `${kind} summary`).to.deep.include({ kind, outcome: "passed" });
            expect(Date.parse(summary.finished) / 1000).to.equal(ran);
            expect(summary.recoveryPoint).to.equal(`${point.replace(" ", "T")}Z`);
            expect(summary.detail).to.match(/^restored to .* and compared with live; readings \d+ rows; /);
        }
        // node-exporter merges a family over both files only when their HELP texts agree.
        expect(helpTexts[0]).to.deep.equal(helpTexts[1]);
        expect([...helpTexts[0]!.keys()].sort()).to.deep.equal(
            [DRILL_RUN_METRIC, DRILL_SUCCESS_METRIC, DRILL_DURATION_METRIC, DRILL_RECOVERY_POINT_METRIC].sort(),
        );
    });

    it("a damaged archive fails the pitr kind: the run time moves, the last success stays", async () => {
        const l = lab!;
        const file = drillMetricFile(dirs.textfile, "pitr");
        const before = readMetrics(file).values;
        expect(before.get(DRILL_SUCCESS_METRIC), "the previous test's success").to.be.a("number");
        // Times are whole seconds: a run in the same second as the success could not be told apart.
        await sleep(1100);
        const run = l.withDamagedArchive("truncate", () => drill(["pitr"]));
        expect(run.status, run.output).to.equal(DRILL_EXIT.failed);
        expect(run.output).to.match(
            /freshtrack-drill: pitr: FAILED: freshtrack-pitr-restore --latest failed \(exit 3\): segment \S+ is \d+ bytes, not 16777216: it is truncated/,
        );
        expectNothingLeft();
        expect(promtoolCheck(file).status).to.equal(0);
        const after = readMetrics(file).values;
        expect(after.get(DRILL_RUN_METRIC)).to.be.above(before.get(DRILL_RUN_METRIC)!);
        for (const kept of [DRILL_SUCCESS_METRIC, DRILL_DURATION_METRIC, DRILL_RECOVERY_POINT_METRIC])
            expect(after.get(kept), kept).to.equal(before.get(kept));
        const summary = summaryOf("pitr")!;
        expect(summary.outcome).to.equal("failed");
        expect(summary.recoveryPoint).to.equal("");
        expect(summary.detail).to.match(/truncated/);
        expect(summaryOf("dump")!.outcome, "the dump kind did not run").to.equal("passed");
    });

    it("a live row inserted afterwards with a time before the recovery point fails both kinds, naming the table", () => {
        const l = lab!;
        const early = new Date(l.truth.rows[5]!.at).toISOString();
        l.psql("freshtrack", `INSERT INTO readings (at, celsius) VALUES ('${early}', 9.9)`);
        try {
            const run = drill(["all"], { POINT_IN_TIME_DAYS: "7" });
            expect(run.status, run.output).to.equal(DRILL_EXIT.failed);
            for (const kind of DRILL_KINDS) {
                expect(run.output).to.match(
                    new RegExp(
                        `freshtrack-drill: ${kind}: FAILED: readings: rows with at at or before [\\d: .-]+ UTC: (\\d+) in the restored copy \\(md5 \\w+\\), \\d+ in live`,
                    ),
                );
                const summary = summaryOf(kind)!;
                expect(summary.outcome).to.equal("failed");
                expect(summary.detail).to.match(/^readings: rows with at at or before/);
                expect(summary.recoveryPoint, "it restored, then the check failed").to.match(/^\d{4}-\d\d-\d\dT/);
            }
            const counts = /dump: FAILED: readings: .*?: (\d+) in the restored copy .*?, (\d+) in live/.exec(
                run.output,
            )!;
            expect(Number(counts[2])).to.equal(Number(counts[1]) + 1);
            expectNothingLeft();
        } finally {
            l.psql("freshtrack", "DELETE FROM readings WHERE celsius = 9.9");
        }
    });

    it("a table in live only fails the check; one in neither is skipped and said so", () => {
        const l = lab!;
        l.psql("freshtrack", "CREATE TABLE alerts (created_at timestamptz)");
        try {
            const run = drill(["dump"], { DRILL_TABLES: "readings:at alerts:created_at audit_log:created_at" });
            expect(run.status, run.output).to.equal(DRILL_EXIT.failed);
            expect(run.output).to.contain(
                "freshtrack-drill: dump: FAILED: alerts: in live but not in the restored copy",
            );
            expect(run.output).to.contain("freshtrack-drill: dump: audit_log: skipped: no such table");
            expect(run.output).to.match(/freshtrack-drill: dump: readings: \d+ rows .* the same in the restored copy/);
            expect(summaryOf("dump")!.detail).to.equal("alerts: in live but not in the restored copy");
        } finally {
            l.psql("freshtrack", "DROP TABLE alerts");
        }
    });

    // The attack pass on issue 18: a drill that took the oldest dump, or compared only the number of rows, passed.
    it("checks the newest dump, not an older good one: a damaged newest dump fails the dump kind", () => {
        const l = lab!;
        const dumps = path.join(l.dirs.archive, "postgres");
        const copy = fs.mkdtempSync(path.join(made, "dumps-"));
        const good = fs.readdirSync(dumps).find((f) => f.endsWith(".dump"))!;
        fs.copyFileSync(path.join(dumps, good), path.join(copy, good));
        const newer = path.join(copy, "freshtrack-scheduled-29991231T000000Z.dump");
        fs.writeFileSync(newer, fs.readFileSync(path.join(dumps, good)).subarray(0, 2000));
        // Newest by modification time, as freshtrack-restore picks by default: the good one an hour older.
        const hourAgo = new Date(Date.now() - 3600_000);
        fs.utimesSync(path.join(copy, good), hourAgo, hourAgo);
        const run = drill(["dump"], { BACKUP_DIR: copy });
        expect(run.status, run.output).to.equal(DRILL_EXIT.failed);
        expect(run.output).to.contain("freshtrack-scheduled-29991231T000000Z.dump");
        expectNothingLeft();
    });

    it("a live row moved to another time before the recovery point (the same count) fails on the checksum", () => {
        const l = lab!;
        const row = l.truth.rows[3]!;
        // By an interval, and back by the same: the time keeps its microseconds for the tests after this one.
        l.psql("freshtrack", `UPDATE readings SET at = at - interval '250 ms' WHERE id = ${row.id}`);
        try {
            const run = drill(["dump"]);
            expect(run.status, run.output).to.equal(DRILL_EXIT.failed);
            expect(run.output).to.match(/dump: FAILED: readings: .*\(md5 (\w+)\), \d+ in live \(md5 (?!\1)\w+\)/);
        } finally {
            l.psql("freshtrack", `UPDATE readings SET at = at + interval '250 ms' WHERE id = ${row.id}`);
        }
    });

    it("nothing to restore is skipped while no drill of that kind has run, and fails once one has", () => {
        const empty = fs.mkdtempSync(path.join(made, "empty-"));
        const fresh = fs.mkdtempSync(path.join(made, "fresh-"));
        const first = drill(["dump"], { BACKUP_DIR: empty, TEXTFILE_DIR: fresh, DRILL_SUMMARY_DIR: fresh });
        expect(first.status, first.output).to.equal(0);
        expect(first.output).to.contain("dump: skipped: no dump in");
        expect(fs.readdirSync(fresh), "nothing recorded").to.deep.equal([]);
        const later = drill(["dump"], { BACKUP_DIR: empty });
        expect(later.status, later.output).to.equal(DRILL_EXIT.failed);
        expect(later.output).to.contain(`dump: FAILED: no dump (freshtrack-*.dump) in ${empty}`);
        expectNothingLeft();
    });

    it("one drill at a time: a running drill's lock turns another away, a dead one's is taken over", async () => {
        const l = lab!;
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
        expect(taken.output).to.contain(`removing the lock ${lock} of process ${holder.pid}, which no longer runs`);
        expectNothingLeft();
    });

    it("waits outside a point-in-time restore's lock and fails, naming it, once DRILL_LOCK_WAIT_SECONDS have passed", () => {
        const l = lab!;
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
        // From its first steps to the middle of the restore: a directory made just before the signal, whose name the
        // drill has not kept yet, goes too.
        for (const delay of [20, 150, 400, 800]) {
            const child = spawn(which(CONTAINER_CAPS[0]!), drillArgv(["dump"]), { env: drillEnv(), stdio: "ignore" });
            const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
            await sleep(delay);
            child.kill("SIGTERM");
            expect(await exited, `TERM after ${delay} ms`).to.be.oneOf([143, 0]);
            expectNothingLeft();
        }
    });

    it("parseDrillSummary refuses what the drill never writes (rung 1)", () => {
        expect(parseDrillSummary("kind=dump\noutcome=passed\n")).to.equal(undefined);
        expect(
            parseDrillSummary(
                "kind=wal\noutcome=passed\nfinished=2026-01-01T00:00:00Z\nduration_seconds=1\nrecovery_point=\ndetail=\n",
            ),
        ).to.equal(undefined);
        expect(
            parseDrillSummary(
                "kind=dump\noutcome=passed\nfinished=2026-01-01T00:00:00Z\nduration_seconds=3\nrecovery_point=\ndetail=a=b\n",
            ),
        ).to.deep.equal({
            kind: "dump",
            outcome: "passed",
            finished: "2026-01-01T00:00:00Z",
            durationSeconds: 3,
            recoveryPoint: "",
            detail: "a=b",
        });
    });
});
