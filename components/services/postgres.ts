import * as pulumi from "@pulumi/pulumi";
import { createHash, createHmac, pbkdf2Sync } from "crypto";
import type * as docker from "@pulumi/docker";
import { Service } from "../service";
import { DATABASE, DATABASE_ROLES, SECRETS_DIR, SelfHostedLogins } from "./context";
import type { DataContext } from "./dataTier";
import { renderWalSlot, walStreamingServer } from "./postgresReplication";
import { SERVICES, imageOf } from "../catalog";

/**
 * PostgreSQL settings sized from the container's memory limit rather than the
 * host's RAM, which Postgres would otherwise assume it owns. Ratios follow the
 * PostgreSQL manual's guidance (shared_buffers about 25 % of memory,
 * effective_cache_size about 50-75 %).
 */
export function postgresTuning(memoryMb: number): Record<string, string> {
    const mb = (n: number) => `${Math.max(1, Math.floor(n))}MB`;
    return {
        shared_buffers: mb(memoryMb * 0.25),
        effective_cache_size: mb(memoryMb * 0.6),
        maintenance_work_mem: mb(Math.min(memoryMb * 0.06, 512)),
        work_mem: mb(Math.max(memoryMb / 256, 2)),
        // PgBouncer multiplexes clients onto a small pool, so few server connections are needed.
        max_connections: "100",
        wal_buffers: "16MB",
        checkpoint_completion_target: "0.9",
        random_page_cost: "1.1",
        log_min_duration_statement: "1000",
    };
}

export const POSTGRES_PORT = SERVICES.postgres.port;
export const POSTGRES_PASSWORD_FILE = `${SECRETS_DIR}/postgres_password`;
/**
 * The uid:gid of `postgres` in the alpine image (70:70, components/imageContracts/). Started as this user, the
 * entrypoint skips its chown and gosu steps, so the container needs no capability: the image's data directory and a
 * fresh volume copied from it are postgres-owned, and on a stack created before, the old entrypoint (run as root)
 * already chowned everything in it to postgres (docker-library/postgres@6edb0a8c
 * 17/alpine3.23/docker-entrypoint.sh:55-60, the `find ... -exec chown postgres` only when `id -u` is 0, and :336-338,
 * gosu only then too).
 */
export const POSTGRES_USER_ID = "70:70";

export function postgres(ctx: DataContext, volume: docker.Volume, parent: pulumi.Resource): Service {
    const limits = ctx.limits.postgres;
    const wal = walStreamingServer(ctx.pointInTime, ctx.walKeepMb);
    const settings = { ...postgresTuning(limits.memoryMb), ...wal.settings };
    return new Service(
        "postgres",
        {
            kind: "stateful",
            statefulReason: "one data directory can be opened by one server at a time",
            daemon: ctx.daemon,
            namePrefix: ctx.namePrefix,
            image: imageOf("postgres"),
            limits,
            command: ["postgres", ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])],
            env: {
                // The superuser, not the application: the image makes POSTGRES_USER the bootstrap superuser (`initdb
                // --username`, docker-entrypoint.sh:92 at the commit above), which PostgreSQL 16+ never lets lose
                // SUPERUSER. Read only when the data directory is initialised; a stack created before keeps
                // `freshtrack` as its superuser (DATABASE_ROLES.legacySuperuser).
                POSTGRES_USER: DATABASE_ROLES.superuser,
                POSTGRES_DB: DATABASE.name,
                POSTGRES_PASSWORD_FILE: POSTGRES_PASSWORD_FILE,
                // A subdirectory, so a mount point's lost+found never makes initdb refuse the directory.
                PGDATA: "/var/lib/postgresql/data/pgdata",
                ...wal.env,
            },
            files: [
                { path: POSTGRES_PASSWORD_FILE, content: ctx.secrets.postgresSuperuserPassword, secret: true },
                ...wal.files,
            ],
            // Over TCP, so the temporary socket-only server of first initialisation never counts as healthy. As the
            // application's role, which every stack has once the database-grant job has run: a role that does not
            // exist still answers "accepting connections", but the server logs a failed login for each check.
            healthcheck: {
                test: ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", DATABASE_ROLES.app, "-d", DATABASE.name],
                startPeriodSeconds: 30,
            },
            waitTimeoutSeconds: 180,
            networks: [{ network: ctx.networks.data }],
            volumes: [{ volume, containerPath: "/var/lib/postgresql/data" }],
            user: POSTGRES_USER_ID,
        },
        { parent },
    );
}

