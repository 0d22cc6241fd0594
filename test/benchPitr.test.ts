/**
 * Rung 1 (a pure renderer, given numbers): the point-in-time recovery section of `npm run bench` (issue 18, item 5)
 * shows the RPO (rows lost of those written, time lost) against its 5 s target, the RTO against the database's size
 * (the restore, the swap, the total), how close a restore to a chosen time came, and MISSED with exit 1 for a size
 * that lost more than 5 s; a machine that cannot run the lab gets one line and no exit code of its own.
 * test/benchPitr.servers.test.ts measures the figures for real.
 */
import { expect } from "chai";
import {
    PitrFigures,
    PitrSizeFigures,
    pitrTargets,
    pitrVerdict,
    renderPitr,
    RPO_TARGET_MS,
} from "../scripts/lib/benchPitrReport";

const MB = 1024 * 1024;

function size(requestedMb: number, lostMs: number, lostRows: number): PitrSizeFigures {
    return {
        requestedMb,
        readingsBytes: requestedMb * MB + 0.25 * MB,
        databaseBytes: requestedMb * MB + 7.5 * MB,
        rpo: { writtenRows: 60, lostRows, lostMs },
        rto: { pitrRestoreMs: 3_240 * requestedMb, swapMs: 420 * requestedMb, totalMs: 3_660 * requestedMb },
    };
}

const figures = (...sizes: PitrSizeFigures[]): PitrFigures => ({
    postgres: "15",
    writeSeconds: 6,
    sizes,
    chosenTime: { requestedMb: 1, afterRowMs: 50, landedBeforeMs: 48 },
});

describe("npm run bench: the point-in-time recovery report (scripts/lib/benchPitrReport.ts)", () => {
    it("shows, per size, the readings and database size, rows and time lost, restore, swap and RTO", () => {
        const text = renderPitr({ measured: figures(size(1, 0, 0), size(10, 98, 1)) });
        const lines = text.split("\n");
        expect(lines[0]).to.equal(
            "Point-in-time recovery on this machine's PostgreSQL 15, with the project's rendered scripts",
        );
        expect(text).to.contain("a row written every 100 ms for 6 s, the server killed with SIGKILL");
        expect(lines).to.include.members([
            "  readings   database    rows lost   time lost   pitr restore   swap      RTO",
            "  1.3 MB     8.5 MB      0 of 60     0 ms        3.2 s          0.4 s     3.7 s",
            "  10.3 MB    17.5 MB     1 of 60     98 ms       32.4 s         4.2 s     36.6 s",
            "  met     1 MB: RPO at most 5000 ms: 0 ms of readings lost (0 of 60 rows)",
            "  met     10 MB: RPO at most 5000 ms: 98 ms of readings lost (1 of 60 rows)",
        ]);
        expect(text.replace(/\n\s+/g, " ")).to.contain(
            "A restore to a chosen time (50 ms after a row was written, at 1 MB) stopped at the last commit before it, " +
                "48 ms before the target.",
        );
        expect(pitrVerdict({ measured: figures(size(1, 0, 0), size(10, 98, 1)) })).to.deep.equal({
            line: "Every RPO target met.",
            exitCode: 0,
        });
    });

    it("a size that lost more than 5 s of readings prints MISSED and makes the bench exit 1; exactly 5 s is met", () => {
        const outcome = { measured: figures(size(1, RPO_TARGET_MS, 50), size(10, RPO_TARGET_MS + 1, 51)) };
        const text = renderPitr(outcome);
        expect(text).to.contain("  met     1 MB: RPO at most 5000 ms: 5000 ms of readings lost (50 of 60 rows)");
        expect(text).to.contain("  MISSED  10 MB: RPO at most 5000 ms: 5001 ms of readings lost (51 of 60 rows)");
        expect(pitrVerdict(outcome)).to.deep.equal({ line: "1 RPO target(s) missed.", exitCode: 1 });
        expect(pitrTargets(outcome.measured).map((t) => t.met)).to.deep.equal([true, false]);
    });

    it("without the chosen-time figure, says nothing about it", () => {
        const { chosenTime: _dropped, ...rest } = figures(size(1, 0, 0));
        expect(renderPitr({ measured: rest })).to.not.contain("chosen time");
        const withRate = renderPitr({
            measured: { ...rest, walRate: { walBytesPerReading: 1497, tableBytesPerReading: 140, readings: 20000 } },
        });
        expect(withRate.replace(/\s+/g, " ")).to.contain(
            "The log a reading costs: 1497 bytes (20000 readings, one per transaction",
        );
        expect(withRate.replace(/\s+/g, " ")).to.contain("grew 140 bytes a reading");
        expect(renderPitr({ measured: rest })).to.not.contain("The log a reading costs");
    });

    it("where the lab cannot run: one line saying what is missing, no verdict, no exit code of its own", () => {
        const missing = "this machine lacks root, gosu; run the bench as root on Debian with the packages of ...";
        const outcome = { notMeasured: missing };
        expect(renderPitr(outcome)).to.equal(`Point-in-time recovery: not measured: ${missing}`);
        expect(renderPitr(outcome).split("\n")).to.have.length(1);
        expect(pitrVerdict(outcome)).to.deep.equal({ exitCode: 0 });
    });
});
