import * as pulumi from "@pulumi/pulumi";
import { createHmac } from "crypto";
import { PUBLIC_IMAGES } from "../images";
import { Service } from "../service";
import { BUCKETS, SECRETS_DIR, ServiceContext } from "./context";

export const MINIO_PORT = 9000;
export const MINIO_ROOT_USER = "freshtrack-admin";
const ROOT_USER_FILE = `${SECRETS_DIR}/minio_root_user`;
const ROOT_PASSWORD_FILE = `${SECRETS_DIR}/minio_root_password`;
const MC_CONFIG_DIR = `${SECRETS_DIR}/mc`;

/** mc's config.json (format version 10) with one alias, `local`, for the stack's MinIO. */
export function renderMcConfig(secretKey: string): string {
    return renderMcAliases({ local: { url: `http://minio:${MINIO_PORT}`, accessKey: MINIO_ROOT_USER, secretKey } });
}

/** mc's config.json (format version 10) with the given aliases. */
export function renderMcAliases(aliases: Record<string, { url: string; accessKey: string; secretKey: string }>): string {
    return JSON.stringify(
        { version: "10", aliases: Object.fromEntries(Object.entries(aliases).map(([name, a]) => [name, { ...a, api: "S3v4", path: "auto" }])) },
        null,
        2,
    );
}

export function minio(ctx: ServiceContext, parent: pulumi.Resource): Service {
    return new Service(
        "minio",
        {
            kind: "stateful",
            statefulReason: "MinIO locks its data directory; a second server on the same volume refuses to start",
            host: ctx.host,
            namePrefix: ctx.cfg.namePrefix,
            image: PUBLIC_IMAGES.minio,
            limits: ctx.cfg.resources.minio,
            command: ["server", "/data"],
            // MinIO reads both from files (minio/minio cmd/common-main.go, loadEnvVarsFromFiles).
            // Metrics without a bearer token: they are reachable only on the internal monitoring network.
            env: { MINIO_ROOT_USER_FILE: ROOT_USER_FILE, MINIO_ROOT_PASSWORD_FILE: ROOT_PASSWORD_FILE, MINIO_BROWSER: "off", MINIO_PROMETHEUS_AUTH_TYPE: "public" },
            files: [
                { path: ROOT_USER_FILE, content: MINIO_ROOT_USER },
                { path: ROOT_PASSWORD_FILE, content: ctx.secrets.minioRootPassword, secret: true },
            ],
            healthcheck: { test: ["CMD", "curl", "-fsS", `http://127.0.0.1:${MINIO_PORT}/minio/health/live`] },
            networks: [{ network: ctx.networks.data }, { network: ctx.networks.monitoring }],
            volumes: [{ volume: ctx.volumes.volume("minio-data"), containerPath: "/data" }],
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
 * The backup-sync user's secret: derived from the root password (HMAC-SHA256 with a fixed label), so it
 * needs no state of its own, rotates with the root password, and reveals nothing about it. An output
 * derived from a secret output stays secret.
 */
export function backupSyncSecret(rootPassword: pulumi.Output<string>): pulumi.Output<string> {
    return pulumi.secret(rootPassword.apply((root) => createHmac("sha256", root).update("freshtrack minio backup-sync user").digest("hex")));
}

/** mc's config.json for the backup-sync container: `local` as the append-only backup-sync user. */
export function renderBackupSyncMcConfig(secretKey: string): string {
    return renderMcAliases({ local: { url: `http://minio:${MINIO_PORT}`, accessKey: BACKUP_SYNC_USER, secretKey } });
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
                { Effect: "Allow", Action: ["s3:GetBucketLocation", "s3:ListBucket"], Resource: [`arn:aws:s3:::${bucket}`] },
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
            ],
        },
        null,
        2,
    );
}

