/**
 * The database backup and restore scripts: POSIX sh, rendered once, run in the
 * postgres image by the scheduled backup service, by the pre-migration job and
 * by restores, and in the tests against a real PostgreSQL. Everything comes
 * from env and the password file.
 */

export const BACKUP_DIR = "/backups/postgres";
/** Where the backup service runs a base backup from (components/services/pitrScripts.ts renders it). */
export const BASE_BACKUP_SCRIPT_PATH = "/usr/local/bin/freshtrack-base-backup";
export const BACKUP_SCRIPT_PATH = "/usr/local/bin/freshtrack-backup";
export const RESTORE_SCRIPT_PATH = "/usr/local/bin/freshtrack-restore";
export const BACKUP_METRIC = "freshtrack_backup_last_success_timestamp_seconds";
/**
 * How many databases a restore keeps under `<name>_before_restore_<time>`: the newest ones; each restore
 * drops the older ones after its swap. Three lets an operator undo a restore, and the one before it,
 * without a stack accumulating full copies of its database.
 */
export const KEPT_DATABASES = 3;

/**
 * libpq's settings, in sh, for the server the DATABASE_* variables name, as the login in the variables `user` and
 * `passwordFile` name (the password read from its file at run time, never in the environment Docker shows).
 */
export function libpqConnection(user: string, passwordFile: string): string {
    return `PGPASSWORD=$(cat "$${passwordFile}")
PGSSLMODE=\${DATABASE_SSLMODE:-disable}
PGHOST=$DATABASE_HOST
PGPORT=$DATABASE_PORT
PGUSER=$${user}
export PGPASSWORD PGSSLMODE PGHOST PGPORT PGUSER`;
}

const CONNECTION = libpqConnection("DATABASE_USER", "DATABASE_PASSWORD_FILE");

/**
 * freshtrack-backup <label>: a custom-format pg_dump, written under a temporary
 * name, checked readable with pg_restore --list, renamed only then; dumps and
 * rollback exports older than RETENTION_DAYS are pruned; with TEXTFILE_DIR set,
 * the success time is published for the BackupMissing alert. Dumps hold every
 * customer's records, so they are created 0600 in a 0700 directory: readable
 * by the backup's own user only (the mirror containers run as that same user).
 */
export function renderBackupScript(): string {
    return `#!/bin/sh
# Rendered by components/services/backupScripts.ts: freshtrack-backup <label>
set -eu
# Nothing this script writes is for anyone but its own user: dumps and the directory that holds them.
umask 077
label=\${1:?usage: freshtrack-backup <label>}
dir=\${BACKUP_DIR:-${BACKUP_DIR}}
mkdir -p "$dir"
# A directory made by an older version (or by Docker, for a fresh volume) may still be world-readable.
chmod 700 "$dir"
${CONNECTION}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
file="$dir/freshtrack-$label\${APP_VERSION:+-$APP_VERSION}-$stamp.dump"
# A failed dump leaves nothing behind that could pass for a backup.
trap 'rm -f "$file.partial"' EXIT
pg_dump --format=custom --no-owner --no-privileges --dbname "$DATABASE_NAME" --file "$file.partial"
# A backup that cannot be read back in full is not a backup.
pg_restore --file=/dev/null "$file.partial"
mv "$file.partial" "$file"
# Minutes, not -mtime days: find rounds ages down to whole days, which would keep a dump up to a day too long.
find "$dir" -name 'freshtrack-*.dump' -mmin +"$((RETENTION_DAYS * 1440))" -exec rm -f {} +
# Rollback exports (rollback-<from>-to-<to>-<time>/, CSV and manifest) follow the same retention as the
# pre-rollback dump they go with. -prune: find must not walk into a directory it is about to delete.
find "$dir" -type d -name 'rollback-*' -mmin +"$((RETENTION_DAYS * 1440))" -prune -exec rm -rf {} +
# The scheduled service's health check reads this file's age (renderBackupHealthCheck): written only by a
# scheduled run that got this far, under a temporary name first, so its time is that of a complete backup.
if [ "$label" = scheduled ] && [ -n "\${LAST_SUCCESS_FILE:-}" ]; then
  date -u +%s >"$LAST_SUCCESS_FILE.tmp"
  mv "$LAST_SUCCESS_FILE.tmp" "$LAST_SUCCESS_FILE"
fi
if [ -n "\${TEXTFILE_DIR:-}" ]; then
  printf '# HELP ${BACKUP_METRIC} Time of the last successful database backup.\\n# TYPE ${BACKUP_METRIC} gauge\\n${BACKUP_METRIC} %s\\n' "$(date -u +%s)" >"$TEXTFILE_DIR/freshtrack_backup.prom.tmp"
  # The metric is public; node-exporter reads it as another user (nobody in prom/node-exporter).
  chmod 644 "$TEXTFILE_DIR/freshtrack_backup.prom.tmp"
  mv "$TEXTFILE_DIR/freshtrack_backup.prom.tmp" "$TEXTFILE_DIR/freshtrack_backup.prom"
fi
echo "backup written: $file ($(wc -c <"$file") bytes)"
`;
}

