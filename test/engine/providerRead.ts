/**
 * What the provider's Read makes of a real `docker inspect`, in the program's
 * (Pulumi camelCase) property names: the state a real `pulumi up` stores and the
 * next update diffs against. Follows kreuzwerker/terraform-provider-docker v4.5.0
 * internal/provider/resource_docker_container_funcs.go:750-985
 * (`resourceDockerContainerRead`) and resource_docker_container_structures.go
 * `flattenContainerPorts`. Env and labels are not read back (:887-892); uploads,
 * attach, logs, wait and must_run are not either, so they are left out here.
 */
import { cpusReadBack } from "../../components/dockerForms";
import { formatGoDuration } from "../../scripts/lib/readBack/docker";
import { ContainerInputs, Inspect } from "./applyLikeProvider";

export function providerRead(info: Inspect, sent: ContainerInputs): Record<string, unknown> {
    const hc = info.HostConfig;
    const state: Record<string, unknown> = {
        name: info.Name.replace(/^\/+/, ""),
        // :836-841: an image given as an ID reads back as the container's image ID, else as Config.Image.
        image: sent.image.startsWith("sha256:") ? info.Image : info.Config.Image,
        command: info.Config.Cmd ?? [],
        entrypoints: info.Config.Entrypoint ?? [],
        user: info.Config.User,
        securityOpts: hc.SecurityOpt ?? [],
        restart: hc.RestartPolicy.Name,
        maxRetryCount: hc.RestartPolicy.MaximumRetryCount,
        init: hc.Init ?? false,
        tmpfs: hc.Tmpfs ?? {},
        memory: Math.trunc(hc.Memory / 1024 / 1024),
        memorySwap: hc.MemorySwap > 0 ? Math.trunc(hc.MemorySwap / 1024 / 1024) : hc.MemorySwap,
        logDriver: hc.LogConfig.Type,
    };
    // :862-870: only when something was added or dropped.
    if ((hc.CapAdd?.length ?? 0) > 0 || (hc.CapDrop?.length ?? 0) > 0)
        state.capabilities = { adds: hc.CapAdd ?? [], drops: hc.CapDrop ?? [] };
    // :947: only a positive NanoCpus is read back.
    if (hc.NanoCpus > 0) state.cpus = cpusReadBack(BigInt(hc.NanoCpus));
    // :973-978 containerLogOptsForState: read back only when the config sets log_opts.
    if (sent.logOpts) state.logOpts = hc.LogConfig.Config ?? {};
    const h = info.Config.Healthcheck;
    if (h) {
        state.healthcheck = {
            tests: h.Test,
            interval: formatGoDuration(BigInt(h.Interval ?? 0)),
            timeout: formatGoDuration(BigInt(h.Timeout ?? 0)),
            startPeriod: formatGoDuration(BigInt(h.StartPeriod ?? 0)),
            startInterval: formatGoDuration(BigInt(h.StartInterval ?? 0)),
            retries: h.Retries ?? 0,
        };
    }
    // :796-803: ports are read only from a running container (or must_run) and only when configured.
    if (info.State.Running && sent.ports?.length) {
        const out: Array<{ internal: number; external: number; ip: string; protocol: string }> = [];
        const keys = Object.keys(info.NetworkSettings.Ports ?? {}).sort(
            (a, b) => parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b),
        );
        for (const key of keys) {
            const [internal, protocol] = key.split("/");
            for (const b of info.NetworkSettings.Ports?.[key] ?? []) {
                out.push({
                    internal: Number(internal),
                    external: Number(b.HostPort),
                    ip: b.HostIp,
                    protocol: protocol!,
                });
            }
        }
        state.ports = out;
    }
    // :807-809: the exit code of a container that is not running.
    if (!info.State.Running) state.exitCode = info.State.ExitCode;
    return state;
}
