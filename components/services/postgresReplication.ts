/**
 * What the self-hosted PostgreSQL does for the copy of its write-ahead log (freshtrack:backup.pointInTime, issue 18):
 * the client authentication rules that let the replication role stream from another container, the server settings
 * that bound the receiver's slot and make commits wait for it when asked, and the database-grant job's step that keeps
 * or drops the slot. The receiver, the base backups and the restores that use them live elsewhere (pitrNames.ts).
 */
import { DATABASE_ROLES } from "./context";
import { WAL_RECEIVER_APPLICATION, WAL_SLOT } from "./pitrNames";

/** Where the server reads its client authentication rules (renderPgHba), instead of the data directory's copy. */
export const PG_HBA_PATH = "/etc/freshtrack/pg_hba.conf";

/**
 * The rules of a data directory the image initialised, as they are: initdb's, which the image runs with no --auth
 * (docker-library/postgres@6edb0a8c 17/alpine3.23/docker-entrypoint.sh:92; no POSTGRES_INITDB_ARGS here), so `trust`
 * on the socket and the loopback addresses, for ordinary and replication connections alike (initdb(1): "trust is the
 * default", and it prepopulates entries "for non-replication as well as replication connections"; the lines of
 * src/backend/libpq/pg_hba.conf.sample, the same in 15 and in the stored copy of postgresql-cfbot/postgresql@1046dc58);
 * then the one line the entrypoint appends, with the method `postgres -C password_encryption` reports, scram-sha-256
 * since PostgreSQL 14 (pg_setup_hba_conf, :263-281; POSTGRES_HOST_AUTH_METHOD is not set). Inside the container the
 * loopback is the server's own: only its health check and `docker exec` come from there.
 */
const IMAGE_HBA_RULES = [
    "local   all             all                                     trust",
    "host    all             all             127.0.0.1/32            trust",
    "host    all             all             ::1/128                 trust",
    "local   replication     all                                     trust",
    "host    replication     all             127.0.0.1/32            trust",
    "host    replication     all             ::1/128                 trust",
] as const;
const IMAGE_HOST_RULE = "host all all all scram-sha-256";
/**
 * The write-ahead log's copy from another container: the replication role alone, with its password. A physical
 * replication connection names no database, so `all` never matches it (PostgreSQL 15 docs, 21.1 "The pg_hba.conf
 * File": "physical replication connections do not specify any particular database"), and with only the image's rules
 * every replication connection from another host is refused ("If no record matches, access is denied", same page).
 */
const REPLICATION_RULE = `host    replication     ${DATABASE_ROLES.replication}  all                     scram-sha-256`;

/**
 * The server's pg_hba.conf (PG_HBA_PATH): the image's own rules, unchanged, and before its catch-all for other hosts
 * (which no replication connection matches) the one rule that lets the replication role stream the log. The first
 * matching record decides and none of these refuses, so nothing before it can turn the receiver away. The data
 * directory's pg_hba.conf stays where it was, unread while hba_file points here; the entrypoint still appends to it on
 * a first initialisation, which changes nothing.
 */
export function renderPgHba(): string {
    return [
        "# Rendered by components/services/postgresReplication.ts (renderPgHba), read through -c hba_file (PG_HBA_PATH).",
        "# TYPE  DATABASE        USER            ADDRESS                 METHOD",
        "# What initdb writes when the image initialises the data directory (no --auth: trust for the server's own",
        "# socket and loopback):",
        ...IMAGE_HBA_RULES,
        "# The write-ahead log receiver and the base backups, from their own containers:",
        REPLICATION_RULE,
        "# What the image's entrypoint appends (pg_setup_hba_conf):",
        IMAGE_HOST_RULE,
        "",
    ].join("\n");
}

/** What the server does for point-in-time recovery (freshtrack:backup), with a self-hosted PostgreSQL only. */
export interface PointInTimeServer {
    /** The most write-ahead log, in MB, the slot may hold back for a receiver that is away (backup.walKeepMb). */
    readonly walKeepMb: number;
    /** Commits wait until the receiver has the log (backup.synchronousWal). */
    readonly synchronous: boolean;
}