/**
 * freshtrack-restore [dump]: restores a dump (the newest by default) without
 * ever leaving the database half-restored. The dump is checked first, restored
 * into a new database, and only a complete restore takes the live name; the
 * database it replaces is kept, renamed, so nothing is lost. The swap is one
 * transaction: both renames commit together or neither does, so no crash,
 * kill or lost connection leaves the stack without a database of the live name
 * (PostgreSQL refuses only ALTER DATABASE ... SET TABLESPACE inside a
 * transaction block; RENAME TO is transactional, checked on a real server by
 * test/dataTierBackups.servers.test.ts). After the swap, only the newest
 * KEEP_DATABASES (default KEPT_DATABASES) kept databases stay.
 *
 * Names reach SQL as psql variables (:"name" quotes an identifier, :'name' a
 * literal), never spliced into the statement text.
 */
export function renderRestoreScript(): string {
    return `#!/bin/sh
# Rendered by components/services/backupScripts.ts: freshtrack-restore [dump file]
set -eu
umask 077
dir=\${BACKUP_DIR:-${BACKUP_DIR}}
keep=\${KEEP_DATABASES:-${KEPT_DATABASES}}
case "$keep" in ''|*[!0-9]*) echo "freshtrack-restore: KEEP_DATABASES must be a whole number, not '$keep'" >&2; exit 2;; esac
# Newest by modification time; the names are the backup script's own, without odd characters.
# shellcheck disable=SC2012
file=\${1:-$(ls -1t "$dir"/freshtrack-*.dump 2>/dev/null | head -n 1)}
if [ -z "$file" ] || [ ! -f "$file" ]; then
  echo "freshtrack-restore: no backup to restore (looked for \${1:-the newest dump in $dir})" >&2
  exit 2
fi
# Read the whole archive before touching anything: a truncated dump fails here, not halfway through.
if ! pg_restore --file=/dev/null "$file" 2>/dev/null; then
  echo "freshtrack-restore: refusing $file: it is not a readable pg_dump archive (truncated or corrupt); the database was not touched" >&2
  exit 3
fi
${CONNECTION}
stamp=$(date -u +%Y%m%d%H%M%S)
staging="\${DATABASE_NAME}_restore_$stamp"
kept="\${DATABASE_NAME}_before_restore_$stamp"
psql_admin() { psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --dbname postgres "$@"; }

# With DATABASE_OWNER_ROLE (the self-hosted PostgreSQL, where this runs as the backup role), the new database and
# everything restored into it belong to the application's role, as the live one does: pg_restore --role sets that role
# after connecting, so it creates every object (PostgreSQL docs, pg_restore).
psql_admin --set db="$staging" --set owner="\${DATABASE_OWNER_ROLE:-}" <<'SQL'
SELECT :'owner' <> '' AS has_owner \\gset
\\if :has_owner
CREATE DATABASE :"db" OWNER :"owner";
\\else
CREATE DATABASE :"db";
\\endif
SQL
if ! pg_restore --no-owner --no-privileges --exit-on-error \${DATABASE_OWNER_ROLE:+"--role=$DATABASE_OWNER_ROLE"} --dbname "$staging" "$file"; then
  psql_admin --set db="$staging" <<'SQL' || true
DROP DATABASE IF EXISTS :"db";
SQL
  echo "freshtrack-restore: restoring $file failed; the database was not touched" >&2
  exit 4
fi
# The swap, in one transaction: close sessions on the live database (RENAME waits up to 5 s for them to
# go), keep it under another name, promote the restored copy. If anything fails or the session dies
# before COMMIT, PostgreSQL rolls both renames back and the live database is as it was.
if ! psql_admin --set live="$DATABASE_NAME" --set staging="$staging" --set kept="$kept" >/dev/null <<'SQL'
BEGIN;
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :'live' AND pid <> pg_backend_pid();
ALTER DATABASE :"live" RENAME TO :"kept";
ALTER DATABASE :"staging" RENAME TO :"live";
COMMIT;
SQL
then
  psql_admin --set db="$staging" <<'SQL' >/dev/null 2>&1 || true
DROP DATABASE IF EXISTS :"db";
SQL
  echo "freshtrack-restore: the swap did not complete, so nothing changed: $DATABASE_NAME is the database it was; run the restore again" >&2
  exit 5
fi
echo "restored $file into $DATABASE_NAME; the previous database is kept as $kept"
# Retention of kept databases: the names end in a UTC time, so the newest sort last.
old=$(psql_admin --tuples-only --no-align --set prefix="\${DATABASE_NAME}_before_restore_" --set keep="$keep" <<'SQL'
SELECT datname FROM pg_database WHERE starts_with(datname, :'prefix') ORDER BY datname DESC OFFSET :keep;
SQL
)
printf '%s\n' "$old" | while IFS= read -r db; do
  [ -n "$db" ] || continue
  if psql_admin --set db="$db" <<'SQL'
DROP DATABASE :"db";
SQL
  then echo "dropped $db: only the newest $keep kept databases are kept"
  else echo "freshtrack-restore: warning: could not drop the old kept database $db; drop it by hand" >&2
  fi
done
`;
}

