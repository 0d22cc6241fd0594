/**
 * The choices `npm run restore` makes before it touches anything: which dump,
 * and what the operator must confirm. Pure, so they are tested.
 */
import { KEPT_DATABASES } from "../../components/services/backupScripts";
import { PITR_OUTPUT } from "../../components/services/pitrRestoreScript";

export interface RestoreChoice {
    readonly file: string;
}

/**
 * Picks the dump to restore from the host's list (newest first, as `ls -1t`
 * prints it): the requested one by file name, or the newest. Returns an error
 * message when there is none to pick.
 */
export function chooseBackup(newestFirst: readonly string[], requested?: string): RestoreChoice | string {
    const dumps = newestFirst.map((l) => l.trim()).filter((l) => /freshtrack-[^/]*\.dump$/.test(l));
    if (dumps.length === 0)
        return "no backup found on the host (/backups/postgres is empty); take one first: docker exec <backup container> freshtrack-backup manual";
    if (!requested) return { file: dumps[0]! };
    const match = dumps.find((d) => d === requested || d.endsWith(`/${requested}`));
    if (!match)
        return `no backup named ${requested}; the newest are:\n${dumps
            .slice(0, 5)
            .map((d) => `  ${d.slice(d.lastIndexOf("/") + 1)}`)
            .join("\n")}`;
    return { file: match };
}

/** What the operator confirms; `kept` is how many kept databases freshtrack-restore leaves (KEPT_DATABASES). */
export function confirmationText(stack: string, database: string, file: string, kept: number = KEPT_DATABASES): string {
    return [
        `This restores ${file}`,
        `into the ${database} database of stack '${stack}'.`,
        `The restore goes into a new database first; only a complete restore takes the name ${database},`,
        `and the current database is kept as ${database}_before_restore_<time>. Both renames are one transaction: if the swap`,
        "fails or is interrupted, nothing changes. Writes that arrive during the swap go to the kept one:",
        "stop the backend and worker first if that matters.",
        `Only the ${kept} newest kept databases stay; this restore drops older ones (${database}_before_restore_*).`,
    ].join("\n");
}

/**
 * A point in time as the operator writes it, ISO 8601 with a zone (`2026-11-26T10:00:00Z`, `...+01:00`, with or
 * without a fraction of up to six digits), in the form freshtrack-pitr-restore takes: UTC, `YYYY-MM-DD
 * HH:MM:SS.ffffff`. A time without a zone is refused: the host's zone and the operator's may differ, and a restore an
 * hour off is a wrong restore. Returns why it is refused as a string.
 */
export function parseTargetTime(text: string): { utc: string; date: Date } | string {
    const expected =
        "an ISO 8601 time with its zone, such as 2026-11-26T10:00:00Z or 2026-11-26T11:00:00.250+01:00 (the zone is required)";
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
    if (!m) return `${JSON.stringify(text)} is not ${expected}`;
    const [, y, mo, d, h, mi, s, frac = "", zone] = m;
    const micros = Number(frac.padEnd(6, "0"));
    const offsetMinutes =
        zone === "Z" ? 0 : (zone!.startsWith("-") ? -1 : 1) * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4)));
    const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    const check = new Date(wall);
    // Date.UTC rolls 30 February over into March: a date that does not round-trip is not a date.
    if (
        check.getUTCFullYear() !== Number(y) ||
        check.getUTCMonth() !== Number(mo) - 1 ||
        check.getUTCDate() !== Number(d) ||
        check.getUTCHours() !== Number(h) ||
        check.getUTCMinutes() !== Number(mi) ||
        check.getUTCSeconds() !== Number(s) ||
        Math.abs(offsetMinutes) >= 24 * 60
    )
        return `${JSON.stringify(text)} is not a valid date and time: expected ${expected}`;
    const date = new Date(wall - offsetMinutes * 60_000 + Math.floor(micros / 1000));
    const utc = `${date.toISOString().slice(0, 19).replace("T", " ")}.${String(micros).padStart(6, "0")}`;
    return { utc, date };
}

/** What freshtrack-pitr-restore reported, from the `<label>: <value>` lines of its output (PITR_OUTPUT). */
export function pitrRestoreReport(stdout: string): { recoveryPoint?: string; dump?: string } {
    const line = (label: string) => new RegExp(`^${label}: (.+)$`, "m").exec(stdout)?.[1];
    const recoveryPoint = line(PITR_OUTPUT.recoveryPoint);
    const dump = line(PITR_OUTPUT.dump);
    return { ...(recoveryPoint ? { recoveryPoint } : {}), ...(dump ? { dump } : {}) };
}

/** What the operator confirms after a point-in-time replay, before the swap (then as for a dump). */
export function pitrConfirmationText(stack: string, database: string, recoveryPoint: string, dump: string): string {
    return [
        `The archive was replayed to ${recoveryPoint}, checked, and dumped to ${dump}.`,
        confirmationText(stack, database, dump),
    ].join("\n");
}
