import { expect } from "chai";
import { ConfigError } from "../components/config";
import { BACKUP_SCRIPT_PATH, RESTORE_SCRIPT_PATH } from "../components/services/backupScripts";
import { deployStack } from "../components/stack";
import { runUnderMocks, SecretValue } from "../scripts/lib/mockRun";
import { loadStackSettings } from "../scripts/lib/stackFiles";
import { configFor, containerNamed, containers, runStack, settingsWith, uploadText } from "./helpers";

describe("scheduled backups", () => {
    it("run the shared backup script from cron on the configured schedule, with the restore script beside it", async () => {
        const { resources } = await runStack("prod", deployStack);
        expect(uploadText(resources, "backup", "/etc/crontabs/root")).to.equal(`15 3 * * * ${BACKUP_SCRIPT_PATH} scheduled >/proc/1/fd/1 2>/proc/1/fd/2\n`);
        expect(uploadText(resources, "backup", BACKUP_SCRIPT_PATH)).to.contain("pg_dump --format=custom");
        expect(uploadText(resources, "backup", RESTORE_SCRIPT_PATH)).to.contain("freshtrack-restore");
        expect(uploadText(resources, "pre-migrate-backup", BACKUP_SCRIPT_PATH)).to.equal(uploadText(resources, "backup", BACKUP_SCRIPT_PATH));
        const backup = containerNamed(resources, "backup");
        expect(backup.inputs.envs).to.include.members(["RETENTION_DAYS=30", "BACKUP_DIR=/backups/postgres", "TEXTFILE_DIR=/textfile"]);
        expect((backup.inputs.volumes as Array<{ volumeName: string }>).map((v) => v.volumeName)).to.deep.equal(["freshtrack-prod-backups", "freshtrack-prod-metrics-textfile"]);
    });

    it("mirror the dumps, deletions included, to the MinIO backups bucket from a read-only mount", async () => {
        const { resources } = await runStack("prod", deployStack);
        const sync = containerNamed(resources, "backup-sync");
        expect(sync.inputs.command).to.include.members(["mirror", "--watch", "--remove", "/backups/postgres", "local/backups/postgres"]);
        expect(sync.inputs.volumes).to.deep.equal([{ volumeName: "freshtrack-prod-backups", containerPath: "/backups", readOnly: true }]);
        expect(containers(resources).map((c) => c.name)).to.not.include("backup-offsite");
    });

    it("also copy offsite, to DigitalOcean Spaces, when configured, with the keys kept secret", async () => {
        const settings = loadStackSettings("prod");
        settings.config["freshtrack:backup"] = JSON.stringify({ schedule: "15 3 * * *", retentionDays: 30, offsite: { endpoint: "https://fra1.digitaloceanspaces.com", bucket: "acme-freshtrack-backups" } });
        settings.config["freshtrack:backupOffsiteAccessKeyId"] = "DO00KEY";
        settings.config["freshtrack:backupOffsiteSecretAccessKey"] = "spaces-secret";
        settings.secretKeys.push("freshtrack:backupOffsiteAccessKeyId", "freshtrack:backupOffsiteSecretAccessKey");
        const { resources } = await runUnderMocks(settings, deployStack);
        const offsite = containerNamed(resources, "backup-offsite");
        expect(offsite.inputs.command).to.include.members(["mirror", "/backups/postgres", "offsite/acme-freshtrack-backups/postgres"]);
        const upload = (offsite.inputs.uploads as Array<{ content: unknown }>)[0]!;
        expect(upload.content).to.be.instanceOf(SecretValue);
        expect(JSON.parse((upload.content as SecretValue).value as string).aliases.offsite).to.include({ url: "https://fra1.digitaloceanspaces.com", accessKey: "DO00KEY", secretKey: "spaces-secret" });
        expect((offsite.inputs.networksAdvanced as Array<{ name: string }>).map((n) => n.name)).to.deep.equal(["freshtrack-prod-app"]);
    });

    it("refuse an offsite bucket without its keys, or with a bad endpoint, naming each key", async () => {
        let error: unknown;
        try {
            await configFor(settingsWith({ "freshtrack:backup": { offsite: { endpoint: "http://insecure.example.com", bucket: "b" } } }));
        } catch (err) {
            error = err;
        }
        expect(error).to.be.instanceOf(ConfigError);
        const keys = (error as ConfigError).problems.map((p) => p.key);
        expect(keys).to.include.members(["freshtrack:backup.offsite.endpoint", "freshtrack:backup.offsite.bucket", "freshtrack:backupOffsiteAccessKeyId", "freshtrack:backupOffsiteSecretAccessKey"]);
    });
});
