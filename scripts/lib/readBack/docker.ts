/**
 * What the bridged Docker provider stores in state after a create, and what its
 * diff sees on the next update: rung 2 of the ladder of proof (design.md).
 *
 * Pulumi mocks echo inputs. A real `pulumi up` stores what the provider reads back
 * (Create ends in Read), and the next update diffs the new inputs against that
 * stored state with Terraform SDKv2 rules. This module and the ones it imports model
 * both, per resource type, so that tests, `plan` and `bench` can show which inputs drift:
 * networks, volumes and images here; containers in container.ts; the SDKv2 schema and diff
 * rules in schema.ts; Go's string forms in goForms.ts; the daemon's facts in daemon.ts.
 *
 * Sources, read at the exact versions (every rule in these modules cites file:line):
 * - "kw" = kreuzwerker/terraform-provider-docker v4.5.0 (5074970c), internal/provider/.
 *   Caveat: @pulumi/docker 5.2.0 (published 2026-09-03) exposes `deviceCgroupRules` and
 *   upload `owner`/`group`, which neither v4.5.0 nor kreuzwerker HEAD 83c00e0b (2026-07-22)
 *   has, so 5.2.0 bridges a later upstream that no mirror here holds. The container, network and
 *   volume sources cited here are identical at v4.5.0 and at HEAD 83c00e0b; the later commit is unread.
 * - "sdk" = pulumi/terraform-plugin-sdk helper/schema/schema.go (fork HEAD 717b4eff; pulumi-docker
 *   pins 5525259d096b of the same fork, not mirrored): how SDKv2 diffs config against state.
 * - "bridge" = pulumi/pulumi-terraform-bridge v3.136.0 (pulumi-docker pins v3.137.0, not mirrored).
 * - "pd" = pulumi/pulumi-docker 237b7899, provider/ (resources.go, provider.go).
 * - "moby" = the Docker daemon, not pinned: the host runs Debian/Ubuntu `docker.io`, whose version
 *   the program does not fix. Daemon behaviour is cited by function; what varies by version or
 *   daemon.json is a field of DaemonFacts.
 */
import { unwrapSecrets } from "../values";
import { containerModel } from "./container";
import { DaemonFacts, daemonForTarget, ImageFacts } from "./daemon";
import type { ResourceModel } from "./resourceModel";
import {
    a,
    Attr,
    canonical,
    changedKeys,
    containsUnknown,
    forceNewOf,
    isAbsent,
    isZero,
    LABEL,
    str,
    str0,
    withDefaults,
} from "./schema";

// What importers took from this module before it was split; each lives in the module named.
export type { ResourceModel } from "./resourceModel";
export type { DaemonFacts, ImageFacts } from "./daemon";
export { daemonFacts, daemonFactsForVersion, daemonForTarget, STOCK_DAEMON } from "./daemon";
export { cpusStateForm, durationReadBack, formatGoDuration, goIpString, parseGoDuration } from "./goForms";
export { CONTAINER_SCHEMA } from "./container";

// ---------------------------------------------------------------------------
// docker_network: kw resource_docker_network.go (schema 24-144, no UpdateContext: lines 17-19),
// resource_docker_network_funcs.go (Create 26-82, Read 160-203).
// ---------------------------------------------------------------------------

/** kw resource_docker_network.go:106-135: one ipam_config block, every field optional, ForceNew. */
const IPAM_CONFIG: Record<string, Attr> = {
    subnet: str("subnet", 108),
    ipRange: str("ip_range", 115),
    gateway: str("gateway", 122),
    auxAddress: a("aux_address", 129, "map", "optional", true),
};

export const NETWORK_SCHEMA: Readonly<Record<string, Attr>> = {
    name: a("name", 25, "string", "required", true, { autoNamed: true }),
    labels: a("labels", 32, "set", "optional", true, { elem: LABEL }),
    driver: a("driver", 40, "string", "optionalComputed", true),
    options: a("options", 48, "map", "optionalComputed", true),
    internal: a("internal", 56, "bool", "optionalComputed", true),
    attachable: a("attachable", 64, "bool", "optional", true),
    ingress: a("ingress", 71, "bool", "optional", true),
    ipv6: a("ipv6", 78, "bool", "optional", true),
    ipamDriver: a("ipam_driver", 85, "string", "optional", true, { default: "default" }),
    ipamOptions: a("ipam_options", 92, "map", "optional", true),
    ipamConfigs: a("ipam_config", 99, "set", "optionalComputed", true, { elem: IPAM_CONFIG }),
    scope: a("scope", 139, "string", "computed", false),
};

