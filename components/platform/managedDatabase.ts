import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseFork } from "../config";
import { forkInstant } from "../config/nestedFields";
import { DATABASE_SIZES, DatabaseSize } from "../host/dropletSizes";
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
    /**
     * A second cluster restored from DigitalOcean's backups of this one as it was at `fork.at`
     * (freshtrack:database.fork); the stack's endpoints point at it when `fork.use` is true. @default none
     */
    readonly fork?: DatabaseFork;
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

/** The live cluster's name. */
export function liveClusterName(namePrefix: string): string {
    return `${namePrefix}-pg`;
}

/**
 * A fork's time as it is sent to DigitalOcean (`backup_restore.backup_created_at`): RFC 3339 in UTC with whole
 * seconds and `Z`, the form doctl sends for its own fork command (digitalocean/doctl@v1.166.0 commands/databases.go:
 * 431-440, `date.Format(time.RFC3339)` of a time parsed in UTC). The provider passes the text on as it is
 * (digitalocean/terraform-provider-digitalocean@401992a1 digitalocean/database/resource_database_cluster.go:854-862).
 */
export function forkTimestamp(at: Date): string {
    return `${at.toISOString().slice(0, 19)}Z`;
}

/**
 * The fork's cluster name, `<prefix>-pg-fork-<yyyymmddhhmmss>` of its time in UTC. A cluster's name cannot change
 * in place (ForceNew, resource_database_cluster.go:40-45), so the time in it makes a new time a new cluster.
 */
export function forkClusterName(namePrefix: string, at: Date): string {
    const stamp = forkTimestamp(at).replace(/[-T:Z]/g, "");
    return `${liveClusterName(namePrefix)}-fork-${stamp}`;
}

/** One `pulumi config set --path <key> <value>` (the Automation API's `setConfig(key, { value }, true)`). */
export interface ForkConfigSetting {
    readonly key: string;
    readonly value: string;
    /**
     * Always true: the setting is a field of the object key freshtrack:database. Set with `--path`, the CLI keeps
     * text as text and turns "true" and "false" into booleans (pulumi/pulumi@v3.259.0
     * pkg/cmd/pulumi/config/config.go:719-728).
     */
    readonly path: true;
}

/**
 * What the restore command sets to fork a managed stack's cluster at `at`: database.fork.at, in the form the program
 * sends to DigitalOcean. `use` is left as it is (unset: false), so the stack keeps the live cluster until the operator
 * switches (forkUseSetting). Pure; the caller refuses first when a fork is already set (forkAlreadySet).
 */
export function forkSettings(at: Date): ForkConfigSetting {
    return { key: "freshtrack:database.fork.at", value: forkTimestamp(at), path: true };
}

/** What `use` does, in a line, for the restore command's output. */
export const FORK_USE_DESCRIPTION =
    "database.fork.use true points the stack's database connections (the pool and the direct endpoint) at the fork " +
    "instead of the live cluster; the live cluster is kept, protected, and nothing is copied back to it.";

/** The setting that switches the stack to its fork. */
export function forkUseSetting(): ForkConfigSetting {
    return { key: "freshtrack:database.fork.use", value: "true", path: true };
}

/**
 * Why the restore command must not fork again, or undefined when it may: a stack holds one fork, and a new time
 * would replace it, which Pulumi refuses for a protected resource (see ManagedDatabase); nothing is set or changed.
 */
export function forkAlreadySet(current: DatabaseFork | undefined, at: Date): string | undefined {
    if (current === undefined) return undefined;
    const known = forkInstant(current.at);
    // Compared as sent: the same second is the same fork.
    if (known !== undefined && forkTimestamp(known) === forkTimestamp(at)) return undefined;
    return (
        `the stack already has a fork at ${current.at}${current.use ? ", which it uses" : ""}; a stack holds one fork ` +
        'at a time (docs/operations.md, "Managed PostgreSQL: restore by forking", says how to remove it first)'
    );
}

/**
 * How far back DigitalOcean forks: "PostgreSQL cluster backups run automatically once per day and are retained for
 * seven days" (docs.digitalocean.com/products/databases/postgresql/how-to/restore-from-backups/), and a point in time
 * must be "within the last 7 days. If you choose an earlier date, you will receive an error"
 * (www.digitalocean.com/docs/databases/how-to/clusters/fork-clusters/).
 */
export const FORK_WINDOW_DAYS = 7;

