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
    MIRROR_METRIC,
    MIRROR_STARTED_METRIC,
    mirrorMetricFiles,
    mirrorMetricTemplate,
    MirrorName,
    renderBackupCrontab,
    renderBackupHealthCheck,
    renderBackupScript,
    renderMirrorHealthCheck,
    renderRestoreScript,
    RESTORE_SCRIPT_PATH,
} from "./backupScripts";
import type { AppContext } from "./appTier";
import { BUCKETS, SECRETS_DIR } from "./context";
import {
    backupSyncSecret,
    renderBackupSyncMcConfig,
    renderMcAliases,
    uploadsReaderAlias,
    uploadsReaderSecret,
} from "./minio";
import { SERVICES, imageOf } from "../catalog";

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

/** Seconds between two passes of a backup mirror. */
export const SYNC_INTERVAL_SECONDS = 300;
/**
 * A file modified more recently than this may still be being written (a CSV export, a manifest): the
 * pass leaves it to the next one, since an append-only copy of a half-written file could never be
 * corrected. Dumps in progress are `*.partial` and never copied at all.
 */
export const SYNC_MIN_AGE = "2m";
const MC_DIR = `${SECRETS_DIR}/mc`;
const OFFSITE_KEY_FILE = `${MC_DIR}/offsite-sse-c.key`;

/**
 * The offsite store as the Backup reads it: config's `backup.offsite`, with the SSE-C key the copies are
 * encrypted with (32 bytes as 64 hex digits, a secret the operator keeps: freshtrack:backupOffsiteEncryptionKey).
 */
export interface OffsiteStore {
    readonly endpoint: string;
    readonly bucket: string;
    readonly accessKeyId: pulumi.Output<string>;
    readonly secretAccessKey: pulumi.Output<string>;
    readonly encryptionKey: pulumi.Input<string>;
}

/**
 * How old a mirror's last fully successful pass may be before its container is unhealthy, and how long a new
 * container is healthy without one. Passes start SYNC_INTERVAL_SECONDS after the previous one ended, so two failed
 * passes in a row are tolerated and the third turns the container unhealthy; the margin is for the passes' own
 * duration (a large first copy of the uploads bucket takes longer, and the container is then unhealthy until it
 * ends, which is the truth: nothing is safe offsite yet). The first pass starts at once, so the same span is the
 * grace of a new container.
 */
export const MIRROR_STALE_PASSES = 3;
export const MIRROR_PASS_MARGIN_SECONDS = 600;
export const MIRROR_HEALTH_LIMITS = {
    staleSeconds: MIRROR_STALE_PASSES * SYNC_INTERVAL_SECONDS + MIRROR_PASS_MARGIN_SECONDS,
    graceSeconds: MIRROR_STALE_PASSES * SYNC_INTERVAL_SECONDS + MIRROR_PASS_MARGIN_SECONDS,
} as const;

/**
 * One `mc mirror` of a pass: a directory in the container or an `alias/bucket[/prefix]`, to an `alias/bucket/prefix`.
 */
export interface MirrorCopy {
    readonly source: string;
    readonly target: string;
    /** `--exclude` patterns (mc matches them against the object name). */
    readonly exclude?: readonly string[];
}

/** What one mirror container does (renderMirrorLoop). */
export interface MirrorLoop {
    readonly name: MirrorName;
    /** Each pass runs every copy, in this order; a pass is successful when all of them are. */
    readonly copies: readonly MirrorCopy[];
    /**
     * SSE-C for the copies: the file that holds the key, and the `alias/bucket/` it covers, which must hold every
     * copy's target (mc picks an object's key by the longest matching prefix and refuses a key whose prefix no argument
     * of the command matches: minio/mc@RELEASE.2025-08-13T08-35-41Z cmd/encryption-methods.go:52-70,116-118, and
     * :136-148).
     */
    readonly sse?: { readonly keyFile: string; readonly scope: string };
    /** node-exporter's textfile directory, where each fully successful pass is recorded. */
    readonly textfileDir: string;
}

/**
 * The command of a backup mirror: every SYNC_INTERVAL_SECONDS, one pass of `mc mirror` per copy, each copying
 * what the target lacks and nothing else. Not `--watch`: in watch mode mc removes on the target every file
 * removed at the source, `--remove` or not (minio/mc@RELEASE.2025-08-13T08-35-41Z cmd/mirror-main.go:754,
 * watch events from cmd/watch.go:116-119 and cmd/client-fs.go:224-229), so local retention would prune
 * the copies too. Not `--remove`: an empty volume would empty the bucket (cmd/mirror-url.go:250-257,
 * mirror-main.go:858). Not `--overwrite`: a file that differs from its copy is reported and left
 * ("Overwrite not allowed", cmd/mirror-url.go:217-224, ignored by mirror-main.go:611-613), so a corrupted
 * local dump never replaces a good copy. `--older-than` skips files younger than SYNC_MIN_AGE
 * (cmd/utils.go:172-188, mirror-main.go:833-835; for an object the time is its last modification). With `sse`,
 * objects are written with SSE-C under that key (`--enc-c alias/prefix=key`, 64 hex digits:
 * cmd/encryption-methods.go:195-243; the flag has no environment variable, cmd/flags.go:112-115, so the key is read
 * from its file by the shell at run time and never appears in the container's configuration).
 *
 * `mc mirror` exits non-zero when any copy of the pass failed (mirror-main.go:1198-1201, errDuringMirror from
 * :622-624) and zero otherwise. A pass in which every copy exited zero is recorded: MIRROR_METRIC with the time,
 * written under a temporary name and renamed, so node-exporter never reads half a file; the temporary name holds
 * the container's HOSTNAME (Docker sets it to the container's own hostname, moby/moby@v27.5.1
 * container/container.go:768), so a replacement starting beside the old container never writes the same temporary
 * file. A failed pass leaves the last success as it was. At its first start on a metrics volume the mirror also
 * records MIRROR_STARTED_METRIC, so that a mirror that runs but never succeeds is seen (BackupMirrorStale).
 * node-exporter reads the files as another user (nobody), so they are made world-readable (umask 022, Docker's
 * default anyway); they hold nothing but the times.
 */
