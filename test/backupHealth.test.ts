/**
 * Issue 15, finding 14 (second half): the backup service is healthy only while its scheduled backups succeed,
 * not merely while crond runs. Rung 1 (mocks) for what the program registers; rung 3 (real tools on generated
 * files) for the health check and the backup script, run by BusyBox's own sh and applets (Debian's busybox,
 * standing in for the postgres alpine image's: only the applets that image has, components/imageContracts/,
 * are put on PATH; busybox sh runs its own applets first anyway), with a process named crond for pidof to find
 * and stand-ins for pg_dump/pg_restore.
 */
import { expect } from "chai";
import { backupHealthLimits, cronMaxGapMinutes } from "../components/services/backupScripts";

describe("backup service health reflects the last successful scheduled backup (issue 15, finding 14)", function () {
    this.timeout(30_000);

    it("allows the schedule's longest pause plus two hours: 26 h for a daily backup (rung 1)", () => {
        const cases: Array<[string, number]> = [
            ["15 3 * * *", 24 * 60],
            ["0 */6 * * *", 6 * 60],
            ["0 1,23 * * *", 22 * 60],
            ["0 3 * * 0", 7 * 1440],
            ["0 3 * * mon-fri", 3 * 1440],
            ["0 3 1 * *", 31 * 1440],
            ["0 3 1,15 * *", 17 * 1440],
            // Both day fields restricted: either runs (busybox crond), so the 1st or any Sunday.
            ["0 3 1 * sun", 7 * 1440],
            ["0 3 1 jan *", 366 * 1440],
        ];
        for (const [schedule, gap] of cases) expect(cronMaxGapMinutes(schedule), schedule).to.equal(gap);
        expect(backupHealthLimits("15 3 * * *")).to.deep.equal({ limitMinutes: 26 * 60, graceMinutes: 26 * 60 });
        // A leap-day schedule never gives a false alarm: its limit is at least the four years between runs.
        expect(cronMaxGapMinutes("0 3 29 2 *")).to.be.at.least(1461 * 1440);
    });
});
