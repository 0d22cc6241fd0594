import * as pulumi from "@pulumi/pulumi";
import { createHmac } from "crypto";
import { Service } from "../service";
import { BUCKETS, SECRETS_DIR } from "./context";
import type { DataContext } from "./dataTier";
import { ENDPOINTS, SERVICES, imageOf } from "../catalog";

export const MINIO_PORT = SERVICES.minio.port;
export const MINIO_ROOT_USER = "freshtrack-admin";
const ROOT_USER_FILE = `${SECRETS_DIR}/minio_root_user`;
const ROOT_PASSWORD_FILE = `${SECRETS_DIR}/minio_root_password`;
const MC_CONFIG_DIR = `${SECRETS_DIR}/mc`;

/** mc's config.json (format version 10) with one alias, `local`, for the stack's MinIO. */
export function renderMcConfig(secretKey: string): string {
    return renderMcAliases({
        local: { url: `http://${ENDPOINTS.minio.address}`, accessKey: MINIO_ROOT_USER, secretKey },
    });
}

/** mc's config.json (format version 10) with the given aliases. */
export function renderMcAliases(
    aliases: Record<string, { url: string; accessKey: string; secretKey: string }>,
): string {
    return JSON.stringify(
        {
            version: "10",
            aliases: Object.fromEntries(
                Object.entries(aliases).map(([name, a]) => [name, { ...a, api: "S3v4", path: "auto" }]),
            ),
        },
        null,
        2,
    );
}

/**
 * Why the mc containers run as root: every mc command first creates files in its config directory, which the daemon
 * made root:root 0755 when it extracted the uploaded config (components/imageContracts/, the mc notes).
 */
export const MC_ROOT_REASON =
    "every mc command first writes into its config directory, which Docker creates root-owned when it copies the config in; it holds no capability";

export function minio(ctx: DataContext, parent: pulumi.Resource): Service {
    return new Service(
        "minio",
        {
            kind: "stateful",
            statefulReason: "MinIO locks its data directory; a second server on the same volume refuses to start",
            daemon: ctx.daemon,
            namePrefix: ctx.namePrefix,
            image: imageOf("minio"),
            // The image runs as root and its /data has no other owner (components/imageContracts/).
            rootReason: "its objects sit in a volume that earlier releases wrote as root; it holds no capability",
            limits: ctx.limits.minio,
            command: ["server", "/data"],
            // MinIO reads both from files (minio/minio cmd/common-main.go, loadEnvVarsFromFiles).
            // Metrics without a bearer token: they are reachable only on the internal monitoring network.
            env: {
                MINIO_ROOT_USER_FILE: ROOT_USER_FILE,
                MINIO_ROOT_PASSWORD_FILE: ROOT_PASSWORD_FILE,
                MINIO_BROWSER: "off",
                MINIO_PROMETHEUS_AUTH_TYPE: "public",
            },
            files: [
                { path: ROOT_USER_FILE, content: MINIO_ROOT_USER },
                { path: ROOT_PASSWORD_FILE, content: ctx.secrets.minioRootPassword, secret: true },
            ],
            healthcheck: { test: ["CMD", "curl", "-fsS", `http://127.0.0.1:${MINIO_PORT}/minio/health/live`] },
            networks: [{ network: ctx.networks.data }, { network: ctx.networks.monitoring }],
            volumes: [{ volume: ctx.volumes["minio-data"], containerPath: "/data" }],
        },
        { parent },
    );
}

/**
 * The MinIO user the backup-sync container writes the dumps with. It may add objects to the backups
 * bucket and read them back, and nothing else: not delete, not change the bucket's versioning or
 * lifecycle (renderBackupAppendPolicy). MinIO checks s3:DeleteObject on every delete, single or
 * multiple (minio/minio@RELEASE.2025-09-07T16-13-09Z cmd/object-handlers.go:2582,
 * cmd/bucket-handlers.go:468,502), so an empty volume mirrored by a buggy or hostile client cannot
 * remove a single copy.
 */
export const BACKUP_SYNC_USER = "backup-sync";
export const BACKUP_APPEND_POLICY = "freshtrack-backup-append";
const POLICY_FILE = `${MC_CONFIG_DIR}/backup-append-policy.json`;
const LIFECYCLE_FILE = `${MC_CONFIG_DIR}/backups-lifecycle.json`;
const SYNC_SECRET_FILE = `${MC_CONFIG_DIR}/backup-sync-secret`;