function networkReadBack(inputs: Record<string, unknown>, daemon: DaemonFacts): Record<string, unknown> {
    const out = withDefaults(NETWORK_SCHEMA, inputs);
    // Read sets every attribute from NetworkInspect (kw network_funcs.go:175-198): labels as the daemon
    // stores them (it adds none to a network created through the API), driver "bridge" when unset
    // (the daemon's default for local networks), internal/attachable/ingress/ipv6 as booleans.
    if (isAbsent(out.driver)) out.driver = "bridge";
    for (const key of ["internal", "attachable", "ingress"]) if (isAbsent(out[key])) out[key] = false;
    if (isAbsent(out.ipv6)) {
        const name = str0(unwrapSecrets(out.name));
        out.ipv6 = name !== undefined && daemon.ipv6Networks.includes(name);
    }
    // ipam_config (kw network_funcs.go:196, structures.go:11-39): the daemon's IPAM.Config, fields it leaves empty
    // omitted. It lists each configured subnet as given (with the gateway as configured, "" when not), then, for a
    // family the config does not name, the pool the daemon chose, with its gateway (moby v27.5.1 daemon/network.go:
    // 696-755; v20.10.24 daemon/network.go:675-733). The chosen pool is not known here: DAEMON_CHOSEN stands for it.
    // A network created with ipv6 needs an IPv6 subnet before Docker 27 ("could not find an available,
    // non-overlapping IPv6 address pool", 20.10.24); from 27.0 the daemon takes one from a ULA prefix of its own
    // (v27.5.1 daemon/daemon.go:1503-1543). Either way an unconfigured family reads back as a chosen pool.
    if (!containsUnknown(out.ipamConfigs)) {
        const configured = ((unwrapSecrets(out.ipamConfigs) ?? []) as Array<Record<string, unknown>>).filter((c) =>
            str0(c.subnet),
        );
        const families = new Set<number>(configured.map((c) => (String(c.subnet).includes(":") ? 6 : 4)));
        const chosen = [4, ...(unwrapSecrets(out.ipv6) === true ? [6] : [])].filter((f) => !families.has(f));
        out.ipamConfigs = [
            ...configured.map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => !isZero(v)))),
            ...chosen.map(() => ({ subnet: DAEMON_CHOSEN, gateway: DAEMON_CHOSEN })),
        ];
    }
    out.scope = "local";
    return out;
}

/** Stands for a subnet or gateway the daemon picks by itself, which a config can never equal. */
export const DAEMON_CHOSEN = "(chosen by the daemon)";

// ---------------------------------------------------------------------------
// docker_volume: kw resource_docker_volume.go (schema 40-152, Read 288-312, Update 388: cluster only).
// ---------------------------------------------------------------------------

export const VOLUME_SCHEMA: Readonly<Record<string, Attr>> = {
    name: a("name", 41, "string", "optionalComputed", true, { autoNamed: true }),
    labels: a("labels", 48, "set", "optional", true, { elem: LABEL }),
    driver: a("driver", 55, "string", "optionalComputed", true),
    driverOpts: a("driver_opts", 62, "map", "optional", true),
    mountpoint: a("mountpoint", 68, "string", "computed", false),
    cluster: a("cluster", 73, "list1", "optional", false),
};

function volumeReadBack(inputs: Record<string, unknown>, daemon: DaemonFacts): Record<string, unknown> {
    const out = { ...inputs };
    // Read (kw volume.go:308-312): name, labels as stored (the daemon adds labels only to anonymous
    // volumes), driver "local" when unset, driver_opts as given, mountpoint under the data root.
    if (isAbsent(out.driver)) out.driver = "local";
    const name = str0(unwrapSecrets(out.name));
    if (name !== undefined) out.mountpoint = `${daemon.dataRoot}/volumes/${name}/_data`;
    return out;
}

// ---------------------------------------------------------------------------
// docker_image, Pulumi RemoteImage: kw resource_docker_image.go (schema 30-97),
// resource_docker_image_funcs.go (Create 34-56, Read 103-132, Update 134-148: re-pull and Read).
// ---------------------------------------------------------------------------

