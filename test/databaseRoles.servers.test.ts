/**
 * Rung 4 (real PostgreSQL on 127.0.0.1) for issue 15, finding 12: "the app gets a database role that is not a
 * superuser", on the self-hosted PostgreSQL. The database-grant job's own command (DATABASE_ROLES_COMMAND) and SQL
 * (renderDatabaseRoles) run against two clusters:
 * - one initialised as the postgres image does it now (POSTGRES_USER=postgres, POSTGRES_DB=freshtrack), and
 * - one initialised the old way (POSTGRES_USER=freshtrack), where the migrations ran as that bootstrap superuser and
 *   own every object, with rows in them.
 * Both must end with the application's role non-superuser, owning everything the migrations made, able to migrate,
 * and unable to reach beyond its database; a second run must change nothing; and the job must fail loudly.
 *
 * The server is Debian's newest installed PostgreSQL (test/localServers.ts; 15 on bookworm). The stack runs 17, which
 * differs in one fact checked here: 16+ refuses to take SUPERUSER from the bootstrap superuser. To run the same file
 * against another server build, point FRESHTRACK_TEST_PG_SERVER_BIN at its bin directory (initdb, pg_ctl, postgres);
 * the clients stay Debian's. Only the connection differs from the container: 127.0.0.1, and scratch paths for the SQL
 * and password files instead of ROLES_SQL_PATH and SUPERUSER_PASSWORD_FILES.
 */
import { expect } from "chai";
import { ChildProcess, execFileSync, spawn, spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DATABASE, DATABASE_ROLES } from "../components/services/context";
import { renderBackupScript, renderRestoreScript } from "../components/services/backupScripts";
import {
    DATABASE_ROLES_COMMAND,
    renderDatabaseRoles,
    ROLES_SQL_PATH,
    scramSha256Verifier,
    SUPERUSER_PASSWORD_FILES,
} from "../components/services/postgres";
import { asPostgres, freePort, IS_ROOT, postgresBin } from "./localServers";

const SERVER_BIN = process.env.FRESHTRACK_TEST_PG_SERVER_BIN;
const serverBin = (name: string) => (SERVER_BIN ? path.join(SERVER_BIN, name) : postgresBin(name));
const R = DATABASE_ROLES;
const stamp = Date.now().toString(36);
/** Printable ASCII, as the generated passwords are (alphanumeric). */
const PASSWORDS = {
    superuser: `su${stamp}A`,
    legacy: `legacy${stamp}B`,
    app: `app${stamp}C`,
    backup: `backup${stamp}D`,
    monitor: `monitor${stamp}E`,
};

interface Cluster {
    readonly dir: string;
    readonly port: number;
    /** The bootstrap superuser: `postgres` (as the image does it now) or `freshtrack` (as it did before). */
    readonly bootstrap: string;
    readonly bootstrapPassword: string;
}

function psql(c: Cluster, user: string, password: string, database: string, sql: string): SpawnSyncReturns<string> {
    const args = [
        "-X",
        "-A",
        "-t",
        "-q",
        "--set",
        "ON_ERROR_STOP=1",
        "-h",
        "127.0.0.1",
        "-p",
        String(c.port),
        "-U",
        user,
        "-d",
        database,
        "-c",
        sql,
    ];
    return spawnSync(postgresBin("psql"), args, {
        encoding: "utf8",
        env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: "5" },
    });
}

/** As the bootstrap superuser; the statement must succeed. */
function su(c: Cluster, sql: string, database: string = DATABASE.name): string {
    const result = psql(c, c.bootstrap, c.bootstrapPassword, database, sql);
    expect(result.status, `${sql}\n${result.stderr}`).to.equal(0);
    return result.stdout.trim();
}

/** As the application's role. */
function asApp(c: Cluster, sql: string, database: string = DATABASE.name): SpawnSyncReturns<string> {
    return psql(c, R.app, PASSWORDS.app, database, sql);
}

