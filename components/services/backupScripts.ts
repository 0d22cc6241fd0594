/**
 * The database backup and restore scripts: POSIX sh, rendered once, run in the
 * postgres image by the scheduled backup service, by the pre-migration job and
 * by restores, and in the tests against a real PostgreSQL. Everything comes
 * from env and the password file.
 */

export const BACKUP_DIR = "/backups/postgres";
export const BACKUP_SCRIPT_PATH = "/usr/local/bin/freshtrack-backup";
export const RESTORE_SCRIPT_PATH = "/usr/local/bin/freshtrack-restore";
export const BACKUP_METRIC = "freshtrack_backup_last_success_timestamp_seconds";

const CONNECTION = `PGPASSWORD=$(cat "$DATABASE_PASSWORD_FILE")
PGSSLMODE=\${DATABASE_SSLMODE:-disable}
PGHOST=$DATABASE_HOST
PGPORT=$DATABASE_PORT
PGUSER=$DATABASE_USER
export PGPASSWORD PGSSLMODE PGHOST PGPORT PGUSER`;

/**
 * freshtrack-backup <label>: a custom-format pg_dump, written under a temporary
 * name, checked readable with pg_restore --list, renamed only then; dumps older
 * than RETENTION_DAYS are pruned; with TEXTFILE_DIR set, the success time is
 * published for the BackupMissing alert.
 */
export function renderBackupScript(): string {
    return `#!/bin/sh
# Rendered by components/services/backupScripts.ts: freshtrack-backup <label>
set -eu
label=\${1:?usage: freshtrack-backup <label>}
dir=\${BACKUP_DIR:-${BACKUP_DIR}}
mkdir -p "$dir"
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
if [ -n "\${TEXTFILE_DIR:-}" ]; then
  printf '# HELP ${BACKUP_METRIC} Time of the last successful database backup.\\n# TYPE ${BACKUP_METRIC} gauge\\n${BACKUP_METRIC} %s\\n' "$(date -u +%s)" >"$TEXTFILE_DIR/freshtrack_backup.prom.tmp"
  mv "$TEXTFILE_DIR/freshtrack_backup.prom.tmp" "$TEXTFILE_DIR/freshtrack_backup.prom"
fi
echo "backup written: $file ($(wc -c <"$file") bytes)"
`;
}

/**
 * freshtrack-restore [dump]: restores a dump (the newest by default) without
 * ever leaving the database half-restored. The dump is checked first, restored
 * into a new database, and only a complete restore takes the live name; the
 * database it replaces is kept, renamed, so nothing is lost.
 */
export function renderRestoreScript(): string {
    return `#!/bin/sh
# Rendered by components/services/backupScripts.ts: freshtrack-restore [dump file]
set -eu
dir=\${BACKUP_DIR:-${BACKUP_DIR}}
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

psql_admin -c "CREATE DATABASE \\"$staging\\""
if ! pg_restore --no-owner --no-privileges --exit-on-error --dbname "$staging" "$file"; then
  psql_admin -c "DROP DATABASE IF EXISTS \\"$staging\\""
  echo "freshtrack-restore: restoring $file failed; the database was not touched" >&2
  exit 4
fi
# The swap: close sessions on the live database, keep it under another name, promote the restored copy.
psql_admin -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$DATABASE_NAME' AND pid <> pg_backend_pid()" >/dev/null
psql_admin -c "ALTER DATABASE \\"$DATABASE_NAME\\" RENAME TO \\"$kept\\""
psql_admin -c "ALTER DATABASE \\"$staging\\" RENAME TO \\"$DATABASE_NAME\\""
echo "restored $file into $DATABASE_NAME; the previous database is kept as $kept"
`;
}

/** The crontab line of the scheduled backup service; output goes to the container's log. */
export function renderBackupCrontab(schedule: string): string {
    return `${schedule} ${BACKUP_SCRIPT_PATH} scheduled >/proc/1/fd/1 2>/proc/1/fd/2\n`;
}
