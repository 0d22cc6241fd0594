/**
 * The facts the Docker read-back models are given rather than assume: the daemon's, which vary by daemon.json and
 * version (so one model serves the operator's own daemon, a bootstrapped host and the daemon the real-engine tests
 * meet), and a pinned image's, which the daemon merges into a container's config. The abbreviations in the
 * citations ("moby", "kw") are those of docker.ts's header.
 */
import { DATA_MOUNT, renderDaemonJson } from "../../../components/host/bootstrap";

/** What the daemon adds to or drops from a container spec; it differs by daemon.json and version. */
export interface DaemonFacts {
    /** daemon.json `log-driver` (moby default json-file). */
    readonly logDriver: string;
    /** daemon.json `log-opts`: merged into a container's log options when it uses the default driver. */
    readonly logOpts: Readonly<Record<string, string>>;
    /**
     * daemon.json `userland-proxy` (default true). Without it an IPv4-only container cannot publish on an IPv6 address.
     */
    readonly userlandProxy: boolean;
    /** The kernel enforces swap limits (moby sysinfo.SwapLimit); without it the daemon stores MemorySwap -1. */
    readonly swapLimit: boolean;
    /** The host can listen on IPv6 (moby netutils.IsV6Listenable), for bindings without a host address. */
    readonly ipv6Listenable: boolean;
    /**
     * The order of one container port's bindings in NetworkSettings.Ports, which the provider reads
     * back as is. "sorted": Docker 27 and later sort them, IPv4 before IPv6 (moby v27.5.1
     * libnetwork/drivers/bridge/port_mapping_linux.go:77-78, 199-249, sortAndNormPBs/cmpPortBinding).
     * "reversed": Docker 26 and older keep the order nat.SortPortMap leaves (moby v26.1.3
     * daemon/container_operations.go:97-115 and libnetwork/drivers/bridge/port_mapping_linux.go:38-81;
     * v20.10.24 daemon/container_operations.go:150 and the vendored libnetwork's port_mapping.go:37-81),
     * and its comparator answers "less" both ways for two bindings of one tcp port
     * (go-connections nat/sort.go:50-54 as vendored there), so Go's insertion sort (slices of up to
     * 12 entries) hands them back in reverse. Seen on 20.10.24: -p 0.0.0.0:8080:80
     * -p [::]:8080:80 inspects as [::, 0.0.0.0], and the other way round.
     */
    readonly portBindingOrder: "sorted" | "reversed";
    /**
     * daemon.json `ip6tables`: the daemon writes NAT rules for IPv6 port bindings. Default true from
     * 27.0 (moby v27.5.1 cmd/dockerd/config_unix.go:31), false before (v26.1.3 :31), and before 27.0
     * refused without `experimental` (v26.1.3 daemon/daemon_unix.go:743-745). Without it a `::`
     * binding to an IPv6 container is reserved and reported but forwards nothing; the state is the same.
     */
    readonly ip6tables: boolean;
    /** Names of the Docker networks created with IPv6; a container on one has an IPv6 address. */
    readonly ipv6Networks: readonly string[];
    /** daemon.json `data-root`, where named volumes live. */
    readonly dataRoot: string;
}

/** What a pinned image itself defines, which the daemon merges into the container config. */
export interface ImageFacts {
    readonly user?: string;
    readonly cmd?: readonly string[];
    readonly entrypoint?: readonly string[];
    readonly workingDir?: string;
    /** Durations as Go duration strings, as in `docker image inspect` converted by time.Duration.String(). */
    readonly healthcheck?: {
        readonly tests?: readonly string[];
        readonly interval?: string;
        readonly timeout?: string;
        readonly startPeriod?: string;
        readonly startInterval?: string;
        readonly retries?: number;
    };
}

/** A daemon with no daemon.json, as on an operator's machine (the local target). */
export const STOCK_DAEMON: DaemonFacts = {
    logDriver: "json-file",
    logOpts: {},
    userlandProxy: true,
    swapLimit: true,
    ipv6Listenable: true,
    portBindingOrder: "sorted",
    ip6tables: true,
    ipv6Networks: [],
    dataRoot: "/var/lib/docker",
};

/** Daemon facts from a daemon.json text, over a base for what the file does not say. */
export function daemonFacts(daemonJson: string, base: DaemonFacts = STOCK_DAEMON): DaemonFacts {
    const json = JSON.parse(daemonJson) as Record<string, unknown>;
    return {
        ...base,
        ...(typeof json["log-driver"] === "string" ? { logDriver: json["log-driver"] } : {}),
        ...(typeof json["log-opts"] === "object" && json["log-opts"] !== null
            ? { logOpts: { ...(json["log-opts"] as Record<string, string>) } }
            : {}),
        ...(typeof json["userland-proxy"] === "boolean" ? { userlandProxy: json["userland-proxy"] } : {}),
        ...(typeof json["ip6tables"] === "boolean" ? { ip6tables: json["ip6tables"] } : {}),
        ...(typeof json["data-root"] === "string" ? { dataRoot: json["data-root"] } : {}),
    };
}

/**
 * The facts of a daemon of a given version (`docker version`'s Server.Version, e.g. "20.10.24+dfsg1")
 * with the daemon.json it runs with, if any: what the real-engine tests compare against. The targets
 * themselves are modelled on Docker 27 or later (STOCK_DAEMON), which Ubuntu 24.04 carries in
 * noble-updates; see portBindingOrder for what an older daemon does differently.
 */
export function daemonFactsForVersion(serverVersion: string, daemonJson?: string): DaemonFacts {
    const major = Number(/^(\d+)\./.exec(serverVersion)?.[1] ?? "0");
    const versioned: DaemonFacts = {
        ...STOCK_DAEMON,
        portBindingOrder: major >= 27 ? "sorted" : "reversed",
        ip6tables: major >= 27,
    };
    return daemonJson === undefined ? versioned : daemonFacts(daemonJson, versioned);
}

/** The daemon a target's containers run on: the operator's own, or the one the bootstrap configures. */
export function daemonForTarget(target: "local" | "droplet" | "ssh"): DaemonFacts {
    if (target === "local") return STOCK_DAEMON;
    return daemonFacts(renderDaemonJson(target === "droplet" ? DATA_MOUNT : undefined));
}
