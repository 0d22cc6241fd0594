/**
 * Issue 18: the one pid lock of the restore and the drill (components/services/scriptLock.ts) and the segment names of
 * PITR_FUNCTIONS, run in real shells (rung 3: dash and BusyBox's ash, the image's shell, where installed). No server.
 */
import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PITR_FUNCTIONS } from "../components/services/pitrScripts";
import { SCRIPT_LOCK_FUNCTIONS } from "../components/services/scriptLock";

/** The shells to run the functions in: dash, and BusyBox's ash as `busybox sh`. */
const CANDIDATES: Array<[string, string[]]> = [
    ["dash", ["dash"]],
    ["busybox ash", ["busybox", "sh"]],
];
const SHELLS = CANDIDATES.filter(([, shell]) => spawnSync("sh", ["-c", `command -v ${shell[0]!}`]).status === 0);

/** Runs `body` after the lock functions in `shell` with `$1` the lock, as a process whose command line names `name`. */
function run(shell: string[], body: string, lock: string, name = "freshtrack-lock-test") {
    const script = `as_server() { "$@"; }\n${SCRIPT_LOCK_FUNCTIONS}\n${body}`;
    return spawnSync(shell[0]!, [...shell.slice(1), "-c", script, name, lock], { encoding: "utf8" });
}

describe("take_lock and release_lock: one lock for the restore and the drill (issue 18; rung 3: real shells)", function () {
    this.timeout(60_000);
    let dir: string;
    let lock: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-lock-"));
        lock = path.join(dir, "test.lock");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    /** A process id that is no process any more. */
    const deadPid = () => spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();

    for (const [name, shell] of SHELLS) {
        describe(name, () => {
            it("a free lock is taken (a link to this process), and released only by its holder", () => {
                const r = run(shell, `take_lock "$1" freshtrack-lock-test; echo "rc=$? $(readlink "$1") $$"`, lock);
                const [rc, target, pid] = r.stdout.trim().split(" ");
                expect(rc, r.stderr).to.equal("rc=0");
                expect(target).to.equal(pid);
                fs.rmSync(lock);
                fs.symlinkSync("1", lock);
                run(shell, 'release_lock "$1"', lock);
                expect(fs.readlinkSync(lock), "another holder's lock stays").to.equal("1");
            });

            it("a live process running the program holds it: 1, the lock untouched, its holder named", () => {
                const holder = spawn("sh", ["-c", "sleep 30", "freshtrack-lock-test"], { stdio: "ignore" });
                try {
                    fs.symlinkSync(String(holder.pid), lock);
                    const r = run(shell, `take_lock "$1" freshtrack-lock-test; echo "rc=$? $lock_holder"`, lock);
                    expect(r.stdout.trim()).to.equal(`rc=1 ${holder.pid}`);
                    expect(fs.readlinkSync(lock)).to.equal(String(holder.pid));
                } finally {
                    holder.kill("SIGKILL");
                }
            });

            it("a dead holder's lock, or one whose id now runs another program (a reused pid), is taken over, said on stderr", () => {
                const other = spawn("sleep", ["30"], { stdio: "ignore" });
                try {
                    for (const stale of [deadPid(), String(other.pid), "not-a-pid"]) {
                        fs.rmSync(lock, { force: true });
                        fs.symlinkSync(stale, lock);
                        const r = run(
                            shell,
                            `take_lock "$1" freshtrack-lock-test; echo "rc=$? $(readlink "$1") $$"`,
                            lock,
                        );
                        const [rc, target, pid] = r.stdout.trim().split(" ");
                        expect(rc, `${stale}: ${r.stderr}`).to.equal("rc=0");
                        expect(target).to.equal(pid);
                        expect(r.stderr).to.contain(`took over the lock ${lock} of process ${stale}`);
                    }
                    expect(fs.readdirSync(dir), "nothing left beside the lock").to.deep.equal(["test.lock"]);
                } finally {
                    other.kill("SIGKILL");
                }
            });

            it("two takers racing for a dead holder's lock: exactly one wins, in every one of 30 races", async () => {
                const races = Array.from({ length: 30 }, (_, i) => path.join(dir, `race${i}`));
                for (const r of races) fs.symlinkSync(deadPid(), `${r}.lock`);
                const go = path.join(dir, "go");
                // Each taker waits for the same start, then holds what it won for a while, so the loser sees it alive.
                const taker = (race: string) =>
                    new Promise<string>((resolve) => {
                        const body = `while [ ! -e "${go}" ]; do :; done
if take_lock "${race}.lock" freshtrack-lock-test 2>/dev/null; then echo won; sleep 2; release_lock "${race}.lock"; else echo busy; fi`;
                        const script = `as_server() { "$@"; }\n${SCRIPT_LOCK_FUNCTIONS}\n${body}`;
                        const p = spawn(shell[0]!, [...shell.slice(1), "-c", script, "freshtrack-lock-test"]);
                        let out = "";
                        p.stdout.on("data", (d: Buffer) => (out += d.toString()));
                        p.on("close", () => resolve(out.trim()));
                    });
                const outcomes = races.map((r) => Promise.all([taker(r), taker(r)]));
                await new Promise((resolve) => setTimeout(resolve, 300));
                fs.writeFileSync(go, "");
                const results = await Promise.all(outcomes);
                for (const [i, pair] of results.entries())
                    expect(pair.sort(), `race ${i}`).to.deep.equal(["busy", "won"]);
            });
        });
    }
});

describe("segment names on any timeline (attack A30; rung 3: real shells)", () => {
    for (const [name, shell] of SHELLS) {
        it(`${name}: segment_of and next_segment on timelines 1, 2 and 0x1A`, () => {
            const body = [
                "segment_of 2 0/3000060",
                "segment_of 2 1F/FF000028",
                "segment_of 1A 2/0",
                "next_segment 0000000200000000000000FF",
                "next_segment 000000020000001F0000000A",
            ]
                .map((c) => `${c}; echo`)
                .join("\n");
            const r = spawnSync(shell[0]!, [...shell.slice(1), "-c", `${PITR_FUNCTIONS}\n${body}`], {
                encoding: "utf8",
            });
            expect(r.stdout.trim().split("\n"), r.stderr).to.deep.equal([
                "000000020000000000000003",
                "000000020000001F000000FF",
                "0000001A0000000200000000",
                "000000020000000100000000",
                "000000020000001F0000000B",
            ]);
        });
    }
});
