/**
 * Point-in-time recovery measured for `npm run bench` (issue 18, item 5), on this machine's Debian PostgreSQL with the
 * project's rendered scripts, through the lab of scripts/lib/pitrLab.ts (the one test/pitr.servers.test.ts runs). For
 * each size: a fresh lab with that much of readings loaded before its base backup, a row every 100 ms, a SIGKILL, then
 * freshtrack-pitr-restore --latest and freshtrack-restore's swap into the lab's live server, each timed; the rows and
 * the time of readings the live database lacks afterwards are the RPO. On the first size, a restore to a chosen time
 * too. scripts/lib/benchPitrReport.ts renders the figures.
 */
import * as path from "path";
import { performance } from "perf_hooks";
import { labUnavailable, PitrLab, postgresBinDir, startPitrLab, stopPitrLab } from "./pitrLab";
import { measureWalRate, WalRateFigures } from "./benchWalRate";
import { cgroupUnavailable, ContainerLimits, LimitedGroup, makeLimitedGroup } from "./benchCgroup";
import { PitrFigures, PitrOutcome, PitrSizeFigures } from "./benchPitrReport";

/** The sizes of readings measured unless --pitr-sizes says otherwise, in MB: the issue asks for at least two. */
export const DEFAULT_PITR_SIZES_MB = [10, 100];
/** How long the writer writes before the SIGKILL: long enough for three segment switches (one every 2 s). */
const WRITE_SECONDS = 6;
/**
 * Rows of readings per MB of pg_total_relation_size (heap and primary key): measured on PostgreSQL 15 here, 14 000
 * rows per MB with the lab's rows (a 4-byte id, a timestamptz, a short numeric).
 */
const ROWS_PER_MB = 14_000;
/** The chosen time: this long after a row was written, half-way to the next one. */
const AFTER_ROW_MS = 50;

/** Where to get what the machine lacks: the packages of README's row for the servers suite, which .ci/run installs. */
export const PITR_PREREQUISITES =
    "run the bench as root on Debian with the packages of README's `npm run test:servers` row (postgresql, gosu; " +
    "setpriv and runuser come with util-linux); .ci/run installs them";

function restoreFailed(what: string, run: { status: number | null; output: string }): Error {
    return new Error(`${what} failed in the lab (exit ${run.status}): ${run.output.trim()}`);
}

/** The live database's rows and the last one's time in ms since the epoch. */
function liveRows(lab: PitrLab): { count: number; lastAt: number } {
    const [count, lastAt] = lab
        .psql(
            "freshtrack",
            "SELECT count(*) || ' ' || coalesce((extract(epoch FROM max(at)) * 1000)::bigint, 0) FROM readings",
        )
        .split(" ")
        .map(Number);
    return { count: count!, lastAt: lastAt! };
}

/** How far before the target a restore to a time a little after the middle row of the writer stopped. */
function chosenTime(lab: PitrLab): number {
    const row = lab.truth.rows[Math.floor(lab.truth.rows.length / 2)]!;
    const run = lab.restore(["--to-time", lab.utc(new Date(row.at + AFTER_ROW_MS))]);
    const landed = /committed (\d+) ms before it/.exec(run.output)?.[1];
    if (run.status !== 0 || landed === undefined) throw restoreFailed("freshtrack-pitr-restore --to-time", run);
    return Number(landed);
}

async function measureSize(
    requestedMb: number,
    progress: (line: string) => void,
    withChosenTime: boolean,
    group: LimitedGroup | undefined,
): Promise<{ size: PitrSizeFigures; landedBeforeMs?: number; walRate?: WalRateFigures }> {
    const say = (line: string) => progress(`pitr ${requestedMb} MB: ${line}`);
    const lab = await startPitrLab({
        preloadRows: Math.round(requestedMb * ROWS_PER_MB),
        writeSeconds: WRITE_SECONDS,
        progress: say,
        ...(group ? { restoreGroup: group } : {}),
    });
    try {
        const readingsBytes = Number(lab.psql("freshtrack", "SELECT pg_total_relation_size('readings')"));
        const databaseBytes = Number(lab.psql("freshtrack", "SELECT pg_database_size('freshtrack')"));
        say("freshtrack-pitr-restore --latest");
        const started = performance.now();
        const restored = lab.restore(["--latest"]);
        const replayed = performance.now();
        if (restored.status !== 0 || !restored.dump) throw restoreFailed("freshtrack-pitr-restore --latest", restored);
        say("freshtrack-restore (the swap)");
        const swapped = lab.swapIn(restored.dump);
        const done = performance.now();
        if (swapped.status !== 0) throw restoreFailed("freshtrack-restore", swapped);
        const live = liveRows(lab);
        if (withChosenTime) say("freshtrack-pitr-restore --to-time");
        const landedBeforeMs = withChosenTime ? chosenTime(lab) : undefined;
        if (withChosenTime) say("the log a reading costs");
        const walRate = withChosenTime ? measureWalRate(lab) : undefined;
        return {
            size: {
                requestedMb,
                readingsBytes,
                databaseBytes,
                rpo: {
                    writtenRows: lab.truth.rows.length,
                    lostRows: lab.truth.count - live.count,
                    lostMs: lab.truth.lastAt - live.lastAt,
                },
                rto: {
                    pitrRestoreMs: Math.round(replayed - started),
                    swapMs: Math.round(done - replayed),
                    totalMs: Math.round(done - started),
                },
            },
            ...(landedBeforeMs !== undefined ? { landedBeforeMs } : {}),
            ...(walRate ? { walRate } : {}),
        };
    } finally {
        stopPitrLab(lab);
    }
}

/**
 * The figures for each size in `sizesMb`, one lab after another; or, where this machine cannot run the lab, what it
 * lacks and how to get it. A lab or restore that fails throws: that is no measurement but a failure.
 */
export async function measurePitr(
    sizesMb: readonly number[],
    progress: (line: string) => void,
    opts: { limits?: ContainerLimits | undefined } = {},
): Promise<PitrOutcome> {
    const missing = labUnavailable() ?? (opts.limits ? cgroupUnavailable() : undefined);
    if (missing !== undefined) return { notMeasured: `this machine lacks ${missing}; ${PITR_PREREQUISITES}.` };
    // One group for every size's restores, removed at the end: its limits are read back from the kernel's files.
    const group = opts.limits ? makeLimitedGroup(`freshtrack-bench-${process.pid}`, opts.limits) : undefined;
    try {
        const sizes: PitrSizeFigures[] = [];
        let chosen: PitrFigures["chosenTime"];
        let walRate: WalRateFigures | undefined;
        for (const [i, requestedMb] of sizesMb.entries()) {
            const measured = await measureSize(requestedMb, progress, i === 0, group);
            const { size, landedBeforeMs } = measured;
            walRate ??= measured.walRate;
            sizes.push(size);
            if (landedBeforeMs !== undefined) chosen = { requestedMb, afterRowMs: AFTER_ROW_MS, landedBeforeMs };
        }
        const postgres = path.basename(path.dirname(postgresBinDir()!));
        const limits = group
            ? {
                  memoryMb: group.limits.memoryBytes / 1024 / 1024,
                  cpus: group.limits.cpuQuotaUs / group.limits.cpuPeriodUs,
              }
            : undefined;
        return {
            measured: {
                postgres,
                writeSeconds: WRITE_SECONDS,
                sizes,
                ...(chosen ? { chosenTime: chosen } : {}),
                ...(limits ? { limits } : {}),
                ...(walRate ? { walRate } : {}),
            },
        };
    } finally {
        group?.remove();
    }
}
