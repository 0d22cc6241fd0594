/**
 * Point-in-time recovery's scripts (freshtrack:backup.pointInTime): POSIX sh, rendered once, run in the postgres
 * image by the WAL receiver, by the backup service (base backups, restores) and in the tests against Debian's
 * PostgreSQL. Everything else comes from env and the password files. Why pg_receivewal and not archive_command is in
 * docs/operations.md, "Restore to a point in time".
 */
import { BASE_BACKUP_SCRIPT_PATH, libpqConnection } from "./backupScripts";
import {
    BASE_BACKUP_METRIC,
    BASE_DIR,
    BASE_INCOMPLETE_DIR,
    WAL_DIR,
    WAL_RECEIVER_APPLICATION,
    WAL_SLOT,
} from "./pitrNames";

export const WAL_RECEIVER_SCRIPT_PATH = "/usr/local/bin/freshtrack-wal-receiver";
export const WAL_RECEIVER_HEALTH_SCRIPT_PATH = "/usr/local/bin/freshtrack-wal-receiver-health";
export { BASE_BACKUP_SCRIPT_PATH };

/** A WAL segment's size: PostgreSQL's default, which the image does not change (initdb --wal-segsize is not passed). */
export const WAL_SEGMENT_BYTES = 16 * 1024 * 1024;

/**
 * libpq's settings for a replication connection, as the replication role (REPLICATION_USER and its password file),
 * to the server the DATABASE_* variables name: straight to PostgreSQL, never through PgBouncer.
 */
export const REPLICATION_CONNECTION = libpqConnection("REPLICATION_USER", "REPLICATION_PASSWORD_FILE");

/**
 * The WAL receiver, the command of its container: pg_receivewal streams the server's write-ahead log into WAL_DIR
 * from the replication slot WAL_SLOT, so the server keeps every segment until the receiver has it and a restart
 * resumes where it stopped, with no gap (pg_receivewal(1), --slot). It writes records as they come, so a server that
 * dies loses nothing the receiver had received; it flushes to disk at each segment's end, or at each write with
 * SYNCHRONOUS=1, when the server may also wait for it before a commit returns (backup.synchronousWal). The open
 * segment is `<segment>.partial` until complete, which the mirrors leave alone. `--create-slot --if-not-exists`
 * first: the database-grant job makes the slot too, and whichever comes first wins, so the two never wait on each
 * other. pg_receivewal retries a lost connection by itself; when it exits (a missing role, a wrong password), the loop
 * starts it again after 5 s, each time saying why. Docker's stop signal (TERM, or the image's INT) ends it with INT,
 * on which it writes what it has and exits 0.
 */
export function renderWalReceiverScript(): string {
    return `#!/bin/sh
# Rendered by components/services/pitrScripts.ts: freshtrack-wal-receiver
set -u
# The log holds every customer's records, as the dumps do: readable by this user only (the mirrors run as it too).
umask 077
wal=\${WAL_DIR:-${WAL_DIR}}
slot=\${WAL_SLOT:-${WAL_SLOT}}
mkdir -p "$wal" || exit 1
chmod 700 "$wal" "$(dirname "$wal")"
${REPLICATION_CONNECTION}
PGAPPNAME=${WAL_RECEIVER_APPLICATION}
export PGAPPNAME
sync_flag=
[ "\${SYNCHRONOUS:-0}" = 1 ] && sync_flag=--synchronous
stopping=
child=
trap 'stopping=1; [ -n "$child" ] && kill -INT "$child" 2>/dev/null' TERM INT
while [ -z "$stopping" ]; do
  pg_receivewal --no-password --slot="$slot" --create-slot --if-not-exists || true
  pg_receivewal --no-password --directory="$wal" --slot="$slot" $sync_flag &
  child=$!
  # A trap ends the first wait early; the second collects pg_receivewal's own exit.
  wait "$child"
  wait "$child"
  status=$?
  child=
  [ -n "$stopping" ] && break
  echo "freshtrack-wal-receiver: pg_receivewal exited with status $status; starting it again in 5 s" >&2
  sleep 5 &
  wait $!
done
echo "freshtrack-wal-receiver: stopped"
`;
}