/**
 * A MinIO user's secret derived from the root password (HMAC-SHA256 with a label of its own), so it needs no
 * state of its own, rotates with the root password (freshtrack:secretGenerations.minioRootPassword), and reveals
 * nothing about it or about another user's. An output derived from a secret output stays secret. 64 hex digits:
 * MinIO wants at least 8 and sets no maximum (minio/minio@RELEASE.2025-09-07T16-13-09Z
 * internal/auth/credentials.go:45-50,84-86, checked by cmd/iam.go:1408).
 */
function derivedUserSecret(rootPassword: pulumi.Output<string>, label: string): pulumi.Output<string> {
    return pulumi.secret(rootPassword.apply((root) => createHmac("sha256", root).update(label).digest("hex")));
}

/** The backup-sync user's secret (derivedUserSecret). */
export function backupSyncSecret(rootPassword: pulumi.Output<string>): pulumi.Output<string> {
    return derivedUserSecret(rootPassword, "freshtrack minio backup-sync user");
}

/** mc's config.json for the backup-sync container: `local` as the append-only backup-sync user. */
export function renderBackupSyncMcConfig(secretKey: string): string {
    return renderMcAliases({
        local: { url: `http://${ENDPOINTS.minio.address}`, accessKey: BACKUP_SYNC_USER, secretKey },
    });
}

/**
 * IAM policy of the backup-sync user (AWS policy grammar, which MinIO takes): list the bucket, and put
 * and get its objects. The Deny names what the Allow already leaves out, so a later widening of the
 * Allow cannot bring deletion back without removing it too.
 */
export function renderBackupAppendPolicy(bucket: string): string {
    return JSON.stringify(
        {
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Action: ["s3:GetBucketLocation", "s3:ListBucket"],
                    Resource: [`arn:aws:s3:::${bucket}`],
                },
                { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: [`arn:aws:s3:::${bucket}/*`] },
                {
                    Effect: "Deny",
                    Action: [
                        "s3:DeleteObject",
                        "s3:DeleteObjectVersion",
                        "s3:DeleteBucket",
                        "s3:PutBucketVersioning",
                        "s3:PutLifecycleConfiguration",
                        "s3:PutBucketPolicy",
                    ],
                    Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
                },
                // MinIO lets a user make access keys for itself unless a policy denies it
                // (minio/minio@RELEASE.2025-09-07T16-13-09Z cmd/admin-handlers-users.go:2960-2978); keys made with the
                // host's copy of this password would outlive its rotation. Admin statements take no Resource
                // (minio/pkg@v3.1.3 policy/statement.go:79).
                { Effect: "Deny", Action: ["admin:*"] },
            ],
        },
        null,
        2,
    );
}

/**
 * The MinIO user the backend and worker connect as (issue 15, finding 12), instead of the root user, which may
 * do anything to any bucket, the backups included, and to MinIO itself. Its policy (renderAppUploadsPolicy)
 * lets it use the uploads bucket and nothing else.
 */
export const MINIO_APP_USER = "freshtrack-app";
export const APP_UPLOADS_POLICY = "freshtrack-app-uploads";
const APP_POLICY_FILE = `${MC_CONFIG_DIR}/app-uploads-policy.json`;
const APP_SECRET_FILE = `${MC_CONFIG_DIR}/app-user-secret`;

/** The app user's secret (derivedUserSecret, with a label of its own). */
export function appUserSecret(rootPassword: pulumi.Output<string>): pulumi.Output<string> {
    return derivedUserSecret(rootPassword, "freshtrack minio app user");
}

/**
 * IAM policy of the app user: what an S3 SDK does with one bucket, and nothing more. Each S3 call and the action
 * MinIO checks for it (minio/minio@RELEASE.2025-09-07T16-13-09Z):
 * - PutObject, and the three steps of a multipart upload: s3:PutObject (cmd/object-handlers.go:1884;
 *   cmd/object-multipart-handlers.go:83 create, :674 part, :933 complete); AbortMultipartUpload:
 *   s3:AbortMultipartUpload (:1127); ListParts: s3:ListMultipartUploadParts (:1171);
 *   ListMultipartUploads: s3:ListBucketMultipartUploads (cmd/bucket-handlers.go:264);
 * - GetObject and HeadObject: s3:GetObject (cmd/object-handlers.go:327,394; :762,847); CopyObject: s3:GetObject
 *   on the source and s3:PutObject on the target (:1176,1212);
 * - DeleteObject and DeleteObjects: s3:DeleteObject (cmd/object-handlers.go:2582; cmd/bucket-handlers.go:468,502);
 * - ListObjects (V1, V2) and HeadBucket: s3:ListBucket (cmd/bucket-listobjects-handlers.go:172,287;
 *   cmd/bucket-handlers.go:1660-1661); GetBucketLocation: s3:GetBucketLocation (cmd/bucket-handlers.go:217).
 * Action names: minio/pkg@v3.1.3 (the version that MinIO release builds with, go.mod) policy/action.go:32,51,54,
 * 66,78,87,98,116.
 *
 * A user may do only what a policy attached to it allows (cmd/iam.go:2522-2534; policy/policy.go:197-206 of
 * minio/pkg), so nothing on backups and no bucket or admin action is granted. Two Deny statements say so
 * explicitly, because a Deny wins over every Allow (minio/pkg policy/policy.go:173-181), so a later widening of
 * the Allow cannot reach the backups; and because MinIO lets a user change its own password and create access
 * keys for itself unless a policy denies it (cmd/admin-handlers-users.go:490-500, :2960-2978; DenyOnly,
 * minio/pkg policy/policy.go:183-190): keys made so would outlive a rotation of the app's password. A statement
 * of admin actions takes no Resource (minio/pkg policy/statement.go:79,136-148).
 */
