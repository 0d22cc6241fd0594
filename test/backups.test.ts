import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, MASKED_SECURE_VALUE } from "../components/config";
import { BACKUP_SCRIPT_PATH, RESTORE_SCRIPT_PATH } from "../components/services/backupScripts";
import {
    MIRROR_HEALTH_LIMITS,
    MirrorLoop,
    offsiteCopies,
    renderMirrorLoop,
    SYNC_INTERVAL_SECONDS,
    TEXTFILE_DIR,
} from "../components/services/backup";
import {
    MIRROR_HEALTH_SCRIPT_PATH,
    MIRROR_METRIC,
    MIRROR_STARTED_METRIC,
    mirrorMetricFiles,
    renderMirrorHealthCheck,
} from "../components/services/backupScripts";
import {
    BACKUP_APPEND_POLICY,
    BACKUP_SYNC_USER,
    renderMinioInitScript,
    UPLOADS_READER_USER,
} from "../components/services/minio";
import { deployStack } from "../components/stack";
import { runUnderMocks, SecretValue } from "../scripts/lib/mockRun";
import { loadStackSettings } from "../scripts/lib/stackFiles";
import {
    configFor,
    containerNamed,
    containers,
    plainStrings,
    runStack,
    settingsWith,
    TEST_OFFSITE_KEY,
    uploadText,
    withOffsite,
} from "./helpers";