/** The logins of the self-hosted PostgreSQL beside the application's (DatabaseEndpoint.selfHosted). */
export function selfHostedLogins(secrets: DataContext["secrets"]): SelfHostedLogins {
    return {
        superusers: [
            { user: DATABASE_ROLES.superuser, password: secrets.postgresSuperuserPassword },
            { user: DATABASE_ROLES.legacySuperuser, password: secrets.postgresPassword },
        ],
        backup: { user: DATABASE_ROLES.backup, password: secrets.databaseBackupPassword },
        monitor: { user: DATABASE_ROLES.monitor, password: secrets.databaseMonitorPassword },
        replication: { user: DATABASE_ROLES.replication, password: secrets.databaseReplicationPassword },
    };
}

/**
 * A SCRAM-SHA-256 verifier of a password, in the form PostgreSQL stores in pg_authid.rolpassword and accepts as
 * is in `ALTER ROLE ... PASSWORD` (RFC 5802 section 3 and RFC 7677: SaltedPassword = PBKDF2-HMAC-SHA-256(password,
 * salt, i), StoredKey = SHA-256(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword, "Server Key");
 * PostgreSQL's text form `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64, from
 * src/common/scram-common.c scram_build_secret, and 4096 iterations, its scram_iterations default). So the job's SQL
 * carries no password, only what the server would have stored: a failed statement in the server's log or the job's
 * output shows nothing that logs in. The salt is derived from the password and the role, so the rendered SQL is the
 * same on every `up` (a random salt would replace the job each time); every password is 32 random characters of its
 * own, so no two roles share a salt. SASLprep leaves printable ASCII as it is, and the generated passwords are
 * alphanumeric: anything else is refused rather than hashed differently from the server.
 */
