import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

/** The four networks, each with the traffic it carries. */
export const NETWORKS = {
    /** Caddy and the services it routes to. */
    edge: { internal: false },
    /** Application services talking to each other, and out to the internet (mail, webhooks). */
    app: { internal: false },
    /** Databases and object storage; no route out, so a compromised store cannot call home. */
    data: { internal: true },
    /** Scrapes and log shipping; no route out. */
    monitoring: { internal: true },
} as const;

export type NetworkName = keyof typeof NETWORKS;

export interface NetworksArgs {
    /** Prefix of the Docker network names, e.g. `freshtrack-dev`. */
    readonly namePrefix: string;
}

/** The user-defined Docker networks every container joins instead of the default bridge. */
export class Networks extends pulumi.ComponentResource {
    readonly networks: Readonly<Record<NetworkName, docker.Network>>;

    constructor(name: string, args: NetworksArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:platform:Networks", name, {}, opts);
        const networks = {} as Record<NetworkName, docker.Network>;
        for (const [key, spec] of Object.entries(NETWORKS) as [NetworkName, (typeof NETWORKS)[NetworkName]][]) {
            networks[key] = new docker.Network(
                `${name}-${key}`,
                {
                    name: `${args.namePrefix}-${key}`,
                    driver: "bridge",
                    internal: spec.internal,
                    labels: [{ label: "com.freshtrack.network", value: key }],
                },
                { parent: this },
            );
        }
        this.networks = networks;
        this.registerOutputs({ networks: Object.fromEntries(Object.entries(networks).map(([k, n]) => [k, n.name])) });
    }
}
