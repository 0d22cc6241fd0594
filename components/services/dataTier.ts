import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseAdminLogin } from "../platform/managedDatabase";
import type { Service } from "../service";
import type { StackConfig } from "../config";
import { DATABASE, DATABASE_ROLES, DatabaseEndpoint, TierPlatform } from "./context";
import { minio, minioBuckets } from "./minio";
import { PGBOUNCER_PORT, pgbouncer } from "./pgbouncer";
import { POSTGRES_PORT, postgres, selfHostedLogins } from "./postgres";
import type { PointInTimeServer } from "./postgresReplication";
import { REDIS_PORT, redis } from "./redis";
import { ENDPOINTS } from "../catalog";

/**
 * What the data tier uses of the platform. Networks: data, where its peers reach the databases; monitoring, where
 * Prometheus scrapes MinIO. Volumes: those of Redis and MinIO (PostgreSQL's protected volume comes as `database`,
 * since a managed database has none). Credentials: every database, Redis and MinIO password its services set.
 */
export const DATA_PLATFORM = {
    networks: ["data", "monitoring"],
    volumes: ["redis-data", "minio-data"],
    secrets: [
        "postgresSuperuserPassword",
        "postgresPassword",
        "databaseAppPassword",
        "databaseBackupPassword",
        "databaseMonitorPassword",
        "databaseReplicationPassword",
        "redisPassword",
        "minioRootPassword",
    ],
} as const;

/** The data tier's part of the platform (DATA_PLATFORM). */
export type DataPlatform = TierPlatform<
    (typeof DATA_PLATFORM.networks)[number],
    (typeof DATA_PLATFORM.volumes)[number],
    (typeof DATA_PLATFORM.secrets)[number]
>;

type DataService = "postgres" | "pgbouncer" | "redis" | "minio" | "minio-init";

/** What the data tier's service builders read. */
export interface DataContext extends DataPlatform {
    /** Their limits (freshtrack:resources). */
    readonly limits: Readonly<Pick<StackConfig["resources"], DataService>>;
    /** How many days the backups bucket keeps a dump (freshtrack:backup.retentionDays). */
    readonly backupRetentionDays: number;
    /**
     * How many days the backups bucket keeps point-in-time recovery's base backups and log, under `pitr/`
     * (freshtrack:backup.pointInTimeDays); given whether or not it is on, so copies made while it was on still expire.
     */
    readonly backupPointInTimeDays: number;
    /**
     * Point-in-time recovery on a self-hosted PostgreSQL (freshtrack:backup.pointInTime, walKeepMb, synchronousWal):
     * the server caps what the receiver's slot holds back and, when synchronous, waits for it on commit
     * (postgresServerSettings). Absent when it is off or the database is managed.
     */
    readonly pointInTime?: PointInTimeServer;
    /**
     * The cap on what any replication slot holds back (freshtrack:backup.walKeepMb), kept when point-in-time recovery
     * is off too, so a slot left behind can never fill the disk.
     */
    readonly walKeepMb: number;
}

export interface DataTierArgs extends DataContext {
    /**
     * PostgreSQL: self-hosted, in a container on its protected volume; or outside the host (managed PostgreSQL),
     * when the Postgres and PgBouncer containers are not created.
     */
    readonly database:
        | {
              /** PostgreSQL's protected data volume (the platform's `postgres-data`). */
              readonly volume: docker.Volume;
          }
        | {
              /** The managed cluster's endpoints (ManagedDatabase's `endpoint` and `direct`). */
              readonly external: {
                  /** Through the cluster's connection pool: for the backend and worker. */
                  readonly pooled: DatabaseEndpoint;
                  /**
                   * With the cluster administrator's login, when the application's role cannot create objects in
                   * `public` by itself.
                   */
                  readonly direct: DatabaseEndpoint & {
                      /** The cluster's administrator (`doadmin`), for the grant on schema public (Migrations). */
                      readonly admin?: DatabaseAdminLogin;
                  };
              };
          };
}

/** What the application tier connects to. */
export interface DataEndpoints {
    /** Through the transaction pool: for the backend and worker. */
    readonly database: DatabaseEndpoint;
    /** Straight to PostgreSQL: for migrations and backups, which need a whole session. */
    readonly databaseDirect: DatabaseEndpoint;
    /**
     * Managed PostgreSQL only: the cluster's administrator, who grants the application's role CREATE on schema public.
     */
    readonly databaseAdmin?: DatabaseAdminLogin;
    readonly redis: { readonly host: string; readonly port: number; readonly password: pulumi.Output<string> };
    readonly objectStorage: { readonly endpoint: string; readonly secretKey: pulumi.Output<string> };
}

