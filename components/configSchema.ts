/**
 * Every `freshtrack:` config key, declared once: its type as the Pulumi CLI checks it, its description, its
 * default and whether it is a secret. The `config:` block of Pulumi.yaml is generated from this table
 * (`npm run generate`, and test/configSchema.test.ts fails when the file is stale), the key lists the reader
 * checks against come from it, and the reader takes every default from it (components/config.ts).
 *
 * Object keys list their fields' defaults here; Pulumi.yaml shows them as the key's default, which the CLI
 * hands the program only when the stack leaves the whole key unset, so the reader applies the same field
 * defaults to a stack that sets some fields and not others.
 */
import * as YAML from "yaml";

/** A key of a type the CLI checks (pulumi v3.259.0 pkg/workspace/config.go:101,128). */
interface TypedKey {
    readonly type: "string" | "boolean" | "integer" | "array";
    readonly description: string;
    /** What the CLI passes when the stack does not set the key; none: the stack must set it. */
    readonly default?: string | boolean | number | readonly string[];
}

interface ObjectKey {
    readonly type: "object";
    readonly description: string;
    /** The fields that have a default; the key's default in Pulumi.yaml is these, in this order. */
    readonly fields: Readonly<Record<string, { readonly default: unknown }>>;
}

/**
 * A secret key: declared `secret: true` and untyped, with an empty default, because the CLI applies a default
 * as plain text before it checks `secret` on a typed key (config.go:316-345), so a typed secret key with the
 * empty default every optional secret needs would fail every stack that leaves it unset. The reader refuses a
 * plain-text value for these keys itself.
 */
interface SecretKey {
    readonly secret: true;
    readonly description: string;
}

export type KeySpec = TypedKey | ObjectKey | SecretKey;

const DEFAULT_EXPORT_TABLES = [
    { table: "sensor_readings", column: "recorded_at" },
    { table: "alerts", column: "created_at" },
    { table: "audit_log", column: "created_at" },
];

const SET_SECRET = "Secret (pulumi config set --secret).";

export const CONFIG_SCHEMA = {
    target: {
        type: "string",
        description:
            "Where the stack runs: local (this machine's Docker daemon), droplet (a DigitalOcean droplet the program creates) or ssh (an existing VM).",
        default: "local",
    },
    domain: {
        type: "string",
        description:
            "Public DNS name of the dashboard, e.g. freshtrack.example.com. Subdomains of it serve Grafana and the other tools.",
    },
    adminEmail: {
        type: "string",
        description: "Operator email: the ACME account for Let's Encrypt and the first admin user.",
    },
    adminCidrs: {
        type: "array",
        description: "Networks allowed to reach SSH on droplet and ssh targets, as CIDRs (e.g. 203.0.113.7/32).",
        default: [],
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
    },
    appVersion: {
        type: "string",
        description: "Tag of the FreshTrack backend, worker and frontend images, e.g. 1.4.2. latest is refused.",
    },
    appImages: {
        type: "object",
        description:
            "FreshTrack image references: registry, and backend/worker/frontend as a name, a name:tag (overrides appVersion) or a full reference.",
        fields: {
            registry: { default: "ghcr.io/freshtrack" },
            backend: { default: "freshtrack-backend" },
            worker: { default: "freshtrack-worker" },
            frontend: { default: "freshtrack-frontend" },
        },
    },
    appCommands: {
        type: "object",
        description:
            "Commands run in the FreshTrack images (docs/app-contract.md): migrate (backend image, applies migrations), workerHealthcheck (worker image, exits 0 when healthy) and seed (backend image, creates the demo organisation).",
        fields: {
            migrate: { default: "pnpm db:migrate:prod" },
            workerHealthcheck: { default: "pnpm --silent worker:healthcheck" },
            seed: { default: "pnpm db:seed:demo" },
        },
    },
    resources: {
        type: "object",
        description:
            "Per-service limit overrides, e.g. {postgres: {memoryMb: 2048, cpus: 2}}. Unset services keep the defaults in components/config.ts.",
        fields: {},
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
    },
    backup: {
        type: "object",
        description:
            "Database backups: schedule (five-field cron, UTC), retentionDays, and offsite {endpoint, bucket} for a second copy in DigitalOcean Spaces or another S3-compatible store (keys in the backupOffsite* secrets).",
        fields: { schedule: { default: "15 3 * * *" }, retentionDays: { default: 14 } },
    },
    alerts: {
        type: "object",
        description:
            "Alert destinations: email {to, from, smarthost, username}, slack {channel}, webhook (true). Their credentials are the alert* secrets.",
        fields: {},
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
            "Target droplet: region (e.g. fra1), size (s-2vcpu-4gb), image (an Ubuntu slug, ubuntu-24-04-x64; Debian is refused, its docker.io is older than the 27 Caddy's IPv6 ports need), volumeSizeGb (block volume for all data, 50), backups (DigitalOcean backups; on in prod), dnsZone (a DigitalOcean DNS zone containing domain; records are created when set).",
        fields: {},
    },
    ssh: {
        type: "object",
        description:
            "Target ssh: host (address of an existing Ubuntu/Debian VM), user (with sudo, default root), port (22), hostKey (required: the VM's ed25519 host key line, 'ssh-ed25519 AAAA...', as printed by `ssh-keyscan -p <port> -t ed25519 <host>` without the host name; check its fingerprint out of band with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the VM's console). Every connection to the VM accepts that key only. The login key is freshtrack:sshPrivateKey.",
        fields: {},
    },
    sshPrivateKey: {
        secret: true,
        description:
            "Secret (pulumi config set --secret sshPrivateKey < key). Private key of ssh.user, used only to bootstrap the VM; deploys use a generated key.",
    },
    operatorSshPublicKey: {
        type: "string",
        description: "Your own OpenSSH public key, authorised for the deploy user beside the key the stack generates.",
        default: "",
    },
    database: {
        type: "object",
        description:
            "PostgreSQL: mode container (default) or managed (a DigitalOcean cluster in the droplet's VPC, droplet target only), with size, nodeCount and version for managed.",
        fields: { mode: { default: "container" } },
    },
    monitoring: {
        type: "object",
        description:
            "Retention of metrics (Prometheus, metricsRetentionDays, 15) and logs (Loki, logRetentionDays, 14), sized for the host's disk; publicStatusPages: slugs of Uptime Kuma status pages served without the admin login (none: all of status.<domain> is behind it).",
        fields: { metricsRetentionDays: { default: 15 }, logRetentionDays: { default: 14 } },
    },
    verification: {
        type: "object",
        description:
            "The gate after every update: enabled, consecutivePasses (3) of every health endpoint within timeoutSeconds (300), TLS, Prometheus and Grafana; e2e {ingestPath, alertsPath, sensorId, celsius} sends a reading over the threshold and waits for the alert (off unless set).",
        fields: { enabled: { default: true }, consecutivePasses: { default: 3 }, timeoutSeconds: { default: 300 } },
    },
    verificationIngestToken: {
        secret: true,
        description: `${SET_SECRET} Bearer token the end-to-end check sends with its reading, when the ingest path needs one.`,
    },
    preflight: {
        type: "object",
        description:
            "Checks on droplet and ssh hosts before any container is created: minFreeGb (5) free on the data volume, Docker reachable, ports 80/443 free or held by this stack's Caddy, and in the ACME modes DNS pointing at the host.",
        fields: { minFreeGb: { default: 5 } },
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
    },
    secretGenerations: {
        type: "object",
        description:
            "Rotates a generated credential: raise its number (grafanaAdminPassword, redisPassword, minioRootPassword, appJwtSecret; 1 is the first generation) and run pulumi up. See docs/operations.md.",
        fields: {},
    },
    appBuild: {
        type: "object",
        description:
            "Build the FreshTrack images from a local checkout instead of pulling them: {context: ../freshtrack-pro, dockerfile: Dockerfile, targets: {backend, worker, frontend}, platform: linux/amd64}. On droplet and ssh targets the images are pushed to the appImages registry, which needs appRegistryUsername and appRegistryPassword. Empty: pull.",
        fields: {},
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
        fields: { exportTables: { default: DEFAULT_EXPORT_TABLES } },
    },
} as const satisfies Readonly<Record<string, KeySpec>>;