/**
 * The server settings beyond the tuning (postgresTuning), on its command line: the rules file always, and with
 * point-in-time recovery the cap on what the slot may hold back and, when asked for, synchronous commits.
 * - max_slot_wal_keep_size: unlimited by default, so a receiver that is down keeps every segment in pg_wal until the
 *   disk is full and the server stops; with a cap, the checkpointer invalidates the slot instead ("invalidating slot
 *   ... because its restart_lsn ... exceeds max_slot_wal_keep_size", seen on 15.18) and the log has a gap the next
 *   base backup closes (PostgreSQL 15 docs, 20.6.1 and the view pg_replication_slots: wal_status `lost`).
 * - synchronous_standby_names: commits wait for the standby whose application_name is listed and streams (20.6.2);
 *   "Such transaction commits may never be completed if any one of the synchronous standbys should crash"
 *   (27.2.8.4). The name in double quotes, as a standby_name must be a valid SQL identifier unless quoted (20.6.2).
 */
export function postgresServerSettings(
    pointInTime: PointInTimeServer | undefined,
    walKeepMb: number = pointInTime?.walKeepMb ?? 0,
): Record<string, string> {
    // The cap stays when point-in-time recovery is off: a slot left behind (a drop the roles job could not make, its
    // warning aside) or made by hand never holds more than that.
    const cap = pointInTime?.walKeepMb ?? walKeepMb;
    return {
        hba_file: PG_HBA_PATH,
        ...(cap > 0 ? { max_slot_wal_keep_size: `${cap}MB` } : {}),
        ...(pointInTime?.synchronous ? { synchronous_standby_names: `"${WAL_RECEIVER_APPLICATION}"` } : {}),
    };
}

/**
 * The image's first initialisation runs its SQL (CREATE DATABASE, docker_setup_db) through psql on the socket of a
 * temporary server started with the container's own arguments (docker-entrypoint.sh:206-213,217-230,285-301), so with
 * synchronous_standby_names set that commit would wait for a receiver that cannot connect yet (the temporary server
 * listens on no TCP address), for ever: seen on 15.18, and test/pitrReplication.servers.test.ts. The entrypoint leaves
 * PGOPTIONS alone and libpq sends it as the session's options, so its sessions commit locally. Nothing else in the
 * container opens a session but its health check (pg_isready, which commits nothing) and an operator's `docker exec`.
 */
export const SYNCHRONOUS_INIT_PGOPTIONS = "-c synchronous_commit=local";

/**
 * What the postgres container takes for the log's copy: its command's settings (postgresServerSettings), its env
 * (SYNCHRONOUS_INIT_PGOPTIONS) and the rules file, 0644 (Service's default for a file that is not secret), which the
 * server, running as 70, only reads. A changed command replaces the container (command is ForceNew, and env:
 * kreuzwerker/terraform-provider-docker@v4.5.0 internal/provider/resource_docker_container.go:163-169, :590-596), and
 * postgres is stateful, so deleted before it is replaced: the server restarts once, as every stack's did when hba_file
 * came in, and again whenever backup.pointInTime, walKeepMb or synchronousWal changes.
 */
export function walStreamingServer(
    pointInTime: PointInTimeServer | undefined,
    walKeepMb?: number,
): {
    readonly settings: Record<string, string>;
    readonly env: Record<string, string>;
    readonly files: ReadonlyArray<{ readonly path: string; readonly content: string }>;
} {
    return {
        settings: postgresServerSettings(pointInTime, walKeepMb),
        env: pointInTime?.synchronous ? { PGOPTIONS: SYNCHRONOUS_INIT_PGOPTIONS } : {},
        files: [{ path: PG_HBA_PATH, content: renderPgHba() }],
    };
}

