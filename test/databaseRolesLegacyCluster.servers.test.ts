/**
 * Rung 4 (real PostgreSQL on 127.0.0.1) for issue 15, finding 12: "the app gets a database role that is not a
 * superuser", on a cluster initialised the old way (POSTGRES_USER=freshtrack), where the migrations ran as that
 * bootstrap superuser and own every object, with rows in them. The database-grant job's own command and SQL must leave
 * the application's role non-superuser, owning everything the migrations made, able to migrate, and unable to reach
 * beyond its database, with every row kept; a second run must change nothing. The clusters and the job's runner are in
 * test/databaseRolesFixtures.ts.
 */
import { expect } from "chai";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DATABASE } from "../components/services/context";
import { renderBackupScript, renderRestoreScript } from "../components/services/backupScripts";
import { postgresBin } from "./localServers";
import {
    asApp,
    attributes,
    Cluster,
    dataFingerprint,
    expectAppCanMigrateAndNoMore,
    expectJobSucceeds,
    OLD_MIGRATIONS,
    ownersInAppSchemas,
    PASSWORDS,
    psql,
    R,
    runJob,
    serverVersion,
    startCluster,
    stopCluster,
    su,
} from "./databaseRolesFixtures";

describe("the self-hosted PostgreSQL's roles, made by the database-grant job on a real server (rung 4: real server)", function () {
    this.timeout(60_000);

    describe("a cluster initialised the old way (POSTGRES_USER=freshtrack), its migrations run as that superuser", () => {
        let c: Cluster | undefined;
        let before_: { owners: string[]; data: string };
        before(async function () {
            c = await startCluster(R.legacySuperuser, PASSWORDS.legacy);
            su(c, OLD_MIGRATIONS);
            before_ = { owners: ownersInAppSchemas(c), data: dataFingerprint(c) };
        });
        after(() => stopCluster(c));

        it("starts where such a stack is: the application logs in as the bootstrap superuser, which owns everything", () => {
            expect(su(c!, "SELECT oid FROM pg_roles WHERE rolname = current_user")).to.equal("10");
            expect(attributes(c!, R.legacySuperuser)).to.equal("t,t,t,t,t,t");
            expect(before_.owners.length).to.be.greaterThan(40);
            expect(before_.owners.filter((o) => !o.endsWith(` ${R.legacySuperuser}`))).to.deep.equal([]);
        });

        it("PostgreSQL refuses REASSIGN OWNED from the bootstrap superuser, and (16+) taking its SUPERUSER: hence a new role", () => {
            const sql = `CREATE ROLE reassign_target; REASSIGN OWNED BY ${c!.bootstrap} TO reassign_target`;
            const reassign = psql(c!, c!.bootstrap, c!.bootstrapPassword, DATABASE.name, sql);
            expect(reassign.status).to.not.equal(0);
            expect(reassign.stderr).to.contain(
                `cannot reassign ownership of objects owned by role ${c!.bootstrap} because they are required by the database system`,
            );
            if (serverVersion(c!) >= 160000) {
                const demote = psql(
                    c!,
                    c!.bootstrap,
                    c!.bootstrapPassword,
                    DATABASE.name,
                    `ALTER ROLE ${c!.bootstrap} NOSUPERUSER`,
                );
                expect(demote.status).to.not.equal(0);
                expect(demote.stderr).to.contain("The bootstrap superuser must have the SUPERUSER attribute.");
            }
            // On 15 the ALTER would succeed and leave the cluster without its superuser: not tried here.
        });

        it("does all or nothing: a lock it cannot get within lock_timeout fails the job and leaves every role and owner as it was", async () => {
            // The previous version still serving: a session holding a lock on a table the job must give away.
            const holder: ChildProcess = spawn(
                postgresBin("psql"),
                ["-X", "-q", "-h", "127.0.0.1", "-p", String(c!.port), "-U", c!.bootstrap, "-d", DATABASE.name],
                {
                    env: { ...process.env, PGPASSWORD: c!.bootstrapPassword, PGAPPNAME: "lock-holder" },
                    stdio: ["pipe", "ignore", "ignore"],
                },
            );
            try {
                holder.stdin!.write("BEGIN; LOCK TABLE readings IN ACCESS SHARE MODE; SELECT pg_sleep(30);\n");
                const deadline = Date.now() + 10_000;
                while (
                    su(
                        c!,
                        "SELECT count(*) FROM pg_locks l JOIN pg_class r ON r.oid = l.relation WHERE r.relname = 'readings' AND l.granted",
                    ) === "0"
                ) {
                    if (Date.now() > deadline) throw new Error("the lock holder never got its lock");
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                const job = runJob(c!);
                expect(job.status).to.not.equal(0);
                expect(job.stderr).to.contain("canceling statement due to lock timeout");
            } finally {
                // pg_sleep does not notice its client going away: end the session on the server, and wait until it has.
                su(
                    c!,
                    "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE application_name = 'lock-holder'",
                );
                holder.kill("SIGTERM");
            }
            expect(
                su(c!, `SELECT count(*) FROM pg_roles WHERE rolname IN ('${R.app}', '${R.backup}', '${R.monitor}')`),
            ).to.equal("0");
            expect(ownersInAppSchemas(c!)).to.deep.equal(before_.owners);
        });

        it("gives every object the migrations made to the application's role, and keeps every row", () => {
            const job = expectJobSucceeds(c!);
            expect(job.stderr).to.equal("");
            const after = ownersInAppSchemas(c!);
            expect(after.map((o) => o.replace(/ \S+$/, ""))).to.deep.equal(
                before_.owners.map((o) => o.replace(/ \S+$/, "")),
            );
            expect(after.filter((o) => !o.endsWith(` ${R.app}`))).to.deep.equal([]);
            expect(dataFingerprint(c!)).to.equal(before_.data);
            // pgcrypto stays its creator's: an extension has no ALTER ... OWNER, and its functions stay usable by
            // everyone.
            expect(su(c!, "SELECT pg_get_userbyid(extowner) FROM pg_extension WHERE extname = 'pgcrypto'")).to.equal(
                R.legacySuperuser,
            );
        });

        it("leaves the application's role able to migrate the existing schema and use its data, and nothing more", () => {
            expectAppCanMigrateAndNoMore(c!, { table: "readings" });
            for (const sql of [
                "INSERT INTO units (name, kind) VALUES ('blast chiller', 'freezer')",
                "INSERT INTO readings (unit_id, value) VALUES (3, -18.5)",
                "SELECT nextval('invoice_numbers')",
                "REFRESH MATERIALIZED VIEW daily",
                "CALL purge(100000)",
                "SELECT celsius_max(value) FROM readings",
                "SELECT encode(digest('x', 'sha256'), 'hex')",
                "ALTER TYPE unit_kind ADD VALUE IF NOT EXISTS 'display'",
                "CREATE TABLE drizzle.applied_by_app (id int)",
                "ALTER TABLE events ADD COLUMN IF NOT EXISTS note text",
                "CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')",
                "SELECT lo_unlink(424242)",
            ]) {
                const result = asApp(c!, sql);
                expect(result.status, `${sql}\n${result.stderr}`).to.equal(0);
            }
        });

        it("leaves the old superuser as it was, so the running version keeps serving until it is replaced", () => {
            expect(attributes(c!, R.legacySuperuser)).to.equal("t,t,t,t,t,t");
            const old = psql(
                c!,
                R.legacySuperuser,
                PASSWORDS.legacy,
                DATABASE.name,
                "SELECT count(*) > 0 FROM readings",
            );
            expect(old.status, old.stderr).to.equal(0);
        });

        it("changes nothing when it runs again (before every migration)", () => {
            const snapshot = () =>
                su(
                    c!,
                    `SELECT string_agg(x, ' ' ORDER BY x) FROM (
                        SELECT rolname || ':' || xmin FROM pg_authid WHERE rolname IN ('${R.app}', '${R.backup}', '${R.monitor}')
                        UNION ALL SELECT roleid::regrole || '>' || member::regrole || ':' || xmin FROM pg_auth_members
                        UNION ALL SELECT datname || ':' || xmin FROM pg_database WHERE datname = current_database()
                        UNION ALL SELECT relname || ':' || xmin FROM pg_class WHERE relnamespace = 'public'::regnamespace) AS rows(x)`,
                );
            const once = snapshot();
            const again = expectJobSucceeds(c!);
            expect(again.stderr).to.equal("");
            expect(snapshot()).to.equal(once);
        });

        it("restores as the backup role into a database the application's role owns, ending the application's sessions", async function () {
            if (
                serverVersion(c!) >= 160000 &&
                !postgresBin("pg_dump").includes("/16/") &&
                !postgresBin("pg_dump").includes("/17/")
            ) {
                this.skip(); // Debian's pg_dump refuses a newer server
            }
            const pgBin = path.dirname(postgresBin("pg_dump"));
            const backups = fs.mkdtempSync(path.join(c!.dir, "backups-"));
            const passwordFile = path.join(c!.dir, "backup-password");
            fs.writeFileSync(passwordFile, PASSWORDS.backup);
            const env = {
                PATH: `${pgBin}:${process.env.PATH}`,
                BACKUP_DIR: backups,
                RETENTION_DAYS: "7",
                DATABASE_HOST: "127.0.0.1",
                DATABASE_PORT: String(c!.port),
                DATABASE_NAME: DATABASE.name,
                DATABASE_USER: R.backup,
                DATABASE_PASSWORD_FILE: passwordFile,
                DATABASE_SSLMODE: "disable",
                DATABASE_OWNER_ROLE: R.app,
            };
            const backup = spawnSync("sh", ["-c", renderBackupScript(), "freshtrack-backup", "scheduled"], {
                encoding: "utf8",
                env,
            });
            expect(backup.status, backup.stderr).to.equal(0);
            const data = dataFingerprint(c!);
            // A session of the application, as PgBouncer's would be: the swap must end it.
            const sessionArgs = [
                "-X",
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                String(c!.port),
                "-U",
                R.app,
                "-d",
                DATABASE.name,
                "-c",
                "SELECT pg_sleep(30)",
            ];
            const session = spawn(postgresBin("psql"), sessionArgs, {
                env: { ...process.env, PGPASSWORD: PASSWORDS.app },
                stdio: "ignore",
            });
            const ended = new Promise<number | null>((resolve) => session.once("exit", resolve));
            const deadline = Date.now() + 10_000;
            while (
                su(
                    c!,
                    `SELECT count(*) FROM pg_stat_activity WHERE usename = '${R.app}' AND query LIKE '%pg_sleep%'`,
                ) === "0"
            ) {
                if (Date.now() > deadline) throw new Error("the application's session never started");
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            const restore = spawnSync("sh", ["-c", renderRestoreScript(), "freshtrack-restore"], {
                encoding: "utf8",
                env,
            });
            expect(restore.status, restore.stderr).to.equal(0);
            expect(await ended, "the application's session was ended by the swap").to.not.equal(0);
            expect(dataFingerprint(c!)).to.equal(data);
            const owners = ownersInAppSchemas(c!).filter((o) => !o.startsWith("large object"));
            expect(
                owners.filter((o) => !o.endsWith(` ${R.app}`)),
                "the restored database and everything in it are the application's",
            ).to.deep.equal([]);
            expectAppCanMigrateAndNoMore(c!, { table: "readings" });
            const keptSql = `SELECT string_agg(pg_get_userbyid(datdba), ',') FROM pg_database WHERE datname LIKE '${DATABASE.name}_before_restore_%'`;
            const kept = su(c!, keptSql, "postgres");
            expect(kept).to.equal(R.app);
        });
    });
});
