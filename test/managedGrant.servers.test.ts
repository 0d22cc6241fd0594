/**
 * Rung 4 (a real server on 127.0.0.1) for issue 14, defect 5: the grant job's own command and SQL, run against
 * Debian's PostgreSQL (15 on bookworm, installed by .ci/run). Since PostgreSQL 15 a role that owns nothing
 * cannot create a table in schema public (release notes of PostgreSQL 15, "Migration to Version 15": "Remove
 * PUBLIC creation permission on the public schema"); this is what a role made through the DigitalOcean API
 * meets on a managed cluster. Only the connection differs from the container: 127.0.0.1 without TLS, and the SQL
 * file at a scratch path instead of GRANT_SQL_PATH.
 */
import { expect } from "chai";
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DATABASE } from "../components/services/context";
import { GRANT_COMMAND, GRANT_SQL_PATH, renderPublicSchemaGrant } from "../components/services/migrations";
import { postgresBin, psqlOnLocalhost, startScratchCluster, stopScratchCluster } from "./localServers";

const SUPERUSER = "postgres";
const SUPERUSER_PASSWORD = `super-${Date.now()}`;
const APP_PASSWORD = `app-${Date.now()}`;
/** Like DigitalOcean's doadmin: not a superuser, but the owner of the application's database. */
const OWNER = "doadmin";
const OWNER_PASSWORD = `owner-${Date.now()}`;