export function renderAppUploadsPolicy(uploads: string, backups: string): string {
    return JSON.stringify(
        {
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Action: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                    Resource: [`arn:aws:s3:::${uploads}`],
                },
                {
                    Effect: "Allow",
                    Action: [
                        "s3:GetObject",
                        "s3:PutObject",
                        "s3:DeleteObject",
                        "s3:AbortMultipartUpload",
                        "s3:ListMultipartUploadParts",
                    ],
                    Resource: [`arn:aws:s3:::${uploads}/*`],
                },
                {
                    Effect: "Deny",
                    Action: ["s3:*"],
                    Resource: [`arn:aws:s3:::${backups}`, `arn:aws:s3:::${backups}/*`],
                },
                { Effect: "Deny", Action: ["admin:*"] },
            ],
        },
        null,
        2,
    );
}

/**
 * The MinIO user backup-offsite reads the uploads bucket with (issue 15, finding 2): the application's files live
 * only in that bucket, on the same block volume as everything else, so they go offsite beside the dumps. Reading is
 * all it may do (renderUploadsReadPolicy), so the offsite container, which also holds the offsite store's key and
 * talks to the internet, can neither change a customer's file nor reach the backups or MinIO itself.
 */
export const UPLOADS_READER_USER = "freshtrack-uploads-reader";
export const UPLOADS_READ_POLICY = "freshtrack-uploads-read";
const READER_POLICY_FILE = `${MC_CONFIG_DIR}/uploads-read-policy.json`;
const READER_SECRET_FILE = `${MC_CONFIG_DIR}/uploads-reader-secret`;

/** The uploads reader's secret (derivedUserSecret, with a label of its own). */
export function uploadsReaderSecret(rootPassword: pulumi.Output<string>): pulumi.Output<string> {
    return derivedUserSecret(rootPassword, "freshtrack minio uploads reader user");
}

/** The alias of the stack's MinIO as the uploads reader, for the offsite container's mc config (renderMcAliases). */
export function uploadsReaderAlias(secretKey: string): { url: string; accessKey: string; secretKey: string } {
    return { url: `http://${ENDPOINTS.minio.address}`, accessKey: UPLOADS_READER_USER, secretKey };
}

/**
 * Every S3 action that changes something, as patterns (minio/pkg@v3.1.3 policy/action.go:32-207 lists the actions;
 * an action in a statement may be a wildcard pattern, valid when it matches a supported action, :320-333, matched by
 * wildcard.Match): each Put, Delete and Create action, and those that write without saying so in their name.
 */
const CHANGING_S3_ACTIONS = [
    "s3:Put*",
    "s3:Delete*",
    "s3:Create*",
    "s3:ForceDeleteBucket",
    "s3:AbortMultipartUpload",
    "s3:BypassGovernanceRetention",
    "s3:Replicate*",
    "s3:RestoreObject",
    "s3:ResetBucketReplicationState",
];

