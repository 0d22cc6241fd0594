/**
 * The point-in-time recovery part of `npm run bench` (issue 18, item 5): the figures scripts/lib/benchPitr.ts measures
 * on this machine's PostgreSQL with the project's rendered scripts, their table, the RPO targets met or MISSED, and
 * the exit code they add. Pure: numbers in, text out.
 */
import { fitToWidth } from "./planLayout";
import { WAL_RATE, WalRateFigures } from "./benchWalRate";

/** Issue 18, item 5: a restore to the latest point loses at most 5 s of readings. */
export const RPO_TARGET_MS = 5000;

/** One database size: its lab, the RPO of its SIGKILL, and how long its restore took. */
export interface PitrSizeFigures {
    /** The size of readings asked for (--pitr-sizes), in MB. */
    readonly requestedMb: number;
    /** pg_total_relation_size of readings before the restore, in bytes. */
    readonly readingsBytes: number;
    /** pg_database_size of the database before the restore, in bytes. */
    readonly databaseBytes: number;
    /** Rows the writer committed (one every 100 ms), rows missing after the restore, and the time they covered. */
    readonly rpo: { readonly writtenRows: number; readonly lostRows: number; readonly lostMs: number };
    /** freshtrack-pitr-restore --latest (replay, check, dump), then freshtrack-restore's swap; in ms. */
    readonly rto: { readonly pitrRestoreMs: number; readonly swapMs: number; readonly totalMs: number };
}

export interface PitrFigures {
    /** The PostgreSQL version the lab ran (Debian's newest installed). */
    readonly postgres: string;
    /** How long the writer wrote before the SIGKILL, in seconds. */
    readonly writeSeconds: number;
    readonly sizes: readonly PitrSizeFigures[];
    /** The write-ahead log a reading costs (scripts/lib/benchWalRate.ts), measured on the first size's lab. */
    readonly walRate?: WalRateFigures;
    /** The memory and CPU the restores ran under (npm run bench -- --pitr-limits), read back from their cgroup. */
    readonly limits?: { readonly memoryMb: number; readonly cpus: number };
    /** A restore to a time `afterRowMs` after a row was written: its last commit replayed, `landedBeforeMs` before. */
    readonly chosenTime?: {
        readonly requestedMb: number;
        readonly afterRowMs: number;
        readonly landedBeforeMs: number;
    };
}

/** Measured, or why not (what the machine lacks, or the option that turned it off). */
export type PitrOutcome = { readonly measured: PitrFigures } | { readonly notMeasured: string };

export interface PitrTarget {
    readonly name: string;
    readonly met: boolean;
    readonly detail: string;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One RPO target per size: the readings a SIGKILL cost, at most RPO_TARGET_MS of them. */
export function pitrTargets(figures: PitrFigures): PitrTarget[] {
    return figures.sizes.map((s) => ({
        name: `${s.requestedMb} MB: RPO at most ${RPO_TARGET_MS} ms`,
        met: s.rpo.lostMs <= RPO_TARGET_MS,
        detail: `${s.rpo.lostMs} ms of readings lost (${s.rpo.lostRows} of ${s.rpo.writtenRows} rows)`,
    }));
}

/** The section printed after the deploy-shape report. */
export function renderPitr(outcome: PitrOutcome): string {
    // One line, never wrapped: what is missing and where to get it.
    if ("notMeasured" in outcome) return `Point-in-time recovery: not measured: ${outcome.notMeasured}`;
    const f = outcome.measured;
    const widths = [9, 10, 10, 10, 13, 8, 0];
    const row = (cells: string[]) =>
        `  ${cells
            .map((c, i) => c.padEnd(widths[i]!))
            .join("  ")
            .trimEnd()}`;
    const out = [
        `Point-in-time recovery on this machine's PostgreSQL ${f.postgres}, with the project's rendered scripts`,
        `  RPO: a row written every 100 ms for ${f.writeSeconds} s, the server killed with SIGKILL, a restore to the ` +
            `latest point swapped in: the rows it lost and the time they covered (target: at most ${RPO_TARGET_MS} ms).`,
        "  RTO: freshtrack-pitr-restore --latest (unpack the base backup, replay the log, check, dump), then " +
            "freshtrack-restore (check the dump, restore it into a new database, swap it in, keep the old one), " +
            "against the size of the readings and of the database (pg_database_size) before the restore. " +
            (f.limits
                ? `Both ran in a control group limited to ${f.limits.memoryMb} MB and ${f.limits.cpus} CPU, as the ` +
                  "backup container is."
                : "Neither ran under the backup container's memory and CPU limits (--pitr-limits does)."),
        row(["readings", "database", "rows lost", "time lost", "pitr restore", "swap", "RTO"]),
    ];
    for (const s of f.sizes)
        out.push(
            row([
                mb(s.readingsBytes),
                mb(s.databaseBytes),
                `${s.rpo.lostRows} of ${s.rpo.writtenRows}`,
                `${s.rpo.lostMs} ms`,
                seconds(s.rto.pitrRestoreMs),
                seconds(s.rto.swapMs),
                seconds(s.rto.totalMs),
            ]),
        );
    if (f.chosenTime)
        out.push(
            `  A restore to a chosen time (${f.chosenTime.afterRowMs} ms after a row was written, at ` +
                `${f.chosenTime.requestedMb} MB) stopped at the last commit before it, ` +
                `${f.chosenTime.landedBeforeMs} ms before the target.`,
        );
    if (f.walRate)
        out.push(
            `  The log a reading costs: ${f.walRate.walBytesPerReading} bytes (${f.walRate.readings} readings, one ` +
                `per transaction, into a table of ${WAL_RATE.sensors} sensors' readings with a key and a (sensor, ` +
                `time) index, a checkpoint every ${WAL_RATE.checkpointEvery}); the table and its indexes grew ` +
                `${f.walRate.tableBytesPerReading} bytes a reading.`,
        );
    out.push("", "Point-in-time recovery targets");
    for (const t of pitrTargets(f)) out.push(`  ${t.met ? "met   " : "MISSED"}  ${t.name}: ${t.detail}`);
    return fitToWidth(out.join("\n"));
}

/** The section's last line, and 1 when an RPO target is missed; nothing to say, and 0, when it was not measured. */
export function pitrVerdict(outcome: PitrOutcome): { line?: string; exitCode: 0 | 1 } {
    if ("notMeasured" in outcome) return { exitCode: 0 };
    const missed = pitrTargets(outcome.measured).filter((t) => !t.met);
    return missed.length === 0
        ? { line: "Every RPO target met.", exitCode: 0 }
        : { line: `${missed.length} RPO target(s) missed.`, exitCode: 1 };
}
