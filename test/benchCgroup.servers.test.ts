/**
 * npm run bench -- --pitr-limits (issue 18, item 5: the RTO under the backup container's limits) on this machine's
 * kernel (rung 4: real cgroup files, root): the group holds the limits it was given, read back from the kernel, a
 * process started through shInGroup and its children are in it, and remove leaves nothing behind.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import { cgroupUnavailable, makeLimitedGroup, shInGroup } from "../scripts/lib/benchCgroup";

const unavailable = cgroupUnavailable();
const describeWithCgroups = unavailable === undefined ? describe : describe.skip;

describeWithCgroups("the bench's control group for restores under a container's limits (issue 18, item 5)", () => {
    it("limits memory and CPU as asked, holds what runs through it (children too), and is removed", () => {
        const name = `freshtrack-bench-test-${process.pid}`;
        const group = makeLimitedGroup(name, { memoryMb: 64, cpus: 0.5 });
        try {
            expect(group.limits).to.deep.equal({
                memoryBytes: 64 * 1024 * 1024,
                cpuQuotaUs: 50_000,
                cpuPeriodUs: 100_000,
            });
            // A child of the shell's exec'd command reports its own control groups.
            const run = spawnSync(
                "sh",
                shInGroup(group, ["sh", "-c", "cat /proc/$$/cgroup; sh -c 'cat /proc/$$/cgroup'"]),
                {
                    encoding: "utf8",
                },
            );
            expect(run.status, run.stderr).to.equal(0);
            const lines = run.stdout.split("\n").filter((l) => l.endsWith(`/${name}`));
            // v2: one line per process; v1: memory and cpu, per process.
            expect(lines.length, run.stdout).to.equal(group.procs.length * 2);
        } finally {
            group.remove();
        }
        for (const procs of group.procs) expect(fs.existsSync(procs), procs).to.equal(false);
    });
});
