import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Service, ServiceVolume } from "../service";
import { appEnvironment, AppEnvInputs } from "./appEnv";
import {
    BACKUP_DIR,
    BACKUP_HEALTH_SCRIPT_PATH,
    BACKUP_SCRIPT_PATH,
    backupHealthLimits,
    LAST_SUCCESS_FILE,
    MIRROR_HEALTH_SCRIPT_PATH,
    mirrorMetricFiles,
    MirrorName,
    renderBackupCrontab,
    renderBackupHealthCheck,
    renderBackupScript,
    renderMirrorHealthCheck,
    renderRestoreScript,
    RESTORE_SCRIPT_PATH,
} from "./backupScripts";
import type { AppContext } from "./appTier";
import { BUCKETS } from "./context";
import {
    backupSyncSecret,
    renderBackupSyncMcConfig,
    renderMcAliases,
    uploadsReaderAlias,
    uploadsReaderSecret,
} from "./minio";
import { SERVICES, imageOf } from "../catalog";
import { pointInTimeSchedulerParts, walReceiver } from "./pitr";
import { PITR_DIR } from "./pitrNames";
import { DRILL_SCRIPT_PATH, drillTablesEnv, renderDrillScript } from "./drillScript";
import {
    MC_DIR,
    MIRROR_HEALTH_LIMITS,
    MirrorCopy,
    MirrorLoop,
    OFFSITE_KEY_FILE,
    OffsiteStore,
    renderMirrorLoop,
} from "./mirrorLoop";

export {
    MIRROR_HEALTH_LIMITS,
    MIRROR_PASS_MARGIN_SECONDS,
    MIRROR_STALE_PASSES,
    renderMirrorLoop,
    SYNC_INTERVAL_SECONDS,
    SYNC_MIN_AGE,
} from "./mirrorLoop";
export type { MirrorCopy, MirrorLoop, OffsiteStore } from "./mirrorLoop";

/**
 * Where node-exporter's textfile collector reads metrics; the backup and each mirror publish their last success there.
 */
export const TEXTFILE_DIR = "/textfile";

/**
 * Env every container running the backup script gets: the database
 * connection from the app's env and nothing else of it, so a change of the
 * app's URL or settings does not replace a backup container. With
 * `withVersion`, APP_VERSION too, which names the pre-migration dump and makes
 * each new version a new pre-migration job.
 */
export function backupEnv(
    ctx: AppContext,
    appEnv: Record<string, pulumi.Input<string>>,
    withVersion: boolean,
): Record<string, pulumi.Input<string>> {
    const database = Object.fromEntries(
        Object.entries(appEnv).filter(([k]) => k.startsWith("DATABASE_") || (withVersion && k === "APP_VERSION")),
    );
    // Managed PostgreSQL: libpq (pg_dump, pg_restore, psql) takes the CA from PGSSLROOTCERT, with PGSSLMODE verify-full
    // from DATABASE_SSLMODE (the scripts export it). crond hands its environment to the jobs it starts.
    const caFile = appEnv.DATABASE_CA_FILE;
    const rootCert: Record<string, pulumi.Input<string>> = caFile !== undefined ? { PGSSLROOTCERT: caFile } : {};
    return {
        ...database,
        ...rootCert,
        BACKUP_DIR,
        RETENTION_DAYS: String(ctx.backup.retentionDays),
        TEXTFILE_DIR,
        TZ: "UTC",
    };
}

/**
 * The app inputs of a container that runs the backup or restore scripts: on the self-hosted PostgreSQL, the backup
 * role's login (DATABASE_ROLES.backup) instead of the application's. A restore creates a database, renames the live
 * one and ends the sessions on it, which the application's role may not (NOCREATEDB); the backup role may, and reads
 * and owns through the application's role, whose member it is (components/services/postgres.ts, renderDatabaseRoles).
 * Managed PostgreSQL: the application's own login, as before.
 */
export function backupAppInputs(app: AppEnvInputs): AppEnvInputs {
    const backup = app.database.selfHosted?.backup;
    return backup ? { ...app, database: { ...app.database, user: backup.user, password: backup.password } } : app;
}

/**
 * The role that is to own a restored database and everything in it (the restore's DATABASE_OWNER_ROLE): the
 * application's, on the self-hosted PostgreSQL, where the restore runs as the backup role. Unset otherwise.
 */
