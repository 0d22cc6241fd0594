import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import type { Host } from "../host/host";
import type { Networks } from "../platform/networks";
import type { GeneratedSecrets } from "../platform/secrets";
import type { DataVolumes } from "../platform/volumes";
import type { AppImageSources } from "./appImages";

/** What every service file is given: the validated config and the platform beneath it. */
export interface ServiceContext {
    readonly cfg: StackConfig;
    readonly host: Host;
    readonly networks: Networks["networks"];
    readonly volumes: DataVolumes;
    readonly secrets: GeneratedSecrets["values"];
    /** What the FreshTrack services run: pinned references, or this stack's builds. */
    readonly appImages: AppImageSources;
}

/** Where secret files are mounted, following Docker's own secrets convention. */
export const SECRETS_DIR = "/run/secrets";

/** Database name and role the application uses. Not secret: the password is. */
export const DATABASE = { name: "freshtrack", user: "freshtrack" } as const;

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