/**
 * Why the restore command should not ask for a fork at `at`, or undefined: a time to come, or one older than
 * DigitalOcean keeps. Judged by the caller's clock when it sets the time, never by the program, which must keep
 * reading the same time after the fork exists (the provider sends it on create only).
 */
export function forkTimeProblem(at: Date, now: Date): string | undefined {
    const oldest = new Date(now.getTime() - FORK_WINDOW_DAYS * 24 * 3600 * 1000);
    if (at.getTime() > now.getTime()) return `${forkTimestamp(at)} is in the future (now ${forkTimestamp(now)})`;
    if (at.getTime() < oldest.getTime())
        return (
            `${forkTimestamp(at)} is older than DigitalOcean keeps PostgreSQL backups: the earliest point is ` +
            `${forkTimestamp(oldest)}, ${FORK_WINDOW_DAYS} days ago`
        );
    return undefined;
}

/** What a fork costs a month at DigitalOcean's list price: a cluster of the live one's size and node count. */
export function forkMonthlyUsd(size: DatabaseSize, nodeCount: number): number {
    return DATABASE_SIZES[size].usdPerMonth * nodeCount;
}

/** The cluster the endpoints point at, with its pool and the names the application connects with. */
interface ClusterInUse {
    readonly cluster: digitalocean.DatabaseCluster;
    readonly pool: digitalocean.DatabaseConnectionPool;
    readonly database: pulumi.Input<string>;
    readonly user: pulumi.Input<string>;
}

/**
 * DigitalOcean managed PostgreSQL in place of the Postgres and PgBouncer
 * containers: a cluster on the droplet's VPC, the application's database and
 * role, a transaction-mode connection pool, and a database firewall that
 * admits the droplet alone. DigitalOcean clusters accept TLS connections only.
 *
 * With `fork`, a second protected cluster restored from DigitalOcean's backups of the live one as it was at
 * `fork.at`, with its own pool and firewall rule; the endpoints point at it only when `fork.use` is true. The live
 * cluster and everything on it are registered the same way with or without a fork.
 */
export class ManagedDatabase extends pulumi.ComponentResource {
    readonly cluster: digitalocean.DatabaseCluster;
    /** The fork, when there is one. */
    readonly fork?: digitalocean.DatabaseCluster;
    /** Through the transaction-mode pool of the cluster in use. */
    readonly endpoint: DatabaseEndpoint;
    /** Straight to the cluster in use, for migrations and backups. */
    readonly direct: ManagedDirectEndpoint;

