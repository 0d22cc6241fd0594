/**
 * The stack's configuration, read once from `pulumi.Config` and validated as a
 * whole before any resource is registered. Every key is declared, typed and
 * described in `Pulumi.yaml`; this module is the one place that reads them.
 */
import * as fs from "fs";
import * as path from "path";
import * as net from "net";
import * as pulumi from "@pulumi/pulumi";
import {
    checkAdminCidrs,
    checkCidr,
    checkCron,
    checkDomain,
    checkEmail,
    checkHostPort,
    checkInteger,
    checkNumber,
    checkPinnedTag,
    closestMatch,
    ImageRef,
    isDocumentationAddress,
    isLocalOnlyDomain,
    isReservedExampleDomain,
    parseImageRef,
} from "./validation";
import { cpusAdvice, cpusInput } from "./dockerForms";
import { CONFIG_KEYS, fieldDefault, keyDefault, SECRET_CONFIG_KEYS, SecretConfigKey } from "./configSchema";
import { DATABASE_SIZES, DatabaseSize, DROPLET_SIZE_NAMES, DropletSize } from "./host/dropletSizes";
import { checkHostKeyLine, hostKeyOnly, keyscanCommand } from "./host/hostKey";

export const PROJECT = "freshtrack";

export const TARGETS = ["local", "droplet", "ssh"] as const;
export type Target = (typeof TARGETS)[number];

export const TLS_MODES = ["acme", "acme-staging", "internal"] as const;
export type TlsMode = (typeof TLS_MODES)[number];

// The keys, their defaults and which are secret: declared once, in the schema Pulumi.yaml is generated from.
export { CONFIG_KEYS, SECRET_CONFIG_KEYS };
export type { SecretConfigKey };

/**
 * Whether a key's value reached the program encrypted. The CLI hands the program the keys
 * whose stack values are secure (pulumi@v3.259.0 pkg/resource/deploy/source_eval.go:223,
 * sdk/nodejs/cmd/pulumi-language-nodejs/main.go:105,914: PULUMI_CONFIG_SECRET_KEYS), and the
 * SDK answers from that list (sdk/nodejs/runtime/config.ts:74 isConfigSecret, exported at
 * run time though not in the typings); the mocks fill the same list (scripts/lib/mockRun.ts).
 */
export function arrivedEncrypted(fullKey: string): boolean {
    const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
    if (typeof isConfigSecret !== "function") {
        throw new Error(
            "@pulumi/pulumi no longer exports runtime.isConfigSecret; components/config.ts cannot tell a secret config value from plain text",
        );
    }
    return isConfigSecret(fullKey);
}

/**
 * Generated credentials a stack rotates by raising their number in
 * `freshtrack:secretGenerations`. The Postgres password is not among them:
 * the postgres image reads it only when it creates the data directory, so a
 * new value would lock every client out (docs/operations.md, rotating credentials).
 */
export const ROTATABLE_SECRETS = [
    "grafanaAdminPassword",
    "redisPassword",
    "minioRootPassword",
    "appJwtSecret",
] as const;
export type RotatableSecret = (typeof ROTATABLE_SECRETS)[number];

export interface ResourceLimits {
    /** Hard memory limit in MB. */
    readonly memoryMb: number;
    /** CPU quota in cores, e.g. 0.5. */
    readonly cpus: number;
}

/**
 * Every container the program runs, with the limits it gets unless the stack
 * overrides them in `freshtrack:resources`. Sized so the whole stack fits a
 * 4 GB host with room for the kernel and Docker itself.
 */
export const DEFAULT_LIMITS = {
    postgres: { memoryMb: 768, cpus: 1.0 },
    pgbouncer: { memoryMb: 32, cpus: 0.25 },
    redis: { memoryMb: 192, cpus: 0.5 },
    minio: { memoryMb: 256, cpus: 0.5 },
    "minio-init": { memoryMb: 32, cpus: 0.25 },
    backend: { memoryMb: 384, cpus: 1.0 },
    worker: { memoryMb: 256, cpus: 0.5 },
    frontend: { memoryMb: 32, cpus: 0.25 },
    caddy: { memoryMb: 64, cpus: 0.5 },
    migrate: { memoryMb: 384, cpus: 0.5 },
    "pre-migrate-backup": { memoryMb: 128, cpus: 0.25 },
    backup: { memoryMb: 128, cpus: 0.25 },
    "backup-sync": { memoryMb: 48, cpus: 0.1 },
    "backup-offsite": { memoryMb: 48, cpus: 0.1 },
    prometheus: { memoryMb: 256, cpus: 0.5 },
    alertmanager: { memoryMb: 32, cpus: 0.1 },
    loki: { memoryMb: 128, cpus: 0.5 },
    promtail: { memoryMb: 64, cpus: 0.25 },
    grafana: { memoryMb: 160, cpus: 0.5 },
    "grafana-dashboards": { memoryMb: 32, cpus: 0.1 },
    "grafana-admin-password": { memoryMb: 128, cpus: 0.25 },
    blackbox: { memoryMb: 24, cpus: 0.1 },
    "node-exporter": { memoryMb: 24, cpus: 0.1 },
    "postgres-exporter": { memoryMb: 32, cpus: 0.1 },
    "redis-exporter": { memoryMb: 24, cpus: 0.1 },
    "pgbouncer-exporter": { memoryMb: 24, cpus: 0.1 },
    "uptime-kuma": { memoryMb: 128, cpus: 0.25 },
    "demo-data": { memoryMb: 256, cpus: 0.5 },
} as const satisfies Record<string, ResourceLimits>;

export type ServiceName = keyof typeof DEFAULT_LIMITS;
export const SERVICE_NAMES = Object.keys(DEFAULT_LIMITS) as ServiceName[];

