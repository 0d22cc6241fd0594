/**
 * What a change of configuration (or code) would do to a deployed stack,
 * found the way the engine finds it: run both versions under mocks, match
 * resources by URN, compare the new inputs with the state the first run left,
 * and apply the provider's replacement rules plus the program's own options
 * (replaceOnChanges, ignoreChanges). With read-back models (scripts/lib/readBack)
 * the state is what the provider reads back after a create, so a value that
 * reads back in another form shows up as the change a real second `up` makes;
 * without one, a resource's state is its inputs. Pure: two lists of
 * registrations in, a verdict per resource out.
 */
import { isDeepStrictEqual } from "util";
import { RegisteredResource, SecretValue } from "./mockRun";
import type { ResourceModel } from "./readBack/docker";
import { modelReplaces } from "./readBack/models";
import { TYPES } from "../../policy/lib";

/**
 * Container inputs the provider changes without replacing the container; every
 * other input forces a replacement. Source: kreuzwerker/terraform-provider-docker
 * v4.5.0 (pinned by pulumi-docker 5.x), resource_docker_container.go schema
 * (attributes without ForceNew) and resourceDockerContainerUpdate. Some of these
 * are only recorded in state and never reach the running container (healthcheck,
 * tmpfs, init); Service replaces on those through replaceOnChanges.
 */
export const CONTAINER_UPDATABLE_INPUTS: ReadonlySet<string> = new Set([
    "restart",
    "maxRetryCount",
    "cpuShares",
    "memory",
    "memoryReservation",
    "memorySwap",
    "cpuSet",
    "deviceReadBps",
    "deviceReadIops",
    "deviceWriteBps",
    "deviceWriteIops",
    "mustRun",
    "rm",
    "start",
    "attach",
    "logs",
    "wait",
    "waitTimeout",
    "removeVolumes",
    "destroyGraceSeconds",
    "containerReadRefreshTimeoutMilliseconds",
    "tmpfs",
    "healthcheck",
    "init",
    "cpuPeriod",
    "cpuQuota",
]);

/**
 * Inputs that force a replacement, for the other resource types whose
 * replacement matters to a running stack. A type not listed here is reported
 * as changed without a verdict on replacement.
 */
const REPLACING_INPUTS: Readonly<Record<string, (key: string) => boolean>> = {
    [TYPES.container]: (key) => !CONTAINER_UPDATABLE_INPUTS.has(key),
    // pulumi-random: every input of RandomPassword is ForceNew (keepers included).
    "random:index/randomPassword:RandomPassword": () => true,
    // kreuzwerker docker_image: name, pull_triggers, platform and friends are ForceNew; keep_locally is not.
    "docker:index/remoteImage:RemoteImage": (key) => key !== "keepLocally" && key !== "forceRemove",
    // docker_volume and docker_network: every settable attribute is ForceNew.
    "docker:index/volume:Volume": () => true,
    "docker:index/network:Network": () => true,
    // docker.Image (pulumi-docker provider/image.go) is never replaced: a new build is an update.
    "docker:index/image:Image": () => false,
};

export type Verdict = "replace" | "update" | "create" | "delete";

export interface ResourceChange {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly verdict: Verdict;
    /** Top-level inputs that differ, after ignoreChanges. */
    readonly changedInputs: readonly string[];
    /** The inputs that force the replacement, for verdict "replace". */
    readonly replacedBy: readonly string[];
}

export interface BlastRadius {
    readonly changes: readonly ResourceChange[];
    /** Containers by verdict, by resource name, sorted. */
    readonly containers: Readonly<Record<Verdict, readonly string[]>>;
}

/** Secrets compare by their value; the mask is irrelevant to whether an input changed. */
function comparable(value: unknown): unknown {
    if (value instanceof SecretValue) return { secret: comparable(value.value) };
    if (Array.isArray(value)) return value.map(comparable);
    if (typeof value === "object" && value !== null)
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
    return value;
}

function topLevel(path: string): string {
    return path.split(/[.[]/)[0]!;
}

function changedInputs(
    before: RegisteredResource,
    after: RegisteredResource,
    model: ResourceModel | undefined,
): string[] {
    // ignoreChanges is the engine's: it hands the provider the old input for those keys, so they never differ.
    const ignored = new Set(after.options.ignoreChanges.map(topLevel));
    if (model)
        return model
            .changed(after.inputs, model.readBack(before.inputs))
            .filter((k) => !ignored.has(k))
            .sort();
    const keys = new Set([...Object.keys(before.inputs), ...Object.keys(after.inputs)]);
    return [...keys]
        .filter((k) => !ignored.has(k) && !isDeepStrictEqual(comparable(before.inputs[k]), comparable(after.inputs[k])))
        .sort();
}

function classify(
    before: RegisteredResource,
    after: RegisteredResource,
    model: ResourceModel | undefined,
): ResourceChange | undefined {
    const changed = changedInputs(before, after, model);
    if (changed.length === 0) return undefined;
    const forced = new Set(after.options.replaceOnChanges.map(topLevel));
    const providerRule = model
        ? (k: string) => modelReplaces(model, k, before.inputs[k], after.inputs[k])
        : REPLACING_INPUTS[after.type];
    const replacedBy = changed.filter((k) => forced.has(k) || forced.has("*") || (providerRule?.(k) ?? false));
    return {
        urn: after.urn,
        type: after.type,
        name: after.name,
        verdict: replacedBy.length > 0 ? "replace" : "update",
        changedInputs: changed,
        replacedBy,
    };
}

/**
 * Compares two mocked runs of the program, custom resources only. `models`, by type token, are the
 * providers' read-back models (readBackModels in scripts/lib/readBack/models.ts); types without one
 * compare inputs with inputs.
 */
export function blastRadius(
    before: readonly RegisteredResource[],
    after: readonly RegisteredResource[],
    models: Readonly<Record<string, ResourceModel>> = {},
): BlastRadius {
    const custom = (list: readonly RegisteredResource[]) =>
        new Map(list.filter((r) => r.custom).map((r) => [r.urn, r]));
    const old = custom(before);
    const next = custom(after);
    const changes: ResourceChange[] = [];
    for (const [urn, r] of next) {
        const previous = old.get(urn);
        if (!previous) {
            changes.push({ urn, type: r.type, name: r.name, verdict: "create", changedInputs: [], replacedBy: [] });
            continue;
        }
        const change = classify(previous, r, models[r.type]);
        if (change) changes.push(change);
    }
    for (const [urn, r] of old) {
        if (!next.has(urn))
            changes.push({ urn, type: r.type, name: r.name, verdict: "delete", changedInputs: [], replacedBy: [] });
    }
    const containerNames = (verdict: Verdict) =>
        changes
            .filter((c) => c.type === TYPES.container && c.verdict === verdict)
            .map((c) => c.name)
            .sort();
    return {
        changes,
        containers: {
            replace: containerNames("replace"),
            update: containerNames("update"),
            create: containerNames("create"),
            delete: containerNames("delete"),
        },
    };
}