export function renderMirrorLoop(loop: MirrorLoop): string {
    const { sse } = loop;
    if (sse && !sse.scope.endsWith("/"))
        throw new Error(`renderMirrorLoop: the SSE-C scope ${sse.scope} must end with "/"`);
    for (const c of loop.copies) {
        if (sse && !`${c.target}/`.startsWith(sse.scope)) {
            throw new Error(
                `renderMirrorLoop: ${c.target} is outside the SSE-C scope ${sse.scope}; it would be written unencrypted`,
            );
        }
    }
    const enc = sse ? ` --enc-c "${sse.scope}=$(cat ${sse.keyFile})"` : "";
    const files = mirrorMetricFiles(loop.textfileDir, loop.name);
    const publish = (file: string, metric: typeof MIRROR_METRIC | typeof MIRROR_STARTED_METRIC) =>
        `printf '${mirrorMetricTemplate(metric, loop.name)}' "$(date -u +%s)" >"${file}$part" && mv -f "${file}$part" "${file}"`;
    return [
        "set -u",
        "umask 022",
        // PID 1 ignores TERM unless it traps it; `sleep & wait` lets the trap run at once, and it ends the pause too.
        "trap 'kill $! 2>/dev/null; exit 0' TERM INT",
        // Docker sets HOSTNAME in every container's environment; shellcheck knows it only as bash's own variable.
        "# shellcheck disable=SC3028",
        'part=".${HOSTNAME:-mirror}.tmp"',
        `if [ ! -e ${files.started} ]; then`,
        `  ${publish(files.started, MIRROR_STARTED_METRIC)} ||`,
        `    echo "${loop.name}: could not record its first start in ${files.started}" >&2`,
        "fi",
        "while :; do",
        '  failed=""',
        ...loop.copies.flatMap((c) => {
            const exclude = (c.exclude ?? []).map((e) => ` --exclude '${e}'`).join("");
            return [
                `  mc --config-dir ${MC_DIR} mirror --older-than ${SYNC_MIN_AGE}${exclude}${enc} ${c.source} ${c.target} ||`,
                `    failed="$failed ${c.source}"`,
            ];
        }),
        '  if [ -z "$failed" ]; then',
        `    ${publish(files.success, MIRROR_METRIC)} ||`,
        `      echo "${loop.name}: every copy of this pass succeeded, but recording it in ${files.success} failed" >&2`,
        "  else",
        `    echo "${loop.name}: this pass failed for$failed; the last success stays as recorded; the next pass starts in ${SYNC_INTERVAL_SECONDS} s" >&2`,
        "  fi",
        `  sleep ${SYNC_INTERVAL_SECONDS} &`,
        "  wait $!",
        "done",
    ].join("\n");
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

    constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:services:Backup", name, {}, opts);
        const { ctx } = args;
        const direct = appEnvironment("migrate", backupAppInputs(args.app));
        const networks = [{ network: ctx.networks.data }, { network: ctx.networks.app }];

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
                env: { ...backupEnv(ctx, direct.env, false), ...restoreOwnerEnv(args.app), LAST_SUCCESS_FILE },
                files: [
                    ...direct.files,
                    { path: BACKUP_SCRIPT_PATH, content: renderBackupScript(), executable: true },
                    { path: RESTORE_SCRIPT_PATH, content: renderRestoreScript(), executable: true },
                    { path: "/etc/crontabs/root", content: renderBackupCrontab(ctx.backup.schedule) },
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

        this.sync = mirror(this, ctx, {
            name: "backup-sync",
            copies: [{ source: BACKUP_DIR, target: `local/${BUCKETS.backups}/postgres`, exclude: ["*.partial"] }],
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
                copies: offsiteCopies(offsite.bucket),
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
 * What backup-offsite copies, each under its own prefix of the offsite bucket: the dumps (not those still being
 * written, `*.partial`) and the uploads bucket, which it reads as the uploads reader (`local`, minio.ts). An object
 * becomes visible only once its upload is complete, so none is ever half-written; `--older-than` still leaves the
 * newest ones to the next pass, so that one the application replaces within minutes of writing it is copied in its
 * final form: the copy is append-only and never corrected.
 */
export function offsiteCopies(bucket: string): MirrorCopy[] {
    return [
        { source: BACKUP_DIR, target: `offsite/${bucket}/postgres`, exclude: ["*.partial"] },
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
