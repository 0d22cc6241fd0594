/**
 * Step 1 of freshtrack-pitr-restore (pitrRestoreScript.ts): what the archive covers, chain by chain, rendered into
 * that script. A chain is a directory of the log as the receiver wrote it: the current one (WAL_DIR) or one it closed
 * when its slot was lost (CLOSED_CHAIN_PREFIX<time>, pitrNames.ts). A base backup belongs to the chain that holds its
 * end segment (bare or `.partial`); one that belongs to none reaches its own end only.
 *
 * Per chain, from its oldest base backup's end segment on, the log is cut into runs: segments one after the other on
 * one timeline, each whole one 16 MB, the open `.partial` last. A missing segment, a segment of another size, anything
 * after the open one, or a record pg_waldump cannot read in a whole segment ends a run there. Each run that holds a
 * base backup's end is one reachable range: from the oldest such base's end to the last commit in the run (or the
 * newest base's end when no commit follows it). PostgreSQL itself would restore silently to an earlier state given a
 * target past a missing segment, and stops replay at the first record it cannot read (checked on 15.18), so every
 * whole segment of a run is read once here, before anything is unpacked.
 */
import { CLOSED_CHAIN_PREFIX } from "./pitrNames";
import { WAL_SEGMENT_BYTES } from "./pitrScripts";

/** The labels of the lines step 1 prints (PITR_OUTPUT). */
export interface WindowLabels {
    readonly earliest: string;
    readonly latest: string;
    readonly reachable: string;
}

/**
 * The shell of step 1. It expects `base_dir`, `wal`, `scratch` (an empty directory of root's), `mode`, `target`,
 * refuse() and PITR_FUNCTIONS; it leaves, for step 2: `base` (the base backup to unpack), `chain` (its chain's
 * directory, empty for a base alone), `run_last` (the run's last whole segment, or empty), `tail_partial` (the run's
 * open segment, copied to $scratch under its bare name, or empty), `latest`, `to_kind`, and `replay_target` (the
 * target, or empty when the range has no commit after its base backups or the target is at or past its last commit:
 * the replay then goes to the end, as PostgreSQL refuses a target it never reaches).
 */