/**
 * The last step of the roles job: the write-ahead log receiver's physical slot (WAL_SLOT) made when it must exist and
 * dropped when it must not. It comes after every check because neither is undone when the transaction rolls back
 * (checked on 15.18: a slot made or dropped inside a transaction that then rolled back stays made or dropped).
 * - Made with immediately_reserve, so the server keeps the log from that moment, before any receiver has connected
 *   (PostgreSQL 15 docs, 9.27.6 "Replication Management Functions": otherwise "the LSN is reserved on first connection
 *   from a streaming replication client"; pg_receivewal --create-slot reserves nothing until it streams).
 *   The receiver never makes it (pitrScripts.ts, renderWalReceiverScript), except anew in place of a lost one.
 * - A slot whose log the server removed (wal_status `lost`: "this slot is no longer usable", 54.19
 *   "pg_replication_slots"; max_slot_wal_keep_size, postgresServerSettings) is left to the receiver, with a warning:
 *   the receiver closes its chain of the log and makes the slot anew itself. Were the job to make it anew, the
 *   receiver would find a usable slot that starts after the segment it asks for, which the server removed, and would
 *   fail on it for ever, its chain never closed.
 * - When point-in-time recovery is off, dropped, ending first the receiver's connection that holds it (its
 *   active_pid): the update that turns it off runs this job before Pulumi deletes the receiver's container, and a slot
 *   in use cannot be dropped ("replication slot ... is active for PID", SQLSTATE 55006 object_in_use: slot.c
 *   ReplicationSlotAcquire, :505-530 in 15.18). pg_terminate_backend(pid, timeout), from PostgreSQL 14 on, waits up to
 *   the timeout until the process is gone (signalfuncs.c:203-240 in 15.18), and a walsender lets its slot go as it
 *   exits (ReplicationSlotShmemExit, slot.c:168-186); the job runs as the bootstrap superuser, who may end any
 *   backend (signalfuncs.c:78-88). The receiver does not make the slot again: it finds none and waits. A drop that
 *   still fails (a receiver that connected again in between) is a warning naming the slot, left for a later run.
 * Only a physical slot is the receiver's: one of another kind under the name fails the job before anything is done.
 * Runs inside the roles block, whose DECLARE has `slot record` and `slot_found boolean`.
 */
export function renderWalSlot(keep: boolean): string {
    const slotName = `'${WAL_SLOT.replace(/'/g, "''")}'::name`;
    const look = `SELECT s.slot_type, s.active, s.active_pid, s.wal_status INTO slot FROM pg_catalog.pg_replication_slots s
        WHERE s.slot_name = ${slotName};
    slot_found := FOUND;
    IF slot_found AND slot.slot_type <> 'physical'::text THEN
        RAISE EXCEPTION 'database-grant: replication slot % is a % slot, not a physical one', ${slotName}, slot.slot_type;
    END IF;`;
    if (keep)
        return `
    -- Point-in-time recovery is on: the receiver's slot, holding the log from now on.
    ${look}
    IF slot_found AND slot.wal_status = 'lost'::text THEN
        RAISE WARNING 'database-grant: replication slot % has lost log its receiver never copied (max_slot_wal_keep_size): the receiver closes its chain and makes the slot anew when it next connects; the copy of the log has a gap until a base backup of the new chain', ${slotName};
    ELSIF NOT slot_found THEN
        PERFORM pg_catalog.pg_create_physical_replication_slot(${slotName}, true);
    END IF;`;
    return `
    -- Point-in-time recovery is off: no slot holds the log back. A receiver still streaming from it is ended first.
    ${look}
    IF slot_found AND slot.active AND slot.active_pid IS NOT NULL THEN
        PERFORM pg_catalog.pg_terminate_backend(slot.active_pid, 5000::bigint);
    END IF;
    IF slot_found THEN
        BEGIN
            PERFORM pg_catalog.pg_drop_replication_slot(${slotName});
        EXCEPTION WHEN object_in_use THEN
            RAISE WARNING 'database-grant: replication slot % is left in place: %', ${slotName}, SQLERRM;
        END;
    END IF;`;
}
