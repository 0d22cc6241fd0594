/**
 * The settings nested inside object keys (verification.e2e, appBuild.targets, backup.offsite, alerts.email,
 * alerts.slack, alerts.webhook and database.fork), and the settings whose check takes more than a line (ssh.hostKey,
 * rollback.exportTables): their checks and defaults, declared once as the top-level keys are in ./schema.ts.
 */
import { checkHostKeyLine, keyscanCommand } from "../host/hostKey";
import { checkEmail, checkHostPort, checkNumber } from "../validation";
import { A_YAML_LIST, Before, bool, defaulted, isRecord, listOf, objectOf, optional, required, text } from "./fields";

const API_PATH = text((s) => (s.startsWith("/") ? undefined : "an absolute path such as /api/v1/readings"));
const STAGE = text((s) => (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s) ? undefined : "a Dockerfile stage name"));

/** The fields of the end-to-end check (verification.e2e), read when it is set. */
export const E2E_FIELDS = {
    ingestPath: defaulted<string>(API_PATH, "/api/v1/readings"),
    alertsPath: defaulted<string>(API_PATH, "/api/v1/alerts?status=open"),
    sensorId: defaulted<string>(
        text((s) => (s.length > 0 ? undefined : "a sensor id")),
        "demo-sensor-1",
    ),
    celsius: defaulted<number>(checkNumber(-80, 200), 15),
} as const;

/**
 * What a problem with ssh.hostKey tells the operator to do: scan the key with the host and port read before it, and
 * check the fingerprint out of band. Pinned by every connection, so never trusted on first use.
 */
function hostKeyScan(before: Before): string {
    const scan = keyscanCommand(String(before.host || "<host>"), Number(before.port));
    return (
        `run \`${scan}\` from a machine you trust and compare the key's fingerprint ` +
        "(`ssh-keygen -lf -` on that line) with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` run on the VM's console"
    );
}

/** ssh.hostKey: the VM's ed25519 host key line, declared after ssh.host and ssh.port, which its problems name. */
export const SSH_HOST_KEY = required<string>(
    (v, before) => {
        if (typeof v !== "string") return "a string";
        const problem = checkHostKeyLine(v);
        return problem ? `${problem}; ${hostKeyScan(before)}` : undefined;
    },
    (before) =>
        `the VM's SSH host key, "ssh-ed25519 AAAA..." (the line ssh-keyscan prints, without the host name before ` +
        `it), so that no connection trusts whichever host answers: ${hostKeyScan(before)}`,
);

const SQL_NAME = /^[a-z_][a-z0-9_]*$/;

/** rollback.exportTables: each table whose new rows a rollback exports, with its timestamp column. */
export const EXPORT_TABLES = listOf<{ readonly table: string; readonly column: string }>(
    (t) =>
        isRecord(t) &&
        typeof t.table === "string" &&
        SQL_NAME.test(t.table) &&
        typeof t.column === "string" &&
        SQL_NAME.test(t.column)
            ? undefined
            : "{table, column} with plain lowercase SQL names",
    [
        { table: "sensor_readings", column: "recorded_at" },
        { table: "alerts", column: "created_at" },
        { table: "audit_log", column: "created_at" },
    ],
    { notAList: "a list of {table, column}" },
);

/** ISO 8601 with a zone; with `fraction`, up to six digits after the seconds. */
function isoTime(fraction: boolean): RegExp {
    const seconds = fraction ? "(?:\\.(\\d{1,6}))?" : "()";
    return new RegExp(`^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})${seconds}(?:Z|([+-])(\\d{2}):(\\d{2}))$`);
}

/**
 * A point in time as database.fork.at takes it: ISO 8601 with a four-digit year, whole seconds, and `Z` or an explicit
 * offset. Nothing looser: the stamp in the fork's cluster name has whole seconds, and a time without an offset would
 * be read in whatever zone the machine running `pulumi up` is set to.
 */
const FORK_TIME = isoTime(false);
/** An ISO 8601 time with its zone and up to six digits after the seconds (`npm run restore --to-time`). */
export const ISO_TIME_WITH_FRACTION = isoTime(true);

/** What database.fork.at should have been, said by every problem with it. */
export const FORK_TIME_EXPECTED =
    "a point in time as ISO 8601 in UTC with whole seconds, such as 2026-03-14T09:30:00Z, or with an explicit offset, such as 2026-03-14T10:30:00+01:00";

/**
 * The instant a database.fork.at names, or undefined when the text is not one: the form of FORK_TIME, and a date and
 * time that exist (no 30 February, no hour 24, no leap second, an offset within a day).
 */
export function forkInstant(text: string): Date | undefined {
    return isoInstant(text, false)?.date;
}

/**
 * The instant an ISO 8601 time with its zone names, with the microseconds of its fraction (`fraction`: up to six
 * digits are taken; without it, whole seconds only), or undefined when the text is not one or names a date and time
 * that does not exist. Shared by database.fork.at (forkInstant) and `npm run restore --to-time`.
 */
