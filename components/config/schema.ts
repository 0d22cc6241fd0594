/**
 * Every `freshtrack:` config key, declared once: its type as the Pulumi CLI checks it, its description, its default,
 * whether it is a secret, and what it accepts: a typed key's values or check, each field of an object key with its
 * check (its items' check, or fields of its own) and default, a secret's form. From this table, with ./nestedFields.ts
 * (./keySpec.ts says what each kind of key means), come the `config:` block of Pulumi.yaml (`npm run generate`, which
 * also states each field's default in its key's description; test/configSchema.test.ts fails when the file is stale),
 * the key lists, every default and every check the reader applies (./source.ts reads each key as its spec says;
 * ./parse.ts adds only the rules across keys), and the types of the settings it returns (./types.ts).
 *
 * An object key's default in Pulumi.yaml is its fields' defaults. The CLI hands the program that default only when
 * the stack leaves the whole key unset, so the reader applies the same field defaults to a stack that sets some fields
 * and not others.
 */
import { DATABASE_SIZES, DatabaseSize, DROPLET_SIZE_NAMES, DropletSize } from "../host/dropletSizes";
import {
    checkCidr,
    checkCron,
    checkDomain,
    checkEmail,
    checkInteger,
    checkPinnedTag,
    isIpAddress,
} from "../validation";
import {
    A_YAML_LIST,
    bool,
    defaulted,
    defaultsOf,
    listOf,
    nonEmptyText,
    objectOf,
    oneOfText,
    optional,
    required,
    text,
} from "./fields";
import { HEALTH_COMMAND, ONE_LINE_COMMAND } from "./commands";
import { RESOURCE_FIELDS, SERVICE_NAMES } from "./limits";
import { BUILD_TARGET_FIELDS, DATABASE_FORK, EXPORT_TABLES, nestedNames, SSH_HOST_KEY } from "./nestedFields";
import type { KeySpec, SecretKey, TypedKey } from "./keySpec";

export type { KeySpec } from "./keySpec";

export const PROJECT = "freshtrack";

export const TARGETS = ["local", "droplet", "ssh"] as const;
export type Target = (typeof TARGETS)[number];

