/** Five-field cron schedules, as BusyBox crond reads them. */
import { type Check, describeChar } from "./check";

/**
 * The fields of a crontab line as busybox crond reads them: the backup service runs
 * the crond of the postgres alpine image, which is BusyBox's (miscutils/crond.c,
 * ParseField, unchanged from 1_35_0 to the 1.37 development head of mirror/busybox).
 * Names are three letters, any case, and only in the month and day-of-week fields
 * (crond.c MonAry, DowAry, strncasecmp of 3 characters). Day of week is 0-6: crond.c
 * counts it modulo 7, so a 7 never ends its fill loop and is logged as a parse error.
 */
const CRON_FIELDS: ReadonlyArray<{ name: string; min: number; max: number; names?: readonly string[] }> = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    {
        name: "month",
        min: 1,
        max: 12,
        names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    },
    { name: "day of week", min: 0, max: 6, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

/**
 * A five-field cron schedule exactly as it is written into the crontab, followed by a
 * space and the command: fields of printable ASCII separated by single spaces. busybox
 * crond splits a line on spaces and tabs only (crond.c load_crontab, config_read with
 * "# \t") and drops a line of fewer than six tokens without a word, so a trailing line
 * break or a non-breaking space would leave the backup unscheduled, silently. Steps
 * follow `*` or a range only: busybox reads `5/10` as 5, other crons as 5-59/10. A range
 * may not run backwards: busybox wraps it around, other crons refuse it.
 */
export const checkCron: Check<string> = (value) => {
    const expected = "a five-field cron expression such as '15 3 * * *' (minute hour day-of-month month day-of-week)";
    const odd = [...value].find((ch) => ch < "\x20" || ch > "\x7e");
    if (odd !== undefined && odd !== "\t")
        return `${expected}, in plain ASCII; it contains ${describeChar(odd)}, which would break the crontab line`;
    if (odd !== undefined || /^ | $| {2}/.test(value))
        return `${expected}, its fields separated by single spaces with none before or after`;
    const fields = value.split(" ");
    if (fields.length !== CRON_FIELDS.length) return `${expected}; got ${fields.length} field(s)`;
    for (const [i, field] of fields.entries()) {
        const spec = CRON_FIELDS[i]!;
        const names = spec.names ? ` or the names ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : "";
        const allowed = `numbers ${spec.min}-${spec.max}${names}, '*', ranges a-b, steps */n or a-b/n, and lists joined by ','`;
        const number = (text: string): number | undefined => {
            if (/^\d{1,2}$/.test(text)) return Number(text);
            const index = spec.names?.indexOf(text.toLowerCase()) ?? -1;
            return index < 0 ? undefined : index + spec.min;
        };
        for (const part of field.split(",")) {
            const m = /^(?:(\*)|([a-zA-Z]{3}|\d{1,2})(?:-([a-zA-Z]{3}|\d{1,2}))?)(?:\/(\d{1,2}))?$/.exec(part);
            const low = m?.[2] !== undefined ? number(m[2]) : undefined;
            const high = m?.[3] !== undefined ? number(m[3]) : undefined;
            if (!m || (m[2] !== undefined && low === undefined) || (m[3] !== undefined && high === undefined)) {
                return `${expected}; the ${spec.name} field '${field}' is not one busybox crond reads: ${allowed}`;
            }
            if ([low, high].some((n) => n !== undefined && (n < spec.min || n > spec.max))) {
                const sunday = spec.name === "day of week" ? " (Sunday is 0; busybox crond refuses 7)" : "";
                return `${expected}; the ${spec.name} field must stay within ${spec.min}-${spec.max}${sunday}`;
            }
            if (low !== undefined && high !== undefined && low > high)
                return `${expected}; the range '${part}' runs backwards`;
            if (m[4] !== undefined && Number(m[4]) === 0) return `${expected}; a step of 0 never fires`;
            if (m[4] !== undefined && m[2] !== undefined && m[3] === undefined) {
                const meant = `${m[2]}-${spec.max}/${m[4]} or */${m[4]}`;
                return `${expected}; the step in '${part}' follows a single value, which busybox crond reads as ${m[2]} alone: write ${meant}`;
            }
        }
    }
    return undefined;
};
