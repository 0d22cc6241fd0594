/**
 * docker_container: its schema at kw v4.5.0, and what Read stores after a create on a given daemon with given image
 * facts. The abbreviations in the citations ("kw", "pd", "moby") are those of docker.ts's header.
 */
import { keepSecret, unwrapSecrets } from "../values";
import type { DaemonFacts, ImageFacts } from "./daemon";
import {
    cpusStateForm,
    durationReadBack,
    formatGoDuration,
    goIpString,
    ipSortKey,
    isIpv6,
    parseGoDuration,
} from "./goForms";
import type { ResourceModel } from "./resourceModel";
import {
    a,
    Attr,
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

// ---------------------------------------------------------------------------
// docker_container: kw resource_docker_container.go (schema), resource_docker_container_funcs.go (CRUD).
// ---------------------------------------------------------------------------

/** Nested schemas of the blocks this program sets. */
const CAPABILITIES: Record<string, Attr> = {
    adds: a("add", 271, "set", "optional", true),
    drops: a("drop", 280, "set", "optional", true),
};
const HEALTHCHECK: Record<string, Attr> = {
    tests: a("test", 1053, "list", "optional", false),
    interval: a("interval", 1059, "string", "optional", false, { default: "0s" }),
    timeout: a("timeout", 1066, "string", "optional", false, { default: "0s" }),
    startPeriod: a("start_period", 1073, "string", "optional", false, { default: "0s" }),
    startInterval: a("start_interval", 1080, "string", "optional", false, { default: "0s" }),
    retries: a("retries", 1087, "int", "optional", false, { default: 0 }),
};
const PORT: Record<string, Attr> = {
    internal: a("internal", 494, "int", "required", true),
    external: a("external", 501, "int", "optionalComputed", true),
    ip: a("ip", 509, "string", "optional", true, { default: "0.0.0.0", stateFunc: (v) => (v === "" ? "0.0.0.0" : v) }),
    protocol: a("protocol", 525, "string", "optional", true, { default: "tcp" }),
};
const VOLUME: Record<string, Attr> = {
    fromContainer: str("from_container", 441),
    containerPath: str("container_path", 447),
    hostPath: str("host_path", 453),
    volumeName: str("volume_name", 460),
    readOnly: a("read_only", 466, "bool", "optional", true),
    selinuxRelabel: str("selinux_relabel", 472),
};
const UPLOAD: Record<string, Attr> = {
    content: str("content", 994),
    contentBase64: str("content_base64", 1002),
    file: a("file", 1009, "string", "required", true),
    executable: a("executable", 1015, "bool", "optional", true, { default: false }),
    permissions: str("permissions", 1022),
    source: str("source", 1029),
    sourceHash: str("source_hash", 1035),
};
const NETWORK_ATTACHMENT: Record<string, Attr> = {
    name: a("name", 916, "string", "required", true),
    aliases: a("aliases", 922, "set", "optional", true),
    ipv4Address: str("ipv4_address", 930),
    ipv6Address: str("ipv6_address", 936),
    linkLocalIps: a("link_local_ips", 942, "set", "optional", true),
    macAddress: str("mac_address", 950),
    driverOpts: a("driver_opts", 956, "set", "optional", true),
    gwPriority: a("gw_priority", 963, "int", "optional", true),
};

/**
 * Every attribute of docker_container at kw v4.5.0, by its Pulumi name (pd resources.go:112-126 keeps
 * `command` and `networks_advanced` singular; the bridge pluralises the other lists). Line = schema line
 * in resource_docker_container.go.
 */
export const CONTAINER_SCHEMA: Readonly<Record<string, Attr>> = {
    name: a("name", 50, "string", "required", true, { autoNamed: true }),
    rm: a("rm", 57, "bool", "optional", false, { default: false }),
    readOnly: a("read_only", 64, "bool", "optional", true, { default: false }),
    start: a("start", 72, "bool", "optional", false, { default: true }),
    wait: a("wait", 79, "bool", "optional", false, { default: false }),
    waitTimeout: a("wait_timeout", 86, "int", "optional", false, { default: 60 }),
    attach: a("attach", 93, "bool", "optional", false, { default: false }),
    logs: a("logs", 100, "bool", "optional", false, { default: false }),
    mustRun: a("must_run", 122, "bool", "optional", false, { default: true }),
    exitCode: a("exit_code", 129, "int", "computed", false),
    containerLogs: a("container_logs", 135, "string", "computed", false),
    image: a("image", 141, "string", "required", true),
    hostname: a("hostname", 148, "string", "optionalComputed", true),
    domainname: a("domainname", 156, "string", "optional", true),
    command: a("command", 163, "list", "optionalComputed", true),
    entrypoints: a("entrypoint", 172, "list", "optionalComputed", true),
    user: a("user", 181, "string", "optional", true, { suppress: "emptyIsNoop" }),
    dns: a("dns", 196, "set", "optional", true),
    dnsOpts: a("dns_opts", 205, "set", "optional", true),
    dnsSearches: a("dns_search", 214, "set", "optional", true),
    publishAllPorts: a("publish_all_ports", 223, "bool", "optional", true),
    restart: a("restart", 230, "string", "optional", false, { default: "no" }),
    maxRetryCount: a("max_retry_count", 238, "int", "optional", false),
    workingDir: a("working_dir", 243, "string", "optional", true, { suppress: "emptyIsNoop" }),
    removeVolumes: a("remove_volumes", 256, "bool", "optional", false, { default: true }),
    capabilities: a("capabilities", 262, "set1", "optional", true, { elem: CAPABILITIES }),
    securityOpts: a("security_opts", 291, "set", "optionalComputed", true),
    runtime: a("runtime", 300, "string", "optionalComputed", true),
    platform: a("platform", 307, "string", "optionalComputed", true),
    stopSignal: a("stop_signal", 314, "string", "optionalComputed", true),
    stopTimeout: a("stop_timeout", 321, "int", "optionalComputed", true),
    mounts: a("mounts", 328, "set", "optional", true),
    volumes: a("volumes", 434, "set", "optional", true, { elem: VOLUME }),
    tmpfs: a("tmpfs", 482, "map", "optional", false),
    ports: a("ports", 487, "list", "optional", true, { elem: PORT, suppress: "ports" }),
    hosts: a("host", 537, "set", "optional", true),
    ulimits: a("ulimit", 561, "set", "optional", true),
    envs: a("env", 590, "set", "optionalComputed", true),
    bridge: a("bridge", 600, "string", "computed", false),
    networkDatas: a("network_data", 606, "list", "computed", false),
    privileged: a("privileged", 656, "bool", "optional", true),
    devices: a("devices", 663, "set", "optional", true),
    deviceReadBps: a("device_read_bps", 693, "set", "optional", false),
    deviceReadIops: a("device_read_iops", 713, "set", "optional", false),
    deviceWriteBps: a("device_write_bps", 733, "set", "optional", false),
    deviceWriteIops: a("device_write_iops", 753, "set", "optional", false),
    deviceRequests: a("device_requests", 774, "set", "optional", true),
    destroyGraceSeconds: a("destroy_grace_seconds", 827, "int", "optional", false),
    labels: a("labels", 833, "set", "optionalComputed", true, { elem: LABEL }),
    memory: a("memory", 842, "int", "optional", false),
    memoryReservation: a("memory_reservation", 848, "int", "optional", false, { default: 0 }),
    memorySwap: a("memory_swap", 856, "int", "optional", false),
    shmSize: a("shm_size", 863, "int", "optionalComputed", true),
    cpuShares: a("cpu_shares", 872, "int", "optional", false),
    cpuSet: a("cpu_set", 879, "string", "optional", false),
    logDriver: a("log_driver", 886, "string", "optionalComputed", true),
    logOpts: a("log_opts", 894, "map", "optional", true),
    networkMode: a("network_mode", 901, "string", "optional", true, { default: "bridge" }),
    networksAdvanced: a("networks_advanced", 909, "set", "optional", true, { elem: NETWORK_ATTACHMENT }),
    pidMode: a("pid_mode", 974, "string", "optional", true),
    usernsMode: a("userns_mode", 980, "string", "optional", true),
    uploads: a("upload", 987, "set", "optional", true, { elem: UPLOAD }),
    healthcheck: a("healthcheck", 1045, "list1", "optionalComputed", false, { elem: HEALTHCHECK }),
    // containerReadRefreshTimeoutMillisecondsDefault, kw resource_docker_container_funcs.go:34.
    containerReadRefreshTimeoutMilliseconds: a(
        "container_read_refresh_timeout_milliseconds",
        1098,
        "int",
        "optional",
        false,
        { default: 15000 },
    ),
    sysctls: a("sysctls", 1105, "map", "optional", true),
    ipcMode: a("ipc_mode", 1111, "string", "optionalComputed", true),
    groupAdds: a("group_add", 1118, "set", "optional", true),
    init: a("init", 1126, "bool", "optionalComputed", false),
    tty: a("tty", 1132, "bool", "optional", true, { default: false }),
    stdinOpen: a("stdin_open", 1139, "bool", "optional", true, { default: false }),
    storageOpts: a("storage_opts", 1146, "map", "optional", true),
    gpus: a("gpus", 1152, "string", "optional", true),
    cpus: a("cpus", 1158, "string", "optional", true),
    cpuPeriod: a("cpu_period", 1164, "int", "optional", false),
    cpuQuota: a("cpu_quota", 1170, "int", "optional", false),
    cgroupnsMode: a("cgroupns_mode", 1176, "string", "optional", true),
    cgroupParent: a("cgroup_parent", 1182, "string", "optional", true),
};

/** The health check as read back: Config.Healthcheck after the daemon's merge, durations printed by Go. */
function healthcheckReadBack(given: unknown, image: ImageFacts["healthcheck"]): unknown {
    if (isAbsent(given)) {
        // Read sets healthcheck only from Config.Healthcheck (kw funcs.go:960-971); with no image HEALTHCHECK
        // there is none, and the state keeps the (absent) config value.
        if (!image) return undefined;
        return healthcheckReadBack({}, image);
    }
    if (containsUnknown(given)) return given;
    return keepSecret(given, (value) => {
        const h = value as Record<string, unknown>;
        // Create sends each duration parsed (kw funcs.go:139-164), omitted ones as the schema default "0s".
        const duration = (key: "interval" | "timeout" | "startPeriod" | "startInterval") => {
            const mine = parseGoDuration(durationReadBack(String(unwrapSecrets(h[key]) ?? "0s")))!;
            // moby daemon/commit.go merge(): a zero field takes the image HEALTHCHECK's value.
            const imageValue = image?.[key];
            return formatGoDuration(
                mine === 0n && imageValue !== undefined ? parseGoDuration(durationReadBack(imageValue))! : mine,
            );
        };
        const tests = unwrapSecrets(h.tests) as string[] | undefined;
        const retries = Number(unwrapSecrets(h.retries) ?? 0);
        return {
            tests: tests && tests.length > 0 ? h.tests : image?.tests ? [...image.tests] : (h.tests ?? []),
            interval: duration("interval"),
            timeout: duration("timeout"),
            startPeriod: duration("startPeriod"),
            startInterval: duration("startInterval"),
            retries: retries === 0 && image?.retries !== undefined ? image.retries : retries,
        };
    });
}

interface PortInput {
    internal: number;
    external?: number;
    ip: string;
    protocol: string;
}

/**
 * Ports as Read sets them from NetworkSettings.Ports (kw funcs.go:800-806, structures.go:35-59):
 * grouped by container port and sorted by port number (byPortAndProtocol, structures.go:17-33, 42),
 * each binding with HostIP printed by Go (moby getEndpointPortMapInfo). Within a port the daemon's
 * order: moby 27+ sorts IPv4 before IPv6 (cmpPortBinding). A binding to an IPv6 address is silently
 * dropped when the container has no IPv6 address and the userland proxy is off ("Cannot map from
 * IPv6 to an IPv4-only container because the userland proxy is disabled", moby bridge
 * port_mapping_linux.go addPortMappings/configurePortBindingIPv6).
 */
function portsReadBack(given: PortInput[], daemon: DaemonFacts, containerHasIpv6: boolean): PortInput[] {
    const canReachV6 = containerHasIpv6 || daemon.userlandProxy;
    const bound: PortInput[] = [];
    for (const p of given) {
        // Create sends HostIP exactly as configured, default "0.0.0.0" (kw container.go:509-523,
        // structures.go:247-250).
        if (p.ip === "") {
            // No host address: the daemon binds 0.0.0.0 and, where it can, [::] as well (configurePortBindingIPv6).
            bound.push({ ...p, ip: "0.0.0.0" });
            if (daemon.ipv6Listenable && canReachV6) bound.push({ ...p, ip: "::" });
        } else if (isIpv6(p.ip)) {
            if (canReachV6) bound.push({ ...p, ip: goIpString(p.ip) });
        } else {
            bound.push({ ...p, ip: goIpString(p.ip) });
        }
    }
    const groups = new Map<string, PortInput[]>();
    for (const p of bound) {
        const key = `${p.internal}/${p.protocol}`;
        groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    const keys = [...groups.keys()].sort((x, y) => parseInt(x, 10) - parseInt(y, 10));
    return keys.flatMap((k) => {
        const list = groups.get(k)!;
        if (daemon.portBindingOrder === "reversed") {
            // nat/sort.go:53: for one tcp port every pair is "less" both ways, so insertion sort reverses them all;
            // for udp/sctp the order is by host port, larger first, and stable among equals.
            return list[0]!.protocol === "tcp"
                ? [...list].reverse()
                : [...list].sort((x, y) => (y.external ?? 0) - (x.external ?? 0));
        }
        const byIp = (x: PortInput, y: PortInput) =>
            ipSortKey(x.ip) < ipSortKey(y.ip) ? -1 : ipSortKey(x.ip) > ipSortKey(y.ip) ? 1 : 0;
        return [...list].sort((x, y) => (x.external ?? 0) - (y.external ?? 0) || byIp(x, y));
    });
}

function containerReadBack(
    inputs: Record<string, unknown>,
    daemon: DaemonFacts,
    imageFacts: (image: string) => ImageFacts | undefined,
): Record<string, unknown> {
    const out = withDefaults(CONTAINER_SCHEMA, inputs);
    const image =
        typeof unwrapSecrets(inputs.image) === "string" ? imageFacts(unwrapSecrets(inputs.image) as string) : undefined;

    // Create attaches and waits for the container to stop (kw funcs.go:631-671); a container never
    // started is not running either. Read then records the exit code and, when must_run was true,
    // sets it to false (funcs.go:815-824), which the next update turns into a ContainerStart.
    const configMustRun = unwrapSecrets(out.mustRun) !== false;
    const stopped = unwrapSecrets(out.attach) === true || unwrapSecrets(out.start) === false;
    if (stopped) {
        out.exitCode = 0; // The process's own status; the mock layer supplies a job's failure.
        if (configMustRun) out.mustRun = false;
    }

    // "name": the API prefixes "/", Read trims it (kw funcs.go:828). Echo.
    // "image": a sha256: reference reads back as container.Image, the full image ID, else as Config.Image
    // (kw funcs.go:840-845). Both equal what the program sends (RemoteImage.imageId, or a repo digest).

    // cpus (kw funcs.go:354-360 create, 946-948 read).
    if (!isAbsent(out.cpus) && !containsUnknown(out.cpus))
        out.cpus = keepSecret(out.cpus, (v) => cpusStateForm(String(v)));

    // command / entrypoint / user / working_dir: Config.* after moby daemon/commit.go merge()
    // (kw funcs.go:849-851, 869). When unset they hold the image's values; Optional+Computed (command,
    // entrypoint) or a DiffSuppressFunc for "" (user, working_dir) keep those from diffing.
    const entrypoint = unwrapSecrets(out.entrypoints) as string[] | undefined;
    if (isAbsent(out.entrypoints) || entrypoint?.length === 0) {
        if (image?.entrypoint) out.entrypoints = [...image.entrypoint];
        const command = unwrapSecrets(out.command) as string[] | undefined;
        if ((isAbsent(out.command) || command?.length === 0) && image?.cmd) out.command = [...image.cmd];
    }
    if ((isAbsent(out.user) || out.user === "") && image?.user !== undefined) out.user = image.user;
    if ((isAbsent(out.workingDir) || out.workingDir === "") && image?.workingDir !== undefined)
        out.workingDir = image.workingDir;

    // init: Create always sends Init=&false when unset (kw funcs.go:447-448); Read stores it (864-868).
    if (isAbsent(out.init)) out.init = false;

    // log driver and options: daemon default driver when unset (moby mergeAndVerifyLogConfig); the
    // options are read back only when configured (kw funcs.go:952, 983-989), then with the daemon's
    // default options merged in when the container uses the daemon's default driver.
    const logDriver = str0(unwrapSecrets(out.logDriver)) ?? daemon.logDriver;
    out.logDriver = out.logDriver ?? logDriver;
    if (!isAbsent(out.logOpts) && !containsUnknown(out.logOpts) && !isZero(unwrapSecrets(out.logOpts))) {
        if (logDriver === daemon.logDriver) {
            out.logOpts = keepSecret(out.logOpts, (v) => ({ ...daemon.logOpts, ...(v as Record<string, string>) }));
        }
    }

    // memory / memory_swap in MiB (kw funcs.go:334-348 create, 932-944 read), after the daemon:
    // MemorySwap 0 with a memory limit becomes twice the memory (moby adaptContainerSettings), and
    // without kernel swap accounting any swap limit becomes -1 (moby verifyPlatformContainerResources).
    const memory = containsUnknown(out.memory) ? 0 : Number(unwrapSecrets(out.memory) ?? 0);
    if (!containsUnknown(out.memorySwap) && memory > 0) {
        const sent = Number(unwrapSecrets(out.memorySwap) ?? 0);
        let swap = sent;
        if (swap === 0) swap = memory * 2;
        if (swap !== -1 && !daemon.swapLimit) swap = -1;
        if (swap !== sent || isAbsent(out.memorySwap)) out.memorySwap = swap;
    }

    // healthcheck (kw funcs.go:960-971).
    const health = healthcheckReadBack(out.healthcheck, image?.healthcheck);
    if (health === undefined) delete out.healthcheck;
    else out.healthcheck = health;

    // ports: re-read only when configured and the container runs or must run (kw funcs.go:800-806).
    const ports = unwrapSecrets(out.ports) as PortInput[] | undefined;
    if (ports && ports.length > 0 && !containsUnknown(out.ports) && (!stopped || configMustRun)) {
        if (stopped) {
            // An exited container has no NetworkSettings.Ports; flattenContainerPorts(nil) is [].
            out.ports = [];
        } else {
            const networks = ((unwrapSecrets(out.networksAdvanced) ?? []) as { name?: string }[]).map(
                (n) => n.name ?? "",
            );
            const withDefaultsApplied = ports.map((p) => ({
                ...p,
                ip: p.ip ?? "0.0.0.0",
                protocol: p.protocol ?? "tcp",
            }));
            out.ports = portsReadBack(
                withDefaultsApplied,
                daemon,
                networks.some((n) => daemon.ipv6Networks.includes(n)),
            );
        }
    }

    // Not read back, so the state keeps exactly what was sent:
    // - envs and labels: "We decided not to set the environment variables and labels because they are
    //   taken over from the Docker image" (kw funcs.go:893-898). docker inspect shows the image's ENV
    //   (PATH, ...) and LABELs merged in (moby merge()), the state does not.
    // - networksAdvanced: set only on import, when the configured set is empty (kw funcs.go:786-796;
    //   GetOk is false for an empty set, so in practice never). Aliases the daemon adds are not seen.
    // - volumes (no d.Set, kw funcs.go:882), uploads (funcs.go:959), wait, waitTimeout, attach, logs,
    //   start, removeVolumes, destroyGraceSeconds (funcs.go:831-835, 931).
    // - capabilities: read as given (kw funcs.go:870-878); the daemon validates but stores CapAdd/CapDrop
    //   as sent (moby daemon/container.go validateCapabilities discards the normalised list).
    // - securityOpts, tmpfs, restart, memory: as stored by the daemon, i.e. as sent (kw funcs.go:854, 883, 857, 932).
    return out;
}

export function containerModel(
    daemon: DaemonFacts,
    imageFacts: (image: string) => ImageFacts | undefined,
): ResourceModel {
    return {
        readBack: (inputs) => containerReadBack(inputs, daemon, imageFacts),
        changed: (next, prior) => changedKeys(CONTAINER_SCHEMA, next, prior),
        forcesReplacement: (key) => forceNewOf(CONTAINER_SCHEMA, "docker_container", key),
    };
}
