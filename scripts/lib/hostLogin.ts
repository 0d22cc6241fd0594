/**
 * Where `npm run ssh` logs in, and with which keys: a pure function of the stack's outputs and, when they do not say,
 * of its state (`pulumi stack export --show-secrets`, read through scripts/lib/workspace.ts).
 *
 * The outputs are not always there when the operator needs the host most. The SDK sends the stack's outputs to the
 * engine only once every one of them has resolved (@pulumi/pulumi 3.270.0 runtime/stack.js:70-86: registerOutputs
 * after the whole program's outputs are awaited), and the engine keeps the stack-outputs event until the update ends;
 * when the update failed, it keeps the old outputs and adds only new ones it was sent (pulumi/pulumi v3.259.0
 * pkg/resource/deploy/step_executor.go:223-231, 263-268). A first deploy that failed (droplet-bootstrap-wait, for
 * example) therefore leaves a stack with no outputs at all, while the keys and the address it made are in its state.
 */
import { checkpointResources } from "./retryPlan";
import type { SshSettings } from "../../components/config";
import { DEFAULT_SSH_PORT } from "../../components/host/firewallRules";
import { checkHostKeyLine, hostKeyOnly } from "../../components/host/hostKey";
import { WIRE } from "../../components/sdkInternals";
import type { SshTarget } from "./hostDocker";

/** One resource of the program, as the state names it: its type token, its name, and the output read from it. */
export interface StateResourceRef {
    readonly type: string;
    readonly name: string;
    readonly output: string;
}

const PRIVATE_KEY = "tls:index/privateKey:PrivateKey";

/**
 * The resources a login falls back to. Their names come from the host components (components/host/index.ts names the
 * hosts `droplet` and `ssh`; DeployKey adds `-deploy-key-ed25519`, DropletHostKey `-host-key-ed25519`, DropletHost
 * `-ip`, `-ip-assignment` and `-droplet`); test/hostLogin.test.ts checks each against the URNs the program registers
 * (test/fixtures/urns.json).
 */
export const LOGIN_RESOURCES = {
    droplet: {
        deployKey: { type: PRIVATE_KEY, name: "droplet-deploy-key-ed25519", output: "privateKeyOpenssh" },
        hostKey: { type: PRIVATE_KEY, name: "droplet-host-key-ed25519", output: "publicKeyOpenssh" },
        reservedIp: { type: "digitalocean:index/reservedIp:ReservedIp", name: "droplet-ip", output: "ipAddress" },
        ipAssignment: {
            type: "digitalocean:index/reservedIpAssignment:ReservedIpAssignment",
            name: "droplet-ip-assignment",
            output: "ipAddress",
        },
        droplet: { type: "digitalocean:index/droplet:Droplet", name: "droplet-droplet", output: "ipv4Address" },
    },
    ssh: {
        deployKey: { type: PRIVATE_KEY, name: "ssh-deploy-key-ed25519", output: "privateKeyOpenssh" },
    },
} as const satisfies Record<string, Record<string, StateResourceRef>>;

/** What a login needs of the stack's config: its target and, for an ssh target, the VM's address, port and key. */
export type LoginConfig =
    | { readonly target: "droplet" }
    | { readonly target: "ssh"; readonly ssh: Pick<SshSettings, "host" | "port" | "hostKey"> };

/** Where to log in, and where that came from, for the line the script prints. */
export interface HostLogin {
    readonly target: SshTarget & { readonly port: number; readonly hostKey: string };
    readonly from: "outputs" | "state";
    /** Said to the operator when the address is not the usual one. */
    readonly note?: string;
}

const nonEmpty = (value: unknown): value is string => typeof value === "string" && value.trim() !== "";

/** The host key as known_hosts takes it, or why it cannot be pinned. */
function pinnable(line: string, where: string): string | { problem: string } {
    const problem = checkHostKeyLine(line);
    return problem ? { problem: `the host key in ${where} is not usable: expected ${problem}` } : hostKeyOnly(line);
}

/**
 * The login from the stack's outputs (read with their secrets), when they hold the address, the deploy key and the
 * host key; undefined when one is missing, and the state must say. An ssh target's port is in its config only.
 */
export function loginFromOutputs(
    cfg: LoginConfig,
    outputs: Record<string, unknown>,
): HostLogin | { problem: string } | undefined {
    const { publicAddress, deployPrivateKey, hostKey } = outputs;
    if (!nonEmpty(publicAddress) || !nonEmpty(deployPrivateKey) || !nonEmpty(hostKey)) return undefined;
    const pinned = pinnable(hostKey, "the stack's hostKey output");
    if (typeof pinned !== "string") return pinned;
    const port = cfg.target === "ssh" ? cfg.ssh.port : DEFAULT_SSH_PORT;
    return { target: { address: publicAddress, port, privateKey: deployPrivateKey, hostKey: pinned }, from: "outputs" };
}

