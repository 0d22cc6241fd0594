import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";

/**
 * The seven networks, each with the traffic it carries. The internet-facing app containers (backend, worker, frontend)
 * share none with Alertmanager, Loki or Grafana (issue 15, findings 1 and 12; test/appNetworks.stack.test.ts): those
 * answer without authentication of their own (Alertmanager's silences, Loki's push and query API) or are an operator's
 * tool. Prometheus they still share monitoring with, because it scrapes them there, and a container that opens a TCP
 * connection to a peer on a Docker network can always be connected to by that peer on the port it listens on (Docker
 * filters within one bridge network only all or nothing: enable_icc). Its port serves read-only queries: the admin
 * API, the lifecycle endpoints and the remote-write receiver are off unless their flags are given (components/
 * monitoring/monitoringTier.ts), so a compromised backend can read metrics there but change, delete or silence nothing.
 */
export const NETWORKS = {
    /**
     * Caddy and the services it routes the public sites to; on a server also IPv6, which Caddy's published ports need
     * (see below).
     */
    edge: { internal: false, publicIpv6: true },
    /**
     * The way out to the internet (mail, webhooks, offsite copies, a managed database) for the containers that need it.
     * Nothing calls the backend or worker here (issue 15, finding 12): the worker joins only with a managed database,
     * the backend never (it leads out through edge).
     */
    app: { internal: false, publicIpv6: false },
    /** Databases and object storage; no route out, so a compromised store cannot call home. */
    data: { internal: true, publicIpv6: false },
    /**
     * Prometheus's scrapes of the containers it shares no other network with: the backend, the worker, MinIO and the
     * exporters, all read-only /metrics or authenticated (MinIO). No route out; the blackbox exporter, which leads out
     * through edge, is on telemetry instead: here a compromised worker, which has no way out, could make it fetch any
     * URL.
     */
    monitoring: { internal: true, publicIpv6: false },
    /**
     * Caddy and the admin interfaces it serves behind basic auth: Prometheus, Alertmanager, Grafana. They also talk
     * to each other here (alerts to Alertmanager, Grafana's queries, Prometheus scraping Caddy, Grafana and
     * Alertmanager). Not internal: it is Alertmanager's way out to mail servers, Slack and webhooks, which app cannot
     * be, since app holds the worker (with a managed database) and the jobs that run the application's image; and
     * Grafana keeps the way out it had on edge (plugin installs, contact points the operator adds). All four had
     * one before, on edge.
     */
    admin: { internal: false, publicIpv6: false },
    /**
     * Loki and its clients (Promtail pushes, Grafana reads, Prometheus scrapes), Grafana's jobs, and the blackbox
     * exporter Prometheus calls; no route out.
     */
    telemetry: { internal: true, publicIpv6: false },
    /**
     * Uptime Kuma and Caddy only (issue 15, finding 1). Uptime Kuma's monitors and notifications are the operator's,
     * made in its UI (the program provisions none), so what it must reach is the internet and the stack's own sites
     * through Caddy, which answers here to the public names; never backend:3000 (Bull Board without Caddy's auth),
     * Prometheus or Alertmanager directly, as it could on edge.
     */
    status: { internal: false, publicIpv6: false },
} as const;

export type NetworkName = keyof typeof NETWORKS;

export interface NetworksArgs {
    /** Prefix of the Docker network names, e.g. `freshtrack-dev`. */
    readonly namePrefix: string;
    /**
     * Give the edge network IPv6, so that Caddy can publish 80 and 443 to IPv6 clients: set on the
     * droplet and ssh targets, which publish AAAA records and run Docker with `userland-proxy: false`.
     * There the daemon forwards a port published on `::` only to a container that has an IPv6
     * address itself (moby v27.5.1 libnetwork/drivers/bridge/port_mapping_linux.go:97-111,
     * configurePortBindingIPv6 :292-295: with no docker-proxy and no container IPv6 the binding is
     * dropped without an error). Left off on a laptop: its ports are on 127.0.0.1 only, and a host
     * booted without IPv6 could not create the network at all. @default false
     */
    readonly ipv6?: boolean;
}

/** The fixed subnets of an IPv6 edge network: a /24 for IPv4 and a /64 of a unique local (ULA) prefix. */
export interface EdgeSubnets {
    readonly ipv4: string;
    readonly ipv6: string;
}

