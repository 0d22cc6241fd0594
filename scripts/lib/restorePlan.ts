/**
 * The choices `npm run restore` makes before it touches anything: which dump,
 * and what the operator must confirm. Pure, so they are tested.
 */
import { KEPT_DATABASES } from "../../components/services/backupScripts";

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
