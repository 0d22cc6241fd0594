/**
 * Point-in-time recovery's scripts (freshtrack:backup.pointInTime): POSIX sh, rendered once, run in the postgres
 * image by the WAL receiver, by the backup service (base backups, restores) and in the tests against Debian's
 * PostgreSQL. Everything else comes from env and the password files. Why pg_receivewal and not archive_command is in
 * docs/operations.md, "Restore to a point in time".
 */
import { BASE_BACKUP_SCRIPT_PATH, libpqConnection } from "./backupScripts";
import {
    BASE_BACKUP_METRIC,
    BASE_BACKUP_METRIC_FILE,
    BASE_DIR,
    BASE_INCOMPLETE_DIR,
    CLOSED_CHAIN_PREFIX,
    WAL_DIR,
    WAL_RECEIVER_APPLICATION,
    WAL_SLOT,
    SYSTEM_ID_FILE,
} from "./pitrNames";
import { SCRIPT_LOCK_FUNCTIONS } from "./scriptLock";

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
 * segment is `<segment>.partial` until complete, which the mirrors leave alone. Docker's stop signal (TERM, or the
 * image's INT) ends it with INT, on which it writes what it has and exits 0.
 *
 * It never makes its slot on a normal start: the database-grant job does (renderWalSlot), before the receiver starts
 * (it `requires` that job), and drops it when point-in-time recovery is off; a receiver still running during that
 * update must not bring it back. So pg_receivewal runs with --no-loop (it exits on any lost connection instead of
 * retrying by itself every 5 s: pg_receivewal.c:982-990 in 15.18) and each exit goes through the loop, which asks the
 * server for the slot's wal_status as the replication role (pg_replication_slots, readable by PUBLIC, as the health
 * check reads it) and says why it starts again after 5 s: no slot, the server unreachable, or anything else.
 *
 * One case it mends: a slot `lost` (max_slot_wal_keep_size: the server removed log the receiver never had; 15.18
 * slotfuncs.c:372). pg_receivewal would then ask for the segment after its newest, which is gone, for ever. The
 * receiver closes the current chain (WAL_DIR renamed, as it is, to `<CLOSED_CHAIN_PREFIX><UTC time>`: pitrNames.ts),
 * drops the slot and makes it anew reserving the log from the server's last checkpoint at once, both over the
 * replication protocol, which the role may use because it has REPLICATION (postinit.c:895-898 in 15.18; walsender.c
 * runs CREATE_REPLICATION_SLOT and DROP_REPLICATION_SLOT with no further check, :1837-1848, and RESERVE_WAL reserves
 * for a physical slot, :1192-1194 and slot.c:1265-1270, the redo pointer of the last checkpoint). Not pg_receivewal
 * --create-slot, which reserves nothing until it streams (it passes reserve_wal false: pg_receivewal.c:956 in 15.18,
 * and the same call in postgres/postgres@0245f8db). It logs the gap loudly and streams into a fresh WAL_DIR: the
 * backup service's `freshtrack-base-backup --if-needed` takes the new chain's first base backup within 15 minutes.
 */
