/**
 * Runs the program under the SDK's mocks and records every registration as
 * the engine would receive it: type, name, parent, inputs (with secrets
 * still marked) and the resource options (protect, deleteBeforeReplace,
 * dependsOn, ignoreChanges, replaceOnChanges, provider).
 *
 * The SDK's mock monitor passes only inputs to `newResource`; the options are read from the request itself, through
 * components/sdkInternals.ts, where every use of the SDK's internals sits.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DATABASE_CLUSTER_DEFAULT_USER, DIGITALOCEAN_MODELS } from "./readBack/digitalocean";
import { DOCKER_MODELS } from "./readBack/docker";
import { StackSettings } from "./stackFiles";
import { AliasRecord, onMockRegistration, waitForRegistrations, wireForm } from "../../components/sdkInternals";
import { SecretValue, UNKNOWN } from "./values";

export { keepSecret, SecretValue, UNKNOWN, unwrapSecrets } from "./values";

/**
 * Addresses DigitalOcean assigns on create, stood in for by documentation addresses
 * (RFC 5737, RFC 3849) so that records and scripts built from them can be checked.
 * Reports print the label instead, never the stand-in as if it were the real address.
 */
export const ASSIGNED_ADDRESSES = {
    dropletIpv4: { mock: "192.0.2.10", label: "<droplet IPv4>" },
    dropletIpv6: { mock: "2001:db8::10", label: "<droplet IPv6>" },
    reservedIp: { mock: "203.0.113.50", label: "<reserved IP>" },
} as const;

export interface RegisteredResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string | undefined;
    readonly custom: boolean;
    readonly inputs: Record<string, unknown>;
    readonly options: {
        readonly protect: boolean;
        /** Undefined when left to the provider's default. */
        readonly deleteBeforeReplace: boolean | undefined;
        readonly dependsOn: string[];
        readonly ignoreChanges: string[];
        readonly replaceOnChanges: string[];
        readonly provider: string | undefined;
        readonly retainOnDelete: boolean;
        /** The `aliases` option as the SDK sends it (structured specs, since the mock monitor supports them). */
        readonly aliases: AliasRecord[];
    };
}

export type { AliasRecord };

export interface MockRun<T> {
    readonly resources: RegisteredResource[];
    readonly result: T;
    /** Milliseconds from starting the program until every registration was answered. */
    readonly evaluationMs: number;
    /**
     * Of `evaluationMs`, the milliseconds spent turning captured stack traces into text through
     * `Error.prepareStackTrace`, and how many. The SDK captures one for every promise it makes while
     * registering (`debuggablePromise` in @pulumi/pulumi runtime/debuggable.js), most of them four
     * per output property of every resource (`transferProperties` in runtime/rpc.js); under
     * ts-node, as `pulumi up` runs a TypeScript program, each frame is mapped through source maps.
     * Undefined when no formatter is installed (plain node), as Node's own is not observable.
     */
    readonly stackTraceMs?: number;
    readonly stackTraces?: number;
    /** What the program logged with `pulumi.log.warn`: what `pulumi preview` and `pulumi up` would show as warnings. */
    readonly warnings: string[];
    /**
     * What the program logged with `pulumi.log.info` (the records of DNS kept elsewhere, say): kept for the caller and
     * not printed, since under the mocks they hold the mocks' stand-in values, and a script's stdout (the plan, the
     * bench's JSON) is not the place for them.
     */
    readonly infos: string[];
}

/** Runs `fn` with the installed stack-trace formatter timed; returns the time spent in it. */
async function timingStackTraces<T>(
    fn: () => Promise<T>,
): Promise<{ value: T; stackTraceMs?: number; stackTraces?: number }> {
    const installed = Error.prepareStackTrace;
    if (installed === undefined) return { value: await fn() };
    let spent = 0;
    let count = 0;
    Error.prepareStackTrace = function (this: unknown, error, frames) {
        count++;
        const started = performance.now();
        try {
            return installed.call(this, error, frames);
        } finally {
            spent += performance.now() - started;
        }
    };
    try {
        const value = await fn();
        return { value, stackTraceMs: spent, stackTraces: count };
    } finally {
        Error.prepareStackTrace = installed;
    }
}

