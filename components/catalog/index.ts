/**
 * The service catalog: one spec per container, in a file of its own, grouped by tier. The default limits, the
 * endpoint table and the list of containers a stack runs are derived from it here.
 */
import type { ResourceLimits } from "../config/limits";
import { PUBLIC_IMAGES } from "../images";
import { backend } from "./app/backend";
import { demoData } from "./app/demoData";
import { frontend } from "./app/frontend";
import { migrate } from "./app/migrate";
import { worker } from "./app/worker";
import { backup } from "./app/backup";
import { backupOffsite } from "./app/backupOffsite";
import { backupSync } from "./app/backupSync";
import { walReceiver } from "./app/walReceiver";
import { preMigrateBackup } from "./app/preMigrateBackup";
import { databaseGrant } from "./app/databaseGrant";
import { minio } from "./data/minio";
import { minioInit } from "./data/minioInit";
import { pgbouncer } from "./data/pgbouncer";
import { postgres } from "./data/postgres";
import { redis } from "./data/redis";
import { caddy } from "./edge/caddy";
import { alertmanager } from "./monitoring/alertmanager";
import { blackbox } from "./monitoring/blackbox";
import { grafana } from "./monitoring/grafana";
import { grafanaAdminPassword } from "./monitoring/grafanaAdminPassword";
import { grafanaDashboards } from "./monitoring/grafanaDashboards";
import { loki } from "./monitoring/loki";
import { nodeExporter } from "./monitoring/nodeExporter";
import { pgbouncerExporter } from "./monitoring/pgbouncerExporter";
import { postgresExporter } from "./monitoring/postgresExporter";
import { prometheus } from "./monitoring/prometheus";
import { promtail } from "./monitoring/promtail";
import { redisExporter } from "./monitoring/redisExporter";
import { uptimeKuma } from "./monitoring/uptimeKuma";
import type { ServiceSpec } from "./spec";

export type { ServiceSpec, Tier } from "./spec";

/** Every service, in the order freshtrack:resources lists them. */
export const SERVICES = {
    postgres,
    pgbouncer,
    redis,
    minio,
    "minio-init": minioInit,
    backend,
    worker,
    frontend,
    caddy,
    migrate,
    "pre-migrate-backup": preMigrateBackup,
    backup,
    "backup-sync": backupSync,
    "backup-offsite": backupOffsite,
    "wal-receiver": walReceiver,
    prometheus,
    alertmanager,
    loki,
    promtail,
    grafana,
    "grafana-dashboards": grafanaDashboards,
    "grafana-admin-password": grafanaAdminPassword,
    blackbox,
    "node-exporter": nodeExporter,
    "postgres-exporter": postgresExporter,
    "redis-exporter": redisExporter,
    "pgbouncer-exporter": pgbouncerExporter,
    "uptime-kuma": uptimeKuma,
    "demo-data": demoData,
    "database-grant": databaseGrant,
} as const satisfies Record<string, ServiceSpec>;

export type CatalogName = keyof typeof SERVICES;

type OwnLimits = {
    [K in CatalogName]: (typeof SERVICES)[K]["limits"] extends { sameAs: string } ? never : K;
}[CatalogName];

/**
 * The catalog checked again once its names are known, entry by entry: a `limits.sameAs` that names no service with
 * limits of its own (a typo, or a service that shares another's in turn) does not compile here, and the error names
 * the entry.
 */
const CHECKED: { readonly [K in CatalogName]: ServiceSpec<OwnLimits> } = SERVICES;

/** Every spec, in catalog order. */
export const SERVICE_SPECS: readonly ServiceSpec<OwnLimits>[] = Object.values(CHECKED);

/**
 * Every container's limits unless the stack overrides them in `freshtrack:resources`: the keys that setting accepts.
 * A service that shares another's limits (the database-grant job, in the pre-migration backup's image) is not a key.
 */
export const CATALOG_LIMITS = Object.fromEntries(
    SERVICE_SPECS.flatMap((s) => ("sameAs" in s.limits ? [] : [[s.name, s.limits]])),
) as { readonly [K in OwnLimits]: ResourceLimits };

/** Where peers call each service inside the Docker networks: its alias (the service's name) and port. */
export interface Endpoint {
    readonly alias: string;
    readonly port: number;
    /** `alias:port`, as an upstream or a scrape target names it. */
    readonly address: string;
}

type Listening = { [K in CatalogName]: (typeof SERVICES)[K] extends { port: number } ? K : never }[CatalogName];

/** The endpoint of every service that listens, before any resource exists. */
export const ENDPOINTS = Object.fromEntries(
    SERVICE_SPECS.flatMap((s) =>
        s.port === undefined ? [] : [[s.name, { alias: s.name, port: s.port, address: `${s.name}:${s.port}` }]],
    ),
) as { readonly [K in Listening]: Endpoint };

/** The pinned reference of a service's public image (components/images.ts), as its spec names it. */
export function imageOf(name: CatalogName): string {
    const spec: ServiceSpec = SERVICES[name];
    if (!("public" in spec.image)) throw new Error(`service ${name} runs a FreshTrack image, not a pinned public one`);
    return PUBLIC_IMAGES[spec.image.public];
}