export interface AppBuild {
    /** Absolute path of the FreshTrack checkout used as the build context. */
    readonly context: string;
    /** Dockerfile path relative to the context. */
    readonly dockerfile: string;
    /** Build stage of the Dockerfile for each image. */
    readonly targets: Readonly<Record<keyof AppImages, string>>;
    readonly platform: string;
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

/** Commands run inside the FreshTrack images (docs/app-contract.md). */
export interface AppCommands {
    /** Shell command of the backend image that applies database migrations. */
    readonly migrate: string;
    /** Shell command of the worker image that exits 0 when the worker is healthy. */
    readonly workerHealthcheck: string;
    /** Shell command of the backend image that seeds the demo organisation. */
    readonly seed: string;
}

export interface EmailDestination {
    readonly to: readonly string[];
    readonly from: string;
    readonly smarthost: string;
    readonly username?: string;
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

/** A droplet the program creates (target `droplet`). */
export interface DropletSettings {
    readonly region: string;
    readonly size: DropletSize;
    /** Image slug; only read when the droplet is first created. */
    readonly image: string;
    /** Size of the block volume that holds all persistent data. */
    readonly volumeSizeGb: number;
    /** DigitalOcean's weekly droplet backups; on by default in prod. */
    readonly backups: boolean;
    /** A DNS zone managed in DigitalOcean that contains `domain`; records are created when set. */
    readonly dnsZone?: string;
}

/** An existing VM reached over SSH (target `ssh`). */
export interface SshSettings {
    readonly host: string;
    readonly user: string;
    readonly port: number;
    /**
     * The VM's ed25519 host key, `ssh-ed25519 AAAA...` (no comment): every connection to the VM
     * (the bootstrap, the commands, Docker, the operator scripts) accepts this key and no other.
     */
    readonly hostKey: string;
    /** From `freshtrack:sshPrivateKey`: the admin user's key, used only for the bootstrap. */
    readonly privateKey: pulumi.Output<string>;
}

export type DatabaseSettings =
    | { readonly mode: "container" }
    | { readonly mode: "managed"; readonly size: DatabaseSize; readonly nodeCount: number; readonly version: string };

export interface StackConfig {
    readonly project: string;
    readonly stack: string;
    /** Prefix of every Docker object name, so stacks can share a daemon. */
    readonly namePrefix: string;
    readonly target: Target;
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
    readonly backup: {
        readonly schedule: string;
        readonly retentionDays: number;
        /** A second copy off the host, in an S3-compatible bucket such as DigitalOcean Spaces. */
        readonly offsite?: {
            readonly endpoint: string;
            readonly bucket: string;
            readonly accessKeyId: pulumi.Output<string>;
            readonly secretAccessKey: pulumi.Output<string>;
            /** SSE-C key of the copies: 32 bytes as 64 hex digits (components/services/backup.ts). */
            readonly encryptionKey: pulumi.Output<string>;
        };
    };
    readonly alerts: AlertDestinations;
    /** Present when target is `droplet`. */
    readonly droplet?: DropletSettings;
    /** Present when target is `ssh`. */
    readonly ssh?: SshSettings;
    /** An operator's own public key, authorised for the deploy user beside the generated one. */
    readonly operatorSshPublicKey?: string;
    readonly database: DatabaseSettings;
    readonly monitoring: {
        readonly metricsRetentionDays: number;
        readonly logRetentionDays: number;
        /** Uptime Kuma status pages served without the admin login (components/edge/caddy.ts). */
        readonly publicStatusPages: readonly string[];
    };
    readonly verification: VerificationSettings;
    readonly preflight: { readonly minFreeGb: number };
    /** Tables whose new rows a rollback exports first, with their timestamp column. */
    /** Generation of each rotatable credential; 1 (the first) when not listed. */
    readonly secretGenerations: Readonly<Partial<Record<RotatableSecret, number>>>;
    readonly rollback: { readonly exportTables: ReadonlyArray<{ readonly table: string; readonly column: string }> };
}

/** The gate `pulumi up` passes through after every container is healthy. */
export interface VerificationSettings {
    readonly enabled: boolean;
    readonly consecutivePasses: number;
    readonly timeoutSeconds: number;
    /** The end-to-end sensor test; off where the stack has no sensor to test with. */
    readonly e2e?: {
        readonly ingestPath: string;
        readonly alertsPath: string;
        readonly sensorId: string;
        readonly celsius: number;
        readonly token?: pulumi.Output<string>;
    };
}

/** One invalid value: the key, what was given and what was expected. */
export interface ConfigProblem {
    readonly key: string;
    readonly value: unknown;
    readonly expected: string;
    /**
     * The value is left out of the message, and `expected` is printed as the whole
     * reason: for a key the program does not know, whose value may be a secret.
     */
    readonly valueHidden?: boolean;
}

/**
 * All the problems found in a stack's config. A RunError, so `pulumi up` and
 * `npm run plan` print the message alone, without a stack trace.
 */
export class ConfigError extends pulumi.RunError {
    constructor(
        readonly stack: string,
        readonly problems: readonly ConfigProblem[],
    ) {
        super(
            // Config is read before any resource is registered, so this stops preview, up, plan and policy alike with
            // nothing touched.
            `Stack '${stack}' has ${problems.length} configuration problem${problems.length === 1 ? "" : "s"} (found before any resource was touched):\n` +
                problems
                    .map(
                        (p) =>
                            `  - ${p.key}${p.valueHidden ? "" : ` = ${describe(p.value)}`}: ${p.valueHidden ? "" : "expected "}${p.expected}`,
                    )
                    .join("\n"),
        );
        this.name = "ConfigError";
    }
}

/**
 * Stands for a value the scripts cannot decrypt: `npm run plan`, `policy` and `bench` read the stack file
 * without the passphrase and hand this text over for every `secure:` value (scripts/lib/stackFiles.ts).
 * A secret's form can only be checked where it arrives decrypted, in `pulumi preview` and `up`.
 */
export const MASKED_SECURE_VALUE = "[secure value, encrypted in the stack file]";

/** The value of a problem on a secret key that is set: shown as set, never as itself. */
const HIDDEN_SECRET: unique symbol = Symbol("a secret's value, not shown");

function describe(value: unknown): string {
    if (value === undefined) return "(not set)";
    if (value === HIDDEN_SECRET) return "(set; the value is not shown)";
    return JSON.stringify(value);
}

/** A config value as Pulumi hands it to the program: structured values arrive as JSON text. */
function parsedOrText(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** Reads raw values and records problems; the parts of `loadStackConfig` that repeat. */
class Reader {
    readonly problems: ConfigProblem[] = [];
    private readonly cfg = new pulumi.Config(PROJECT);

    key(name: string): string {
        return `${PROJECT}:${name}`;
    }

    problem(key: string, value: unknown, expected: string): void {
        // A secret key's value is never printed, whatever is wrong with it.
        const secret = (SECRET_CONFIG_KEYS as readonly string[]).some((name) => key === this.key(name));
        if (secret && value !== undefined)
            this.problems.push({
                key,
                value: HIDDEN_SECRET,
                expected: `${expected} (the value is not shown: it is a secret)`,
            });
        else this.problems.push({ key, value, expected });
    }

    /**
     * A problem with a setting beside a secret, where a secret may be pasted by mistake
     * (a webhook URL for alerts.webhook): booleans and numbers are shown, text and objects not.
     */
    problemNearSecret(key: string, value: unknown, expected: string): void {
        if (typeof value === "boolean" || typeof value === "number" || value === null) {
            this.problem(key, value, expected);
            return;
        }
        const kind = Array.isArray(value) ? "a list" : typeof value === "string" ? "text" : "an object";
        const reason = `set to ${kind} that is not valid here (not shown: it may be a pasted secret); expected ${expected}`;
        this.problems.push({ key, value: undefined, valueHidden: true, expected: reason });
    }

    /** Keys declared secret whose value is set in plain text; the value itself is never read out. */
    plainTextSecrets(): SecretConfigKey[] {
        return SECRET_CONFIG_KEYS.filter(
            (name) => (this.cfg.get(name) ?? "") !== "" && !arrivedEncrypted(this.key(name)),
        );
    }

    /** The raw value: structured values arrive as JSON text and are parsed here. */
    raw(name: string): unknown {
        const text = this.cfg.get(name);
        return text === undefined ? undefined : parsedOrText(text);
    }

    string(name: string, fallback?: string): string {
        const text = this.cfg.get(name);
        if (text === undefined) {
            if (fallback !== undefined) return fallback;
            this.problem(this.key(name), undefined, "a value (it has no default)");
            return "";
        }
        return text;
    }

    /** A required string that must also pass `check`; reported once whether missing or wrong. */
    checkedString(name: string, check: (s: string) => string | undefined): { value: string; valid: boolean } {
        const before = this.problems.length;
        const value = this.string(name);
        if (this.problems.length > before) return { value, valid: false };
        const problem = check(value);
        if (problem) this.problem(this.key(name), value, problem);
        return { value, valid: problem === undefined };
    }

    oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
        const value = this.string(name, fallback);
        if ((allowed as readonly string[]).includes(value)) return value as T;
        this.problem(this.key(name), value, `one of ${allowed.join(", ")}`);
        return fallback;
    }

    boolean(name: string, fallback: boolean): boolean {
        const value = this.raw(name);
        if (value === undefined) return fallback;
        if (typeof value === "boolean") return value;
        this.problem(this.key(name), value, "true or false");
        return fallback;
    }

    object(name: string): Record<string, unknown> | undefined {
        const value = this.raw(name);
        if (value === undefined) return undefined;
        if (isRecord(value)) return value;
        this.problem(this.key(name), value, "an object (a YAML mapping)");
        return undefined;
    }

    /** An operator-supplied secret that may be left unset. */
    optionalSecret(name: SecretConfigKey): pulumi.Output<string> | undefined {
        return this.cfg.get(name) ? this.cfg.requireSecret(name) : undefined;
    }

    /**
     * An operator-supplied secret. Missing ones are recorded, not thrown, so every problem is reported at once.
     * `check` judges the value's form; its answer is the expectation, and the value itself is never shown.
     */
    secret(
        name: SecretConfigKey,
        neededFor: string,
        check?: (value: string) => string | undefined,
    ): pulumi.Output<string> | undefined {
        // Pulumi.yaml declares optional secrets untyped with an empty default (see its header:
        // a typed secret key cannot have one), so empty means unset. The value itself leaves
        // this function only as a secret Output.
        const value = this.cfg.get(name);
        if (!value) {
            this.problem(
                this.key(name),
                undefined,
                `a secret (pulumi config set --secret ${name} ...) because ${neededFor}`,
            );
            return undefined;
        }
        const wrong = value === MASKED_SECURE_VALUE ? undefined : check?.(value);
        if (wrong !== undefined) {
            this.problems.push({ key: this.key(name), value: HIDDEN_SECRET, expected: wrong });
            return undefined;
        }
        return this.cfg.requireSecret(name);
    }
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringList(r: Reader, key: string, value: unknown, check: (s: string) => string | undefined): string[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
        r.problem(key, value, "a list (a YAML sequence)");
        return [];
    }
    return value.filter((item, i) => {
        const problem = typeof item === "string" ? check(item) : "a string";
        if (problem) r.problem(`${key}[${i}]`, item, problem);
        return problem === undefined;
    }) as string[];
}

function unknownKeys(r: Reader, key: string, obj: Record<string, unknown>, allowed: readonly string[]): void {
    for (const k of Object.keys(obj)) {
        if (allowed.includes(k)) continue;
        const near = closestMatch(k, allowed);
        // As for an undeclared key, the value is not shown: a pasted webhook URL or password would land in logs.
        const reason = `set, but not a setting of ${key}; ${near ? `did you mean ${near}?` : `its settings are ${allowed.join(", ")}`}`;
        r.problems.push({ key: `${key}.${k}`, value: undefined, expected: reason, valueHidden: true });
    }
}

function field<T>(
    r: Reader,
    key: string,
    obj: Record<string, unknown>,
    name: string,
    check: (v: unknown) => string | undefined,
    fallback: T,
): T {
    const value = obj[name];
    if (value === undefined) return fallback;
    const problem = check(value);
    if (problem) {
        r.problem(`${key}.${name}`, value, problem);
        return fallback;
    }
    return value as T;
}

/**
 * A CPU limit the Docker provider reads back unchanged. It reads NanoCPUs back through
 * `nanoInt64ToDecimalString`, which rounds values such as 0.05 to "0.1" (components/dockerForms.ts);
 * a limit that reads back differently would replace its container on every update.
 */
function checkCpus(value: unknown): string | undefined {
    const range = checkNumber(0.1, 64)(value);
    if (range) return range;
    const cpus = value as number;
    return cpusInput(cpus) === undefined
        ? `a number from 0.1 to 64 that Docker reads back unchanged: ${cpusAdvice(cpus)}`
        : undefined;
}

const asString = (check: (s: string) => string | undefined) => (v: unknown) =>
    typeof v === "string" ? check(v) : "a string";

/**
 * Builds the three image references. `versionValid` false: appVersion was already reported, so tags taken from it are
 * not reported again.
 */
function readImages(r: Reader, version: string, versionValid: boolean): AppImages {
    const key = r.key("appImages");
    const obj = r.object("appImages") ?? {};
    unknownKeys(r, key, obj, ["registry", "backend", "worker", "frontend"]);
    const registry = field<string>(
        r,
        key,
        obj,
        "registry",
        asString((s) =>
            /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/.test(s) ? undefined : "a registry such as ghcr.io/freshtrack",
        ),
        fieldDefault("appImages", "registry"),
    );
    const image = (name: keyof AppImages): ImageRef => {
        const given = field<string>(
            r,
            key,
            obj,
            name,
            asString(() => undefined),
            fieldDefault("appImages", name),
        );
        // A bare name gets the registry; a name without a tag gets appVersion.
        const withRegistry = given.includes("/") ? given : `${registry}/${given}`;
        const lastPart = withRegistry.slice(withRegistry.lastIndexOf("/") + 1);
        const ownTag = lastPart.includes(":") || lastPart.includes("@");
        const full = ownTag ? withRegistry : `${withRegistry}:${version}`;
        const parsed = parseImageRef(full);
        if (typeof parsed === "string") {
            if (ownTag || versionValid) r.problem(`${key}.${name}`, full, parsed);
            return { repository: withRegistry, tag: version, ref: full };
        }
        return parsed;
    };
    return { backend: image("backend"), worker: image("worker"), frontend: image("frontend") };
}

function readRegistryAuth(r: Reader, images: AppImages): RegistryAuth | undefined {
    const username = r.string("appRegistryUsername", keyDefault("appRegistryUsername"));
    const password = r.optionalSecret("appRegistryPassword");
    if (username === "" && !password) return undefined;
    if (username === "") {
        r.problem(
            r.key("appRegistryUsername"),
            username,
            "the registry user that goes with freshtrack:appRegistryPassword",
        );
        return undefined;
    }
    if (!password) {
        r.problem(
            r.key("appRegistryPassword"),
            undefined,
            `a secret token for ${username} (pulumi config set --secret appRegistryPassword)`,
        );
        return undefined;
    }
    // The registry host of the backend image; the three images live in one registry.
    const first = images.backend.repository.split("/")[0]!;
    const server = first.includes(".") || first.includes(":") || first === "localhost" ? first : "docker.io";
    return { server, username, password };
}

function readAppBuild(r: Reader, target: Target, registryAuth: RegistryAuth | undefined): AppBuild | undefined {
    const key = r.key("appBuild");
    const obj = r.object("appBuild") ?? {};
    unknownKeys(r, key, obj, ["context", "dockerfile", "targets", "platform"]);
    if (Object.keys(obj).length === 0) return undefined;
    const text = asString((s) => (s.trim().length > 0 ? undefined : "a non-empty string"));
    const contextRaw = field<string>(r, key, obj, "context", text, "");
    if (contextRaw === "") {
        r.problem(`${key}.context`, undefined, "the path of a FreshTrack checkout, e.g. ../freshtrack-pro");
        return undefined;
    }
    const context = path.resolve(contextRaw);
    const dockerfile = field<string>(r, key, obj, "dockerfile", text, "Dockerfile");
    if (!fs.existsSync(context) || !fs.statSync(context).isDirectory()) {
        r.problem(`${key}.context`, contextRaw, `a directory (resolved to ${context}, which does not exist)`);
    } else if (!fs.existsSync(path.join(context, dockerfile))) {
        r.problem(
            `${key}.dockerfile`,
            dockerfile,
            `a file in the build context (${path.join(context, dockerfile)} does not exist)`,
        );
    }
    const targetsObj = isRecord(obj.targets) ? obj.targets : {};
    if (obj.targets !== undefined && !isRecord(obj.targets))
        r.problem(`${key}.targets`, obj.targets, "an object with the build stage of backend, worker and frontend");
    unknownKeys(r, `${key}.targets`, targetsObj, ["backend", "worker", "frontend"]);
    const stage = asString((s) => (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s) ? undefined : "a Dockerfile stage name"));
    const targets = {
        backend: field(r, `${key}.targets`, targetsObj, "backend", stage, "backend"),
        worker: field(r, `${key}.targets`, targetsObj, "worker", stage, "worker"),
        frontend: field(r, `${key}.targets`, targetsObj, "frontend", stage, "frontend"),
    };
    const platform = field<string>(
        r,
        key,
        obj,
        "platform",
        asString((s) => (/^linux\/(amd64|arm64)$/.test(s) ? undefined : "linux/amd64 or linux/arm64")),
        "linux/amd64",
    );
    const push = target !== "local";
    if (push && !registryAuth) {
        r.problem(
            r.key("appRegistryPassword"),
            undefined,
            `a secret token that can push to the registry of freshtrack:appImages, because appBuild builds images for the ${target} target (and freshtrack:appRegistryUsername)`,
        );
    }
    return { context, dockerfile, targets, platform, push };
}

function readSecretGenerations(r: Reader): Partial<Record<RotatableSecret, number>> {
    const key = r.key("secretGenerations");
    const obj = r.object("secretGenerations") ?? {};
    unknownKeys(r, key, obj, ROTATABLE_SECRETS);
    const result: Partial<Record<RotatableSecret, number>> = {};
    for (const name of ROTATABLE_SECRETS) {
        const generation = field<number | undefined>(r, key, obj, name, checkInteger(1, 1_000_000), undefined);
        if (generation !== undefined) result[name] = generation;
    }
    return result;
}

function readAppCommands(r: Reader): AppCommands {
    const key = r.key("appCommands");
    const obj = r.object("appCommands") ?? {};
    unknownKeys(r, key, obj, ["migrate", "workerHealthcheck", "seed"]);
    const command = asString((s) =>
        s.trim().length > 0 && !s.includes("\n") ? undefined : "a one-line shell command",
    );
    return {
        migrate: field(r, key, obj, "migrate", command, fieldDefault("appCommands", "migrate")),
        workerHealthcheck: field(
            r,
            key,
            obj,
            "workerHealthcheck",
            command,
            fieldDefault("appCommands", "workerHealthcheck"),
        ),
        seed: field(r, key, obj, "seed", command, fieldDefault("appCommands", "seed")),
    };
}

function readVerification(r: Reader): VerificationSettings {
    const key = r.key("verification");
    const obj = r.object("verification") ?? {};
    unknownKeys(r, key, obj, ["enabled", "consecutivePasses", "timeoutSeconds", "e2e"]);
    const bool = (v: unknown) => (typeof v === "boolean" ? undefined : "true or false");
    const path = asString((s) => (s.startsWith("/") ? undefined : "an absolute path such as /api/v1/readings"));
    const settings = {
        enabled: field<boolean>(r, key, obj, "enabled", bool, fieldDefault("verification", "enabled")),
        consecutivePasses: field<number>(
            r,
            key,
            obj,
            "consecutivePasses",
            checkInteger(1, 20),
            fieldDefault("verification", "consecutivePasses"),
        ),
        timeoutSeconds: field<number>(
            r,
            key,
            obj,
            "timeoutSeconds",
            checkInteger(10, 3600),
            fieldDefault("verification", "timeoutSeconds"),
        ),
    };
    const e2e = obj.e2e;
    if (e2e === undefined || e2e === false) return settings;
    if (!isRecord(e2e)) {
        r.problem(`${key}.e2e`, e2e, "an object with ingestPath, alertsPath, sensorId and celsius, or false");
        return settings;
    }
    const e2eKey = `${key}.e2e`;
    unknownKeys(r, e2eKey, e2e, ["ingestPath", "alertsPath", "sensorId", "celsius"]);
    const token = r.optionalSecret("verificationIngestToken");
    return {
        ...settings,
        e2e: {
            ingestPath: field(r, e2eKey, e2e, "ingestPath", path, "/api/v1/readings"),
            alertsPath: field(r, e2eKey, e2e, "alertsPath", path, "/api/v1/alerts?status=open"),
            sensorId: field(
                r,
                e2eKey,
                e2e,
                "sensorId",
                asString((s) => (s.length > 0 ? undefined : "a sensor id")),
                "demo-sensor-1",
            ),
            celsius: field(r, e2eKey, e2e, "celsius", checkNumber(-80, 200), 15),
            ...(token ? { token } : {}),
        },
    };
}

const DEFAULT_EXPORT_TABLES = fieldDefault("rollback", "exportTables");

function readRollback(r: Reader): StackConfig["rollback"] {
    const key = r.key("rollback");
    const obj = r.object("rollback") ?? {};
    unknownKeys(r, key, obj, ["exportTables"]);
    if (obj.exportTables === undefined) return { exportTables: DEFAULT_EXPORT_TABLES };
    if (!Array.isArray(obj.exportTables)) {
        r.problem(`${key}.exportTables`, obj.exportTables, "a list of {table, column}");
        return { exportTables: DEFAULT_EXPORT_TABLES };
    }
    const ident = /^[a-z_][a-z0-9_]*$/;
    const tables = obj.exportTables.filter((t, i) => {
        const ok =
            isRecord(t) &&
            typeof t.table === "string" &&
            ident.test(t.table) &&
            typeof t.column === "string" &&
            ident.test(t.column);
        if (!ok) r.problem(`${key}.exportTables[${i}]`, t, "{table, column} with plain lowercase SQL names");
        return ok;
    }) as Array<{ table: string; column: string }>;
    return { exportTables: tables };
}

/**
 * An Uptime Kuma status page slug, as Uptime Kuma itself accepts one (louislam/uptime-kuma@1.23.15
 * server/socket-handlers/status-page-socket-handler.js:365): it becomes a Caddy path, so nothing else may pass.
 */
export const STATUS_SLUG = /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/;

function readMonitoring(r: Reader): StackConfig["monitoring"] {
    const key = r.key("monitoring");
    const obj = r.object("monitoring") ?? {};
    unknownKeys(r, key, obj, ["metricsRetentionDays", "logRetentionDays", "publicStatusPages"]);
    const slug = (s: string) =>
        STATUS_SLUG.test(s)
            ? undefined
            : "an Uptime Kuma status page slug: letters and digits, words joined by single hyphens";
    return {
        metricsRetentionDays: field<number>(
            r,
            key,
            obj,
            "metricsRetentionDays",
            checkInteger(1, 365),
            fieldDefault("monitoring", "metricsRetentionDays"),
        ),
        logRetentionDays: field<number>(
            r,
            key,
            obj,
            "logRetentionDays",
            checkInteger(1, 365),
            fieldDefault("monitoring", "logRetentionDays"),
        ),
        publicStatusPages: stringList(r, `${key}.publicStatusPages`, obj.publicStatusPages, slug),
    };
}

function readResources(r: Reader): Record<ServiceName, ResourceLimits> {
    const key = r.key("resources");
    const overrides = r.object("resources") ?? {};
    unknownKeys(r, key, overrides, SERVICE_NAMES);
    const result = {} as Record<ServiceName, ResourceLimits>;
    for (const name of SERVICE_NAMES) {
        const given = overrides[name];
        const defaults = DEFAULT_LIMITS[name];
        if (given === undefined) {
            result[name] = defaults;
            continue;
        }
        if (!isRecord(given)) {
            r.problem(`${key}.${name}`, given, "an object with memoryMb and/or cpus");
            result[name] = defaults;
            continue;
        }
        unknownKeys(r, `${key}.${name}`, given, ["memoryMb", "cpus"]);
        result[name] = {
            memoryMb: field(r, `${key}.${name}`, given, "memoryMb", checkInteger(16, 65536), defaults.memoryMb),
            cpus: field(r, `${key}.${name}`, given, "cpus", checkCpus, defaults.cpus),
        };
    }
    return result;
}

function readBackup(r: Reader): StackConfig["backup"] {
    const key = r.key("backup");
    const obj = r.object("backup") ?? {};
    unknownKeys(r, key, obj, ["schedule", "retentionDays", "offsite"]);
    const base = {
        schedule: field<string>(r, key, obj, "schedule", asString(checkCron), fieldDefault("backup", "schedule")),
        retentionDays: field<number>(
            r,
            key,
            obj,
            "retentionDays",
            checkInteger(1, 3650),
            fieldDefault("backup", "retentionDays"),
        ),
    };
    if (obj.offsite === undefined) return base;
    const offKey = `${key}.offsite`;
    if (!isRecord(obj.offsite)) {
        r.problemNearSecret(
            offKey,
            obj.offsite,
            "an object with endpoint and bucket (the keys are the secrets freshtrack:backupOffsite*)",
        );
        return base;
    }
    unknownKeys(r, offKey, obj.offsite, ["endpoint", "bucket"]);
    // An endpoint written as https://key:secret@host is refused without being shown.
    const endpointRaw = obj.offsite.endpoint;
    const endpointValid = typeof endpointRaw === "string" && /^https:\/\/[a-z0-9.-]+(:\d+)?$/.test(endpointRaw);
    if (endpointRaw !== undefined && !endpointValid) {
        r.problemNearSecret(
            `${offKey}.endpoint`,
            endpointRaw,
            "an https endpoint such as https://fra1.digitaloceanspaces.com",
        );
    }
    const endpoint = endpointValid ? endpointRaw : "";
    if (obj.offsite.endpoint === undefined)
        r.problem(`${offKey}.endpoint`, undefined, "an https endpoint such as https://fra1.digitaloceanspaces.com");
    const bucket = field<string>(
        r,
        offKey,
        obj.offsite,
        "bucket",
        asString((s) =>
            /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s)
                ? undefined
                : "an S3 bucket name (3-63 lowercase letters, digits, . -)",
        ),
        "",
    );
    if (obj.offsite.bucket === undefined)
        r.problem(`${offKey}.bucket`, undefined, "the bucket that receives the copies");
    const accessKeyId = r.secret("backupOffsiteAccessKeyId", `${offKey} is set`);
    const secretAccessKey = r.secret("backupOffsiteSecretAccessKey", `${offKey} is set`);
    // Offsite copies are encrypted with SSE-C under this key (components/services/backup.ts): 256 bits, as mc's --enc-c
    // takes it in hex.
    const encryptionKey = r.secret(
        "backupOffsiteEncryptionKey",
        `${offKey} is set and offsite copies are encrypted with it (openssl rand -hex 32)`,
        (v) =>
            /^[0-9a-fA-F]{64}$/.test(v)
                ? undefined
                : "a 256-bit key as 64 hexadecimal digits, such as the output of openssl rand -hex 32",
    );
    return accessKeyId && secretAccessKey && encryptionKey
        ? { ...base, offsite: { endpoint, bucket, accessKeyId, secretAccessKey, encryptionKey } }
        : base;
}

