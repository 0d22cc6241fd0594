import * as pulumi from "@pulumi/pulumi";
import type { Service } from "../service";
import { ServiceContext } from "./context";
import { minio, minioBuckets } from "./minio";
import { PGBOUNCER_PORT, pgbouncer } from "./pgbouncer";
import { postgres } from "./postgres";
import { redis } from "./redis";

/** PostgreSQL behind PgBouncer, Redis and MinIO with its buckets: everything the application stores. */
export class DataTier extends pulumi.ComponentResource {
    readonly postgres: Service;
    readonly pgbouncer: Service;
    readonly redis: Service;
    readonly minio: Service;
    readonly minioBuckets: Service;
    /** In-network addresses the application tier connects to. */
    readonly endpoints: { readonly database: string; readonly redis: string; readonly objectStorage: string };

    constructor(name: string, ctx: ServiceContext, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:services:DataTier", name, {}, opts);
        this.postgres = postgres(ctx, this);
        this.pgbouncer = pgbouncer(ctx, this.postgres, this);
        this.redis = redis(ctx, this);
        this.minio = minio(ctx, this);
        this.minioBuckets = minioBuckets(ctx, this.minio, this);
        this.endpoints = {
            database: `${this.pgbouncer.alias}:${PGBOUNCER_PORT}`,
            redis: `${this.redis.alias}:6379`,
            objectStorage: `http://${this.minio.alias}:9000`,
        };
        this.registerOutputs({ endpoints: this.endpoints });
    }
}
