/**
 * Issue 18, item 4: "`npm run summary` shows the last drill". For each kind (pitr, dump): its outcome, when it ended,
 * how long it took, its recovery point, why it failed, and whether it is older than RestoreDrillStale's 26 h; "none
 * yet" when no drill of the kind has recorded one. It is read on the stack's host, in its backup container, and must
 * never make the summary fail: a config that does not load, a host that cannot be reached and a missing container are
 * each one line saying so, and the summary still exits 0.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ALERT_RULES } from "../components/monitoring/prometheusConfig";
import { DRILL_SUMMARY_FILES, DrillSummary, parseDrillSummary } from "../components/services/drillRecords";
import { DRILL_SUCCESS_METRIC } from "../components/services/pitrNames";
import {
    DrillAccess,
    DRILL_STALE_HOURS,
    lastDrill,
    LastDrill,
    NO_SUMMARY_EXIT,
    READ_SUMMARY_SCRIPT,
    renderLastDrill,
} from "../scripts/lib/drillReport";
import { DockerResult, HostDocker } from "../scripts/lib/hostDocker";
import { renderSummary } from "../scripts/lib/summary";
import { callLines, runScript, writeStandInDocker, writeStandInPulumi } from "./standIns";

const NOW = new Date("2026-11-26T10:00:00Z");

/** A summary file's text as freshtrack-drill's write_summary prints it (components/services/drillScript.ts). */
function summaryText(s: DrillSummary): string {
    return [
        `kind=${s.kind}`,
        `outcome=${s.outcome}`,
        `finished=${s.finished}`,
        `duration_seconds=${s.durationSeconds}`,
        `recovery_point=${s.recoveryPoint}`,
        `detail=${s.detail}`,
        "",
    ].join("\n");
}

const PITR_PASSED: DrillSummary = {
    kind: "pitr",
    outcome: "passed",
    finished: "2026-11-26T04:47:10Z",
    durationSeconds: 102,
    recoveryPoint: "2026-11-26T04:46:58.950311Z",
    detail: "restored to 2026-11-26 04:46:58.950311 UTC and compared with live; readings 86400 rows; alerts 12 rows",
};
const DUMP_FAILED: DrillSummary = {
    kind: "dump",
    outcome: "failed",
    finished: "2026-11-26T04:47:40Z",
    durationSeconds: 3,
    recoveryPoint: "",
    detail: "no dump (freshtrack-*.dump) in /backups/postgres",
};

/**
 * Rung 1: the rendering, from summaries as parseDrillSummary reads them (the drill writes them so:
 * test/drill.servers.test.ts, on a real PostgreSQL).
 */
