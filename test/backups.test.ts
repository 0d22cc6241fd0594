import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, MASKED_SECURE_VALUE } from "../components/config";
import { MIRROR_HEALTH_LIMITS, MirrorLoop, offsiteCopies, renderMirrorLoop } from "../components/services/backup";
import {
    MIRROR_METRIC,
    MIRROR_STARTED_METRIC,
    mirrorMetricFiles,
    renderMirrorHealthCheck,
} from "../components/services/backupScripts";
import { loadStackSettings } from "../scripts/lib/stackFiles";
import { configFor, settingsWith, withOffsite } from "./helpers";

describe("scheduled backups", () => {
    describe("offsite, to DigitalOcean Spaces, when configured", () => {
        const settings = () => withOffsite(loadStackSettings("prod"));

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