export const REMOTE_IMAGE_SCHEMA: Readonly<Record<string, Attr>> = {
    // pd resources.go:127-131 maps `name` explicitly, so SetAutonaming skips it (bridge info/autonaming.go:57):
    // required.
    name: a("name", 36, "string", "required", true),
    imageId: a("image_id", 43, "string", "computed", false),
    repoDigest: a("repo_digest", 49, "string", "computed", false),
    keepLocally: a("keep_locally", 55, "bool", "optional", false),
    pullTriggers: a("pull_triggers", 61, "set", "optional", true),
    forceRemove: a("force_remove", 70, "bool", "optional", false),
    build: a("build", 76, "set1", "optional", false),
    triggers: a("triggers", 84, "map", "optional", true),
    platform: a("platform", 90, "string", "optional", true, { default: "" }),
};

// ---------------------------------------------------------------------------
// docker:index/image:Image is pulumi-docker's own provider, not bridged (pd provider.go).
// ---------------------------------------------------------------------------

/**
 * Diff compares the OLD INPUTS stored in state (`__inputs`) with the new checked inputs (pd
 * provider.go:271-328), not outputs; a changed `registry` counts only through `server`
 * (provider.go:330-348). No key is ever a replacement: the response sets no Replaces. Check adds
 * `buildOnPreview` and the build's `dockerfile`, `context`, `platform` and `contextDigest` (a hash
 * of the build context, provider.go:128-268), which this model cannot compute from inputs.
 */
function imageChanged(next: Record<string, unknown>, prior: Record<string, unknown>): string[] {
    const changed: string[] = [];
    const priorInputs = (unwrapSecrets(prior.__inputs) as Record<string, unknown> | undefined) ?? prior;
    // Without `__inputs` (an echo mock's state), the outputs that are not inputs are left out.
    const outputsOnly = new Set(["repoDigest", "baseImageName", "context", "dockerfile", "platform", "registryServer"]);
    const priorKeys = Object.keys(priorInputs).filter((k) => !k.startsWith("__") && !outputsOnly.has(k));
    for (const key of new Set([...Object.keys(next), ...priorKeys])) {
        if (containsUnknown(next[key])) {
            changed.push(key);
            continue;
        }
        let n = unwrapSecrets(next[key]);
        let o = unwrapSecrets(priorInputs[key]);
        if (key === "registry") {
            n = (n as { server?: unknown } | undefined)?.server;
            o = (o as { server?: unknown } | undefined)?.server;
        }
        if (canonical(n) !== canonical(o)) changed.push(key);
    }
    return changed.sort();
}

// ---------------------------------------------------------------------------

/** The models for one daemon, and optionally what the pinned images define. */
export function dockerModels(
    daemon: DaemonFacts,
    imageFacts: (image: string) => ImageFacts | undefined = () => undefined,
): Readonly<Record<string, ResourceModel>> {
    return {
        "docker:index/container:Container": containerModel(daemon, imageFacts),
        "docker:index/network:Network": {
            readBack: (inputs) => networkReadBack(inputs, daemon),
            changed: (next, prior) => changedKeys(NETWORK_SCHEMA, next, prior),
            // Every input of docker_network is ForceNew: the resource has no Update (kw network.go:17-19).
            forcesReplacement: (key) => forceNewOf(NETWORK_SCHEMA, "docker_network", key),
        },
        "docker:index/volume:Volume": {
            readBack: (inputs) => volumeReadBack(inputs, daemon),
            changed: (next, prior) => changedKeys(VOLUME_SCHEMA, next, prior),
            forcesReplacement: (key) => forceNewOf(VOLUME_SCHEMA, "docker_volume", key),
        },
        "docker:index/remoteImage:RemoteImage": {
            // Read sets only image_id and repo_digest (kw image_funcs.go:128-130); name, keepLocally and the
            // rest stay as sent. image_id and repo_digest come from the daemon (the mock supplies them).
            readBack: (inputs) => withDefaults(REMOTE_IMAGE_SCHEMA, inputs),
            changed: (next, prior) => changedKeys(REMOTE_IMAGE_SCHEMA, next, prior),
            forcesReplacement: (key) => forceNewOf(REMOTE_IMAGE_SCHEMA, "docker_image", key),
        },
        "docker:index/image:Image": {
            readBack: (inputs) => ({ ...inputs }),
            changed: imageChanged,
            forcesReplacement: () => false,
        },
    };
}

/** The models for a target's daemon: the operator's own (local) or the bootstrapped host. */
export function dockerModelsForTarget(target: "local" | "droplet" | "ssh"): Readonly<Record<string, ResourceModel>> {
    return dockerModels(daemonForTarget(target));
}

/** The models for the daemon the bootstrap configures on a droplet, the production path. */
export const DOCKER_MODELS: Readonly<Record<string, ResourceModel>> = dockerModelsForTarget("droplet");
