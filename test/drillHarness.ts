/**
 * The harness of the restore drills' servers tests (test/drill.servers.test.ts, test/drillRuns.servers.test.ts):
 * restore drills (issue 18, item 4) run for real (rung 4): the rendered freshtrack-drill against the point-in-time lab
 * of scripts/lib/pitrLab.ts (Debian's PostgreSQL 15 on 127.0.0.1, the WAL receiver's archive, one base backup, a
 * writer, a SIGKILL, the restarted server as live), with a dump made by the rendered freshtrack-backup. The drill runs
 * as the backup container runs it: root with only SETUID and SETGID (setpriv), in BusyBox's sh (Debian's
 * busybox-static, a stand-in for the postgres image's), with a PATH holding only what DRILL_TOOLS lists, each a file
 * (gosu looks the commands it runs up on PATH). busybox-static's sh runs its own applets before PATH, so an applet
 * missing from the list is not caught here; a PostgreSQL program or another tool missing from it is. promtool
 * (Debian's) checks the metric files as node-exporter's textfile collector would read them.
 */
import { expect } from "chai";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderBackupScript } from "../components/services/backupScripts";
import { DRILL_TOOLS, DrillSummary, parseDrillSummary, renderDrillScript } from "../components/services/drillScript";
import { DrillKind } from "../components/services/pitrNames";
import { IS_ROOT, postgresBin } from "./localServers";
import { CONTAINER_CAPS, PitrLab, startPitrLab, stopPitrLab } from "../scripts/lib/pitrLab";

export const describeAsRoot = IS_ROOT ? describe : describe.skip;
const BUSYBOX = "/usr/bin/busybox";
/** setpriv by its path: the drill's PATH holds only DRILL_TOOLS. */
export const which = (name: string) => execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
const TABLES = "readings:at sensor_readings:recorded_at";

export interface DrillRun {
    readonly status: number | null;
    readonly output: string;
}

/** `name{kind="<kind>"} value` lines of a metric file, and its HELP lines by metric. */
export function readMetrics(file: string): { values: Map<string, number>; help: Map<string, string> } {
    const values = new Map<string, number>();
    const help = new Map<string, string>();
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        const sample = /^(\w+)\{kind="(\w+)"\} (\S+)$/.exec(line);
        if (sample) values.set(sample[1]!, Number(sample[3]));
        const h = /^# HELP (\w+) (.*)$/.exec(line);
        if (h) help.set(h[1]!, h[2]!);
    }
    return { values, help };
}

export function promtoolCheck(file: string): { status: number | null; output: string } {
    const result = spawnSync("promtool", ["check", "metrics"], { input: fs.readFileSync(file), encoding: "utf8" });
    if (result.error) throw new Error(`promtool did not run (.ci/run installs Debian's): ${result.error.message}`);
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** PostgreSQL servers whose data directory is a drill's (not the drill's own sh, whose argument holds the script). */
export function drillServers(): string[] {
    const found: string[] = [];
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
        try {
            const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
            if (/^\S*\/postgres .*freshtrack-drill-work\./.test(cmdline)) found.push(`${pid}: ${cmdline}`);
        } catch {
            // gone meanwhile
        }
    }
    return found;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One lab for a describe block (its before and after hooks): the point-in-time lab, a scheduled dump of it, the
 * drill's own directories and a PATH of DRILL_TOOLS only; and the drill, run as the backup container runs it.
 */
export function useDrillLab() {
    let started: PitrLab | undefined;
    const lab = (): PitrLab => {
        if (!started) throw new Error("the drill lab has not started");
        return started;
    };
    let made = "";
    const dirs = { bin: "", textfile: "", summary: "" };
    const script = renderDrillScript();
    const summaryOf = (kind: DrillKind, dir = dirs.summary): DrillSummary | undefined =>
        parseDrillSummary(fs.readFileSync(path.join(dir, `.freshtrack-last-drill-${kind}`), "utf8"));

    /** The drill's env: the lab's, the drill's own directories, and a PATH of DRILL_TOOLS only. */
    const drillEnv = (extra: Record<string, string> = {}) =>
        lab().scriptEnv({
            PATH: dirs.bin,
            TEXTFILE_DIR: dirs.textfile,
            DRILL_SUMMARY_DIR: dirs.summary,
            DRILL_TABLES: TABLES,
            ...extra,
        });
    /** Root with SETUID and SETGID only, BusyBox's sh instead of the lab's (CONTAINER_CAPS ends in `sh -c`). */
    const drillArgv = (args: string[]) => [
        ...CONTAINER_CAPS.slice(1, -2),
        BUSYBOX,
        "sh",
        "-c",
        script,
        "freshtrack-drill",
        ...args,
    ];
    const drill = (args: string[], extra: Record<string, string> = {}): DrillRun => {
        const result = spawnSync(which(CONTAINER_CAPS[0]!), drillArgv(args), {
            encoding: "utf8",
            env: drillEnv(extra),
        });
        return { status: result.status, output: `${result.stdout}${result.stderr}` };
    };
    const expectNothingLeft = () => {
        expect(fs.readdirSync(lab().dirs.tmp), "no work directory, scratch directory or lock left").to.deep.equal([]);
        expect(drillServers(), "no throwaway server still running").to.deep.equal([]);
    };

    before(async () => {
        started = await startPitrLab();
        const l = started;
        made = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-drill-test-"));
        for (const d of ["bin", "textfile", "summary"] as const) {
            dirs[d] = path.join(made, d);
            fs.mkdirSync(dirs[d]);
        }
        // gosu runs as the server's user what it is given by name, so that user must reach the bin directory.
        fs.chmodSync(made, 0o755);
        fs.chmodSync(dirs.bin, 0o755);
        for (const applet of DRILL_TOOLS.applets) fs.symlinkSync(BUSYBOX, path.join(dirs.bin, applet));
        for (const program of DRILL_TOOLS.postgres) fs.symlinkSync(postgresBin(program), path.join(dirs.bin, program));
        fs.symlinkSync(which("gosu"), path.join(dirs.bin, "gosu"));
        // The point-in-time restore is the lead's script, run as in test/pitr.servers.test.ts, with the lab's PATH.
        const restore = path.join(made, "freshtrack-pitr-restore.sh");
        fs.writeFileSync(restore, l.restoreScript);
        fs.writeFileSync(
            path.join(dirs.bin, "freshtrack-pitr-restore"),
            `#!/bin/sh\nPATH='${l.scriptEnv().PATH}'\nexport PATH\nexec /bin/sh '${restore}' "$@"\n`,
            { mode: 0o755 },
        );
        expect([...DRILL_TOOLS.other].sort()).to.deep.equal(["freshtrack-pitr-restore", "gosu"]);
        // A scheduled dump of the restarted server, as the backup service takes it, in a later second than the last
        // write: its name's time is whole seconds, so the dump kind then compares every row.
        await sleep(1100);
        const backup = spawnSync(
            CONTAINER_CAPS[0]!,
            [...CONTAINER_CAPS.slice(1), renderBackupScript(), "freshtrack-backup", "scheduled"],
            { encoding: "utf8", env: l.scriptEnv({ RETENTION_DAYS: "7" }) },
        );
        if (backup.status !== 0) throw new Error(`the dump failed: ${backup.stdout}${backup.stderr}`);
    });
    after(() => {
        stopPitrLab(started);
        if (made) fs.rmSync(made, { recursive: true, force: true });
    });

    return {
        lab,
        made: () => made,
        dirs,
        script,
        summaryOf,
        drillEnv,
        drillArgv,
        drill,
        expectNothingLeft,
    };
}