function readAlerts(r: Reader): AlertDestinations {
    const key = r.key("alerts");
    const obj = r.object("alerts") ?? {};
    unknownKeys(r, key, obj, ["email", "slack", "webhook"]);
    const result: { -readonly [K in keyof AlertDestinations]: AlertDestinations[K] } = {};

    if (obj.email !== undefined) {
        const emailKey = `${key}.email`;
        if (!isRecord(obj.email)) {
            r.problem(emailKey, obj.email, "an object with to, from and smarthost");
        } else {
            const email = obj.email;
            unknownKeys(r, emailKey, email, ["to", "from", "smarthost", "username"]);
            const to = stringList(r, `${emailKey}.to`, email.to, checkEmail);
            if (email.to === undefined || to.length === 0)
                r.problem(`${emailKey}.to`, email.to, "a list of at least one email address");
            const from = field<string>(r, emailKey, email, "from", asString(checkEmail), "");
            if (email.from === undefined)
                r.problem(`${emailKey}.from`, undefined, "the sender address alerts come from");
            const smarthost = field<string>(r, emailKey, email, "smarthost", asString(checkHostPort), "");
            if (email.smarthost === undefined)
                r.problem(`${emailKey}.smarthost`, undefined, "the SMTP relay as host:port");
            const username = field<string | undefined>(
                r,
                emailKey,
                email,
                "username",
                asString((s) => (s.length > 0 ? undefined : "a non-empty SMTP user name")),
                undefined,
            );
            const password =
                username !== undefined ? r.secret("alertSmtpPassword", `${emailKey}.username is set`) : undefined;
            result.email = {
                to,
                from,
                smarthost,
                ...(username !== undefined ? { username } : {}),
                ...(password ? { password } : {}),
            };
        }
    }
    if (obj.slack !== undefined) {
        const slackKey = `${key}.slack`;
        if (!isRecord(obj.slack)) {
            r.problemNearSecret(
                slackKey,
                obj.slack,
                "an object with channel (the webhook URL is the secret freshtrack:alertSlackWebhookUrl)",
            );
        } else {
            unknownKeys(r, slackKey, obj.slack, ["channel"]);
            const channelRaw = obj.slack.channel;
            const channelValid = typeof channelRaw === "string" && /^#[a-z0-9_-]{1,80}$/.test(channelRaw);
            if (channelRaw !== undefined && !channelValid)
                r.problemNearSecret(`${slackKey}.channel`, channelRaw, "a Slack channel such as #cold-chain-alerts");
            const channel = channelValid ? channelRaw : "";
            if (obj.slack.channel === undefined)
                r.problem(`${slackKey}.channel`, undefined, "a Slack channel such as #cold-chain-alerts");
            const webhookUrl = r.secret("alertSlackWebhookUrl", `${slackKey} is set`);
            if (webhookUrl) result.slack = { channel, webhookUrl };
        }
    }
    if (obj.webhook !== undefined) {
        const webhookKey = `${key}.webhook`;
        if (obj.webhook !== true) {
            r.problemNearSecret(
                webhookKey,
                obj.webhook,
                "true (the URL itself is the secret freshtrack:alertWebhookUrl)",
            );
        } else {
            const url = r.secret("alertWebhookUrl", `${webhookKey} is true`);
            if (url) result.webhook = { url };
        }
    }
    return result;
}

