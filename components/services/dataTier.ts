import * as pulumi from "@pulumi/pulumi";
import type { Service } from "../service";
import { DATABASE, DatabaseEndpoint, ServiceContext } from "./context";
import { minio, minioBuckets } from "./minio";
import { PGBOUNCER_PORT, pgbouncer } from "./pgbouncer";
import { postgres } from "./postgres";
import { redis } from "./redis";

export interface DataTierArgs {
    readonly ctx: ServiceContext;
    /** A database outside the host (managed PostgreSQL); the Postgres and PgBouncer containers are then not created. */
    readonly externalDatabase?: DatabaseEndpoint;
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
    /** What the application tier connects to. */
    readonly endpoints: { readonly database: DatabaseEndpoint; readonly redis: string; readonly objectStorage: string };

    constructor(name: string, args: DataTierArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:services:DataTier", name, {}, opts);
        const { ctx } = args;
        let database = args.externalDatabase;
        if (!database) {
            this.postgres = postgres(ctx, this);
            this.pgbouncer = pgbouncer(ctx, this.postgres, this);
            database = { host: this.pgbouncer.alias, port: PGBOUNCER_PORT, database: DATABASE.name, user: DATABASE.user, password: ctx.secrets.postgresPassword, sslMode: "disable" };
        }
        this.redis = redis(ctx, this);
        this.minio = minio(ctx, this);
        this.minioBuckets = minioBuckets(ctx, this.minio, this);
        this.services = [this.postgres, this.pgbouncer, this.redis, this.minio, this.minioBuckets].filter((s): s is Service => s !== undefined);
        this.endpoints = { database, redis: `${this.redis.alias}:6379`, objectStorage: `http://${this.minio.alias}:9000` };
        this.registerOutputs({ database: { host: database.host, port: database.port, sslMode: database.sslMode }, redis: this.endpoints.redis, objectStorage: this.endpoints.objectStorage });
    }
}
