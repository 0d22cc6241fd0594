/**
 * Rung 4 (real PostgreSQL on 127.0.0.1) for issue 15, finding 12: "the app gets a database role that is not a
 * superuser", on the self-hosted PostgreSQL. The database-grant job's own command (DATABASE_ROLES_COMMAND) and SQL
 * (renderDatabaseRoles) run against a cluster initialised as the postgres image does it now (POSTGRES_USER=postgres,
 * POSTGRES_DB=freshtrack): the application's role must end non-superuser, owning its database, able to migrate, and
 * unable to reach beyond its database; and the job must fail loudly, changing nothing, when it cannot do its work.
 * The old way of initialising is in test/databaseRolesLegacyCluster.servers.test.ts, the attack pass in
 * test/databaseRolesAttack.servers.test.ts; the clusters and the job's runner in test/databaseRolesFixtures.ts.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import { DATABASE } from "../components/services/context";
import { DATABASE_ROLES_COMMAND, renderDatabaseRoles, scramSha256Verifier } from "../components/services/postgres";
import { postgresBin, shellcheck } from "./localServers";
import {
    asApp,
    attributes,
    Cluster,
    expectAppCanMigrateAndNoMore,
    expectJobSucceeds,
    PASSWORDS,
    psql,
    R,
    ROLE_PASSWORDS,
    runJob,
    stamp,
    startCluster,
    stopCluster,
    su,
} from "./databaseRolesFixtures";

describe("the self-hosted PostgreSQL's roles, made by the database-grant job on a real server (rung 4: real server)", function () {
    this.timeout(60_000);

    it("runs a command that shellcheck passes as POSIX sh (rung 3: the container's /bin/sh is busybox ash)", function () {
        if (spawnSync("shellcheck", ["--version"]).status !== 0) this.skip(); // .ci/run installs it
        const check = shellcheck(`#!/bin/sh\n${DATABASE_ROLES_COMMAND}\n`);
        expect(check.status, check.stdout).to.equal(0);
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
            const sql = renderDatabaseRoles(ROLE_PASSWORDS, { walSlot: true });
            for (const password of Object.values(ROLE_PASSWORDS)) expect(sql).to.not.contain(password);
            expect(asApp(c!, "SELECT 1").status).to.equal(0);
            expect(asApp(c!, "SELECT 1").stderr).to.equal("");
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
});