export function restoreOwnerEnv(app: AppEnvInputs): Record<string, pulumi.Input<string>> {
    return app.database.selfHosted ? { DATABASE_OWNER_ROLE: app.database.user } : {};
}

export function backupVolumes(ctx: AppContext): ServiceVolume[] {
    return [
        { volume: ctx.volumes.backups, containerPath: "/backups" },
        { volume: ctx.volumes["metrics-textfile"], containerPath: TEXTFILE_DIR },
    ];
}

export interface BackupArgs {
    /**
     * The application tier's context (AppTier's own args): its networks, the backups and textfile volumes, secrets,
     * limits, and the backup settings (schedule, retention in days, offsite store) from freshtrack:backup.
     */
    readonly ctx: AppContext;
    /** Straight to PostgreSQL (not through the pool). */
    readonly app: AppEnvInputs;
    /**
     * What the backup service's container waits for: PostgreSQL and PgBouncer when they run on the host, none for a
     * managed cluster (the data tier's readiness, `database`).
     */
    readonly database: readonly pulumi.Resource[];
    /** MinIO and its buckets. */
    readonly objectStorage: readonly pulumi.Resource[];
    /**
     * The database-grant job on a self-hosted PostgreSQL: it makes the replication role and slot the WAL receiver
     * streams with, so the receiver is created only once it has succeeded.
     */
    readonly roles?: Service;
    /** The offsite store, with its encryption key; defaults to config's `backup.offsite`. */
    readonly offsite?: OffsiteStore;
}

/**
 * Scheduled database backups: `freshtrack-backup scheduled` from cron on
 * freshtrack:backup.schedule, dumps kept freshtrack:backup.retentionDays on the
 * backups volume, and copied, append-only, to the MinIO backups bucket (as a
 * user that cannot delete; MinIO's lifecycle does the retention there), and to
 * an offsite bucket (DigitalOcean Spaces) when one is configured, together with
 * the uploads bucket, encrypted with the stack's SSE-C key. Deleting or emptying
 * the volume never deletes a copy; each mirror records its last full pass for
 * its health check and the BackupMirrorStale alert. The restore script ships in the same container:
 * `docker exec <backup container> freshtrack-restore [dump]`.
 */
/**
 * Why the jobs that write dumps run as root. busybox crond loads only a crontab owned by uid 0 and changes to the
 * crontab's user for each job, with initgroups() even for root (components/imageContracts/, postgres notes), so
 * crond itself needs root; the dumps it writes are root's, 0600, and the pre-migration backup writes beside them.
 */
export const BACKUP_ROOT_REASON =
    "busybox crond loads only root's crontab and switches to its user for every job, and the dumps it writes are root's (0600); " +
    "it holds SETUID and SETGID for that and nothing else";

export class Backup extends pulumi.ComponentResource {
    readonly scheduler: Service;
    readonly sync: Service;
    /** Present when freshtrack:backup.offsite is set. */
    readonly offsite?: Service;
    /** Present with a self-hosted PostgreSQL and freshtrack:backup.pointInTime on. */
    readonly walReceiver?: Service;

    constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:services:Backup", name, {}, opts);
        const { ctx } = args;
        const direct = appEnvironment("migrate", backupAppInputs(args.app));
        const networks = [{ network: ctx.networks.data }, { network: ctx.networks.app }];
        const replication = ctx.backup.pointInTime ? args.app.database.selfHosted?.replication : undefined;
        const pitr = replication ? pointInTimeSchedulerParts(ctx, direct.env, replication) : undefined;