export function renderPitrWindowStep(labels: WindowLabels): string {
    return `# 1. What the archive covers, chain by chain. CLOSED_CHAIN_PREFIX as the receiver reads it (pitrScripts.ts).
closed_prefix=\${CLOSED_CHAIN_PREFIX:-${CLOSED_CHAIN_PREFIX}}
# pg_waldump prints a commit's time in its own process's zone (localtime), so it reads the log in UTC.
waldump() { TZ=UTC0 pg_waldump "$@"; }
# seg_number <name>: the segment's place on its timeline (256 segments of 16 MB make one log file), without a fork.
seg_number() {
  sn_rest=\${1#????????}
  sn_num=$((0x\${sn_rest%????????} * 256 + 0x\${sn_rest#????????}))
}
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
# The chains, oldest first, the current one last (the closed ones are named by the UTC time they were closed).
chains=
for c in "$closed_prefix"*; do if [ -d "$c" ]; then chains="$chains $c"; fi; done
chains="$chains $wal"
# Each base backup's chain: the one holding its end segment, bare or open.
: >"$scratch/owners"
for b in $bases; do
  e=$(info "$b" end_segment)
  owner=-
  for c in $chains; do if belongs "$c" "$base_dir/$b"; then owner=$c; fi; done
  echo "$b $owner $e" >>"$scratch/owners"
done
# ranges: one line per reachable range, oldest first:
# from|to|"none" when no commit follows its base backups|chain|its base backups|last whole segment|open one|why it stops
: >"$scratch/ranges"
add_range() { printf '%s|%s|%s|%s|%s|%s|%s|%s\\n' "$@" >>"$scratch/ranges"; }
# runs <chain> <first segment>: the chain's runs from that segment on, one line each: first|last whole|open|why it stops
runs() {
  # Sizes from ls -ln, which the image's contract lists for this (components/imageContracts/data.ts); the names are
  # the receiver's, hex digits and .partial only.
  # shellcheck disable=SC2012
  ls -ln "$1" | while read -r _ _ _ _ size rest; do
    name=\${rest##* }
    n=\${name%.partial}
    case $n in *[!0-9A-F]*|'') continue ;; esac
    [ \${#n} -eq 24 ] && echo "$name $size"
  done | LC_ALL=C sort >"$scratch/listing"
  tli=\${2%????????????????}
  seg_number "$2"
  expect=$sn_num
  r_first='' r_last='' r_open='' after_open=''
  while read -r name size; do
    n=\${name%.partial}
    seg_number "$n"
    # The names sort by timeline first: an earlier one's segments come before the chain, a later one's after it.
    n_tli=$((0x\${n%????????????????}))
    [ "$n_tli" -ge $((0x$tli)) ] || continue
    [ "$n_tli" -gt $((0x$tli)) ] || [ "$sn_num" -ge "$expect" ] || continue
    if [ -n "$r_open" ] || [ "$n_tli" -ne $((0x$tli)) ]; then
      after_open="the log goes on after \${r_open:+the open segment }\${r_open:-\${r_last:-$n}}, on another timeline or past a gap"
      break
    fi
    if [ -n "$r_first" ] && [ "$sn_num" -gt "$expect" ]; then
      echo "$r_first|$r_last||segment $(printf '%.8s%08X%08X' "$n" $((expect / 256)) $((expect % 256))) is missing"
      r_first='' r_last=''
    fi
    [ -n "$r_first" ] || r_first=$n
    expect=$((sn_num + 1))
    if [ "$name" != "$n" ]; then
      r_open=$n
    elif [ "$size" != ${WAL_SEGMENT_BYTES} ]; then
      echo "$r_first|$r_last||segment $1/$n is $size bytes, not ${WAL_SEGMENT_BYTES}: it is truncated or damaged, and no restore may replay past it"
      r_first='' r_last=''
    else
      r_last=$n
    fi
  done <"$scratch/listing"
  if [ -n "$r_first" ]; then echo "$r_first|$r_last|$r_open|$after_open"; fi
  return 0
}
# last_commit <chain> <from segment> <last whole> <open>: the time of the run's last commit, read backwards; empty if none.
last_commit() {
  lc_list=
  s=$2
  if [ -n "$3" ]; then seg_number "$3" && lc_end=$sn_num; else lc_end=-1; fi
  seg_number "$s"
  while [ "$sn_num" -le "$lc_end" ]; do
    lc_list="$s $lc_list"
    s=$(next_segment "$s")
    seg_number "$s"
  done
  if [ -n "$4" ]; then lc_list="$4 $lc_list"; fi
  for s in $lc_list; do
    file=$1/$s
    [ "$s" != "$4" ] || file=$scratch/$s
    found=$(waldump "$file" 2>/dev/null | sed -n 's/.*desc: COMMIT \\([0-9-]* [0-9:.]*\\) UTC.*/\\1/p' | tail -n 1)
    if [ -n "$found" ]; then echo "$found"; return 0; fi
  done
}
for c in $chains; do
  mine=$(sed -n "s|^\\([^ ]*\\) $c [^ ]*$|\\1|p" "$scratch/owners")
  [ -n "$mine" ] || continue
  # shellcheck disable=SC2086
  set -- $mine
  runs "$c" "$(info "$1" end_segment)" >"$scratch/runs"
  while IFS='|' read -r r_first r_last r_open r_stop; do
    # Every whole segment of the run read once: a record pg_waldump cannot read ends the run in that segment.
    if [ -n "$r_last" ] && ! waldump --stats --path="$c" "$r_first" "$r_last" >/dev/null 2>"$scratch/waldump.err"; then
      bad_lsn=$(sed -n 's/.*error in WAL record at \\([0-9A-F]*\\/[0-9A-F]*\\).*/\\1/p' "$scratch/waldump.err" | head -n 1)
      r_bad=$r_first
      [ -z "$bad_lsn" ] || r_bad=$(segment_of "\${r_first%????????????????}" "$bad_lsn")
      r_stop="the log cannot be read past \${bad_lsn:-the start of its segment} in segment $c/$r_bad ($(sed -n '1s/^pg_waldump: error: //p' "$scratch/waldump.err")), and no restore may replay past it"
      r_last=$r_bad r_open=''
    fi
    [ -z "$r_open" ] || cp "$c/$r_open.partial" "$scratch/$r_open"
    seg_number "$r_first" && lo=$sn_num
    seg_number "\${r_open:-$r_last}" && hi=$sn_num
    in_run=
    for b in $mine; do
      seg_number "$(info "$b" end_segment)"
      if [ "$sn_num" -ge "$lo" ] && [ "$sn_num" -le "$hi" ]; then in_run="$in_run $b"; fi
    done
    [ -n "$in_run" ] || continue
    r_newest=\${in_run##* }
    # The range starts at this run's own oldest base backup: the chain's oldest may lie in an earlier run, past a gap
    # no replay crosses.
    r_oldest=\${in_run# }
    r_oldest=\${r_oldest%% *}
    to=$(last_commit "$c" "$(info "$r_newest" end_segment)" "$r_last" "$r_open")
    to_kind=commit
    [ -n "$to" ] || to=$(info "$r_newest" end_time) to_kind=none
    add_range "$(info "$r_oldest" end_time)" "$to" "$to_kind" "$c" "$in_run" "$r_last" "$r_open" "$r_stop"
  done <"$scratch/runs"
done
# A base backup in no chain, or whose end segment no run holds, reaches its own end only.
while read -r b owner e; do
  ranged=
  while IFS='|' read -r _ _ _ _ in_run _; do
    case "$in_run " in *" $b "*) ranged=1 ;; esac
  done <"$scratch/ranges"
  [ -n "$ranged" ] || add_range "$(info "$b" end_time)" "$(info "$b" end_time)" none - " $b" '' '' \\
    "its end segment $e is in no chain, so it reaches its own end only"
done <"$scratch/owners"
[ -s "$scratch/ranges" ] || refuse "no base backup's end segment is in the log: $scratch"
earliest='' latest='' window_ranges=''
while IFS='|' read -r from to to_kind chain _ _ _ stop; do
  where=$chain
  [ "$where" != - ] || where="a base backup alone"
  # Where a range stops, on its own line's end: --window is how an operator learns why a range ends early.
  echo "${labels.reachable}: $from UTC to $to UTC ($where)\${stop:+, where it stops: $stop}"
  window_ranges="$window_ranges; from $from UTC to $to UTC in $where\${stop:+, where it stops: $stop}"
  if [ -z "$earliest" ] || [ "$(micros "$from")" -lt "$(micros "$earliest")" ]; then earliest=$from; fi
  if [ -z "$latest" ] || [ "$(micros "$to")" -gt "$(micros "$latest")" ]; then latest=$to; fi
done <"$scratch/ranges"
echo "${labels.earliest}: $earliest UTC"
echo "${labels.latest}: $latest UTC"
window="the archive reaches from $earliest UTC (the end of the oldest base backup) to $latest UTC (the last commit in the log)\${window_ranges}"
[ "$mode" = --window ] && exit 0
# pick <range line>: the range a restore replays, and in it the base backup to unpack.
pick() {
  IFS='|' read -r from to to_kind chain in_run run_last tail_partial stop <<PICK
$1
PICK
  replay_target=$target
  [ "$to_kind" != none ] || replay_target=
  # PostgreSQL ends a replay to a time only before the first commit later than it (PostgreSQL 15 xlogrecovery.c,
  # recoveryStopsBefore; recoveryStopsAfter has no case for a time), and fails ("recovery ended before configured
  # recovery target was reached", seen on 15.18) when the log ends first: at or past the range's last commit the
  # replay goes to the run's end, which is that commit.
  if [ -n "$t" ] && [ "$to_kind" = commit ] && [ "$t" -ge "$(micros "$to")" ]; then replay_target=; fi
  [ "$chain" != - ] || chain=
  for b in $in_run; do
    if [ -z "$base" ] || [ -z "$t" ] || [ "$(micros "$(info "$b" end_time)")" -le "$t" ]; then base=$b; fi
  done
}
base=
t=
if [ "$mode" = --latest ]; then
  current=
  while read -r line; do
    case $line in *"|$wal|"*) current=$line ;; esac
  done <"$scratch/ranges"
  if [ -z "$current" ]; then
    refuse "the current log ($wal) has no base backup yet: it began after a break in the log, and a restore to its latest point needs one. The latest point reachable before the break is $latest UTC ($window). The backup service takes a base backup within 15 minutes (freshtrack-base-backup --if-needed); try again then, or choose a time with --to-time"
  fi
  stop=\${current##*|}
  [ -z "$stop" ] || refuse "$stop, after the log the archive holds in one piece, so the latest point cannot be reached: $window. Choose a time with --to-time, or take a new base backup to start a new chain"
  pick "$current"
  latest=$to
else
  t=$(micros "$target")
  [ "$t" -ge "$(micros "$earliest")" ] || refuse "$target UTC is before what the archive covers: $window"
  [ "$t" -le "$(micros "$latest")" ] || refuse "$target UTC is after what the archive covers: $window"
  holder=
  while read -r line; do
    from=\${line%%|*} rest=\${line#*|}
    to=\${rest%%|*}
    if [ "$(micros "$from")" -le "$t" ] && [ "$t" -le "$(micros "$to")" ]; then holder=$line; fi
  done <"$scratch/ranges"
  [ -n "$holder" ] || refuse "$target UTC falls in a gap between the ranges the archive can reach: $window"
  pick "$holder"
  latest=$to
fi
`;
}
