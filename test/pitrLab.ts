/**
 * The point-in-time recovery lab for the tests: scripts/lib/pitrLab.ts (shared with `npm run bench`, which may not
 * load chai), and the assertions the tests make about a refused restore.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { PitrLab, RestoreRun } from "../scripts/lib/pitrLab";

/**
 * The command lines of the processes still running out of a restore's work directory (`freshtrack-pitr.*`) under the
 * lab's own TMPDIR (`tmp`): another session's restore on the same machine is none of this lab's business.
 */
export function restoreServers(tmp: string): string[] {
    const escaped = path.join(tmp, "freshtrack-pitr.").replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const workDir = new RegExp(`${escaped}[A-Za-z0-9]+/`);
    return fs.readdirSync("/proc").flatMap((pid) => {
        if (!/^\d+$/.test(pid)) return [];
        try {
            const line = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
            return workDir.test(line) ? [line] : [];
        } catch {
            return [];
        }
    });
}

/** What a restore leaves once it has ended, whatever its outcome: no work directory or lock, no server running. */
export function expectNothingLeft(lab: PitrLab): void {
    expect(fs.readdirSync(lab.dirs.tmp), "no work directory or lock left").to.deep.equal([]);
    expect(restoreServers(lab.dirs.tmp), "no throwaway server still running").to.deep.equal([]);
}

/** No new dump, no work directory left, the lock released, no server running, and the script said so. */
export function expectNothingChanged(lab: PitrLab, run: RestoreRun): void {
    expect(run.dumpsAfter, "no new dump").to.deep.equal(run.dumpsBefore);
    expectNothingLeft(lab);
    expect(run.output).to.contain("nothing was changed");
}