        this.scheduler = new Service(
            "backup",
            {
                kind: "stateless",
                daemon: ctx.daemon,
                namePrefix: ctx.namePrefix,
                image: imageOf("backup"),
                limits: ctx.limits.backup,
                // busybox crond in the foreground; it must start jobs as root, hence SETUID/SETGID. Without `-L` it
                // logs only to syslog, which the container has not (busybox crond.c), so a failure never reached
                // `docker logs`; `-L /dev/stderr` works with every BusyBox build (`-d` needs FEATURE_CROND_D).
                entrypoint: ["crond"],
                command: ["-f", "-l", "8", "-L", "/dev/stderr"],
                // Without APP_VERSION: an app update must not replace the backup service. LAST_SUCCESS_FILE: scheduled
                // runs record their success there, for the health check.
                env: {
                    ...backupEnv(ctx, direct.env, false),
                    ...restoreOwnerEnv(args.app),
                    LAST_SUCCESS_FILE,
                    DRILL_TABLES: drillTablesEnv(ctx.drillTables),
                    ...pitr?.env,
                },
                files: [
                    ...direct.files,
                    { path: BACKUP_SCRIPT_PATH, content: renderBackupScript(), executable: true },
                    { path: RESTORE_SCRIPT_PATH, content: renderRestoreScript(), executable: true },
                    {
                        path: "/etc/crontabs/root",
                        content: renderBackupCrontab(ctx.backup.schedule, {
                            baseBackup: pitr !== undefined,
                            drill: { schedule: ctx.backup.drillSchedule, script: DRILL_SCRIPT_PATH },
                        }),
                    },
                    { path: DRILL_SCRIPT_PATH, content: renderDrillScript(), executable: true },
                    ...(pitr?.files ?? []),
                    {
                        path: BACKUP_HEALTH_SCRIPT_PATH,
                        content: renderBackupHealthCheck(backupHealthLimits(ctx.backup.schedule)),
                        executable: true,
                    },
                ],
                // Healthy while crond runs and the last scheduled backup is recent enough, not merely while crond lives
                // (issue 15, finding 14): a backup that fails every night turns the container unhealthy. Run by the
                // image's /bin/sh (busybox ash), which the image contract lists; the script uses only its applets.
                healthcheck: { test: ["CMD", "/bin/sh", BACKUP_HEALTH_SCRIPT_PATH], intervalSeconds: 30 },
                capabilities: SERVICES.backup.capabilities,
                rootReason: BACKUP_ROOT_REASON,
                networks,
                volumes: backupVolumes(ctx),
            },
            { parent: this, dependsOn: [...args.database] },
        );

        if (replication) {
            this.walReceiver = walReceiver(this, ctx, {
                direct: direct.env,
                login: replication,
                database: args.database,
                ...(args.roles ? { roles: args.roles } : {}),
            });
        }
        this.sync = mirror(this, ctx, {
            name: "backup-sync",
            copies: [
                { source: BACKUP_DIR, target: `local/${BUCKETS.backups}/postgres`, exclude: ["*.partial"] },
                ...(replication
                    ? [{ source: PITR_DIR, target: `local/${BUCKETS.backups}/pitr`, exclude: PITR_OPEN }]
                    : []),
            ],
            // Not the root user: backup-sync may put and read, never delete (components/services/minio.ts).
            mcConfig: backupSyncSecret(ctx.secrets.minioRootPassword).apply(renderBackupSyncMcConfig),
            networks: [ctx.networks.data],
            dependsOn: args.objectStorage,
        });
        const offsite: OffsiteStore | undefined = args.offsite ?? ctx.backup.offsite;
        if (offsite) {
            // Copies leave the host encrypted (issue 15, finding 18); config refuses an offsite store without the key.
            // Both the dumps and the uploads bucket (issue 15, finding 2): the application's files exist only in MinIO,
            // on the same block volume as the database, so without them an offsite restore would bring back records
            // whose files are gone. One key, scoped to the bucket, covers both prefixes.
            this.offsite = mirror(this, ctx, {
                name: "backup-offsite",
                copies: offsiteCopies(offsite.bucket, replication !== undefined),
                mcConfig: pulumi
                    .all([
                        offsite.accessKeyId,
                        offsite.secretAccessKey,
                        uploadsReaderSecret(ctx.secrets.minioRootPassword),
                    ])
                    .apply(([accessKey, secretKey, reader]) =>
                        renderMcAliases({
                            offsite: { url: offsite.endpoint, accessKey, secretKey },
                            local: uploadsReaderAlias(reader),
                        }),
                    ),
                sse: { key: pulumi.secret(offsite.encryptionKey), scope: `offsite/${offsite.bucket}/` },
                // app: the way out to the internet; data: minio:9000, to read the uploads bucket (data is internal, so
                // it is no way out: components/platform/networks.ts).
                networks: [ctx.networks.app, ctx.networks.data],
                // minio-init makes the uploads reader the copy reads as.
                dependsOn: args.objectStorage,
            });
        }
        this.registerOutputs({});
    }
}