export function isoInstant(text: string, fraction: boolean): { date: Date; micros: number } | undefined {
    const m = (fraction ? ISO_TIME_WITH_FRACTION : FORK_TIME).exec(text);
    if (!m) return undefined;
    const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
        number,
        number,
        number,
        number,
        number,
        number,
    ];
    const micros = Number((m[7] ?? "").padEnd(6, "0"));
    const [sign, offsetHours = "00", offsetMinutes = "00"] = m.slice(8);
    const local = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    // Date.UTC rolls an impossible field over into the next one (30 February is 2 March): such a date is refused.
    const exists =
        local.getUTCFullYear() === year &&
        local.getUTCMonth() === month - 1 &&
        local.getUTCDate() === day &&
        local.getUTCHours() === hour &&
        local.getUTCMinutes() === minute &&
        local.getUTCSeconds() === second;
    if (!exists || Number(offsetHours) > 23 || Number(offsetMinutes) > 59) return undefined;
    const offsetMs = (sign === "-" ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
    return { date: new Date(local.getTime() - offsetMs + Math.floor(micros / 1000)), micros };
}

/**
 * A fork of the managed cluster (database.fork): a second cluster restored from DigitalOcean's backups of the live one
 * as it was at `at`, which the stack connects to only when `use` is true (components/platform/managedDatabase.ts).
 */
export const DATABASE_FORK_FIELDS = {
    at: required<string>(
        text((s) => (forkInstant(s) ? undefined : FORK_TIME_EXPECTED)),
        `the point in time to fork at, ${FORK_TIME_EXPECTED}`,
    ),
    use: defaulted<boolean>(bool, false),
} as const;

/** database.fork: unset, the stack has the live cluster alone. */
export const DATABASE_FORK = objectOf(DATABASE_FORK_FIELDS, {
    notAnObject: "an object with at (the point in time to fork at) and use (true to connect the stack to the fork)",
});

/** The build stage of each image (appBuild.targets). */
export const BUILD_TARGET_FIELDS = {
    backend: defaulted<string>(STAGE, "backend"),
    worker: defaulted<string>(STAGE, "worker"),
    frontend: defaulted<string>(STAGE, "frontend"),
} as const;

/** The offsite copy's bucket (backup.offsite); its keys are secrets of their own. */
export const OFFSITE_FIELDS = {
    // An endpoint written as https://key:secret@host is refused without being shown.
    endpoint: required<string>(
        text((s) =>
            /^https:\/\/[a-z0-9.-]+(:\d+)?$/.test(s)
                ? undefined
                : "an https endpoint such as https://fra1.digitaloceanspaces.com",
        ),
        "an https endpoint such as https://fra1.digitaloceanspaces.com",
        { nearSecret: true },
    ),
    bucket: required<string>(
        text((s) =>
            /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s)
                ? undefined
                : "an S3 bucket name (3-63 lowercase letters, digits, . -)",
        ),
        "the bucket that receives the copies",
    ),
} as const;

/** Alerts by email (alerts.email). */
export const EMAIL_FIELDS = {
    to: listOf<string>(text(checkEmail), [], {
        notAList: A_YAML_LIST,
        atLeastOne: "a list of at least one email address",
    }),
    from: required<string>(text(checkEmail), "the sender address alerts come from"),
    smarthost: required<string>(text(checkHostPort), "the SMTP relay as host:port"),
    username: optional<string>(text((s) => (s.length > 0 ? undefined : "a non-empty SMTP user name"))),
} as const;

export const SLACK_FIELDS = {
    channel: required<string>(
        text((s) => (/^#[a-z0-9_-]{1,80}$/.test(s) ? undefined : "a Slack channel such as #cold-chain-alerts")),
        "a Slack channel such as #cold-chain-alerts",
        { nearSecret: true },
    ),
} as const;

/**
 * The settings of an object key that each come with a secret key of their own (backup.offsite with
 * freshtrack:backupOffsite*, alerts.slack with freshtrack:alertSlackWebhookUrl, ...): the key's reader reads each with
 * its spec here and the secret beside it. The schema names them as the key's `nested` settings.
 */
export const NESTED = {
    backup: {
        offsite: objectOf(OFFSITE_FIELDS, {
            notAnObject: "an object with endpoint and bucket (the keys are the secrets freshtrack:backupOffsite*)",
            nearSecret: true,
        }),
    },
    alerts: {
        email: objectOf(EMAIL_FIELDS, { notAnObject: "an object with to, from and smarthost" }),
        slack: objectOf(SLACK_FIELDS, {
            notAnObject: "an object with channel (the webhook URL is the secret freshtrack:alertSlackWebhookUrl)",
            nearSecret: true,
        }),
        // Only `true`: the URL is a secret, so a URL written here is refused without being shown.
        webhook: optional<true>(
            (v) => (v === true ? undefined : "true (the URL itself is the secret freshtrack:alertWebhookUrl)"),
            { nearSecret: true },
        ),
    },
    verification: {
        e2e: objectOf(E2E_FIELDS, {
            notAnObject: "an object with ingestPath, alertsPath, sensorId and celsius, or false",
            falseIsUnset: true,
        }),
    },
} as const;

export type NestedKey = keyof typeof NESTED;

/** The names of a key's nested settings, as the schema lists them. */
export function nestedNames<K extends NestedKey>(key: K): ReadonlyArray<keyof (typeof NESTED)[K] & string> {
    return Object.keys(NESTED[key]) as Array<keyof (typeof NESTED)[K] & string>;
}