const REGION = /^[a-z]{3}[0-9]$/;

function readDroplet(r: Reader, stack: string, domain: string): DropletSettings {
    const key = r.key("droplet");
    const obj = r.object("droplet") ?? {};
    unknownKeys(r, key, obj, ["region", "size", "image", "volumeSizeGb", "backups", "dnsZone"]);
    const region = field<string>(
        r,
        key,
        obj,
        "region",
        asString((s) => (REGION.test(s) ? undefined : "a DigitalOcean region slug such as fra1 or nyc3")),
        "",
    );
    if (obj.region === undefined)
        r.problem(`${key}.region`, undefined, "a DigitalOcean region slug such as fra1 or nyc3");
    const size = field<DropletSize>(
        r,
        key,
        obj,
        "size",
        asString((s) =>
            (DROPLET_SIZE_NAMES as string[]).includes(s) ? undefined : `one of ${DROPLET_SIZE_NAMES.join(", ")}`,
        ),
        "s-2vcpu-4gb",
    );
    // Ubuntu only: the droplet publishes Caddy on IPv4 and IPv6, which needs Docker 27 or newer
    // (DUAL_STACK_DOCKER_MAJOR, components/platform/networks.ts), and the bootstrap installs the distribution's
    // docker.io. Ubuntu updates docker.io in its supported releases to upstream versions (its Docker update exception,
    // wiki.ubuntu.com/DockerUpdates); Debian keeps the version it released with (20.10 in Debian 12). The bootstrap
    // checks the version it got, after the droplet exists; this refuses the image that cannot pass before anything is
    // created.
    const image = field<string>(
        r,
        key,
        obj,
        "image",
        asString((s) =>
            /^ubuntu-[0-9a-z-]+$/.test(s)
                ? undefined
                : /^debian-/.test(s)
                  ? "an Ubuntu image slug such as ubuntu-24-04-x64: Debian's docker.io is older than the Docker 27 that Caddy's IPv4 and IPv6 ports need"
                  : "an Ubuntu image slug such as ubuntu-24-04-x64",
        ),
        "ubuntu-24-04-x64",
    );
    const volumeSizeGb = field(r, key, obj, "volumeSizeGb", checkInteger(10, 16384), 50);
    const backups = field(
        r,
        key,
        obj,
        "backups",
        (v) => (typeof v === "boolean" ? undefined : "true or false"),
        stack === "prod",
    );
    const dnsZone = field<string | undefined>(r, key, obj, "dnsZone", asString(checkDomain), undefined);
    if (dnsZone !== undefined && domain !== dnsZone && !domain.endsWith(`.${dnsZone}`)) {
        r.problem(`${key}.dnsZone`, dnsZone, `a zone that contains the domain '${domain}'`);
    }
    return { region, size, image, volumeSizeGb, backups, ...(dnsZone !== undefined ? { dnsZone } : {}) };
}

