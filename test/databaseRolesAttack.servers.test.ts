/**
 * Rung 4 (real PostgreSQL on 127.0.0.1) for issue 15, finding 12, the attack pass: whatever the application's role
 * plants in the database it owns, or sets on it, the database-grant job (which runs there as the superuser) never runs
 * it, and the roles end exactly as the job makes them. The clusters and the job's runner are in
 * test/databaseRolesFixtures.ts.
 */
import { expect } from "chai";
import { DATABASE } from "../components/services/context";
import {
    asApp,
    Cluster,
    expectJobSucceeds,
    PASSWORDS,
    psql,
    R,
    runJob,
    startCluster,
    stopCluster,
    su,
} from "./databaseRolesFixtures";

describe("the self-hosted PostgreSQL's roles, made by the database-grant job on a real server (rung 4: real server)", function () {
    this.timeout(60_000);

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
