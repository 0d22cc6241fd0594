/**
 * The backup, restore and rollback-export scripts as rendered, run against a real PostgreSQL on 127.0.0.1 (rung 4:
 * Debian's postgresql and its pg_dump, installed by .ci/run; the server is started by test/dataTierFixtures.ts).
 * PgBouncer and Redis are in test/dataTierConfig.servers.test.ts.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DATABASE } from "../components/services/context";
import { renderExportScript } from "../operator/rollbackPlan";
import { KEPT_DATABASES, renderBackupScript, renderRestoreScript } from "../components/services/backupScripts";
import { IS_ROOT, postgresBin, shellcheck } from "./localServers";
import { Postgres, startPostgres, stopPostgres } from "./dataTierFixtures";

describe("data tier configuration run by the real servers", function () {
    this.timeout(60000);

    describe("PostgreSQL, with PgBouncer in front", () => {
        const password = `pw-${Date.now()}-"quoted"`;
        let pg: Postgres | undefined;
        let dir: string;
        let pgPort: number;

        // These tests connect to PostgreSQL itself, never through PgBouncer, so PgBouncer is not started here.
        before(async () => {
            pg = await startPostgres(password);
            ({ dir, pgPort } = pg);
        });

        after(() => stopPostgres(pg));

        describe("backup and restore scripts", () => {
            const pgBin = () => path.dirname(postgresBin("pg_dump"));
            const runScript = (script: string, args: string[], env: Record<string, string>, pw = password) => {
                const pwFile = path.join(dir, `pw-${Date.now()}-${Math.random()}`);
                fs.writeFileSync(pwFile, pw);
                return spawnSync("sh", ["-c", script, "freshtrack", ...args], {
                    encoding: "utf8",
                    env: {
                        PATH: `${pgBin()}:${process.env.PATH}`,
                        APP_VERSION: "1.5.0",
                        RETENTION_DAYS: "7",
                        DATABASE_HOST: "127.0.0.1",
                        DATABASE_PORT: String(pgPort),
                        DATABASE_NAME: DATABASE.name,
                        DATABASE_USER: DATABASE.user,
                        DATABASE_SSLMODE: "disable",
                        DATABASE_PASSWORD_FILE: pwFile,
                        ...env,
                    },
                });
            };
            const query = (db: string, sql: string) =>
                spawnSync(
                    postgresBin("psql"),
                    [
                        "-X",
                        "-A",
                        "-t",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        String(pgPort),
                        "-U",
                        DATABASE.user,
                        "-d",
                        db,
                        "-c",
                        sql,
                    ],
                    { encoding: "utf8", env: { ...process.env, PGPASSWORD: password } },
                ).stdout.trim();
            /** Rows and an order-independent checksum of the readings table. */
            const fingerprint = (db: string = DATABASE.name) =>
                query(
                    db,
                    "select count(*) || ':' || coalesce(md5(string_agg(r::text, ',' order by id)), '-') from readings r",
                );
            const databases = () =>
                query(
                    "postgres",
                    "select string_agg(datname, ',' order by datname) from pg_database where datname like 'freshtrack%'",
                );

            it("pass shellcheck as POSIX sh", () => {
                for (const [name, script] of [
                    ["backup", renderBackupScript()],
                    ["restore", renderRestoreScript()],
                ] as const) {
                    const result = shellcheck(script);
                    expect(result.status, `${name}: ${result.stdout}`).to.equal(0);
                }
            });

            it("load, dump, drop, restore: the newest dump brings back every row with the same checksum, and the damaged database is kept", () => {
                expect(
                    query(
                        DATABASE.name,
                        "create table readings (id serial primary key, sensor text, celsius numeric, at timestamptz default now()); insert into readings (sensor, celsius) select 'fridge-' || (g % 40), 2 + (g % 7) * 0.5 from generate_series(1, 20000) g; select 'ok'",
                    ),
                ).to.contain("ok");
                const original = fingerprint();
                const backups = path.join(dir, "backups");
                const textfile = path.join(dir, "textfile");
                fs.mkdirSync(textfile);
                const started = Date.now();
                const backup = runScript(renderBackupScript(), ["scheduled"], {
                    BACKUP_DIR: backups,
                    TEXTFILE_DIR: textfile,
                });
                const backupMs = Date.now() - started;
                expect(backup.status, backup.stderr).to.equal(0);
                const dumps = fs.readdirSync(backups);
                expect(dumps).to.have.length(1);
                expect(dumps[0]).to.match(/^freshtrack-scheduled-1\.5\.0-\d{8}T\d{6}Z\.dump$/);
                expect(
                    runScript(renderBackupScript(), ["scheduled"], {
                        BACKUP_DIR: path.join(dir, "unversioned"),
                        APP_VERSION: "",
                    }).status,
                ).to.equal(0);
                expect(fs.readdirSync(path.join(dir, "unversioned"))[0]).to.match(
                    /^freshtrack-scheduled-\d{8}T\d{6}Z\.dump$/,
                );
                const bytes = fs.statSync(path.join(backups, dumps[0]!)).size;
                expect(fs.readFileSync(path.join(textfile, "freshtrack_backup.prom"), "utf8")).to.match(
                    /^freshtrack_backup_last_success_timestamp_seconds \d{10}$/m,
                );

                query(DATABASE.name, "drop table readings");
                expect(
                    query(DATABASE.name, "select to_regclass('public.readings') is null"),
                    "the table is gone",
                ).to.equal("t");

                const restoreStarted = Date.now();
                const restore = runScript(renderRestoreScript(), [], { BACKUP_DIR: backups });
                const restoreMs = Date.now() - restoreStarted;
                expect(restore.status, restore.stderr).to.equal(0);
                expect(fingerprint()).to.equal(original);
                expect(restore.stdout).to.match(/the previous database is kept as freshtrack_before_restore_\d{14}/);
                const kept = /kept as (\S+)/.exec(restore.stdout)![1]!;
                expect(
                    query(kept, "select to_regclass('public.readings') is null"),
                    "the damaged database is kept, as it was",
                ).to.equal("t");
                console.log(
                    `      backup/restore: ${original.split(":")[0]} rows, dump ${bytes} bytes, backup ${backupMs} ms, restore ${restoreMs} ms`,
                );
            });

            it("refuses a truncated dump with a clear error and leaves the database as it was", () => {
                const backups = path.join(dir, "backups-corrupt");
                fs.mkdirSync(backups);
                expect(runScript(renderBackupScript(), ["scheduled"], { BACKUP_DIR: backups }).status).to.equal(0);
                const dump = path.join(backups, fs.readdirSync(backups)[0]!);
                fs.truncateSync(dump, Math.floor(fs.statSync(dump).size / 2));
                const before = { data: fingerprint(), dbs: databases() };
                const result = runScript(renderRestoreScript(), [dump], { BACKUP_DIR: backups });
                expect(result.status).to.equal(3);
                expect(result.stderr).to.contain(
                    "it is not a readable pg_dump archive (truncated or corrupt); the database was not touched",
                );
                expect({ data: fingerprint(), dbs: databases() }).to.deep.equal(before);
            });

            it("refuses garbage that looks like a dump, and a missing file, leaving the database as it was", () => {
                const backups = path.join(dir, "backups-garbage");
                fs.mkdirSync(backups);
                const fake = path.join(backups, "freshtrack-scheduled-x-20990101T000000Z.dump");
                fs.writeFileSync(fake, "PGDMP this is not an archive");
                const before = { data: fingerprint(), dbs: databases() };
                expect(runScript(renderRestoreScript(), [fake], { BACKUP_DIR: backups }).status).to.equal(3);
                expect(
                    runScript(renderRestoreScript(), [path.join(backups, "nope.dump")], { BACKUP_DIR: backups }).status,
                ).to.equal(2);
                expect({ data: fingerprint(), dbs: databases() }).to.deep.equal(before);
            });

            it("keeps dumps younger than the retention and deletes exactly those older", () => {
                const backups = path.join(dir, "backups-retention");
                fs.mkdirSync(backups);
                const day = 24 * 3600 * 1000;
                const ages: Record<string, number> = {
                    "freshtrack-scheduled-a-1.dump": 8 * day,
                    "freshtrack-scheduled-a-2.dump": 7 * day + 30 * 60 * 1000,
                    "freshtrack-scheduled-a-3.dump": 7 * day - 30 * 60 * 1000,
                    "freshtrack-scheduled-a-4.dump": day,
                    "unrelated.txt": 30 * day,
                };
                for (const [file, age] of Object.entries(ages)) {
                    fs.writeFileSync(path.join(backups, file), "x");
                    const t = new Date(Date.now() - age);
                    fs.utimesSync(path.join(backups, file), t, t);
                }
                expect(runScript(renderBackupScript(), ["scheduled"], { BACKUP_DIR: backups }).status).to.equal(0);
                const left = fs
                    .readdirSync(backups)
                    .filter((f) => !f.startsWith("freshtrack-scheduled-1.5.0"))
                    .sort();
                // 7 days 30 minutes is older than 7 days: gone. 6 days 23.5 hours: kept. Files that are not dumps:
                // untouched.
                expect(left).to.deep.equal([
                    "freshtrack-scheduled-a-3.dump",
                    "freshtrack-scheduled-a-4.dump",
                    "unrelated.txt",
                ]);
            });

            it("rollback export: writes each table's rows since the version went live as CSV, and skips missing tables", () => {
                query(
                    DATABASE.name,
                    "create table sensor_readings (id serial, sensor text, recorded_at timestamptz); create table alerts (id serial, sensor text, created_at timestamptz)",
                );
                query(
                    DATABASE.name,
                    "insert into sensor_readings (sensor, recorded_at) select 's' || g, timestamptz '2026-11-01 00:00+00' + g * interval '1 minute' from generate_series(1, 600) g",
                );
                query(
                    DATABASE.name,
                    "insert into alerts (sensor, created_at) values ('s1', '2026-11-01 01:00+00'), ('s2', '2026-11-01 09:30+00')",
                );
                const exportDir = path.join(dir, "rollback-export");
                const script = renderExportScript([
                    { table: "sensor_readings", column: "recorded_at" },
                    { table: "alerts", column: "created_at" },
                    { table: "audit_log", column: "created_at" },
                ]);
                // Issue 15, finding 18: the exports hold customers' readings, so the script makes them private whatever
                // the caller's umask.
                const previous = process.umask(0o022);
                let result: ReturnType<typeof runScript>;
                try {
                    result = runScript(script, [], { EXPORT_DIR: exportDir, SINCE: "2026-11-01T08:00:00Z" });
                } finally {
                    process.umask(previous);
                }
                expect(result.status, result.stderr).to.equal(0);
                expect(
                    fs.statSync(path.join(exportDir, "alerts.csv")).mode & 0o077,
                    "no access for group or others",
                ).to.equal(0);
                // 08:00 is minute 480 of 600: rows 480..600 inclusive.
                expect(result.stdout).to.contain("export: sensor_readings: 121 rows since 2026-11-01T08:00:00Z");
                expect(result.stdout).to.contain("export: alerts: 1 rows since");
                expect(result.stdout).to.contain("export: table audit_log does not exist; skipped");
                const csv = fs.readFileSync(path.join(exportDir, "alerts.csv"), "utf8").trim().split("\n");
                expect(csv[0]).to.equal("id,sensor,created_at");
                expect(csv[1]).to.match(/^2,s2,2026-11-01 09:30:00/);
            });

            it("fails, and leaves no file that looks like a backup, when the database refuses it", () => {
                const backups = path.join(dir, "backups-refused");
                fs.mkdirSync(backups);
                const result = runScript(
                    renderBackupScript(),
                    ["scheduled"],
                    { BACKUP_DIR: backups },
                    "wrong password",
                );
                expect(result.status).to.not.equal(0);
                expect(fs.readdirSync(backups)).to.deep.equal([]);
            });

            // Issue 15, finding 18 (data at rest). Rung 4: the rendered script on the real server, run with the
            // permissive umask most shells have, so the modes come from the script alone.
            it("writes dumps for their owner only (0600 in a 0700 directory), whatever the caller's umask, and the metric for everyone", () => {
                const backups = path.join(dir, "backups-modes");
                const textfile = path.join(dir, "textfile-modes");
                fs.mkdirSync(backups);
                fs.chmodSync(backups, 0o755);
                fs.mkdirSync(textfile);
                const previous = process.umask(0o022);
                let result: ReturnType<typeof runScript>;
                try {
                    result = runScript(renderBackupScript(), ["scheduled"], {
                        BACKUP_DIR: backups,
                        TEXTFILE_DIR: textfile,
                    });
                } finally {
                    process.umask(previous);
                }
                expect(result.status, result.stderr).to.equal(0);
                const dump = path.join(backups, fs.readdirSync(backups)[0]!);
                const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);
                expect({
                    dump: mode(dump),
                    dir: mode(backups),
                    metric: mode(path.join(textfile, "freshtrack_backup.prom")),
                }).to.deep.equal({ dump: "600", dir: "700", metric: "644" });
                if (IS_ROOT) {
                    // Another user of the host (here: nobody) can read neither the dump nor anything else in the
                    // directory.
                    const asNobody = spawnSync("runuser", ["-u", "nobody", "--", "cat", dump], { encoding: "utf8" });
                    expect(asNobody.status).to.not.equal(0);
                    expect(asNobody.stderr).to.match(/Permission denied/);
                }
            });

            // Issue 15, finding 16: rollback exports get the retention of the dumps they go with.
            it("prunes rollback exports older than the retention with the dumps, and keeps the newer ones", () => {
                const backups = path.join(dir, "backups-exports");
                const day = 24 * 3600 * 1000;
                for (const [name, age] of [
                    ["rollback-1.4.0-to-1.3.9-old", 8 * day],
                    ["rollback-1.4.2-to-1.4.0-new", day],
                ] as const) {
                    fs.mkdirSync(path.join(backups, name, "nested"), { recursive: true });
                    fs.writeFileSync(path.join(backups, name, "readings.csv"), "id\n1\n");
                    const t = new Date(Date.now() - age);
                    fs.utimesSync(path.join(backups, name), t, t);
                }
                const result = runScript(renderBackupScript(), ["scheduled"], { BACKUP_DIR: backups });
                expect(result.status, result.stderr).to.equal(0);
                expect(fs.readdirSync(backups).filter((f) => f.startsWith("rollback-"))).to.deep.equal([
                    "rollback-1.4.2-to-1.4.0-new",
                ]);
            });

            /**
             * A `psql` on PATH that dies between the two renames of the restore swap, however the script sends
             * them: as separate `psql -c` runs (the process is gone before the second), or as one script on stdin
             * (its session is terminated by the server between the two statements, the way a crash or a lost
             * connection ends it).
             */
            const dyingPsql = (bin: string, state: string) => {
                fs.mkdirSync(bin, { recursive: true });
                fs.writeFileSync(
                    path.join(bin, "psql"),
                    `#!/bin/sh
for a in "$@"; do
  case "$a" in *"RENAME TO"*) if [ -e '${state}' ]; then exit 137; fi; : >'${state}';; esac
done
case " $* " in *" -c "*) exec '${postgresBin("psql")}' "$@";; esac
tmp=$(mktemp)
awk '/RENAME TO/ { n++; if (n == 2) print "SELECT pg_terminate_backend(pg_backend_pid());" } { print }' >"$tmp"
'${postgresBin("psql")}' "$@" <"$tmp"
rc=$?
rm -f "$tmp"
exit $rc
`,
                    { mode: 0o755 },
                );
            };

            // Issue 15, finding 16. Rung 4: the rendered restore script against the real server, killed mid-swap.
            it("a restore killed between the two renames of the swap leaves the live database as it was, never no database", () => {
                const backups = path.join(dir, "backups-swap");
                fs.mkdirSync(backups);
                expect(runScript(renderBackupScript(), ["scheduled"], { BACKUP_DIR: backups }).status).to.equal(0);
                query(
                    DATABASE.name,
                    "create table if not exists swap_marker (note text); insert into swap_marker values ('written after the dump')",
                );
                const before = databases();
                const bin = path.join(dir, "dying-psql");
                dyingPsql(bin, path.join(dir, "dying-psql.state"));
                const result = runScript(renderRestoreScript(), [], {
                    BACKUP_DIR: backups,
                    PATH: `${bin}:${pgBin()}:${process.env.PATH}`,
                });
                expect(result.status, "the restore reports the failure").to.not.equal(0);
                expect(databases().split(","), "a database of the live name exists").to.include(DATABASE.name);
                expect(
                    query(DATABASE.name, "select note from swap_marker"),
                    "and it is the live one, untouched",
                ).to.equal("written after the dump");
                expect(databases(), "no kept or half-restored database is left behind").to.equal(before);
                expect(result.stderr).to.contain("nothing changed");
            });

            it(`keeps the newest ${KEPT_DATABASES} kept databases after a restore and drops the older ones`, () => {
                for (const stamp of ["20200101000000", "20200102000000", "20200103000000", "20200104000000"])
                    query("postgres", `create database ${DATABASE.name}_before_restore_${stamp}`);
                const kept = () =>
                    databases()
                        .split(",")
                        .filter((d) => d.startsWith(`${DATABASE.name}_before_restore_`));
                const backups = path.join(dir, "backups-keep");
                fs.mkdirSync(backups);
                expect(runScript(renderBackupScript(), ["scheduled"], { BACKUP_DIR: backups }).status).to.equal(0);
                const existing = kept();
                const result = runScript(renderRestoreScript(), [], { BACKUP_DIR: backups });
                expect(result.status, result.stderr).to.equal(0);
                const added = /kept as (\S+)/.exec(result.stdout)![1]!;
                const expected = [...existing, added].sort().reverse().slice(0, KEPT_DATABASES).sort();
                expect(kept().sort()).to.deep.equal(expected);
                expect(kept()).to.not.include(`${DATABASE.name}_before_restore_20200101000000`);
                expect(result.stdout).to.match(
                    new RegExp(
                        `dropped ${DATABASE.name}_before_restore_20200101000000: only the newest ${KEPT_DATABASES} kept databases are kept`,
                    ),
                );
            });
        });
    });
});
