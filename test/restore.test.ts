import { expect } from "chai";
import { confirmed, stackNamePrompt } from "../scripts/lib/confirm";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { backupContainer, dockerOn } from "../scripts/lib/hostDocker";
import { chooseBackup, confirmationText } from "../scripts/lib/restorePlan";
import { callLines, runScript, writeStandInDocker } from "./standIns";

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
