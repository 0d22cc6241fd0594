/**
 * Issue 18, item 1, per stack: the postgres container reads the rendered pg_hba.conf and, with point-in-time recovery,
 * caps the receiver's slot (and waits for it when synchronousWal is on); the database-grant job keeps the replication
 * role and keeps or drops the slot as freshtrack:backup.pointInTime says; the role's password is a generated secret.
 * Rung 1 (mocks): what each shipped stack, and prod with the settings changed, registers. The same files and SQL run on
 * a real server in test/pitrReplication.servers.test.ts.
 */
import { expect } from "chai";
import { DATABASE_ROLES } from "../components/services/context";
import { WAL_RECEIVER_APPLICATION } from "../components/services/pitrNames";
import { postgresTuning, renderDatabaseRoles, ROLES_SQL_PATH } from "../components/services/postgres";
import { PG_HBA_PATH, renderPgHba, SYNCHRONOUS_INIT_PGOPTIONS } from "../components/services/postgresReplication";
import { RegisteredResource, SecretValue } from "../scripts/lib/mockRun";
import { loadStackSettings, shippedStacks, StackSettings } from "../scripts/lib/stackFiles";
import { containerNamed, uploadText } from "./helpers";
import { sharedRun, shippedRun } from "./variantRuns";

const MOCK_PASSWORDS = {
    app: "mock-secrets-databaseAppPassword",
    backup: "mock-secrets-databaseBackupPassword",
    monitor: "mock-secrets-databaseMonitorPassword",
    replication: "mock-secrets-databaseReplicationPassword",
};

/** Prod with freshtrack:backup changed as given. */
function prodWithBackup(change: Record<string, unknown>): StackSettings {
    const settings = loadStackSettings("prod");
    const backup = JSON.parse(settings.config["freshtrack:backup"] ?? "{}") as Record<string, unknown>;
    settings.config["freshtrack:backup"] = JSON.stringify({ ...backup, ...change });
    return settings;
}

/** The server's `-c` settings, in the order of its command. */
function serverSettings(resources: RegisteredResource[]): Array<[string, string]> {
    const command = containerNamed(resources, "postgres").inputs.command as string[];
    expect(command[0]).to.equal("postgres");
    const pairs: Array<[string, string]> = [];
    for (let i = 1; i < command.length; i += 2) {
        expect(command[i]).to.equal("-c");
        const setting = command[i + 1]!;
        pairs.push([setting.slice(0, setting.indexOf("=")), setting.slice(setting.indexOf("=") + 1)]);
    }
    return pairs;
}

function envOf(resources: RegisteredResource[], name: string): Record<string, string> {
    return Object.fromEntries(
        (containerNamed(resources, name).inputs.envs as string[]).map((e) => [
            e.slice(0, e.indexOf("=")),
            e.slice(e.indexOf("=") + 1),
        ]),
    );
}

