/**
 * One pid lock for the scripts of the backup service that must not run twice at once (freshtrack-pitr-restore, and
 * freshtrack-drill once the lead switches it over): POSIX sh functions, rendered into each script like PITR_FUNCTIONS.
 *
 * The lock is a symbolic link whose target is the holder's process id, made with `ln -sT`: symlink(2) fails when the
 * name exists, so it is made whole or not at all and never without a holder (-T refuses a directory there:
 * mirror/busybox@1_36_1 coreutils/ln.c:100-112,149-156). A holder is alive while /proc/<pid>/cmdline names the program.
 * Anything else is a lock a killed run left behind: the process is gone, its id now belongs to another program (a
 * restarted container counts from 1 again), or its cmdline reads empty, which in the container's own pid namespace
 * means a zombie (proc(5): cmdline is empty for a zombie), that is a run that has already ended. The drill counted an
 * unreadable cmdline as dead, the restore as alive while /proc/<pid> existed; dead is the rule kept here, because the
 * other one keeps a killed run's lock for as long as its zombie is not reaped, and a live run's cmdline is never empty.
 *
 * Taking over a dead holder's lock is a compare-and-delete made of two atomic steps: rename(2) the lock to a name of
 * this process's own, then check it still names the dead holder. Of two takers that both saw the same dead holder,
 * the first rename wins; the second either finds nothing to rename and starts over (and then finds the first one's
 * fresh lock), or renamed the first one's fresh lock, sees it is not the dead holder's and links it back. Three
 * takers within that instant could still both end up holding it; the scripts that take it are run by cron and by hand.
 */

/**
 * take_lock <lock> <program>: 0 when this process ($$) holds the lock (after taking over a dead holder's, said on
 * stderr), 1 when a live process whose command line contains <program> holds it (its id in lock_holder).
 * release_lock <lock>: removes the lock only if this process holds it.
 */
export const SCRIPT_LOCK_FUNCTIONS = `# take_lock <lock> <program>: 0 when taken, 1 when a live <program> holds it (its id in lock_holder).
take_lock() {
  lock_tries=0
  while [ "$lock_tries" -lt 5 ]; do
    lock_tries=$((lock_tries + 1))
    ln -sT "$$" "$1" 2>/dev/null && return 0
    lock_holder=$(readlink "$1" 2>/dev/null) || continue
    case $(tr '\\0' ' ' 2>/dev/null <"/proc/$lock_holder/cmdline") in
      *"$2"*) return 1 ;;
    esac
    # A dead holder's lock: renamed away first, so that of two takers only one removes it.
    mv "$1" "$1.taking.$$" 2>/dev/null || continue
    if [ "$(readlink "$1.taking.$$" 2>/dev/null)" = "$lock_holder" ]; then
      rm -f "$1.taking.$$"
      echo "\${0##*/}: took over the lock $1 of process $lock_holder, which no longer runs $2" >&2
    else
      # Another taker's fresh lock: put back under its name.
      lock_taken=$(readlink "$1.taking.$$" 2>/dev/null)
      rm -f "$1.taking.$$"
      [ -z "$lock_taken" ] || ln -sT "$lock_taken" "$1" 2>/dev/null || true
    fi
  done
  lock_holder=$(readlink "$1" 2>/dev/null) || lock_holder=
  return 1
}
# release_lock <lock>: removes it if this process holds it.
release_lock() {
  if [ "$(readlink "$1" 2>/dev/null)" = "$$" ]; then rm -f "$1"; fi
}`;

/**
 * remove_run_dir <dir>, for the scripts that start a throwaway server (the point-in-time restore, the drill): a killed
 * run's work directory: the throwaway server in it stopped, then the directory removed as the server's user (it may be
 * that user's, 0700, which root without DAC_OVERRIDE cannot look into) or else as root. It needs the script's
 * `as_server` (gosu to the server's user).
 */
export const RUN_DIR_FUNCTIONS = `# remove_run_dir <dir>: a work directory's server stopped, then the directory removed (as_server: the script's gosu).
remove_run_dir() {
  as_server test -f "$1/data/postmaster.pid" && as_server pg_ctl -D "$1/data" -m immediate stop >/dev/null 2>&1
  as_server rm -rf "$1" 2>/dev/null || rm -rf "$1"
}`;