function readSsh(r: Reader): SshSettings | undefined {
    const key = r.key("ssh");
    const obj = r.object("ssh") ?? {};
    unknownKeys(r, key, obj, ["host", "user", "port", "hostKey"]);
    const host = field<string>(
        r,
        key,
        obj,
        "host",
        asString((s) => (checkDomain(s) === undefined || net.isIP(s) !== 0 ? undefined : "an IP address or DNS name")),
        "",
    );
    if (obj.host === undefined) r.problem(`${key}.host`, undefined, "the VM's IP address or DNS name");
    const user = field<string>(
        r,
        key,
        obj,
        "user",
        asString((s) => (/^[a-z_][a-z0-9_-]{0,31}$/.test(s) ? undefined : "a Unix user name with sudo rights")),
        "root",
    );
    const port = field(r, key, obj, "port", checkInteger(1, 65535), 22);
    // Pinned by every connection, so never trusted on first use: the operator reads it and checks it out of band.
    const scan =
        `run \`${keyscanCommand(host || "<host>", port)}\` from a machine you trust and compare the key's fingerprint ` +
        "(`ssh-keygen -lf -` on that line) with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` run on the VM's console";
    const hostKeyRaw = field<string | undefined>(
        r,
        key,
        obj,
        "hostKey",
        asString((s) => {
            const problem = checkHostKeyLine(s);
            return problem ? `${problem}; ${scan}` : undefined;
        }),
        undefined,
    );
    if (obj.hostKey === undefined) {
        r.problem(
            `${key}.hostKey`,
            undefined,
            `the VM's SSH host key, "ssh-ed25519 AAAA..." (the line ssh-keyscan prints, without the host name before it), so that no connection ` +
                `trusts whichever host answers: ${scan}`,
        );
    }
    const privateKey = r.secret("sshPrivateKey", "the ssh target bootstraps the VM as that user");
    return privateKey && hostKeyRaw !== undefined
        ? { host, user, port, hostKey: hostKeyOnly(hostKeyRaw), privateKey }
        : undefined;
}