describe("npm run summary: the last restore drill, rendered", () => {
    const records = (...found: DrillSummary[]): LastDrill => ({
        records: found.map((s) => ({ kind: s.kind, found: parseDrillSummary(summaryText(s))! })),
        pitrArchive: true,
    });

    it("a passed drill: when it ended and how long ago, how long it took, the recovery point; no failure line", () => {
        expect(renderLastDrill(records(PITR_PASSED), NOW)).to.deep.equal([
            "Last restore drill",
            "  pitr  passed  2026-11-26 04:47:10 UTC (5 h ago), took 1 min 42 s, recovery point 2026-11-26 04:46:58.950311 UTC",
        ]);
    });

    it("a failed drill says FAILED, that it reached no recovery point, and its detail line with the runbook", () => {
        expect(renderLastDrill(records(DUMP_FAILED), NOW)).to.deep.equal([
            "Last restore drill",
            "  dump  FAILED  2026-11-26 04:47:40 UTC (5 h ago), took 3 s, no recovery point reached",
            "        no dump (freshtrack-*.dump) in /backups/postgres (docs/troubleshooting.md#restore-drill-failed)",
        ]);
    });

    it("a drill that ended over 26 h ago is marked stale, whatever its outcome; one just under it is not", () => {
        const old = { ...PITR_PASSED, finished: "2026-11-25T07:59:59Z" };
        const lines = renderLastDrill(records(old), NOW);
        expect(lines[1]).to.contain("(26 h ago)");
        expect(lines[2]).to.equal(
            "        stale: it ended over 26 h ago, RestoreDrillStale's threshold (docs/troubleshooting.md#restore-drill-stale)",
        );
        const failedLongAgo = renderLastDrill(records({ ...DUMP_FAILED, finished: "2026-11-20T04:47:40Z" }), NOW);
        expect(failedLongAgo[1]).to.contain("FAILED  2026-11-20 04:47:40 UTC (6 days ago)");
        expect(failedLongAgo.slice(2).map((l) => l.trim().split(" ")[0])).to.deep.equal(["no", "stale:"]);
        const recent = renderLastDrill(records({ ...PITR_PASSED, finished: "2026-11-25T08:00:00Z" }), NOW);
        expect(recent, "exactly 26 h is not over it").to.have.length(2);
    });

    it("no file: none yet, and for pitr on a stack without an archive, why none will come", () => {
        const none: LastDrill = {
            records: [
                { kind: "pitr", none: true },
                { kind: "dump", none: true },
            ],
            pitrArchive: true,
        };
        expect(renderLastDrill(none, NOW)).to.deep.equal([
            "Last restore drill",
            "  pitr  none yet",
            "  dump  none yet",
        ]);
        expect(renderLastDrill({ ...none, pitrArchive: false }, NOW)[1]).to.equal(
            "  pitr  none yet: the stack keeps no point-in-time archive (a managed database, or freshtrack:backup.pointInTime off)",
        );
    });

    it("a notice is the whole part, on one line", () => {
        expect(renderLastDrill({ notice: "cannot reach this machine's Docker: down" }, NOW)).to.deep.equal([
            "Last restore drill: not read: cannot reach this machine's Docker: down",
        ]);
    });

    it("the summary shows the part before the next steps, and is unchanged without it", () => {
        const part = renderLastDrill(records(PITR_PASSED, DUMP_FAILED), NOW);
        const opts = { stack: "prod", showSecrets: false, isTty: true };
        const { text } = renderSummary({ urls: { dashboard: "https://ft.example.com" } }, { ...opts, lastDrill: part });
        const at = text.indexOf("Last restore drill");
        expect(at).to.be.above(text.indexOf("Credentials")).and.below(text.indexOf("Next steps"));
        expect(text).to.contain(part.join("\n"));
        const without = renderSummary({ urls: { dashboard: "https://ft.example.com" } }, opts).text;
        expect(without).to.not.contain("restore drill\n");
        expect(text.replace(`\n\n${part.join("\n")}`, "")).to.equal(without);
    });

    it("stale means what RestoreDrillStale means: no drill for 26 h (components/monitoring/prometheusConfig.ts)", () => {
        const rule = ALERT_RULES.find((r) => r.alert === "RestoreDrillStale")!;
        expect(rule.expr).to.contain(
            `(time() - max by (kind) (${DRILL_SUCCESS_METRIC}) > ${DRILL_STALE_HOURS * 3600})`,
        );
        expect(rule.summary).to.contain(`${DRILL_STALE_HOURS} hours`);
    });
});

/** A dev-like config: local target, point-in-time recovery on a self-hosted server. */
const CONFIG = {
    target: "local",
    namePrefix: "freshtrack-dev",
    backup: { pointInTime: true },
    database: { mode: "container" },
} as unknown as ReturnType<DrillAccess["config"]>;

/** A host whose `docker` answers each call with `answer(args)`, recording them. */
function fakeHost(answer: (args: string[]) => DockerResult, calls: string[][] = []): HostDocker & { closed: boolean } {
    const host = {
        where: "this machine's Docker",
        closed: false,
        docker: (args: string[]) => (calls.push(args), answer(args)),
        cleanup: () => void (host.closed = true),
    };
    return host;
}
const ps = (args: string[]) => args[0] === "ps";
const fileOf = (args: string[]) => args[args.length - 1]!;

/**
 * Rung 1: lastDrill with the config, the host and its docker stood in for, as scripts/summary.ts hands them: what it
 * asks docker, and that every way it can fail is one line and never a throw.
 */