/** Turns wire-format values into plain ones, keeping secrets as SecretValue. */
export function fromWire(value: unknown): unknown {
    const form = wireForm(value);
    if (form.kind === "unknown") return UNKNOWN;
    if (form.kind === "secret") return new SecretValue(fromWire(form.value));
    if (form.kind === "resource") return `resource:${form.urn}`;
    if (Array.isArray(value)) return value.map(fromWire);
    if (typeof value === "object" && value !== null)
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromWire(v)]));
    return value;
}

/** The program failed after registering some resources; both are kept. */
export class MockRunFailure extends Error {
    constructor(
        readonly reason: unknown,
        readonly resources: RegisteredResource[],
    ) {
        super(reason instanceof Error ? reason.message : String(reason));
        this.name = "MockRunFailure";
    }
}

export interface MockOptions {
    /** Run as a preview (`pulumi preview`) rather than an update. @default false */
    readonly preview?: boolean;
    /** Exit codes of job containers by resource name; 0 when not listed. */
    readonly exitCodes?: Readonly<Record<string, number>>;
}

/** Read-back models of the bridged providers (scripts/lib/readBack), by type token. */
const READ_BACK = { ...DOCKER_MODELS, ...DIGITALOCEAN_MODELS };

/**
 * What a real `pulumi up` stores for a resource: the inputs in the form the provider reads them
 * back (scripts/lib/readBack, each rule cited), plus deterministic stand-ins for what it computes.
 * A mock that echoed the inputs would hide every value that reads back in another form.
 */
function computedState(args: pulumi.runtime.MockResourceArgs, opts: MockOptions): Record<string, unknown> {
    const model = READ_BACK[args.type];
    const readBack = model ? model.readBack(args.inputs) : args.inputs;
    return { ...computedOutputs({ ...args, inputs: readBack }, opts) };
}