describe("replication for the write-ahead log's copy, per stack (rung 1: mocks)", function () {
    this.timeout(120_000);

    for (const stack of shippedStacks()) {
        describe(`${stack} (point-in-time recovery on, as by default)`, () => {
            let resources: RegisteredResource[];
            let walKeepMb: number;
            before(async () => {
                const run = await shippedRun(stack);
                resources = run.resources;
                walKeepMb = run.result.cfg.backup.walKeepMb;
                expect(run.result.cfg.backup.pointInTime, "no shipped stack turns it off").to.equal(true);
            });

            it("runs the server with its tuning as before, then the rendered rules file and the slot's cap", () => {
                const memoryMb = containerNamed(resources, "postgres").inputs.memory as number;
                expect(serverSettings(resources)).to.deep.equal([
                    ...Object.entries(postgresTuning(memoryMb)),
                    ["hba_file", PG_HBA_PATH],
                    ["max_slot_wal_keep_size", `${walKeepMb}MB`],
                ]);
                expect(envOf(resources, "postgres").PGOPTIONS, "commits wait for no receiver").to.equal(undefined);
            });

            it("gives the server the rendered pg_hba.conf, as a file it can read (not secret, so 0644)", () => {
                expect(uploadText(resources, "postgres", PG_HBA_PATH)).to.equal(renderPgHba());
                const uploads = containerNamed(resources, "postgres").inputs.uploads as Array<Record<string, unknown>>;
                const hba = uploads.find((u) => u.file === PG_HBA_PATH)!;
                expect(hba.content instanceof SecretValue).to.equal(false);
                expect(hba.permissions, "the provider's 0644").to.equal(undefined);
            });

            it("has the database-grant job keep the replication role and the receiver's slot", () => {
                expect(uploadText(resources, "database-grant", ROLES_SQL_PATH)).to.equal(
                    renderDatabaseRoles(MOCK_PASSWORDS, { walSlot: true }),
                );
            });

            it("generates the replication role's password as it does the other roles'", () => {
                const password = resources.find(
                    (r) =>
                        r.type === "random:index/randomPassword:RandomPassword" &&
                        r.name.endsWith("-databaseReplicationPassword"),
                );
                expect(password?.inputs).to.include({ length: 32, special: false });
            });
        });
    }

    // The cap stays: the update that turns recovery off runs the job while the receiver still holds the slot, and a
    // slot left behind without a cap would hold the log back until the disk is full (the newcomer pass, issue 18).
    it("with point-in-time recovery off: the rules file still, the slot's cap still, and the job drops the slot", async () => {
        const { resources } = await sharedRun(prodWithBackup({ pointInTime: false, walKeepMb: 1536 }));
        expect(Object.fromEntries(serverSettings(resources))).to.include({ max_slot_wal_keep_size: "1536MB" });
        expect(serverSettings(resources).map(([k]) => k)).to.include("hba_file");
        expect(uploadText(resources, "database-grant", ROLES_SQL_PATH)).to.equal(
            renderDatabaseRoles(MOCK_PASSWORDS, { walSlot: false }),
        );
    });

    it("with synchronousWal: commits wait for the receiver by its name, and the image's initialisation commits locally", async () => {
        const { resources } = await sharedRun(prodWithBackup({ synchronousWal: true, walKeepMb: 2048 }));
        expect(Object.fromEntries(serverSettings(resources))).to.include({
            max_slot_wal_keep_size: "2048MB",
            synchronous_standby_names: `"${WAL_RECEIVER_APPLICATION}"`,
        });
        expect(envOf(resources, "postgres").PGOPTIONS).to.equal(SYNCHRONOUS_INIT_PGOPTIONS);
    });

    // The receiver streams as the role, from the slot, that the database-grant job makes: created only once the job
    // has succeeded (`requires`: its label carries the job's checked exit code), as the replication login, writing
    // into the backups volume; with synchronousWal it flushes every write; with pointInTime off there is none, and the
    // backup service takes no base backup.
    it("runs the WAL receiver after the roles job, as the replication role, into the backups volume", async () => {
        const { resources } = await shippedRun("prod");
        const receiver = containerNamed(resources, "wal-receiver");
        const labels = receiver.inputs.labels as Array<{ label: string; value: string }>;
        expect(labels.find((l) => l.label === "com.freshtrack.requires")?.value).to.equal("database-grant");
        expect(envOf(resources, "wal-receiver")).to.include({
            REPLICATION_USER: DATABASE_ROLES.replication,
            DATABASE_HOST: "postgres",
        });
        expect(envOf(resources, "wal-receiver")).to.not.have.property("SYNCHRONOUS");
        const mounts = receiver.inputs.volumes as Array<{ containerPath: string; volumeName: string }>;
        expect(mounts.map((m) => `${m.volumeName}:${m.containerPath}`)).to.deep.equal([
            "freshtrack-prod-backups:/backups",
        ]);
        const sync = await sharedRun(prodWithBackup({ synchronousWal: true }));
        expect(envOf(sync.resources, "wal-receiver").SYNCHRONOUS).to.equal("1");
        const off = await sharedRun(prodWithBackup({ pointInTime: false }));
        expect(off.resources.some((r) => r.name === "wal-receiver")).to.equal(false);
        expect(uploadText(off.resources, "backup", "/etc/crontabs/root")).to.not.contain("freshtrack-base-backup");
    });

    it("hands the replication login out with the other self-hosted credentials (generatedCredentials)", async () => {
        const run = await shippedRun("dev");
        const credentials = await new Promise<Record<string, Record<string, { user: string }>>>((resolve) =>
            run.result.generatedCredentials.apply((v) => resolve(v as never)),
        );
        expect(credentials.postgres?.replication?.user).to.equal(DATABASE_ROLES.replication);
    });
});