/**
 * Where a scheduled run records its success (LAST_SUCCESS_FILE in the service's env): on the backups volume, so a
 * replaced container still knows the last backup, and outside BACKUP_DIR, which the mirrors copy.
 */
export const LAST_SUCCESS_FILE = "/backups/.freshtrack-last-scheduled-backup";
/**
 * Written by the first health check a container runs (in its own filesystem), so the grace period starts with the
 * container.
 */
export const HEALTH_STARTED_FILE = "/tmp/freshtrack-backup-health-started";
export const BACKUP_HEALTH_SCRIPT_PATH = "/usr/local/bin/freshtrack-backup-health";
/**
 * Slack on top of the longest pause between two scheduled runs: the marker is written when a run ends, so one run
 * slower than the last by up to this much (a grown database, a busy host) or started late by crond (it wakes once a
 * minute) is not a missed backup. A daily schedule gets 24 h + 2 h = 26 h.
 */
export const BACKUP_HEALTH_MARGIN_MINUTES = 120;

/** The values one cron field allows (an expression config's checkCron accepted: numbers, names, *, a-b, /n, lists). */
function cronFieldValues(field: string, min: number, max: number, names?: readonly string[]): Set<number> {
    const value = (text: string) => (/^\d+$/.test(text) ? Number(text) : names!.indexOf(text.toLowerCase()) + min);
    const values = new Set<number>();
    for (const part of field.split(",")) {
        const [range, step] = part.split("/");
        const [low, high] =
            range === "*"
                ? [min, max]
                : range!.includes("-")
                  ? range!.split("-").map(value)
                  : [value(range!), value(range!)];
        for (let v = low!; v <= high!; v += step ? Number(step) : 1) values.add(v);
    }
    return values;
}

/**
 * The longest time between two consecutive runs of a cron schedule, in minutes, evaluated in UTC (the backup
 * container's TZ) over eight years from 2024, which holds every calendar case (leap days; a February 29 schedule
 * runs every four years). Day of month and day of week follow busybox crond: when both are restricted a day
 * matching either runs, when one is, only it counts (mirror/busybox@1_36_1 miscutils/crond.c:336-360 FixDayDow,
 * :912). A schedule that runs fewer than twice in that window (or never: February 30) gets the whole window,
 * so it never raises a false alarm.
 */
export function cronMaxGapMinutes(schedule: string): number {
    const [minute, hour, dom, month, dow] = schedule.split(" ");
    const minutes = [...cronFieldValues(minute!, 0, 59)].sort((a, b) => a - b);
    const hours = [...cronFieldValues(hour!, 0, 23)].sort((a, b) => a - b);
    const days = cronFieldValues(dom!, 1, 31);
    const months = cronFieldValues(month!, 1, 12, [
        "jan",
        "feb",
        "mar",
        "apr",
        "may",
        "jun",
        "jul",
        "aug",
        "sep",
        "oct",
        "nov",
        "dec",
    ]);
    const weekdays = cronFieldValues(dow!, 0, 6, ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]);
    const domUsed = days.size < 31;
    const dowUsed = weekdays.size < 7;
    const inDay = hours.flatMap((h) => minutes.map((m) => h * 60 + m));
    const start = Date.UTC(2024, 0, 1);
    const dayCount = 8 * 366;
    let runs = 0;
    let last: number | undefined;
    let longest = 0;
    for (let d = 0; d < dayCount; d++) {
        const date = new Date(start + d * 86_400_000);
        if (!months.has(date.getUTCMonth() + 1)) continue;
        const byDom = days.has(date.getUTCDate());
        const byDow = weekdays.has(date.getUTCDay());
        if (!(domUsed && dowUsed ? byDom || byDow : domUsed ? byDom : dowUsed ? byDow : true)) continue;
        for (const m of inDay) {
            const at = d * 1440 + m;
            if (last !== undefined) longest = Math.max(longest, at - last);
            last = at;
            runs++;
        }
    }
    return runs < 2 ? dayCount * 1440 : longest;
}