/** A resource of the export as far as the login reads it (apitype ResourceV3: sdk/go/common/apitype/core.go). */
interface ExportedResource {
    readonly urn: string;
    readonly type: string;
    readonly outputs?: Record<string, unknown>;
    readonly delete?: boolean;
    readonly pendingReplacement?: boolean;
}

/** The name part of a URN, urn:pulumi:<stack>::<project>::<qualified type>::<name> (sdk/go/common/resource/urn). */
function nameOf(urn: string): string {
    return urn.split("::").slice(3).join("::");
}

/**
 * The live copy of a resource in the export: by type and name, leaving out an old copy kept for deletion and one
 * deleted ahead of its replacement (apitype/core.go ResourceV3 `delete`, `pendingReplacement`).
 */
function findLive(resources: readonly ExportedResource[], ref: StateResourceRef): ExportedResource | undefined {
    const live = resources.filter(
        (r) => r.type === ref.type && nameOf(r.urn) === ref.name && r.delete !== true && r.pendingReplacement !== true,
    );
    return live[live.length - 1];
}

/**
 * One output of a resource as a string: plain, or a secret's plaintext, which `--show-secrets` writes as the JSON of
 * the value under the secret signature (components/sdkInternals.ts WIRE, as scripts/lib/retryPlan.ts reads it).
 */
function outputOf(resource: ExportedResource, ref: StateResourceRef): string | { problem: string } | undefined {
    const value = resource.outputs?.[ref.output];
    if (typeof value === "string") return value.trim() === "" ? undefined : value;
    if (
        typeof value === "object" &&
        value !== null &&
        (value as Record<string, unknown>)[WIRE.sigKey] === WIRE.secretSig
    ) {
        const plaintext = (value as Record<string, unknown>)["plaintext"];
        if (typeof plaintext !== "string")
            return {
                problem: `${ref.name}'s ${ref.output} is encrypted in the export (it was read without its secrets)`,
            };
        const parsed = JSON.parse(plaintext) as unknown;
        return nonEmpty(parsed) ? parsed : undefined;
    }
    return undefined;
}

/** The value a login needs from the state, or why the state does not hold it. */
function fromState(
    resources: readonly ExportedResource[],
    ref: StateResourceRef,
    what: string,
): string | { problem: string } {
    const resource = findLive(resources, ref);
    const value = resource ? outputOf(resource, ref) : undefined;
    if (typeof value === "object") return value;
    if (value === undefined) return { problem: `its state holds no ${what} (${ref.type} ${ref.name}, ${ref.output})` };
    return value;
}

/**
 * The login from the stack's state, for a stack whose outputs do not hold it. A droplet: the deploy key, the host key
 * and the reserved IP the program made, or the droplet's own address while the reserved IP is not assigned to it yet
 * (the program's own first connection uses that address: components/host/dropletHost.ts). An ssh target: the deploy
 * key; the VM's address, port and host key are its config (components/host/sshHost.ts takes them from there too).
 */
export function loginFromState(stack: string, cfg: LoginConfig, state: unknown): HostLogin | { problem: string } {
    const resources = checkpointResources(state);
    const missing = (problem: string) => ({
        problem: `stack '${stack}' has no outputs to log in with, and ${problem}; deploy it first (npm run deploy -- ${stack})`,
    });
    if (cfg.target === "ssh") {
        const key = fromState(resources, LOGIN_RESOURCES.ssh.deployKey, "deploy key");
        if (typeof key !== "string") return missing(key.problem);
        const pinned = pinnable(cfg.ssh.hostKey, "freshtrack:ssh.hostKey");
        if (typeof pinned !== "string") return pinned;
        return {
            target: { address: cfg.ssh.host, port: cfg.ssh.port, privateKey: key, hostKey: pinned },
            from: "state",
        };
    }
    const names = LOGIN_RESOURCES.droplet;
    const key = fromState(resources, names.deployKey, "deploy key");
    if (typeof key !== "string") return missing(key.problem);
    const hostKey = fromState(resources, names.hostKey, "host key");
    if (typeof hostKey !== "string") return missing(hostKey.problem);
    const pinned = pinnable(hostKey, `the state's ${names.hostKey.name}`);
    if (typeof pinned !== "string") return pinned;
    const assigned = findLive(resources, names.ipAssignment) !== undefined;
    const reservedIp = assigned ? fromState(resources, names.reservedIp, "reserved IP") : undefined;
    let address: string;
    let note: string | undefined;
    if (typeof reservedIp === "string") address = reservedIp;
    else {
        const own = fromState(resources, names.droplet, "droplet address");
        if (typeof own !== "string") return missing(own.problem);
        address = own;
        // Say which: the assignment not made yet, or made but its address not readable from the state.
        const why =
            reservedIp === undefined
                ? "is not assigned to the droplet in the state"
                : `is unreadable: ${reservedIp.problem}`;
        note = `the reserved IP ${why}, so this is the droplet's own address`;
    }
    return {
        target: { address, port: DEFAULT_SSH_PORT, privateKey: key, hostKey: pinned },
        from: "state",
        ...(note ? { note } : {}),
    };
}
