import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { DATABASE, DatabaseEndpoint } from "../services/context";

export interface ManagedDatabaseArgs {
    /** Prefix of the cluster's name, `<prefix>-pg` (StackConfig.namePrefix, `freshtrack-<stack>`). */
    readonly namePrefix: string;
    /** The DigitalOcean region slug, e.g. fra1: the droplet's (freshtrack:droplet.region, through DropletHost). */
    readonly region: string;
    /** The droplet's VPC (DropletHost), where the cluster is reachable on its private address. */
    readonly vpcId: pulumi.Input<string>;
    /** The only droplet the database firewall admits. */
    readonly dropletId: pulumi.Input<string>;
    /** DigitalOcean's size slug of each node, e.g. db-s-1vcpu-1gb (freshtrack:database.size). */
    readonly size: string;
    /** How many nodes the cluster has, 1 to 3: the primary and its standbys (freshtrack:database.nodeCount). */
    readonly nodeCount: number;
    /** PostgreSQL's major version, 14 to 17 (freshtrack:database.version). */
    readonly version: string;
    /** Connections PgBouncer-in-the-cluster keeps open to PostgreSQL. @default 20 */
    readonly poolSize?: number;
}

/**
 * The cluster's own administrator (DigitalOcean's `doadmin`), for the one thing the application's role
 * cannot do for itself: be granted CREATE on schema `public` (components/services/migrations.ts).
 */
export interface DatabaseAdminLogin {
    readonly user: pulumi.Input<string>;
    /** Secret. */
    readonly password: pulumi.Output<string>;
}

/** The direct endpoint, with the administrator's login beside it for the grant job that runs before migrations. */
export type ManagedDirectEndpoint = DatabaseEndpoint & { readonly admin: DatabaseAdminLogin };

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
    readonly direct: ManagedDirectEndpoint;

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
        const db = new digitalocean.DatabaseDb(
            `${name}-db`,
            { clusterId: this.cluster.id, name: DATABASE.name },
            { parent: this, protect: true },
        );
        const user = new digitalocean.DatabaseUser(
            `${name}-user`,
            { clusterId: this.cluster.id, name: DATABASE.user },
            // The program sets no settings, but the provider stores the settings block of the create response, which
            // for PostgreSQL is never empty (terraform-provider-digitalocean@401992a1
            // digitalocean/database/resource_database_user.go :177-180, 348-357; #1610), so every later `up` would
            // update the user. The engine hands the provider the stored value for an ignored input, which leaves
            // nothing to diff.
            { parent: this, ignoreChanges: ["settings"] },
        );
        const pool = new digitalocean.DatabaseConnectionPool(
            `${name}-pool`,
            {
                clusterId: this.cluster.id,
                name: `${DATABASE.name}-pool`,
                mode: "transaction",
                size: args.poolSize ?? 20,
                dbName: db.name,
                user: user.name,
            },
            { parent: this },
        );
        // The cluster's CA (@pulumi/digitalocean 4.80.1 getDatabaseCa.d.ts: getDatabaseCaOutput({ clusterId }) ->
        // { certificate }, the PEM "decoded to a string"; the data source sets it from the API's CA,
        // digitalocean/terraform-provider-digitalocean@401992a1 digitalocean/database/datasource_database_ca.go:22,40,
        // docs/data-sources/database_ca.md). Every client verifies the server against it (sslmode verify-full).
        const ca = digitalocean.getDatabaseCaOutput({ clusterId: this.cluster.id }, { parent: this });
        new digitalocean.DatabaseFirewall(
            `${name}-firewall`,
            { clusterId: this.cluster.id, rules: [{ type: "droplet", value: args.dropletId }] },
            { parent: this },
        );

        this.endpoint = {
            host: pool.privateHost,
            port: pool.port,
            // Connections to a pool name the pool, which maps to the database.
            database: pool.name,
            user: user.name,
            password: pulumi.secret(user.password),
            sslMode: "require",
            caCertificate: ca.certificate,
        };
        this.direct = {
            host: this.cluster.privateHost,
            port: this.cluster.port,
            database: db.name,
            user: user.name,
            password: pulumi.secret(user.password),
            sslMode: "require",
            caCertificate: ca.certificate,
            // The cluster's default user, created with it. `user` and `password` are Computed outputs, set from the
            // API's connection details by Create and by every Read, the password only when the API returns one
            // (digitalocean/terraform-provider-digitalocean@401992a1
            // digitalocean/database/resource_database_cluster.go:214-228, 723-738, called at :391 and :626;
            // docs/resources/database_cluster.md:167-168). It is `doadmin`; the users this program creates get only the
            // `normal` role (docs/resources/database_user.md:8-10).
            admin: { user: this.cluster.user, password: pulumi.secret(this.cluster.password) },
        };
        this.registerOutputs({ host: pool.privateHost, port: pool.port });
    }
}