function readDatabase(r: Reader, target: Target): DatabaseSettings {
    const key = r.key("database");
    const obj = r.object("database") ?? {};
    unknownKeys(r, key, obj, ["mode", "size", "nodeCount", "version"]);
    const mode = field<string>(
        r,
        key,
        obj,
        "mode",
        asString((s) => (s === "container" || s === "managed" ? undefined : "container or managed")),
        fieldDefault("database", "mode"),
    );
    if (mode !== "managed") return { mode: "container" };
    if (target !== "droplet")
        r.problem(
            `${key}.mode`,
            mode,
            `container on the ${target} target (a managed database needs the droplet's VPC)`,
        );
    const sizes = Object.keys(DATABASE_SIZES);
    const size = field<DatabaseSize>(
        r,
        key,
        obj,
        "size",
        asString((s) => (sizes.includes(s) ? undefined : `one of ${sizes.join(", ")}`)),
        "db-s-1vcpu-1gb",
    );
    const nodeCount = field(r, key, obj, "nodeCount", checkInteger(1, 3), 1);
    // Standby nodes need a plan with at least 2 GB
    // (docs.digitalocean.com/products/databases/postgresql/details/limits).
    if (nodeCount > 1 && size === "db-s-1vcpu-1gb")
        r.problem(
            `${key}.nodeCount`,
            nodeCount,
            "1 with size db-s-1vcpu-1gb; standby nodes need db-s-1vcpu-2gb or larger",
        );
    return {
        mode: "managed",
        size,
        nodeCount,
        version: field<string>(
            r,
            key,
            obj,
            "version",
            asString((s) => (/^1[4-7]$/.test(s) ? undefined : "a PostgreSQL major version from 14 to 17")),
            "16",
        ),
    };
}

