import { expect } from "chai";
import { BACKUP_SCRIPT_PATH, BASE_BACKUP_SCRIPT_PATH, RESTORE_SCRIPT_PATH } from "../components/services/backupScripts";
import { MIRROR_HEALTH_LIMITS, SYNC_INTERVAL_SECONDS, TEXTFILE_DIR } from "../components/services/backup";
import {
    MIRROR_HEALTH_SCRIPT_PATH,
    mirrorMetricFiles,
    renderMirrorHealthCheck,
} from "../components/services/backupScripts";
import { BACKUP_APPEND_POLICY, BACKUP_SYNC_USER, UPLOADS_READER_USER } from "../components/services/minio";
import { SecretValue } from "../scripts/lib/mockRun";
import { DRILL_SCRIPT_PATH } from "../components/services/drillScript";
import { loadStackSettings } from "../scripts/lib/stackFiles";
import { containerNamed, containers, plainStrings, TEST_OFFSITE_KEY, uploadText, withOffsite } from "./helpers";
import { sharedRun, shippedRun } from "./variantRuns";

describe("scheduled backups", () => {
    it("run the shared backup script from cron on the configured schedule, with the restore script beside it", async () => {
        const { resources } = await shippedRun("prod");
        // Issue 18: the base backup after each dump (point-in-time recovery is on by default), one every 15 minutes
        // when the current chain of the log has none (a new stack, a new chain after a lost slot), and the drill.
        expect(uploadText(resources, "backup", "/etc/crontabs/root")).to.equal(
            `15 3 * * * ${BACKUP_SCRIPT_PATH} scheduled >/proc/1/fd/1 2>/proc/1/fd/2; ` +
                `${BASE_BACKUP_SCRIPT_PATH} >/proc/1/fd/1 2>/proc/1/fd/2\n` +
                `*/15 * * * * ${BASE_BACKUP_SCRIPT_PATH} --if-needed >/proc/1/fd/1 2>/proc/1/fd/2\n` +
                `45 4 * * * ${DRILL_SCRIPT_PATH} >/proc/1/fd/1 2>/proc/1/fd/2\n`,
        );
        expect(uploadText(resources, "backup", BACKUP_SCRIPT_PATH)).to.contain("pg_dump --format=custom");
        expect(uploadText(resources, "backup", RESTORE_SCRIPT_PATH)).to.contain("freshtrack-restore");
        expect(uploadText(resources, "pre-migrate-backup", BACKUP_SCRIPT_PATH)).to.equal(
            uploadText(resources, "backup", BACKUP_SCRIPT_PATH),
        );
        const backup = containerNamed(resources, "backup");
        expect(backup.inputs.envs).to.include.members([
            "RETENTION_DAYS=30",
            "BACKUP_DIR=/backups/postgres",
            "TEXTFILE_DIR=/textfile",
            // Issue 18 (the attack pass): base backups keep backup.pointInTimeDays (prod: 7), not the dumps' 30; the
            // drill compares the tables of rollback.exportTables (the schema's default list on prod).
            "POINT_IN_TIME_DAYS=7",
            "DRILL_TABLES=sensor_readings:recorded_at alerts:created_at audit_log:created_at",
        ]);
        expect((backup.inputs.volumes as Array<{ volumeName: string }>).map((v) => v.volumeName)).to.deep.equal([
            "freshtrack-prod-backups",
            "freshtrack-prod-metrics-textfile",
        ]);
    });

    // Issue 15, finding 2. Rung 1 (mocks) on what the program registers; the mc and MinIO behaviour each
    // flag and policy stands for is cited from source at the pinned tags in components/services/backup.ts and minio.ts.
    it("copy the dumps append-only to the MinIO backups bucket from a read-only mount: no --watch, --remove or --overwrite", async () => {
        const { resources } = await shippedRun("prod");
        const sync = containerNamed(resources, "backup-sync");
        const script = (sync.inputs.command as string[]).join(" ");
        expect(sync.inputs.entrypoints).to.deep.equal(["/bin/sh", "-c"]);
        expect(script).to.contain(
            "mirror --older-than 2m --exclude '*.partial' /backups/postgres local/backups/postgres",
        );
        // Issue 18 (the attack pass): the archive of point-in-time recovery, never its open segment.
        expect(script).to.contain("mirror --older-than 2m --exclude 'wal/*.partial' /backups/pitr local/backups/pitr");
        for (const flag of [
            "--watch",
            "-w ",
            "--remove",
            "--overwrite",
            "--force",
            "--multi-master",
            "--active-active",
        ])
            expect(script, flag).to.not.contain(flag);
        expect(sync.inputs.volumes).to.deep.equal([
            { volumeName: "freshtrack-prod-backups", containerPath: "/backups", readOnly: true },
            // Where it records its fully successful passes, for node-exporter.
            { volumeName: "freshtrack-prod-metrics-textfile", containerPath: "/textfile", readOnly: false },
        ]);
        expect(containers(resources).map((c) => c.name)).to.not.include("backup-offsite");
    });

    it("copy with a MinIO user that may put and read backups but never delete them, not with the root user", async () => {
        const { resources } = await shippedRun("prod");
        const config = JSON.parse(uploadText(resources, "backup-sync", "/run/secrets/mc/config.json"));
        expect(config.aliases.local).to.include({ url: "http://minio:9000", accessKey: BACKUP_SYNC_USER });
        const sync = containerNamed(resources, "backup-sync");
        const upload = (sync.inputs.uploads as Array<{ file: string; content: unknown }>).find(
            (u) => u.file === "/run/secrets/mc/config.json",
        )!;
        expect(upload.content, "the user's secret stays secret").to.be.instanceOf(SecretValue);
        const rootConfig = JSON.parse(uploadText(resources, "minio-init", "/run/secrets/mc/config.json"));
        expect(config.aliases.local.secretKey)
            .to.match(/^[0-9a-f]{64}$/)
            .and.not.equal(rootConfig.aliases.local.secretKey);

        const policy = JSON.parse(uploadText(resources, "minio-init", "/run/secrets/mc/backup-append-policy.json"));
        const allowed = policy.Statement.filter((st: { Effect: string }) => st.Effect === "Allow").flatMap(
            (st: { Action: string[] }) => st.Action,
        );
        expect(allowed.sort()).to.deep.equal(["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:PutObject"]);
        const denied = policy.Statement.filter((st: { Effect: string }) => st.Effect === "Deny").flatMap(
            (st: { Action: string[] }) => st.Action,
        );
        expect(denied).to.include.members([
            "s3:DeleteObject",
            "s3:DeleteObjectVersion",
            "s3:PutLifecycleConfiguration",
            "s3:PutBucketVersioning",
        ]);
        for (const st of policy.Statement)
            for (const r of st.Resource ?? []) expect(r).to.match(/^arn:aws:s3:::backups(\/\*)?$/);
        // Nor may it make access keys for itself, which would outlive a rotation of its password.
        expect(denied).to.include("admin:*");

        const init = containerNamed(resources, "minio-init");
        const steps = (init.inputs.command as string[])[0]!.split("\n");
        expect(steps).to.include.members([
            "mc --config-dir /run/secrets/mc version enable local/backups",
            "mc --config-dir /run/secrets/mc ilm rule import local/backups </run/secrets/mc/backups-lifecycle.json",
            `mc --config-dir /run/secrets/mc admin policy create local ${BACKUP_APPEND_POLICY} /run/secrets/mc/backup-append-policy.json`,
            `mc --config-dir /run/secrets/mc admin user add local ${BACKUP_SYNC_USER} </run/secrets/mc/backup-sync-secret`,
            `mc --config-dir /run/secrets/mc admin policy attach local ${BACKUP_APPEND_POLICY} --user ${BACKUP_SYNC_USER}`,
        ]);
        expect(steps.join("\n"), "no secret on a command line").to.not.match(/[0-9a-f]{64}/);
    });

    it("leave retention of the copies to MinIO's lifecycle, versioned, at the configured retention", async () => {
        const { resources } = await shippedRun("prod");
        const lifecycle = JSON.parse(uploadText(resources, "minio-init", "/run/secrets/mc/backups-lifecycle.json"));
        // The dumps at backup.retentionDays (30 in prod); point-in-time recovery's base backups and log (issue 18) at
        // backup.pointInTimeDays (prod keeps the default, 7).
        const rule = (ID: string, prefix: string, days: number) => ({
            ID,
            Status: "Enabled",
            Filter: { Prefix: prefix },
            Expiration: { Days: days },
            NoncurrentVersionExpiration: { NoncurrentDays: days },
            DelMarkerExpiration: { Days: days },
        });
        expect(lifecycle.Rules).to.deep.equal([
            rule("freshtrack-backup-retention", "postgres/", 30),
            rule("freshtrack-pitr-retention", "pitr/", 7),
        ]);
        // Every prefix backup-sync writes under has its rule: nothing it copies is kept for ever.
        const script = (containerNamed(resources, "backup-sync").inputs.command as string[]).join("\n");
        const targets = [...script.matchAll(/ local\/backups\/(\S+?)\/? /g)].map((m) => `${m[1]}/`);
        expect(targets, "backup-sync's targets").to.have.members(["postgres/", "pitr/"]);
        const prefixes = (lifecycle.Rules as Array<{ Filter: { Prefix: string } }>).map((r) => r.Filter.Prefix);
        expect(prefixes).to.include.members(targets);
    });

    describe("offsite, to DigitalOcean Spaces, when configured", () => {
        const KEY = TEST_OFFSITE_KEY;
        const settings = () => withOffsite(loadStackSettings("prod"));
        it("copy append-only, encrypted with SSE-C under the stack's key, with the keys kept secret", async () => {
            const { resources } = await sharedRun(settings());
            const offsite = containerNamed(resources, "backup-offsite");
            const script = (offsite.inputs.command as string[]).join(" ");
            // One key for the whole offsite bucket, so that it covers the uploads' prefix as well as the dumps'.
            expect(script).to.contain(
                `mirror --older-than 2m --exclude '*.partial' --enc-c "offsite/acme-freshtrack-backups/=$(cat /run/secrets/mc/offsite-sse-c.key)" /backups/postgres offsite/acme-freshtrack-backups/postgres`,
            );
            for (const flag of ["--watch", "--remove", "--overwrite"]) expect(script, flag).to.not.contain(flag);
            expect(
                plainStrings(offsite.inputs).join("\n"),
                "the key never appears in the container's configuration",
            ).to.not.contain(KEY);
            const uploads = offsite.inputs.uploads as Array<{ file: string; content: unknown }>;
            expect(uploads.find((u) => u.file === "/run/secrets/mc/offsite-sse-c.key")!.content).to.be.instanceOf(
                SecretValue,
            );
            expect(uploadText(resources, "backup-offsite", "/run/secrets/mc/offsite-sse-c.key")).to.equal(KEY);
            const upload = uploads.find((u) => u.file === "/run/secrets/mc/config.json")!;
            expect(upload.content).to.be.instanceOf(SecretValue);
            expect(JSON.parse((upload.content as SecretValue).value as string).aliases.offsite).to.include({
                url: "https://fra1.digitaloceanspaces.com",
                accessKey: "DO00KEY",
                secretKey: "spaces-secret",
            });
            // app: the way out; data: minio:9000, for the uploads bucket.
            expect((offsite.inputs.networksAdvanced as Array<{ name: string }>).map((n) => n.name)).to.deep.equal([
                "freshtrack-prod-app",
                "freshtrack-prod-data",
            ]);
        });
    });

    // Issue 15, finding 2: the block volume holds the uploaded files too, in MinIO's uploads bucket and nowhere else.
    describe("the offsite copy of the uploads bucket", () => {
        const settings = () => withOffsite(loadStackSettings("prod"));

        // Rung 1 (mocks). Fails on the code before this change, which mirrored /backups/postgres alone.
        it("copies the uploads bucket in the same loop as the dumps: append-only, under the same SSE-C key, to offsite/<bucket>/uploads", async () => {
            const { resources } = await sharedRun(settings());
            const offsite = containerNamed(resources, "backup-offsite");
            const script = (offsite.inputs.command as string[])[0]!;
            const key = '"offsite/acme-freshtrack-backups/=$(cat /run/secrets/mc/offsite-sse-c.key)"';
            const mirrors = script.split("\n").filter((l) => l.trim().startsWith("mc "));
            expect(mirrors.map((l) => l.trim())).to.deep.equal([
                `mc --config-dir /run/secrets/mc mirror --older-than 2m --exclude '*.partial' --enc-c ${key} /backups/postgres offsite/acme-freshtrack-backups/postgres ||`,
                // Issue 18: the base backups and the log, where point-in-time recovery is on (the default).
                `mc --config-dir /run/secrets/mc mirror --older-than 2m --exclude 'wal/*.partial' --enc-c ${key} /backups/pitr offsite/acme-freshtrack-backups/pitr ||`,
                `mc --config-dir /run/secrets/mc mirror --older-than 2m --enc-c ${key} local/uploads offsite/acme-freshtrack-backups/uploads ||`,
            ]);
            for (const flag of [
                "--watch",
                "-w ",
                "--remove",
                "--overwrite",
                "--force",
                "--active-active",
                "--preserve",
                "-a ",
            ])
                expect(script, flag).to.not.contain(flag);
            // It reads the bucket as the uploads reader, whose key minio-init gave it; never as root or as the app.
            const aliases = JSON.parse(uploadText(resources, "backup-offsite", "/run/secrets/mc/config.json")).aliases;
            expect(Object.keys(aliases).sort()).to.deep.equal(["local", "offsite"]);
            expect(aliases.local).to.include({ url: "http://minio:9000", accessKey: UPLOADS_READER_USER });
            expect(aliases.local.secretKey)
                .to.match(/^[0-9a-f]{64}$/)
                .and.equal(uploadText(resources, "minio-init", "/run/secrets/mc/uploads-reader-secret"));
            const others = [
                uploadText(resources, "minio", "/run/secrets/minio_root_password"),
                uploadText(resources, "minio-init", "/run/secrets/mc/app-user-secret"),
            ];
            expect(others, "not root's, not the app's").to.not.include(aliases.local.secretKey);
            expect(plainStrings(offsite.inputs).join("\n"), "no key in the container's configuration").to.not.contain(
                aliases.local.secretKey,
            );
        });

        it("reaches minio:9000 on the data network, and leaves the host only through the app network", async () => {
            const { resources } = await sharedRun(settings());
            const networks = (
                containerNamed(resources, "backup-offsite").inputs.networksAdvanced as Array<{ name: string }>
            ).map((n) => n.name);
            expect(networks).to.deep.equal(["freshtrack-prod-app", "freshtrack-prod-data"]);
        });
    });

    // Issue 15, finding 2: a failing mirror must not look healthy. Each fully successful pass is recorded for
    // node-exporter and read back by the container's health check.
    describe("mirror passes, recorded", () => {
        // Rung 1 (mocks). Fails on the code before this change: the checks were `mc ready local` and `mc ls`.
        it("give each mirror a health check on its last fully successful pass, and the metrics directory to record it in", async () => {
            const { resources } = await sharedRun(withOffsite(loadStackSettings("prod")));
            for (const name of ["backup-sync", "backup-offsite"] as const) {
                const c = containerNamed(resources, name);
                expect((c.inputs.healthcheck as { tests: string[] }).tests, name).to.deep.equal([
                    "CMD",
                    "/bin/sh",
                    MIRROR_HEALTH_SCRIPT_PATH,
                ]);
                const metric = mirrorMetricFiles(TEXTFILE_DIR, name).success;
                expect(uploadText(resources, name, MIRROR_HEALTH_SCRIPT_PATH), name).to.equal(
                    renderMirrorHealthCheck(MIRROR_HEALTH_LIMITS, metric),
                );
                expect(c.inputs.volumes, name).to.deep.include({
                    volumeName: "freshtrack-prod-metrics-textfile",
                    containerPath: "/textfile",
                    readOnly: false,
                });
                expect((c.inputs.command as string[])[0], name).to.contain(`mv -f "${metric}$part" "${metric}"`);
            }
            // Three missed passes and the margin for their own length.
            expect(MIRROR_HEALTH_LIMITS.staleSeconds).to.equal(3 * SYNC_INTERVAL_SECONDS + 600);
        });
    });
});
