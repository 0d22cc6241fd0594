import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderBackupCrontab } from "../components/services/backupScripts";
import { checkCron } from "../components/validation";

/** Runs the real busybox crond (rung 3) on one crontab for a moment and returns what it logged while loading it. */
async function busyboxCrondReads(crontab: string): Promise<string> {
    // crond reads only crontabs owned by root (busybox crond.c load_crontab, DAEMON_UID); CI runs as root.
    if (process.getuid?.() !== 0)
        throw new Error("this test runs busybox crond, which reads only root's crontabs: run it as root (CI does)");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-crond-"));
    fs.writeFileSync(path.join(dir, "root"), crontab);
    // -l 0: ParseField prints each field it parsed as a row of 0/1 (crond.c, "can't use log5"); no job comes due while
    // it loads.
    const child = spawn("busybox", ["crond", "-f", "-l", "0", "-L", "/dev/stderr", "-c", dir], {
        stdio: ["ignore", "ignore", "pipe"],
    });
    let output = "";
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    try {
        const started = Date.now();
        let last = "";
        let quietSince = Date.now();
        while (Date.now() - started < 5000) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            if (output !== last) {
                last = output;
                quietSince = Date.now();
            } else if (/started/.test(output) && Date.now() - quietSince > 400) {
                break;
            }
        }
        return output;
    } finally {
        child.kill();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** The rows busybox crond filled for the lines it kept as jobs: 5 per job, in field order. */
function fieldRows(log: string): string[] {
    return log.split("\n").filter((l) => /^[01]+$/.test(l));
}

/**
 * Issue 15, finding 14: backup.schedule is validated exactly as it is written into the crontab,
 * in the grammar of the cron that reads it (busybox crond, miscutils/crond.c ParseField).
 */
describe("backup schedules as busybox crond reads them (issue 15, finding 14)", () => {
    it("every schedule it accepts is a job to the real busybox crond, fields as meant (rung 3)", async function () {
        this.timeout(30000);
        const accepted = [
            "15 3 * * *",
            "*/5 * * * *",
            "0 0-6/2 1,15 * 1-5",
            "0 0 * * 0",
            "0 0 * * mon-FRI",
            "0 4 1 jan,Jul *",
            "59 23 31 12 6",
            "0 */6 * * *",
            "30 2 * * *",
        ];
        for (const schedule of accepted) expect(checkCron(schedule), schedule).to.equal(undefined);
        const logs = await Promise.all(accepted.map((s) => busyboxCrondReads(renderBackupCrontab(s))));
        logs.forEach((log, i) => {
            expect(log, accepted[i]).to.not.match(/parse error/);
            expect(fieldRows(log), `${accepted[i]}: one job, five fields\n${log}`).to.have.length(5);
        });
        const [minutes, hours] = fieldRows(logs[0]!);
        expect(minutes!.indexOf("1")).to.equal(15);
        expect(hours!.indexOf("1")).to.equal(3);
        expect(fieldRows(logs[4]!)[4], "mon-FRI: Monday to Friday, Sunday first").to.equal("0111110");
    });

    it("every schedule it refuses for the crontab's sake is one the real busybox crond drops, misreads or reports (rung 3)", async function () {
        this.timeout(30000);
        const cases: Array<[string, (log: string) => void]> = [
            // A trailing line break splits the job into a line of 5 tokens and a line of the command: both dropped,
            // silently.
            ["15 3 * * *\n", (log) => expect(fieldRows(log)).to.have.length(0)],
            // A non-breaking space is no separator to crond: "3\u00a0*" is one token, so the command's first word
            // becomes the day-of-week field and the job would run "scheduled >/proc/1/fd/1 ...".
            [
                "15 3\u00a0* * *",
                (log) =>
                    expect(log)
                        .to.match(/parse error at 3\u00a0\*/)
                        .and.match(/parse error at \/usr\/local\/bin\/freshtrack-backup/),
            ],
            ["0 0 * * 7", (log) => expect(log).to.match(/parse error at 7/)],
            // 5/10 is minute 5 alone to busybox; other crons read 5-59/10.
            ["5/10 * * * *", (log) => expect(fieldRows(log)[0]).to.equal(`${"0".repeat(5)}1${"0".repeat(54)}`)],
            // A backwards range wraps around midnight in busybox; other crons refuse it.
            ["0 22-2 * * *", (log) => expect(fieldRows(log)[1]).to.equal(`111${"0".repeat(19)}11`)],
        ];
        for (const [schedule] of cases) expect(checkCron(schedule), JSON.stringify(schedule)).to.be.a("string");
        const logs = await Promise.all(cases.map(([schedule]) => busyboxCrondReads(renderBackupCrontab(schedule))));
        cases.forEach(([, expectation], i) => expectation(logs[i]!));
    });
});