function startCluster(bootstrap: string, bootstrapPassword: string): Promise<Cluster> {
    return (async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-roles-"));
        fs.chmodSync(dir, 0o777);
        if (IS_ROOT) execFileSync("chown", ["postgres", dir]);
        const port = await freePort();
        fs.writeFileSync(path.join(dir, "pw"), bootstrapPassword);
        const run = (cmd: string, args: string[]) => {
            const [command, argv] = asPostgres(cmd, args);
            execFileSync(command, argv, { stdio: "pipe" });
        };
        run(serverBin("initdb"), [
            "-D",
            path.join(dir, "data"),
            "-U",
            bootstrap,
            "--auth=scram-sha-256",
            `--pwfile=${path.join(dir, "pw")}`,
        ]);
        const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`;
        run(serverBin("pg_ctl"), [
            "-D",
            path.join(dir, "data"),
            "-l",
            path.join(dir, "pg.log"),
            "-w",
            "-o",
            options,
            "start",
        ]);
        const cluster = { dir, port, bootstrap, bootstrapPassword };
        // What the image's docker_setup_db does with POSTGRES_DB: a database owned by POSTGRES_USER.
        su(cluster, `CREATE DATABASE ${DATABASE.name}`, "postgres");
        return cluster;
    })();
}

function stopCluster(c: Cluster | undefined): void {
    if (!c) return;
    const [command, argv] = asPostgres(serverBin("pg_ctl"), ["-D", path.join(c.dir, "data"), "-m", "fast", "stop"]);
    spawnSync(command, argv);
    fs.rmSync(c.dir, { recursive: true, force: true });
}

function serverVersion(c: Cluster): number {
    return Number(su(c, "SHOW server_version_num", "postgres"));
}

/**
 * The job's command as the container runs it (`/bin/sh -c`), with its SQL and password files at scratch paths; `edit`
 * changes the command, to show what one layer of it does without the other.
 */
function runJob(
    c: Cluster,
    passwords: { superuser?: string; legacy?: string } = {},
    edit: (command: string) => string = (command) => command,
): SpawnSyncReturns<string> {
    const scratch = fs.mkdtempSync(path.join(c.dir, "job-"));
    const sqlFile = path.join(scratch, "roles.sql");
    const superuserFile = path.join(scratch, "superuser");
    const legacyFile = path.join(scratch, "legacy");
    fs.writeFileSync(
        sqlFile,
        renderDatabaseRoles({ app: PASSWORDS.app, backup: PASSWORDS.backup, monitor: PASSWORDS.monitor }),
    );
    fs.writeFileSync(superuserFile, passwords.superuser ?? PASSWORDS.superuser);
    fs.writeFileSync(legacyFile, passwords.legacy ?? PASSWORDS.legacy);
    const command = DATABASE_ROLES_COMMAND.replace(ROLES_SQL_PATH, sqlFile)
        .replace(SUPERUSER_PASSWORD_FILES[0], superuserFile)
        .replace(SUPERUSER_PASSWORD_FILES[1], legacyFile);
    return spawnSync("sh", ["-c", edit(command)], {
        encoding: "utf8",
        env: {
            PATH: `${path.dirname(postgresBin("psql"))}:${process.env.PATH}`,
            PGHOST: "127.0.0.1",
            PGPORT: String(c.port),
            PGDATABASE: DATABASE.name,
            PGSSLMODE: "disable",
            PGCONNECT_TIMEOUT: "5",
        },
    });
}

function expectJobSucceeds(c: Cluster): SpawnSyncReturns<string> {
    const job = runJob(c);
    expect(job.status, job.stderr).to.equal(0);
    return job;
}

/**
 * The attributes that make a role more than an owner of its objects, as
 * `name:super,createrole,createdb,replication,bypassrls,login`.
 */
function attributes(c: Cluster, role: string): string {
    return su(
        c,
        `SELECT concat_ws(',', rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin) FROM pg_roles WHERE rolname = '${role}'`,
    );
}

/**
 * Everything in the application's schemas, with its owner: relations (indexes, sequences and TOAST too), routines and
 * types.
 */
function ownersInAppSchemas(c: Cluster): string[] {
    const sql = `
        WITH app_schemas AS (SELECT oid FROM pg_namespace WHERE nspname IN ('public', 'drizzle')),
             members AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e')
        SELECT kind || ' ' || name || ' ' || owner FROM (
            SELECT 'relation' AS kind, c.relname::text AS name, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
                WHERE c.relnamespace IN (SELECT oid FROM app_schemas)
            UNION ALL SELECT 'routine', p.proname, pg_get_userbyid(p.proowner) FROM pg_proc p
                WHERE p.pronamespace IN (SELECT oid FROM app_schemas)
                AND NOT EXISTS (SELECT FROM members m WHERE m.classid = 'pg_proc'::regclass AND m.objid = p.oid)
                -- A range type's constructors: PostgreSQL makes them the bootstrap superuser's, always.
                AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i')
            UNION ALL SELECT 'type', t.typname, pg_get_userbyid(t.typowner) FROM pg_type t
                WHERE t.typnamespace IN (SELECT oid FROM app_schemas)
                AND NOT EXISTS (SELECT FROM members m WHERE m.classid = 'pg_type'::regclass AND m.objid = t.oid)
            UNION ALL SELECT 'schema', n.nspname, pg_get_userbyid(n.nspowner) FROM pg_namespace n WHERE n.nspname = 'drizzle'
            UNION ALL SELECT 'statistics', s.stxname, pg_get_userbyid(s.stxowner) FROM pg_statistic_ext s
            UNION ALL SELECT 'text search configuration', t.cfgname, pg_get_userbyid(t.cfgowner) FROM pg_ts_config t
                WHERE t.cfgnamespace IN (SELECT oid FROM app_schemas)
            UNION ALL SELECT 'collation', l.collname, pg_get_userbyid(l.collowner) FROM pg_collation l
                WHERE l.collnamespace IN (SELECT oid FROM app_schemas)
            UNION ALL SELECT 'large object', m.oid::text, pg_get_userbyid(m.lomowner) FROM pg_largeobject_metadata m
            UNION ALL SELECT 'database', d.datname, pg_get_userbyid(d.datdba) FROM pg_database d WHERE d.datname = current_database()
        ) AS everything ORDER BY 1`;
    return su(c, sql).split("\n").filter(Boolean);
}

/** Row counts and a checksum of the data the old migrations and the application wrote. */
function dataFingerprint(c: Cluster): string {
    return su(
        c,
        "SELECT (SELECT count(*) || ':' || md5(string_agg(r::text, ',' ORDER BY id)) FROM readings r) || ' ' || " +
            "(SELECT count(*) FROM units) || ' ' || (SELECT count(*) FROM events) || ' ' || (SELECT count(*) FROM drizzle.__drizzle_migrations)",
    );
}

/** What the migrations of a stack created before the split made, as its bootstrap superuser `freshtrack`, with rows. */
const OLD_MIGRATIONS = `
    CREATE EXTENSION IF NOT EXISTS pgcrypto;
    CREATE SCHEMA drizzle;
    CREATE TABLE drizzle.__drizzle_migrations (id serial PRIMARY KEY, hash text NOT NULL);
    INSERT INTO drizzle.__drizzle_migrations (hash) VALUES ('0001'), ('0002');
    CREATE TYPE unit_kind AS ENUM ('fridge', 'freezer');
    CREATE DOMAIN celsius AS numeric(5, 2) CHECK (VALUE > -100);
    CREATE TYPE reading_pair AS (low celsius, high celsius);
    CREATE TYPE temperature_range AS RANGE (subtype = numeric);
    CREATE TABLE units (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, kind unit_kind NOT NULL, token uuid DEFAULT gen_random_uuid());
    CREATE TABLE readings (id bigserial PRIMARY KEY, unit_id integer REFERENCES units (id), value celsius, at timestamptz DEFAULT now());
    CREATE INDEX readings_at ON readings (at);
    CREATE TABLE events (id integer, at date NOT NULL) PARTITION BY RANGE (at);
    CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    CREATE SEQUENCE invoice_numbers;
    CREATE VIEW latest AS SELECT unit_id, max(at) AS at FROM readings GROUP BY unit_id;
    CREATE MATERIALIZED VIEW daily AS SELECT unit_id, count(*) FROM readings GROUP BY unit_id;
    CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.at := coalesce(NEW.at, now()); RETURN NEW; END$$;
    CREATE TRIGGER readings_touch BEFORE INSERT ON readings FOR EACH ROW EXECUTE FUNCTION touch();
    CREATE PROCEDURE purge(days integer) LANGUAGE sql AS $$DELETE FROM readings WHERE at < now() - make_interval(days => days)$$;
    CREATE AGGREGATE celsius_max(numeric) (sfunc = numeric_larger, stype = numeric);
    CREATE STATISTICS readings_stats (dependencies) ON unit_id, value FROM readings;
    CREATE TEXT SEARCH CONFIGURATION unit_search (COPY = simple);
    CREATE COLLATION unit_names (provider = libc, locale = 'C');
    SELECT lo_create(424242);
    INSERT INTO units (name, kind) VALUES ('walk-in', 'fridge'), ('chest', 'freezer');
    INSERT INTO readings (unit_id, value) SELECT 1 + (g % 2), g / 10.0 FROM generate_series(1, 500) g;
    INSERT INTO events VALUES (1, '2026-03-01');
`;

/** What the application's role must be able to do to run migrations, and what it must not be able to do at all. */
let created = 0;
function expectAppCanMigrateAndNoMore(c: Cluster, existing: { table: string } | undefined): string {
    expect(attributes(c, R.app), "NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS LOGIN").to.equal(
        "f,f,f,f,f,t",
    );
    const table = `created_by_app_${stamp}_${++created}`;
    const create = asApp(
        c,
        `CREATE TABLE ${table} (id int); INSERT INTO ${table} VALUES (1); ALTER TABLE ${table} ADD COLUMN note text`,
    );
    expect(create.status, create.stderr).to.equal(0);
    if (existing) {
        const alter = asApp(
            c,
            `ALTER TABLE ${existing.table} ADD COLUMN IF NOT EXISTS note_${stamp} text; CREATE INDEX ON ${existing.table} (note_${stamp})`,
        );
        expect(alter.status, alter.stderr).to.equal(0);
    }
    for (const [sql, refusal] of [
        ["CREATE ROLE intruder", /permission denied to create role/],
        ["SELECT rolpassword FROM pg_authid", /permission denied for table pg_authid/],
        ["CREATE DATABASE intruder", /permission denied to create database/],
        [`ALTER ROLE ${R.app} SUPERUSER`, /permission denied|must be superuser/],
        ["COPY (SELECT 1) TO PROGRAM 'true'", /permission denied|must be superuser|pg_execute_server_program/],
        [`SET ROLE ${c.bootstrap}`, /permission denied to set role/],
    ] as const) {
        const result = asApp(c, sql);
        expect(result.status, `${sql} must be refused`).to.not.equal(0);
        expect(result.stderr).to.match(refusal);
    }
    return table;
}

describe("the self-hosted PostgreSQL's roles, made by the database-grant job on a real server (rung 4: real server)", function () {
    this.timeout(60_000);

    it("runs a command that shellcheck passes as POSIX sh (rung 3: the container's /bin/sh is busybox ash)", function () {
        if (spawnSync("shellcheck", ["--version"]).status !== 0) this.skip(); // .ci/run installs it
        const file = path.join(os.tmpdir(), `freshtrack-roles-command-${stamp}.sh`);
        fs.writeFileSync(file, `#!/bin/sh\n${DATABASE_ROLES_COMMAND}\n`);
        try {
            const check = spawnSync("shellcheck", ["-s", "sh", file], { encoding: "utf8" });
            expect(check.status, check.stdout).to.equal(0);
        } finally {
            fs.rmSync(file, { force: true });
        }
    });

    describe("a cluster initialised as the image does it now (POSTGRES_USER=postgres)", () => {
        let c: Cluster | undefined;
        before(async () => {
            c = await startCluster(R.superuser, PASSWORDS.superuser);
        });
        after(() => stopCluster(c));

        it("answers the health check before the job has made the application's role (pg_isready exits 0)", () => {
            const args = ["-h", "127.0.0.1", "-p", String(c!.port), "-U", R.app, "-d", DATABASE.name];
            const ready = spawnSync(postgresBin("pg_isready"), args, { encoding: "utf8" });
            expect(ready.status, ready.stdout + ready.stderr).to.equal(0);
        });

        it("makes the application's role the database's owner, able to migrate, and nothing more", () => {
            expect(su(c!, `SELECT count(*) FROM pg_roles WHERE rolname = '${R.app}'`)).to.equal("0");
            expectJobSucceeds(c!);
            expect(
                su(c!, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"),
            ).to.equal(R.app);
            const table = expectAppCanMigrateAndNoMore(c!, undefined);
            expect(
                su(c!, `SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = '${table}'`),
                "the role owns what it creates",
            ).to.equal(R.app);
        });

        it("gives the backup role CREATEDB and the application's privileges, and the monitoring role statistics but no table", () => {
            expect(attributes(c!, R.backup)).to.equal("f,f,t,f,f,t");
            expect(attributes(c!, R.monitor)).to.equal("f,f,f,f,f,t");
            expect(
                su(
                    c!,
                    `SELECT pg_has_role('${R.backup}', '${R.app}', 'USAGE') AND pg_has_role('${R.backup}', 'pg_signal_backend', 'USAGE')`,
                ),
            ).to.equal("t");
            expect(su(c!, `SELECT pg_has_role('${R.monitor}', 'pg_read_all_stats', 'USAGE')`)).to.equal("t");
            const read = psql(
                c!,
                R.monitor,
                PASSWORDS.monitor,
                DATABASE.name,
                `SELECT * FROM public.created_by_app_${stamp}_1`,
            );
            expect(read.status).to.not.equal(0);
            expect(read.stderr).to.match(/permission denied for table/);
            const pgAuthid = psql(c!, R.backup, PASSWORDS.backup, DATABASE.name, "SELECT rolpassword FROM pg_authid");
            expect(pgAuthid.stderr).to.match(/permission denied for table pg_authid/);
        });

        it("stores SCRAM verifiers that the server accepts for the generated passwords, and never the passwords", () => {
            expect(su(c!, `SELECT rolpassword FROM pg_authid WHERE rolname = '${R.app}'`)).to.equal(
                scramSha256Verifier(PASSWORDS.app, R.app),
            );
            const sql = renderDatabaseRoles({
                app: PASSWORDS.app,
                backup: PASSWORDS.backup,
                monitor: PASSWORDS.monitor,
            });
            for (const password of [PASSWORDS.app, PASSWORDS.backup, PASSWORDS.monitor])
                expect(sql).to.not.contain(password);
            expect(asApp(c!, "SELECT 1").status).to.equal(0);
            expect(asApp(c!, "SELECT 1").stderr).to.equal("");
        });
    });

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

    describe("fails loudly, changing nothing, when it cannot do its work", () => {
        let c: Cluster | undefined;
        before(async () => {
            c = await startCluster(R.superuser, PASSWORDS.superuser);
        });
        after(() => stopCluster(c));
        const roles = () =>
            su(c!, `SELECT count(*) FROM pg_roles WHERE rolname IN ('${R.app}', '${R.backup}', '${R.monitor}')`);

        it("when the server accepts neither superuser login, naming both refusals", () => {
            const job = runJob(c!, { superuser: "not-the-password", legacy: "not-this-either" });
            expect(job.status).to.not.equal(0);
            expect(job.stderr).to.contain("the server accepted no superuser login");
            expect(job.stderr).to.match(new RegExp(`${R.superuser}: .*password authentication failed`));
            expect(job.stderr).to.match(new RegExp(`${R.legacySuperuser}: .*password authentication failed`));
            expect(roles()).to.equal("0");
        });

        it("when the login it gets is not a superuser", () => {
            // A `freshtrack` that is an ordinary role (made by hand), and no way in as `postgres`.
            su(c!, `CREATE ROLE ${R.legacySuperuser} LOGIN PASSWORD '${PASSWORDS.legacy}'`);
            try {
                const job = runJob(c!, { superuser: "not-the-password" });
                expect(job.status).to.not.equal(0);
                expect(job.stderr).to.contain(
                    `database-grant: ${R.legacySuperuser} is not a superuser, so it cannot make the roles`,
                );
                expect(roles()).to.equal("0");
            } finally {
                su(c!, `DROP ROLE ${R.legacySuperuser}`);
            }
        });

        it("when the application's role could become a superuser through a membership someone granted", () => {
            expectJobSucceeds(c!);
            su(c!, `CREATE ROLE admins SUPERUSER NOLOGIN; GRANT admins TO ${R.app}`);
            try {
                const job = runJob(c!);
                expect(job.status).to.not.equal(0);
                expect(job.stderr).to.contain(
                    `memberships beyond what each role may have: ${R.app} is a member of admins`,
                );
            } finally {
                su(c!, `REVOKE admins FROM ${R.app}; DROP ROLE admins`);
            }
            expectJobSucceeds(c!);
        });

        it("when someone made the application's role a superuser, it takes that back", () => {
            su(c!, `ALTER ROLE ${R.app} SUPERUSER CREATEROLE`);
            expectJobSucceeds(c!);
            expect(attributes(c!, R.app)).to.equal("f,f,f,f,f,t");
        });
    });

    /**
     * Issue 15, finding 12, from the attack pass: the job runs as the superuser inside the database the application's
     * role owns, and through pg_database_owner schema public with it. Whatever the application plants there, or sets on
     * its database, must never run as the superuser (CVE-2018-1058: an overload in a schema on the search_path that
     * matches the arguments better than pg_catalog's function wins; the database's owner may `ALTER DATABASE ... SET
     * search_path`, which a superuser's session takes too). Each case starts from a deployed stack (the job has run
     * once), plants as the application's role, runs the next deploy's job, and judges the outcome from the `postgres`
     * database with schema-qualified names, where nothing the application planted is on the way.
     */
    describe("runs none of the application's code as the superuser, whatever it planted in its database (attack pass, finding 12)", () => {
        let c: Cluster | undefined;
        beforeEach(async () => {
            c = await startCluster(R.superuser, PASSWORDS.superuser);
            expectJobSucceeds(c);
        });
        afterEach(() => stopCluster(c));

        const outside = (sql: string) => su(c!, sql, "postgres");
        /**
         * Every role `role` is a member of, directly or not (pg_has_role MEMBER), seen from a database it does not own.
         */
        const membershipsOf = (role: string) =>
            outside(
                `SELECT coalesce(pg_catalog.string_agg(g.rolname, ',' ORDER BY g.rolname), '') FROM pg_catalog.pg_roles g
                 WHERE g.rolname <> '${role}' AND pg_catalog.pg_has_role('${role}'::name, g.oid, 'MEMBER'::text)`,
            );
        const superuserRoles = () =>
            outside(
                "SELECT pg_catalog.string_agg(rolname, ',' ORDER BY rolname) FROM pg_catalog.pg_roles WHERE rolsuper",
            );
        /** Who ran the planted code, and through what: empty when it never ran. */
        const hijackLog = () =>
            su(
                c!,
                "SELECT coalesce(pg_catalog.string_agg(DISTINCT who || ' via ' || via, ', '), '') FROM public.hijack_log",
                DATABASE.name,
            );
        /**
         * What the planted code does when a superuser runs it, after logging who did: makes the application's role a
         * member of the predefined roles that run programs and write files on the server, and makes a superuser of its
         * own. Neither trips the job's checks as they were (attributes only, and only of its own roles).
         */
        const HIJACK = `
            CREATE TABLE public.hijack_log (who name, via text);
            CREATE FUNCTION public.hijack(via text) RETURNS boolean LANGUAGE plpgsql AS $f$
            BEGIN
                INSERT INTO public.hijack_log VALUES (current_user, via);
                IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
                    EXECUTE 'GRANT pg_execute_server_program, pg_write_server_files TO ${R.app}';
                    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'hijacker') THEN
                        EXECUTE 'CREATE ROLE hijacker SUPERUSER LOGIN PASSWORD ''hijacked''';
                    END IF;
                END IF;
                RETURN true;
            END $f$;`;

        const MONITOR_MEMBERSHIPS = "pg_monitor,pg_read_all_settings,pg_read_all_stats,pg_stat_scan_tables";
        /** The outcome every case must end with: the roles exactly as the job makes them, and no other superuser. */
        function expectNothingGained(): void {
            // Not attributes(): a superuser's session in the application's database would itself run the planted code.
            const app = outside(
                `SELECT concat_ws(',', rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin)
                 FROM pg_catalog.pg_roles WHERE rolname = '${R.app}'`,
            );
            expect(app, "NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS LOGIN").to.equal("f,f,f,f,f,t");
            expect(superuserRoles(), "no new superuser").to.equal(R.superuser);
            expect(membershipsOf(R.app), "the application's role is a member of nothing").to.equal("");
            expect(membershipsOf(R.backup)).to.equal(`${R.app},pg_signal_backend`);
            expect(membershipsOf(R.monitor)).to.equal(MONITOR_MEMBERSHIPS);
            const program = asApp(c!, "COPY (SELECT 1) TO PROGRAM 'true'");
            expect(program.status, "the application's role cannot run programs on the server").to.not.equal(0);
        }

        it("(A) never calls an overload the application planted in schema public that matches the job's arguments better than pg_catalog's", () => {
            // The bare calls of the job, each with an overload that needs no implicit cast where pg_catalog's needs
            // one.
            const plant = asApp(
                c!,
                `${HIJACK}
                CREATE FUNCTION public.pg_has_role(text, text, text) RETURNS boolean LANGUAGE sql
                    AS $f$ SELECT public.hijack('pg_has_role(text, text, text)') AND pg_catalog.pg_has_role($1::name, $2::name, $3) $f$;
                CREATE FUNCTION public.starts_with(name, text) RETURNS boolean LANGUAGE sql
                    AS $f$ SELECT public.hijack('starts_with(name, text)') AND pg_catalog.starts_with($1::text, $2) $f$;
                CREATE FUNCTION public.to_regrole(name) RETURNS regrole LANGUAGE sql
                    AS $f$ SELECT CASE WHEN public.hijack('to_regrole(name)') THEN pg_catalog.to_regrole($1::text) END $f$;
                CREATE FUNCTION public.format(text, text) RETURNS text LANGUAGE sql
                    AS $f$ SELECT CASE WHEN public.hijack('format(text, text)') THEN pg_catalog.format($1, $2) END $f$;`,
            );
            expect(plant.status, plant.stderr).to.equal(0);
            const job = runJob(c!);
            expect(job.status, job.stderr).to.equal(0);
            expectNothingGained();
            expect(hijackLog(), "the planted functions never ran").to.equal("");
        });

        it("(B) ignores a search_path the application set on its database, and the catalog views and functions it shadowed there", () => {
            // With public ahead of pg_catalog, even an overload of exactly pg_catalog's signature, or a view named like
            // a catalog, is found first; only the job's own pinned search_path keeps them out.
            const plant = asApp(
                c!,
                `${HIJACK}
                ALTER DATABASE ${DATABASE.name} SET search_path = public, pg_catalog;
                CREATE VIEW public.pg_roles AS SELECT r.* FROM pg_catalog.pg_roles r WHERE public.hijack('view pg_roles');
                CREATE VIEW public.pg_database AS SELECT d.* FROM pg_catalog.pg_database d WHERE public.hijack('view pg_database');
                CREATE FUNCTION public.current_database() RETURNS name LANGUAGE sql
                    AS $f$ SELECT CASE WHEN public.hijack('current_database()') THEN pg_catalog.current_database() END $f$;
                CREATE FUNCTION public.pg_has_role(name, name, text) RETURNS boolean LANGUAGE sql
                    AS $f$ SELECT public.hijack('pg_has_role(name, name, text)') AND pg_catalog.pg_has_role($1, $2, $3) $f$;
                CREATE FUNCTION public.has_schema_privilege(name, text, text) RETURNS boolean LANGUAGE sql
                    AS $f$ SELECT public.hijack('has_schema_privilege(name, text, text)') AND pg_catalog.has_schema_privilege($1, $2, $3) $f$;`,
            );
            expect(plant.status, plant.stderr).to.equal(0);
            // The database-level setting is in force for a session that does not pin its own.
            expect(su(c!, "SHOW search_path", DATABASE.name)).to.equal("public, pg_catalog");
            const job = runJob(c!);
            expect(job.status, job.stderr).to.equal(0);
            expectNothingGained();
            expect(hijackLog(), "the planted views and functions never ran").to.equal("");
            // The SQL holds on its own too (its SET LOCAL and schema-qualified names), on a connection that pins
            // nothing.
            const unpinned = runJob(c!, {}, (command) => command.replace(/^.*PGOPTIONS.*$/gm, ""));
            expect(unpinned.status, unpinned.stderr).to.equal(0);
            expectNothingGained();
            expect(hijackLog(), "the planted views and functions never ran").to.equal("");
        });

        // The second attack pass: the owner's database-level `role` made the superuser's session the application's (the
        // job then refused to go on, so every migration stopped), and the exporter's monitoring role ran planted
        // functions.
        it("runs as the superuser whatever `role` the application set on its database", () => {
            const plant = asApp(
                c!,
                `ALTER DATABASE ${DATABASE.name} SET role = '${R.app}'; ALTER DATABASE ${DATABASE.name} SET default_transaction_read_only = on`,
            );
            expect(plant.status, plant.stderr).to.equal(0);
            const job = runJob(c!);
            expect(job.status, job.stderr).to.equal(0);
            expectNothingGained();
        });

        it("pins the monitoring role's search_path, so the exporter's queries never reach what the application planted", () => {
            const plant = asApp(
                c!,
                `${HIJACK}
                ALTER DATABASE ${DATABASE.name} SET search_path = public, pg_catalog;
                CREATE FUNCTION public.pg_database_size(name) RETURNS bigint LANGUAGE sql
                    AS $f$ SELECT CASE WHEN public.hijack('pg_database_size(name)') THEN pg_catalog.pg_database_size($1) END $f$;
                GRANT INSERT ON public.hijack_log TO PUBLIC;`,
            );
            expect(plant.status, plant.stderr).to.equal(0);
            const job = runJob(c!);
            expect(job.status, job.stderr).to.equal(0);
            // As the exporter connects: the monitoring role, in the application's database, an unqualified catalog
            // query.
            const path = psql(c!, R.monitor, PASSWORDS.monitor, DATABASE.name, "SHOW search_path");
            expect(path.stdout.trim(), path.stderr).to.equal("pg_catalog, pg_temp");
            const exporter = psql(
                c!,
                R.monitor,
                PASSWORDS.monitor,
                DATABASE.name,
                "SELECT pg_database_size(datname) FROM pg_database LIMIT 1",
            );
            expect(exporter.status, exporter.stderr).to.equal(0);
            expect(hijackLog(), "the planted function never ran").to.equal("");
        });

        it("fails, naming the role and the membership, when a role of the application is a member of a predefined role it may not be", () => {
            // What the job allows the monitoring role through pg_monitor (PostgreSQL docs, "Predefined Roles":
            // pg_monitor is a member of pg_read_all_settings, pg_read_all_stats and pg_stat_scan_tables), checked on
            // this server rather than assumed.
            expect(membershipsOf("pg_monitor")).to.equal("pg_read_all_settings,pg_read_all_stats,pg_stat_scan_tables");
            expectNothingGained();
            // Predefined roles carry no attribute, so a check of attributes misses them: each of these reaches the
            // server's files, programs or every table (PostgreSQL docs, "Predefined Roles").
            const cases: [string, string][] = [
                [R.app, "pg_execute_server_program"],
                [R.app, "pg_read_server_files"],
                [R.app, "pg_write_server_files"],
                [R.app, "pg_read_all_data"],
                [R.app, "pg_write_all_data"],
                [R.app, "pg_signal_backend"],
                [R.app, "pg_monitor"],
                [R.backup, "pg_read_all_data"],
                [R.monitor, "pg_read_server_files"],
                [R.monitor, "pg_checkpoint"],
            ];
            for (const [member, granted] of cases) {
                outside(`GRANT ${granted} TO ${member}`);
                try {
                    const job = runJob(c!);
                    expect(job.status, `${member} in ${granted}: the job must fail`).to.not.equal(0);
                    expect(job.stderr).to.contain(`${member} is a member of ${granted}`);
                } finally {
                    outside(`REVOKE ${granted} FROM ${member}`);
                }
            }
            // Through a role in between, and through the application's role for the backup role that acts through it.
            outside(`CREATE ROLE files NOLOGIN; GRANT pg_write_server_files TO files; GRANT files TO ${R.app}`);
            try {
                const job = runJob(c!);
                expect(job.status).to.not.equal(0);
                for (const [member, granted] of [
                    [R.app, "files"],
                    [R.app, "pg_write_server_files"],
                    [R.backup, "pg_write_server_files"],
                ]) {
                    expect(job.stderr).to.contain(`${member} is a member of ${granted}`);
                }
            } finally {
                outside(`REVOKE files FROM ${R.app}; DROP ROLE files`);
            }
            expectJobSucceeds(c!);
            expectNothingGained();
        });
    });
});
