import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { PUBLIC_IMAGES } from "../images";
import { Service, ServiceVolume } from "../service";
import { appEnvironment, AppEnvInputs } from "./appEnv";
import { BACKUP_DIR, BACKUP_SCRIPT_PATH, renderBackupCrontab, renderBackupScript, renderRestoreScript, RESTORE_SCRIPT_PATH } from "./backupScripts";
import { BUCKETS, SECRETS_DIR, ServiceContext } from "./context";
import { renderMcAliases, renderMcConfig } from "./minio";

/** Where node-exporter's textfile collector reads metrics; the backup publishes its last success there. */
export const TEXTFILE_DIR = "/textfile";

/**
 * Env every container running the backup script gets: the database
 * connection from the app's env and nothing else of it, so a change of the
 * app's URL or settings does not replace a backup container. With
 * `withVersion`, APP_VERSION too, which names the pre-migration dump and makes
 * each new version a new pre-migration job.
 */
export function backupEnv(ctx: ServiceContext, appEnv: Record<string, pulumi.Input<string>>, withVersion: boolean): Record<string, pulumi.Input<string>> {
    const database = Object.fromEntries(Object.entries(appEnv).filter(([k]) => k.startsWith("DATABASE_") || (withVersion && k === "APP_VERSION")));
    return { ...database, BACKUP_DIR, RETENTION_DAYS: String(ctx.cfg.backup.retentionDays), TEXTFILE_DIR, TZ: "UTC" };
}

export function backupVolumes(ctx: ServiceContext): ServiceVolume[] {
    return [
        { volume: ctx.volumes.volume("backups"), containerPath: "/backups" },
        { volume: ctx.volumes.volume("metrics-textfile"), containerPath: TEXTFILE_DIR },
    ];
}

export interface BackupArgs {
    readonly ctx: ServiceContext;
    /** Straight to PostgreSQL (not through the pool). */
    readonly app: AppEnvInputs;
    readonly database: readonly pulumi.Resource[];
    /** MinIO and its buckets. */
    readonly objectStorage: readonly pulumi.Resource[];
}

/**
 * Scheduled database backups: `freshtrack-backup scheduled` from cron on
 * freshtrack:backup.schedule, dumps kept freshtrack:backup.retentionDays on the
 * backups volume, and mirrored (deletions included) to the MinIO backups
 * bucket, and to an offsite bucket (DigitalOcean Spaces) when one is
 * configured. The restore script ships in the same container:
 * `docker exec <backup container> freshtrack-restore [dump]`.
 */
export class Backup extends pulumi.ComponentResource {
    readonly scheduler: Service;
    readonly sync: Service;
    /** Present when freshtrack:backup.offsite is set. */
    readonly offsite?: Service;

    constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:services:Backup", name, {}, opts);
        const { ctx } = args;
        const direct = appEnvironment("migrate", args.app);
        const networks = [{ network: ctx.networks.data }, { network: ctx.networks.app }];

        this.scheduler = new Service(
            "backup",
            {
                kind: "stateless",
                host: ctx.host,
                namePrefix: ctx.cfg.namePrefix,
                image: PUBLIC_IMAGES.postgres,
                limits: ctx.cfg.resources.backup,
                // busybox crond in the foreground; it must start jobs as root, hence SETUID/SETGID. Without `-L` it
                // logs only to syslog, which the container has not (busybox crond.c), so a failure never reached
                // `docker logs`; `-L /dev/stderr` works with every BusyBox build (`-d` needs FEATURE_CROND_D).
                entrypoint: ["crond"],
                command: ["-f", "-l", "8", "-L", "/dev/stderr"],
                // Without APP_VERSION: an app update must not replace the backup service.
                env: backupEnv(ctx, direct.env, false),
                files: [
                    ...direct.files,
                    { path: BACKUP_SCRIPT_PATH, content: renderBackupScript(), executable: true },
                    { path: RESTORE_SCRIPT_PATH, content: renderRestoreScript(), executable: true },
                    { path: "/etc/crontabs/root", content: renderBackupCrontab(ctx.cfg.backup.schedule) },
                ],
                healthcheck: { test: ["CMD", "pidof", "crond"], intervalSeconds: 30 },
                capabilities: ["SETUID", "SETGID"],
                networks,
                volumes: backupVolumes(ctx),
                dependsOn: [...args.database],
            },
            { parent: this },
        );

        this.sync = mirror(this, ctx, {
            name: "backup-sync",
            target: `local/${BUCKETS.backups}/postgres`,
            mcConfig: ctx.secrets.minioRootPassword.apply(renderMcConfig),
            health: ["ready", "local"],
            network: ctx.networks.data,
            dependsOn: args.objectStorage,
        });
        const offsite = ctx.cfg.backup.offsite;
        if (offsite) {
            this.offsite = mirror(this, ctx, {
                name: "backup-offsite",
                target: `offsite/${offsite.bucket}/postgres`,
                mcConfig: pulumi
                    .all([offsite.accessKeyId, offsite.secretAccessKey])
                    .apply(([accessKey, secretKey]) => renderMcAliases({ offsite: { url: offsite.endpoint, accessKey, secretKey } })),
                health: ["ls", `offsite/${offsite.bucket}`],
                // app: the way out to the internet.
                network: ctx.networks.app,
                dependsOn: [],
            });
        }
        this.registerOutputs({});
    }
}

/** `mc mirror --watch` of the dumps directory, deletions included, to one bucket; read-only on the volume. */
function mirror(
    parent: pulumi.Resource,
    ctx: ServiceContext,
    m: { name: "backup-sync" | "backup-offsite"; target: string; mcConfig: pulumi.Output<string>; health: string[]; network: docker.Network; dependsOn: readonly pulumi.Resource[] },
): Service {
    const mcDir = `${SECRETS_DIR}/mc`;
    return new Service(
        m.name,
        {
            kind: "stateless",
            host: ctx.host,
            namePrefix: ctx.cfg.namePrefix,
            image: PUBLIC_IMAGES.mc,
            limits: ctx.cfg.resources[m.name],
            command: ["--config-dir", mcDir, "mirror", "--watch", "--overwrite", "--remove", BACKUP_DIR, m.target],
            files: [{ path: `${mcDir}/config.json`, content: m.mcConfig, secret: true }],
            healthcheck: { test: ["CMD", "mc", "--config-dir", mcDir, ...m.health], intervalSeconds: 60, timeoutSeconds: 20 },
            networks: [{ network: m.network }],
            volumes: [{ volume: ctx.volumes.volume("backups"), containerPath: "/backups", readOnly: true }],
            dependsOn: [...m.dependsOn],
        },
        { parent },
    );
}