/**
 * The edge network's subnets, derived from the stack's name prefix, so they are the same on every
 * `up` and differ between two stacks on one host (a clash, 1 in 256 for IPv4, fails the network's
 * create with the daemon's "overlaps" message instead of mixing two stacks).
 *
 * Both families are fixed because the provider reads `ipam_config` back from the daemon's
 * IPAM.Config (kreuzwerker v4.5.0 resource_docker_network_funcs.go:196, structures.go:11-39),
 * which lists the configured subnets as given plus one the daemon picked for each family the
 * config leaves out (moby v27.5.1 daemon/network.go:696-755, the same at v20.10.24
 * daemon/network.go:675-733). ipam_config forces a new network (resource_docker_network.go:99-104),
 * so a config naming only the IPv6 subnet would replace the edge network, and every container on
 * it, on each `up`. A daemon-chosen IPv6 subnet is no way out either: Docker allocates one by itself
 * only from 27.0 (moby v27.5.1 daemon/daemon.go:1503-1543, deriveULABaseNetwork); before, the network is
 * refused without one (20.10.24, tried: "could not find an available, non-overlapping IPv6 address pool").
 *
 * IPv6: RFC 4193 section 3.2 asks for a pseudo-random 40-bit Global ID under fd00::/8; here it is
 * the first 40 bits of SHA-256 of the prefix (not fd00::/64 itself, which hosts and other tools use:
 * the CI machine's own eth0 has fd00::2/64). Subnet ID 0. The prefix never leaves the host: with
 * ip6tables on, the daemon masquerades traffic from it behind the host's address (moby v27.5.1
 * libnetwork/drivers/bridge/setup_ip_tables_linux.go:280-290) and reaches it from outside only by DNAT.
 * IPv4: 172.16.0.0/16 is private (RFC 1918) and outside Docker's default address pools (172.17.0.0/16
 * to 172.31.0.0/16 and 192.168.0.0/16, moby v27.5.1 libnetwork/ipamutils/utils.go:13-21), so a
 * network the daemon numbers by itself never takes it first.
 */
export function edgeSubnets(namePrefix: string): EdgeSubnets {
    const hash = createHash("sha256").update(namePrefix).digest();
    const group = (i: number) => ((hash[i]! << 8) | hash[i + 1]!).toString(16);
    const ula = `fd${hash[0]!.toString(16).padStart(2, "0")}:${group(1)}:${group(3)}::`;
    // The daemon keeps a configured subnet as written; one spelling (RFC 5952) for the program and the tests.
    const canonical = new URL(`http://[${ula}]/`).hostname.slice(1, -1);
    return { ipv4: `172.16.${hash[5]!}.0/24`, ipv6: `${canonical}/64` };
}

/**
 * Whether a target's edge network carries IPv6. Only the droplet: it publishes AAAA records, and its
 * bootstrap installs a Docker that can keep two bindings of one port stable (it checks the version).
 * An ssh target's Docker may be older (Debian 12 ships 20.10), and its DNS is the operator's; a
 * laptop publishes on 127.0.0.1 only.
 */
/**
 * The oldest Docker that keeps a port's two bindings (0.0.0.0 and ::) in the order the provider reads back: 27
 * sorts them IPv4 first; 26 and older reverse them (Service's publishedPorts in components/service.ts).
 */
export const DUAL_STACK_DOCKER_MAJOR = 27;

export function edgeHasIpv6(target: "local" | "droplet" | "ssh"): boolean {
    return target === "droplet";
}

/** The user-defined Docker networks every container joins instead of the default bridge. */
export class Networks extends pulumi.ComponentResource {
    readonly networks: Readonly<Record<NetworkName, docker.Network>>;

    constructor(name: string, args: NetworksArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:platform:Networks", name, {}, opts);
        const networks = {} as Record<NetworkName, docker.Network>;
        for (const [key, spec] of Object.entries(NETWORKS) as [NetworkName, (typeof NETWORKS)[NetworkName]][]) {
            const ipv6 = args.ipv6 === true && spec.publicIpv6;
            const subnets = ipv6 ? edgeSubnets(args.namePrefix) : undefined;
            networks[key] = new docker.Network(
                `${name}-${key}`,
                {
                    // A dual-stack edge network has a name of its own. Adding IPv6 replaces a network (every input of
                    // docker_network is ForceNew, kreuzwerker v4.5.0 resource_docker_network.go), a replacement is
                    // created before the old one goes, and the daemon refuses a second network of the same name (moby
                    // v27.5.1 libnetwork/controller.go:486-491). Under a new name, a stack deployed before IPv6 moves
                    // over in one `up`: the containers on it are replaced onto the new network, then the old one is
                    // deleted.
                    name: `${args.namePrefix}-${key}${ipv6 ? "-dualstack" : ""}`,
                    driver: "bridge",
                    internal: spec.internal,
                    labels: [{ label: "com.freshtrack.network", value: key }],
                    ...(subnets
                        ? { ipv6: true, ipamConfigs: [{ subnet: subnets.ipv4 }, { subnet: subnets.ipv6 }] }
                        : {}),
                },
                { parent: this },
            );
        }
        this.networks = networks;
        this.registerOutputs({ networks: Object.fromEntries(Object.entries(networks).map(([k, n]) => [k, n.name])) });
    }
}
