/**
 * The point-in-time recovery lab for the tests: scripts/lib/pitrLab.ts (shared with `npm run bench`, which may not
 * load chai), and the assertions the tests make about a refused restore.
 */
import { expect } from "chai";
import * as fs from "fs";
import { PitrLab, RestoreRun } from "../scripts/lib/pitrLab";

/** No new dump, no work directory left, the lock released, and the script said so. */
export function expectNothingChanged(lab: PitrLab, run: RestoreRun): void {
    expect(run.dumpsAfter, "no new dump").to.deep.equal(run.dumpsBefore);
    expect(fs.readdirSync(lab.dirs.tmp), "no work directory or lock left").to.deep.equal([]);
    expect(run.output).to.contain("nothing was changed");
}
