/**
 * The settings the reader returns. Where a setting is a key's fields as they are, its type is derived from the
 * schema (FieldValues); the rest adds what the reader builds from several keys (image references, secrets).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ImageRef } from "../validation";
import type { FieldValues } from "./fields";
import type { ServiceName } from "./limits";
import type { ResourceLimits } from "./limits";
import type { DATABASE_FORK_FIELDS, E2E_FIELDS, EMAIL_FIELDS, OFFSITE_FIELDS } from "./nestedFields";
import type { CONFIG_SCHEMA, Environment, RotatableSecret, TlsMode } from "./schema";

type Fields<K extends keyof typeof CONFIG_SCHEMA> = (typeof CONFIG_SCHEMA)[K] extends { fields: infer F }
    ? Readonly<FieldValues<F>>
    : never;

/**
 * A build of the FreshTrack images from a checkout (freshtrack:appBuild): dockerfile, platform and the build stage of
 * each image (targets) as set.
 */
export interface AppBuild extends Omit<Fields<"appBuild">, "context"> {
    /** Absolute path of the FreshTrack checkout used as the build context. */
    readonly context: string;
    /**
     * Push to the registry so a remote host can pull; false on the local target, where the image is built where it
     * runs.
     */
    readonly push: boolean;
}

export interface RegistryAuth {
    /** Registry host, such as ghcr.io. */
    readonly server: string;
    readonly username: string;
    readonly password: pulumi.Output<string>;
}

export interface AppImages {
    readonly backend: ImageRef;
    readonly worker: ImageRef;
    readonly frontend: ImageRef;
}

/** Commands run inside the FreshTrack images (docs/app-contract.md): migrate, workerHealthcheck, seed. */
export type AppCommands = Fields<"appCommands">;

export interface EmailDestination extends Readonly<FieldValues<typeof EMAIL_FIELDS>> {
    /** From `freshtrack:alertSmtpPassword`, present when `username` is. */
    readonly password?: pulumi.Output<string>;
}

export interface AlertDestinations {
    readonly email?: EmailDestination;
    /** Incoming-webhook URL from `freshtrack:alertSlackWebhookUrl`. */
    readonly slack?: { readonly channel: string; readonly webhookUrl: pulumi.Output<string> };
    /** URL from `freshtrack:alertWebhookUrl`. */
    readonly webhook?: { readonly url: pulumi.Output<string> };
}

/**
 * A droplet the program creates (target `droplet`): region, size, image (read only when it is first created), the
 * block volume's size, and the DNS zone that contains `domain` when records are to be made. `backups`
 * (DigitalOcean's weekly droplet backups) follows freshtrack:environment unless set.
 */
export type DropletSettings = Fields<"droplet"> & { readonly backups: boolean };

/** An existing VM reached over SSH (target `ssh`): host, user and port from freshtrack:ssh. */
export interface SshSettings extends Fields<"ssh"> {
    /**
     * The VM's ed25519 host key, `ssh-ed25519 AAAA...` (no comment): every connection to the VM (the bootstrap, the
     * commands, Docker, the operator scripts) accepts this key and no other.
     */
    readonly hostKey: string;
    /** From `freshtrack:sshPrivateKey`: the admin user's key, used only for the bootstrap. */
    readonly privateKey: pulumi.Output<string>;
}

/**
 * A fork of the managed cluster (freshtrack:database.fork): `at`, the point in time as the stack file gives it
 * (ISO 8601 with seconds and `Z` or an offset, checked by the reader; forkInstant in ./nestedFields.ts reads it), and
 * `use`, whether the stack connects to the fork instead of the live cluster.
 */
export type DatabaseFork = Readonly<FieldValues<typeof DATABASE_FORK_FIELDS>>;

/** A fork exists only beside a managed cluster: the reader refuses database.fork with the container database. */
export type DatabaseSettings =
    { readonly mode: "container" } | (Omit<Fields<"database">, "mode"> & { readonly mode: "managed" });

/** The gate `pulumi up` passes through after every container is healthy. */
export interface VerificationSettings extends Omit<Fields<"verification">, "e2e"> {
    /** The end-to-end sensor test; off where the stack has no sensor to test with. */
    readonly e2e?: Readonly<FieldValues<typeof E2E_FIELDS>> & { readonly token?: pulumi.Output<string> };
}

export interface OffsiteSettings extends Readonly<FieldValues<typeof OFFSITE_FIELDS>> {
    readonly accessKeyId: pulumi.Output<string>;
    readonly secretAccessKey: pulumi.Output<string>;
    /** SSE-C key of the copies: 32 bytes as 64 hex digits (components/services/backup.ts). */
    readonly encryptionKey: pulumi.Output<string>;
}

/** Where the stack runs: one of three shapes, so the settings of a target exist exactly when it is chosen. */
export type TargetSettings =
    | { readonly target: "local"; readonly droplet?: undefined; readonly ssh?: undefined }
    | { readonly target: "droplet"; readonly droplet: DropletSettings; readonly ssh?: undefined }
    | { readonly target: "ssh"; readonly ssh: SshSettings; readonly droplet?: undefined };

interface CommonSettings {
    readonly project: string;
    readonly stack: string;
    /** Prefix of every Docker object name, so stacks can share a daemon. */
    readonly namePrefix: string;
    readonly environment: Environment;
    readonly domain: string;
    readonly adminEmail: string;
    readonly adminCidrs: readonly string[];
    readonly allowSshFromAnywhere: boolean;
    readonly tlsMode: TlsMode;
    readonly app: {
        readonly version: string;
        readonly images: AppImages;
        readonly commands: AppCommands;
        /** Set when the stack builds the FreshTrack images from a checkout instead of pulling them. */
        readonly build?: AppBuild;
        /** Credentials for the FreshTrack registry: pushes of built images, and pulls on remote hosts. */
        readonly registryAuth?: RegistryAuth;
    };
    readonly resources: Readonly<Record<ServiceName, ResourceLimits>>;
    readonly demoData: boolean;
    /** Changing it seeds the demo data again. */
    readonly demoSeedVersion: string;
    readonly backup: Fields<"backup"> & {
        /** A second copy off the host, in an S3-compatible bucket such as DigitalOcean Spaces. */
        readonly offsite?: OffsiteSettings;
    };
    readonly alerts: AlertDestinations;
    /** An operator's own public key, authorised for the deploy user beside the generated one. */
    readonly operatorSshPublicKey?: string;
    readonly database: DatabaseSettings;
    /** publicStatusPages: Uptime Kuma status pages served without the admin login (components/edge/caddy.ts). */
    readonly monitoring: Fields<"monitoring">;
    readonly verification: VerificationSettings;
    readonly preflight: Fields<"preflight">;
    /** Generation of each rotatable credential; 1 (the first) when not listed. */
    readonly secretGenerations: Readonly<Partial<Record<RotatableSecret, number>>>;
    /** Tables whose new rows a rollback exports first, with their timestamp column. */
    readonly rollback: Fields<"rollback">;
}

export type StackConfig = CommonSettings & TargetSettings;
