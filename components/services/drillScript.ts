/**
 * freshtrack-drill: the restore drill (issue 18, item 4). On backup.drillSchedule, the backup service's crond restores
 * the newest base backup with the log after it (`pitr`) and the newest dump (`dump`) into a throwaway server, checks
 * each against the live database at the recovery point it reached, and records the outcome for node-exporter (the
 * RestoreDrillFailed and RestoreDrillStale alerts) and for `npm run summary`. The live database is only read.
 */
import { EXPORT_TABLES } from "../config/nestedFields";
import { BACKUP_DIR } from "./backupScripts";
import {
    BASE_BACKUP_METRIC_FILE,
    BASE_DIR,
    DRILL_DURATION_METRIC,
    DRILL_RECOVERY_POINT_METRIC,
    DRILL_RUN_METRIC,
    DRILL_SUCCESS_METRIC,
} from "./pitrNames";
import { DRILL_SUMMARY_DIR, drillMetricFile, drillTablesEnv, SUMMARY_NAME } from "./drillRecords";

export {
    DRILL_SUMMARY_DIR,
    DRILL_SUMMARY_FILES,
    drillMetricFile,
    drillTablesEnv,
    parseDrillSummary,
} from "./drillRecords";
export type { DrillSummary } from "./drillRecords";
import { PITR_EXIT, PITR_OUTPUT, PITR_RESTORE_SCRIPT_PATH } from "./pitrRestoreScript";
import { PITR_FUNCTIONS } from "./pitrScripts";
import { RUN_DIR_FUNCTIONS, SCRIPT_LOCK_FUNCTIONS } from "./scriptLock";

export const DRILL_SCRIPT_PATH = "/usr/local/bin/freshtrack-drill";

/** Exit codes of freshtrack-drill. */
export const DRILL_EXIT = {
    /** A kind failed (named in the output and in its summary file), or the drill could not make its lock. */
    failed: 1,
    usage: 2,
    /** Another drill holds the drill lock: nothing was done and nothing was recorded. */
    busy: 3,
} as const;

/**
 * What the script runs besides the shell's builtins, for the postgres image's contract (components/imageContracts/):
 * BusyBox applets, PostgreSQL's programs, gosu, and the point-in-time restore. `test`, `sh`, `cat`, `mktemp`, `rm` and
 * `tail` are also run through gosu, which looks them up on PATH, so they must exist as files, not only as applets.
 */
