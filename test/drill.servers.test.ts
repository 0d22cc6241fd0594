/**
 * Restore drills (issue 18, item 4) run for real (rung 4), what each kind restores and checks: the rendered
 * freshtrack-drill against the point-in-time lab (test/drillHarness.ts says how it runs, as the backup container).
 * Locks, signals and leftovers: test/drillRuns.servers.test.ts.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import {
    DRILL_EXIT,
    DRILL_SETTLE_SECONDS,
    drillMetricFile,
    parseDrillSummary,
} from "../components/services/drillScript";
import {
    DRILL_DURATION_METRIC,
    DRILL_KINDS,
    DRILL_RECOVERY_POINT_METRIC,
    DRILL_RUN_METRIC,
    DRILL_SUCCESS_METRIC,
} from "../components/services/pitrNames";
import { shellcheck } from "./localServers";
import { describeAsRoot, promtoolCheck, readMetrics, sleep, useDrillLab } from "./drillHarness";

describeAsRoot(
    "restore drills on a real PostgreSQL: what each kind restores and checks (issue 18, item 4)",
    function () {
        this.timeout(300000);
        const h = useDrillLab();
        const { dirs, drill, summaryOf, expectNothingLeft } = h;

        it("the drill script passes shellcheck as POSIX sh (rung 3)", () => {
            const result = shellcheck(h.script);
            expect(result.status, result.stdout).to.equal(0);
        });

        it("restores the newest base backup with its log and the newest dump, compares them with live, records both kinds", () => {
            const l = h.lab();
            // No margin: every live row after the recovery point would count as missing from the log; the lab has none.
            const run = drill([], { POINT_IN_TIME_DAYS: "7", DRILL_SETTLE_SECONDS: "0" });
            expect(run.status, run.output).to.equal(0);
            expectNothingLeft();
            expect(run.output).to.match(
                /freshtrack-drill: pitr: readings: no live row with at between the recovery point and [\d: -]+ UTC is missing from the log/,
            );
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
            // The dump was taken after the last write, the log holds (nearly) every commit: both see (nearly) all.
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
                expect(
                    values.get(DRILL_SUCCESS_METRIC),
                    "a passed drill: success and run are the same instant",
                ).to.equal(ran);
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
            const l = h.lab();
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
            const l = h.lab();
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
            const l = h.lab();
            l.psql("freshtrack", "CREATE TABLE alerts (created_at timestamptz)");
            try {
                const run = drill(["dump"], { DRILL_TABLES: "readings:at alerts:created_at audit_log:created_at" });
                expect(run.status, run.output).to.equal(DRILL_EXIT.failed);
                expect(run.output).to.contain(
                    "freshtrack-drill: dump: FAILED: alerts: in live but not in the restored copy",
                );
                expect(run.output).to.contain("freshtrack-drill: dump: audit_log: skipped: no such table");
                expect(run.output).to.match(
                    /freshtrack-drill: dump: readings: \d+ rows .* the same in the restored copy/,
                );
                expect(summaryOf("dump")!.detail).to.equal("alerts: in live but not in the restored copy");
            } finally {
                l.psql("freshtrack", "DROP TABLE alerts");
            }
        });

        // The attack pass on issue 18: with the receiver down, the pitr kind restored the log it had, matched live up
        // to that log's end, and passed; and no test had a live row after the recovery point, so a drill comparing
        // every row (not only those at or before the point) passed too.
        it("the pitr kind fails when live holds rows older than DRILL_SETTLE_SECONDS that the log does not (receiver down)", () => {
            const l = h.lab();
            // The lab's receiver was stopped after the kill: a row written now reaches live and never the log. Live
            // sessions in a zone east of UTC: the check's times must say their own zone (UTC), not take the server's.
            l.psql("freshtrack", "INSERT INTO readings (at, celsius) VALUES (now() - interval '2 seconds', 8.8)");
            l.psql("postgres", "ALTER DATABASE freshtrack SET timezone TO 'Asia/Kolkata'");
            try {
                const strict = drill(["all"], { POINT_IN_TIME_DAYS: "7", DRILL_SETTLE_SECONDS: "0" });
                expect(strict.status, strict.output).to.equal(DRILL_EXIT.failed);
                expect(strict.output).to.match(
                    /freshtrack-drill: pitr: FAILED: readings: 1 rows in live with at after the recovery point \([\d: .-]+ UTC\) and at or before [\d: -]+ UTC are not in the log: .*is the WAL receiver streaming\?/,
                );
                expect(summaryOf("pitr")!.outcome).to.equal("failed");
                expect(
                    summaryOf("dump")!.outcome,
                    "a dump is a day behind by design: the dump kind has no such check",
                ).to.equal("passed");
                expectNothingLeft();
                // The same row within the margin: a receiver a little behind, or a reading still on its way, passes.
                const settled = drill(["pitr"], { POINT_IN_TIME_DAYS: "7", DRILL_SETTLE_SECONDS: "3600" });
                expect(settled.status, settled.output).to.equal(0);
                expect(settled.output).to.contain(
                    "freshtrack-drill: pitr: readings: the recovery point is less than 3600 s before the drill began",
                );
                expect(summaryOf("pitr")!.outcome).to.equal("passed");
            } finally {
                l.psql("postgres", "ALTER DATABASE freshtrack RESET timezone");
                l.psql("freshtrack", "DELETE FROM readings WHERE celsius = 8.8");
            }
        });

        it("a pitr drill with no base backup left, after earlier pitr drills, fails instead of skipping", () => {
            const empty = fs.mkdtempSync(path.join(h.made(), "no-base-"));
            expect(summaryOf("pitr"), "an earlier pitr drill ran here").to.not.equal(undefined);
            const run = drill(["pitr"], { BASE_DIR: empty });
            expect(run.status, run.output).to.equal(DRILL_EXIT.failed);
            expect(run.output).to.match(
                /pitr: FAILED: freshtrack-pitr-restore --latest failed \(exit 3\): there is no complete base backup/,
            );
            expect(summaryOf("pitr")!.outcome).to.equal("failed");
            expectNothingLeft();
        });

        it("the dump kind checks the newest dump the backup service took, not a point-in-time restore's newer one", () => {
            const l = h.lab();
            const dumps = path.join(l.dirs.archive, "postgres");
            const copy = fs.mkdtempSync(path.join(h.made(), "pitr-dumps-"));
            const good = fs.readdirSync(dumps).find((f) => f.endsWith(".dump") && !f.startsWith("freshtrack-pitr-"))!;
            fs.copyFileSync(path.join(dumps, good), path.join(copy, good));
            const hourAgo = new Date(Date.now() - 3600_000);
            fs.utimesSync(path.join(copy, good), hourAgo, hourAgo);
            // Newer, and unreadable: checked, it would fail the drill.
            fs.writeFileSync(path.join(copy, "freshtrack-pitr-20260101T000000Z-29991231T000000Z.dump"), "not a dump");
            const run = drill(["dump"], { BACKUP_DIR: copy });
            expect(run.status, run.output).to.equal(0);
            expect(run.output).to.contain(`dump: ${path.join(copy, good)}; recovery point`);
            expectNothingLeft();
        });

        // The attack pass on issue 18: a drill that took the oldest dump, or compared only the number of rows, passed.
        it("checks the newest dump, not an older good one: a damaged newest dump fails the dump kind", () => {
            const l = h.lab();
            const dumps = path.join(l.dirs.archive, "postgres");
            const copy = fs.mkdtempSync(path.join(h.made(), "dumps-"));
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
            const l = h.lab();
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

        it("the pitr kind's margin is the five minutes docs/operations.md promises, and the script's default (rung 1)", () => {
            expect(DRILL_SETTLE_SECONDS).to.equal(5 * 60);
            expect(h.script).to.contain(`settle=\${DRILL_SETTLE_SECONDS:-${DRILL_SETTLE_SECONDS}}`);
            const ops = fs
                .readFileSync(path.join(__dirname, "..", "docs", "operations.md"), "utf8")
                .replace(/\s+/g, " ");
            expect(ops).to.contain("more than five minutes before the drill began");
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
    },
);
