/**
 * freshtrack-pitr-restore: a base backup plus the log after it, replayed into a new data directory by a throwaway
 * server, checked, and dumped; the dump then goes through freshtrack-restore (check, new database, one-transaction
 * swap, the old database kept), exactly like a dump restore. The live server, its data volume, its timeline and the
 * archive are never touched.
 */
import { BACKUP_DIR } from "./backupScripts";
import { BASE_DIR, WAL_DIR } from "./pitrNames";
import { PITR_FUNCTIONS } from "./pitrScripts";
import { renderPitrWindowStep } from "./pitrWindowScript";
import { RUN_DIR_FUNCTIONS, SCRIPT_LOCK_FUNCTIONS } from "./scriptLock";

export const PITR_RESTORE_SCRIPT_PATH = "/usr/local/bin/freshtrack-pitr-restore";

/** Exit codes of freshtrack-pitr-restore, which `npm run restore` reads. */
export const PITR_EXIT = {
    usage: 2,
    /** Outside what the archive covers, no base backup, a damaged or missing segment: nothing was done. */
    refused: 3,
    /** The replay failed (PostgreSQL's reason is printed): nothing was changed. */
    replayFailed: 4,
    /** The replay ended somewhere else than the archive says it can reach: nothing was changed. */
    checkFailed: 5,
    /** Another point-in-time restore or drill is running. */
    busy: 6,
} as const;

/** The lines of its output that `npm run restore` reads, each `<label>: <value>`. */
export const PITR_OUTPUT = {
    /** One line per range the archive can reach: `<from> UTC to <to> UTC (<chain directory>)`, oldest first. */
    reachable: "reachable",
    earliest: "earliest reachable",
    latest: "latest reachable",
    recoveryPoint: "recovery point",
    dump: "dump",
} as const;

/**
 * freshtrack-pitr-restore --window | --latest | --to-time 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC).
 *
 * 1. What the archive covers (pitrWindowScript.ts): per log chain (WAL_DIR, and each one the receiver closed after
 *    losing its slot), the ranges from a base backup's end to the last commit the log after it reaches in one piece,
 *    each printed (PITR_OUTPUT.reachable), and overall the earliest and latest. PostgreSQL cannot stop before a base
 *    backup's end, and given such a target it does not refuse but starts at the base's state (PG docs,
 *    "recovery_target_time", checked here). A target outside every range (before, after, or in a gap between two),
 *    --latest when the current chain has no base backup yet or its log is broken (a missing, short or unreadable
 *    segment, another timeline after it) is refused naming every range.
 * 2. The newest base backup of the target's range that ended at or before the target is unpacked as the server's user
 *    (PITR_SERVER_USER, postgres) into a new directory under TMPDIR, and its run of the chain is copied beside it,
 *    `.partial` as its bare name, as it was when the window was read: root owns the archive (0600, the mirrors read
 *    it as root), so root reads and the server's user writes, through a pipe.
 * 3. A server started as that user on a socket only, in that directory, replays to the target (or the end), then
 *    promotes; the last replayed commit must be at or before the target, and equal to the range's last when the replay
 *    goes to its end (--latest, or a time at or past that commit: PostgreSQL fails a target no later commit passes).
 * 4. pg_dump of the database (DATABASE_NAME, as DATABASE_USER) into BACKUP_DIR (or PITR_DUMP_DIR), read back in full,
 *    renamed only then.
 * Everything it made but the dump is removed on exit, whatever the outcome.
 */