/** Deterministic stand-ins for what providers compute, so derived values are readable. */
function computedOutputs(args: pulumi.runtime.MockResourceArgs, opts: MockOptions): Record<string, unknown> {
    switch (args.type) {
        case "random:index/randomPassword:RandomPassword": {
            // A change of keepers makes the provider generate a new value; the mock's value follows them.
            const keepers = args.inputs.keepers as Record<string, string> | undefined;
            const suffix = keepers && Object.keys(keepers).length > 0 ? `-${Object.values(keepers).join("-")}` : "";
            return {
                ...args.inputs,
                result: `mock-${args.name}${suffix}`,
                bcryptHash: `$2a$10$mockhash.${args.name.replace(/[^A-Za-z0-9]/g, "")}${suffix}`,
            };
        }
        case "docker:index/remoteImage:RemoteImage": {
            // Like a real image ID, it changes with the image pulled, so containers using it follow a new tag.
            const digest = createHash("sha256").update(String(args.inputs.name)).digest("hex");
            return {
                ...args.inputs,
                imageId: `sha256:${digest}`,
                repoDigest: `${String(args.inputs.name)}@sha256:${digest}`,
            };
        }
        case "docker:index/image:Image": {
            // Stands in for the build: the digest follows the build inputs, as the real one follows the context's
            // content.
            const digest = createHash("sha256")
                .update(JSON.stringify([args.inputs.imageName, args.inputs.build]))
                .digest("hex");
            const repository = String(args.inputs.imageName).replace(/:[^/:]+$/, "");
            return {
                ...args.inputs,
                repoDigest: args.inputs.skipPush ? `sha256:${digest}` : `${repository}@sha256:${digest}`,
            };
        }
        case "docker:index/container:Container":
            // Auto-named like the provider does: <resource name>-<random>, shown here as -xxxxxxx.
            return {
                ...args.inputs,
                name: args.inputs.name ?? `${args.name}-xxxxxxx`,
                exitCode: opts.exitCodes?.[args.name] ?? 0,
            };
        case "tls:index/privateKey:PrivateKey":
            return {
                ...args.inputs,
                privateKeyPem: `-----BEGIN PRIVATE KEY-----\nmock-${args.name}\n-----END PRIVATE KEY-----\n`,
                privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\nmock-${args.name}\n-----END OPENSSH PRIVATE KEY-----\n`,
                publicKeyOpenssh: `ssh-ed25519 AAAAmock${args.name.replace(/[^A-Za-z0-9]/g, "")}\n`,
            };
        case "digitalocean:index/sshKey:SshKey":
            return { ...args.inputs, fingerprint: "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff" };
        case "digitalocean:index/droplet:Droplet":
            return {
                ...args.inputs,
                ipv4Address: ASSIGNED_ADDRESSES.dropletIpv4.mock,
                ipv6Address: ASSIGNED_ADDRESSES.dropletIpv6.mock,
                dropletUrn: `do:droplet:${args.name}`,
            };
        case "digitalocean:index/volume:Volume":
            return { ...args.inputs, volumeUrn: `do:volume:${args.name}` };
        case "digitalocean:index/reservedIp:ReservedIp":
            return {
                ...args.inputs,
                ipAddress: ASSIGNED_ADDRESSES.reservedIp.mock,
                reservedIpUrn: `do:floatingip:${args.name}`,
            };
        case "command:remote:Command":
        case "command:local:Command":
            return { ...args.inputs, stdout: "ready", stderr: "" };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return {
                ...args.inputs,
                certPem: `-----BEGIN CERTIFICATE-----\nmock-${args.name}\n-----END CERTIFICATE-----\n`,
            };
        case "tls:index/certRequest:CertRequest":
            return {
                ...args.inputs,
                certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\nmock\n-----END CERTIFICATE REQUEST-----\n`,
            };
        case "digitalocean:index/databaseCluster:DatabaseCluster":
            return {
                ...args.inputs,
                privateHost: "private-cluster.db.ondigitalocean.com",
                port: 25060,
                // The default user, as the provider reads it back (scripts/lib/readBack/digitalocean.ts).
                user: DATABASE_CLUSTER_DEFAULT_USER.user,
                password: DATABASE_CLUSTER_DEFAULT_USER.password(args.name),
            };
        case "digitalocean:index/databaseUser:DatabaseUser":
            return { ...args.inputs, password: `mock-${args.name}` };
        case "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool":
            return { ...args.inputs, privateHost: "private-pool.db.ondigitalocean.com", port: 25061 };
        default:
            return args.inputs;
    }
}

/** A stand-in for the CA certificate DigitalOcean hands out for a database cluster (not a real certificate). */
export const MOCK_DATABASE_CA =
    "-----BEGIN CERTIFICATE-----\nmock-digitalocean-database-ca\n-----END CERTIFICATE-----\n";

/**
 * What a provider function returns under the mocks. getDatabaseCa returns { certificate, clusterId, id }
 * (@pulumi/digitalocean 4.80.1 getDatabaseCa.d.ts, GetDatabaseCaResult; the data source sets `certificate` from the
 * API, digitalocean/terraform-provider-digitalocean@401992a1 digitalocean/database/datasource_database_ca.go:22,40).
 * Any other function hands its inputs back.
 */
function mockInvoke(token: string, inputs: Record<string, unknown>): Record<string, unknown> {
    if (token === "digitalocean:index/getDatabaseCa:getDatabaseCa")
        return { ...inputs, certificate: MOCK_DATABASE_CA, id: String(inputs.clusterId) };
    return inputs;
}

/**
 * Runs `program` for the given stack settings under mocks and returns what it
 * registered. Errors thrown by the program (such as a ConfigError) propagate.
 */
let mockSshRoot: string | undefined;

/**
 * Where programs run under mocks keep their SSH files: a private directory of this process. The
 * program writes the deploy key under FRESHTRACK_SSH_DIR (components/host/deployKey.ts), and a mock
 * key written where the operator's real stacks keep theirs would replace the key `pulumi destroy`
 * and `pulumi refresh` need, so every mocked run points it here, whatever the shell says.
 */
