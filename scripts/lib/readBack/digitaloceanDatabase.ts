/**
 * The read-back models of the managed database: the cluster, its default user as the provider stores it, the
 * application's user, database, connection pool and firewall. The rules cite UPSTREAM (digitaloceanSchema.ts says
 * why that commit).
 */
import { asSet, at, lower, ProviderModel, str, TAGS } from "./digitaloceanSchema";

export const databaseCluster = new ProviderModel("digitalocean:index/databaseCluster:DatabaseCluster", {
    name: {
        forceNew: true,
        readBackNote: "as sent",
        source: at("digitalocean/database/resource_database_cluster.go:40-45, 578"),
    },
    engine: {
        forceNew: true,
        readBackNote: "as sent (the engine slug)",
        source: at("digitalocean/database/resource_database_cluster.go:47-60, 579"),
    },
    version: {
        forceNew: false,
        readBackNote: "the version slug, as sent for pg; a change is an in-place major upgrade",
        source: at("digitalocean/database/resource_database_cluster.go:62-79, 535-541, 580"),
    },
    size: {
        forceNew: false,
        readBackNote: "as sent; resizes in place",
        source: at("digitalocean/database/resource_database_cluster.go:81-85, 441-472, 581"),
    },
    region: {
        stateFunc: lower,
        forceNew: false,
        readBackNote: "lower-cased by the StateFunc; a change migrates in place",
        source: at("digitalocean/database/resource_database_cluster.go:87-95, 474-495, 582"),
    },
    nodeCount: {
        forceNew: false,
        readBackNote: "as sent; resizes in place",
        source: at("digitalocean/database/resource_database_cluster.go:97-101, 441-472, 583"),
    },
    privateNetworkUuid: {
        computed: true,
        forceNew: true,
        readBackNote: "as sent",
        source: at("digitalocean/database/resource_database_cluster.go:145-151, 642"),
    },
    tags: { ...TAGS, source: at("digitalocean/database/resource_database_cluster.go:241, 585") },
    // A fork's source and time (components/platform/managedDatabase.ts). Create sends it and nothing else reads it:
    // Update checks no change of it and Read never sets it, so state keeps what the create planned, a refresh leaves
    // it, and a changed value alone would be an update that does nothing. The name is what makes a new time a new
    // cluster.
    backupRestore: {
        forceNew: false,
        readBackNote:
            "as sent, kept from the create: only Create sends it; Update never looks at it and Read never sets it",
        source: at("digitalocean/database/resource_database_cluster.go:243-259, 370-372, 438-561, 563-646, 854-862"),
    },
});

/**
 * The cluster's default user, as the provider stores it: `user` and `password` are Computed outputs (not
 * inputs, so they have no rule above), set by Create and by every Read from the API's connection details,
 * the password only when the API returns one, so the one from the create response stays otherwise
 * (resource_database_cluster.go:214-228, 723-738, called at :391 and :626). The user is `doadmin`
 * (docs/resources/database_user.md:8; docs/resources/database_cluster.md:167-168). The password stands in
 * for the generated one, derived from the resource name like the mocks' other generated values.
 */
export const DATABASE_CLUSTER_DEFAULT_USER = {
    user: "doadmin",
    password: (resourceName: string) => `mock-${resourceName}-doadmin`,
    source: at(
        "digitalocean/database/resource_database_cluster.go:214-228, 723-738, docs/resources/database_user.md:8",
    ),
} as const;

export const databaseUser = new ProviderModel("digitalocean:index/databaseUser:DatabaseUser", {
    clusterId: {
        forceNew: true,
        readBackNote: "as sent",
        source: at("digitalocean/database/resource_database_user.go:37-42"),
    },
    name: {
        forceNew: true,
        readBackNote: "as sent",
        source: at("digitalocean/database/resource_database_user.go:31-36"),
    },
    settings: {
        // Stored from the create response only, which for PostgreSQL always carries a settings object
        // ({"pg_allow_replication": false}, digitalocean/terraform-provider-digitalocean#1610): one empty block.
        storedWhenAbsent: () => [{ acls: [], opensearchAcls: [] }],
        forceNew: false,
        readBackNote:
            "one empty settings block although the program sends none (create response only; Read never refreshes it)",
        source: `${at("digitalocean/database/resource_database_user.go:55-72, 177-180, 187-208, 348-357")}; digitalocean/terraform-provider-digitalocean#1610`,
    },
});

const POOL = "digitalocean/database/resource_database_connection_pool.go";
export const databaseConnectionPool = new ProviderModel(
    "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool",
    {
        clusterId: {
            forceNew: true,
            readBackNote: "as sent (no Update: every input replaces)",
            source: at(`${POOL}:18-21, 27-32, 154`),
        },
        name: { forceNew: true, readBackNote: "as sent", source: at(`${POOL}:34-39, 155`) },
        user: { forceNew: true, readBackNote: "as sent", source: at(`${POOL}:41-46, 156`) },
        mode: { forceNew: true, readBackNote: "as sent", source: at(`${POOL}:48-56, 157`) },
        size: {
            forceNew: true,
            readBackNote: "as sent: a new pool size replaces the pool",
            source: at(`${POOL}:58-63, 158`),
        },
        dbName: { forceNew: true, readBackNote: "as sent", source: at(`${POOL}:65-70, 159`) },
    },
);

export const databaseFirewall = new ProviderModel("digitalocean:index/databaseFirewall:DatabaseFirewall", {
    clusterId: {
        forceNew: true,
        readBackNote: "as sent",
        source: at("digitalocean/database/resource_database_firewall.go:27-32"),
    },
    rules: {
        // uuid and createdAt are Computed only, so the set hash leaves them out: a rule is its type and value.
        comparable: (v) =>
            asSet(v, (r) => ({
                type: (r as Record<string, unknown>).type,
                value: str((r as Record<string, unknown>).value),
            })),
        forceNew: false,
        readBackNote: "a set of {type, value} as sent, plus computed uuid and createdAt that the set hash ignores",
        source: [
            at("digitalocean/database/resource_database_firewall.go:34-68, 102, 172-190"),
            at("vendor/github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema/serialize.go:103-110"),
        ].join(", "),
    },
});

export const databaseDb = new ProviderModel("digitalocean:index/databaseDb:DatabaseDb", {
    clusterId: {
        forceNew: true,
        readBackNote: "as sent (no Update)",
        source: at("digitalocean/database/resource_database_db.go:18-21, 33-38"),
    },
    name: {
        forceNew: true,
        readBackNote: "as sent",
        source: at("digitalocean/database/resource_database_db.go:27-32"),
    },
});
