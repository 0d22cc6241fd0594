/**
 * Issue 18, item 1: the self-hosted PostgreSQL lets one dedicated role stream its write-ahead log, keeps the
 * receiver's slot while point-in-time recovery is on, and drops it when it is off. Rung 1 (pure renderers and the
 * generated-secret list, no server): what the program asks for. The real server runs the same files and SQL in
 * test/pitrReplication.servers.test.ts (rung 4); the stacks register them in test/pitrReplication.stack.test.ts.
 */
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { GENERATED_SECRETS } from "../components/platform/secrets";
import { DATABASE_ROLES } from "../components/services/context";
import { DATA_PLATFORM } from "../components/services/dataTier";
import { WAL_RECEIVER_APPLICATION, WAL_SLOT } from "../components/services/pitrNames";
import { renderDatabaseRoles, selfHostedLogins } from "../components/services/postgres";
import {
    PG_HBA_PATH,
    postgresServerSettings,
    renderPgHba,
    SYNCHRONOUS_INIT_PGOPTIONS,
    walStreamingServer,
} from "../components/services/postgresReplication";
import { hbaRules } from "./pitrReplicationFixtures";

const PASSWORDS = { app: "appA1", backup: "backupB2", monitor: "monitorC3", replication: "replicationD4" };

describe("replication for the write-ahead log's copy: what the program renders (rung 1)", () => {
    describe("pg_hba.conf", () => {
        const rules = hbaRules(renderPgHba());

        it("admits the replication role, and no other, to replication connections from any other host, with SCRAM", () => {
            const fromOtherHosts = rules.filter((r) => r[0] === "host" && r[1] === "replication" && r[3] === "all");
            expect(fromOtherHosts).to.deep.equal([
                ["host", "replication", DATABASE_ROLES.replication, "all", "scram-sha-256"],
            ]);
        });

        it("keeps the image's rules as initdb and the entrypoint wrote them, with the replication rule before the catch-all", () => {
            // The six of initdb without --auth (the servers test compares them with what initdb writes), then ours,
            // then the entrypoint's `host all all all <password_encryption>`, last.
            expect(rules.map((r) => r.join(" "))).to.deep.equal([
                "local all all trust",
                "host all all 127.0.0.1/32 trust",
                "host all all ::1/128 trust",
                "local replication all trust",
                "host replication all 127.0.0.1/32 trust",
                "host replication all ::1/128 trust",
                `host replication ${DATABASE_ROLES.replication} all scram-sha-256`,
                "host all all all scram-sha-256",
            ]);
            expect(
                rules.some((r) => r.includes("reject")),
                "nothing refuses outright",
            ).to.equal(false);
        });
    });

    describe("the server's settings", () => {
        it("always reads the rendered rules; caps the slot and waits for the receiver only when told", () => {
            expect(postgresServerSettings(undefined)).to.deep.equal({ hba_file: PG_HBA_PATH });
            expect(postgresServerSettings({ walKeepMb: 4096, synchronous: false })).to.deep.equal({
                hba_file: PG_HBA_PATH,
                max_slot_wal_keep_size: "4096MB",
            });
            expect(postgresServerSettings({ walKeepMb: 256, synchronous: true })).to.deep.equal({
                hba_file: PG_HBA_PATH,
                max_slot_wal_keep_size: "256MB",
                synchronous_standby_names: `"${WAL_RECEIVER_APPLICATION}"`,
            });
        });

        it("lets the image's first initialisation commit locally only when commits wait for the receiver", () => {
            expect(walStreamingServer({ walKeepMb: 4096, synchronous: true }).env).to.deep.equal({
                PGOPTIONS: SYNCHRONOUS_INIT_PGOPTIONS,
            });
            expect(walStreamingServer({ walKeepMb: 4096, synchronous: false }).env).to.deep.equal({});
            expect(walStreamingServer(undefined).env).to.deep.equal({});
            expect(walStreamingServer(undefined).files).to.deep.equal([{ path: PG_HBA_PATH, content: renderPgHba() }]);
        });
    });

    describe("the database-grant job's SQL", () => {
        const keep = renderDatabaseRoles(PASSWORDS, { walSlot: true });
        const drop = renderDatabaseRoles(PASSWORDS, { walSlot: false });
        const create = `pg_catalog.pg_create_physical_replication_slot('${WAL_SLOT}'::name, true)`;
        const dropCall = `pg_catalog.pg_drop_replication_slot('${WAL_SLOT}'::name)`;

        it("makes the slot reserving the log at once when it must exist, and only drops it when it must not", () => {
            expect(keep).to.contain(create);
            expect(drop).to.not.contain("pg_create_physical_replication_slot");
            expect(drop).to.contain(dropCall);
        });

        it("touches the slot only after the last check, since a rollback would not undo it", () => {
            for (const sql of [keep, drop]) {
                const lastCheck = sql.lastIndexOf("RAISE EXCEPTION 'database-grant: still owned by the bootstrap");
                expect(lastCheck).to.be.greaterThan(0);
                const firstSlotCall = Math.min(...[create, dropCall].map((c) => sql.indexOf(c)).filter((i) => i >= 0));
                expect(firstSlotCall).to.be.greaterThan(lastCheck);
            }
        });

        it("commits without waiting for a synchronous receiver, and carries verifiers, never the passwords", () => {
            expect(keep).to.match(/^SET LOCAL synchronous_commit = local;$/m);
            expect(keep.indexOf("SET LOCAL synchronous_commit")).to.be.lessThan(keep.indexOf("DO $roles$"));
            for (const password of Object.values(PASSWORDS)) expect(keep).to.not.contain(password);
        });
    });

    describe("its generated password and login", () => {
        it("is a generated secret of 32 characters, given to the data tier", () => {
            expect(GENERATED_SECRETS.databaseReplicationPassword).to.deep.equal({ length: 32 });
            expect(DATA_PLATFORM.secrets).to.include("databaseReplicationPassword");
        });

        it("is a self-hosted login the receiver and the base backups can be handed", async () => {
            const secrets = Object.fromEntries(
                DATA_PLATFORM.secrets.map((s) => [s, pulumi.output(`value-of-${s}`)]),
            ) as unknown as Parameters<typeof selfHostedLogins>[0];
            const login = selfHostedLogins(secrets).replication;
            expect(login.user).to.equal(DATABASE_ROLES.replication);
            const password = await new Promise<string>((resolve) => login.password.apply(resolve));
            expect(password).to.equal("value-of-databaseReplicationPassword");
        });
    });
});
