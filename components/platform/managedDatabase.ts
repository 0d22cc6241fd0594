import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { DATABASE, DatabaseEndpoint } from "../services/context";

export interface ManagedDatabaseArgs {
    readonly namePrefix: string;
    readonly region: string;
    readonly vpcId: pulumi.Input<string>;
    /** The only droplet the database firewall admits. */
    readonly dropletId: pulumi.Input<string>;
    readonly size: string;
    readonly nodeCount: number;
    readonly version: string;
    /** Connections PgBouncer-in-the-cluster keeps open to PostgreSQL. @default 20 */
    readonly poolSize?: number;
}

/**
 * DigitalOcean managed PostgreSQL in place of the Postgres and PgBouncer
 * containers: a cluster on the droplet's VPC, the application's database and
 * role, a transaction-mode connection pool, and a database firewall that
 * admits the droplet alone. DigitalOcean clusters accept TLS connections only.
 */
export class ManagedDatabase extends pulumi.ComponentResource {
    readonly cluster: digitalocean.DatabaseCluster;
    /** Through the transaction-mode pool. */
    readonly endpoint: DatabaseEndpoint;
    /** Straight to the cluster, for migrations and backups. */
    readonly direct: DatabaseEndpoint;

    constructor(name: string, args: ManagedDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:platform:ManagedDatabase", name, {}, opts);
        this.cluster = new digitalocean.DatabaseCluster(
            `${name}-cluster`,
            {
                name: `${args.namePrefix}-pg`,
                engine: "pg",
                version: args.version,
                size: args.size,
                nodeCount: args.nodeCount,
                region: args.region,
                privateNetworkUuid: args.vpcId,
                tags: ["freshtrack"],
            },
            // The data itself: never deleted or replaced by Pulumi.
            { parent: this, protect: true },
        );
        const db = new digitalocean.DatabaseDb(`${name}-db`, { clusterId: this.cluster.id, name: DATABASE.name }, { parent: this, protect: true });
        const user = new digitalocean.DatabaseUser(`${name}-user`, { clusterId: this.cluster.id, name: DATABASE.user }, { parent: this });
        const pool = new digitalocean.DatabaseConnectionPool(
            `${name}-pool`,
            { clusterId: this.cluster.id, name: `${DATABASE.name}-pool`, mode: "transaction", size: args.poolSize ?? 20, dbName: db.name, user: user.name },
            { parent: this },
        );
        new digitalocean.DatabaseFirewall(`${name}-firewall`, { clusterId: this.cluster.id, rules: [{ type: "droplet", value: args.dropletId }] }, { parent: this });

        this.endpoint = {
            host: pool.privateHost,
            port: pool.port,
            // Connections to a pool name the pool, which maps to the database.
            database: pool.name,
            user: user.name,
            password: pulumi.secret(user.password),
            sslMode: "require",
        };
        this.direct = {
            host: this.cluster.privateHost,
            port: this.cluster.port,
            database: db.name,
            user: user.name,
            password: pulumi.secret(user.password),
            sslMode: "require",
        };
        this.registerOutputs({ host: pool.privateHost, port: pool.port });
    }
}