type Schema = typeof CONFIG_SCHEMA;
export type ConfigKey = keyof Schema;
export type SecretConfigKey = { [K in ConfigKey]: Schema[K] extends { secret: true } ? K : never }[ConfigKey];
type ObjectConfigKey = { [K in ConfigKey]: Schema[K] extends { type: "object" } ? K : never }[ConfigKey];

/** Every `freshtrack:` key the program reads, in the order Pulumi.yaml lists them. */
export const CONFIG_KEYS = Object.keys(CONFIG_SCHEMA) as ConfigKey[];

/**
 * The keys whose values are secrets, each its own top-level key: a setting inside an object key (alerts.webhook,
 * alerts.email.username, backup.offsite) is never secret, and the credential that goes with it has a key of its
 * own (alertWebhookUrl, alertSmtpPassword, backupOffsite*), because Pulumi encrypts whole values only.
 */
export const SECRET_CONFIG_KEYS = CONFIG_KEYS.filter(
    (key): key is SecretConfigKey => "secret" in CONFIG_SCHEMA[key],
) as readonly SecretConfigKey[];

/** The default of one field of an object key, as the schema declares it. */
export function fieldDefault<K extends ObjectConfigKey, F extends keyof Schema[K]["fields"]>(
    key: K,
    field: F,
): Schema[K]["fields"][F] extends { default: infer D } ? D : never {
    const fields = CONFIG_SCHEMA[key].fields as Record<PropertyKey, { default: unknown }>;
    return fields[field]!.default as never;
}

/** The default of a typed key, as the schema declares it. */
export function keyDefault<K extends ConfigKey>(key: K): Schema[K] extends { default: infer D } ? D : never {
    return (CONFIG_SCHEMA[key] as { default?: unknown }).default as never;
}

/** One key as Pulumi.yaml declares it. */
function projectEntry(spec: KeySpec): Record<string, unknown> {
    if ("secret" in spec) return { secret: true, description: spec.description, default: "" };
    if (spec.type === "object") {
        const defaults = Object.fromEntries(Object.entries(spec.fields).map(([name, f]) => [name, f.default]));
        return { type: "object", description: spec.description, default: defaults };
    }
    return {
        type: spec.type,
        ...(spec.type === "array" ? { items: { type: "string" } } : {}),
        description: spec.description,
        ...(spec.default !== undefined ? { default: spec.default } : {}),
    };
}

const PROJECT_CONFIG_HEADER = `# Generated from components/configSchema.ts by \`npm run generate\`: change the schema, not this block.
# Object-typed keys need Pulumi CLI 3.186 or newer. Secret keys are declared \`secret: true\` with no
# \`type\` (components/configSchema.ts, SecretKey, says why); the program refuses a plain-text value for them.
`;

/** The `config:` block of Pulumi.yaml, with its header comment, as generated from the schema. */
export function renderProjectConfig(): string {
    const config = Object.fromEntries(CONFIG_KEYS.map((key) => [key, projectEntry(CONFIG_SCHEMA[key])]));
    return PROJECT_CONFIG_HEADER + YAML.stringify({ config }, { lineWidth: 0 });
}
