/**
 * freshtrack-pitr-restore: a base backup plus the log after it, replayed into a new data directory by a throwaway
 * server, checked, and dumped; the dump then goes through freshtrack-restore (check, new database, one-transaction
 * swap, the old database kept), exactly like a dump restore. The live server, its data volume, its timeline and the
 * archive are never touched.
 */
import { BACKUP_DIR } from "./backupScripts";
import { BASE_DIR, WAL_DIR } from "./pitrNames";
import { PITR_FUNCTIONS, WAL_SEGMENT_BYTES } from "./pitrScripts";

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
    earliest: "earliest reachable",
    latest: "latest reachable",
    recoveryPoint: "recovery point",
    dump: "dump",
} as const;

/**
 * freshtrack-pitr-restore --window | --latest | --to-time 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC).
 *
 * 1. What the archive covers: the complete base backups (each with its freshtrack-base.info), and from the newest
 *    one's end the chain of segments in WAL_DIR, which must follow one another with no gap and each be a whole
 *    segment; the open `.partial` may end it. Earliest: the oldest base backup's end (PostgreSQL cannot stop before a
 *    base backup's end, and given such a target it does not refuse but starts at the base's state: PG docs,
 *    "recovery_target_time", checked here). Latest: the last commit in the chain, read with pg_waldump. A target
 *    outside, a damaged segment, or --latest with a gap or another timeline after the chain is refused naming both
 *    ends.
 * 2. The newest base backup that ended before the target is unpacked as the server's user (PITR_SERVER_USER,
 *    postgres) into a new directory under TMPDIR, and the chain from it is copied beside it, `.partial` as its bare
 *    name, as it was when the window was read: root owns the archive (0600, the mirrors read it as root), so root
 *    reads and the server's user writes, through a pipe.
 * 3. A server started as that user on a socket only, in that directory, replays to the target (or the end), then
 *    promotes; the last replayed commit must be at or before the target, and with --latest equal to the chain's last.
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

# One restore at a time: a symlink to this process's id, made atomically (ln -T refuses anything already there). A lock
# whose process is gone, or is no restore any more (its id reused), was left by a restore that was killed: taken over.
tmp=\${TMPDIR:-/tmp}
lock=$tmp/freshtrack-pitr.lock
if ! ln -sT "$$" "$lock" 2>/dev/null; then
  holder=$(readlink "$lock" 2>/dev/null) || holder=
  case $(tr '\\0' ' ' 2>/dev/null <"/proc/\${holder:-none}/cmdline") in
    *freshtrack-pitr-restore*|'')
      if [ -z "$holder" ] || [ -e "/proc/$holder" ]; then
        echo "freshtrack-pitr-restore: another point-in-time restore or drill is running (lock $lock); try again when it ends" >&2
        exit ${E.busy}
      fi ;;
  esac
  rm -f "$lock"
  ln -sT "$$" "$lock" 2>/dev/null || {
    echo "freshtrack-pitr-restore: another point-in-time restore took the lock $lock first; try again when it ends" >&2
    exit ${E.busy}
  }
fi
scratch=
work=
# What a killed restore left: its work directory (the server user's, perhaps with a server still running) and scans.
for d in "$tmp"/freshtrack-pitr.* "$tmp"/freshtrack-pitr-scan.*; do
  if [ "$d" = "$lock" ] || [ ! -d "$d" ]; then continue; fi
  as_server test -f "$d/data/postmaster.pid" && as_server pg_ctl -D "$d/data" -m immediate stop >/dev/null 2>&1
  as_server rm -rf "$d" 2>/dev/null || rm -rf "$d"
done
cleanup() {
  # The new directory is the server user's, 0700: root without DAC_OVERRIDE (the container) cannot look inside.
  if [ -n "$work" ]; then
    as_server test -f "$work/data/postmaster.pid" && as_server pg_ctl -D "$work/data" -m immediate stop >/dev/null 2>&1
    as_server rm -rf "$work"
  fi
  [ -n "$scratch" ] && rm -rf "$scratch"
  [ "$(readlink "$lock" 2>/dev/null)" = "$$" ] && rm -f "$lock"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. What the archive covers.
bases=
for d in "$base_dir"/*; do
  [ -d "$d" ] || continue
  b=\${d##*/}
  if [ -s "$base_dir/$b/freshtrack-base.info" ] && [ -s "$base_dir/$b/base.tar.gz" ] && [ -s "$base_dir/$b/pg_wal.tar.gz" ]; then
    bases="$bases $b"
  else
    echo "freshtrack-pitr-restore: warning: $base_dir/$b is not a complete base backup; it is left out" >&2
  fi