    constructor(name: string, args: ManagedDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:platform:ManagedDatabase", name, {}, opts);
        // The same engine, version, size, nodes, region, VPC and tags for the live cluster and its fork.
        const clusterArgs = (clusterName: string): digitalocean.DatabaseClusterArgs => ({
            name: clusterName,
            engine: "pg",
            version: args.version,
            size: args.size,
            nodeCount: args.nodeCount,
            region: args.region,
            privateNetworkUuid: args.vpcId,
            tags: ["freshtrack"],
        });
        // The data itself: never deleted or replaced by Pulumi.
        const keep = { parent: this, protect: true };
        this.cluster = new digitalocean.DatabaseCluster(
            `${name}-cluster`,
            clusterArgs(liveClusterName(args.namePrefix)),
            keep,
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
        const poolSize = args.poolSize ?? 20;
        // The pool and the firewall rule of a cluster: the pool maps to the application's database and role.
        const poolAndFirewall = (
            prefix: string,
            on: digitalocean.DatabaseCluster,
            database: pulumi.Input<string>,
            role: pulumi.Input<string>,
        ) => {
            const pool = new digitalocean.DatabaseConnectionPool(
                `${prefix}-pool`,
                {
                    clusterId: on.id,
                    name: `${DATABASE.name}-pool`,
                    mode: "transaction",
                    size: poolSize,
                    dbName: database,
                    user: role,
                },
                { parent: this },
            );
            new digitalocean.DatabaseFirewall(
                `${prefix}-firewall`,
                { clusterId: on.id, rules: [{ type: "droplet", value: args.dropletId }] },
                { parent: this },
            );
            return pool;
        };
        const pool = poolAndFirewall(name, this.cluster, db.name, user.name);
        let inUse: ClusterInUse = { cluster: this.cluster, pool, database: db.name, user: user.name };
        if (args.fork) {
            const at = forkInstant(args.fork.at);
            // The config reader refuses any other text (components/config/nestedFields.ts, DATABASE_FORK_FIELDS).
            if (at === undefined) throw new pulumi.ResourceError(`not a point in time: ${args.fork.at}`, this);
            // A fork is a cluster of its own, created from the live one's backups: `backup_restore` is read by Create
            // alone, never by Update or Read, and is not ForceNew (resource_database_cluster.go:243-259, 370-372,
            // 438-561, 563-646), so setting it on the live cluster would change nothing. Its name carries the time
            // (forkClusterName): a new time is a new cluster, which would replace this one; being protected, the
            // replace is refused before any step runs (pulumi/pulumi@v3.259.0 pkg/resource/deploy/step_generator.go:
            // 1954-1972; docs/operations.md, "Managed PostgreSQL: restore by forking").
            // dependsOn the live cluster as the provider's own example does (docs/resources/database_cluster.md:
            // 96-112): the source must exist before it can be forked.
            this.fork = new digitalocean.DatabaseCluster(
                `${name}-fork-cluster`,
                {
                    ...clusterArgs(forkClusterName(args.namePrefix, at)),
                    backupRestore: {
                        databaseName: liveClusterName(args.namePrefix),
                        backupCreatedAt: forkTimestamp(at),
                    },
                },
                { ...keep, dependsOn: [this.cluster] },
            );
            // The fork already holds the application's database and role: "Forking is a cluster-level action and
            // will replicate all the databases, users, and other settings from the original"
            // (www.digitalocean.com/docs/databases/how-to/clusters/fork-clusters/), restoring "creates a new copy of
            // the cluster's primary node" (docs.digitalocean.com/products/databases/postgresql/how-to/
            // restore-from-backups/), and PostgreSQL keeps roles with their passwords in pg_authid, one copy per
            // cluster (PostgreSQL docs, "pg_authid"). Creating them again would fail the update, so they are taken as
            // they are, by name, and the role logs in with the password it had on the live cluster. DigitalOcean's
            // side stands on its documentation alone; that a physical copy holds both, and refuses to create them
            // again, runs on a real PostgreSQL in test/managedFork.servers.test.ts (rung 4).
            const forkPool = poolAndFirewall(`${name}-fork`, this.fork, DATABASE.name, DATABASE.user);
            if (args.fork.use)
                inUse = { cluster: this.fork, pool: forkPool, database: DATABASE.name, user: DATABASE.user };
        }

        // The CA of the cluster in use (@pulumi/digitalocean 4.80.1 getDatabaseCa.d.ts: getDatabaseCaOutput({ clusterId
        // }) -> { certificate }, the PEM "decoded to a string"; the data source sets it from the API's CA,
        // digitalocean/terraform-provider-digitalocean@401992a1 digitalocean/database/datasource_database_ca.go:22,40,
        // docs/data-sources/database_ca.md). Every client verifies the server against it (sslmode verify-full).
        const ca = digitalocean.getDatabaseCaOutput({ clusterId: inUse.cluster.id }, { parent: this });

        this.endpoint = {
            host: inUse.pool.privateHost,
            port: inUse.pool.port,
            // Connections to a pool name the pool, which maps to the database.
            database: inUse.pool.name,
            user: inUse.user,
            password: pulumi.secret(user.password),
            sslMode: "require",
            caCertificate: ca.certificate,
        };
        this.direct = {
            host: inUse.cluster.privateHost,
            port: inUse.cluster.port,
            database: inUse.database,
            user: inUse.user,
            password: pulumi.secret(user.password),
            sslMode: "require",
            caCertificate: ca.certificate,
            // The cluster's default user, created with it. `user` and `password` are Computed outputs, set from the
            // API's connection details by Create and by every Read, the password only when the API returns one
            // (digitalocean/terraform-provider-digitalocean@401992a1
            // digitalocean/database/resource_database_cluster.go:214-228, 723-738, called at :391 and :626;
            // docs/resources/database_cluster.md:167-168). It is `doadmin`; the users this program creates get only the
            // `normal` role (docs/resources/database_user.md:8-10). A fork's are its own cluster's, as the API
            // reports them for it.
            admin: { user: inUse.cluster.user, password: pulumi.secret(inUse.cluster.password) },
        };
        this.registerOutputs({ host: inUse.pool.privateHost, port: inUse.pool.port });
    }
}
