/**
 * Issue 18, item 1, on a real server (rung 4: Debian's PostgreSQL on 127.0.0.1, test/databaseRolesFixtures.ts): the
 * database-grant job keeps one role that may stream the write-ahead log and the receiver's slot, and drops the slot
 * when point-in-time recovery is off; the rendered pg_hba.conf, read through -c hba_file as the container's command
 * gives it, admits that role and no other to replication from another host; and the container's other settings
 * (the slot's cap, synchronous commits) are what the server runs with. The stack runs PostgreSQL 17; what this checks
 * is the same in 15 (PostgreSQL 15 docs, 21.1 and 27.2; the rules initdb writes are compared with initdb's own here).
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DATABASE } from "../components/services/context";
import { WAL_RECEIVER_APPLICATION, WAL_SLOT } from "../components/services/pitrNames";
import {
    postgresServerSettings,
    renderPgHba,
    SYNCHRONOUS_INIT_PGOPTIONS,
} from "../components/services/postgresReplication";
import {
    attributes,
    Cluster,
    expectJobSucceeds,
    PASSWORDS,
    R,
    runJob,
    startCluster,
    stopCluster,
    su,
} from "./databaseRolesFixtures";
import { asPostgres, postgresBin, scratchDir, stopServer } from "./localServers";
import { killReceiver, spawnReceiver } from "../scripts/lib/pitrLab";
import {
    hbaRules,
    Receiver,
    receiverLog,
    replicationCommand,
    restartWithSettings,
    slotState,
    startReceiver,
    timedSql,
    waitFor,
} from "./pitrReplicationFixtures";

/** A slot that exists, is free, holds the log from a known point, and has all of it. */
const RESERVED = "physical|f|t|reserved";

