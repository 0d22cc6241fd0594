import * as pulumi from "@pulumi/pulumi";
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

/** Creates the buckets; `--ignore-existing` makes a re-run harmless. */
export function minioBuckets(ctx: ServiceContext, minioService: pulumi.Resource, parent: pulumi.Resource): Service {
    return new Service(
        "minio-init",
        {
            kind: "job",
            host: ctx.host,
            namePrefix: ctx.cfg.namePrefix,
            image: PUBLIC_IMAGES.mc,
            limits: ctx.cfg.resources["minio-init"],
            command: ["--config-dir", MC_CONFIG_DIR, "mb", "--ignore-existing", ...Object.values(BUCKETS).map((b) => `local/${b}`)],
            files: [{ path: `${MC_CONFIG_DIR}/config.json`, content: ctx.secrets.minioRootPassword.apply(renderMcConfig), secret: true }],
            networks: [{ network: ctx.networks.data }],
            dependsOn: [minioService],
        },
        { parent },
    );
}