export function scramSha256Verifier(password: string, role: string): string {
    const iterations = 4096; // scram_iterations' default; a constant, not a parameter's default (configReach's guard)
    if (!/^[\x21-\x7e]+$/.test(password))
        throw new Error(`the password of ${role} must be printable ASCII without spaces (SASLprep would change it)`);
    const salt = createHmac("sha256", password).update(`freshtrack scram salt for ${role}`).digest().subarray(0, 16);
    const salted = pbkdf2Sync(password, salt, iterations, 32, "sha256");
    const storedKey = createHash("sha256").update(createHmac("sha256", salted).update("Client Key").digest()).digest();
    const serverKey = createHmac("sha256", salted).update("Server Key").digest();
    return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/** A PostgreSQL string literal. */
function sqlLiteral(text: string): string {
    return `'${text.replace(/'/g, "''")}'`;
}

/** The roles the job keeps, with the passwords they log in with. */
export interface DatabaseRolePasswords {
    readonly app: string;
    readonly backup: string;
    readonly monitor: string;
    readonly replication: string;
}

/** Beside the roles: the receiver's slot must exist (backup.pointInTime), or else goes (renderWalSlot). */
export type DatabaseRolesOptions = { readonly walSlot: boolean };

/**
 * The search_path of every session the database-grant jobs open, as the superuser or the managed cluster's
 * administrator, in the application's database: the system catalog, then the session's own temporary schema, nothing
 * else. The application's role owns that database and, through pg_database_owner, its schema public (PostgreSQL 15
 * release notes, "Change the owner of the public schema to pg_database_owner"); on a managed cluster the grant job
 * gives it CREATE there. So it can plant functions and views in public, and as the database's owner it may `ALTER
 * DATABASE ... SET` any user-settable parameter, search_path included, which every later session in the database starts
 * with, a superuser's too (PostgreSQL docs, ALTER DATABASE: "Only the database owner or a superuser can change the
 * session defaults for a database"). A function call is resolved over every schema on the path by the best match of
 * argument types before the order of schemas, so an overload in public taking text beats pg_catalog's taking name when
 * the call passes text (PostgreSQL docs, "Type Conversion: Functions"; CVE-2018-1058), and with public ahead of
 * pg_catalog even a function of pg_catalog's own signature, or a view named pg_roles, is found first. pg_temp is named
 * last because a path that leaves it out searches it first for relations and types (PostgreSQL docs, search_path).
 * Pinned twice: for the connection by libpq's PGOPTIONS, which the server applies as the client's startup options,
 * above the database's and the role's own settings (checked: test/databaseRolesAttack.servers.test.ts, "(B)"), and by
 * the first statement of each SQL file's transaction, so the SQL holds on any connection.
 */
export const PINNED_SEARCH_PATH = "pg_catalog, pg_temp";
/**
 * The connection half of PINNED_SEARCH_PATH, for libpq's PGOPTIONS (no spaces: PGOPTIONS splits on them), with the
 * other database-level settings the owner could use to stop the job (the second attack pass): `role` (the superuser's
 * session would run as the application's role and refuse to go on), a read-only default, a statement timeout.
 */
export const PINNED_SEARCH_PATH_PGOPTIONS = `-c search_path=${PINNED_SEARCH_PATH.replace(/ /g, "")} -c role=none -c default_transaction_read_only=off -c statement_timeout=0`;

/**
 * Objects in the database owned by the bootstrap superuser (pg_authid oid 10, BOOTSTRAP_SUPERUSERID in
 * src/include/catalog/pg_authid.dat) that the application's role is to own: on a stack created before the roles were
 * split, that is everything the migrations made, since they ran as `freshtrack`, the bootstrap superuser. PostgreSQL
 * refuses `REASSIGN OWNED BY` that role ("cannot reassign ownership of objects owned by role freshtrack because they
 * are required by the database system", checked on 15.18 and 17.10), so each object is found in its catalog and given
 * away by its own ALTER. Left out, because they follow another object or are not the application's: indexes, TOAST
 * tables and sequences owned by a column (ALTER TABLE ... OWNER moves them with their table), row types of tables,
 * array types (they follow their element type), multirange types (MULTIRANGES_OWNED_BY_BOOTSTRAP_SUPERUSER), functions
 * internal to another object (pg_depend deptype 'i': a range type's constructors, which PostgreSQL always gives the
 * bootstrap superuser, src/backend/commands/typecmds.c makeRangeConstructors, and a restore does so again), members of
 * an extension, and anything in pg_catalog, information_schema or pg_toast. pg_identify_object gives each object's kind
 * and an identity quoted for use in a statement (PostgreSQL docs, "Object Information and Addressing Functions").
 * Catalogs and functions are named with their schema (PINNED_SEARCH_PATH).
 */
const OWNED_BY_BOOTSTRAP_SUPERUSER = `
    SELECT o.classid, o.objid, i.type, i.identity
    FROM (
        SELECT 'pg_catalog.pg_namespace'::regclass AS classid, n.oid AS objid FROM pg_catalog.pg_namespace n
            WHERE n.nspowner = 10 AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
        UNION ALL SELECT 'pg_catalog.pg_class'::regclass, c.oid FROM pg_catalog.pg_class c
            WHERE c.relowner = 10 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
            AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass
                AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')))
        UNION ALL SELECT 'pg_catalog.pg_proc'::regclass, p.oid FROM pg_catalog.pg_proc p WHERE p.proowner = 10
            AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i')
        UNION ALL SELECT 'pg_catalog.pg_type'::regclass, t.oid FROM pg_catalog.pg_type t
            WHERE t.typowner = 10 AND t.typtype IN ('c', 'd', 'e', 'r')
            AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
        UNION ALL SELECT 'pg_catalog.pg_collation'::regclass, oid FROM pg_catalog.pg_collation WHERE collowner = 10
        UNION ALL SELECT 'pg_catalog.pg_conversion'::regclass, oid FROM pg_catalog.pg_conversion WHERE conowner = 10
        UNION ALL SELECT 'pg_catalog.pg_operator'::regclass, oid FROM pg_catalog.pg_operator WHERE oprowner = 10
        UNION ALL SELECT 'pg_catalog.pg_opfamily'::regclass, oid FROM pg_catalog.pg_opfamily WHERE opfowner = 10
        UNION ALL SELECT 'pg_catalog.pg_opclass'::regclass, oid FROM pg_catalog.pg_opclass WHERE opcowner = 10
        UNION ALL SELECT 'pg_catalog.pg_statistic_ext'::regclass, oid FROM pg_catalog.pg_statistic_ext WHERE stxowner = 10
        UNION ALL SELECT 'pg_catalog.pg_ts_config'::regclass, oid FROM pg_catalog.pg_ts_config WHERE cfgowner = 10
        UNION ALL SELECT 'pg_catalog.pg_ts_dict'::regclass, oid FROM pg_catalog.pg_ts_dict WHERE dictowner = 10
        UNION ALL SELECT 'pg_catalog.pg_largeobject'::regclass, oid FROM pg_catalog.pg_largeobject_metadata WHERE lomowner = 10
    ) o
    CROSS JOIN LATERAL pg_catalog.pg_identify_object(o.classid, o.objid, 0) i
    WHERE coalesce(i.schema, '') !~ '^pg_' AND coalesce(i.schema, '') <> 'information_schema'
    AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = o.classid AND d.objid = o.objid AND d.deptype = 'e')`;

/**
 * Multirange types still owned by the bootstrap superuser, given away after everything else: PostgreSQL 17 moves a
 * range type's multirange with it and refuses an ALTER of the multirange alone ("cannot alter multirange type"), while
 * 15 leaves it behind (both checked here, 15.18 and 17.10), so only what is left once the ranges have moved is altered.
 * format_type qualifies a type whose schema is not on the search_path, so under PINNED_SEARCH_PATH every identity has
 * its schema.
 */
const MULTIRANGES_OWNED_BY_BOOTSTRAP_SUPERUSER = `
    SELECT 'type' AS type, pg_catalog.format_type(t.oid, NULL) AS identity FROM pg_catalog.pg_type t
    WHERE t.typtype = 'm' AND t.typowner = 10 AND t.typnamespace::regnamespace::text !~ '^pg_'
    AND t.typnamespace::regnamespace::text <> 'information_schema'
    AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')`;

/**
 * What the database-grant job runs on the self-hosted PostgreSQL, as its superuser, in the application's database,
 * in one transaction: everything or nothing. It
 * - pins the search_path first (PINNED_SEARCH_PATH): nothing the application planted in its database is ever called;
 * - creates the application, backup, monitoring and replication roles when they are missing, and sets their
 *   attributes and passwords (as SCRAM verifiers) only where they differ, so a second run writes nothing;
 * - makes the application's role the owner of the database (and of the databases earlier restores kept, so the
 *   restore's retention may drop them), which on PostgreSQL 15+ also makes it the owner of schema public through
 *   pg_database_owner (PostgreSQL 15 release notes, "Change the owner of the public schema to pg_database_owner");
 * - gives it every object the bootstrap superuser owns there (OWNED_BY_BOOTSTRAP_SUPERUSER);
 * - then checks the outcome and fails, rolling everything back, when any of it does not hold: among others, each role
 *   must be a member of exactly the roles it is allowed (allowedMemberships), since a predefined role carries no
 *   attribute a check of attributes would see;
 * - last, once every check has passed, keeps or drops the write-ahead log receiver's slot (renderWalSlot).
 * `synchronous_commit = local`: with backup.synchronousWal a commit waits for the receiver, which needs the role and
 * slot this job makes: the job's own must not (seen on 15.18: it waits for ever).
 * `lock_timeout`: the first run on an older stack takes an ACCESS EXCLUSIVE lock on each table it gives away while the
 * previous version still serves; it waits at most that long behind a long query, and fails (retried by the next `up`)
 * rather than queue every query of the application behind it.
 * Catalogs and functions are named with their schema, and literals carry their types, so that no overload that takes
 * the arguments with fewer casts could win even on a path that was not pinned; operators and type names rely on the
 * pinned path alone.
 */
export function renderDatabaseRoles(passwords: DatabaseRolePasswords, options: DatabaseRolesOptions): string {
    const R = DATABASE_ROLES;
    // Role, CREATEDB, REPLICATION, verifier.
    const roles: [string, boolean, boolean, string][] = [
        [R.app, false, false, scramSha256Verifier(passwords.app, R.app)],
        [R.backup, true, false, scramSha256Verifier(passwords.backup, R.backup)],
        [R.monitor, false, false, scramSha256Verifier(passwords.monitor, R.monitor)],
        [R.replication, false, true, scramSha256Verifier(passwords.replication, R.replication)],
    ];
    // Who may reach what: the backup role acts through the application's (reads for pg_dump, owns what a restore
    // builds: pg_restore --role) and may end sessions of the database it swaps out (pg_signal_backend: PostgreSQL
    // docs, "Predefined Roles"); the monitoring role reads statistics (pg_monitor), never a table.
    const memberships: [string, string][] = [
        [R.app, R.backup],
        ["pg_signal_backend", R.backup],
        ["pg_monitor", R.monitor],
    ];
    // Every role each of them may be a member of, directly or through another, and none else: the grants above and what
    // pg_monitor is itself a member of (PostgreSQL docs, "Predefined Roles", since 10: pg_read_all_settings,
    // pg_read_all_stats and pg_stat_scan_tables; checked on 15.18 by test/databaseRolesAttack.servers.test.ts, not on
    // 17 here: a server where pg_monitor differs fails the job, naming the membership, rather than passing it unseen).
    // pg_database_owner is left out of the comparison: its one member is implicit, the owner of the current database,
    // and no role can be granted it (same page); the job checks the database's owner on its own.
    const allowedMemberships: [string, string][] = [
        [R.backup, R.app],
        [R.backup, "pg_signal_backend"],
        [R.monitor, "pg_monitor"],
        [R.monitor, "pg_read_all_settings"],
        [R.monitor, "pg_read_all_stats"],
        [R.monitor, "pg_stat_scan_tables"],
    ];
    const name = (text: string) => `${sqlLiteral(text)}::name`;
    const values = roles
        .map(([role, db, repl, verifier]) => `(${name(role)}, ${db}, ${repl}, ${sqlLiteral(verifier)}::text)`)
        .join(",\n            ");
    const grants = memberships.map(([granted, member]) => `(${name(granted)}, ${name(member)})`).join(", ");
    const allowed = allowedMemberships
        .map(([member, granted]) => `(${name(member)}, ${name(granted)})`)
        .join(",\n            ");
    const roleNames = roles.map(([role]) => name(role)).join(", ");
    const body = `
DECLARE
    app CONSTANT name := ${name(R.app)};
    r record;
    problems text;
    lacking text;
    slot record;
    slot_found boolean;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = current_user AND rolsuper) THEN
        RAISE EXCEPTION 'database-grant: % is not a superuser, so it cannot make the roles', current_user;
    END IF;

    FOR r IN SELECT * FROM (VALUES
            ${values}) AS v(name, createdb, replication, verifier) LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r.name) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I', r.name);
        END IF;
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r.name AND rolcanlogin AND rolinherit AND NOT rolsuper
                AND NOT rolcreaterole AND rolcreatedb = r.createdb AND rolreplication = r.replication AND NOT rolbypassrls) THEN
            EXECUTE pg_catalog.format('ALTER ROLE %I WITH LOGIN INHERIT NOSUPERUSER NOCREATEROLE %s %s NOBYPASSRLS',
                r.name, CASE WHEN r.createdb THEN 'CREATEDB' ELSE 'NOCREATEDB' END,
                CASE WHEN r.replication THEN 'REPLICATION' ELSE 'NOREPLICATION' END);
        END IF;
        IF (SELECT rolpassword FROM pg_catalog.pg_authid WHERE rolname = r.name) IS DISTINCT FROM r.verifier THEN
            EXECUTE pg_catalog.format('ALTER ROLE %I PASSWORD %L', r.name, r.verifier);
        END IF;
    END LOOP;

    -- The monitoring role's sessions (the postgres exporter, in the application's database) pin their search_path too: a
    -- role's own setting comes before the database's, which the application's role may set, so nothing it plants in
    -- public runs with pg_monitor's rights (the second attack pass).
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_roles ro ON ro.oid = s.setrole
            WHERE ro.rolname = ${sqlLiteral(R.monitor)}::name AND s.setdatabase = 0
            AND s.setconfig OPERATOR(pg_catalog.@>) ARRAY[${sqlLiteral(`search_path=${PINNED_SEARCH_PATH}`)}::text]) THEN
        EXECUTE pg_catalog.format('ALTER ROLE %I SET search_path = ${PINNED_SEARCH_PATH}', ${sqlLiteral(R.monitor)}::text);
    END IF;

    FOR r IN SELECT * FROM (VALUES ${grants}) AS v(granted, member) LOOP
        IF NOT pg_catalog.pg_has_role(r.member, r.granted, 'USAGE'::text) THEN
            EXECUTE pg_catalog.format('GRANT %I TO %I', r.granted, r.member);
        END IF;
    END LOOP;

    FOR r IN SELECT datname FROM pg_catalog.pg_database
            WHERE (datname = pg_catalog.current_database()
                OR pg_catalog.starts_with(datname::text, pg_catalog.current_database()::text || '_before_restore_'::text))
            AND datdba IS DISTINCT FROM (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = app) LOOP
        EXECUTE pg_catalog.format('ALTER DATABASE %I OWNER TO %I', r.datname, app);
    END LOOP;

    FOR r IN ${OWNED_BY_BOOTSTRAP_SUPERUSER.trim()} LOOP
        EXECUTE pg_catalog.format('ALTER %s %s OWNER TO %I',
            CASE r.type WHEN 'composite type' THEN 'TYPE' WHEN 'statistics object' THEN 'STATISTICS' ELSE pg_catalog.upper(r.type) END,
            r.identity, app);
    END LOOP;
    FOR r IN ${MULTIRANGES_OWNED_BY_BOOTSTRAP_SUPERUSER.trim()} LOOP
        EXECUTE pg_catalog.format('ALTER TYPE %s OWNER TO %I', r.identity, app);
    END LOOP;

    -- The outcome, checked rather than assumed.
    SELECT pg_catalog.string_agg(rolname, ', ') INTO problems FROM pg_catalog.pg_roles
        WHERE rolname IN (${roleNames})
        AND (rolsuper OR rolcreaterole OR rolreplication <> (rolname = ${name(R.replication)}) OR rolbypassrls OR NOT rolcanlogin
            OR (rolcreatedb AND rolname <> ${name(R.backup)}));
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION 'database-grant: roles with more or less than they may have: %', problems;
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.format('%s is a member of %s', held.member, held.granted), ', ' ORDER BY held.member, held.granted)
            FILTER (WHERE allowed.member IS NULL),
        pg_catalog.string_agg(pg_catalog.format('%s is not a member of %s', allowed.member, allowed.granted), ', ' ORDER BY allowed.member, allowed.granted)
            FILTER (WHERE held.member IS NULL)
        INTO problems, lacking
        FROM (SELECT m.rolname AS member, g.rolname AS granted FROM pg_catalog.pg_roles m
                JOIN pg_catalog.pg_roles g ON g.oid <> m.oid AND pg_catalog.pg_has_role(m.oid, g.oid, 'MEMBER'::text)
                WHERE m.rolname IN (${roleNames}) AND g.rolname <> 'pg_database_owner'::name) AS held
        FULL JOIN (VALUES
            ${allowed}) AS allowed(member, granted)
            ON held.member = allowed.member AND held.granted = allowed.granted;
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION 'database-grant: memberships beyond what each role may have: %', problems;
    END IF;
    IF lacking IS NOT NULL THEN
        RAISE EXCEPTION 'database-grant: memberships a role needs are missing: %', lacking;
    END IF;
    -- Not the replication role's own REPLICATION (g is another role than m); but no role kept may be a member of it: with
    -- SET ROLE it could make and drop slots (PostgreSQL docs, "Replication Management Functions").
    SELECT pg_catalog.string_agg(DISTINCT pg_catalog.format('%s through %s', m.rolname, g.rolname), ', ') INTO problems
        FROM pg_catalog.pg_roles m JOIN pg_catalog.pg_roles g ON g.oid <> m.oid AND pg_catalog.pg_has_role(m.oid, g.oid, 'MEMBER'::text)
        WHERE m.rolname IN (${roleNames})
        AND (g.rolsuper OR g.rolcreaterole OR g.rolreplication OR g.rolbypassrls OR (g.rolcreatedb AND m.rolname <> ${name(R.backup)}));
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION 'database-grant: roles that can become a more privileged role: %', problems;
    END IF;
    IF EXISTS (SELECT FROM (VALUES ${grants}) AS v(granted, member) WHERE NOT pg_catalog.pg_has_role(member, granted, 'USAGE'::text)) THEN
        RAISE EXCEPTION 'database-grant: a membership the backup or monitoring role needs is missing or without INHERIT';
    END IF;
    IF (SELECT datdba FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
            IS DISTINCT FROM (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = app) THEN
        RAISE EXCEPTION 'database-grant: database % is not owned by %', pg_catalog.current_database(), app;
    END IF;
    IF NOT (pg_catalog.has_schema_privilege(app, 'public'::text, 'USAGE'::text) AND pg_catalog.has_schema_privilege(app, 'public'::text, 'CREATE'::text)) THEN
        RAISE EXCEPTION 'database-grant: % may not create in schema public of database %', app, pg_catalog.current_database();
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.format('%s %s', type, identity), ', ') INTO problems FROM (
        SELECT type, identity FROM (${OWNED_BY_BOOTSTRAP_SUPERUSER.trim()}) AS objects
        UNION ALL ${MULTIRANGES_OWNED_BY_BOOTSTRAP_SUPERUSER.trim()}) AS left_over;
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION 'database-grant: still owned by the bootstrap superuser: %', problems;
    END IF;
${renderWalSlot(options.walSlot)}
END`;
    const tag = "$roles$";
    if (body.includes(tag)) throw new Error(`the roles block must not contain ${tag}`);
    return [
        "-- Rendered by components/services/postgres.ts (renderDatabaseRoles): run by the database-grant job as the superuser.",
        "BEGIN;",
        "-- Before anything else: nothing the application's role planted in its database may be found (PINNED_SEARCH_PATH).",
        `SET LOCAL search_path = ${PINNED_SEARCH_PATH};`,
        // A database-level `role` would make this session the application's (the second attack pass).
        "SET LOCAL ROLE NONE;",
        "SET LOCAL lock_timeout = '10s';",
        "SET LOCAL synchronous_commit = local;",
        `DO ${tag}${body}`,
        `${tag};`,
        "COMMIT;",
        "",
    ].join("\n");
}

export const ROLES_SQL_PATH = "/etc/freshtrack/database-roles.sql";
/** Where the job finds the password of each superuser it tries, in DATABASE_ROLES order (superuser, then legacy). */
export const SUPERUSER_PASSWORD_FILES = [
    `${SECRETS_DIR}/database_superuser_password`,
    `${SECRETS_DIR}/database_legacy_superuser_password`,
] as const;

/**
 * The database-grant job's command on the self-hosted PostgreSQL. The program cannot know which superuser a cluster
 * has (the image reads POSTGRES_USER only when it initialises the data directory), so the job tries `postgres`, then
 * `freshtrack`, each with its own password, and runs the SQL as the first one the server accepts; when neither is,
 * it prints both refusals and fails. On a stack created before, the server logs one refused login of `postgres` per
 * run. Passwords go from their files to libpq's PGPASSWORD inside the shell, never into the command or env. PGOPTIONS
 * pins the search_path of every connection it opens, the probe's too (PINNED_SEARCH_PATH).
 */
export const DATABASE_ROLES_COMMAND = ((): string => {
    const superusers = [DATABASE_ROLES.superuser, DATABASE_ROLES.legacySuperuser];
    const candidates = superusers.map((user, i) => `${user}:${SUPERUSER_PASSWORD_FILES[i]}`).join(" ");
    return [
        "set -u",
        `export PGOPTIONS='${PINNED_SEARCH_PATH_PGOPTIONS}'`,
        "refusals=''",
        `for login in ${candidates}; do`,
        "  PGUSER=${login%%:*}",
        '  PGPASSWORD=$(cat "${login#*:}") || exit 1',
        "  export PGUSER PGPASSWORD",
        "  if refusal=$(psql --no-psqlrc --tuples-only --command 'SELECT 1' 2>&1 >/dev/null); then",
        `    exec psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --file ${ROLES_SQL_PATH}`,
        "  fi",
        '  refusals="$refusals\\n  $PGUSER: $refusal"',
        "done",
        "printf 'database-grant: the server accepted no superuser login:%b\\n' \"$refusals\" >&2",
        "exit 1",
    ].join("\n");
})();