/**
 * The data tier's containers that the application's wait for, handed over as values: the application tier orders its
 * containers after these and requires minio-init without holding the data tier itself.
 */
export interface DataReadiness {
    /** PostgreSQL, then PgBouncer, when they run on the host; none when the database is outside it. */
    readonly database: readonly pulumi.Resource[];
    /**
     * The same two named, present exactly when they run on the host: for what waits for one of them alone, as each of
     * the monitoring tier's exporters waits for its own service (and PgBouncer's runs only where PgBouncer does).
     */
    readonly selfHostedDatabase?: { readonly postgres: pulumi.Resource; readonly pgbouncer: pulumi.Resource };
    readonly redis: pulumi.Resource;
    /** The MinIO server. */
    readonly objectStorage: pulumi.Resource;
    /**
     * minio-init, a job: the buckets, and the MinIO users the application and the backups log in as, exist only once
     * it has exited 0, so whatever logs in as them requires it (a Service's `requires` takes the job's exit code).
     */
    readonly objectStorageInit: Service;
}

/** PostgreSQL behind PgBouncer, Redis and MinIO with its buckets: everything the application stores. */
export class DataTier extends pulumi.ComponentResource {
    readonly postgres?: Service;
    readonly pgbouncer?: Service;
    readonly redis: Service;
    readonly minio: Service;
    readonly minioBuckets: Service;
    /** Every container of the tier. */
    readonly services: readonly Service[];
    readonly endpoints: DataEndpoints;
    readonly readiness: DataReadiness;

    constructor(name: string, args: DataTierArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:services:DataTier", name, {}, opts);
        const ctx: DataContext = args;
        const external = "external" in args.database ? args.database.external : undefined;
        let database = external;
        if ("volume" in args.database) {
            this.postgres = postgres(ctx, args.database.volume, this);
            this.pgbouncer = pgbouncer(ctx, this.postgres, this);
            // The application's own role, never the superuser (issue 15, finding 12; DATABASE_ROLES). The direct
            // endpoint carries the other logins: the superuser for the database-grant job, the backup and monitoring
            // roles.
            const common = {
                database: DATABASE.name,
                user: DATABASE_ROLES.app,
                password: ctx.secrets.databaseAppPassword,
                sslMode: "disable" as const,
            };
            database = {
                pooled: { ...common, host: this.pgbouncer.alias, port: PGBOUNCER_PORT },
                direct: {
                    ...common,
                    host: this.postgres.alias,
                    port: POSTGRES_PORT,
                    selfHosted: selfHostedLogins(ctx.secrets),
                },
            };
        }
        if (!database)
            throw new pulumi.ResourceError("the data tier needs a database: a volume or an external one", this);
        this.redis = redis(ctx, this);
        this.minio = minio(ctx, this);
        this.minioBuckets = minioBuckets(ctx, this.minio, this);
        this.services = [this.postgres, this.pgbouncer, this.redis, this.minio, this.minioBuckets].filter(
            (s): s is Service => s !== undefined,
        );
        this.readiness = {
            database: [this.postgres, this.pgbouncer].filter((s): s is Service => s !== undefined),
            ...(this.postgres && this.pgbouncer
                ? { selfHostedDatabase: { postgres: this.postgres, pgbouncer: this.pgbouncer } }
                : {}),
            redis: this.redis,
            objectStorage: this.minio,
            objectStorageInit: this.minioBuckets,
        };
        this.endpoints = {
            database: database.pooled,
            databaseDirect: database.direct,
            ...(external?.direct.admin ? { databaseAdmin: external.direct.admin } : {}),
            redis: { host: this.redis.alias, port: REDIS_PORT, password: ctx.secrets.redisPassword },
            objectStorage: {
                endpoint: `http://${ENDPOINTS.minio.address}`,
                secretKey: ctx.secrets.minioRootPassword,
            },
        };
        this.registerOutputs({
            database: { host: database.pooled.host, port: database.pooled.port, sslMode: database.pooled.sslMode },
            redis: ENDPOINTS.redis.address,
            objectStorage: this.endpoints.objectStorage.endpoint,
        });
    }
}
