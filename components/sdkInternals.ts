/**
 * Every use this repository makes of what the Pulumi SDKs do but do not promise: functions marked @internal (left out
 * of the published typings), the wire format between the SDK and the engine, and the policy server's own rules. All of
 * it sits here so that one file says what an SDK upgrade can break; each export cites the SDK file and line it relies
 * on at the versions in PINNED, as installed in node_modules. test/sdkInternals.test.ts fails loudly when the installed
 * versions differ from PINNED, and exercises each export so that a change of behaviour fails there too, by name.
 *
 * The program itself uses only isConfigSecret (components/config/index.ts); the rest serves the offline plan, policy
 * run and bench (scripts/lib/mockRun.ts, policyRun.ts, retryPlan.ts). @pulumi/policy is loaded only when one of its
 * exports is called, so the program never loads it.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Alias } from "@pulumi/pulumi/proto/alias_pb";
import type { RegisterResourceRequest, RegisterResourceResponse } from "@pulumi/pulumi/proto/resource_pb";

/** The SDK versions every export below was checked against. */
export const PINNED = { "@pulumi/pulumi": "3.270.0", "@pulumi/policy": "1.21.0" } as const;

function missing(what: string): Error {
    return new Error(
        `@pulumi/pulumi no longer provides ${what}; components/sdkInternals.ts was checked against ${PINNED["@pulumi/pulumi"]}: re-check it (npx mocha test/sdkInternals.test.ts)`,
    );
}

// ---------------------------------------------------------------------------------------------------------------------
// Config secrets

/**
 * Whether the engine handed the program `fullKey` (`freshtrack:domain`) encrypted. The CLI passes the keys whose stack
 * values are secure (pulumi@v3.259.0 pkg/resource/deploy/source_eval.go:223; sdk/nodejs/cmd/pulumi-language-nodejs
 * main.go:105, 914: PULUMI_CONFIG_SECRET_KEYS), and @pulumi/pulumi 3.270.0 runtime/config.js:72-83 `isConfigSecret`
 * answers from that list. It is marked @internal, so config.d.ts leaves it out, but runtime/index.js:26 re-exports it
 * at run time. setMocks' runs fill the same list through setAllConfig's second argument (config.js:42-48, 106-110).
 */
export function isConfigSecret(fullKey: string): boolean {
    const fn = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
    if (typeof fn !== "function")
        throw missing("runtime.isConfigSecret, so a secret config value cannot be told apart");
    return fn(fullKey);
}

// ---------------------------------------------------------------------------------------------------------------------
// The wire format: how values travel between the SDK and the engine (and sit in a checkpoint)

/**
 * The sentinels of the wire format, @pulumi/pulumi 3.270.0 runtime/rpc.js:273 (unknownValue), 280 (specialSigKey),
 * 301 (specialSecretSig), 308 (specialResourceSig). A checkpoint's secrets use the same key and signature
 * (pulumi/pulumi sdk/go/common/resource/sig/sig.go:21-24), and the policy server's unknown string is the same
 * unknownValue (@pulumi/policy 1.21.0 proxy.js:139, unknownStringValue).
 */
export const WIRE = {
    sigKey: "4dabf18193072939515e22adb298388d",
    secretSig: "1b47061264138c4ac30d75fd1eb44270",
    resourceSig: "5cf8f73096256a8f31e491e813e4eb8e",
    unknown: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
} as const;

/** What one wire-format value is: a secret envelope, a resource reference, the unknown sentinel, or anything else. */
export type WireForm =
    | { readonly kind: "secret"; readonly value: unknown }
    | { readonly kind: "resource"; readonly urn: string }
    | { readonly kind: "unknown" }
    | { readonly kind: "plain" };

/**
 * Reads one wire-format value (not its children). A secret travels as `{ [sigKey]: secretSig, value }`
 * (rpc.js:317-323, serializeSecretValue) and a resource reference as `{ [sigKey]: resourceSig, urn, id }`
 * (rpc.js:469-473).
 */
export function wireForm(value: unknown): WireForm {
    if (value === WIRE.unknown) return { kind: "unknown" };
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        const obj = value as Record<string, unknown>;
        if (obj[WIRE.sigKey] === WIRE.secretSig) return { kind: "secret", value: obj.value };
        if (obj[WIRE.sigKey] === WIRE.resourceSig) return { kind: "resource", urn: String(obj.urn) };
    }
    return { kind: "plain" };
}

// ---------------------------------------------------------------------------------------------------------------------
// The mock monitor: what a program run under setMocks registers, options included

/**
 * One alias as the registration carries it: an old URN, or a spec whose empty fields mean "as the resource is now"
 * (the engine fills them in: pulumi v3.259.0 pkg/resource/deploy/step_generator.go:545-585).
 */
export type AliasRecord =
    | { readonly urn: string }
    | {
          readonly name: string;
          readonly type: string;
          readonly stack: string;
          readonly project: string;
          readonly parentUrn: string;
          readonly noParent: boolean;
      };

/** A registration as the engine would receive it; `object` holds the inputs still in wire format. */
export interface WireRegistration {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string | undefined;
    readonly custom: boolean;
    readonly object: Record<string, unknown>;
    readonly protect: boolean;
    /** Undefined when left to the provider's default. */
    readonly deleteBeforeReplace: boolean | undefined;
    readonly dependsOn: string[];
    readonly ignoreChanges: string[];
    readonly replaceOnChanges: string[];
    readonly provider: string | undefined;
    readonly retainOnDelete: boolean;
    readonly aliases: AliasRecord[];
}