/**
 * Reads and validates the whole stack config. Throws one ConfigError listing
 * every problem; returns a deeply frozen StackConfig otherwise.
 */
export function loadStackConfig(): StackConfig {
    const r = new Reader();
    const stack = pulumi.getStack();

    const target = r.oneOf("target", TARGETS, keyDefault("target"));
    const { value: domain, valid: domainValid } = r.checkedString("domain", checkDomain);
    const { value: adminEmail } = r.checkedString("adminEmail", checkEmail);

    const tlsMode = r.oneOf("tlsMode", TLS_MODES, keyDefault("tlsMode"));
    // One problem per key: on the local target the domain is usually local-only as well, and both reasons go on one
    // line.
    const unissuable = tlsMode !== "internal" && domainValid && isLocalOnlyDomain(domain);
    if (tlsMode !== "internal" && target === "local") {
        const alsoDomain = unissuable ? `, nor issue a certificate for '${domain}'` : "";
        r.problem(
            r.key("tlsMode"),
            tlsMode,
            `internal on the local target: Let's Encrypt cannot reach a laptop's Docker daemon${alsoDomain}`,
        );
    } else if (unissuable) {
        r.problem(
            r.key("tlsMode"),
            tlsMode,
            `internal, because Let's Encrypt cannot issue a certificate for '${domain}'`,
        );
    }

    const allowSshFromAnywhere = r.boolean("allowSshFromAnywhere", keyDefault("allowSshFromAnywhere"));
    const adminCidrsRaw = r.raw("adminCidrs");
    const adminCidrs = stringList(r, r.key("adminCidrs"), adminCidrsRaw, checkCidr);
    // Pulumi.yaml's default [] always arrives, so an empty list means none was given.
    if (
        target !== "local" &&
        (adminCidrsRaw === undefined || (Array.isArray(adminCidrsRaw) && adminCidrsRaw.length === 0))
    ) {
        r.problem(
            r.key("adminCidrs"),
            adminCidrsRaw,
            `at least one CIDR allowed to reach SSH on the ${target} target, such as your address as x.x.x.x/32`,
        );
    }
    // Judged by what the entries cover together, refused ones included: 1.2.3.4/0 is reported for its host bits and as
    // the whole internet.
    const givenCidrs = Array.isArray(adminCidrsRaw)
        ? adminCidrsRaw.filter((c): c is string => typeof c === "string")
        : [];
    const tooWide = checkAdminCidrs(givenCidrs, allowSshFromAnywhere);
    if (tooWide) r.problem(r.key("adminCidrs"), givenCidrs, tooWide);

    const { value: appVersion, valid: versionValid } = r.checkedString("appVersion", checkPinnedTag);
    const images = readImages(r, appVersion, versionValid);
    const commands = readAppCommands(r);
    const registryAuth = readRegistryAuth(r, images);
    const build = readAppBuild(r, target, registryAuth);

    const resources = readResources(r);
    const demoData = r.boolean("demoData", keyDefault("demoData"));
    const demoSeedVersion = r.string("demoSeedVersion", keyDefault("demoSeedVersion"));
    if (!/^[A-Za-z0-9._-]{1,63}$/.test(demoSeedVersion))
        r.problem(
            r.key("demoSeedVersion"),
            demoSeedVersion,
            "a short version label such as 1 or 2026-11 (letters, digits, . _ -)",
        );
    const backup = readBackup(r);
    const alerts = readAlerts(r);
    const droplet = target === "droplet" ? readDroplet(r, stack, domain) : undefined;
    const ssh = target === "ssh" ? readSsh(r) : undefined;
    const operatorKeyRaw = r.string("operatorSshPublicKey", keyDefault("operatorSshPublicKey"));
    if (
        operatorKeyRaw !== "" &&
        !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/.test(operatorKeyRaw)
    ) {
        r.problem(
            r.key("operatorSshPublicKey"),
            operatorKeyRaw.slice(0, 30) + "...",
            "one OpenSSH public key line, e.g. the contents of ~/.ssh/id_ed25519.pub",
        );
    }
    const database = readDatabase(r, target);
    const monitoring = readMonitoring(r);
    const verification = readVerification(r);
    const rollback = readRollback(r);
    const secretGenerations = readSecretGenerations(r);
    const preflightObj = r.object("preflight") ?? {};
    unknownKeys(r, r.key("preflight"), preflightObj, ["minFreeGb"]);
    const preflight = {
        minFreeGb: field(
            r,
            r.key("preflight"),
            preflightObj,
            "minFreeGb",
            checkInteger(1, 10000),
            fieldDefault("preflight", "minFreeGb"),
        ),
    };

    // Pulumi.yaml declares these secret: true, but the CLI enforces that only on typed keys (see Pulumi.yaml), so the
    // program does.
    for (const name of r.plainTextSecrets()) {
        r.problems.push({
            key: r.key(name),
            value: undefined,
            valueHidden: true,
            expected:
                "set in plain text, but it is a secret (secret: true in Pulumi.yaml); store it encrypted with " +
                // A key file goes in through stdin, so it keeps its line breaks and stays out of the shell's history.
                (name === "sshPrivateKey"
                    ? `pulumi config set --secret --stack ${pulumi.getStack()} ${name} < <key file>`
                    : `pulumi config set --secret --stack ${pulumi.getStack()} ${name} <value>`) +
                " (the value is not shown here)",
        });
    }

    for (const key of Object.keys(pulumi.runtime.allConfig())) {
        const [namespace = "", ...rest] = key.split(":");
        const name = rest.join(":");
        // Keys of other namespaces belong to providers (digitalocean:token); one a typo away from ours was meant for
        // us.
        const ours = namespace === PROJECT || closestMatch(namespace, [PROJECT]) !== undefined;
        if (!ours || (namespace === PROJECT && (CONFIG_KEYS as readonly string[]).includes(name))) continue;
        const near = (CONFIG_KEYS as readonly string[]).includes(name) ? name : closestMatch(name, CONFIG_KEYS);
        // Its value is not shown: the SDK does not say whether an undeclared key holds a secret.
        const reason = `set, but not declared in Pulumi.yaml${near ? `; did you mean ${PROJECT}:${near}?` : ""}`;
        r.problems.push({ key, value: undefined, expected: reason, valueHidden: true });
    }

    if (r.problems.length > 0) throw new ConfigError(stack, r.problems);

    return deepFreeze({
        project: pulumi.getProject(),
        stack,
        namePrefix: `${PROJECT}-${stack}`,
        target,
        domain,
        adminEmail,
        adminCidrs,
        allowSshFromAnywhere,
        tlsMode,
        app: {
            version: appVersion,
            images,
            commands,
            ...(build ? { build } : {}),
            ...(registryAuth ? { registryAuth } : {}),
        },
        resources,
        demoData,
        demoSeedVersion,
        backup,
        alerts,
        ...(droplet ? { droplet } : {}),
        ...(ssh ? { ssh } : {}),
        ...(operatorKeyRaw !== "" ? { operatorSshPublicKey: operatorKeyRaw } : {}),
        database,
        monitoring,
        verification,
        preflight,
        rollback,
        secretGenerations,
    });
}