export function renderPitrRestoreScript(): string {
    const E = PITR_EXIT;
    const O = PITR_OUTPUT;
    return `#!/bin/sh
# Rendered by components/services/pitrRestoreScript.ts: freshtrack-pitr-restore --window | --latest | --to-time <UTC time>
# The commands run as the server's user (sh -c '...' sh <arguments>) expand their arguments themselves.
# shellcheck disable=SC2016
set -eu
umask 077
${PITR_FUNCTIONS}
${SCRIPT_LOCK_FUNCTIONS}
${RUN_DIR_FUNCTIONS}
base_dir=\${BASE_DIR:-${BASE_DIR}}
wal=\${WAL_DIR:-${WAL_DIR}}
# PITR_DUMP_DIR: where the dump goes instead of the backups (a drill keeps it in its own scratch directory).
dump_dir=\${PITR_DUMP_DIR:-\${BACKUP_DIR:-${BACKUP_DIR}}}
server_user=\${PITR_SERVER_USER:-postgres}
usage() {
  echo "usage: freshtrack-pitr-restore --window | --latest | --to-time 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC)" >&2
  exit ${E.usage}
}
mode=\${1:-}
target=
case "$mode" in
  --window|--latest) [ $# -eq 1 ] || usage ;;
  --to-time)
    [ $# -eq 2 ] || usage
    target=$2
    case "$target" in
      [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]\\ [0-9][0-9]:[0-9][0-9]:[0-9][0-9]) ;;
      [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]\\ [0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9]*)
        case "\${target#*.}" in *[!0-9]*) usage ;; esac ;;
      *) usage ;;
    esac
    micros "$target" >/dev/null 2>&1 || { echo "freshtrack-pitr-restore: '$target' is not a date and time" >&2; usage; }
    ;;
  *) usage ;;
esac
refuse() {
  echo "freshtrack-pitr-restore: $*" >&2
  echo "freshtrack-pitr-restore: nothing was restored and nothing was changed" >&2
  exit ${E.refused}
}
as_server() { gosu "$server_user" "$@"; }

# One restore at a time (take_lock, scriptLock.ts); a lock whose process is gone or runs another program now was left
# by a restore that was killed, and is taken over.
tmp=\${TMPDIR:-/tmp}
lock=$tmp/freshtrack-pitr.lock
take_lock "$lock" freshtrack-pitr-restore || {
  echo "freshtrack-pitr-restore: another point-in-time restore or drill is running (lock $lock); try again when it ends" >&2
  exit ${E.busy}
}
scratch=
work=
# What a killed restore left: its work directory (the server user's, perhaps with a server still running) and scans.
for d in "$tmp"/freshtrack-pitr.* "$tmp"/freshtrack-pitr-scan.*; do
  if [ -d "$d" ]; then remove_run_dir "$d"; fi
done
cleanup() {
  # The new directory is the server user's, 0700: root without DAC_OVERRIDE (the container) cannot look inside.
  if [ -n "$work" ]; then remove_run_dir "$work"; fi
  if [ -n "$scratch" ]; then rm -rf "$scratch"; fi
  release_lock "$lock"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

scratch=$(mktemp -d "$tmp/freshtrack-pitr-scan.XXXXXX")
${renderPitrWindowStep(O)}echo "base backup: $base (ended $(info "$base" end_time) UTC)"

# 2. A new data directory, as the server's user.
work=$(as_server mktemp -d "$tmp/freshtrack-pitr.XXXXXX")
as_server mkdir -m 700 "$work/data" "$work/wal"
as_server tar -xzf - -C "$work/data" <"$base_dir/$base/base.tar.gz"
as_server tar -xzf - -C "$work/data/pg_wal" <"$base_dir/$base/pg_wal.tar.gz"
# The run the range lies in, from the base backup's start to its last whole segment: older segments are never asked
# for, and none past the run's end may be replayed.
if [ -n "$chain" ] && [ -n "$run_last" ]; then
  seg_number "$(info "$base" start_segment)" && first=$sn_num
  seg_number "$run_last" && last=$sn_num
  for f in "$chain"/*; do
    s=\${f##*/}
    case $s in *[!0-9A-F]*|'') continue ;; esac
    [ \${#s} -eq 24 ] || continue
    seg_number "$s"
    if [ "\${s%????????????????}" = "\${run_last%????????????????}" ] && [ "$sn_num" -ge "$first" ] && [ "$sn_num" -le "$last" ]; then
      as_server sh -c 'cat >"$1"' sh "$work/wal/$s" <"$f"
    fi
  done
fi
if [ -n "$tail_partial" ]; then as_server sh -c 'cat >"$1"' sh "$work/wal/$tail_partial" <"$scratch/$tail_partial"; fi
as_server sh -c 'printf "local all all trust\\n" >"$1/pg_hba.conf"' sh "$work"
as_server sh -c ': >"$1/data/recovery.signal"' sh "$work"
target_line=
if [ -n "$replay_target" ]; then target_line="recovery_target_time = '$replay_target+00'"; fi
# Settings after the base's own (PostgreSQL reads postgresql.auto.conf last): a socket in the new directory only,
# little memory (the backup container's limit), no archiving, the log from the copies, and where to stop.
as_server sh -c 'cat >>"$1/data/postgresql.auto.conf"' sh "$work" <<EOF
listen_addresses = ''
unix_socket_directories = '$work'
hba_file = '$work/pg_hba.conf'
port = 5432
shared_buffers = '32MB'
max_connections = 10
hot_standby = off
archive_mode = off
synchronous_standby_names = ''
restore_command = 'cp "$work/wal/%f" "%p"'
recovery_target_action = 'promote'
$target_line
EOF

# 3. Replay, then promote. pg_ctl -w may return while the server still replays (it counts a consistent standby as
# started), so the restore waits until the server answers out of recovery, or stops.
started=$(date -u +%s)
failed() {
  as_server tail -n 20 "$work/server.log" >&2 || true
  echo "freshtrack-pitr-restore: the replay failed (PostgreSQL's log above); nothing was changed" >&2
  exit ${E.replayFailed}
}
as_server pg_ctl -D "$work/data" -l "$work/server.log" -w -t "\${PITR_START_TIMEOUT:-86400}" start >/dev/null || failed
until as_server psql --no-psqlrc --quiet --host "$work" --port 5432 --username "$DATABASE_USER" --dbname postgres \
  --command 'SELECT 1' >/dev/null 2>&1; do
  as_server pg_ctl -D "$work/data" status >/dev/null 2>&1 || failed
  [ $(($(date -u +%s) - started)) -lt "\${PITR_START_TIMEOUT:-86400}" ] || failed
  sleep 1
done
psql_restored() {
  as_server psql --no-psqlrc --tuples-only --no-align --quiet --set ON_ERROR_STOP=1 \\
    --host "$work" --port 5432 --username "$DATABASE_USER" --dbname "$DATABASE_NAME" "$@"
}
reached=$(psql_restored --command "SELECT coalesce(to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), '') || '|' || pg_is_in_recovery()::text")
in_recovery=\${reached#*|}
reached=\${reached%|*}
[ "$in_recovery" = false ] || { echo "freshtrack-pitr-restore: the restored server did not leave recovery" >&2; exit ${E.checkFailed}; }
[ -n "$reached" ] || reached=$(info "$base" end_time)
# A replay to the run's end (--latest, or a time at or past the range's last commit) must reach that commit: one that
# stops short met a record it could not read, and the rows after it would be lost without a word.
if [ "$mode" = --latest ] || [ "$to_kind|$replay_target" = "commit|" ]; then
  [ "$(micros "$reached")" -eq "$(micros "$latest")" ] || {
    echo "freshtrack-pitr-restore: the replay stopped at $reached UTC, not at the last commit in the log ($latest UTC); nothing was changed" >&2
    exit ${E.checkFailed}
  }
fi
if [ "$mode" != --latest ]; then
  [ "$(micros "$reached")" -le "$(micros "$target")" ] || {
    echo "freshtrack-pitr-restore: the replay went past the target ($reached UTC > $target UTC); nothing was changed" >&2
    exit ${E.checkFailed}
  }
  echo "target: $target UTC; the last transaction replayed committed $(( ($(micros "$target") - $(micros "$reached")) / 1000 )) ms before it"
fi
echo "${O.recoveryPoint}: $reached UTC (replayed in $(($(date -u +%s) - started)) s)"
psql_restored --field-separator ': ' <<'SQL'
SELECT c.relname || ' rows', (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public' ORDER BY c.relname;
SQL

# 4. The dump that freshtrack-restore takes from here.
mkdir -p "$dump_dir"
file="$dump_dir/freshtrack-pitr-$(printf '%s' "$reached" | sed 's/[-:]//g; s/ /T/; s/\\..*//')Z-$(date -u +%Y%m%dT%H%M%SZ).dump"
as_server pg_dump --format=custom --no-owner --no-privileges --host "$work" --port 5432 --username "$DATABASE_USER" \\
  --dbname "$DATABASE_NAME" >"$file.partial" || { rm -f "$file.partial"; echo "freshtrack-pitr-restore: pg_dump of the restored database failed; nothing was changed" >&2; exit ${E.checkFailed}; }
pg_restore --file=/dev/null "$file.partial" || { rm -f "$file.partial"; echo "freshtrack-pitr-restore: the dump of the restored database does not read back; nothing was changed" >&2; exit ${E.checkFailed}; }
mv "$file.partial" "$file"
echo "${O.dump}: $file"
`;
}
