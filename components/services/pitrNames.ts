/**
 * Names shared by the point-in-time recovery pieces (freshtrack:backup.pointInTime): the write-ahead log receiver, the
 * base backups, the point-in-time restore and the restore drills, the database-grant job that keeps the replication
 * slot, the alert rules that watch them and the scripts that read their metrics.
 */

/**
 * Everything point-in-time recovery keeps, on the backups volume beside the dumps' directory, copied by the same
 * append-only mirrors under its own prefix (`pitr/`), whose retention follows backup.pointInTimeDays.
 */
export const PITR_DIR = "/backups/pitr";
/** The write-ahead log as pg_receivewal writes it: one file per 16 MB segment, the open one `<segment>.partial`. */
export const WAL_DIR = `${PITR_DIR}/wal`;
/**
 * A closed chain of the write-ahead log: `<CLOSED_CHAIN_PREFIX><YYYYMMDDTHHMMSSZ>` (the UTC time the receiver closed
 * it), holding the segments exactly as the receiver left them, its `<segment>.partial` too, unchanged. The receiver
 * closes the current chain (renames WAL_DIR to one of these) when the server reports its slot `lost`: the log from
 * there to the new slot's start is gone, so what follows is a new chain with a gap before it.
 *
 * The current chain is always WAL_DIR. A base backup belongs to the chain directory that holds its `end_segment`
 * (bare or `.partial`); a restore searches WAL_DIR and every closed chain for it. A chain with no base backup that
 * belongs to it restores nothing, and retention removes a closed chain once no kept base backup belongs to it.
 */
export const CLOSED_CHAIN_PREFIX = `${PITR_DIR}/wal-closed-`;
/**
 * In each chain directory: the system identifier of the server whose log it is (IDENTIFY_SYSTEM). A base backup's
 * freshtrack-base.info records it too (`system_identifier`), and belongs only to a chain of the same server: a server
 * made anew counts its segments from the start again, so a name alone could match another server's chain.
 */
export const SYSTEM_ID_FILE = "freshtrack-system-id";
/** One directory per base backup, `<UTC time>/`, moved here only once complete. */
export const BASE_DIR = `${PITR_DIR}/base`;
/**
 * Where a base backup is written before it is complete: on the same volume (so the move into BASE_DIR is a rename),
 * outside PITR_DIR, so no mirror ever copies half of one.
 */
export const BASE_INCOMPLETE_DIR = "/backups/.pitr-incomplete";
/** The physical replication slot the receiver streams from: the server keeps the log until the receiver has it. */
export const WAL_SLOT = "freshtrack_wal";
/** pg_receivewal's application_name, which synchronous_standby_names names when backup.synchronousWal is on. */
export const WAL_RECEIVER_APPLICATION = "freshtrack_wal_receiver";

/** What a restore drill restores: the newest base backup with the log after it, or the newest dump. */
export type DrillKind = "pitr" | "dump";
export const DRILL_KINDS: readonly DrillKind[] = ["pitr", "dump"];
/** The end of the last drill of a kind, whatever its outcome (label `kind`). */
export const DRILL_RUN_METRIC = "freshtrack_restore_drill_last_run_timestamp_seconds";
/** The end of the last drill of a kind that restored and passed every check (label `kind`). */
export const DRILL_SUCCESS_METRIC = "freshtrack_restore_drill_last_success_timestamp_seconds";
/** How long the last successful drill of a kind took, in seconds (label `kind`). */
export const DRILL_DURATION_METRIC = "freshtrack_restore_drill_duration_seconds";
/**
 * The recovery point the last successful drill of a kind reached (label `kind`): for `pitr`, the time of the last
 * transaction replayed; for `dump`, the time the dump was taken.
 */
export const DRILL_RECOVERY_POINT_METRIC = "freshtrack_restore_drill_recovery_point_timestamp_seconds";
/** When the last base backup completed. */
export const BASE_BACKUP_METRIC = "freshtrack_base_backup_last_success_timestamp_seconds";
/** BASE_BACKUP_METRIC's file in node-exporter's textfile directory. */
export const BASE_BACKUP_METRIC_FILE = "freshtrack_base_backup.prom";