/**
 * Retention of the copies in the backups bucket, done by MinIO's lifecycle since nobody else may delete
 * there. The bucket is versioned, so an object overwritten by a stolen sync key keeps its earlier
 * version. A dump expires `retentionDays` after it was written (MinIO adds a delete marker); the version
 * that made noncurrent, and the delete marker itself, go `retentionDays` later. Format: minio-go
 * v7.0.90 (the one mc RELEASE.2025-08-13T08-35-41Z builds with, go.mod) pkg/lifecycle/lifecycle.go:
 * Configuration{Rules} :524-527, Rule :459-522; DelMarkerExpiration is MinIO's own action
 * (minio/minio internal/bucket/lifecycle/lifecycle.go:397-401: all versions of an object whose latest
 * version is an old enough delete marker).
 */
export function renderBackupLifecycle(retentionDays: number, prefix = "postgres/"): string {
    return JSON.stringify(
        {
            Rules: [
                {
                    ID: "freshtrack-backup-retention",
                    Status: "Enabled",
                    Filter: { Prefix: prefix },
                    Expiration: { Days: retentionDays },
                    NoncurrentVersionExpiration: { NoncurrentDays: retentionDays },
                    DelMarkerExpiration: { Days: retentionDays },
                },
            ],
        },
        null,
        2,
    );
}

/**
 * The minio-init job: buckets, then versioning and lifecycle on the backups bucket, then the append-only
 * backup-sync user. Every step is safe to repeat: `mb --ignore-existing`; `version enable` and
 * `ilm rule import` set the whole configuration (mc cmd/ilm-rule-import.go:92-121 replaces the lifecycle
 * with the imported rules); `admin policy create` overwrites a policy of that name; `admin user add`
 * sets the secret; `admin policy attach` treats "already attached" as success (mc cmd/admin-policy-attach.go:27,105-107).
 * The user's secret goes in on stdin (mc cmd/admin-user-add.go:153-186), never on a command line.
 */
export function renderMinioInitScript(): string {
    const mc = `mc --config-dir ${MC_CONFIG_DIR}`;
    return [
        "set -eu",
        `${mc} mb --ignore-existing ${Object.values(BUCKETS).map((b) => `local/${b}`).join(" ")}`,
        `${mc} version enable local/${BUCKETS.backups}`,
        `${mc} ilm rule import local/${BUCKETS.backups} <${LIFECYCLE_FILE}`,
        `${mc} admin policy create local ${BACKUP_APPEND_POLICY} ${POLICY_FILE}`,
        `${mc} admin user add local ${BACKUP_SYNC_USER} <${SYNC_SECRET_FILE}`,
        `${mc} admin policy attach local ${BACKUP_APPEND_POLICY} --user ${BACKUP_SYNC_USER}`,
    ].join("\n");
}

/**
 * Creates the buckets, the backups bucket's versioning and lifecycle, and the append-only user that
 * backup-sync writes with (renderMinioInitScript). A job: it runs again when any of that changes.
 */
export function minioBuckets(ctx: ServiceContext, minioService: pulumi.Resource, parent: pulumi.Resource): Service {
    return new Service(
        "minio-init",
        {
            kind: "job",
            host: ctx.host,
            namePrefix: ctx.cfg.namePrefix,
            image: PUBLIC_IMAGES.mc,
            limits: ctx.cfg.resources["minio-init"],
            // /bin/sh is in the mc image (ubi-micro; components/imageContracts.ts), and runs the steps in order.
            entrypoint: ["/bin/sh", "-c"],
            command: [renderMinioInitScript()],
            files: [
                { path: `${MC_CONFIG_DIR}/config.json`, content: ctx.secrets.minioRootPassword.apply(renderMcConfig), secret: true },
                { path: POLICY_FILE, content: renderBackupAppendPolicy(BUCKETS.backups) },
                { path: LIFECYCLE_FILE, content: renderBackupLifecycle(ctx.cfg.backup.retentionDays) },
                { path: SYNC_SECRET_FILE, content: backupSyncSecret(ctx.secrets.minioRootPassword), secret: true },
            ],
            networks: [{ network: ctx.networks.data }],
            dependsOn: [minioService],
        },
        { parent },
    );
}
