import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { DockerDaemon } from "../host/host";
import type { NetworkName, Networks } from "../platform/networks";
import type { GeneratedSecrets, SecretName } from "../platform/secrets";
import type { DataVolumes, VolumeName } from "../platform/volumes";

/**
 * What a tier is given of the platform beneath it: only the networks, volumes and secrets its services use, the
 * daemon they run on and the prefix of their names. The Docker provider is not here: it comes with the tier's
 * resource options (`providers`).
 */
export interface TierPlatform<N extends NetworkName, V extends VolumeName, S extends SecretName> {
    /** Prefix of Docker object names, e.g. `freshtrack-dev`. */
    readonly namePrefix: string;
    /** The host's Docker daemon: what must be ready before a container is created, and how commands reach it. */
    readonly daemon: DockerDaemon;
    /** This tier's Docker networks, by name; no other network is in reach. */
    readonly networks: Readonly<Record<N, docker.Network>>;
    /** This tier's named volumes. */
    readonly volumes: Readonly<Record<V, docker.Volume>>;
    /** This tier's generated credentials (secret outputs of the stack's random resources). */
    readonly secrets: Readonly<Record<S, pulumi.Output<string>>>;
}

/** The whole platform, from which the stack picks each tier's part (`pickPlatform`). */
export interface Platform {
    readonly namePrefix: string;
    readonly daemon: DockerDaemon;
    readonly networks: Networks["networks"];
    readonly volumes: DataVolumes;
    readonly secrets: GeneratedSecrets["values"];
}

/** The part of the platform a tier uses; a volume the stack does not create (postgres-data when managed) is refused. */
export function pickPlatform<N extends NetworkName, V extends VolumeName, S extends SecretName>(
    platform: Platform,
    pick: { readonly networks: readonly N[]; readonly volumes: readonly V[]; readonly secrets: readonly S[] },
): TierPlatform<N, V, S> {
    const only = <K extends string, T>(keys: readonly K[], get: (key: K) => T) =>
        Object.fromEntries(keys.map((k) => [k, get(k)])) as Record<K, T>;
    return {
        namePrefix: platform.namePrefix,
        daemon: platform.daemon,
        networks: only(pick.networks, (n) => platform.networks[n]),
        volumes: only(pick.volumes, (v) => platform.volumes.volume(v)),
        secrets: only(pick.secrets, (s) => platform.secrets[s]),
    };
}

/** Where secret files are mounted, following Docker's own secrets convention. */
export const SECRETS_DIR = "/run/secrets";

/**
 * Database name, and the role the application uses on managed PostgreSQL (created through DigitalOcean's API).
 * Not secret: the password is. The self-hosted PostgreSQL names its roles in DATABASE_ROLES.
 */
export const DATABASE = { name: "freshtrack", user: "freshtrack" } as const;

/**
 * The roles of the self-hosted PostgreSQL (docs/operations.md, "Database roles"). Every one but the superuser is
 * made and kept by the database-grant job before each migration (components/services/postgres.ts,
 * renderDatabaseRoles), so none of them is a superuser and the application's role owns its database.
 */
export const DATABASE_ROLES = {
    /**
     * The cluster's superuser on stacks created from this version on: the image's POSTGRES_USER. Used only by the job
     * and by hand.
     */
    superuser: "postgres",
    /**
     * The superuser of stacks created before: there POSTGRES_USER made the application's role the bootstrap superuser,
     * which PostgreSQL 16+ never lets lose SUPERUSER, so it stays the superuser and the application moves to `app`.
     */
    legacySuperuser: DATABASE.user,
    /**
     * The application: backend, worker, migrations, demo data. Owns the database and everything in it; nothing more.
     */
    app: "freshtrack_app",
    /**
     * Backups and restores: reads through `app`, may create databases (a restore builds a new one) and end sessions.
     */
    backup: "freshtrack_backup",
    /** The exporters: pg_monitor's statistics, no table data; PgBouncer's SHOW commands (stats_users). */
    monitor: "freshtrack_monitor",
    /**
     * The write-ahead log receiver and the base backups: LOGIN REPLICATION, a member of no role, owning nothing. The
     * one role the job lets hold REPLICATION, which "does not allow the user to modify any data" (PostgreSQL 15 docs,
     * 27.2.5.1 "Authentication", which recommends "a dedicated user account with REPLICATION and LOGIN"); the only
     * role pg_hba.conf admits to replication connections from another host (renderPgHba).
     */
    replication: "freshtrack_replication",
} as const;

/** A login: a role and its password (secret). */
export interface DatabaseLogin {
    readonly user: pulumi.Input<string>;
    /** Secret. */
    readonly password: pulumi.Output<string>;
}

/**
 * The self-hosted PostgreSQL's other logins, beside the application's own (DatabaseEndpoint.user): the superuser
 * the database-grant job connects as, and the roles of backups, of the exporters and of the write-ahead log's copy.
 */
export interface SelfHostedLogins {
    /** Tried in this order: `postgres` on a stack created from this version on, `freshtrack` on one created before. */
    readonly superusers: readonly DatabaseLogin[];
    readonly backup: DatabaseLogin;
    readonly monitor: DatabaseLogin;
    /** For the write-ahead log receiver and the base backups (DATABASE_ROLES.replication). */
    readonly replication: DatabaseLogin;
}

/** Object-storage buckets the stack creates and the application uses. */
export const BUCKETS = { backups: "backups", uploads: "uploads" } as const;

/** How the application reaches PostgreSQL, whichever kind of database the stack runs. */
export interface DatabaseEndpoint {
    readonly host: pulumi.Input<string>;
    readonly port: pulumi.Input<number>;
    readonly database: pulumi.Input<string>;
    readonly user: pulumi.Input<string>;
    /** Secret. */
    readonly password: pulumi.Output<string>;
    /** `require` for the managed cluster; the container database is only on the internal data network. */
    readonly sslMode: "disable" | "require";
    /**
     * Managed PostgreSQL only: the cluster's CA certificate (PEM, digitalocean.getDatabaseCa). Given, every client
     * this program configures checks the server's certificate against it and its host name (`verify-full`).
     */
    readonly caCertificate?: pulumi.Input<string>;
    /**
     * The self-hosted PostgreSQL only (on the direct endpoint): its superuser, backup and monitoring logins. Given, the
     * database-grant job makes the roles before every migration, and backups and restores log in as the backup role.
     */
    readonly selfHosted?: SelfHostedLogins;
}

/** Where clients find the database's CA certificate (not secret: a CA certificate is public). */
export const DATABASE_CA_PATH = "/etc/freshtrack/database-ca.crt";

/**
 * The libpq sslmode clients use: `verify-full` when the endpoint has a CA (the certificate must chain to it and
 * name the host connected to: PostgreSQL docs, libpq "SSL Support", 34.19.1), its own mode otherwise.
 */
export function clientSslMode(db: DatabaseEndpoint): "disable" | "require" | "verify-full" {
    return db.caCertificate !== undefined ? "verify-full" : db.sslMode;
}