export function renderWalReceiverScript(): string {
    return `#!/bin/sh
# Rendered by components/services/pitrScripts.ts: freshtrack-wal-receiver
set -u
# The log holds every customer's records, as the dumps do: readable by this user only (the mirrors run as it too).
umask 077
${PITR_FUNCTIONS}
wal=\${WAL_DIR:-${WAL_DIR}}
closed_prefix=\${CLOSED_CHAIN_PREFIX:-${CLOSED_CHAIN_PREFIX}}
slot=\${WAL_SLOT:-${WAL_SLOT}}
mkdir -p "$wal" || exit 1
chmod 700 "$wal" "$(dirname "$wal")"
${REPLICATION_CONNECTION}
PGAPPNAME=${WAL_RECEIVER_APPLICATION}
export PGAPPNAME
sync_flag=
[ "\${SYNCHRONOUS:-0}" = 1 ] && sync_flag=--synchronous
say() { echo "freshtrack-wal-receiver: $*" >&2; }
# slot_state: the slot's wal_status and the segment of its restart_lsn ('-' when it has none), or nothing when there is
# no slot; fails when the server cannot be asked. Under its own application_name: it is no standby.
slot_state() {
  PGAPPNAME=freshtrack_wal_receiver_check psql --no-psqlrc --tuples-only --no-align --field-separator=' ' \\
    --dbname postgres --set slot="$slot" <<'SQL'
SELECT s.wal_status, coalesce(pg_catalog.pg_walfile_name(s.restart_lsn), '-')
  FROM pg_catalog.pg_replication_slots s WHERE s.slot_name = :'slot';
SQL
}
# close_chain: the current chain renamed as it is to a closed one, and a new, empty one made; $closed and $last
# say which and up to where (both empty when the chain held no segment: nothing to close).
close_chain() {
  last=
  for f in "$wal"/*; do
    case \${f##*/} in ????????????????????????|????????????????????????.partial) last=\${f##*/} ;; esac
  done
  closed=
  if [ -n "$last" ]; then
    closed=$closed_prefix$(date -u +%Y%m%dT%H%M%SZ)
    mv "$wal" "$closed" || { say "could not close the chain: mv $wal $closed failed"; return 1; }
    { mkdir -p "$wal" && chmod 700 "$wal"; } || { say "could not make a new $wal"; return 1; }
  fi
}
# needed_segment: the segment pg_receivewal asks for first, from what the chain holds: the open one, else the one after
# the newest whole one (the names sort in the log's order, X.partial before the segment after X); nothing when empty.
needed_segment() {
  need=
  for f in "$wal"/*; do
    case \${f##*/} in
      ????????????????????????) need=$(next_segment "\${f##*/}") ;;
      ????????????????????????.partial) need=\${f##*/} && need=\${need%.partial} ;;
    esac
  done
  echo "$need"
}
# slot_ahead <restart segment>: the slot starts after the segment this chain needs next, on the same timeline: the
# server no longer has the log between (a slot made anew: point-in-time recovery turned on again, a drop by hand).
slot_ahead() {
  need=$(needed_segment)
  [ -n "$need" ] && [ "$1" != - ] && [ "$1" != "$need" ] || return 1
  [ "\${need%????????????????}" = "\${1%????????????????}" ] || return 1
  [ "$(printf '%s\\n%s\\n' "$need" "$1" | sort | tail -n 1)" = "$1" ]
}
# new_chain: the slot is lost. The current chain is closed as it is, the slot made anew, holding the log at once.
new_chain() {
  close_chain || return 1
  pg_receivewal --no-password --slot="$slot" --drop-slot || say "could not drop the lost slot $slot (made anew all the same)"
  psql --no-psqlrc --tuples-only --no-align --dbname "dbname=replication replication=true" \\
    --command "CREATE_REPLICATION_SLOT $slot PHYSICAL RESERVE_WAL" >/dev/null || {
    say "could not make the replication slot $slot anew; trying again in 5 s"
    return 1
  }
  first=$(slot_state) || first=
  first=\${first#* }
  say "!!! replication slot $slot was lost: the server removed log this receiver never copied (max_slot_wal_keep_size)"
  if [ -n "$closed" ]; then
    say "!!! the chain up to segment $last is closed, unchanged, in $closed"
    say "!!! a new chain starts in $wal at segment \${first:-unknown}: the log after $last and before it is missing, and no restore reaches a time in that gap"
  else
    say "!!! there was no chain to close ($wal held no segment); a new chain starts in $wal at segment \${first:-unknown}"
  fi
  say "!!! a base backup of the new chain follows within 15 minutes (freshtrack-base-backup --if-needed); until then it restores nothing"
}
# same_server: the chain in $wal is this server's (${SYSTEM_ID_FILE} holds the system identifier IDENTIFY_SYSTEM
# gives). A server whose data directory was made anew (a lost volume, a new cluster) counts from the start of the log
# again: its segments must not join the old server's chain, nor would pg_receivewal stream into it (it resumes after
# the newest segment there). Such a chain is closed as a lost slot's is. Not known (the server unreachable): left to
# pg_receivewal, which then fails and comes back here.
same_server() {
  id=$(server_system_id) || return 0
  [ -n "$id" ] || return 0
  known=$(cat "$wal/${SYSTEM_ID_FILE}" 2>/dev/null) || known=
  if [ "$known" = "$id" ]; then return 0; fi
  if [ -z "$known" ]; then echo "$id" >"$wal/${SYSTEM_ID_FILE}"; return 0; fi
  close_chain || return 1
  echo "$id" >"$wal/${SYSTEM_ID_FILE}" || { say "could not write $wal/${SYSTEM_ID_FILE}"; return 1; }
  say "!!! the server is another database cluster (system identifier $id; the log in $wal was of $known): \${closed:+that chain is closed, unchanged, in $closed, and }a new one starts"
  say "!!! a base backup of the new chain follows within 15 minutes (freshtrack-base-backup --if-needed); until then it restores nothing"
}
stopping=
child=
trap 'stopping=1; [ -n "$child" ] && kill -INT "$child" 2>/dev/null' TERM INT
while [ -z "$stopping" ]; do
  same_server || { sleep 5 & wait $!; continue; }
  pg_receivewal --no-password --directory="$wal" --slot="$slot" --no-loop $sync_flag &
  child=$!
  # A trap ends the first wait early; the second collects pg_receivewal's own exit.
  wait "$child"
  wait "$child"
  status=$?
  child=
  [ -n "$stopping" ] && break
  if state=$(slot_state); then
    case $state in
      'lost '*) new_chain && continue ;;
      *' '*)
        if slot_ahead "\${state#* }" && close_chain; then
          say "!!! replication slot $slot starts at segment \${state#* }, after $need, the next one the chain in $wal needs: the server no longer has the log between (a slot made anew, as when point-in-time recovery is turned on again)"
          say "!!! the chain up to segment $last is closed, unchanged, in $closed; a new chain starts in $wal, and no restore reaches a time in that gap"
          say "!!! a base backup of the new chain follows within 15 minutes (freshtrack-base-backup --if-needed); until then it restores nothing"
          continue
        fi
        say "pg_receivewal exited with status $status (slot $slot: \${state% *}); starting it again in 5 s" ;;
      '') say "pg_receivewal exited with status $status: the server has no replication slot $slot (the database-grant job makes it; it drops it when point-in-time recovery is off); trying again in 5 s" ;;
    esac
  else
    say "pg_receivewal exited with status $status, and the server could not be asked about slot $slot; starting it again in 5 s"
  fi
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
 * Shell functions shared by the receiver, the base backup and the point-in-time restore: a segment's file name from an
 * LSN, the next segment's name, the server's system identifier, whether a base backup belongs to a chain, and a time
 * in microseconds since the epoch from `YYYY-MM-DD HH:MM:SS[.ffffff]` in UTC (date
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
}
# server_system_id: the system identifier of the server the replication settings name (IDENTIFY_SYSTEM), or nothing.
server_system_id() {
  psql --no-psqlrc --tuples-only --no-align --dbname "dbname=replication replication=true" \\
    --command IDENTIFY_SYSTEM 2>/dev/null | sed -n '1s/|.*//p'
}
# belongs <chain directory> <base backup directory>: the chain holds the base backup's end segment, whole or open, and
# is of the same server where both say which (base backups and chains from before ${SYSTEM_ID_FILE} do not): a server
# made anew counts its segments from the start again, so a name alone could match another server's chain.
belongs() {
  end=$(sed -n 's/^end_segment=//p' "$2/freshtrack-base.info" 2>/dev/null) || return 1
  [ -n "$end" ] && { [ -f "$1/$end" ] || [ -f "$1/$end.partial" ]; } || return 1
  base_id=$(sed -n 's/^system_identifier=//p' "$2/freshtrack-base.info" 2>/dev/null) || base_id=
  chain_id=$(cat "$1/${SYSTEM_ID_FILE}" 2>/dev/null) || chain_id=
  [ -z "$base_id" ] || [ -z "$chain_id" ] || [ "$base_id" = "$chain_id" ]
}`;
/**
 * freshtrack-base-backup [--if-needed]: pg_basebackup as the replication role, in tar format, gzip-compressed, with
 * the WAL it needs streamed beside it (-X stream: the backup can be restored even without the receiver's log), into
 * BASE_INCOMPLETE_DIR first and moved into BASE_DIR only once complete and described: `freshtrack-base.info` records
 * the timeline, the start and end LSNs and segments and the time it ended, which the restore needs (a target before a
 * base backup's end would restore silently to the base's state: the restore refuses it).
 *
 * A base backup belongs to the chain directory that holds its end segment (pitrNames.ts, CLOSED_CHAIN_PREFIX). With
 * `--if-needed` (the backup service's crontab, every 15 minutes) it takes one only when no complete base backup belongs
 * to WAL_DIR, the current chain, and the receiver has begun it: after the receiver opened a new chain, and on a new
 * stack before its first scheduled dump; otherwise it says why and exits 0. One at a time: a lock in
 * BASE_INCOMPLETE_DIR (take_lock, scriptLock.ts, as the point-in-time restore's), taken over from a run that was
 * killed; a second run while one works says so and exits 0, since the one at work makes the base backup it would.
 *
 * Then retention: base backups older than POINT_IN_TIME_DAYS go, never the newest; a closed chain goes once no kept
 * base backup belongs to it; in WAL_DIR, every segment before the start of the oldest kept base backup that belongs
 * to WAL_DIR goes (pg_archivecleanup), and none while no kept base backup belongs to it. With TEXTFILE_DIR,
 * BASE_BACKUP_METRIC records the success.
 */
export function renderBaseBackupScript(): string {
    return `#!/bin/sh
# Rendered by components/services/pitrScripts.ts: freshtrack-base-backup [--if-needed]
set -eu
umask 077
${PITR_FUNCTIONS}
${SCRIPT_LOCK_FUNCTIONS}
base_dir=\${BASE_DIR:-${BASE_DIR}}
incomplete_dir=\${BASE_INCOMPLETE_DIR:-${BASE_INCOMPLETE_DIR}}
wal=\${WAL_DIR:-${WAL_DIR}}
closed_prefix=\${CLOSED_CHAIN_PREFIX:-${CLOSED_CHAIN_PREFIX}}
if_needed=
case \${1:-} in
  '') ;;
  --if-needed) if_needed=1 ;;
  *) echo "usage: freshtrack-base-backup [--if-needed]" >&2; exit 2 ;;
esac
days=\${POINT_IN_TIME_DAYS:?POINT_IN_TIME_DAYS must say how many days base backups are kept}
case "$days" in ''|*[!0-9]*) echo "freshtrack-base-backup: POINT_IN_TIME_DAYS must be a whole number, not '$days'" >&2; exit 2;; esac
mkdir -p "$base_dir" "$incomplete_dir"
chmod 700 "$base_dir" "$incomplete_dir" "$(dirname "$base_dir")"
# One base backup at a time (take_lock, scriptLock.ts); a killed run's lock is taken over. A run that finds another at
# work has nothing to do: that one makes the base backup this one would.
lock=$incomplete_dir/freshtrack-base-backup.lock
take_lock "$lock" freshtrack-base-backup || {
  [ -n "$lock_holder" ] || { echo "freshtrack-base-backup: cannot make the lock $lock" >&2; exit 1; }
  echo "freshtrack-base-backup: another base backup is running (process $lock_holder, lock $lock): it makes the one this run would; nothing to do"
  exit 0
}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
# Names are to the second: one made in the same second as the last would be moved into it, not beside it.
while [ -e "$base_dir/$stamp" ]; do
  sleep 1
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
done
work="$incomplete_dir/$stamp"
log="$work.log"
trap 'rm -rf "$work" "$log"; release_lock "$lock"' EXIT
trap 'exit 130' INT TERM
# What a killed run left: its half-written base backup and its log; nobody else writes here while the lock is held.
for d in "$incomplete_dir"/*; do
  [ "$d" = "$lock" ] || [ ! -e "$d" ] || rm -rf "$d"
done
if [ -n "$if_needed" ]; then
  for d in "$base_dir"/*; do
    if [ -d "$d" ] && belongs "$wal" "$d"; then
      echo "freshtrack-base-backup: base backup \${d##*/} belongs to the current chain ($wal): none needed"
      exit 0
    fi
  done
  begun=
  for f in "$wal"/*; do
    case \${f##*/} in ????????????????????????|????????????????????????.partial) begun=1 ;; esac
  done
  if [ -z "$begun" ]; then
    echo "freshtrack-base-backup: $wal holds no segment yet (the WAL receiver has not begun the chain): a base backup now would belong to no chain; none taken"
    exit 0
  fi
  echo "freshtrack-base-backup: no base backup belongs to the current chain ($wal): taking one"
fi
${REPLICATION_CONNECTION}
# Which server the base backup is of: a chain of another server's log cannot replay it (belongs, the restore).
system_id=$(server_system_id) || system_id=
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
printf 'timeline=%s\\nstart_lsn=%s\\nend_lsn=%s\\nend_time=%s\\nstart_segment=%s\\nend_segment=%s\\nsystem_identifier=%s\\n' \\
  "$timeline" "$start_lsn" "$end" "$ended" "$(segment_of "$timeline" "$start_lsn")" "$(segment_of "$timeline" "$end")" \\
  "$system_id" >"$work/freshtrack-base.info"
mv "$log" "$work/pg_basebackup.log"
mv "$work" "$base_dir/$stamp"
echo "base backup written: $base_dir/$stamp (log $start_lsn to $end on timeline $timeline, ended $ended UTC)"
# Retention: the names are UTC times, so they sort by age; the newest is always kept.
cutoff=$(date -u -d "@$(($(date -u +%s) - days * 86400))" +%Y%m%dT%H%M%SZ)
newest=$stamp
kept=
for d in "$base_dir"/*; do
  old=\${d##*/}
  if [ "$(stamp_number "$old")" -lt "$(stamp_number "$cutoff")" ] && [ "$old" != "$newest" ]; then
    rm -rf "\${base_dir:?}/$old"
    echo "dropped base backup $old: older than $days days"
  else
    kept="$kept $old"
  fi
done
# A closed chain serves only the base backups that belong to it: with none kept, no restore can start in it.
for chain in "$closed_prefix"*; do
  [ -d "$chain" ] || continue
  used=
  for old in $kept; do
    if belongs "$chain" "$base_dir/$old"; then used=1; break; fi
  done
  if [ -z "$used" ]; then
    rm -rf "$chain"
    echo "dropped closed chain \${chain##*/}: no kept base backup belongs to it"
  fi
done
# In the current chain, every segment before the oldest kept base backup that belongs to it: no restore can use it.
first=
for old in $kept; do
  if belongs "$wal" "$base_dir/$old"; then
    first=$(sed -n 's/^start_segment=//p' "$base_dir/$old/freshtrack-base.info")
    break
  fi
done
if [ -n "$first" ]; then pg_archivecleanup "$wal" "$first"; fi
if [ -n "\${TEXTFILE_DIR:-}" ]; then
  printf '# HELP ${BASE_BACKUP_METRIC} Time the last base backup completed.\\n# TYPE ${BASE_BACKUP_METRIC} gauge\\n${BASE_BACKUP_METRIC} %s\\n' "$(date -u +%s)" >"$TEXTFILE_DIR/${BASE_BACKUP_METRIC_FILE}.tmp"
  chmod 644 "$TEXTFILE_DIR/${BASE_BACKUP_METRIC_FILE}.tmp"
  mv "$TEXTFILE_DIR/${BASE_BACKUP_METRIC_FILE}.tmp" "$TEXTFILE_DIR/${BASE_BACKUP_METRIC_FILE}"
fi
`;
}
