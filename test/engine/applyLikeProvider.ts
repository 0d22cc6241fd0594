/**
 * Applies what the program registered to a real Docker Engine with the calls
 * the bridged provider makes, and reads it back the way the provider reads it
 * (rung 5). Only the image is swapped for the locally built stand-in, and the
 * command where the stand-in lacks the service's binary; everything else is
 * the program's own spec.
 *
 * The calls follow kreuzwerker/terraform-provider-docker v4.5.0 (the commit
 * pulumi-docker 5.x bridges), internal/provider/:
 * - resource_docker_container_funcs.go:43-714 `resourceDockerContainerCreate`: ContainerCreate
 *   with Config and HostConfig and an empty NetworkingConfig (:475), then NetworkDisconnect from
 *   "bridge" and NetworkConnect per `networks_advanced` entry with its aliases (:484-527), then one
 *   single-file tar per upload, mode `permissions`, else 0744 when `executable`, else 0644, copied
 *   to "/" (:529-603), then ContainerStart (:605), then for `attach` a ContainerWait (:670).
 * - resource_docker_container_structures.go:228 `portSetToDockerPorts` and :289
 *   `volumeSetToDockerVolumes` (named volume or host path as `<source>:<path>:ro|rw` binds).
 * - resource_docker_network_funcs.go / resource_docker_volume_funcs.go for networks and volumes.
 */
import { createHash } from "crypto";
import { RegisteredResource, unwrapSecrets } from "../../scripts/lib/mockRun";
import { parseGoDuration } from "../../scripts/lib/readBack/docker";
import { nanoCpus } from "../../components/dockerForms";
import { engine, oneFileTar, putArchive } from "./engineApi";

/** Every Docker object a test creates carries this label, so a crashed run is cleaned up by the next. */
export const TEST_LABEL = "com.freshtrack.enginetest";

/** A health-check duration in nanoseconds, parsed as the provider parses it (time.ParseDuration). */
export function durationNs(text: string): number {
    const ns = parseGoDuration(text);
    if (ns === undefined) throw new Error(`not a Go duration: ${text}`);
    return Number(ns);
}

export interface ContainerInputs {
    readonly name?: string;
    readonly image: string;
    readonly command?: string[];
    readonly entrypoints?: string[];
    readonly envs?: string[];
    readonly user?: string;
    readonly labels?: Array<{ label: string; value: string }>;
    readonly healthcheck?: {
        tests: string[];
        interval?: string;
        timeout?: string;
        startPeriod?: string;
        startInterval?: string;
        retries?: number;
    };
    readonly restart?: string;
    readonly maxRetryCount?: number;
    readonly memory?: number;
    readonly memorySwap?: number;
    readonly cpus?: string;
    readonly logDriver?: string;
    readonly logOpts?: Record<string, string>;
    readonly securityOpts?: string[];
    readonly capabilities?: { adds?: string[]; drops?: string[] };
    readonly tmpfs?: Record<string, string>;
    readonly readOnly?: boolean;
    readonly networksAdvanced?: Array<{ name: string; aliases?: string[] }>;
    readonly volumes?: Array<{ volumeName?: string; hostPath?: string; containerPath: string; readOnly?: boolean }>;
    readonly ports?: Array<{ internal: number; external?: number; ip?: string; protocol?: string }>;
    readonly uploads?: Array<{ file: string; content: string; permissions?: string; executable?: boolean }>;
    readonly attach?: boolean;
    readonly init?: boolean;
}

/** The Engine API request bodies the provider builds from a container's inputs. */
export function createRequest(inputs: ContainerInputs): {
    config: Record<string, unknown>;
    hostConfig: Record<string, unknown>;
} {
    const ports = inputs.ports ?? [];
    const exposed: Record<string, object> = {};
    const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
    for (const p of ports) {
        const key = `${p.internal}/${p.protocol ?? "tcp"}`;
        exposed[key] = {};
        // The schema defaults ip to 0.0.0.0 (resource_docker_container.go:509-523).
        (bindings[key] ??= []).push({
            HostIp: p.ip ?? "0.0.0.0",
            HostPort: p.external !== undefined ? String(p.external) : "",
        });
    }
    const volumes = inputs.volumes ?? [];
    const h = inputs.healthcheck;
    const cpus = inputs.cpus !== undefined ? nanoCpus(Number(inputs.cpus)) : undefined;
    if (inputs.cpus !== undefined && cpus === undefined)
        throw new Error(`cpus ${inputs.cpus} is not a decimal the provider's opts.ParseCPUs accepts`);
    const config: Record<string, unknown> = {
        Image: inputs.image,
        Hostname: "",
        Domainname: "",
        Tty: false,
        OpenStdin: false,
        StopSignal: "",
        ...(inputs.envs?.length ? { Env: inputs.envs } : {}),
        ...(inputs.command?.length ? { Cmd: inputs.command } : {}),
        ...(inputs.entrypoints?.length ? { Entrypoint: inputs.entrypoints } : {}),
        ...(inputs.user ? { User: inputs.user } : {}),
        ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
        ...(volumes.length ? { Volumes: Object.fromEntries(volumes.map((v) => [v.containerPath, {}])) } : {}),
        ...(inputs.labels?.length ? { Labels: Object.fromEntries(inputs.labels.map((l) => [l.label, l.value])) } : {}),
        ...(h
            ? {
                  Healthcheck: {
                      Test: h.tests,
                      Interval: h.interval ? durationNs(h.interval) : 0,
                      Timeout: h.timeout ? durationNs(h.timeout) : 0,
                      StartPeriod: h.startPeriod ? durationNs(h.startPeriod) : 0,
                      Retries: h.retries ?? 0,
                  },
              }
            : {}),
    };
    const hostConfig: Record<string, unknown> = {
        Privileged: false,
        PublishAllPorts: false,
        RestartPolicy: { Name: inputs.restart ?? "no", MaximumRetryCount: inputs.maxRetryCount ?? 0 },
        Mounts: [],
        AutoRemove: false,
        ReadonlyRootfs: inputs.readOnly ?? false,
        LogConfig: { Type: inputs.logDriver ?? "json-file", ...(inputs.logOpts ? { Config: inputs.logOpts } : {}) },
        ...(inputs.tmpfs ? { Tmpfs: inputs.tmpfs } : {}),
        ...(Object.keys(bindings).length ? { PortBindings: bindings } : {}),
        ...(volumes.length
            ? {
                  Binds: volumes.map(
                      (v) => `${v.hostPath || v.volumeName}:${v.containerPath}:${v.readOnly ? "ro" : "rw"}`,
                  ),
              }
            : {}),
        ...(inputs.capabilities
            ? { CapAdd: inputs.capabilities.adds ?? [], CapDrop: inputs.capabilities.drops ?? [] }
            : {}),
        ...(inputs.securityOpts?.length ? { SecurityOpt: inputs.securityOpts } : {}),
        ...(inputs.memory ? { Memory: inputs.memory * 1024 * 1024 } : {}),
        ...(inputs.memorySwap
            ? { MemorySwap: inputs.memorySwap > 0 ? inputs.memorySwap * 1024 * 1024 : inputs.memorySwap }
            : {}),
        ...(cpus !== undefined ? { NanoCpus: Number(cpus) } : {}),
        Init: inputs.init ?? false,
    };
    return { config, hostConfig };
}

