import { expect } from "chai";
import { confirmed, stackNamePrompt } from "../scripts/lib/confirm";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { backupContainer, dockerOn } from "../scripts/lib/hostDocker";
import { chooseBackup, confirmationText, parseTargetTime, pitrRestoreReport } from "../scripts/lib/restorePlan";
import { callLines, runScript, writeStandInDocker, writeStandInPulumi } from "./standIns";
import { PITR_EXIT } from "../components/services/pitrRestoreScript";

const LIST = [
    "/backups/postgres/freshtrack-scheduled-20261123T031500Z.dump",
    "/backups/postgres/freshtrack-pre-migrate-1.4.2-20261122T101010Z.dump",
    "/backups/postgres/freshtrack-scheduled-20261122T031500Z.dump",
    "",
];

describe("npm run restore", () => {
    it("restores the newest backup by default", () => {
        expect(chooseBackup(LIST)).to.deep.equal({ file: LIST[0] });
    });

    it("restores a named backup, by file name or full path", () => {
        expect(chooseBackup(LIST, "freshtrack-pre-migrate-1.4.2-20261122T101010Z.dump")).to.deep.equal({
            file: LIST[1],
        });
        expect(chooseBackup(LIST, LIST[2])).to.deep.equal({ file: LIST[2] });
    });

    it("refuses an unknown name, listing the newest ones, and an empty host", () => {
        expect(chooseBackup(LIST, "freshtrack-nope.dump")).to.match(
            /^no backup named freshtrack-nope.dump; the newest are:\n {2}freshtrack-scheduled-20261123T031500Z.dump/,
        );
        expect(chooseBackup([""])).to.match(/^no backup found on the host/);
    });

    it("asks the operator to type the stack name, and says what is kept", () => {
        const text = confirmationText("prod", "freshtrack", LIST[0]!);
        expect(text).to.contain("the current database is kept as freshtrack_before_restore_<time>");
        // Issue 15, finding 16: the operator is told the swap is atomic and how many kept databases stay.
        expect(text).to.contain("Both renames are one transaction");
        expect(text).to.contain("Only the 3 newest kept databases stay");
        expect(stackNamePrompt("prod", text)).to.match(/Type the stack name \(prod\) to go ahead: $/);
        expect(confirmed("prod", "prod\n")).to.equal(true);
        expect(confirmed("prod", "y")).to.equal(false);
        expect(confirmed("prod", "staging")).to.equal(false);
    });
});

/**
 * Issue 18: `npm run restore -- <stack> --to-time <ISO 8601>` hands freshtrack-pitr-restore a UTC time in the one form
 * it reads, and refuses a time it could misread (rung 1: the pure parser the script uses).
 */
describe("npm run restore --to-time: the time the operator writes", () => {
    it("takes a zone and turns it into UTC, keeping a fraction to the microsecond", () => {
        expect(parseTargetTime("2026-11-26T10:00:00Z")).to.deep.include({ utc: "2026-11-26 10:00:00.000000" });
        expect(parseTargetTime("2026-11-26T11:00:00.25+01:00")).to.deep.include({ utc: "2026-11-26 10:00:00.250000" });
        expect(parseTargetTime("2026-11-26T00:30:00.123456-02:30")).to.deep.include({
            utc: "2026-11-26 03:00:00.123456",
        });
        expect(parseTargetTime("2026-01-01T00:30:00+01:00")).to.deep.include({ utc: "2025-12-31 23:30:00.000000" });
    });

    it("refuses a time without a zone, a date that does not exist and other forms, saying what it expects", () => {
        for (const bad of [
            "2026-11-26T10:00:00",
            "2026-11-26 10:00:00Z",
            "2026-02-30T10:00:00Z",
            "2026-11-26T24:00:00Z",
            "2026-11-26T10:00:00.1234567Z",
            "2026-11-26T10:00:00+24:00",
            "yesterday",
        ]) {
            expect(parseTargetTime(bad), bad).to.be.a("string").and.contain("the zone is required");
        }
    });

    it("reads the recovery point and the dump from freshtrack-pitr-restore's output", () => {
        const out = [
            "earliest reachable: 2026-11-25 03:16:02 UTC",
            "recovery point: 2026-11-26 09:58:59.950311 UTC (replayed in 4 s)",
            "readings rows: 60",
            "dump: /backups/postgres/freshtrack-pitr-20261126T095859Z-20261126T101500Z.dump",
        ].join("\n");
        expect(pitrRestoreReport(out)).to.deep.equal({
            recoveryPoint: "2026-11-26 09:58:59.950311 UTC (replayed in 4 s)",
            dump: "/backups/postgres/freshtrack-pitr-20261126T095859Z-20261126T101500Z.dump",
        });
        expect(pitrRestoreReport("freshtrack-pitr-restore: refused")).to.deep.equal({});
    });
});