/**
 * IAM policy of the uploads reader: what `mc mirror` does with a source bucket, and nothing more. It checks the
 * bucket exists (HeadBucket, minio/mc@RELEASE.2025-08-13T08-35-41Z cmd/client-s3.go:2306-2315) and lists it
 * (ListObjects V1/V2 and HeadBucket: s3:ListBucket, minio/minio@RELEASE.2025-09-07T16-13-09Z
 * cmd/bucket-listobjects-handlers.go:172,287, cmd/bucket-handlers.go:1660-1661; GetBucketLocation:
 * s3:GetBucketLocation, :217) and reads each object it copies (GetObject: s3:GetObject, cmd/object-handlers.go:327;
 * mc's S3 client reads a source with GetObject only, mc cmd/client-s3.go:885-908, the tagging directive only with
 * --preserve, which the mirror does not pass). Nothing here was run against a real MinIO: none can be installed on
 * these machines, so the calls are argued from the sources.
 *
 * A user may do only what a policy attached to it allows (cmd/iam.go:2522-2534), so nothing else is granted. Three Deny
 * statements say so explicitly, since a Deny wins over every Allow (minio/pkg@v3.1.3 policy/policy.go:173-181) and a
 * later widening of the Allow cannot undo them: no change to any bucket or object (CHANGING_S3_ACTIONS, on every
 * bucket: `arn:aws:s3:::*` parses as the S3 pattern `*`, policy/resource.go:241-258, which matches every bucket and
 * object, :125-133), nothing at all on the backups bucket, and no admin action (a user may otherwise change its own
 * password and make access keys for itself: cmd/admin-handlers-users.go:490-500, :2960-2978; admin statements take no
 * Resource, minio/pkg policy/statement.go:79).
 */
export function renderUploadsReadPolicy(uploads: string, backups: string): string {
    return JSON.stringify(
        {
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Action: ["s3:GetBucketLocation", "s3:ListBucket"],
                    Resource: [`arn:aws:s3:::${uploads}`],
                },
                { Effect: "Allow", Action: ["s3:GetObject"], Resource: [`arn:aws:s3:::${uploads}/*`] },
                { Effect: "Deny", Action: CHANGING_S3_ACTIONS, Resource: ["arn:aws:s3:::*"] },
                {
                    Effect: "Deny",
                    Action: ["s3:*"],
                    Resource: [`arn:aws:s3:::${backups}`, `arn:aws:s3:::${backups}/*`],
                },
                { Effect: "Deny", Action: ["admin:*"] },
            ],
        },
        null,
        2,
    );
}

/**
 * Retention of the copies in the backups bucket, done by MinIO's lifecycle since nobody else may delete
 * there. The bucket is versioned, so an object overwritten by a stolen sync key keeps its earlier
 * version. A copy expires `days` after it was written (MinIO adds a delete marker); the version
 * that made noncurrent, and the delete marker itself, go `days` later. One rule per prefix the backup mirrors write
 * under (components/services/backup.ts): the dumps (`postgres/`, backup.retentionDays) and point-in-time recovery's
 * base backups and write-ahead log (`pitr/`, backup.pointInTimeDays). The `pitr/` rule is there whether or not
 * point-in-time recovery is on, so that copies made while it was on still expire after it is turned off; on a prefix
 * that holds nothing it does nothing. Base backups and the log expire after the same days, as freshtrack-base-backup
 * prunes them on the volume (components/services/pitrScripts.ts).
 * Format: minio-go v7.0.90 (the one mc RELEASE.2025-08-13T08-35-41Z builds with, go.mod) pkg/lifecycle/lifecycle.go:
 * Configuration{Rules} :524-527, Rule :459-522; DelMarkerExpiration is MinIO's own action
 * (minio/minio internal/bucket/lifecycle/lifecycle.go:397-401: all versions of an object whose latest
 * version is an old enough delete marker).
 */
export function renderBackupLifecycle(days: { readonly dumps: number; readonly pointInTime: number }): string {
    const rule = (id: string, prefix: string, d: number) => ({
        ID: id,
        Status: "Enabled",
        Filter: { Prefix: prefix },
        Expiration: { Days: d },
        NoncurrentVersionExpiration: { NoncurrentDays: d },
        DelMarkerExpiration: { Days: d },
    });
    const rules = [
        rule("freshtrack-backup-retention", "postgres/", days.dumps),
        rule("freshtrack-pitr-retention", "pitr/", days.pointInTime),
    ];
    return JSON.stringify({ Rules: rules }, null, 2);
}

/**
 * The minio-init job: buckets, then versioning and lifecycle on the backups bucket, then the append-only backup-sync
 * user, then the app user, then the uploads reader (for backup-offsite). Every step is safe to repeat: `mb
 * --ignore-existing`; `version enable` and `ilm rule import` set the whole configuration (mc
 * cmd/ilm-rule-import.go:92-121 replaces the lifecycle with the imported rules); `admin policy create` overwrites a
 * policy of that name (mc cmd/admin-policy-create.go:129-136 sends the file; minio
 * cmd/admin-handlers-users.go:1732-1744 parses and stores it, cmd/iam-store.go:1466-1491 replacing the document of that
 * name); `admin user add` sets the secret of a user that exists (minio cmd/iam.go:1393-1412,
 * cmd/iam-store.go:2803-2836: it rewrites the credentials only, so attached policies stay) and enables it
 * (madmin-go@4b504b82db63, the version mc builds with, user-commands.go:305-306); `admin policy attach` treats "already
 * attached" as success (mc cmd/admin-policy-attach.go:27,105-107). A user's secret goes in on stdin (mc
 * cmd/admin-user-add.go:153-186: with TARGET and ACCESSKEY given, the secret is the first line read from a stdin that
 * is not a terminal), never on a command line. mc is minio/mc@RELEASE.2025-08-13T08-35-41Z, MinIO
 * RELEASE.2025-09-07T16-13-09Z.
 */