describe("replication for the write-ahead log's copy, on a real server (rung 4: real server)", function () {
    this.timeout(120_000);

    describe("the database-grant job keeps the replication role and the receiver's slot", () => {
        let c: Cluster | undefined;
        before(async () => {
            // initdb --auth=scram-sha-256 here: its `host replication all 127.0.0.1/32` lets the role stream.
            c = await startCluster(R.superuser, PASSWORDS.superuser);
        });
        after(() => stopCluster(c));
        /** Every row the job would write for the roles, with its xmin, and where the slot holds the log from. */
        const snapshot = () =>
            su(
                c!,
                `SELECT string_agg(x, ' ' ORDER BY x) FROM (
                    SELECT rolname || ':' || xmin FROM pg_authid WHERE rolname IN ('${R.app}', '${R.backup}', '${R.monitor}', '${R.replication}')
                    UNION ALL SELECT roleid::regrole || '>' || member::regrole || ':' || xmin FROM pg_auth_members
                    UNION ALL SELECT slot_name || '@' || restart_lsn FROM pg_replication_slots) AS rows(x)`,
            );
        const moveTheLogOn = () =>
            su(
                c!,
                "CREATE TABLE IF NOT EXISTS filler (i int); INSERT INTO filler SELECT generate_series(1, 1000); SELECT pg_switch_wal()",
                "postgres",
            );

        it("makes the role LOGIN REPLICATION and nothing more, a member of nothing, and a slot that holds the log already", () => {
            expectJobSucceeds(c!);
            expect(attributes(c!, R.replication), "super,createrole,createdb,replication,bypassrls,login").to.equal(
                "f,f,f,t,f,t",
            );
            const memberships = `SELECT count(*) FROM pg_auth_members WHERE member = '${R.replication}'::regrole OR roleid = '${R.replication}'::regrole`;
            expect(su(c!, memberships)).to.equal("0");
            // restart_lsn is set before any receiver has connected: immediately_reserve.
            expect(slotState(c!)).to.equal(RESERVED);
            const streams = replicationCommand(c!, R.replication, PASSWORDS.replication);
            expect(streams.status, streams.stderr).to.equal(0);
            expect(streams.stdout.trim().split("|")).to.have.length(4);
        });

        it("writes nothing when it runs again, though the log has moved on (a slot made anew would start later)", () => {
            const once = snapshot();
            expect(once).to.contain(`${WAL_SLOT}@`);
            moveTheLogOn();
            const again = expectJobSucceeds(c!);
            expect(again.stderr).to.equal("");
            expect(snapshot()).to.equal(once);
        });

        it("gives REPLICATION to that role alone: takes it back from another, fails on a membership in it or of it", () => {
            su(c!, `ALTER ROLE ${R.app} REPLICATION`);
            expectJobSucceeds(c!);
            expect(attributes(c!, R.app)).to.equal("f,f,f,f,f,t");
            for (const [grant, revoke, problem] of [
                [
                    `GRANT ${R.replication} TO ${R.app}`,
                    `REVOKE ${R.replication} FROM ${R.app}`,
                    `${R.app} is a member of ${R.replication}`,
                ],
                [
                    `GRANT ${R.monitor} TO ${R.replication}`,
                    `REVOKE ${R.monitor} FROM ${R.replication}`,
                    `${R.replication} is a member of ${R.monitor}`,
                ],
            ] as const) {
                su(c!, grant);
                try {
                    const job = runJob(c!);
                    expect(job.status, grant).to.not.equal(0);
                    expect(job.stderr).to.contain(`memberships beyond what each role may have: ${problem}`);
                } finally {
                    su(c!, revoke);
                }
            }
            expectJobSucceeds(c!);
        });

        it("drops the slot when point-in-time recovery is off, ending the receiver's connection; the receiver does not make it again", async () => {
            // The rendered receiver (a real pg_receivewal in its loop), as its container runs it.
            const archive = fs.mkdtempSync(path.join(c!.dir, "archive-"));
            const logFile = path.join(archive, "receiver.log");
            fs.writeFileSync(path.join(archive, "password"), PASSWORDS.replication);
            const fd = fs.openSync(logFile, "a");
            const rendered = spawnReceiver(
                {
                    PATH: `${path.dirname(postgresBin("psql"))}:/usr/sbin:/usr/bin:/bin`,
                    DATABASE_HOST: "127.0.0.1",
                    DATABASE_PORT: String(c!.port),
                    REPLICATION_USER: R.replication,
                    REPLICATION_PASSWORD_FILE: path.join(archive, "password"),
                    WAL_DIR: path.join(archive, "wal"),
                },
                fd,
            );
            fs.closeSync(fd);
            const log = () => fs.readFileSync(logFile, "utf8");
            try {
                await waitFor(
                    () => `${slotState(c!)}\n${log()}`,
                    () => slotState(c!).startsWith("physical|t|"),
                );
                const off = runJob(c!, {}, undefined, { walSlot: false });
                expect(off.status, off.stderr).to.equal(0);
                expect(off.stderr).to.equal("");
                expect(slotState(c!)).to.equal("");
                // Its next attempts (every 5 s) find no slot and say so; none makes it again.
                const noSlot = () => log().split("the server has no replication slot").length - 1;
                await waitFor(log, () => noSlot() >= 2, 20_000);
                expect(slotState(c!), log()).to.equal("");
                const again = runJob(c!, {}, undefined, { walSlot: false });
                expect(again.status, again.stderr).to.equal(0);
                expect(again.stderr, "finds none, and says nothing").to.equal("");
            } finally {
                killReceiver(rendered);
            }
            expectJobSucceeds(c!);
            expect(slotState(c!), "made again once it is on").to.equal(RESERVED);
        });

        it("leaves a slot whose log the server removed (max_slot_wal_keep_size) to the receiver, with a warning", () => {
            su(c!, "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'", "postgres");
            su(c!, "SELECT pg_reload_conf()", "postgres");
            try {
                for (let i = 0; i < 5; i++) moveTheLogOn();
                su(c!, "CHECKPOINT", "postgres");
                expect(slotState(c!), "invalidated by the checkpoint").to.equal("physical|f|f|lost");
                const job = runJob(c!);
                expect(job.status, job.stderr).to.equal(0);
                expect(job.stderr).to.contain(
                    `WARNING:  database-grant: replication slot ${WAL_SLOT} has lost log its receiver never copied`,
                );
                // Made anew here, it would start after the segment the receiver asks for: the receiver's to mend
                // (test/pitrChain.servers.test.ts).
                expect(slotState(c!)).to.equal("physical|f|f|lost");
            } finally {
                su(c!, "ALTER SYSTEM RESET max_slot_wal_keep_size", "postgres");
                su(c!, "SELECT pg_reload_conf()", "postgres");
                su(c!, `SELECT pg_drop_replication_slot('${WAL_SLOT}')`, "postgres");
            }
            expectJobSucceeds(c!);
            expect(slotState(c!)).to.equal(RESERVED);
        });
    });

    describe("the rendered pg_hba.conf", () => {
        it("keeps the rules initdb writes when the image runs it (no --auth), rule for rule (rung 3: Debian's initdb)", () => {
            const dir = scratchDir("freshtrack-initdb-");
            try {
                const [cmd, args] = asPostgres(postgresBin("initdb"), [
                    "-D",
                    path.join(dir, "data"),
                    "-U",
                    R.superuser,
                ]);
                const initdb = spawnSync(cmd, args, { encoding: "utf8" });
                expect(initdb.status, initdb.stderr).to.equal(0);
                const written = hbaRules(fs.readFileSync(path.join(dir, "data", "pg_hba.conf"), "utf8"));
                const rendered = hbaRules(renderPgHba());
                // Ours and the entrypoint's are the last two (test/pitrReplication.test.ts).
                expect(rendered.slice(0, -2)).to.deep.equal(written);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    describe("a server with the container's settings: the rendered pg_hba.conf, the slot's cap, synchronous commits", () => {
        let c: Cluster | undefined;
        let receiver: Receiver | undefined;
        let hbaFile: string;
        const settings = postgresServerSettings({ walKeepMb: 256, synchronous: true });
        /** Statements that commit, as the superuser, without waiting for a receiver that is not there. */
        const suLocally = (sql: string) => su(c!, `SET synchronous_commit = local; ${sql}`);
        /** Ends the sessions a test left waiting for the synchronous receiver: each then commits locally. */
        const cancelWaits = () =>
            su(
                c!,
                "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE wait_event = 'SyncRep'",
                "postgres",
            );

        before(async () => {
            c = await startCluster(R.superuser, PASSWORDS.superuser);
            // In the container the loopback is the server's own (only its health check and `docker exec` use it),
            // and every other client comes from another address. Here the test's clients come from 127.0.0.1, so the
            // loopback rules get addresses no client here has (documentation ranges), each in its place.
            hbaFile = path.join(c.dir, "pg_hba.conf");
            fs.writeFileSync(
                hbaFile,
                renderPgHba()
                    .replace(/127\.0\.0\.1\/32/g, "192.0.2.1/32")
                    .replace(/::1\/128/g, "2001:db8::1/128"),
            );
            restartWithSettings(c, { ...settings, hba_file: hbaFile });
        });
        after(async () => {
            await stopServer(receiver?.process);
            stopCluster(c);
        });

        it("runs with them: the rules file, read without error, the slot's cap and the receiver's name", () => {
            const show = (name: string) => su(c!, `SHOW ${name}`, "postgres");
            expect(show("hba_file")).to.equal(hbaFile);
            expect(show("max_slot_wal_keep_size")).to.equal("256MB");
            expect(show("synchronous_standby_names")).to.equal(`"${WAL_RECEIVER_APPLICATION}"`);
            expect(su(c!, "SELECT count(*) || ':' || count(error) FROM pg_hba_file_rules", "postgres")).to.equal("8:0");
        });

        it("lets the image's first initialisation create its database though commits wait for a receiver (PGOPTIONS)", () => {
            // docker_setup_db's CREATE DATABASE, through docker_process_sql: psql on the socket, as POSTGRES_USER.
            const initSql = (db: string, env: Record<string, string>) =>
                spawnSync(
                    postgresBin("psql"),
                    ["-v", "ON_ERROR_STOP=1", "--username", R.superuser, "--no-password", "--no-psqlrc"].concat([
                        "--dbname",
                        "postgres",
                        "-h",
                        c!.dir,
                        "-p",
                        String(c!.port),
                        "-c",
                        `CREATE DATABASE ${db}`,
                    ]),
                    { encoding: "utf8", env: { PATH: process.env.PATH ?? "", ...env }, timeout: 5_000 },
                );
            const withOptions = initSql("initialised_with_options", { PGOPTIONS: SYNCHRONOUS_INIT_PGOPTIONS });
            expect(withOptions.status, withOptions.stderr).to.equal(0);
            // The same without the container's PGOPTIONS waits for ever: what the image would do on a first start.
            const without = initSql("initialised_without", {});
            expect(without.status, "given up after 5 s").to.equal(null);
            expect(cancelWaits()).to.equal("1");
        });

        it("runs the database-grant job to the end though no receiver streams yet (it makes the receiver's role and slot)", () => {
            const job = runJob(c!);
            expect(job.status, `${job.error?.message ?? ""} ${job.stderr}`).to.equal(0);
            expect(slotState(c!)).to.equal(RESERVED);
        });

        it("admits the replication role from another address with its password, and no password but its own", () => {
            const identified = replicationCommand(c!, R.replication, PASSWORDS.replication);
            expect(identified.status, identified.stderr).to.equal(0);
            expect(identified.stdout.trim().split("|")).to.have.length(4);
            for (const password of ["not-the-password", undefined]) {
                const refused = replicationCommand(c!, R.replication, password);
                expect(refused.status, String(password)).to.not.equal(0);
                expect(refused.stderr).to.match(
                    password ? /password authentication failed for user "freshtrack_replication"/ : /no password/,
                );
            }
        });

        it("refuses replication from another address to every other role, one given REPLICATION by hand and the superuser too", () => {
            suLocally(`ALTER ROLE ${R.app} REPLICATION`);
            try {
                for (const [user, password] of [
                    [R.app, PASSWORDS.app],
                    [R.superuser, PASSWORDS.superuser],
                ] as const) {
                    const refused = replicationCommand(c!, user, password);
                    expect(refused.status, user).to.not.equal(0);
                    expect(refused.stderr).to.contain(
                        `no pg_hba.conf entry for replication connection from host "127.0.0.1", user "${user}"`,
                    );
                }
            } finally {
                suLocally(`ALTER ROLE ${R.app} NOREPLICATION`);
            }
        });

        it("keeps ordinary logins from another address as the image had them: with the password, never without", () => {
            const ok = timedSql(c!, R.app, PASSWORDS.app, "SELECT current_user", 10_000);
            expect(ok.status, ok.stderr).to.equal(0);
            expect(ok.stdout.trim()).to.equal(R.app);
            const wrong = timedSql(c!, R.app, "not-the-password", "SELECT 1", 10_000);
            expect(wrong.stderr).to.match(/password authentication failed for user "freshtrack_app"/);
            const none = timedSql(c!, R.app, undefined, "SELECT 1", 10_000);
            expect(none.status).to.not.equal(0);
            expect(none.stderr).to.match(/no password supplied/);
        });

        it("streams to the receiver as the synchronous standby: commits return while it runs and wait when it is down", async () => {
            receiver = startReceiver(c!, PASSWORDS.replication, { synchronous: true });
            const replication = () =>
                su(
                    c!,
                    "SELECT string_agg(application_name || '|' || sync_state, ',') FROM pg_stat_replication",
                    "postgres",
                );
            await waitFor(
                () => `${replication()}\n${receiverLog(receiver)}`,
                () => replication() === `${WAL_RECEIVER_APPLICATION}|sync`,
            );
            expect(slotState(c!)).to.match(/^physical\|t\|t\|/);
            const write = "CREATE TABLE IF NOT EXISTS readings (at timestamptz); INSERT INTO readings VALUES (now())";
            const committed = timedSql(c!, R.app, PASSWORDS.app, write, 10_000);
            expect(committed.status, committed.stderr).to.equal(0);

            await stopServer(receiver.process);
            receiver = undefined;
            const waiting = timedSql(c!, R.app, PASSWORDS.app, "INSERT INTO readings VALUES (now())", 3_000);
            expect(waiting.status, "the commit waits for the receiver: given up after 3 s").to.equal(null);
            expect(cancelWaits()).to.equal("1");
            // Cancelled, the wait ends and the commit stands, as it was already in the server's own log.
            const rows = () => su(c!, "SELECT count(*) FROM readings", DATABASE.name);
            await waitFor(rows, () => rows() === "2");
        });
    });
});