describe("restore and rollback find the backup container on the stack's host", () => {
    let bin: string;
    let savedPath: string | undefined;
    /** A `docker` on PATH that prints `stdout`, writes `stderr` and exits with `status`. */
    function fakeDocker(status: number, stdout: string, stderr: string): void {
        fs.writeFileSync(
            path.join(bin, "docker"),
            `#!/bin/sh\nprintf '%s' '${stdout}'\nprintf '%s\\n' '${stderr}' >&2\nexit ${status}\n`,
            { mode: 0o755 },
        );
        process.env.PATH = bin;
    }
    beforeEach(() => {
        bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-docker-"));
        savedPath = process.env.PATH;
    });
    afterEach(() => {
        process.env.PATH = savedPath;
        fs.rmSync(bin, { recursive: true, force: true });
    });

    it("an unreachable Docker daemon is reported as such, with Docker's own reason, not as a missing container", async () => {
        fakeDocker(
            1,
            "",
            "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
        );
        const found = backupContainer(await dockerOn("local", "dev"), "freshtrack-dev", "dev");
        expect(found).to.deep.equal({
            problem:
                "cannot reach this machine's Docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
        });
    });

    it("a machine without docker says docker is not installed", async () => {
        process.env.PATH = bin; // empty directory: no docker anywhere
        const found = backupContainer(await dockerOn("local", "dev"), "freshtrack-dev", "dev");
        expect(found).to.deep.equal({ problem: "cannot run docker: docker: not installed on this machine" });
    });

    it("a reachable daemon without the container says to run pulumi up", async () => {
        fakeDocker(0, "", "");
        expect(backupContainer(await dockerOn("local", "dev"), "freshtrack-dev", "dev")).to.deep.equal({
            problem: "no running backup container for stack 'dev' on this machine's Docker; run pulumi up first",
        });
    });

    it("a running container is found by the stack and service labels", () => {
        const calls: string[][] = [];
        const found = backupContainer(
            { where: "test", docker: (args) => (calls.push(args), { status: 0, stdout: "3f2a9c\n" }) },
            "freshtrack-prod",
            "prod",
        );
        expect(found).to.deep.equal({ id: "3f2a9c" });
        expect(calls[0])
            .to.include("label=com.freshtrack.stack=freshtrack-prod")
            .and.include("label=com.freshtrack.service=backup");
    });
});

/**
 * Issue 17, attack pass (the same miss as rollback's --to, test/rollback.test.ts): the `[backup]` argument must reach
 * the restore, or the newest dump is restored in its place. Rung 4 without a server: the real script under ts-node on
 * the dev stack (local target, so no Pulumi CLI), with a stand-in `docker` on PATH that lists two dumps, newest first
 * (test/standIns.ts).
 */
describe("npm run restore -- <stack> <backup> restores that backup (the real script, a stand-in docker)", function () {
    this.timeout(120_000);
    const NEWEST = "/backups/postgres/freshtrack-scheduled-20261123T031500Z.dump";
    const NAMED = "/backups/postgres/freshtrack-pre-migrate-1.4.2-20261122T101010Z.dump";
    let bin: string;
    beforeEach(() => {
        bin = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-restore-named-"));
        writeStandInDocker(bin, { dumps: [NEWEST, NAMED] });
    });
    afterEach(() => fs.rmSync(bin, { recursive: true, force: true }));

    it("hands the named dump, not the newest, to freshtrack-restore", () => {
        const result = runScript(bin, "scripts/restore.ts", ["dev", path.basename(NAMED), "--yes"]);
        expect(result.stderr).to.equal("");
        expect(result.status).to.equal(0);
        const calls = callLines(bin, "docker");
        expect(calls.filter((c) => c.includes("freshtrack-restore"))).to.deep.equal([
            `exec -i c0ffee freshtrack-restore ${NAMED}`,
        ]);
    });
});

/**
 * Issue 18, the attack pass: a point-in-time restore must swap only after the stack's name is typed, and a refused
 * replay must exit 1 with nothing swapped. Rung 4 without a server: the real script on the dev stack (local target)
 * against a stand-in `docker` whose freshtrack-pitr-restore prints what the rendered script prints (PITR_OUTPUT) or
 * refuses as it does (PITR_EXIT.refused); the rendered script itself runs on a real PostgreSQL in
 * test/pitr.servers.test.ts.
 */
