import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, MASKED_SECURE_VALUE } from "../components/config";
import { BACKUP_SCRIPT_PATH, RESTORE_SCRIPT_PATH } from "../components/services/backupScripts";
import { renderMirrorLoop } from "../components/services/backup";
import { BACKUP_APPEND_POLICY, BACKUP_SYNC_USER, renderMinioInitScript } from "../components/services/minio";
import { deployStack } from "../components/stack";
import { runUnderMocks, SecretValue } from "../scripts/lib/mockRun";
import { loadStackSettings } from "../scripts/lib/stackFiles";
import { configFor, containerNamed, containers, plainStrings, runStack, settingsWith, TEST_OFFSITE_KEY, uploadText, withOffsite } from "./helpers";

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

    // Issue 15, finding 2. Rung 1 (mocks) on what the program registers; the mc and MinIO behaviour each
    // flag and policy stands for is cited from source at the pinned tags in components/services/backup.ts and minio.ts.
    it("copy the dumps append-only to the MinIO backups bucket from a read-only mount: no --watch, --remove or --overwrite", async () => {
        const { resources } = await runStack("prod", deployStack);
        const sync = containerNamed(resources, "backup-sync");
        const script = (sync.inputs.command as string[]).join(" ");
        expect(sync.inputs.entrypoints).to.deep.equal(["/bin/sh", "-c"]);
        expect(script).to.contain("mirror --older-than 2m --exclude '*.partial' /backups/postgres local/backups/postgres");
        for (const flag of ["--watch", "-w ", "--remove", "--overwrite", "--force", "--multi-master", "--active-active"]) expect(script, flag).to.not.contain(flag);
        expect(sync.inputs.volumes).to.deep.equal([{ volumeName: "freshtrack-prod-backups", containerPath: "/backups", readOnly: true }]);
        expect(containers(resources).map((c) => c.name)).to.not.include("backup-offsite");
    });

    it("copy with a MinIO user that may put and read backups but never delete them, not with the root user", async () => {
        const { resources } = await runStack("prod", deployStack);
        const config = JSON.parse(uploadText(resources, "backup-sync", "/run/secrets/mc/config.json"));
        expect(config.aliases.local).to.include({ url: "http://minio:9000", accessKey: BACKUP_SYNC_USER });
        const sync = containerNamed(resources, "backup-sync");
        const upload = (sync.inputs.uploads as Array<{ file: string; content: unknown }>).find((u) => u.file === "/run/secrets/mc/config.json")!;
        expect(upload.content, "the user's secret stays secret").to.be.instanceOf(SecretValue);
        const rootConfig = JSON.parse(uploadText(resources, "minio-init", "/run/secrets/mc/config.json"));
        expect(config.aliases.local.secretKey).to.match(/^[0-9a-f]{64}$/).and.not.equal(rootConfig.aliases.local.secretKey);

        const policy = JSON.parse(uploadText(resources, "minio-init", "/run/secrets/mc/backup-append-policy.json"));
        const allowed = policy.Statement.filter((st: { Effect: string }) => st.Effect === "Allow").flatMap((st: { Action: string[] }) => st.Action);
        expect(allowed.sort()).to.deep.equal(["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:PutObject"]);
        const denied = policy.Statement.filter((st: { Effect: string }) => st.Effect === "Deny").flatMap((st: { Action: string[] }) => st.Action);
        expect(denied).to.include.members(["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning"]);
        for (const st of policy.Statement) for (const r of st.Resource ?? []) expect(r).to.match(/^arn:aws:s3:::backups(\/\*)?$/);
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
        const { resources } = await runStack("prod", deployStack);
        const lifecycle = JSON.parse(uploadText(resources, "minio-init", "/run/secrets/mc/backups-lifecycle.json"));
        expect(lifecycle.Rules).to.deep.equal([
            {
                ID: "freshtrack-backup-retention",
                Status: "Enabled",
                Filter: { Prefix: "postgres/" },
                Expiration: { Days: 30 },
                NoncurrentVersionExpiration: { NoncurrentDays: 30 },
                DelMarkerExpiration: { Days: 30 },
            },
        ]);
    });

    // Rung 3: the rendered scripts through shellcheck and a real sh, with a stand-in `mc` that records its arguments.
    it("run scripts that pass shellcheck; the mirror loop hands mc the SSE-C key from its file and stops at once on TERM", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-mirror-"));
        try {
            const keyFile = path.join(dir, "sse.key");
            fs.writeFileSync(keyFile, "ab".repeat(32));
            const loop = renderMirrorLoop("offsite/acme/postgres", keyFile);
            for (const [name, script] of [["loop", loop], ["minio-init", renderMinioInitScript()]] as const) {
                fs.writeFileSync(path.join(dir, `${name}.sh`), script);
                const lint = spawnSync("shellcheck", ["--shell=sh", path.join(dir, `${name}.sh`)], { encoding: "utf8" });
                expect(lint.status, `${name}: ${lint.stdout}`).to.equal(0);
            }
            fs.writeFileSync(path.join(dir, "mc"), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >"${dir}/argv"\n`, { mode: 0o755 });
            const child = spawn("sh", ["-c", loop], { env: { PATH: `${dir}:${process.env.PATH}` }, stdio: "ignore" });
            const deadline = Date.now() + 5000;
            while (!fs.existsSync(path.join(dir, "argv")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
            const argv = fs.readFileSync(path.join(dir, "argv"), "utf8").trim().split("\n");
            expect(argv).to.deep.equal([
                "--config-dir", "/run/secrets/mc", "mirror", "--older-than", "2m", "--exclude", "*.partial",
                "--enc-c", `offsite/acme/postgres/=${"ab".repeat(32)}`, "/backups/postgres", "offsite/acme/postgres",
            ]);
            const stopped = Date.now();
            const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
            child.kill("SIGTERM");
            expect(await exit, "exits cleanly on TERM").to.equal(0);
            expect(Date.now() - stopped, "without waiting out the pause").to.be.below(2000);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    describe("offsite, to DigitalOcean Spaces, when configured", () => {
        const KEY = TEST_OFFSITE_KEY;
        const settings = () => withOffsite(loadStackSettings("prod"));
        it("copy append-only, encrypted with SSE-C under the stack's key, with the keys kept secret", async () => {
            const { resources } = await runUnderMocks(settings(), deployStack);
            const offsite = containerNamed(resources, "backup-offsite");
            const script = (offsite.inputs.command as string[]).join(" ");
            expect(script).to.contain(
                `mirror --older-than 2m --exclude '*.partial' --enc-c "offsite/acme-freshtrack-backups/postgres/=$(cat /run/secrets/mc/offsite-sse-c.key)" /backups/postgres offsite/acme-freshtrack-backups/postgres`,
            );
            for (const flag of ["--watch", "--remove", "--overwrite"]) expect(script, flag).to.not.contain(flag);
            expect(plainStrings(offsite.inputs).join("\n"), "the key never appears in the container's configuration").to.not.contain(KEY);
            const uploads = offsite.inputs.uploads as Array<{ file: string; content: unknown }>;
            expect(uploads.find((u) => u.file === "/run/secrets/mc/offsite-sse-c.key")!.content).to.be.instanceOf(SecretValue);
            expect(uploadText(resources, "backup-offsite", "/run/secrets/mc/offsite-sse-c.key")).to.equal(KEY);
            const upload = uploads.find((u) => u.file === "/run/secrets/mc/config.json")!;
            expect(upload.content).to.be.instanceOf(SecretValue);
            expect(JSON.parse((upload.content as SecretValue).value as string).aliases.offsite).to.include({ url: "https://fra1.digitaloceanspaces.com", accessKey: "DO00KEY", secretKey: "spaces-secret" });
            expect((offsite.inputs.networksAdvanced as Array<{ name: string }>).map((n) => n.name)).to.deep.equal(["freshtrack-prod-app"]);
        });

        it("refuse to copy offsite without an encryption key, or with one that is not 256 bits in hex, naming the key and never the value", async () => {
            const problems = async (key: string | undefined) => {
                const s = settings();
                if (key === undefined) delete s.config["freshtrack:backupOffsiteEncryptionKey"];
                else s.config["freshtrack:backupOffsiteEncryptionKey"] = key;
                try {
                    await configFor(s);
                } catch (err) {
                    if (err instanceof ConfigError) return err.problems;
                    throw err;
                }
                return [];
            };
            const missing = await problems(undefined);
            expect(missing.map((p) => p.key)).to.deep.equal(["freshtrack:backupOffsiteEncryptionKey"]);
            expect(missing[0]!.expected).to.match(/openssl rand -hex 32/);
            const short = "deadbeef-not-a-key";
            const wrong = await problems(short);
            expect(wrong.map((p) => p.key)).to.deep.equal(["freshtrack:backupOffsiteEncryptionKey"]);
            expect(wrong[0]!.expected).to.match(/64 hexadecimal digits/);
            expect(JSON.stringify(wrong), "the value is never shown").to.not.contain(short);
            expect(new ConfigError("prod", wrong).message, "a wrong key is set, not missing").to.contain("freshtrack:backupOffsiteEncryptionKey = (set; the value is not shown)");
        });

        // The newcomer pass: `npm run plan`, `policy` and `bench` read the stack file without the passphrase, and hand the
        // config reader a placeholder for every encrypted value; its form can only be checked where it is decrypted.
        it("accept the key as the scripts see it in an encrypted stack file, which they cannot decrypt", async () => {
            const s = settings();
            s.config["freshtrack:backupOffsiteEncryptionKey"] = MASKED_SECURE_VALUE;
            const cfg = await configFor(s);
            expect(cfg.backup.offsite).to.not.equal(undefined);
        });
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