export const TLS_MODES = ["acme", "acme-staging", "internal"] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/** What a stack is for. It decides what a stack gets by default, never its name. */
export const ENVIRONMENTS = ["development", "staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/**
 * An Uptime Kuma status page slug, as Uptime Kuma itself accepts one (louislam/uptime-kuma@1.23.15
 * server/socket-handlers/status-page-socket-handler.js:365): it becomes a Caddy path, so nothing else may pass.
 */
export const STATUS_SLUG = /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/;

/**
 * Generated credentials a stack rotates by raising their number in `freshtrack:secretGenerations`. The Postgres
 * password is not among them: the postgres image reads it only when it creates the data directory, so a new value
 * would lock every client out (docs/operations.md, rotating credentials).
 */
export const ROTATABLE_SECRETS = [
    "grafanaAdminPassword",
    "redisPassword",
    "minioRootPassword",
    "appJwtSecret",
] as const;
export type RotatableSecret = (typeof ROTATABLE_SECRETS)[number];

const SET_SECRET = "Secret (pulumi config set --secret).";
const REGION = /^[a-z]{3}[0-9]$/;
const DATABASE_SIZE_NAMES = Object.keys(DATABASE_SIZES);
const OPENSSH_PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/;

const GENERATION_FIELDS = Object.fromEntries(
    ROTATABLE_SECRETS.map((name) => [name, optional<number>(checkInteger(1, 1_000_000))]),
) as { readonly [N in RotatableSecret]: ReturnType<typeof optional<number>> };

export const CONFIG_SCHEMA = {
    target: {
        type: "string",
        description:
            "Where the stack runs: local (this machine's Docker daemon), droplet (a DigitalOcean droplet the program creates) or ssh (an existing VM).",
        default: "local",
        oneOf: TARGETS,
    },
    environment: {
        type: "string",
        description:
            "What the stack is for: development, staging or production. A production stack gets DigitalOcean's droplet backups unless droplet.backups says otherwise, and the DigitalOcean project of its environment.",
        default: "development",
        oneOf: ENVIRONMENTS,
    },
    domain: {
        type: "string",
        description:
            "Public DNS name of the dashboard, e.g. freshtrack.example.com. Subdomains of it serve Grafana and the other tools.",
        check: checkDomain,
    },
    adminEmail: {
        type: "string",
        description: "Operator email: the ACME account for Let's Encrypt and the first admin user.",
        check: checkEmail,
    },
    adminCidrs: {
        type: "array",
        description: "Networks allowed to reach SSH on droplet and ssh targets, as CIDRs (e.g. 203.0.113.7/32).",
        default: [],
        item: checkCidr,
    },
    allowSshFromAnywhere: {
        type: "boolean",
        description: "Explicit override that permits 0.0.0.0/0 or ::/0 in adminCidrs. Leave false.",
        default: false,
    },
    tlsMode: {
        type: "string",
        description:
            "acme (Let's Encrypt production), acme-staging (Let's Encrypt staging, for trials) or internal (a CA made by the stack; the only choice on local).",
        default: "internal",
        oneOf: TLS_MODES,
    },
    appVersion: {
        type: "string",
        description: "Tag of the FreshTrack backend, worker and frontend images, e.g. 1.4.2. latest is refused.",
        check: checkPinnedTag,
    },
    appImages: {
        type: "object",
        description:
            "FreshTrack image references: registry, and backend/worker/frontend as a name, a name:tag (overrides appVersion) or a full reference.",
        fields: {
            registry: defaulted<string>(
                text((s) =>
                    /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/.test(s)
                        ? undefined
                        : "a registry such as ghcr.io/freshtrack",
                ),
                "ghcr.io/freshtrack",
            ),
            backend: defaulted<string>(text(), "freshtrack-backend"),
            worker: defaulted<string>(text(), "freshtrack-worker"),
            frontend: defaulted<string>(text(), "freshtrack-frontend"),
        },
    },
    appCommands: {
        type: "object",
        description:
            "Commands run in the FreshTrack images (docs/app-contract.md): migrate (backend image, applies migrations), workerHealthcheck (worker image, exits 0 when healthy) and seed (backend image, creates the demo organisation).",
        fields: {
            migrate: defaulted<string>(ONE_LINE_COMMAND, "pnpm db:migrate:prod"),
            // The worker's container health check (components/catalog/app/worker.ts): it must be able to fail.
            workerHealthcheck: defaulted<string>(HEALTH_COMMAND, "pnpm --silent worker:healthcheck"),
            seed: defaulted<string>(ONE_LINE_COMMAND, "pnpm db:seed:demo"),
        },
    },
    resources: {
        type: "object",
        description: `Per-service limit overrides, e.g. {postgres: {memoryMb: 2048, cpus: 2}}: memoryMb (whole MB) and cpus (cores) for any of ${SERVICE_NAMES.join(", ")}. cpus may not exceed the host's CPUs, which Docker refuses: above a droplet size's vCPUs the config is refused, and an ssh VM's pre-flight compares them with its own. Unset ones keep the defaults of their specs in components/catalog; npm run plan -- <stack> shows every container's limits and the stack's memory against its budget. The policy pack also caps each container's memory (container-memory-limit, maxMemoryMb in policy/config/<environment>.json) and the stack's peak (stack-memory-budget).`,
        fields: RESOURCE_FIELDS,
    },
    demoData: {
        type: "boolean",
        description: "Seed a demo organisation with sites, sensors and a week of readings. Off in prod.",
        default: false,
    },
    demoSeedVersion: {
        type: "string",
        description: "Version of the demo data; the seed job runs once per stack and again only when this changes.",
        default: "1",
        check: (s) =>
            /^[A-Za-z0-9._-]{1,63}$/.test(s)
                ? undefined
                : "a short version label such as 1 or 2026-11 (letters, digits, . _ -)",
    },
    backup: {
        type: "object",
        description:
            'Database backups: schedule (five-field cron, UTC), retentionDays, and offsite {endpoint, bucket} for a second copy in DigitalOcean Spaces or another S3-compatible store (keys in the backupOffsite* secrets). Point-in-time recovery, on a self-hosted PostgreSQL: pointInTime (the write-ahead log is streamed to the backups volume and a base backup follows each scheduled dump, so a restore can reach any second: docs/operations.md "Restore to a point in time"), pointInTimeDays (how long base backups and the log are kept), synchronousWal (commits wait until the copy of the log has them: no committed row is lost, but writes stop while the copy is down), walKeepMb (how much log PostgreSQL holds for a copy that is down before it gives up on it; the copy then starts a new chain, and a base backup for it follows within 15 minutes). drillSchedule (five-field cron, UTC): when the newest backups are restored into a throwaway database and checked (docs/operations.md "What a drill checks").',
        fields: {
            schedule: defaulted<string>(text(checkCron), "15 3 * * *"),
            retentionDays: defaulted<number>(checkInteger(1, 3650), 14),
            pointInTime: defaulted<boolean>(bool, true),
            pointInTimeDays: defaulted<number>(checkInteger(1, 365), 7),
            synchronousWal: defaulted<boolean>(bool, false),
            walKeepMb: defaulted<number>(checkInteger(256, 1048576), 4096),
            drillSchedule: defaulted<string>(text(checkCron), "45 4 * * *"),
        },
        nested: nestedNames("backup"),
    },
    alerts: {
        type: "object",
        description:
            "Alert destinations: email {to, from, smarthost, username}, slack {channel}, webhook (true). Their credentials are the alert* secrets.",
        fields: {},
        nested: nestedNames("alerts"),
    },
    alertSmtpPassword: {
        secret: true,
        description: `${SET_SECRET} SMTP password, needed when alerts.email.username is set.`,
    },
    alertSlackWebhookUrl: {
        secret: true,
        description: `${SET_SECRET} Slack incoming-webhook URL, needed when alerts.slack is set.`,
    },
    alertWebhookUrl: {
        secret: true,
        description: `${SET_SECRET} URL that receives alerts as JSON, needed when alerts.webhook is true.`,
    },
    droplet: {
        type: "object",
        description:
            "Target droplet: region (e.g. fra1), size (a DigitalOcean droplet size slug), image (an Ubuntu slug; Debian is refused, its docker.io is older than the 27 Caddy's IPv6 ports need), volumeSizeGb (block volume for all data), backups (DigitalOcean backups; on by default in the production environment), dnsZone (a DigitalOcean DNS zone containing domain; records are created when set).",
        fields: {
            region: required<string>(
                text((s) => (REGION.test(s) ? undefined : "a DigitalOcean region slug such as fra1 or nyc3")),
                "a DigitalOcean region slug such as fra1 or nyc3",
            ),
            size: defaulted<DropletSize>(oneOfText(DROPLET_SIZE_NAMES), "s-2vcpu-4gb", { inProjectDefault: false }),
            // Ubuntu only: the droplet publishes Caddy on IPv4 and IPv6, which needs Docker 27 or newer
            // (DUAL_STACK_DOCKER_MAJOR, components/platform/networks.ts), and the bootstrap installs the
            // distribution's docker.io. Ubuntu updates docker.io in its supported releases to upstream versions (its
            // Docker update exception, wiki.ubuntu.com/DockerUpdates); Debian keeps the version it released with
            // (20.10 in Debian 12). The bootstrap checks the version it got, after the droplet exists; this refuses
            // the image that cannot pass before anything is created.
            image: defaulted<string>(
                text((s) =>
                    /^ubuntu-[0-9a-z-]+$/.test(s)
                        ? undefined
                        : /^debian-/.test(s)
                          ? "an Ubuntu image slug such as ubuntu-24-04-x64: Debian's docker.io is older than the Docker 27 that Caddy's IPv4 and IPv6 ports need"
                          : "an Ubuntu image slug such as ubuntu-24-04-x64",
                ),
                "ubuntu-24-04-x64",
                { inProjectDefault: false },
            ),
            volumeSizeGb: defaulted<number>(checkInteger(10, 16384), 50, { inProjectDefault: false }),
            // The default follows freshtrack:environment (components/config/targets.ts, readDroplet).
            backups: optional<boolean>(bool),
            dnsZone: optional<string>(text(checkDomain)),
        },
    },
    ssh: {
        type: "object",
        description:
            "Target ssh: host (address of an existing Ubuntu/Debian VM), user (with sudo), port, hostKey (required: the VM's ed25519 host key line, 'ssh-ed25519 AAAA...', as printed by `ssh-keyscan -p <port> -t ed25519 <host>` without the host name; check its fingerprint out of band with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the VM's console). Every connection to the VM accepts that key only. The login key is freshtrack:sshPrivateKey.",
        fields: {
            host: required<string>(
                text((s) => (checkDomain(s) === undefined || isIpAddress(s) ? undefined : "an IP address or DNS name")),
                "the VM's IP address or DNS name",
            ),
            user: defaulted<string>(
                text((s) => (/^[a-z_][a-z0-9_-]{0,31}$/.test(s) ? undefined : "a Unix user name with sudo rights")),
                "root",
                { inProjectDefault: false },
            ),
            port: defaulted<number>(checkInteger(1, 65535), 22, { inProjectDefault: false }),
            // After host and port: its problems name the scan command, which needs them.
            hostKey: SSH_HOST_KEY,
        },
    },
    sshPrivateKey: {
        secret: true,
        description:
            "Secret (pulumi config set --secret sshPrivateKey --stack <stack> < key). Private key of ssh.user, used only to bootstrap the VM; deploys use a generated key.",
    },
    operatorSshPublicKey: {
        type: "string",
        description: "Your own OpenSSH public key, authorised for the deploy user beside the key the stack generates.",
        default: "",
        check: (s) =>
            s === "" || OPENSSH_PUBLIC_KEY.test(s)
                ? undefined
                : "one OpenSSH public key line, e.g. the contents of ~/.ssh/id_ed25519.pub",
        // Its start is enough to recognise what was pasted.
        shown: (s) => s.slice(0, 30) + "...",
    },
    database: {
        type: "object",
        description:
            'PostgreSQL: mode container or managed (a DigitalOcean cluster in the VPC of the droplet, droplet target only), with size, nodeCount and version for managed; and, for managed only, fork {at, use}: a second cluster restored from the backups DigitalOcean keeps of the live one as it was at the time at (ISO 8601 with seconds and Z or an offset, within the last 7 days when first set), billed as a cluster of its own until removed, which the stack connects to instead of the live one once use is true; the live one is kept (docs/operations.md "Managed PostgreSQL: restore by forking").',
        fields: {
            mode: defaulted<"container" | "managed">(
                oneOfText(["container", "managed"], "container or managed"),
                "container",
            ),
            size: defaulted<DatabaseSize>(oneOfText(DATABASE_SIZE_NAMES), "db-s-1vcpu-1gb", {
                inProjectDefault: false,
            }),
            nodeCount: defaulted<number>(checkInteger(1, 3), 1, { inProjectDefault: false }),
            version: defaulted<string>(
                text((s) => (/^1[4-7]$/.test(s) ? undefined : "a PostgreSQL major version from 14 to 17")),
                "16",
                { inProjectDefault: false },
            ),
            fork: DATABASE_FORK,
        },
    },
    monitoring: {
        type: "object",
        description:
            "Retention of metrics (Prometheus, metricsRetentionDays) and logs (Loki, logRetentionDays), sized for the host's disk; publicStatusPages: slugs of Uptime Kuma status pages served without the admin login (none: all of status.<domain> is behind it).",
        fields: {
            metricsRetentionDays: defaulted<number>(checkInteger(1, 365), 15),
            logRetentionDays: defaulted<number>(checkInteger(1, 365), 14),
            publicStatusPages: listOf<string>(
                text((s) =>
                    STATUS_SLUG.test(s)
                        ? undefined
                        : "an Uptime Kuma status page slug: letters and digits, words joined by single hyphens",
                ),
                [],
                { notAList: A_YAML_LIST, inProjectDefault: false },
            ),
        },
    },
    verification: {
        type: "object",
        description:
            "The gate after every update: enabled, consecutivePasses of every health endpoint within timeoutSeconds, TLS, Prometheus and Grafana; e2e {ingestPath, alertsPath, sensorId, celsius} sends a reading over the threshold and waits for the alert (off unless set).",
        fields: {
            enabled: defaulted<boolean>(bool, true),
            consecutivePasses: defaulted<number>(checkInteger(1, 20), 3),
            timeoutSeconds: defaulted<number>(checkInteger(10, 3600), 300),
        },
        nested: nestedNames("verification"),
    },
    verificationIngestToken: {
        secret: true,
        description: `${SET_SECRET} Bearer token the end-to-end check sends with its reading, when the ingest path needs one.`,
    },
    preflight: {
        type: "object",
        description:
            "Checks on droplet and ssh hosts before any container is created: minFreeGb free on the data volume, Docker reachable, ports 80/443 free or held by this stack's Caddy, every FreshTrack image the host pulls to be had from its registry (nothing is pulled), on an ssh VM no container limited to more CPUs than it has, and in the ACME modes DNS pointing at the host (with DNS at another provider, waiting up to 15 minutes for the records the first update logs).",
        fields: { minFreeGb: defaulted<number>(checkInteger(1, 10000), 5) },
    },
    backupOffsiteAccessKeyId: {
        secret: true,
        description: `${SET_SECRET} Access key of the offsite bucket (a DigitalOcean Spaces key), needed when backup.offsite is set.`,
    },
    backupOffsiteSecretAccessKey: {
        secret: true,
        description: `${SET_SECRET} Secret key of the offsite bucket, needed when backup.offsite is set.`,
    },
    backupOffsiteEncryptionKey: {
        secret: true,
        description: `${SET_SECRET} Key the offsite copies are encrypted with (SSE-C), 64 hex digits from openssl rand -hex 32; needed when backup.offsite is set. Keep a copy outside the stack: without it the copies cannot be read.`,
        // SSE-C takes 256 bits, which mc's --enc-c takes in hex (components/services/backup.ts).
        check: (v) =>
            /^[0-9a-fA-F]{64}$/.test(v)
                ? undefined
                : "a 256-bit key as 64 hexadecimal digits, such as the output of openssl rand -hex 32",
    },
    secretGenerations: {
        type: "object",
        description:
            "Rotates a generated credential: raise its number (grafanaAdminPassword, redisPassword, minioRootPassword, appJwtSecret; 1 is the first generation) and run pulumi up. See docs/operations.md.",
        fields: GENERATION_FIELDS,
    },
    appBuild: {
        type: "object",
        description:
            "Build the FreshTrack images from a local checkout instead of pulling them: context (the checkout, e.g. ../freshtrack-pro), dockerfile, targets {backend, worker, frontend} (the build stage of each image) and platform. On droplet and ssh targets the images are pushed to the appImages registry, which needs appRegistryUsername and appRegistryPassword. Empty: pull.",
        // Not in the project default: an appBuild with any setting builds instead of pulling.
        fields: {
            context: required<string>(nonEmptyText, "the path of a FreshTrack checkout, e.g. ../freshtrack-pro"),
            dockerfile: defaulted<string>(nonEmptyText, "Dockerfile", { inProjectDefault: false }),
            platform: defaulted<string>(
                text((s) => (/^linux\/(amd64|arm64)$/.test(s) ? undefined : "linux/amd64 or linux/arm64")),
                "linux/amd64",
                { inProjectDefault: false },
            ),
            targets: objectOf(BUILD_TARGET_FIELDS, {
                notAnObject: "an object with the build stage of backend, worker and frontend",
                default: defaultsOf(BUILD_TARGET_FIELDS),
                inProjectDefault: false,
            }),
        },
    },
    appRegistryUsername: {
        type: "string",
        description:
            "User for the registry of appImages: pushes of built images, and pulls on every target, local included (the Docker provider does not read docker login). Empty for a public registry.",
        default: "",
    },
    appRegistryPassword: {
        secret: true,
        description: `${SET_SECRET} Token for appRegistryUsername, with read access (and write access when appBuild is set).`,
    },
    rollback: {
        type: "object",
        description:
            "exportTables: the tables (with their timestamp column) whose rows written since the version being rolled back went live are exported as CSV before a rollback.",
        fields: {
            exportTables: EXPORT_TABLES,
        },
    },
} as const satisfies Readonly<Record<string, KeySpec>>;

type Schema = typeof CONFIG_SCHEMA;
export type ConfigKey = keyof Schema;
export type SecretConfigKey = { [K in ConfigKey]: Schema[K] extends { secret: true } ? K : never }[ConfigKey];
export type ObjectConfigKey = { [K in ConfigKey]: Schema[K] extends { type: "object" } ? K : never }[ConfigKey];

/** Every `freshtrack:` key the program reads, in the order Pulumi.yaml lists them. */
export const CONFIG_KEYS = Object.keys(CONFIG_SCHEMA) as ConfigKey[];

/**
 * The keys whose values are secrets, each its own top-level key: a setting inside an object key (alerts.webhook,
 * alerts.email.username, backup.offsite) is never secret, and the credential that goes with it has a key of its own
 * (alertWebhookUrl, alertSmtpPassword, backupOffsite*), because Pulumi encrypts whole values only.
 */
export const SECRET_CONFIG_KEYS = CONFIG_KEYS.filter(
    (key): key is SecretConfigKey => "secret" in CONFIG_SCHEMA[key],
) as readonly SecretConfigKey[];

/** The keys of a type the CLI checks: string, boolean and array keys, read whole (Source.read). */
export type TypedConfigKey = {
    [K in ConfigKey]: Schema[K] extends { type: "string" | "boolean" | "array" } ? K : never;
}[ConfigKey];

/** What a typed key reads as: one of its values, a boolean, a list of strings or a string. */
export type KeyValue<K extends TypedConfigKey> = Schema[K] extends { oneOf: ReadonlyArray<infer V> }
    ? V
    : Schema[K] extends { type: "boolean" }
      ? boolean
      : Schema[K] extends { type: "array" }
        ? string[]
        : string;

/** A typed key's spec, as the reader applies it. */
export function typedKey(key: TypedConfigKey): TypedKey {
    return CONFIG_SCHEMA[key];
}

/** A secret key's spec, as the reader applies it. */
export function secretKey(key: SecretConfigKey): SecretKey {
    return CONFIG_SCHEMA[key];
}
