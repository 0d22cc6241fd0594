/**
 * What the database-grant job's tests on a real PostgreSQL share (test/databaseRolesNewCluster.servers.test.ts,
 * test/databaseRolesLegacyCluster.servers.test.ts, test/databaseRolesAttack.servers.test.ts): scratch clusters on
 * 127.0.0.1, the job's command as the container runs it, and readers of roles, owners and data.
 *
 * The server is Debian's newest installed PostgreSQL (test/localServers.ts; 15 on bookworm). The stack runs 17, which
 * differs in one fact, checked in test/databaseRolesLegacyCluster.servers.test.ts: 16+ refuses to take SUPERUSER from
 * the bootstrap superuser. To run the same files against another server build, point FRESHTRACK_TEST_PG_SERVER_BIN at
 * its bin directory (initdb, pg_ctl, postgres); the clients stay Debian's. Only the connection differs from the
 * container: 127.0.0.1, and scratch paths for the SQL and password files instead of ROLES_SQL_PATH and
 * SUPERUSER_PASSWORD_FILES.
 */
import { expect } from "chai";
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DATABASE, DATABASE_ROLES } from "../components/services/context";
import {
    DATABASE_ROLES_COMMAND,
    DatabaseRolesOptions,
    renderDatabaseRoles,
    ROLES_SQL_PATH,
    SUPERUSER_PASSWORD_FILES,
} from "../components/services/postgres";
import { postgresBin, psqlOnLocalhost, startScratchCluster, stopScratchCluster } from "./localServers";

const SERVER_BIN = process.env.FRESHTRACK_TEST_PG_SERVER_BIN;
/** A program of the server build the clusters run (FRESHTRACK_TEST_PG_SERVER_BIN, or Debian's newest). */
export const serverBin = (name: string) => (SERVER_BIN ? path.join(SERVER_BIN, name) : postgresBin(name));
export const R = DATABASE_ROLES;
export const stamp = Date.now().toString(36);
/** Printable ASCII, as the generated passwords are (alphanumeric). */
export const PASSWORDS = {
    superuser: `su${stamp}A`,
    legacy: `legacy${stamp}B`,
    app: `app${stamp}C`,
    backup: `backup${stamp}D`,
    monitor: `monitor${stamp}E`,
    replication: `replication${stamp}F`,
};

/** The passwords of the roles the job keeps, as renderDatabaseRoles takes them. */
export const ROLE_PASSWORDS = {
    app: PASSWORDS.app,
    backup: PASSWORDS.backup,
    monitor: PASSWORDS.monitor,
    replication: PASSWORDS.replication,
};

export interface Cluster {
    readonly dir: string;
    readonly port: number;
    /** The bootstrap superuser: `postgres` (as the image does it now) or `freshtrack` (as it did before). */
    readonly bootstrap: string;
    readonly bootstrapPassword: string;
}

export function psql(
    c: Cluster,
    user: string,
    password: string,
    database: string,
    sql: string,
): SpawnSyncReturns<string> {
    return psqlOnLocalhost(c.port, { user, password }, database, sql, { quiet: true });
}

/** As the bootstrap superuser; the statement must succeed. */
export function su(c: Cluster, sql: string, database: string = DATABASE.name): string {
    const result = psql(c, c.bootstrap, c.bootstrapPassword, database, sql);
    expect(result.status, `${sql}\n${result.stderr}`).to.equal(0);
    return result.stdout.trim();
}

/** As the application's role. */
export function asApp(c: Cluster, sql: string, database: string = DATABASE.name): SpawnSyncReturns<string> {
    return psql(c, R.app, PASSWORDS.app, database, sql);
}

export function startCluster(bootstrap: string, bootstrapPassword: string): Promise<Cluster> {
    return (async () => {
        const { dir, port } = await startScratchCluster({
            prefix: "freshtrack-roles-",
            superuser: bootstrap,
            password: bootstrapPassword,
            bin: serverBin,
        });
        const cluster = { dir, port, bootstrap, bootstrapPassword };
        // What the image's docker_setup_db does with POSTGRES_DB: a database owned by POSTGRES_USER.
        su(cluster, `CREATE DATABASE ${DATABASE.name}`, "postgres");
        return cluster;
    })();
}

