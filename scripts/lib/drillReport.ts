/**
 * The last restore drill of each kind, for `npm run summary` (issue 18, item 4): read from the files the drill leaves
 * in the stack's backup container (DRILL_SUMMARY_FILES, components/services/drillRecords.ts), then rendered. Reading
 * never fails the summary: whatever stops it (the stack's config, the host, the container) becomes one line saying why.
 */
import type { StackConfig } from "../../components/config";
import { DAILY_STALE_HOURS } from "../../components/monitoring/prometheusConfig";
import { DRILL_SUMMARY_FILES, DrillSummary, parseDrillSummary } from "../../components/services/drillRecords";
import { DRILL_KINDS, DrillKind } from "../../components/services/pitrNames";
import { backupContainer, HostDocker, SshOptions, stepFailure } from "./hostDocker";

/** RestoreDrillStale's threshold, the alert's own (a day between drills, and two hours of margin). */
export const DRILL_STALE_HOURS = DAILY_STALE_HOURS;

/** What the backup container holds for one kind. */
export type DrillRecord =
    | { readonly kind: DrillKind; readonly found: DrillSummary }
    /** No drill of that kind has recorded an outcome on this host. */
    | { readonly kind: DrillKind; readonly none: true }
    /** The file is there but could not be read, or is not a drill's summary: one line. */
    | { readonly kind: DrillKind; readonly problem: string };

/** The last drills, or the one line saying why they could not be read. */
export type LastDrill =
    | {
          readonly records: readonly DrillRecord[];
          /** The stack keeps a point-in-time archive, so a `pitr` drill is expected beside the `dump` one. */
          readonly pitrArchive: boolean;
      }
    | { readonly notice: string };

/** READ_SUMMARY_SCRIPT's exit status when the file is not there. */
export const NO_SUMMARY_EXIT = 3;
/**
 * Prints the file its argument names, or exits NO_SUMMARY_EXIT when there is none, so "no drill yet" is never mistaken
 * for "cannot read". The path is an argument, never spliced into the script. Run by the backup image's sh (BusyBox),
 * whose `cat` the drill itself uses (DRILL_TOOLS).
 */
export const READ_SUMMARY_SCRIPT = `[ -e "$1" ] || exit ${NO_SUMMARY_EXIT}; exec cat "$1"`;

/**
 * The `docker` argv that prints `file` from the backup container. As uid 0 whatever user the image names: the drill
 * runs as root under crond and writes its files 0600 (umask 077). `--user` takes a name or a uid (docker/cli@v27.5.1
 * cli/command/container/exec.go:72), and the command's exit status becomes docker's own (exec.go:212-214,
 * cmd/docker/docker.go:51-60), so NO_SUMMARY_EXIT reaches this process, over ssh as well.
 */
export function readSummaryArgs(container: string, file: string): string[] {
    return ["exec", "--user", "0", container, "sh", "-c", READ_SUMMARY_SCRIPT, "sh", file];
}

/** Each kind's last drill, from the backup container `container`; ssh failing on the way is the one-line notice. */
export function readDrillRecords(
    host: Pick<HostDocker, "docker" | "where">,
    container: string,
): { readonly records: DrillRecord[] } | { readonly notice: string } {
    const records: DrillRecord[] = [];
    for (const kind of DRILL_KINDS) {
        const file = DRILL_SUMMARY_FILES[kind];
        const result = host.docker(readSummaryArgs(container, file), { captureStderr: true });
        if (result.sshError !== undefined) return { notice: `cannot reach ${host.where}: ${result.sshError}` };
        if (result.status === NO_SUMMARY_EXIT) {
            records.push({ kind, none: true });
            continue;
        }
        const failure = stepFailure(host, `reading ${file}`, result);
        const found = failure === undefined ? parseDrillSummary(result.stdout) : undefined;
        if (found !== undefined && found.kind === kind) records.push({ kind, found });
        else records.push({ kind, problem: failure ?? `${file} is not a summary as freshtrack-drill writes one` });
    }
    return { records };
}

/** What lastDrill needs from the scripts' library, handed in so that a test can stand in for each. */
export interface DrillAccess {
    /** The stack's config (loadStackConfigFor, scripts/lib/stackFiles.ts); it throws when the config does not load. */
    readonly config: (stack: string) => Pick<StackConfig, "target" | "ssh" | "namePrefix" | "backup" | "database">;
    /** `docker` on the stack's host (dockerOn, scripts/lib/hostDocker.ts). */
    readonly dockerOn: (target: string, stack: string, ssh: SshOptions) => Promise<HostDocker>;
}

