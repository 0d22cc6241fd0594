/**
 * The choices `npm run restore` makes before it touches anything: which dump,
 * and what the operator must confirm. Pure, so they are tested.
 */
import { KEPT_DATABASES } from "../../components/services/backupScripts";
import { PITR_OUTPUT } from "../../components/services/pitrRestoreScript";
import { isoInstant, ISO_TIME_WITH_FRACTION } from "../../components/config/nestedFields";

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
    if (!ISO_TIME_WITH_FRACTION.test(text)) return `${JSON.stringify(text)} is not ${expected}`;
    const instant = isoInstant(text, true);
    if (!instant) return `${JSON.stringify(text)} is not a valid date and time: expected ${expected}`;
    const { date, micros } = instant;
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