export const DRILL_TOOLS = {
    applets: "cat chmod date head ln ls md5sum mktemp mv readlink rm sed sh sleep tail test tr".split(" "),
    postgres: ["initdb", "pg_ctl", "pg_restore", "psql"],
    other: ["gosu", PITR_RESTORE_SCRIPT_PATH.replace(/^.*\//, "")],
} as const;

/**
 * How old a live row must be when a drill starts (its time column, in seconds) before the `pitr` kind expects it in the
 * log: the receiver streams each record as it is written, so minutes cover its lag and a reading that reaches the
 * database a little late, while a receiver that is down, or an archive that stopped hours ago, fails the drill.
 */
export const DRILL_SETTLE_SECONDS = 300;

/** The throwaway server's bootstrap superuser: its own name, so the checks never depend on the image's user names. */
const DRILL_SUPERUSER = "freshtrack_drill";

const HELP = {
    [DRILL_RUN_METRIC]: "Time the last restore drill of a kind ended, whatever its outcome.",
    [DRILL_SUCCESS_METRIC]: "Time the last restore drill of a kind that restored and passed every check ended.",
    [DRILL_DURATION_METRIC]: "How long the last successful restore drill of a kind took, in seconds.",
    [DRILL_RECOVERY_POINT_METRIC]:
        "The recovery point the last successful restore drill of a kind reached: the last transaction replayed (pitr), the start of the dump (dump).",
} as const;

/**
 * freshtrack-drill [pitr|dump|all]; `all` (the default) is `pitr` where point-in-time recovery is on (the backup
 * service has POINT_IN_TIME_DAYS; base backups left from before it was turned off do not count) and `dump` always.
 * Each kind: (1) what it restores and its recovery point: freshtrack-pitr-restore --latest, or the newest dump; (2)
 * pg_restore --list, then a throwaway cluster of the server's user (PITR_SERVER_USER) under TMPDIR restores the dump;
 * (3) per DRILL_TABLES table, the count and md5 of the timestamps at or before the recovery point, equal in the
 * restored copy and in live, and for `pitr` no live row between the point and DRILL_SETTLE_SECONDS before the start;
 * (4) metrics and summary file.
 * A kind with nothing to restore is skipped, not failed, while no drill of that kind has ever run here (no summary
 * file): a new stack has no dump before its first scheduled backup, and RestoreDrillStale and BackupMissing watch a
 * stack that never makes one. Once a drill of that kind has run, nothing to restore is a failure.
 */
export function renderDrillScript(): string {
    const E = DRILL_EXIT;
    const su = DRILL_SUPERUSER;
    return `#!/bin/sh
# Rendered by components/services/drillScript.ts: freshtrack-drill [pitr|dump|all]
# Uses BusyBox sh, its applets ${DRILL_TOOLS.applets.join(" ")};
# PostgreSQL's ${DRILL_TOOLS.postgres.join(" ")}; ${DRILL_TOOLS.other.join(" ")} (DRILL_TOOLS); on the PATH crond hands its
# jobs, the container's (only a crontab naming one sets another: mirror/busybox@1_36_1 miscutils/crond.c:666-679).
# The commands run as the server's user (sh -c '...' sh <arguments>) expand their arguments themselves.
# shellcheck disable=SC2016
set -u
umask 077
${PITR_FUNCTIONS}
base_dir=\${BASE_DIR:-${BASE_DIR}}
dump_dir=\${BACKUP_DIR:-${BACKUP_DIR}}
tmp=\${TMPDIR:-/tmp}
server_user=\${PITR_SERVER_USER:-postgres}
summary_prefix=\${DRILL_SUMMARY_DIR:-${DRILL_SUMMARY_DIR}}/${SUMMARY_NAME}
tables=\${DRILL_TABLES:-${drillTablesEnv(EXPORT_TABLES.default)}}
# How long the pitr kind waits for a point-in-time restore that holds its lock (an operator's) before it fails.
lock_wait=\${DRILL_LOCK_WAIT_SECONDS:-3600}
# How old a live row must be, at the drill's start, before the pitr kind expects it in the log (the receiver's lag).
settle=\${DRILL_SETTLE_SECONDS:-${DRILL_SETTLE_SECONDS}}
say() { echo "freshtrack-drill: $*"; }
bad_setting() { echo "freshtrack-drill: $*" >&2; exit ${E.usage}; }
usage() { bad_setting "usage: freshtrack-drill [pitr|dump|all] (all, the default: pitr where it is set up, and dump)"; }
as_server() { gosu "$server_user" "$@"; }
${SCRIPT_LOCK_FUNCTIONS}
${RUN_DIR_FUNCTIONS}
has_base_backup() { for d in "$base_dir"/*; do if [ -d "$d" ]; then return 0; fi; done; return 1; }
[ $# -le 1 ] || usage
case \${1:-all} in
  pitr|dump) kinds=$1 ;;
  all) if [ -n "\${POINT_IN_TIME_DAYS:-}" ]; then kinds="pitr dump"; else kinds=dump pitr_off=1; fi ;;
  *) usage ;;
esac
for v in DATABASE_HOST DATABASE_PORT DATABASE_USER DATABASE_NAME DATABASE_PASSWORD_FILE; do
  eval "given=\\\${$v:-}"
  [ -n "$given" ] || bad_setting "$v is not set: the checks read the live database with the DATABASE_* settings"
done
case $lock_wait in ''|*[!0-9]*) bad_setting "DRILL_LOCK_WAIT_SECONDS must be a whole number, not '$lock_wait'" ;; esac
case $settle in ''|*[!0-9]*) bad_setting "DRILL_SETTLE_SECONDS must be a whole number, not '$settle'" ;; esac
# Plain lowercase SQL names only (as rollback.exportTables allows), so the list splits safely and names quote plainly.
case $tables in ''|*[!a-z0-9_:\\ ]*) bad_setting "DRILL_TABLES must be table:column pairs of plain lowercase SQL names, not '$tables'" ;; esac
for pair in $tables; do
  case $pair in *:*:*) ;; [a-z_]*:[a-z_]*) continue ;; esac
  bad_setting "DRILL_TABLES: '$pair' is not one table:column pair of plain lowercase SQL names"
done

# One drill at a time: the drill lock (take_lock, scriptLock.ts), for the whole run. freshtrack-pitr-restore takes its
# own (freshtrack-pitr.lock) and, finding it held, exits at once; the drill never holds that one, the restore never asks
# for the drill's, so no cycle of waits, no deadlock: a drill that finds a restore running waits outside its lock.
lock=$tmp/freshtrack-drill.lock
work='' scratch=''
# sweep [leftover]: every drill directory under $tmp, its server first. Only while holding the lock, when each is this
# drill's or a killed drill's; by name, so a directory made just before a signal, its name not yet kept, goes too.
sweep() {
  for d in "$tmp"/freshtrack-drill-work.*; do
    [ -d "$d" ] || continue
    if [ "\${1:-}" = leftover ]; then say "removing $d, left by a drill that was killed"; fi
    remove_run_dir "$d"
  done
  for d in "$tmp"/freshtrack-drill-scratch.*; do if [ -d "$d" ]; then rm -rf "$d"; fi; done
  work='' scratch=''
}
on_exit() { if [ "$(readlink "$lock" 2>/dev/null)" = "$$" ]; then sweep; release_lock "$lock"; fi; }
trap on_exit EXIT
trap 'exit 130' INT && trap 'exit 143' TERM
take_lock "$lock" freshtrack-drill || {
  [ -n "$lock_holder" ] || { echo "freshtrack-drill: cannot make the lock $lock" >&2; exit ${E.failed}; }
  echo "freshtrack-drill: another drill is running (process $lock_holder, lock $lock); nothing was done" >&2
  exit ${E.busy}
}
sweep leftover
# Point-in-time recovery is off: what its drills and base backups last recorded would keep RestoreDrillStale and
# BaseBackupMissing firing, and npm run summary showing a stale pitr drill, for ever. They go, said once.
if [ -n "\${pitr_off:-}" ]; then
  for f in "${drillMetricFile("${TEXTFILE_DIR:-/nonexistent}", "pitr")}" "\${TEXTFILE_DIR:-/nonexistent}/${BASE_BACKUP_METRIC_FILE}" "\${summary_prefix}pitr"; do
    if [ -f "$f" ]; then rm -f "$f" && say "point-in-time recovery is off: removed $f, its last record"; fi
  done
fi

# The live database: the DATABASE_* connection, straight to PostgreSQL, in a subshell so that no other command (the
# throwaway server's) sees its settings.
live_psql() (
  PGPASSWORD=$(cat "$DATABASE_PASSWORD_FILE") || exit 2
  PGSSLMODE=\${DATABASE_SSLMODE:-disable} PGHOST=$DATABASE_HOST PGPORT=$DATABASE_PORT PGUSER=$DATABASE_USER
  export PGPASSWORD PGSSLMODE PGHOST PGPORT PGUSER
  exec psql --no-psqlrc --quiet --tuples-only --no-align --set ON_ERROR_STOP=1 --dbname "$DATABASE_NAME" "$@"
)
# restored_psql <database> [psql arguments]: the throwaway server, on its socket, as its superuser.
restored_psql() {
  db=$1 && shift
  as_server psql --no-psqlrc --quiet --tuples-only --no-align --set ON_ERROR_STOP=1 \\
    --host "$work" --port 5432 --username ${su} --dbname "$db" "$@"
}
side_psql() {
  side=$1 && shift
  if [ "$side" = live ]; then live_psql "$@"; else restored_psql drill "$@"; fi
}
first_error() { sed -n '/./p' "$1" | head -n 1; }
# failed <what>: one more thing this kind found wrong, said now and kept for its summary; it returns 1, which
# \`failed ... || return\` hands on.
failed() {
  echo "freshtrack-drill: $kind: FAILED: $1" >&2
  detail=\${detail:+$detail; }$1
  return 1
}

# 1. What each kind restores, and the point in time it restores to.
drill_pitr() {
  has_base_backup || [ -e "$summary_file" ] ||
    { detail="no base backup in $base_dir yet, and no pitr drill has run here before" && return 2; }
  command -v freshtrack-pitr-restore >/dev/null || failed "freshtrack-pitr-restore is not here: is point-in-time recovery off?" || return
  log=$scratch/restore.log give_up=$(($(date -u +%s) + lock_wait))
  while :; do
    PITR_DUMP_DIR=$scratch freshtrack-pitr-restore --latest >"$log" 2>&1
    rc=$?
    if [ "$rc" -ne ${PITR_EXIT.busy} ] || [ "$(date -u +%s)" -ge "$give_up" ]; then break; fi
    say "pitr: a point-in-time restore is running; trying again in 10 s (until $(date -u -d "@$give_up" +%H:%M:%S) UTC)"
    sleep 10
  done
  sed 's/^/  | /' "$log"
  case $rc in
    0) ;;
    ${PITR_EXIT.busy}) failed "a point-in-time restore held its lock ($tmp/freshtrack-pitr.lock) for more than $lock_wait s; if none runs, the lock is stale: remove it" || return ;;
    *) failed "freshtrack-pitr-restore --latest failed (exit $rc): $(sed -n '/^freshtrack-pitr-restore: warning:/d; s/^freshtrack-pitr-restore: //p' "$log" | head -n 1)" || return ;;
  esac
  point=$(sed -n 's/^${PITR_OUTPUT.recoveryPoint}: \\([0-9-]* [0-9:.]*\\) UTC.*/\\1/p' "$log")
  dump=$(sed -n 's/^${PITR_OUTPUT.dump}: //p' "$log")
  [ -n "$point" ] && [ -n "$dump" ] && [ -f "$dump" ] ||
    failed "freshtrack-pitr-restore --latest did not report its recovery point and dump" || return
  say "pitr: replayed to $point UTC, the last transaction in the log"
  check_dump "$dump"
}
drill_dump() {
  # Newest by modification time, as freshtrack-restore takes it; \`.partial\` files (unfinished) do not match. Not a
  # point-in-time restore's dump (freshtrack-pitr-*), which that restore checked as it wrote it: the drill proves the
  # dumps the backup service takes.
  # shellcheck disable=SC2012
  dump=$(ls -1t "$dump_dir"/freshtrack-*.dump 2>/dev/null | sed '/\\/freshtrack-pitr-[^\\/]*$/d' | head -n 1)
  if [ -z "$dump" ]; then
    [ -e "$summary_file" ] || { detail="no dump in $dump_dir yet, and no dump drill has run here before" && return 2; }
    failed "no dump (freshtrack-*.dump, not freshtrack-pitr-*) in $dump_dir" || return
  fi
  # The recovery point: the time in the name, which freshtrack-backup takes before pg_dump starts, so the dump's
  # snapshot is later and holds every row committed before it. The modification time is the dump's end, after the
  # snapshot (rows committed while pg_dump ran are not in it): only for a name without a time.
  name=\${dump##*/}
  stamp=\${name%.dump} && stamp=\${stamp##*-}
  case $stamp in
    [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z)
      point=$(echo "$stamp" | sed 's/^\\(....\\)\\(..\\)\\(..\\)T\\(..\\)\\(..\\)\\(..\\)Z$/\\1-\\2-\\3 \\4:\\5:\\6/')
      from="the time in its name" ;;
    *)
      point=$(date -u -r "$dump" '+%Y-%m-%d %H:%M:%S')
      from="its modification time (its name has no time; a row committed while it was written may be missing)" ;;
  esac
  micros "$point" >/dev/null 2>&1 || { failed "cannot read a time from $dump ('$point')"; point=; return 1; }
  say "dump: $dump; recovery point $point UTC, $from"
  check_dump "$dump"
}

# 2. The dump, read, then restored into a throwaway server.
check_dump() {
  pg_restore --list "$1" >/dev/null 2>"$scratch/list.err" ||
    failed "pg_restore --list cannot read $1: $(first_error "$scratch/list.err")" || return
  say "$kind: pg_restore --list reads $1"
  work=$(as_server mktemp -d "$tmp/freshtrack-drill-work.XXXXXX") ||
    { work='' && failed "the server's user ($server_user) cannot make a directory under $tmp" || return; }
  # C and UTF-8: in every build, and nothing compared depends on collation (timestamps only).
  as_server initdb --pgdata="$work/data" --username=${su} --auth=trust --encoding=UTF8 --locale=C --no-sync \\
    >"$scratch/initdb.log" 2>&1 || failed "initdb failed: $(tail -n 1 "$scratch/initdb.log")" || return
  # A socket in the new directory (the server user's, 0700) and no TCP: nothing else can reach it. Little memory: the
  # backup container has 128 MB. A crash loses only the throwaway copy, so nothing is synced and little is logged.
  as_server sh -c 'cat >>"$1"' sh "$work/data/postgresql.auto.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$work'
port = 5432
shared_buffers = '32MB'
max_connections = 10
work_mem = '4MB'
maintenance_work_mem = '16MB'
fsync = off
full_page_writes = off
synchronous_commit = off
wal_level = minimal
max_wal_senders = 0
EOF
  as_server pg_ctl -D "$work/data" -l "$work/server.log" -w -t 300 start >/dev/null 2>&1 ||
    failed "the throwaway server did not start: $(as_server tail -n 1 "$work/server.log" 2>/dev/null)" || return
  restored_psql postgres --command 'CREATE DATABASE drill' >/dev/null 2>"$scratch/psql.err" ||
    failed "cannot create a database in the throwaway server: $(first_error "$scratch/psql.err")" || return
  # The dump is root's, 0600, and pg_restore runs as the server's user: root reads, that user writes, through a pipe;
  # pg_restore then reads a file it can seek in.
  as_server sh -c 'cat >"$1"' sh "$work/drill.dump" <"$1" || failed "cannot hand $1 to the server's user" || return
  as_server pg_restore --exit-on-error --no-owner --no-privileges --host "$work" --port 5432 --username ${su} \\
    --dbname drill "$work/drill.dump" 2>"$scratch/restore.err" ||
    failed "pg_restore into the throwaway server failed: $(first_error "$scratch/restore.err")" || return
  as_server rm -f "$work/drill.dump"
  say "$kind: restored into a throwaway server"
  bad=0
  for pair in $tables; do
    t=\${pair%%:*} c=\${pair#*:}
    compare_table || bad=1
  done
  return "$bad"
}

# 3. The restored copy against live, at the recovery point. Timestamps, not whole rows: live rows may be updated after
# the recovery point (an alert acknowledged, a reading corrected), so whole rows differ without anything lost, while
# the set of rows whose time is at or before the point does not change once they are committed: an insert-only
# comparison is exact. A row lost by the restore, or restored with another time, changes the count or the checksum.
# A row that reaches live late with an earlier time (a reading a gateway sent hours later, a transaction that began
# before the point and committed after it) fails it too: each failure names its table and both counts.
shape() {
  side_psql "$1" --set t="$t" --set c="$c" 2>"$scratch/psql.err" <<'SQL'
SELECT CASE WHEN to_regclass(:'t') IS NULL THEN 'missing'
  WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
    WHERE attrelid = to_regclass(:'t') AND attname = :'c' AND attnum > 0 AND NOT attisdropped) THEN 'ok'
  ELSE 'no-column' END;
SQL
}
# digest <side>: "<count> <md5>" of the table's timestamps at or before the point, in order, read in one snapshot.
# The timestamps stream through md5sum (a table of sensor readings does not fit in the container's memory), in UTC and
# ISO form on both sides; read takes the count's line alone (the shell reads a pipe a byte at a time:
# mirror/busybox@1_36_1 shell/shell_common.c:206), md5sum the rest.
digest() {
  {
    side_psql "$1" --set t="$t" --set c="$c" --set point="$point+00" 2>"$scratch/psql.err" <<'SQL'
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SELECT count(*) FROM :"t" WHERE :"c" <= :'point'::timestamptz;
COPY (SELECT :"c" FROM :"t" WHERE :"c" <= :'point'::timestamptz ORDER BY 1) TO STDOUT;
COMMIT;
SQL
    echo $? >"$scratch/psql.status"
  } | { read -r n && sum=$(md5sum) && echo "$n \${sum%% *}"; }
  [ "$(cat "$scratch/psql.status")" = 0 ]
}
compare_table() {
  in_restored=$(shape restored) || failed "$t: cannot read the restored copy: $(first_error "$scratch/psql.err")" || return
  in_live=$(shape live) || failed "$t: cannot read live: $(first_error "$scratch/psql.err")" || return
  case $in_restored/$in_live in
    missing/missing)
      say "$kind: $t: skipped: no such table in the restored copy nor in live"
      checked="$checked; $t skipped (in neither)" && return 0 ;;
    missing/*) failed "$t: in live but not in the restored copy" || return ;;
    */missing) failed "$t: in the restored copy but not in live" || return ;;
    ok/ok) ;;
    *) failed "$t: no column $c in the restored copy or in live" || return ;;
  esac
  restored=$(digest restored) || failed "$t: cannot read the restored copy: $(first_error "$scratch/psql.err")" || return
  live=$(digest live) || failed "$t: cannot read live: $(first_error "$scratch/psql.err")" || return
  [ "$restored" = "$live" ] ||
    failed "$t: rows with $c at or before $point UTC: \${restored%% *} in the restored copy (md5 \${restored#* }), \${live%% *} in live (md5 \${live#* })" || return
  say "$kind: $t: \${live%% *} rows with $c at or before $point UTC, md5 \${live#* }, the same in the restored copy and in live"
  checked="$checked; $t \${live%% *} rows"
  if [ "$kind" = pitr ]; then unarchived; fi
}
# The pitr kind's recovery point is the last commit in the log, so with the receiver down the copy still matches live up
# to it: a restore today would lose everything since, and only live can tell. Rows committed before the restore read
# the log are in it, so live rows after the point, older than the drill's start less DRILL_SETTLE_SECONDS, are missing.
unarchived() {
  [ "$(micros "$point")" -lt "$(micros "$settled_at")" ] ||
    { say "$kind: $t: the recovery point is less than $settle s before the drill began: no live row is old enough to be missing" && return 0; }
  n=$(live_psql --set t="$t" --set c="$c" --set point="$point+00" --set settled="$settled_at+00" 2>"$scratch/psql.err" <<'SQL'
SELECT count(*) FROM :"t" WHERE :"c" > :'point'::timestamptz AND :"c" <= :'settled'::timestamptz;
SQL
  ) || failed "$t: cannot read live: $(first_error "$scratch/psql.err")" || return
  [ "$n" = 0 ] ||
    failed "$t: $n rows in live with $c after the recovery point ($point UTC) and at or before $settled_at UTC are not in the log: the archive stops at the recovery point; is the WAL receiver streaming? (troubleshooting: wal-archiving-behind)" || return
  say "$kind: $t: no live row with $c between the recovery point and $settled_at UTC is missing from the log"
}

# 4. What a kind records. On success the run and success times are the same instant (RestoreDrillFailed compares them);
# on failure only the run time moves, and the last success's lines are carried over from the file.
metric() { printf '# HELP %s %s\\n# TYPE %s gauge\\n%s{kind="%s"} %s\\n' "$1" "$2" "$1" "$1" "$kind" "$3"; }
previous() {
  v=$(sed -n "s/^$1{kind=\\"$kind\\"} //p" "$prom" 2>/dev/null | tail -n 1)
  case $v in ''|*[!0-9.e+-]*) ;; *) echo "$v" ;; esac
}
write_metrics() {
  prom=$TEXTFILE_DIR/freshtrack_restore_drill_$kind.prom
  if [ "$outcome" = passed ]; then
    success=$finished duration=$((finished - started)) m=$(micros "$point")
    recovered=$((m / 1000000)).$(printf '%06d' $((m % 1000000)))
  else
    success=$(previous ${DRILL_SUCCESS_METRIC}) duration=$(previous ${DRILL_DURATION_METRIC}) recovered=$(previous ${DRILL_RECOVERY_POINT_METRIC})
  fi
  {
    metric ${DRILL_RUN_METRIC} "${HELP[DRILL_RUN_METRIC]}" "$finished"
    if [ -n "$success" ]; then metric ${DRILL_SUCCESS_METRIC} "${HELP[DRILL_SUCCESS_METRIC]}" "$success"; fi
    if [ -n "$duration" ]; then metric ${DRILL_DURATION_METRIC} "${HELP[DRILL_DURATION_METRIC]}" "$duration"; fi
    if [ -n "$recovered" ]; then metric ${DRILL_RECOVERY_POINT_METRIC} "${HELP[DRILL_RECOVERY_POINT_METRIC]}" "$recovered"; fi
  } >"$prom.tmp" &&
    # The metrics are public; node-exporter reads them as another user (nobody in prom/node-exporter).
    chmod 644 "$prom.tmp" && mv "$prom.tmp" "$prom"
}
write_summary() {
  at='' && [ -z "$point" ] || at="$(echo "$point" | sed 's/ /T/')Z"
  printf 'kind=%s\\noutcome=%s\\nfinished=%s\\nduration_seconds=%s\\nrecovery_point=%s\\ndetail=%s\\n' \\
    "$kind" "$outcome" "$(date -u -d "@$finished" +%Y-%m-%dT%H:%M:%SZ)" "$((finished - started))" "$at" \\
    "$(printf '%s' "$detail" | tr '\\n' ' ')" >"$summary_file.tmp" && mv "$summary_file.tmp" "$summary_file"
}
run_kind() {
  kind=$1 summary_file=$summary_prefix$1 point='' detail='' checked='' started=$(date -u +%s)
  settled_at=$(date -u -d "@$((started - settle))" '+%Y-%m-%d %H:%M:%S')
  if scratch=$(mktemp -d "$tmp/freshtrack-drill-scratch.XXXXXX"); then
    if [ "$kind" = pitr ]; then drill_pitr; else drill_dump; fi
    result=$?
  else
    scratch= && failed "cannot make a scratch directory under $tmp"
    result=1
  fi
  sweep
  finished=$(date -u +%s)
  case $result in
    0) outcome=passed detail="restored to $point UTC and compared with live\${checked}" ;;
    2) say "$kind: skipped: $detail" && return 0 ;;
    *) outcome=failed ;;
  esac
  recorded=0
  if [ -n "\${TEXTFILE_DIR:-}" ]; then
    write_metrics || { echo "freshtrack-drill: $kind: cannot write $prom" >&2; recorded=1; }
  fi
  write_summary || { echo "freshtrack-drill: $kind: cannot write $summary_file" >&2; recorded=1; }
  [ "$outcome" = failed ] || say "$kind: passed in $((finished - started)) s: $detail"
  [ "$outcome" = passed ] || echo "freshtrack-drill: $kind: failed after $((finished - started)) s: $detail" >&2
  [ "$outcome" = passed ] && [ "$recorded" = 0 ]
}

status=0
for kind in $kinds; do run_kind "$kind" || status=${E.failed}; done
[ "$status" -eq 0 ] || exit "$status"
`;
}