/** The mode the provider gives an uploaded file (resource_docker_container_funcs.go:574-583). */
export function uploadMode(upload: { permissions?: string; executable?: boolean }): number {
    if (upload.permissions) return parseInt(upload.permissions, 8);
    return upload.executable ? 0o744 : 0o644;
}

/** Creates, connects, uploads and starts one container like the provider; answers its ID. */
export async function createLikeProvider(
    name: string,
    inputs: ContainerInputs,
    opts: { start?: boolean } = {},
): Promise<string> {
    const { config, hostConfig } = createRequest(inputs);
    const created = await engine<{ Id: string }>("POST", `/containers/create?name=${encodeURIComponent(name)}`, {
        ...config,
        HostConfig: hostConfig,
        NetworkingConfig: {},
    });
    const id = created.Id;
    if (inputs.networksAdvanced?.length) {
        await engine(
            "POST",
            `/networks/bridge/disconnect`,
            { Container: id, Force: false },
            { allow: [403, 404, 500] },
        );
        for (const n of inputs.networksAdvanced) {
            await engine("POST", `/networks/${encodeURIComponent(n.name)}/connect`, {
                Container: id,
                EndpointConfig: { Aliases: n.aliases ?? [], IPAMConfig: {} },
            });
        }
    }
    for (const u of inputs.uploads ?? []) {
        await putArchive(id, "/", await oneFileTar(u.file, u.content, uploadMode(u)));
    }
    if (opts.start !== false) await engine("POST", `/containers/${id}/start`);
    if (inputs.attach)
        await engine("POST", `/containers/${id}/wait?condition=not-running`, undefined, { timeoutMs: 120_000 });
    return id;
}

/** A short stable suffix, standing in for the random part of an auto-name. */
export function nameSuffix(seed: string): string {
    return createHash("sha256").update(seed).digest("hex").slice(0, 7);
}

/** The container inputs registered under mocks, with secrets unwrapped, as the provider would send them. */
export function inputsOf(resource: RegisteredResource): ContainerInputs {
    return unwrapSecrets(resource.inputs) as ContainerInputs;
}

/** Docker's container inspect, as far as the read-back needs it. */
export interface Inspect {
    readonly Id: string;
    readonly Name: string;
    /** The json-file log of the container on the daemon's host. */
    readonly LogPath: string;
    readonly Image: string;
    readonly State: { Running: boolean; ExitCode: number; Status: string; Pid: number };
    readonly Config: {
        Image: string;
        Cmd: string[] | null;
        Entrypoint: string[] | null;
        User: string;
        Env: string[] | null;
        Labels: Record<string, string> | null;
        Healthcheck?: {
            Test: string[];
            Interval?: number;
            Timeout?: number;
            StartPeriod?: number;
            StartInterval?: number;
            Retries?: number;
        };
    };
    readonly HostConfig: {
        Memory: number;
        MemorySwap: number;
        NanoCpus: number;
        PidsLimit?: number | null;
        CapAdd: string[] | null;
        CapDrop: string[] | null;
        SecurityOpt: string[] | null;
        RestartPolicy: { Name: string; MaximumRetryCount: number };
        LogConfig: { Type: string; Config: Record<string, string> };
        Tmpfs?: Record<string, string> | null;
        Binds: string[] | null;
        Init?: boolean | null;
        ReadonlyRootfs: boolean;
        AutoRemove: boolean;
        PortBindings: Record<string, Array<{ HostIp: string; HostPort: string }>> | null;
    };
    readonly NetworkSettings: {
        Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null;
        Networks: Record<
            string,
            {
                Aliases: string[] | null;
                IPAddress: string;
                Gateway?: string;
                GlobalIPv6Address?: string;
                IPv6Gateway?: string;
            }
        >;
    };
}

export function inspect(id: string): Promise<Inspect> {
    return engine<Inspect>("GET", `/containers/${id}/json`);
}