describe("npm run summary: reading the last restore drill on the stack's host", () => {
    const access = (host: HostDocker, config: DrillAccess["config"] = () => CONFIG): DrillAccess => ({
        config,
        dockerOn: () => Promise.resolve(host),
    });

    it("finds the backup container, reads each kind's file as root, and closes the connection", async () => {
        const calls: string[][] = [];
        const files: Record<string, string> = {
            [DRILL_SUMMARY_FILES.pitr]: summaryText(PITR_PASSED),
            [DRILL_SUMMARY_FILES.dump]: summaryText(DUMP_FAILED),
        };
        const host = fakeHost((a) => ({ status: 0, stdout: ps(a) ? "3f2a9c\n" : files[fileOf(a)]! }), calls);
        const last = await lastDrill("dev", access(host));
        expect(last).to.deep.equal({
            records: [
                { kind: "pitr", found: PITR_PASSED },
                { kind: "dump", found: DUMP_FAILED },
            ],
            pitrArchive: true,
        });
        expect(calls.slice(1)).to.deep.equal(
            ["pitr", "dump"].map((k) => [
                "exec",
                "--user",
                "0",
                "3f2a9c",
                "sh",
                "-c",
                READ_SUMMARY_SCRIPT,
                "sh",
                `/backups/.freshtrack-last-drill-${k}`,
            ]),
        );
        expect(host.closed).to.equal(true);
    });

    it("tells no file (none yet) from a file it cannot read or that is not a summary", async () => {
        const host = fakeHost((a) =>
            ps(a)
                ? { status: 0, stdout: "3f2a9c\n" }
                : fileOf(a).endsWith("pitr")
                  ? { status: NO_SUMMARY_EXIT, stdout: "" }
                  : { status: 0, stdout: "kind=dump\noutcome=maybe\n" },
        );
        expect(await lastDrill("dev", access(host))).to.deep.equal({
            records: [
                { kind: "pitr", none: true },
                {
                    kind: "dump",
                    problem: "/backups/.freshtrack-last-drill-dump is not a summary as freshtrack-drill writes one",
                },
            ],
            pitrArchive: true,
        });
        const unreadable = fakeHost((a) =>
            ps(a)
                ? { status: 0, stdout: "3f2a9c\n" }
                : { status: 1, stdout: "", stderr: "cat: read error: Is a directory\n" },
        );
        expect(await lastDrill("dev", access(unreadable))).to.deep.include({
            records: ["pitr", "dump"].map((kind) => ({
                kind,
                problem: `reading /backups/.freshtrack-last-drill-${kind} failed with exit status 1 on this machine's Docker: cat: read error: Is a directory`,
            })),
        });
    });

    it("a stack without an archive (a managed database, or pointInTime off) expects no pitr drill", async () => {
        const host = fakeHost((a) => (ps(a) ? { status: 0, stdout: "c\n" } : { status: NO_SUMMARY_EXIT, stdout: "" }));
        for (const cfg of [
            { ...CONFIG, database: { mode: "managed" } },
            { ...CONFIG, backup: { pointInTime: false } },
        ] as Array<typeof CONFIG>)
            expect(
                await lastDrill(
                    "dev",
                    access(host, () => cfg),
                ),
            ).to.include({ pitrArchive: false });
    });

    it("each way it can fail is one line naming why, and never a throw", async () => {
        const up = fakeHost(() => ({ status: 0, stdout: "" }));
        const cases: Array<[string, DrillAccess, string]> = [
            [
                "the config does not load",
                access(up, () => {
                    throw new Error(
                        "Stack 'dev' has 1 configuration problem:\n  - freshtrack:domain = '': expected a name",
                    );
                }),
                "the stack's config does not load: Stack 'dev' has 1 configuration problem: - freshtrack:domain = '': expected a name",
            ],
            [
                "no way to the host (dockerOn refuses: no host key)",
                {
                    config: () => CONFIG,
                    dockerOn: () => Promise.reject(new Error("stack 'prod' has no hostKey output")),
                },
                "stack 'prod' has no hostKey output",
            ],
            [
                "the daemon is down",
                access(fakeHost(() => ({ status: 1, stdout: "", stderr: "Cannot connect to the Docker daemon\n" }))),
                "cannot reach this machine's Docker: Cannot connect to the Docker daemon",
            ],
            [
                "no backup container",
                access(up),
                "no running backup container for stack 'dev' on this machine's Docker; run pulumi up first",
            ],
            [
                "ssh fails after the container was found",
                access(
                    fakeHost((a) =>
                        ps(a)
                            ? { status: 0, stdout: "c\n" }
                            : { status: 255, stdout: "", sshError: "Connection reset by peer" },
                    ),
                ),
                "cannot reach this machine's Docker: Connection reset by peer",
            ],
        ];
        for (const [what, how, notice] of cases) expect(await lastDrill("dev", how), what).to.deep.equal({ notice });
    });
});

