/**
 * Issue 15, finding 14 (second half): the backup service is healthy only while its scheduled backups succeed,
 * not merely while crond runs. Rung 1 (mocks) for what the program registers; rung 3 (real tools on generated
 * files) for the health check and the backup script, run by BusyBox's own sh and applets (Debian's busybox,
 * standing in for the postgres alpine image's: only the applets that image has, components/imageContracts/,
 * are put on PATH; busybox sh runs its own applets first anyway), with a process named crond for pidof to find
 * and stand-ins for pg_dump/pg_restore.
 */
import { expect } from "chai";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { backupHealthLimits, renderBackupHealthCheck, renderBackupScript } from "../components/services/backupScripts";
import { shellcheck } from "./localServers";

const BUSYBOX = "/usr/bin/busybox";
/** The applets of the postgres:17.11-alpine image the scripts use (components/imageContracts/, "binaries"). */
const IMAGE_APPLETS = ["sh", "find", "cat", "mkdir", "mv", "rm", "date", "ls", "head", "wc", "chmod"];

/** A directory whose PATH holds only busybox applets and the given stand-ins. */
function sandbox(standIns: Record<string, string>): {
    dir: string;
    bin: string;
    run: (script: string, args?: string[], env?: Record<string, string>) => { status: number | null; out: string };
} {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-backup-health-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    // Stand-ins first, each a new file ("wx": never written through an applet's symlink, which is busybox itself).
    for (const [name, body] of Object.entries(standIns))
        fs.writeFileSync(path.join(bin, name), `#!${BUSYBOX} sh\n${body}\n`, { mode: 0o755, flag: "wx" });
    for (const applet of IMAGE_APPLETS.filter((a) => !(a in standIns))) fs.symlinkSync(BUSYBOX, path.join(bin, applet));
    const run = (script: string, args: string[] = [], env: Record<string, string> = {}) => {
        const file = path.join(dir, "script.sh");
        fs.writeFileSync(file, script);
        const r = spawnSync(BUSYBOX, ["sh", file, ...args], { encoding: "utf8", env: { PATH: bin, ...env } });
        return { status: r.status, out: r.stdout + r.stderr };
    };
    return { dir, bin, run };
}

/** Sets a file's modification time `minutes` ago. */
function age(file: string, minutes: number): void {
    const t = new Date(Date.now() - minutes * 60_000);
    fs.utimesSync(file, t, t);
}