describe("npm run restore -- <stack> --latest / --to-time (the real script, a stand-in docker)", function () {
    this.timeout(120_000);
    const DUMP = "/backups/postgres/freshtrack-pitr-20261126T095859Z-20261126T101500Z.dump";
    let bin: string;
    const standIn = (pitrStatus: number) =>
        fs.writeFileSync(
            path.join(bin, "docker"),
            [
                "#!/bin/sh",
                `printf '%s\\n' "$*" >> '${path.join(bin, "docker.calls")}'`,
                'case "$*" in',
                "  ps*) echo c0ffee ;;",
                `  *freshtrack-pitr-restore*) if [ ${pitrStatus} -ne 0 ]; then echo 'freshtrack-pitr-restore: refused' >&2; exit ${pitrStatus}; fi`,
                `    printf '%s\\n' 'recovery point: 2026-11-26 09:58:59.950311 UTC (replayed in 4 s)' 'dump: ${DUMP}' ;;`,
                "  *freshtrack-restore*) echo restored ;;",
                "esac",
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
    beforeEach(() => {
        bin = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-restore-pitr-"));
    });
    afterEach(() => fs.rmSync(bin, { recursive: true, force: true }));
    const swaps = () => callLines(bin, "docker").filter((c) => / freshtrack-restore /.test(c));

    it("replays, then swaps the checked dump in only after the stack's name is typed", () => {
        standIn(0);
        const refused = runScript(bin, "scripts/restore.ts", ["dev", "--latest"], { stdin: "no\n" });
        expect(refused.status, refused.stderr).to.equal(1);
        expect(refused.stderr).to.contain("not confirmed; nothing was changed");
        expect(swaps()).to.deep.equal([]);
        const confirmed = runScript(bin, "scripts/restore.ts", ["dev", "--to-time", "2026-11-26T10:59:00+01:00"], {
            stdin: "dev\n",
        });
        expect(confirmed.status, confirmed.stderr).to.equal(0);
        expect(callLines(bin, "docker").filter((c) => c.includes("freshtrack-pitr-restore"))).to.deep.equal([
            "exec c0ffee freshtrack-pitr-restore --latest",
            "exec c0ffee freshtrack-pitr-restore --to-time 2026-11-26 09:59:00.000000",
        ]);
        expect(swaps()).to.deep.equal([`exec -i c0ffee freshtrack-restore ${DUMP}`]);
    });

    it("--window prints the ranges and changes nothing: no replay, no swap, no question", () => {
        standIn(0);
        const shown = runScript(bin, "scripts/restore.ts", ["dev", "--window"], { stdin: "" });
        expect(shown.status, shown.stderr).to.equal(0);
        expect(callLines(bin, "docker").filter((c) => c.includes("freshtrack-pitr-restore"))).to.deep.equal([
            "exec c0ffee freshtrack-pitr-restore --window",
        ]);
        expect(shown.stdout).to.contain("recovery point: 2026-11-26 09:58:59.950311 UTC");
        expect(swaps()).to.deep.equal([]);
        const both = runScript(bin, "scripts/restore.ts", ["dev", "--window", "--latest"]);
        expect(both.status).to.equal(2);
        expect(both.stderr).to.contain("give one of a dump's name, --to-time, --latest and --window");
    });

    it("a --window the archive refuses (no base backup yet) exits 1", () => {
        standIn(PITR_EXIT.refused);
        const refused = runScript(bin, "scripts/restore.ts", ["dev", "--window"]);
        expect(refused.status, refused.stderr).to.equal(1);
        expect(swaps()).to.deep.equal([]);
    });

    it("--window on a managed PostgreSQL prints DigitalOcean's window and forks nothing, even with --yes", () => {
        standIn(0);
        writeStandInPulumi(bin);
        // A managed stack of its own for this test: prod's settings with the database at DigitalOcean.
        const stack = `zzwindow${process.pid}`;
        const file = path.join(__dirname, "..", `Pulumi.${stack}.yaml`);
        const prod = fs.readFileSync(path.join(__dirname, "..", "Pulumi.prod.yaml"), "utf8");
        fs.writeFileSync(file, prod.replace(/^config:\n/m, "config:\n  freshtrack:database:\n    mode: managed\n"));
        try {
            const shown = runScript(bin, "scripts/restore.ts", [stack, "--window", "--yes"]);
            expect(shown.status, shown.stderr).to.equal(0);
            expect(shown.stdout).to.match(/^earliest reachable: \S+Z \(DigitalOcean keeps 7 days\)$/m);
            expect(shown.stdout).to.match(/^latest reachable: now, \S+Z$/m);
            expect(callLines(bin, "pulumi"), "no update, no config written").to.deep.equal([]);
            expect(callLines(bin, "docker")).to.deep.equal([]);
        } finally {
            fs.rmSync(file, { force: true });
        }
    });

    it("a replay the archive refuses exits 1, and nothing is swapped", () => {
        standIn(PITR_EXIT.refused);
        const refused = runScript(bin, "scripts/restore.ts", ["dev", "--latest", "--yes"]);
        expect(refused.status, refused.stderr).to.equal(1);
        expect(refused.stderr).to.contain("refused (the reason is above); nothing was changed");
        expect(swaps()).to.deep.equal([]);
    });
});
