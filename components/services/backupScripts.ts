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
/**
 * How many databases a restore keeps under `<name>_before_restore_<time>`: the newest ones; each restore
 * drops the older ones after its swap. Three lets an operator undo a restore, and the one before it,
 * without a stack accumulating full copies of its database.
 */
export const KEPT_DATABASES = 3;

const CONNECTION = `PGPASSWORD=$(cat "$DATABASE_PASSWORD_FILE")
PGSSLMODE=\${DATABASE_SSLMODE:-disable}
PGHOST=$DATABASE_HOST
PGPORT=$DATABASE_PORT
PGUSER=$DATABASE_USER
export PGPASSWORD PGSSLMODE PGHOST PGPORT PGUSER`;

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
 * test/dataTier.servers.test.ts). After the swap, only the newest
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

psql_admin --set db="$staging" <<'SQL'
CREATE DATABASE :"db";
SQL
if ! pg_restore --no-owner --no-privileges --exit-on-error --dbname "$staging" "$file"; then
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

/** The crontab line of the scheduled backup service; output goes to the container's log. */
export function renderBackupCrontab(schedule: string): string {
    return `${schedule} ${BACKUP_SCRIPT_PATH} scheduled >/proc/1/fd/1 2>/proc/1/fd/2\n`;
}
