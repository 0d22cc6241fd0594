/**
 * Rung 4 (Debian's PostgreSQL on 127.0.0.1, the rendered scripts as the backup container runs them): `npm run bench`
 * measures point-in-time recovery for real (issue 18, item 5, "npm run bench prints RPO and RTO"): the RPO of a
 * SIGKILL against its 5 s target, the RTO beside the database's size, how close a restore to a chosen time came; and
 * run by a user who cannot run the lab, it says what is missing in one line and exits as it would without it.
 * test/benchPitr.test.ts checks the report's text with given numbers.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as path from "path";
import type { PitrFigures, PitrTarget } from "../scripts/lib/benchPitrReport";
import { IS_ROOT } from "./localServers";

const ROOT = path.resolve(__dirname, "..");
const describeAsRoot = IS_ROOT ? describe : describe.skip;
const MB = 1024 * 1024;
/** Debian's nobody: a user the lab refuses, since the scripts need the backup container's root. */
const NOBODY = "65534";

/** scripts/bench.ts under ts-node, as npm runs it; `prefix` runs it through another program first (setpriv). */
function bench(args: readonly string[], prefix: readonly string[] = []) {
    const tsNode = path.join(ROOT, "node_modules", ".bin", "ts-node");
    const [program, ...rest] = [...prefix, tsNode, "--transpile-only", "scripts/bench.ts", ...args];
    return spawnSync(program!, rest, { cwd: ROOT, encoding: "utf8", env: { ...process.env, HOME: "/tmp" } });
}

describeAsRoot("npm run bench: point-in-time recovery measured on a real PostgreSQL (issue 18, item 5)", function () {
    this.timeout(180_000);

    it("reports the RPO of a SIGKILL within 5 s, the RTO beside the database's size, and a restore to a chosen time", () => {
        const result = bench(["--json", "--runs", "1", "--pitr-sizes", "2", "dev"]);
        expect(result.status, result.stderr).to.be.oneOf([0, 1]);
        const report = JSON.parse(result.stdout) as { pitr: PitrFigures & { targets: PitrTarget[] } };
        const { pitr } = report;
        expect(pitr.postgres).to.match(/^\d+$/);
        expect(pitr.sizes).to.have.length(1);
        const size = pitr.sizes[0]!;
        expect(size.requestedMb).to.equal(2);
        // The readings asked for, give or take the estimate of rows per MB; the database holds them and its catalog.
        expect(size.readingsBytes).to.be.within(1.5 * MB, 2.5 * MB);
        expect(size.databaseBytes).to.be.above(size.readingsBytes);
        // A row every 100 ms for 6 s: about 60, of which a SIGKILL costs none that were committed and streamed.
        expect(size.rpo.writtenRows).to.be.within(40, 61);
        expect(size.rpo.lostMs).to.be.within(0, 5000);
        expect(size.rpo.lostRows).to.be.within(0, 50);
        expect(size.rto.pitrRestoreMs).to.be.above(0);
        expect(size.rto.swapMs).to.be.above(0);
        expect(size.rto.totalMs).to.be.closeTo(size.rto.pitrRestoreMs + size.rto.swapMs, 1);
        // 50 ms after a row was written: its commit is the last one replayed, a little less than 50 ms before.
        expect(pitr.chosenTime).to.deep.include({ requestedMb: 2, afterRowMs: 50 });
        expect(pitr.chosenTime!.landedBeforeMs).to.be.within(0, 150);
        // The log a reading costs (docs/operations.md's worked example): a row and its index entries, and page images.
        expect(pitr.walRate).to.deep.include({ readings: 20_000 });
        expect(pitr.walRate!.walBytesPerReading).to.be.within(100, 20_000);
        expect(pitr.walRate!.tableBytesPerReading).to.be.within(50, 1_000);
        expect(pitr.targets).to.deep.equal([
            {
                name: "2 MB: RPO at most 5000 ms",
                met: true,
                detail: `${size.rpo.lostMs} ms of readings lost (${size.rpo.lostRows} of ${size.rpo.writtenRows} rows)`,
            },
        ]);
        expect(result.stderr).to.contain("bench: pitr 2 MB: freshtrack-pitr-restore --latest");
    });

    it("run as a user who cannot run the lab: one line naming what is missing and how to get it, exit unchanged", () => {
        const setpriv = ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--"];
        const result = bench(["--runs", "1", "--pitr-sizes", "1", "dev"], setpriv);
        expect(result.status, result.stderr).to.equal(0);
        const lines = result.stdout.trimEnd().split("\n");
        expect(lines[lines.length - 1]).to.match(
            /^Point-in-time recovery: not measured: this machine lacks root \(.*\); run the bench as root .*`npm run test:servers` row.*\.ci\/run installs them\.$/,
        );
        expect(result.stdout).to.not.contain("RPO target");
    });
});