/**
 * The receiver's health: pg_receivewal runs, and the server sees the slot in use. As the replication role, which may
 * read pg_replication_slots (granted to PUBLIC) in the postgres database, over the same connection settings.
 */
export function renderWalReceiverHealthCheck(): string {
    return `#!/bin/sh
# Rendered by components/services/pitrScripts.ts: the WAL receiver's health check.
pidof pg_receivewal >/dev/null || { echo "pg_receivewal is not running"; exit 1; }
${REPLICATION_CONNECTION}
active=$(psql --no-psqlrc --tuples-only --no-align --dbname postgres --set slot="\${WAL_SLOT:-${WAL_SLOT}}" <<'SQL'
SELECT active FROM pg_catalog.pg_replication_slots WHERE slot_name = :'slot';
SQL
) || { echo "cannot ask the server about the replication slot"; exit 1; }
[ "$active" = t ] || { echo "the replication slot is not in use (active: '$active')"; exit 1; }
echo "streaming"
`;
}

/**
 * Shell functions shared by the base backup and the point-in-time restore: a segment's file name from an LSN, the
 * next segment's name, and a time in microseconds since the epoch from `YYYY-MM-DD HH:MM:SS[.ffffff]` in UTC (date
 * -d reads that form in busybox and GNU date alike; the fraction is kept by the shell).
 */
export const PITR_FUNCTIONS = `# segment_of <timeline hex> <lsn X/Y>: the name of the 16 MB segment that holds the LSN.
segment_of() {
  hi=\${2%/*}
  lo=\${2#*/}
  printf '%08X%08X%08X' "$((0x$1))" "$((0x$hi))" "$((0x$lo >> 24))"
}
# next_segment <name>: the segment after it on the same timeline (256 segments of 16 MB make one log file).
next_segment() {
  rest=\${1#????????}
  log=$(printf '%.8s' "$rest")
  seg=\${rest#????????}
  if [ "$((0x$seg))" -ge 255 ]; then
    printf '%.8s%08X%08X' "$1" "$((0x$log + 1))" 0
  else
    printf '%.8s%s%08X' "$1" "$log" "$((0x$seg + 1))"
  fi
}
# micros <YYYY-MM-DD HH:MM:SS[.ffffff]>: microseconds since the epoch (UTC).
micros() {
  frac=000000
  case $1 in *.*) frac=$(printf '%.6s' "\${1#*.}000000") ;; esac
  secs=$(date -u -d "\${1%%.*}" +%s) || return 1
  echo $((secs * 1000000 + 1$frac - 1000000))
}
# stamp_number <YYYYMMDDTHHMMSSZ>: the same time as a number, for comparisons.
stamp_number() {
  digits=\${1%Z}
  echo "\${digits%T*}\${digits#*T}"
}`;
/**
 * freshtrack-base-backup: pg_basebackup as the replication role, in tar format, gzip-compressed, with the WAL it needs
 * streamed beside it (-X stream: the backup can be restored even without the receiver's log), into
 * BASE_INCOMPLETE_DIR first and moved into BASE_DIR only once complete and described: `freshtrack-base.info` records
 * the timeline, the start and end LSNs and the time it ended, which the restore needs (a target before a base backup's
 * end would restore silently to the base's state: the restore refuses it). Then retention: base backups older than
 * POINT_IN_TIME_DAYS go, never the newest, and with them every segment before the oldest kept one's start
 * (pg_archivecleanup). With TEXTFILE_DIR, BASE_BACKUP_METRIC records the success.
 */