/**
 * What the mirrors leave out of PITR_DIR: the segment the receiver is writing (`wal/<segment>.partial`), which grows
 * until it is renamed whole; an append-only copy would keep its first, short state. A closed chain's last `.partial`
 * (`wal-closed-<time>/`) never changes again and is copied: it holds that chain's last seconds. mc matches the pattern
 * against the path under the source with its leading slash removed, `*` spanning slashes
 * (minio/mc@RELEASE.2025-08-13T08-35-41Z cmd/mirror-url.go:94-108, 177-181; cmd/difference_test.go:31-46).
 */
export const PITR_OPEN: readonly string[] = ["wal/*.partial"];

/**
 * What backup-offsite copies, each under its own prefix of the offsite bucket: the dumps (not those still being
 * written, `*.partial`) and the uploads bucket, which it reads as the uploads reader (`local`, minio.ts). An object
 * becomes visible only once its upload is complete, so none is ever half-written; `--older-than` still leaves the
 * newest ones to the next pass, so that one the application replaces within minutes of writing it is copied in its
 * final form: the copy is append-only and never corrected.
 */
export function offsiteCopies(bucket: string, pointInTime = false): MirrorCopy[] {
    return [
        { source: BACKUP_DIR, target: `offsite/${bucket}/postgres`, exclude: ["*.partial"] },
        ...(pointInTime ? [{ source: PITR_DIR, target: `offsite/${bucket}/pitr`, exclude: PITR_OPEN }] : []),
        { source: `local/${BUCKETS.uploads}`, target: `offsite/${bucket}/${BUCKETS.uploads}` },
    ];
}

/**
 * A loop of append-only `mc mirror` passes (renderMirrorLoop); read-only on the backups volume, writing only its own
 * files in node-exporter's textfile directory. Healthy while its last fully successful pass is recent
 * (renderMirrorHealthCheck), not merely while its store answers: a mirror that fails every pass turns unhealthy.
 */
function mirror(
    parent: pulumi.Resource,
    ctx: AppContext,
    m: {
        name: MirrorName;
        copies: MirrorCopy[];
        mcConfig: pulumi.Output<string>;
        sse?: { key: pulumi.Output<string>; scope: string };
        networks: docker.Network[];
        dependsOn: readonly pulumi.Resource[];
    },
): Service {
    const sse = m.sse ? { sse: { keyFile: OFFSITE_KEY_FILE, scope: m.sse.scope } } : {};
    const loop: MirrorLoop = { name: m.name, copies: m.copies, textfileDir: TEXTFILE_DIR, ...sse };
    return new Service(
        m.name,
        {
            kind: "stateless",
            daemon: ctx.daemon,
            namePrefix: ctx.namePrefix,
            image: imageOf(m.name),
            limits: ctx.limits[m.name],
            // /bin/sh is in the mc image (ubi-micro), and so are sleep, date and mv: the image's own build runs chmod
            // (minio/mc Dockerfile.release:22), which comes with ubi-micro's coreutils.
            entrypoint: ["/bin/sh", "-c"],
            command: [renderMirrorLoop(loop)],
            files: [
                { path: `${MC_DIR}/config.json`, content: m.mcConfig, secret: true },
                ...(m.sse ? [{ path: OFFSITE_KEY_FILE, content: m.sse.key, secret: true }] : []),
                {
                    path: MIRROR_HEALTH_SCRIPT_PATH,
                    content: renderMirrorHealthCheck(
                        MIRROR_HEALTH_LIMITS,
                        mirrorMetricFiles(TEXTFILE_DIR, m.name).success,
                    ),
                    executable: true,
                },
            ],
            healthcheck: { test: ["CMD", "/bin/sh", MIRROR_HEALTH_SCRIPT_PATH], intervalSeconds: 60 },
            rootReason:
                "it reads the dumps, which the backup service writes as root with mode 0600 in a 0700 directory",
            networks: m.networks.map((network) => ({ network })),
            volumes: [
                { volume: ctx.volumes.backups, containerPath: "/backups", readOnly: true },
                // Where it records each fully successful pass, for node-exporter (the backup service writes there too).
                { volume: ctx.volumes["metrics-textfile"], containerPath: TEXTFILE_DIR },
            ],
        },
        { parent, dependsOn: [...m.dependsOn] },
    );
}