/**
 * The stack's last drills, read on its host as scripts/restore.ts reaches it. Never throws: a config that does not
 * load, a host that cannot be reached and a missing container each become the notice, with their own reason.
 */
export async function lastDrill(stack: string, access: DrillAccess): Promise<LastDrill> {
    let host: HostDocker | undefined;
    try {
        let cfg: ReturnType<DrillAccess["config"]>;
        try {
            cfg = access.config(stack);
        } catch (err) {
            return { notice: `the stack's config does not load: ${oneLine(err)}` };
        }
        // The summary only looks: a host that does not answer is given 10 s, not ssh's usual 20 (openSsh).
        host = await access.dockerOn(cfg.target, stack, {
            ...(cfg.ssh ? { port: cfg.ssh.port } : {}),
            connectTimeoutSeconds: 10,
        });
        const found = backupContainer(host, cfg.namePrefix, stack);
        if ("problem" in found) return { notice: found.problem };
        const read = readDrillRecords(host, found.id);
        if ("notice" in read) return read;
        // As components/services/backup.ts: the archive, so the pitr drill, exists beside a self-hosted server only.
        return { records: read.records, pitrArchive: cfg.backup.pointInTime && cfg.database.mode === "container" };
    } catch (err) {
        return { notice: oneLine(err) };
    } finally {
        host?.cleanup();
    }
}

/** An error's message on one line (a ConfigError lists each problem on its own line). */
function oneLine(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    return message
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "")
        .join(" ");
}

/** `2026-11-26T04:47:10Z` as `2026-11-26 04:47:10 UTC`; any other text as it is. */
function utc(iso: string): string {
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}(\.\d+)?)Z$/.exec(iso);
    return m ? `${m[1]} ${m[2]} UTC` : iso;
}

function took(seconds: number): string {
    if (seconds < 60) return `${seconds} s`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
    return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

function ago(seconds: number): string {
    if (seconds < 60) return "just now";
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
    if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)} h ago`;
    return `${Math.floor(seconds / 86400)} days ago`;
}

/** Under the kind, beside the outcome. */
const MORE = " ".repeat(8);

function recordLines(record: DrillRecord, now: Date, pitrArchive: boolean): string[] {
    const head = `  ${record.kind}  `;
    const archiveOff = record.kind === "pitr" && !pitrArchive;
    if ("none" in record)
        return [
            `${head}none yet${archiveOff ? ": the stack keeps no point-in-time archive (a managed database, or freshtrack:backup.pointInTime off)" : ""}`,
        ];
    if ("problem" in record) return [`${head}cannot tell: ${record.problem}`];
    const s = record.found;
    const ended = Date.parse(s.finished);
    const age = Number.isNaN(ended) ? undefined : Math.max(0, Math.floor((now.getTime() - ended) / 1000));
    const point = s.recoveryPoint ? `recovery point ${utc(s.recoveryPoint)}` : "no recovery point reached";
    const lines = [
        `${head}${s.outcome === "passed" ? "passed" : "FAILED"}  ${utc(s.finished)}${age !== undefined ? ` (${ago(age)})` : ""}, took ${took(s.durationSeconds)}, ${point}`,
    ];
    if (s.outcome === "failed")
        lines.push(`${MORE}${s.detail || "(no detail recorded)"} (docs/troubleshooting.md#restore-drill-failed)`);
    // The last drill's age, whatever its outcome. RestoreDrillStale watches the last *passed* one, which this file does
    // not keep: a drill that failed an hour ago after a day of failures is shown as FAILED, and alerts as both.
    if (age !== undefined && age > DRILL_STALE_HOURS * 3600)
        lines.push(
            `${MORE}stale: it ended over ${DRILL_STALE_HOURS} h ago, RestoreDrillStale's threshold (docs/troubleshooting.md#restore-drill-stale)`,
        );
    if (archiveOff) lines.push(`${MORE}point-in-time recovery is off for this stack now: this drill is from before`);
    return lines;
}

/** The summary's "Last restore drill" part: a heading and each kind, or the one line saying why there is none. */
export function renderLastDrill(last: LastDrill, now: Date): string[] {
    if ("notice" in last) return [`Last restore drill: not read: ${last.notice}`];
    return ["Last restore drill", ...last.records.flatMap((r) => recordLines(r, now, last.pitrArchive))];
}