done
[ -n "$bases" ] || refuse "there is no complete base backup in $base_dir: every point-in-time restore starts from one (the backup schedule makes one after each dump; freshtrack-base-backup makes one now)"
info() { sed -n "s/^$2=//p" "$base_dir/$1/freshtrack-base.info"; }
# segments: the bare name of every segment in the archive, the open one's too, one per line (names are hex digits).
segments() {
  for f in "$wal"/*; do
    n=\${f##*/}
    n=\${n%.partial}
    case $n in *[!0-9A-F]*|'') continue ;; esac
    [ \${#n} -eq 24 ] && echo "$n"
  done
  return 0
}
# size_of <file>: its size in bytes, from ls (the image has no stat).
size_of() {
  # shellcheck disable=SC2046
  set -- $(ls -ln "$1")
  echo "$5"
}
# The names are UTC times (letters and digits only), in order.
# shellcheck disable=SC2086
set -- $bases
oldest=$1
eval "newest=\\\${$#}"
earliest=$(info "$oldest" end_time)
# The chain after the newest base backup: whole segments one after the other, the open one last.
seg=$(info "$newest" end_segment)
chain=
tail_partial=
while :; do
  if [ -f "$wal/$seg" ]; then
    size=$(size_of "$wal/$seg")
    [ "$size" = ${WAL_SEGMENT_BYTES} ] || refuse "segment $wal/$seg is $size bytes, not ${WAL_SEGMENT_BYTES}: it is truncated or damaged, and no restore may replay past it"
    chain="$chain $seg"
    seg=$(next_segment "$seg")
  elif [ -f "$wal/$seg.partial" ]; then
    tail_partial=$seg
    chain="$chain $seg"
    break
  else
    break
  fi
done
# Anything in the archive that sorts after the chain's end is on another timeline or past a missing segment.
beyond=$( (segments; echo "$seg") | sort | tail -n 1)
# With the open segment last, anything after it is on another timeline: the chain cannot be followed into it.
gap=
gap_text=
if [ "$beyond" != "$seg" ]; then
  gap=$seg
  gap_text="segment $seg is missing"
  [ -n "$tail_partial" ] && gap_text="the log goes on after the open segment $seg, on another timeline or past a gap"
fi
# The latest commit in the chain: pg_waldump reads a segment only under its bare name, so the open one is read (and
# later replayed) from a copy taken now.
scratch=$(mktemp -d "$tmp/freshtrack-pitr-scan.XXXXXX")
if [ -n "$tail_partial" ]; then cp "$wal/$tail_partial.partial" "$scratch/$tail_partial"; fi
latest=
reversed=
for s in $chain; do reversed="$s $reversed"; done
for s in $reversed; do
  file="$wal/$s"
  [ "$s" = "$tail_partial" ] && file="$scratch/$s"
  latest=$(pg_waldump "$file" 2>/dev/null | sed -n 's/.*desc: COMMIT \\([0-9-]* [0-9:.]*\\) UTC.*/\\1/p' | tail -n 1)
  [ -n "$latest" ] && break
done
# No commit after the newest base backup: its end is as far as the archive reaches.
[ -n "$latest" ] || latest=$(info "$newest" end_time)
echo "${O.earliest}: $earliest UTC"
echo "${O.latest}: $latest UTC"
window="the archive reaches from $earliest UTC (the end of the oldest base backup, $oldest) to $latest UTC (the last commit in the log)"
if [ -n "$gap" ]; then
  window="$window; $gap_text, so nothing after it can be replayed"
fi
[ "$mode" = --window ] && exit 0
if [ "$mode" = --latest ]; then
  [ -z "$gap" ] || refuse "$gap_text after the log the archive holds in one piece, so the latest point cannot be reached: $window. Choose a time with --to-time, or take a new base backup to start a new chain"
else
  t=$(micros "$target")
  [ "$t" -ge "$(micros "$earliest")" ] || refuse "$target UTC is before what the archive covers: $window"
  [ "$t" -le "$(micros "$latest")" ] || refuse "$target UTC is after what the archive covers: $window"
  # The newest base backup that ended before the target; its chain reaches the target, since the chain checked above
  # starts at the newest base backup's end and every older one's log runs into it.
  for b in $bases; do
    [ "$(micros "$(info "$b" end_time)")" -le "$t" ] && newest=$b
  done
fi
base=$newest
echo "base backup: $base (ended $(info "$base" end_time) UTC)"

# 2. A new data directory, as the server's user.
work=$(as_server mktemp -d "$tmp/freshtrack-pitr.XXXXXX")
as_server mkdir -m 700 "$work/data" "$work/wal"
as_server tar -xzf - -C "$work/data" <"$base_dir/$base/base.tar.gz"
as_server tar -xzf - -C "$work/data/pg_wal" <"$base_dir/$base/pg_wal.tar.gz"
first=$(info "$base" start_segment)
for s in $(segments); do
  [ -f "$wal/$s" ] || continue
  # Only the segments from the base backup's start on; older ones are never asked for.
  [ "$(printf '%s\\n%s\\n' "$first" "$s" | sort | head -n 1)" = "$first" ] || continue
  as_server sh -c 'cat >"$1"' sh "$work/wal/$s" <"$wal/$s"
done
if [ -n "$tail_partial" ]; then as_server sh -c 'cat >"$1"' sh "$work/wal/$tail_partial" <"$scratch/$tail_partial"; fi
as_server sh -c 'printf "local all all trust\\n" >"$1/pg_hba.conf"' sh "$work"
as_server sh -c ': >"$1/data/recovery.signal"' sh "$work"
target_line=
[ -n "$target" ] && target_line="recovery_target_time = '$target+00'"
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
if [ "$mode" = --latest ]; then
  [ "$(micros "$reached")" -eq "$(micros "$latest")" ] || {
    echo "freshtrack-pitr-restore: the replay stopped at $reached UTC, not at the last commit in the log ($latest UTC); nothing was changed" >&2
    exit ${E.checkFailed}
  }
else
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
