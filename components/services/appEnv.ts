/**
 * The one place that says what configuration the FreshTrack images receive:
 * plain settings as env, credentials as files named by `*_FILE` variables.
 * docs/app-contract.md lists the same keys; a test keeps the two in step.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ServiceFile } from "../service";
import { BUCKETS, clientSslMode, DATABASE_CA_PATH, DatabaseEndpoint, SECRETS_DIR } from "./context";
import { SERVICES } from "../catalog";

export const BACKEND_PORT = SERVICES.backend.port;
export const FRONTEND_PORT = SERVICES.frontend.port;
/** The worker serves Prometheus metrics here (docs/app-contract.md); the backend serves them on BACKEND_PORT. */
export const WORKER_METRICS_PORT = SERVICES.worker.port;

export type AppRole = "backend" | "worker" | "migrate" | "seed";

/**
 * What the FreshTrack images are told of the stack they run in: the version (freshtrack:appVersion) and the domain it
 * is served on (freshtrack:domain). The whole StackConfig has this shape too.
 */
export interface AppSite {
    readonly domain: string;
    readonly app: { readonly version: string };
}

export interface AppEnvInputs {
    /** Named `cfg` because any StackConfig fits: the app tier gives its own context. */
    readonly cfg: AppSite;
    /**
     * Through PgBouncer or the managed pool for backend and worker; direct for migrations (they need session features).
     */
    readonly database: DatabaseEndpoint;
    readonly redis: { readonly host: string; readonly port: number; readonly password: pulumi.Output<string> };
    /** The app's own MinIO user (minio.ts, MINIO_APP_USER: the uploads bucket only), never the root user. */
    readonly objectStorage: {
        readonly endpoint: string;
        readonly accessKey: string;
        readonly secretKey: pulumi.Output<string>;
    };
    readonly jwtSecret: pulumi.Output<string>;
}

export interface AppEnvironment {
    readonly env: Record<string, pulumi.Input<string>>;
    readonly files: ServiceFile[];
}

const FILES = {
    databasePassword: `${SECRETS_DIR}/database_password`,
    redisPassword: `${SECRETS_DIR}/redis_password`,
    s3AccessKeyId: `${SECRETS_DIR}/s3_access_key_id`,
    s3SecretAccessKey: `${SECRETS_DIR}/s3_secret_access_key`,
    jwtSecret: `${SECRETS_DIR}/jwt_secret`,
} as const;

/** Env and secret files for a container running the backend image in the given role. */
export function appEnvironment(role: AppRole, inputs: AppEnvInputs): AppEnvironment {
    const db = inputs.database;
    const env: Record<string, pulumi.Input<string>> = {
        NODE_ENV: "production",
        APP_ROLE: role,
        APP_VERSION: inputs.cfg.app.version,
        PUBLIC_URL: `https://${inputs.cfg.domain}`,
        DATABASE_HOST: db.host,
        DATABASE_PORT: pulumi.output(db.port).apply(String),
        DATABASE_NAME: db.database,
        DATABASE_USER: db.user,
        DATABASE_SSLMODE: clientSslMode(db),
        DATABASE_PASSWORD_FILE: FILES.databasePassword,
    };
    const files: ServiceFile[] = [{ path: FILES.databasePassword, content: db.password, secret: true }];
    // Managed PostgreSQL: the cluster's CA, so the app verifies the server (docs/app-contract.md, DATABASE_CA_FILE).
    if (db.caCertificate !== undefined) {
        env.DATABASE_CA_FILE = DATABASE_CA_PATH;
        files.push({ path: DATABASE_CA_PATH, content: db.caCertificate });
    }
    if (role === "migrate" || role === "seed") return { env, files };

    Object.assign(env, {
        ...(role === "backend" ? { PORT: String(BACKEND_PORT) } : {}),
        ...(role === "worker" ? { METRICS_PORT: String(WORKER_METRICS_PORT) } : {}),
        REDIS_HOST: inputs.redis.host,
        REDIS_PORT: String(inputs.redis.port),
        REDIS_PASSWORD_FILE: FILES.redisPassword,
        S3_ENDPOINT: inputs.objectStorage.endpoint,
        S3_REGION: "us-east-1",
        S3_FORCE_PATH_STYLE: "true",
        S3_BUCKET_UPLOADS: BUCKETS.uploads,
        S3_ACCESS_KEY_ID_FILE: FILES.s3AccessKeyId,
        S3_SECRET_ACCESS_KEY_FILE: FILES.s3SecretAccessKey,
        JWT_SECRET_FILE: FILES.jwtSecret,
    });
    files.push(
        { path: FILES.redisPassword, content: inputs.redis.password, secret: true },
        { path: FILES.s3AccessKeyId, content: inputs.objectStorage.accessKey },
        { path: FILES.s3SecretAccessKey, content: inputs.objectStorage.secretKey, secret: true },
        { path: FILES.jwtSecret, content: inputs.jwtSecret, secret: true },
    );
    return { env, files };
}

/** The frontend is static files behind nginx; it only needs to know where it lives. */
export function frontendEnvironment(cfg: AppSite): Record<string, string> {
    return { PUBLIC_URL: `https://${cfg.domain}`, API_BASE_URL: "/api", APP_VERSION: cfg.app.version };
}