describe("scheduled backups", () => {
    it("run the shared backup script from cron on the configured schedule, with the restore script beside it", async () => {
        const { resources } = await runStack("prod", deployStack);
        expect(uploadText(resources, "backup", "/etc/crontabs/root")).to.equal(
            `15 3 * * * ${BACKUP_SCRIPT_PATH} scheduled >/proc/1/fd/1 2>/proc/1/fd/2\n`,
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
        ]);
        expect((backup.inputs.volumes as Array<{ volumeName: string }>).map((v) => v.volumeName)).to.deep.equal([
            "freshtrack-prod-backups",
            "freshtrack-prod-metrics-textfile",
        ]);
    });

    // Issue 15, finding 2. Rung 1 (mocks) on what the program registers; the mc and MinIO behaviour each
    // flag and policy stands for is cited from source at the pinned tags in components/services/backup.ts and minio.ts.
    it("copy the dumps append-only to the MinIO backups bucket from a read-only mount: no --watch, --remove or --overwrite", async () => {
        const { resources } = await runStack("prod", deployStack);
        const sync = containerNamed(resources, "backup-sync");
        const script = (sync.inputs.command as string[]).join(" ");
        expect(sync.inputs.entrypoints).to.deep.equal(["/bin/sh", "-c"]);
        expect(script).to.contain(
            "mirror --older-than 2m --exclude '*.partial' /backups/postgres local/backups/postgres",
        );
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
        const { resources } = await runStack("prod", deployStack);
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
            const loop = renderMirrorLoop({
                name: "backup-offsite",
                copies: offsiteCopies("acme"),
                sse: { keyFile, scope: "offsite/acme/" },
                textfileDir: dir,
            });
            const health = renderMirrorHealthCheck(
                MIRROR_HEALTH_LIMITS,
                mirrorMetricFiles(TEXTFILE_DIR, "backup-offsite").success,
            );
            for (const [name, script] of [
                ["loop", loop],
                ["minio-init", renderMinioInitScript()],
                ["mirror-health", health],
            ] as const) {
                fs.writeFileSync(path.join(dir, `${name}.sh`), script);
                const lint = spawnSync("shellcheck", ["--shell=sh", path.join(dir, `${name}.sh`)], {
                    encoding: "utf8",
                });
                expect(lint.status, `${name}: ${lint.stdout}`).to.equal(0);
            }
            // Records the first call only: the loop's first copy, the dumps.
            fs.writeFileSync(
                path.join(dir, "mc"),
                `#!/bin/sh\n[ -e "${dir}/argv" ] || for a in "$@"; do printf '%s\\n' "$a"; done >"${dir}/argv"\n`,
                { mode: 0o755 },
            );
            const child = spawn("sh", ["-c", loop], { env: { PATH: `${dir}:${process.env.PATH}` }, stdio: "ignore" });
            const deadline = Date.now() + 5000;
            while (!fs.existsSync(path.join(dir, "argv")) && Date.now() < deadline)
                await new Promise((r) => setTimeout(r, 50));
            const argv = fs.readFileSync(path.join(dir, "argv"), "utf8").trim().split("\n");
            expect(argv).to.deep.equal([
                "--config-dir",
                "/run/secrets/mc",
                "mirror",
                "--older-than",
                "2m",
                "--exclude",
                "*.partial",
                "--enc-c",
                `offsite/acme/=${"ab".repeat(32)}`,
                "/backups/postgres",
                "offsite/acme/postgres",
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
            expect(new ConfigError("prod", wrong).message, "a wrong key is set, not missing").to.contain(
                "freshtrack:backupOffsiteEncryptionKey = (set; the value is not shown)",
            );
        });

        // The newcomer pass: `npm run plan`, `policy` and `bench` read the stack file without the passphrase, and hand
        // the config reader a placeholder for every encrypted value; its form can only be checked where it is
        // decrypted.
        it("accept the key as the scripts see it in an encrypted stack file, which they cannot decrypt", async () => {
            const s = settings();
            s.config["freshtrack:backupOffsiteEncryptionKey"] = MASKED_SECURE_VALUE;
            const cfg = await configFor(s);
            expect(cfg.backup.offsite).to.not.equal(undefined);
        });
    });

    // Issue 15, finding 2: the block volume holds the uploaded files too, in MinIO's uploads bucket and nowhere else.
    describe("the offsite copy of the uploads bucket", () => {
        const settings = () => withOffsite(loadStackSettings("prod"));

        // Rung 1 (mocks). Fails on the code before this change, which mirrored /backups/postgres alone.
        it("copies the uploads bucket in the same loop as the dumps: append-only, under the same SSE-C key, to offsite/<bucket>/uploads", async () => {
            const { resources } = await runUnderMocks(settings(), deployStack);
            const offsite = containerNamed(resources, "backup-offsite");
            const script = (offsite.inputs.command as string[])[0]!;
            const key = '"offsite/acme-freshtrack-backups/=$(cat /run/secrets/mc/offsite-sse-c.key)"';
            const mirrors = script.split("\n").filter((l) => l.trim().startsWith("mc "));
            expect(mirrors.map((l) => l.trim())).to.deep.equal([
                `mc --config-dir /run/secrets/mc mirror --older-than 2m --exclude '*.partial' --enc-c ${key} /backups/postgres offsite/acme-freshtrack-backups/postgres ||`,
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
            const { resources } = await runUnderMocks(settings(), deployStack);
            const networks = (
                containerNamed(resources, "backup-offsite").inputs.networksAdvanced as Array<{ name: string }>
            ).map((n) => n.name);
            expect(networks).to.deep.equal(["freshtrack-prod-app", "freshtrack-prod-data"]);
        });

        it("refuses to render a copy outside the SSE-C key's scope, which would leave the host unencrypted", () => {
            const narrow = { keyFile: "/k", scope: "offsite/acme/postgres/" };
            expect(() =>
                renderMirrorLoop({
                    name: "backup-offsite",
                    copies: offsiteCopies("acme"),
                    sse: narrow,
                    textfileDir: "/t",
                }),
            ).to.throw(/offsite\/acme\/uploads is outside the SSE-C scope/);
        });
    });

    // Issue 15, finding 2: a failing mirror must not look healthy. Each fully successful pass is recorded for
    // node-exporter and read back by the container's health check.
    describe("mirror passes, recorded", () => {
        // Rung 1 (mocks). Fails on the code before this change: the checks were `mc ready local` and `mc ls`.
        it("give each mirror a health check on its last fully successful pass, and the metrics directory to record it in", async () => {
            const { resources } = await runUnderMocks(withOffsite(loadStackSettings("prod")), deployStack);
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

        /**
         * Rung 3: a mirror loop under a real shell with only what the mc image has on PATH (sh, and from ubi-micro's
         * coreutils cat and mv: components/imageContracts/), a stand-in `mc`, and a simulated clock: `date` prints
         * it, and `sleep`, called once after each pass, advances it by the pass interval, keeps a copy of the metric
         * file as it stands after that pass, and after the last pass ends the loop with TERM, as Docker stops it.
         * `fails[k]` lists the sources whose copy fails in pass k+1. Started with umask 077, so the loop must set its
         * own.
         */
        function runPasses(
            shell: string,
            loop: (textfileDir: string) => MirrorLoop,
            fails: string[][],
            clock = 1000,
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-passes-")),
        ) {
            const bin = path.join(dir, "bin");
            const textfile = path.join(dir, "textfile");
            fs.mkdirSync(bin, { recursive: true });
            fs.mkdirSync(textfile, { recursive: true });
            fs.writeFileSync(path.join(dir, "sse.key"), "ab".repeat(32));
            fs.writeFileSync(path.join(dir, "clock"), String(clock));
            fs.writeFileSync(path.join(dir, "pass"), "1");
            fails.forEach((f, k) => fs.writeFileSync(path.join(dir, `fail.${k + 1}`), ` ${f.join(" ")} `));
            for (const tool of ["cat", "mv"]) {
                fs.rmSync(path.join(bin, tool), { force: true });
                fs.symlinkSync(`/bin/${tool}`, path.join(bin, tool));
            }
            const rendered = loop(textfile);
            const metric = mirrorMetricFiles(textfile, rendered.name).success;
            const standIns: Record<string, string> = {
                date: `cat "${dir}/clock"`,
                // Each call: the pass, its arguments, whether the metric file exists at that moment. Fails when its
                // source (the second to last argument) is listed for this pass.
                mc: [
                    `pass=$(cat "${dir}/pass")`,
                    `if [ -e "${metric}" ]; then seen=present; else seen=absent; fi`,
                    `printf 'pass %s: %s [metric %s]\\n' "$pass" "$*" "$seen" >>"${dir}/calls"`,
                    'src=""; tgt=""; for a in "$@"; do src=$tgt; tgt=$a; done',
                    `fails=$(cat "${dir}/fail.$pass" 2>/dev/null)`,
                    'case "$fails" in *" $src "*) exit 1 ;; esac',
                ].join("\n"),
                sleep: [
                    `pass=$(cat "${dir}/pass")`,
                    `if [ -e "${metric}" ]; then cat "${metric}" >"${dir}/after.$pass"; else : >"${dir}/after.$pass"; fi`,
                    `clock=$(cat "${dir}/clock"); echo $((clock + $1)) >"${dir}/clock"`,
                    `echo $((pass + 1)) >"${dir}/pass"`,
                    `[ "$pass" -lt ${fails.length} ] || kill -TERM "$PPID"`,
                ].join("\n"),
            };
            for (const [name, body] of Object.entries(standIns))
                fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
            const script = renderMirrorLoop(rendered);
            fs.writeFileSync(path.join(dir, "loop.sh"), script);
            const r = spawnSync(shell, ["-c", `umask 077; exec ${shell} ${path.join(dir, "loop.sh")}`], {
                env: { PATH: bin, HOSTNAME: "4f2a9c1d7e3b" },
                encoding: "utf8",
                timeout: 20_000,
            });
            const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined);
            const sample = (text: string | undefined, name: string) =>
                text?.match(new RegExp(`^${name}\\{mirror="${rendered.name}"\\} (\\d+)$`, "m"))?.[1];
            return {
                dir,
                status: r.status,
                stderr: r.stderr,
                calls: (read(path.join(dir, "calls")) ?? "").trim().split("\n"),
                after: fails.map((_, k) => sample(read(path.join(dir, `after.${k + 1}`)), MIRROR_METRIC)),
                started: sample(read(mirrorMetricFiles(textfile, rendered.name).started), MIRROR_STARTED_METRIC),
                metricText: read(metric),
                metricMode: fs.existsSync(metric) ? fs.statSync(metric).mode & 0o777 : undefined,
                leftovers: fs.readdirSync(textfile).filter((f) => !f.endsWith(".prom")),
            };
        }

        const offsiteLoop =
            (dir: string) =>
            (textfile: string): MirrorLoop => ({
                name: "backup-offsite",
                copies: offsiteCopies("acme"),
                sse: { keyFile: path.join(dir, "sse.key"), scope: "offsite/acme/" },
                textfileDir: textfile,
            });

        // Absolute paths: PATH holds only the image's tools. dash is Debian's sh; bash is ubi-micro's /bin/sh.
        for (const shell of ["/bin/sh", "/bin/bash"]) {
            it(`record a pass only when every copy of it succeeded, and keep the last success through failed passes (${shell})`, () => {
                const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-passes-"));
                try {
                    // Pass 1: both copies succeed. 2: the uploads fail. 3: the dumps fail. 4: both succeed.
                    const run = runPasses(
                        shell,
                        offsiteLoop(dir),
                        [[], ["local/uploads"], ["/backups/postgres"], []],
                        1000,
                        dir,
                    );
                    expect(run.status, run.stderr).to.equal(0);
                    const key = `offsite/acme/=${"ab".repeat(32)}`;
                    const dumps = `--config-dir /run/secrets/mc mirror --older-than 2m --exclude *.partial --enc-c ${key} /backups/postgres offsite/acme/postgres`;
                    const uploads = `--config-dir /run/secrets/mc mirror --older-than 2m --enc-c ${key} local/uploads offsite/acme/uploads`;
                    // Both copies run in every pass, the uploads also when the dumps failed; nothing is recorded before
                    // both ended.
                    expect(run.calls).to.deep.equal([
                        `pass 1: ${dumps} [metric absent]`,
                        `pass 1: ${uploads} [metric absent]`,
                        `pass 2: ${dumps} [metric present]`,
                        `pass 2: ${uploads} [metric present]`,
                        `pass 3: ${dumps} [metric present]`,
                        `pass 3: ${uploads} [metric present]`,
                        `pass 4: ${dumps} [metric present]`,
                        `pass 4: ${uploads} [metric present]`,
                    ]);
                    // The clock advances 300 s a pass: a failed pass leaves the time of the last full one.
                    expect(run.after).to.deep.equal(["1000", "1000", "1000", "1900"]);
                    expect(run.stderr).to.contain("backup-offsite: this pass failed for local/uploads;");
                    expect(run.stderr).to.contain("backup-offsite: this pass failed for /backups/postgres;");
                    expect(run.started, "the first start").to.equal("1000");
                    const sample = `${MIRROR_METRIC}\\{mirror="backup-offsite"\\} 1900`;
                    expect(run.metricText).to.match(
                        new RegExp(`^# HELP ${MIRROR_METRIC} .+\\n# TYPE ${MIRROR_METRIC} gauge\\n${sample}\\n$`),
                    );
                    expect(run.metricMode, "node-exporter reads it as nobody").to.equal(0o644);
                    expect(run.leftovers, "no temporary file left behind").to.deep.equal([]);
                    // Its own health check reads what it wrote: healthy one pause (300 s) after the last full pass.
                    const written = mirrorMetricFiles(path.join(dir, "textfile"), "backup-offsite").success;
                    const healthCheck = renderMirrorHealthCheck(
                        MIRROR_HEALTH_LIMITS,
                        written,
                        path.join(dir, "started"),
                    );
                    const health = spawnSync(shell, ["-c", healthCheck], {
                        env: { PATH: path.join(dir, "bin") },
                        encoding: "utf8",
                    });
                    expect(health.stdout).to.equal("last fully successful pass 300 s ago\n");

                    // Started again later (a restart, a replacement): the first start stays as it was.
                    fs.rmSync(path.join(dir, "calls"));
                    const again = runPasses(shell, offsiteLoop(dir), [[]], 5000, dir);
                    expect(again.status, again.stderr).to.equal(0);
                    expect(again.started).to.equal("1000");
                    expect(again.after).to.deep.equal(["5000"]);
                } finally {
                    fs.rmSync(dir, { recursive: true, force: true });
                }
            });
        }

        it("record nothing while every pass fails, but the first start (rung 3)", () => {
            const sync = (textfile: string): MirrorLoop => ({
                name: "backup-sync",
                copies: [{ source: "/backups/postgres", target: "local/backups/postgres" }],
                textfileDir: textfile,
            });
            const run = runPasses("/bin/sh", sync, [["/backups/postgres"], ["/backups/postgres"]]);
            try {
                expect(run.status, run.stderr).to.equal(0);
                expect(run.after).to.deep.equal([undefined, undefined]);
                expect(run.started).to.equal("1000");
                expect(run.metricText).to.equal(undefined);
            } finally {
                fs.rmSync(run.dir, { recursive: true, force: true });
            }
        });

        // Rung 3: the health check under a real shell, with the stand-in clock and only cat on PATH besides.
        it("turn a mirror unhealthy once its last full pass is older than the limit, after a grace for a new container", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-mirror-health-"));
            try {
                const bin = path.join(dir, "bin");
                fs.mkdirSync(bin);
                fs.symlinkSync("/bin/cat", path.join(bin, "cat"));
                fs.writeFileSync(path.join(bin, "date"), `#!/bin/sh\necho 100000\n`, { mode: 0o755 });
                const metric = path.join(dir, "m.prom");
                const started = path.join(dir, "started");
                const limit = MIRROR_HEALTH_LIMITS.staleSeconds;
                const check = () => {
                    const r = spawnSync(
                        "/bin/sh",
                        ["-c", renderMirrorHealthCheck(MIRROR_HEALTH_LIMITS, metric, started)],
                        { env: { PATH: bin }, encoding: "utf8" },
                    );
                    return { status: r.status, out: r.stdout.trim() };
                };
                const lastSuccess = (t: string) =>
                    fs.writeFileSync(
                        metric,
                        `# HELP ${MIRROR_METRIC} x\n# TYPE ${MIRROR_METRIC} gauge\n${MIRROR_METRIC}{mirror="backup-sync"} ${t}\n`,
                    );

                lastSuccess(String(100000 - limit + 1));
                expect(check()).to.deep.equal({ status: 0, out: `last fully successful pass ${limit - 1} s ago` });
                // Stale, but the container's first check: the grace starts now.
                lastSuccess(String(100000 - limit));
                expect(check().status).to.equal(0);
                expect(fs.readFileSync(started, "utf8").trim()).to.equal("100000");
                // Stale, and the grace is over.
                fs.writeFileSync(started, String(100000 - MIRROR_HEALTH_LIMITS.graceSeconds));
                expect(check()).to.deep.equal({
                    status: 1,
                    out: `no fully successful pass in the last ${limit} s: see the container's log (docker logs)`,
                });
                // Never a success, or an unreadable one: the same.
                fs.rmSync(metric);
                expect(check().status).to.equal(1);
                lastSuccess("1e9");
                expect(check().status).to.equal(1);
                // A start time that cannot be read grants no grace.
                fs.writeFileSync(started, "garbage");
                expect(check().status).to.equal(1);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    it("refuse an offsite bucket without its keys, or with a bad endpoint, naming each key", async () => {
        let error: unknown;
        try {
            await configFor(
                settingsWith({
                    "freshtrack:backup": { offsite: { endpoint: "http://insecure.example.com", bucket: "b" } },
                }),
            );
        } catch (err) {
            error = err;
        }
        expect(error).to.be.instanceOf(ConfigError);
        const keys = (error as ConfigError).problems.map((p) => p.key);
        expect(keys).to.include.members([
            "freshtrack:backup.offsite.endpoint",
            "freshtrack:backup.offsite.bucket",
            "freshtrack:backupOffsiteAccessKeyId",
            "freshtrack:backupOffsiteSecretAccessKey",
        ]);
    });
});