describe("backup service health reflects the last successful scheduled backup (issue 15, finding 14)", function () {
    this.timeout(30_000);

    describe("the health check, run by busybox sh (rung 3)", () => {
        const limits = backupHealthLimits("15 3 * * *");
        let box: ReturnType<typeof sandbox>;
        let files: { lastSuccess: string; started: string };
        let crond: ChildProcess | undefined;
        /**
         * A process named crond (sleep under that name), for the image's own pidof: busybox sh runs its applets first.
         */
        const startCrond = () => {
            const link = path.join(box.dir, "crond");
            fs.symlinkSync(fs.realpathSync("/bin/sleep"), link);
            crond = spawn(link, ["600"], { stdio: "ignore" });
        };
        const check = () => box.run(renderBackupHealthCheck(limits, files));
        beforeEach(() => {
            box = sandbox({});
            startCrond();
            files = { lastSuccess: path.join(box.dir, "last-success"), started: path.join(box.dir, "started") };
        });
        afterEach(() => {
            crond?.kill();
            fs.rmSync(box.dir, { recursive: true, force: true });
        });

        it("passes with a fresh marker, also after the grace", () => {
            fs.writeFileSync(files.lastSuccess, "1");
            age(files.lastSuccess, limits.limitMinutes - 5);
            fs.writeFileSync(files.started, "");
            age(files.started, limits.graceMinutes + 600);
            expect(check()).to.deep.include({ status: 0 });
        });

        it("fails with a stale marker once the grace is over, saying where to look", () => {
            fs.writeFileSync(files.lastSuccess, "1");
            age(files.lastSuccess, limits.limitMinutes + 1);
            fs.writeFileSync(files.started, "");
            age(files.started, limits.graceMinutes + 1);
            const result = check();
            expect(result.status).to.equal(1);
            expect(result.out).to.contain("no successful scheduled backup in the last 1560 minutes");
        });

        it("passes with no marker within the grace: the first check of a container starts it", () => {
            const result = check();
            expect(result.status, result.out).to.equal(0);
            expect(fs.existsSync(files.started)).to.equal(true);
            expect(check().status).to.equal(0);
            // A stale marker from before the container counts for nothing, and does not cut the grace short.
            fs.writeFileSync(files.lastSuccess, "1");
            age(files.lastSuccess, 10 * limits.limitMinutes);
            expect(check().status).to.equal(0);
        });

        it("fails with no marker after the grace", () => {
            fs.writeFileSync(files.started, "");
            age(files.started, limits.graceMinutes + 1);
            expect(check().status).to.equal(1);
        });

        it("fails when crond is not running, whatever the marker says", async () => {
            fs.writeFileSync(files.lastSuccess, "1");
            // Reaped by Node before the check, or pidof would still see it as a zombie.
            await new Promise((resolve) => {
                crond!.once("exit", resolve);
                crond!.kill();
            });
            expect(check()).to.deep.include({ status: 1, out: "crond is not running\n" });
        });
    });

    describe("the backup script marks success (rung 3, busybox sh with stand-in pg_dump and pg_restore)", () => {
        let box: ReturnType<typeof sandbox>;
        let env: Record<string, string>;
        beforeEach(() => {
            box = sandbox({
                // The dump's file is the argument after --file; FAIL_DUMP makes pg_dump fail as a broken database
                // would.
                pg_dump:
                    'while [ $# -gt 1 ]; do [ "$1" = --file ] && f=$2; shift; done; [ -z "${FAIL_DUMP:-}" ] || exit 1; echo dump >"$f"',
                pg_restore: "exit 0",
            });
            fs.writeFileSync(path.join(box.dir, "password"), "pw");
            env = {
                BACKUP_DIR: path.join(box.dir, "backups"),
                RETENTION_DAYS: "3",
                DATABASE_PASSWORD_FILE: path.join(box.dir, "password"),
                DATABASE_HOST: "127.0.0.1",
                DATABASE_PORT: "5432",
                DATABASE_USER: "u",
                DATABASE_NAME: "freshtrack",
                LAST_SUCCESS_FILE: path.join(box.dir, "last-success"),
            };
        });
        afterEach(() => fs.rmSync(box.dir, { recursive: true, force: true }));

        it("a scheduled run that succeeds writes the marker; a pre-migration run and a failed run do not", () => {
            const premigrate = box.run(renderBackupScript(), ["pre-migrate"], env);
            expect(premigrate.status, premigrate.out).to.equal(0);
            expect(fs.existsSync(env.LAST_SUCCESS_FILE!)).to.equal(false);
            const failed = box.run(renderBackupScript(), ["scheduled"], { ...env, FAIL_DUMP: "1" });
            expect(failed.status).to.not.equal(0);
            expect(fs.existsSync(env.LAST_SUCCESS_FILE!)).to.equal(false);
            const scheduled = box.run(renderBackupScript(), ["scheduled"], env);
            expect(scheduled.status, scheduled.out).to.equal(0);
            expect(Number(fs.readFileSync(env.LAST_SUCCESS_FILE!, "utf8"))).to.be.closeTo(Date.now() / 1000, 60);
        });
    });

    it("passes shellcheck (rung 3)", () => {
        const lint = shellcheck(renderBackupHealthCheck(backupHealthLimits("0 */6 * * *")));
        expect(lint.status, lint.stdout).to.equal(0);
    });
});