/**
 * Rung 4 without a server: READ_SUMMARY_SCRIPT run by BusyBox's sh and cat, as the backup image (postgres, Alpine) runs
 * it, on a file that is there, one that is not, and a path cat cannot read.
 */
describe("npm run summary: the script that reads a drill's file in the container (BusyBox sh)", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-drill-read-"));
        fs.mkdirSync(path.join(dir, "bin"));
        fs.symlinkSync("/usr/bin/busybox", path.join(dir, "bin", "cat"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const read = (file: string) =>
        spawnSync("/usr/bin/busybox", ["sh", "-c", READ_SUMMARY_SCRIPT, "sh", file], {
            encoding: "utf8",
            env: { PATH: path.join(dir, "bin") },
        });

    it("prints a file that is there, exits NO_SUMMARY_EXIT for one that is not, and fails otherwise for the rest", () => {
        const file = path.join(dir, ".freshtrack-last-drill-dump");
        fs.writeFileSync(file, summaryText(DUMP_FAILED), { mode: 0o600 });
        expect(read(file)).to.deep.include({ status: 0, stdout: summaryText(DUMP_FAILED) });
        expect(read(path.join(dir, "nothing"))).to.deep.include({ status: NO_SUMMARY_EXIT, stdout: "" });
        const directory = read(path.join(dir, "bin"));
        expect(directory.status).to.be.a("number").and.not.equal(0).and.not.equal(NO_SUMMARY_EXIT);
    });
});

/**
 * Rung 4 without a server: the real scripts/summary.ts under ts-node, as npm runs it, on the dev stack (local target:
 * this machine's docker, no outputs needed for it), with a stand-in `pulumi` for the outputs and a stand-in `docker`
 * whose backup container's files are a directory of the test (test/standIns.ts).
 */
describe("npm run summary -- dev shows the last drill (the real script, stand-in CLIs)", function () {
    this.timeout(120_000);
    let bin: string;
    let root: string;
    beforeEach(() => {
        bin = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-summary-drill-"));
        root = path.join(bin, "container");
        fs.mkdirSync(path.join(root, "backups"), { recursive: true });
        writeStandInPulumi(bin, { outputs: { urls: { dashboard: "https://freshtrack.localhost" } } });
    });
    afterEach(() => fs.rmSync(bin, { recursive: true, force: true }));

    it("prints each kind's last drill from the backup container, read as root, and exits 0", () => {
        fs.writeFileSync(path.join(root, DRILL_SUMMARY_FILES.dump), summaryText(DUMP_FAILED), { mode: 0o600 });
        writeStandInDocker(bin, { root });
        const result = runScript(bin, "scripts/summary.ts", ["dev"]);
        expect(result.status, result.stderr).to.equal(0);
        expect(result.stdout).to.contain("https://freshtrack.localhost");
        expect(result.stdout).to.match(
            /\nLast restore drill\n {2}pitr {2}none yet\n {2}dump {2}FAILED {2}2026-11-26 04:47:40 UTC \(.*\), took 3 s, no recovery point reached\n {8}no dump \(freshtrack-\*\.dump\) in \/backups\/postgres /,
        );
        const reads = callLines(bin, "docker").filter((c) => c.startsWith("exec"));
        expect(reads).to.deep.equal(
            ["pitr", "dump"].map(
                (k) => `exec --user 0 c0ffee sh -c ${READ_SUMMARY_SCRIPT} sh /backups/.freshtrack-last-drill-${k}`,
            ),
        );
    });

    it("an unreachable Docker daemon is one line saying so, after the rest of the summary, and still exit 0", () => {
        fs.writeFileSync(
            path.join(bin, "docker"),
            "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 1\n",
            { mode: 0o755 },
        );
        const result = runScript(bin, "scripts/summary.ts", ["dev"]);
        expect(result.status, result.stderr).to.equal(0);
        expect(result.stdout).to.contain("https://freshtrack.localhost").and.contain("Next steps");
        const drillLines = result.stdout.split("\n").filter((l) => /restore drill/i.test(l) && !/docs\//.test(l));
        expect(drillLines).to.deep.equal([
            "Last restore drill: not read: cannot reach this machine's Docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
        ]);
    });
});