export function stopCluster(c: Cluster | undefined): void {
    stopScratchCluster(c, serverBin);
}

export function serverVersion(c: Cluster): number {
    return Number(su(c, "SHOW server_version_num", "postgres"));
}

/**
 * The job's command as the container runs it (`/bin/sh -c`), with its SQL and password files at scratch paths; `edit`
 * changes the command, to show what one layer of it does without the other. The SQL keeps the write-ahead log's slot,
 * as with freshtrack:backup.pointInTime at its default, unless `options` says otherwise.
 */
export function runJob(
    c: Cluster,
    passwords: { superuser?: string; legacy?: string } = {},
    edit: (command: string) => string = (command) => command,
    options: DatabaseRolesOptions = { walSlot: true },
): SpawnSyncReturns<string> {
    const scratch = fs.mkdtempSync(path.join(c.dir, "job-"));
    const sqlFile = path.join(scratch, "roles.sql");
    const superuserFile = path.join(scratch, "superuser");
    const legacyFile = path.join(scratch, "legacy");
    fs.writeFileSync(sqlFile, renderDatabaseRoles(ROLE_PASSWORDS, options));
    fs.writeFileSync(superuserFile, passwords.superuser ?? PASSWORDS.superuser);
    fs.writeFileSync(legacyFile, passwords.legacy ?? PASSWORDS.legacy);
    const command = DATABASE_ROLES_COMMAND.replace(ROLES_SQL_PATH, sqlFile)
        .replace(SUPERUSER_PASSWORD_FILES[0], superuserFile)
        .replace(SUPERUSER_PASSWORD_FILES[1], legacyFile);
    return spawnSync("sh", ["-c", edit(command)], {
        encoding: "utf8",
        // A job that never ends (a commit waiting for a synchronous receiver) fails the test instead of hanging it.
        timeout: 30_000,
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

export function expectJobSucceeds(c: Cluster): SpawnSyncReturns<string> {
    const job = runJob(c);
    expect(job.status, job.stderr).to.equal(0);
    return job;
}

/**
 * The attributes that make a role more than an owner of its objects, as
 * `name:super,createrole,createdb,replication,bypassrls,login`.
 */
export function attributes(c: Cluster, role: string): string {
    return su(
        c,
        `SELECT concat_ws(',', rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin) FROM pg_roles WHERE rolname = '${role}'`,
    );
}

/**
 * Everything in the application's schemas, with its owner: relations (indexes, sequences and TOAST too), routines and
 * types.
 */
export function ownersInAppSchemas(c: Cluster): string[] {
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
export function dataFingerprint(c: Cluster): string {
    return su(
        c,
        "SELECT (SELECT count(*) || ':' || md5(string_agg(r::text, ',' ORDER BY id)) FROM readings r) || ' ' || " +
            "(SELECT count(*) FROM units) || ' ' || (SELECT count(*) FROM events) || ' ' || (SELECT count(*) FROM drizzle.__drizzle_migrations)",
    );
}

/** What the migrations of a stack created before the split made, as its bootstrap superuser `freshtrack`, with rows. */
export const OLD_MIGRATIONS = `
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

/**
 * The tables expectAppCanMigrateAndNoMore made, counted per cluster from 1: a test reads the first one of its cluster
 * back by name, and the files that share these helpers may run in one process in any order.
 */
const tablesMade = new WeakMap<Cluster, number>();
function nextTableNumber(c: Cluster): number {
    const n = (tablesMade.get(c) ?? 0) + 1;
    tablesMade.set(c, n);
    return n;
}

/** What the application's role must be able to do to run migrations, and what it must not be able to do at all. */
export function expectAppCanMigrateAndNoMore(c: Cluster, existing: { table: string } | undefined): string {
    expect(attributes(c, R.app), "NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS LOGIN").to.equal(
        "f,f,f,f,f,t",
    );
    const table = `created_by_app_${stamp}_${nextTableNumber(c)}`;
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
