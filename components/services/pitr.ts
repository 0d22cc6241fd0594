/**
 * Point-in-time recovery on a self-hosted PostgreSQL (freshtrack:backup.pointInTime, on by default): the WAL
 * receiver's container, and what the backup service adds to run base backups on its schedule and point-in-time
 * restores on demand. The scripts are in pitrScripts.ts and pitrRestoreScript.ts, the names in pitrNames.ts; the
 * server's side (the replication role, pg_hba, the slot) in postgres.ts and postgresReplication.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { Service } from "../service";
import { imageOf, SERVICES } from "../catalog";
import type { AppContext } from "./appTier";
import { SECRETS_DIR } from "./context";
import type { DatabaseLogin } from "./context";
import { PITR_RESTORE_SCRIPT_PATH, renderPitrRestoreScript } from "./pitrRestoreScript";
import {
    BASE_BACKUP_SCRIPT_PATH,
    renderBaseBackupScript,
    renderWalReceiverHealthCheck,
    renderWalReceiverScript,
    WAL_RECEIVER_HEALTH_SCRIPT_PATH,
    WAL_RECEIVER_SCRIPT_PATH,
} from "./pitrScripts";

export const REPLICATION_PASSWORD_FILE = `${SECRETS_DIR}/replication_password`;

/** The connection of the receiver and the base backups: the direct endpoint's, as the replication role. */
function replicationEnv(
    direct: Record<string, pulumi.Input<string>>,
    login: DatabaseLogin,
): {
    env: Record<string, pulumi.Input<string>>;
    files: Array<{ path: string; content: pulumi.Input<string>; secret: true }>;
} {
    const connection = Object.fromEntries(
        Object.entries(direct).filter(([k]) => ["DATABASE_HOST", "DATABASE_PORT", "DATABASE_SSLMODE"].includes(k)),
    );
    return {
        env: { ...connection, REPLICATION_USER: login.user, REPLICATION_PASSWORD_FILE },
        files: [{ path: REPLICATION_PASSWORD_FILE, content: login.password, secret: true }],
    };
}

/**
 * What the backup service adds with point-in-time recovery: the base-backup and point-in-time restore scripts, the
 * replication login, how many days base backups and the log are kept, and the user the restore's throwaway server runs
 * as (`postgres`, 70:70 in the image; gosu, in the image, changes to it with the service's SETUID and SETGID).
 */
export function pointInTimeSchedulerParts(
    ctx: AppContext,
    direct: Record<string, pulumi.Input<string>>,
    login: DatabaseLogin,
): {
    env: Record<string, pulumi.Input<string>>;
    files: Array<{ path: string; content: pulumi.Input<string>; executable?: true; secret?: true }>;
} {
    const replication = replicationEnv(direct, login);
    return {
        env: {
            ...replication.env,
            POINT_IN_TIME_DAYS: String(ctx.backup.pointInTimeDays),
            PITR_SERVER_USER: "postgres",
        },
        files: [
            ...replication.files,
            { path: BASE_BACKUP_SCRIPT_PATH, content: renderBaseBackupScript(), executable: true },
            { path: PITR_RESTORE_SCRIPT_PATH, content: renderPitrRestoreScript(), executable: true },
        ],
    };
}

/**
 * The WAL receiver (renderWalReceiverScript) in the postgres image, on the data network only, writing into the
 * backups volume. Root, as the backup service is: what it writes is root's, 0600, like the dumps, so the mirrors
 * (root without DAC_OVERRIDE) can read it and nobody else can; it needs no capability.
 */
export function walReceiver(
    parent: pulumi.Resource,
    ctx: AppContext,
    args: {
        direct: Record<string, pulumi.Input<string>>;
        login: DatabaseLogin;
        database: readonly pulumi.Resource[];
        /** The database-grant job, which makes its role and slot. */
        roles?: Service;
    },
): Service {
    const replication = replicationEnv(args.direct, args.login);
    return new Service(
        "wal-receiver",
        {
            kind: "stateful",
            statefulReason:
                "its replication slot feeds one connection at a time; a second receiver would be refused until the first is gone",
            daemon: ctx.daemon,
            namePrefix: ctx.namePrefix,
            image: imageOf("wal-receiver"),
            limits: ctx.limits["wal-receiver"],
            // Not the image's entrypoint, which starts a server; its STOPSIGNAL (SIGINT) reaches the script's trap.
            entrypoint: ["/bin/sh"],
            command: [WAL_RECEIVER_SCRIPT_PATH],
            env: { ...replication.env, ...(ctx.backup.synchronousWal ? { SYNCHRONOUS: "1" } : {}), TZ: "UTC" },
            files: [
                ...replication.files,
                { path: WAL_RECEIVER_SCRIPT_PATH, content: renderWalReceiverScript(), executable: true },
                { path: WAL_RECEIVER_HEALTH_SCRIPT_PATH, content: renderWalReceiverHealthCheck(), executable: true },
            ],
            healthcheck: { test: ["CMD", "/bin/sh", WAL_RECEIVER_HEALTH_SCRIPT_PATH], intervalSeconds: 30 },
            capabilities: SERVICES["wal-receiver"].capabilities,
            rootReason:
                "it writes the write-ahead log beside the dumps as root, 0600, which the mirrors read as root and nobody else can",
            networks: [{ network: ctx.networks.data }],
            volumes: [{ volume: ctx.volumes.backups, containerPath: "/backups" }],
            ...(args.roles ? { requires: [args.roles] } : {}),
        },
        { parent, dependsOn: [...args.database] },
    );
}