export function mockSshDir(): string {
    mockSshRoot ??= fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-mock-ssh-"));
    return mockSshRoot;
}

export async function runUnderMocks<T>(
    settingsForStack: StackSettings,
    program: () => T,
    opts: MockOptions = {},
): Promise<MockRun<T>> {
    await pulumi.runtime.setMocks(
        {
            // DigitalOcean droplet IDs are numbers; the firewall and IP assignment convert them.
            newResource: (args) => ({
                id: args.type === "digitalocean:index/droplet:Droplet" ? "424242" : `${args.name}-id`,
                state: computedState(args, opts),
            }),
            call: (args) => mockInvoke(args.token, args.inputs),
        },
        "freshtrack",
        settingsForStack.stack,
        opts.preview ?? false,
    );
    pulumi.runtime.setAllConfig(settingsForStack.config, settingsForStack.secretKeys);

    const resources: RegisteredResource[] = [];
    onMockRegistration((r) =>
        resources.push({
            urn: r.urn,
            type: r.type,
            name: r.name,
            parent: r.parent,
            custom: r.custom,
            inputs: fromWire(r.object) as Record<string, unknown>,
            options: {
                protect: r.protect,
                deleteBeforeReplace: r.deleteBeforeReplace,
                dependsOn: r.dependsOn,
                ignoreChanges: r.ignoreChanges,
                replaceOnChanges: r.replaceOnChanges,
                provider: r.provider,
                retainOnDelete: r.retainOnDelete,
                aliases: r.aliases,
            },
        }),
    );

    // A failure inside an Output (a job's exit code check, say) reaches the SDK as an unhandled
    // rejection, which the Pulumi language host turns into a failed update. Do the same here.
    const failures: unknown[] = [];
    const onRejection = (reason: unknown) => failures.push(reason);
    process.on("unhandledRejection", onRejection);
    // Without an engine, the SDK's log.warn writes "warning: [runtime] <message>" with console.warn; keep those for the
    // caller.
    const warnings: string[] = [];
    const consoleWarn = console.warn;
    console.warn = (...args: unknown[]) => {
        const text = args.map(String).join(" ");
        const m = /^warning: \[runtime\] ([\s\S]*)$/.exec(text);
        if (m) warnings.push(m[1]!);
        else consoleWarn(...args);
    };
    // log.info writes "info: [runtime] <message>" with console.log (@pulumi/pulumi 3.270.0 log/index.js:60-69).
    const infos: string[] = [];
    const consoleLog = console.log;
    console.log = (...args: unknown[]) => {
        const m = /^info: \[runtime\] ([\s\S]*)$/.exec(args.map(String).join(" "));
        if (m) infos.push(m[1]!);
        else consoleLog(...args);
    };
    const sshDirBefore = process.env.FRESHTRACK_SSH_DIR;
    process.env.FRESHTRACK_SSH_DIR = mockSshDir();
    try {
        const started = performance.now();
        const {
            value: result,
            stackTraceMs,
            stackTraces,
        } = await timingStackTraces(async () => {
            const value = program();
            await waitForRegistrations();
            return value;
        });
        const evaluationMs = performance.now() - started;
        // Rejections are reported after the microtask queue drains; give them a few turns.
        for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 5));
        await waitForRegistrations();
        if (failures.length > 0) throw new MockRunFailure(failures[0], resources);
        return {
            resources,
            result,
            evaluationMs,
            warnings,
            infos,
            ...(stackTraceMs !== undefined ? { stackTraceMs, stackTraces } : {}),
        };
    } finally {
        if (sshDirBefore === undefined) delete process.env.FRESHTRACK_SSH_DIR;
        else process.env.FRESHTRACK_SSH_DIR = sshDirBefore;
        console.warn = consoleWarn;
        console.log = consoleLog;
        process.off("unhandledRejection", onRejection);
    }
}