/** Freezes plain data all the way down; Outputs are left as they are. */
function deepFreeze<T>(value: T): T {
    if (typeof value === "object" && value !== null && !pulumi.Output.isInstance(value)) {
        for (const v of Object.values(value)) deepFreeze(v);
        Object.freeze(value);
    }
    return value;
}

/**
 * Values on a droplet or VM stack that are still documentation examples, as shipped in
 * Pulumi.prod.yaml and Pulumi.staging.yaml: example.com names (RFC 2606) and documentation
 * address ranges (RFC 5737, RFC 3849). Deployed, they give a certificate that cannot be
 * issued, alerts mailed nowhere, or SSH open to no real admin network. One line each.
 */
export function placeholderValues(cfg: StackConfig): string[] {
    if (cfg.target === "local") return [];
    const key = (name: string) => `${PROJECT}:${name}`;
    const domainOf = (address: string) => address.slice(address.lastIndexOf("@") + 1);
    const found: string[] = [];
    if (isReservedExampleDomain(cfg.domain)) found.push(`${key("domain")} = ${cfg.domain}`);
    if (isReservedExampleDomain(domainOf(cfg.adminEmail))) found.push(`${key("adminEmail")} = ${cfg.adminEmail}`);
    cfg.adminCidrs.forEach((cidr, i) => {
        if (isDocumentationAddress(cidr)) found.push(`${key(`adminCidrs[${i}]`)} = ${cidr}`);
    });
    if (cfg.ssh && (isDocumentationAddress(cfg.ssh.host) || isReservedExampleDomain(cfg.ssh.host)))
        found.push(`${key("ssh.host")} = ${cfg.ssh.host}`);
    if (cfg.droplet?.dnsZone !== undefined && isReservedExampleDomain(cfg.droplet.dnsZone))
        found.push(`${key("droplet.dnsZone")} = ${cfg.droplet.dnsZone}`);
    const email = cfg.alerts.email;
    if (email) {
        email.to.forEach((to, i) => {
            if (isReservedExampleDomain(domainOf(to))) found.push(`${key(`alerts.email.to[${i}]`)} = ${to}`);
        });
        if (isReservedExampleDomain(domainOf(email.from))) found.push(`${key("alerts.email.from")} = ${email.from}`);
        const relay = email.smarthost.replace(/:\d+$/, "");
        if (isReservedExampleDomain(relay) || isDocumentationAddress(relay))
            found.push(`${key("alerts.email.smarthost")} = ${email.smarthost}`);
    }
    return found;
}
