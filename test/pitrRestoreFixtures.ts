/**
 * What test/pitrRestore.servers.test.ts reads in the point-in-time restore's output and archive: the ranges it prints
 * (PITR_OUTPUT), its times, a base backup's freshtrack-base.info, a chain's segments, and where pg_waldump finds
 * commits in a segment (Debian's PostgreSQL 15, as the lab runs).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PITR_OUTPUT } from "../components/services/pitrRestoreScript";
import { WAL_SEGMENT_BYTES } from "../components/services/pitrScripts";
import { postgresBinDir } from "../scripts/lib/pitrLab";

/** One `reachable:` line of the restore's output (PITR_OUTPUT.reachable): its times, its chain, why it stops. */
export type Range = { from: string; to: string; where: string; stop: string };

export function reachableRanges(output: string): Range[] {
    const line = `^${PITR_OUTPUT.reachable}: (\\S+ \\S+) UTC to (\\S+ \\S+) UTC \\(([^)]*)\\)(?:, where it stops: (.*))?$`;
    return [...output.matchAll(new RegExp(line, "gm"))].map((m) => ({
        from: m[1]!,
        to: m[2]!,
        where: m[3]!,
        stop: m[4] ?? "",
    }));
}
/** The `latest reachable:` line's time (PITR_OUTPUT.latest). */
export function latestReachable(output: string): string {
    const latest = new RegExp(`^${PITR_OUTPUT.latest}: (\\S+ \\S+) UTC$`, "m").exec(output)?.[1];
    if (latest === undefined) throw new Error(`no ${PITR_OUTPUT.latest} line in:\n${output}`);
    return latest;
}
/** A UTC time as the restore prints and takes it (`YYYY-MM-DD HH:MM:SS[.ffffff]`), in µs since the epoch. */
export function micros(time: string): number {
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?$/.exec(time);
    if (!m) throw new Error(`not a time the restore prints: ${time}`);
    return Date.parse(`${m[1]}T${m[2]}Z`) * 1000 + Number((m[3] ?? "").padEnd(6, "0"));
}
export function fromMicros(us: number): string {
    const seconds = new Date(Math.floor(us / 1e6) * 1000).toISOString().slice(0, 19).replace("T", " ");
    return `${seconds}.${String(us % 1e6).padStart(6, "0")}`;
}
/** A line of a base backup's freshtrack-base.info (renderBaseBackupScript writes it). */
export function baseInfo(baseDir: string, base: string, key: string): string {
    const info = fs.readFileSync(path.join(baseDir, base, "freshtrack-base.info"), "utf8");
    const value = new RegExp(`^${key}=(.+)$`, "m").exec(info)?.[1];
    if (value === undefined) throw new Error(`${base} records no ${key}`);
    return value;
}
/** A chain's whole segments (not the open `.partial`), in order. */
export const wholeSegments = (chain: string) =>
    fs
        .readdirSync(chain)
        .filter((f) => /^[0-9A-F]{24}$/.test(f))
        .sort();
/** Where withDamagedSegment overwrites a segment (inside its first page, past the long page header), and how much. */
export const DAMAGE_AT = 200;
export const DAMAGE_BYTES = 64;
/**
 * The commits pg_waldump reads in an undamaged segment: each one's time (UTC) and where its record ends in the
 * segment, so a test knows which commits lie past DAMAGE_AT.
 */
export function commitsIn(segment: string): Array<{ time: string; endsAt: number }> {
    const read = spawnSync(path.join(postgresBinDir()!, "pg_waldump"), [segment], {
        env: { TZ: "UTC0" },
        encoding: "utf8",
    });
    const record = /len \(rec\/tot\):\s*\d+\/\s*(\d+), .*lsn: [0-9A-F]+\/([0-9A-F]+), .*desc: COMMIT (\S+ \S+) UTC/;
    return read.stdout.split("\n").flatMap((line) => {
        const m = record.exec(line);
        if (!m) return [];
        const start = parseInt(m[2]!, 16) % WAL_SEGMENT_BYTES;
        return [{ time: m[3]!, endsAt: start + Number(m[1]) }];
    });
}