/**
 * How old the last scheduled backup may be before the backup service is unhealthy, and how long a new container
 * is healthy without one. The limit is the schedule's longest pause plus the margin. The grace is the same: the
 * first run after a start comes at most one longest pause later and takes the margin to finish, so a new stack
 * (or one whose last backup is older, after a long outage) is unhealthy only once that first run had its chance.
 * A replaced container needs no grace when the volume's marker is fresh.
 */
export function backupHealthLimits(schedule: string): { limitMinutes: number; graceMinutes: number } {
    const limitMinutes = cronMaxGapMinutes(schedule) + BACKUP_HEALTH_MARGIN_MINUTES;
    return { limitMinutes, graceMinutes: limitMinutes };
}

/**
 * The backup service's health check: crond is running, and the last scheduled backup succeeded within the limit,
 * or the container is still in its grace period. Only what the postgres alpine image has: busybox sh, pidof and
 * find with -mmin (components/imageContracts/). busybox find's `-mmin -N` is true for an age under N minutes,
 * to the second (mirror/busybox@1_36_1 findutils/find.c:684-708, time_cmp), and prints nothing for a missing file.
 * The grace starts at the container's first check, which writes HEALTH_STARTED_FILE with a redirection (no touch
 * needed); the file lives in the container, so a new container gets a new grace and a restart does not.
 */
export function renderBackupHealthCheck(
    limits: { limitMinutes: number; graceMinutes: number },
    files: { lastSuccess: string; started: string } = { lastSuccess: LAST_SUCCESS_FILE, started: HEALTH_STARTED_FILE },
): string {
    return `#!/bin/sh
# Rendered by components/services/backupScripts.ts: the backup service's health check.
pidof crond >/dev/null || { echo "crond is not running"; exit 1; }
[ -e '${files.started}' ] || : >'${files.started}'
if [ -n "$(find '${files.lastSuccess}' -mmin -${limits.limitMinutes} 2>/dev/null)" ]; then
  echo "last scheduled backup less than ${limits.limitMinutes} minutes ago"
  exit 0
fi
if [ -n "$(find '${files.started}' -mmin -${limits.graceMinutes} 2>/dev/null)" ]; then
  echo "no scheduled backup in the last ${limits.limitMinutes} minutes yet; container started less than ${limits.graceMinutes} minutes ago"
  exit 0
fi
echo "no successful scheduled backup in the last ${limits.limitMinutes} minutes: see the backup container's log (docker logs)"
exit 1
`;
}

/** How often the backup service checks that the current chain of the write-ahead log has a base backup. */
export const BASE_BACKUP_IF_NEEDED_SCHEDULE = "*/15 * * * *";

/**
 * The crontab of the scheduled backup service; output goes to the container's log. With `baseBackup`
 * (point-in-time recovery), a base backup follows each dump, whatever the dump's outcome: one after the other, so the
 * two never load the server at once; and every 15 minutes `freshtrack-base-backup --if-needed` takes one when the
 * current chain of the log has none (a new stack before its first dump, a new chain after the receiver's slot was
 * lost), so a point-in-time restore is possible within minutes rather than after the next dump. Two base backups never
 * run at once (the script's lock). With `drill`, the restore drill on its own schedule (freshtrack-drill).
 */
export function renderBackupCrontab(
    schedule: string,
    opts: { baseBackup?: boolean; drill?: { schedule: string; script: string } } = {},
): string {
    const log = ">/proc/1/fd/1 2>/proc/1/fd/2";
    const base = opts.baseBackup ? `; ${BASE_BACKUP_SCRIPT_PATH} ${log}` : "";
    const ifNeeded = opts.baseBackup
        ? `${BASE_BACKUP_IF_NEEDED_SCHEDULE} ${BASE_BACKUP_SCRIPT_PATH} --if-needed ${log}\n`
        : "";
    const drill = opts.drill ? `${opts.drill.schedule} ${opts.drill.script} ${log}\n` : "";
    return `${schedule} ${BACKUP_SCRIPT_PATH} scheduled ${log}${base}\n${ifNeeded}${drill}`;
}