type RegisterCallback = (err: unknown, resp: RegisterResourceResponse | undefined) => void;
interface MockMonitor {
    registerResource(req: RegisterResourceRequest, callback: RegisterCallback): void;
}

function aliasRecord(alias: Alias): AliasRecord {
    const spec = alias.getSpec();
    if (alias.getUrn() || !spec) return { urn: alias.getUrn() };
    return {
        name: spec.getName(),
        type: spec.getType(),
        stack: spec.getStack(),
        project: spec.getProject(),
        parentUrn: spec.getParenturn(),
        noParent: spec.getNoparent(),
    };
}

/** The registration a RegisterResourceRequest (proto/resource_pb.d.ts:292-383, generated code) describes. */
function registrationOf(req: RegisterResourceRequest, urn: string): WireRegistration {
    return {
        urn,
        type: req.getType(),
        name: req.getName(),
        parent: req.getParent() || undefined,
        custom: req.getCustom(),
        object: (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
        protect: req.getProtect() === true,
        deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
        dependsOn: req.getDependenciesList(),
        ignoreChanges: req.getIgnorechangesList(),
        replaceOnChanges: req.getReplaceonchangesList(),
        provider: req.getProvider() || undefined,
        retainOnDelete: req.getRetainondelete() === true,
        aliases: req.getAliasesList().map(aliasRecord),
    };
}

/**
 * Calls `listener` with every registration the mock monitor answers from now on; call it after setMocks. The SDK's
 * mocks pass only the inputs to `newResource` (runtime/mocks.js:101-127), so the monitor's own `registerResource` is
 * wrapped to read the options from the request. The monitor is the one setMocks installed (mocks.js:211,
 * setMockOptions), as `runtime.getMonitor()` returns it (runtime/settings.js:400-424); each setMocks installs a new
 * one, so a listener lasts one run.
 */
export function onMockRegistration(listener: (registration: WireRegistration) => void): void {
    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor | undefined;
    if (!monitor || typeof monitor.registerResource !== "function") throw missing("the mock monitor of setMocks");
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) =>
        register(req, (err, resp) => {
            if (!err && resp) listener(registrationOf(req, resp.getUrn()));
            callback(err, resp);
        });
}

/**
 * Resolves when every registration and RPC the program started has been answered: runtime/settings.js:557-570
 * `waitForRPCs`, marked @internal (left out of settings.d.ts) and re-exported at run time by runtime/index.js:30.
 */
export function waitForRegistrations(): Promise<void> {
    const fn = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
    if (typeof fn !== "function") throw missing("runtime.waitForRPCs, so a mocked run cannot tell when it is done");
    return fn();
}

// ---------------------------------------------------------------------------------------------------------------------
// The policy server's handling of props

interface PolicyInternals {
    unknownCheckingProxy<T>(props: T): T;
    UnknownValueError: new (...args: never[]) => Error;
}

/**
 * @pulumi/policy 1.21.0 index.js re-exports unknownCheckingProxy and UnknownValueError, but both are @internal and
 * the published proxy.d.ts is empty, so they are typed here. Loaded on first use: the program never needs them.
 */
function policyInternals(): PolicyInternals {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const policy = require("@pulumi/policy") as Partial<PolicyInternals>;
    if (typeof policy.unknownCheckingProxy !== "function" || typeof policy.UnknownValueError !== "function")
        throw new Error(
            `@pulumi/policy no longer exports unknownCheckingProxy and UnknownValueError; components/sdkInternals.ts was checked against ${PINNED["@pulumi/policy"]}`,
        );
    return policy as PolicyInternals;
}

/**
 * Props as the policy server hands them to a rule: behind a proxy that throws UnknownValueError when a rule reads a
 * value unknown during preview (@pulumi/policy 1.21.0 proxy.js:27-30 unknownCheckingProxy, 47-78 proxyHelper; used
 * by server.js:256, 352 and 502 for every resource it validates).
 */
export function policyProps<T extends object>(props: T): T {
    return policyInternals().unknownCheckingProxy(props);
}

/**
 * Whether a rule stopped on an unknown value (proxy.js:86-95, UnknownValueError); the server reports that as an
 * advisory "can't run during preview" instead of a failure.
 */
export function isUnknownValueError(err: unknown): boolean {
    return err instanceof policyInternals().UnknownValueError;
}

/**
 * Whether a resource of `type` is of `resourceClass`, as the policy server decides it for `isType` and `asType`
 * (@pulumi/policy 1.21.0 server.js:523-538, isTypeOf, not exported): by the class's `__pulumiType` when it has a
 * non-empty one (policy.js:271-274, getPulumiType), else by its `isInstance` on a stand-in object. A stub would leave
 * every validateResourceOfType rule not applicable, silently (policy.js:117-119 runs the check only when isType holds).
 */
export function policyIsType(type: string, resourceClass: unknown): boolean {
    const cls = resourceClass as { __pulumiType?: unknown; isInstance?: (obj: unknown) => boolean } | undefined;
    const pulumiType = cls?.__pulumiType;
    if (typeof pulumiType === "string" && pulumiType.length > 0) return type === pulumiType;
    return typeof cls?.isInstance === "function" && cls.isInstance({ __pulumiType: type }) === true;
}