describe("the grant on schema public, run by a real PostgreSQL 15+ (rung 4: real server)", function () {
    this.timeout(60_000);
    let dir: string;
    let port: number;

    const psql = (user: string, password: string, database: string, sql: string): SpawnSyncReturns<string> =>
        psqlOnLocalhost(port, { user, password }, database, sql);
    const asSuperuser = (database: string, sql: string) => {
        const result = psql(SUPERUSER, SUPERUSER_PASSWORD, database, sql);
        expect(result.status, result.stderr).to.equal(0);
        return result.stdout.trim();
    };

    /** The job's command as the container runs it (`/bin/sh -c`), with the SQL the job renders for `appUser`. */
    const runGrantJob = (
        admin: string,
        adminPassword: string,
        database: string,
        appUser: string = DATABASE.user,
    ): SpawnSyncReturns<string> => {
        const sqlFile = path.join(dir, `grant-${Date.now()}-${Math.random()}.sql`);
        const passwordFile = path.join(dir, `admin-password-${Date.now()}-${Math.random()}`);
        fs.writeFileSync(sqlFile, renderPublicSchemaGrant(appUser));
        fs.writeFileSync(passwordFile, adminPassword, { mode: 0o444 });
        return spawnSync("sh", ["-c", GRANT_COMMAND.replace(GRANT_SQL_PATH, sqlFile)], {
            encoding: "utf8",
            env: {
                PATH: `${path.dirname(postgresBin("psql"))}:${process.env.PATH}`,
                PGHOST: "127.0.0.1",
                PGPORT: String(port),
                PGDATABASE: database,
                PGUSER: admin,
                PGSSLMODE: "disable",
                ADMIN_PASSWORD_FILE: passwordFile,
                PGCONNECT_TIMEOUT: "5",
            },
        });
    };

    before(async function () {
        ({ dir, port } = await startScratchCluster({
            prefix: "freshtrack-grant-",
            superuser: SUPERUSER,
            password: SUPERUSER_PASSWORD,
        }));
        // What the DigitalOcean API leaves: an application role with LOGIN and nothing else, and its database.
        asSuperuser("postgres", `CREATE ROLE ${DATABASE.user} LOGIN PASSWORD '${APP_PASSWORD}'`);
        asSuperuser("postgres", `CREATE DATABASE ${DATABASE.name}`);
        asSuperuser("postgres", `CREATE ROLE ${OWNER} LOGIN CREATEDB CREATEROLE PASSWORD '${OWNER_PASSWORD}'`);
        asSuperuser("postgres", `CREATE DATABASE owned_by_admin OWNER ${OWNER}`);
        if (Number(asSuperuser("postgres", "SHOW server_version_num")) < 150000) {
            // Before 15 every role may create in public, so there is nothing to show.
            this.skip();
        }
    });

    after(() => {
        if (dir) stopScratchCluster({ dir });
    });

    it("refuses CREATE TABLE in public to the application's role until the job has run, then allows it", () => {
        const before = psql(DATABASE.user, APP_PASSWORD, DATABASE.name, "CREATE TABLE readings_before (id int)");
        expect(before.status).to.not.equal(0);
        expect(before.stderr).to.contain("permission denied for schema public");

        const job = runGrantJob(SUPERUSER, SUPERUSER_PASSWORD, DATABASE.name);
        expect(job.status, job.stderr).to.equal(0);

        const sql = "CREATE TABLE readings (id int); INSERT INTO readings VALUES (1); SELECT count(*) FROM readings";
        const after = psql(DATABASE.user, APP_PASSWORD, DATABASE.name, sql);
        expect(after.status, after.stderr).to.equal(0);
        expect(after.stdout.trim().split("\n").pop()).to.equal("1");
        const owner = asSuperuser(
            DATABASE.name,
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'readings'",
        );
        expect(owner, "the role owns what it creates").to.equal(DATABASE.user);
    });

    it("can run again (before every migration): a second run succeeds and changes nothing", () => {
        const acl = () => asSuperuser(DATABASE.name, "SELECT nspacl::text FROM pg_namespace WHERE nspname = 'public'");
        const first = runGrantJob(SUPERUSER, SUPERUSER_PASSWORD, DATABASE.name);
        expect(first.status, first.stderr).to.equal(0);
        const once = acl();
        const second = runGrantJob(SUPERUSER, SUPERUSER_PASSWORD, DATABASE.name);
        expect(second.status, second.stderr).to.equal(0);
        expect(second.stderr).to.equal("");
        expect(acl()).to.equal(once);
        expect(once).to.contain(`${DATABASE.user}=UC/`);
        expect(
            asSuperuser(DATABASE.name, `SELECT has_schema_privilege('${DATABASE.user}', 'public', 'CREATE')`),
        ).to.equal("t");
    });

    it("works as a database owner that is not a superuser, as doadmin is on a managed cluster", () => {
        expect(psql(DATABASE.user, APP_PASSWORD, "owned_by_admin", "CREATE TABLE t (id int)").status).to.not.equal(0);
        const job = runGrantJob(OWNER, OWNER_PASSWORD, "owned_by_admin");
        expect(job.status, job.stderr).to.equal(0);
        const after = psql(DATABASE.user, APP_PASSWORD, "owned_by_admin", "CREATE TABLE t (id int)");
        expect(after.status, after.stderr).to.equal(0);
    });

    it("exits non-zero, so the migration never runs, when the grant cannot be made", () => {
        const noSuchRole = runGrantJob(SUPERUSER, SUPERUSER_PASSWORD, DATABASE.name, "no_such_role");
        expect(noSuchRole.status).to.not.equal(0);
        expect(noSuchRole.stderr).to.contain('role "no_such_role" does not exist');
        const wrongPassword = runGrantJob(SUPERUSER, "not-the-password", DATABASE.name);
        expect(wrongPassword.status).to.not.equal(0);
        expect(wrongPassword.stderr).to.contain("password authentication failed");
    });

    it("fails, rather than warn and exit 0, when the administrator does not own the database", () => {
        asSuperuser("postgres", "CREATE DATABASE owned_by_someone_else");
        // A bare GRANT by a role without the grant option only warns, and psql exits 0: the reason for the job's check.
        const bare = psql(
            OWNER,
            OWNER_PASSWORD,
            "owned_by_someone_else",
            `GRANT USAGE, CREATE ON SCHEMA public TO ${DATABASE.user}`,
        );
        expect(bare.status, bare.stderr).to.equal(0);
        expect(bare.stderr).to.contain("no privileges were granted");
        const job = runGrantJob(OWNER, OWNER_PASSWORD, "owned_by_someone_else");
        expect(job.status).to.not.equal(0);
        const reason = `role ${DATABASE.user} still may not create in schema public of database owned_by_someone_else: ${OWNER} does not own it`;
        expect(job.stderr).to.contain(reason);
    });

    /**
     * Issue 15, finding 12, from the attack pass: the job runs as the administrator in schema public where it has just
     * let the application's role create, and its check called has_schema_privilege with untyped literals, which an
     * overload taking text wins over pg_catalog's (CVE-2018-1058). Each case starts from a first run in a database the
     * administrator owns, as doadmin owns the application's, plants as the application's role, runs the next
     * migration's job, and judges the outcome with schema-qualified names.
     */
    describe("runs none of the application's code as the administrator (attack pass, finding 12)", () => {
        let database = "";
        let made = 0;
        beforeEach(() => {
            database = `attacked_${++made}`;
            asSuperuser("postgres", `CREATE DATABASE ${database} OWNER ${OWNER}`);
            const first = runGrantJob(OWNER, OWNER_PASSWORD, database);
            expect(first.status, first.stderr).to.equal(0);
        });

        const asApp = (sql: string) => psql(DATABASE.user, APP_PASSWORD, database, sql);
        /**
         * SUPERUSER, CREATEROLE, CREATEDB, BYPASSRLS of the application's role: what the administrator could give it.
         */
        const appAttributes = () =>
            asSuperuser(
                "postgres",
                `SELECT concat_ws(',', rolsuper, rolcreaterole, rolcreatedb, rolbypassrls) FROM pg_catalog.pg_roles WHERE rolname = '${DATABASE.user}'`,
            );
        /** Who ran the planted code, and through what: empty when it never ran. */
        const hijackLog = () =>
            asSuperuser(
                database,
                "SELECT coalesce(pg_catalog.string_agg(DISTINCT who || ' via ' || via, ', '), '') FROM public.hijack_log",
            );
        /** Run by the administrator, it gives the application's role what CREATEROLE lets the administrator give. */
        const HIJACK = `
            CREATE TABLE public.hijack_log (who name, via text);
            GRANT INSERT ON public.hijack_log TO PUBLIC;
            CREATE FUNCTION public.hijack(via text) RETURNS boolean LANGUAGE plpgsql AS $f$
            BEGIN
                INSERT INTO public.hijack_log VALUES (current_user, via);
                IF current_user = '${OWNER}' THEN
                    EXECUTE 'ALTER ROLE ${DATABASE.user} CREATEROLE CREATEDB';
                END IF;
                RETURN true;
            END $f$;`;
        const expectNothingGained = () => {
            expect(appAttributes(), "NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS").to.equal("f,f,f,f");
            expect(asApp("CREATE ROLE intruder").stderr).to.contain("permission denied to create role");
        };

        it("(A) never calls an overload in schema public that matches the check's arguments better than pg_catalog's", () => {
            const plant = asApp(`${HIJACK}
                CREATE FUNCTION public.has_schema_privilege(text, text, text) RETURNS boolean LANGUAGE sql
                    AS $f$ SELECT public.hijack('has_schema_privilege(text, text, text)') AND pg_catalog.has_schema_privilege($1::name, $2, $3) $f$;`);
            expect(plant.status, plant.stderr).to.equal(0);
            const job = runGrantJob(OWNER, OWNER_PASSWORD, database);
            expect(job.status, job.stderr).to.equal(0);
            expectNothingGained();
            expect(hijackLog(), "the planted function never ran").to.equal("");
        });

        it("(B) ignores a database search_path that puts public first, and the functions of pg_catalog's own signatures planted there", () => {
            // Only the database's owner (doadmin) or a superuser may set it: not the application's role.
            expect(asApp(`ALTER DATABASE ${database} SET search_path = public, pg_catalog`).stderr).to.contain(
                "must be owner of database",
            );
            const set = psql(
                OWNER,
                OWNER_PASSWORD,
                database,
                `ALTER DATABASE ${database} SET search_path = public, pg_catalog`,
            );
            expect(set.status, set.stderr).to.equal(0);
            const plant = asApp(`${HIJACK}
                CREATE FUNCTION public.has_schema_privilege(name, text, text) RETURNS boolean LANGUAGE sql
                    AS $f$ SELECT public.hijack('has_schema_privilege(name, text, text)') AND pg_catalog.has_schema_privilege($1, $2, $3) $f$;
                CREATE FUNCTION public.current_database() RETURNS name LANGUAGE sql
                    AS $f$ SELECT CASE WHEN public.hijack('current_database()') THEN pg_catalog.current_database() END $f$;`);
            expect(plant.status, plant.stderr).to.equal(0);
            expect(
                psql(OWNER, OWNER_PASSWORD, database, "SHOW search_path").stdout.trim(),
                "in force where nothing pins it",
            ).to.equal("public, pg_catalog");
            const job = runGrantJob(OWNER, OWNER_PASSWORD, database);
            expect(job.status, job.stderr).to.equal(0);
            expectNothingGained();
            expect(hijackLog(), "the planted functions never ran").to.equal("");
        });
    });
});