/** The backup mirrors (components/services/backup.ts): each copies the backups on, append-only, in a loop of passes. */
export type MirrorName = "backup-sync" | "backup-offsite";
/** When a mirror last finished a pass in which every copy succeeded; one series per mirror (label `mirror`). */
export const MIRROR_METRIC = "freshtrack_backup_mirror_last_success_timestamp_seconds";
/**
 * When a mirror first ran on this host's metrics volume; written once, never updated. With no MIRROR_METRIC
 * beside it, it is the mirror that runs but has never finished a pass (the BackupMirrorStale alert).
 */
export const MIRROR_STARTED_METRIC = "freshtrack_backup_mirror_first_start_timestamp_seconds";
/** Where a mirror's health check runs from; rendered per mirror (renderMirrorHealthCheck). */
export const MIRROR_HEALTH_SCRIPT_PATH = "/usr/local/bin/freshtrack-mirror-health";
/** Written by a mirror container's first health check, in its own filesystem: the grace starts with the container. */
export const MIRROR_HEALTH_STARTED_FILE = "/tmp/freshtrack-mirror-health-started";

/**
 * The two textfiles of one mirror in node-exporter's textfile directory. One file per mirror, so that neither
 * mirror rewrites the other's line; node-exporter merges a metric family spread over several `*.prom` files when
 * their HELP texts agree (prometheus/node_exporter@v1.8.2 collector/textfile.go:215 reads only `*.prom`, :220-237
 * keeps the first HELP text and flags a different one as an error), so every file carries the same HELP line.
 */
export function mirrorMetricFiles(textfileDir: string, mirror: MirrorName): { success: string; started: string } {
    return {
        success: `${textfileDir}/freshtrack_backup_mirror_${mirror}.prom`,
        started: `${textfileDir}/freshtrack_backup_mirror_${mirror}_started.prom`,
    };
}

/** The text of a mirror's metric file: HELP, TYPE and one sample whose value the shell fills in (`%s` of printf). */
export function mirrorMetricTemplate(
    metric: typeof MIRROR_METRIC | typeof MIRROR_STARTED_METRIC,
    mirror: MirrorName,
): string {
    const help =
        metric === MIRROR_METRIC
            ? "Time a backup mirror last finished a pass in which every copy succeeded."
            : "Time a backup mirror first ran on this host.";
    return `# HELP ${metric} ${help}\\n# TYPE ${metric} gauge\\n${metric}{mirror="${mirror}"} %s\\n`;
}

/**
 * A mirror's health check: healthy while its last fully successful pass (the sample in its metric file, on the
 * metrics volume, so a replaced container still knows it) is younger than `staleSeconds`, or while the container is
 * in its first `graceSeconds`. The mc image has no find and no stat (components/imageContracts/, the mc notes), so
 * ages come from `date +%s` and the shell's own arithmetic, and the file is read with the shell's `read`; the grace
 * starts at the container's first check, which writes the time into MIRROR_HEALTH_STARTED_FILE (a new container gets
 * a new grace, a restart does not), as the backup service's check does (renderBackupHealthCheck).
 */
export function renderMirrorHealthCheck(
    limits: { staleSeconds: number; graceSeconds: number },
    metricFile: string,
    startedFile: string = MIRROR_HEALTH_STARTED_FILE,
): string {
    const files = { metric: metricFile, started: startedFile };
    return `#!/bin/sh
# Rendered by components/services/backupScripts.ts: a backup mirror's health check.
now=$(date -u +%s)
[ -s '${files.started}' ] || echo "$now" >'${files.started}'
last=0
if [ -r '${files.metric}' ]; then
  while read -r name value; do
    case $name in ${MIRROR_METRIC}\\{*) last=$value ;; esac
  done <'${files.metric}'
fi
case $last in ''|*[!0-9]*) last=0 ;; esac
if [ $((now - last)) -lt ${limits.staleSeconds} ]; then
  echo "last fully successful pass $((now - last)) s ago"
  exit 0
fi
# A start time that cannot be read grants no grace: a check that cannot keep its own record never turns healthy by default.
started=0
read -r started <'${files.started}' || started=0
case $started in ''|*[!0-9]*) started=0 ;; esac
if [ $((now - started)) -lt ${limits.graceSeconds} ]; then
  echo "no fully successful pass in the last ${limits.staleSeconds} s yet; container checked first $((now - started)) s ago"
  exit 0
fi
echo "no fully successful pass in the last ${limits.staleSeconds} s: see the container's log (docker logs)"
exit 1
`;
}