export function renderMinioInitScript(): string {
    const mc = `mc --config-dir ${MC_CONFIG_DIR}`;
    return [
        "set -eu",
        `${mc} mb --ignore-existing ${Object.values(BUCKETS)
            .map((b) => `local/${b}`)
            .join(" ")}`,
        `${mc} version enable local/${BUCKETS.backups}`,
        `${mc} ilm rule import local/${BUCKETS.backups} <${LIFECYCLE_FILE}`,
        ...MINIO_USERS.flatMap((u) => [
            `${mc} admin policy create local ${u.policy} ${u.policyFile}`,
            `${mc} admin user add local ${u.user} <${u.secretFile}`,
            `${mc} admin policy attach local ${u.policy} --user ${u.user}`,
        ]),
    ].join("\n");
}

/** A MinIO user minio-init keeps: its name, its policy's name and document, and the files that hand both to mc. */
interface MinioUser {
    readonly user: string;
    readonly policy: string;
    readonly policyFile: string;
    readonly secretFile: string;
    readonly renderPolicy: () => string;
    readonly secret: (rootPassword: pulumi.Output<string>) => pulumi.Output<string>;
}

/** The users minio-init keeps, in the order it makes them. */
const MINIO_USERS: readonly MinioUser[] = [
    {
        user: BACKUP_SYNC_USER,
        policy: BACKUP_APPEND_POLICY,
        policyFile: POLICY_FILE,
        secretFile: SYNC_SECRET_FILE,
        renderPolicy: () => renderBackupAppendPolicy(BUCKETS.backups),
        secret: backupSyncSecret,
    },
    {
        user: MINIO_APP_USER,
        policy: APP_UPLOADS_POLICY,
        policyFile: APP_POLICY_FILE,
        secretFile: APP_SECRET_FILE,
        renderPolicy: () => renderAppUploadsPolicy(BUCKETS.uploads, BUCKETS.backups),
        secret: appUserSecret,
    },
    {
        user: UPLOADS_READER_USER,
        policy: UPLOADS_READ_POLICY,
        policyFile: READER_POLICY_FILE,
        secretFile: READER_SECRET_FILE,
        renderPolicy: () => renderUploadsReadPolicy(BUCKETS.uploads, BUCKETS.backups),
        secret: uploadsReaderSecret,
    },
];

/**
 * Creates the buckets, the backups bucket's versioning and lifecycle, the append-only user that backup-sync writes
 * with, the app user and the uploads reader (renderMinioInitScript). A job: it runs again when any of that changes. It
 * touches no object and never MinIO's volume.
 */
export function minioBuckets(ctx: DataContext, minioService: pulumi.Resource, parent: pulumi.Resource): Service {
    return new Service(
        "minio-init",
        {
            kind: "job",
            daemon: ctx.daemon,
            namePrefix: ctx.namePrefix,
            image: imageOf("minio-init"),
            rootReason: MC_ROOT_REASON,
            limits: ctx.limits["minio-init"],
            // /bin/sh is in the mc image (ubi-micro; components/imageContracts/), and runs the steps in order.
            entrypoint: ["/bin/sh", "-c"],
            command: [renderMinioInitScript()],
            files: [
                {
                    path: `${MC_CONFIG_DIR}/config.json`,
                    content: ctx.secrets.minioRootPassword.apply(renderMcConfig),
                    secret: true,
                },
                {
                    path: LIFECYCLE_FILE,
                    content: renderBackupLifecycle({
                        dumps: ctx.backupRetentionDays,
                        pointInTime: ctx.backupPointInTimeDays,
                    }),
                },
                ...MINIO_USERS.flatMap((u) => [
                    { path: u.policyFile, content: u.renderPolicy() },
                    { path: u.secretFile, content: u.secret(ctx.secrets.minioRootPassword), secret: true },
                ]),
            ],
            networks: [{ network: ctx.networks.data }],
        },
        { parent, dependsOn: [minioService] },
    );
}