export function renderBaseBackupScript(): string {
    return `#!/bin/sh
# Rendered by components/services/pitrScripts.ts: freshtrack-base-backup
set -eu
umask 077
${PITR_FUNCTIONS}
base_dir=\${BASE_DIR:-${BASE_DIR}}
incomplete_dir=\${BASE_INCOMPLETE_DIR:-${BASE_INCOMPLETE_DIR}}
wal=\${WAL_DIR:-${WAL_DIR}}
days=\${POINT_IN_TIME_DAYS:?POINT_IN_TIME_DAYS must say how many days base backups are kept}
case "$days" in ''|*[!0-9]*) echo "freshtrack-base-backup: POINT_IN_TIME_DAYS must be a whole number, not '$days'" >&2; exit 2;; esac
mkdir -p "$base_dir" "$incomplete_dir"
chmod 700 "$base_dir" "$incomplete_dir" "$(dirname "$base_dir")"
${REPLICATION_CONNECTION}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work="$incomplete_dir/$stamp"
log="$work.log"
trap 'rm -rf "$work" "$log"' EXIT
mkdir "$work"
pg_basebackup --no-password --pgdata="$work" --format=tar --gzip --wal-method=stream --checkpoint=fast \\
  --label="freshtrack base backup $stamp" --verbose 2>"$log" || {
  cat "$log" >&2
  echo "freshtrack-base-backup: pg_basebackup failed; no base backup was kept" >&2
  exit 1
}
ended=$(date -u '+%Y-%m-%d %H:%M:%S')
# pg_basebackup --verbose names both ends of the log the backup spans.
start=$(sed -n 's/.*write-ahead log start point: \\([0-9A-F]*\\/[0-9A-F]*\\) on timeline \\([0-9]*\\).*/\\1 \\2/p' "$log")
end=$(sed -n 's/.*write-ahead log end point: \\([0-9A-F]*\\/[0-9A-F]*\\).*/\\1/p' "$log")
if [ -z "$start" ] || [ -z "$end" ] || [ ! -s "$work/base.tar.gz" ]; then
  cat "$log" >&2
  echo "freshtrack-base-backup: pg_basebackup did not report where the backup starts and ends; no base backup was kept" >&2
  exit 1
fi
timeline=$(printf '%X' "\${start#* }")
start_lsn=\${start% *}
printf 'timeline=%s\\nstart_lsn=%s\\nend_lsn=%s\\nend_time=%s\\nstart_segment=%s\\nend_segment=%s\\n' \\
  "$timeline" "$start_lsn" "$end" "$ended" "$(segment_of "$timeline" "$start_lsn")" "$(segment_of "$timeline" "$end")" \\
  >"$work/freshtrack-base.info"
mv "$log" "$work/pg_basebackup.log"
mv "$work" "$base_dir/$stamp"
trap - EXIT
echo "base backup written: $base_dir/$stamp (log $start_lsn to $end on timeline $timeline, ended $ended UTC)"
# Retention: the names are UTC times, so they sort by age; the newest is always kept.
cutoff=$(date -u -d "@$(($(date -u +%s) - days * 86400))" +%Y%m%dT%H%M%SZ)
newest=$stamp
oldest=
for d in "$base_dir"/*; do
  old=\${d##*/}
  if [ "$(stamp_number "$old")" -lt "$(stamp_number "$cutoff")" ] && [ "$old" != "$newest" ]; then
    rm -rf "\${base_dir:?}/$old"
    echo "dropped base backup $old: older than $days days"
  elif [ -z "$oldest" ]; then
    oldest=$old
  fi
done
first=$(sed -n 's/^start_segment=//p' "$base_dir/$oldest/freshtrack-base.info")
if [ -n "$first" ] && [ -d "$wal" ]; then
  # Every segment before the oldest kept base backup's start: no restore can use it any more.
  pg_archivecleanup "$wal" "$first"
fi
if [ -n "\${TEXTFILE_DIR:-}" ]; then
  printf '# HELP ${BASE_BACKUP_METRIC} Time the last base backup completed.\\n# TYPE ${BASE_BACKUP_METRIC} gauge\\n${BASE_BACKUP_METRIC} %s\\n' "$(date -u +%s)" >"$TEXTFILE_DIR/freshtrack_base_backup.prom.tmp"
  chmod 644 "$TEXTFILE_DIR/freshtrack_base_backup.prom.tmp"
  mv "$TEXTFILE_DIR/freshtrack_base_backup.prom.tmp" "$TEXTFILE_DIR/freshtrack_base_backup.prom"
fi
`;
}
