import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

/** Every volume that holds data a customer would miss. */
export const STATEFUL_VOLUMES = [
    "postgres-data",
    "redis-data",
    "minio-data",
    "backups",
    "caddy-data",
    "prometheus-data",
    "alertmanager-data",
    "loki-data",
    "grafana-data",
    "uptime-kuma-data",
    // Written by jobs, read by Grafana and node-exporter; rebuilt on every change, protected like the rest.
    "grafana-dashboards",
    "metrics-textfile",
] as const;
export type VolumeName = (typeof STATEFUL_VOLUMES)[number];

export interface DataVolumesArgs {
    /** Prefix of the Docker volume names, e.g. `freshtrack-dev`. */
    readonly namePrefix: string;
    /** Volumes not needed on this stack, e.g. postgres-data when PostgreSQL is managed. */
    readonly exclude?: readonly VolumeName[];
}

/**
 * Named volumes for state. Each is `protect`ed: Pulumi refuses to delete or
 * replace it, so no update, rename or `pulumi destroy` can take the data with
 * it. Removing one is a deliberate two-step act (unprotect, then destroy).
 */
export class DataVolumes extends pulumi.ComponentResource {
    readonly volumes: Readonly<Partial<Record<VolumeName, docker.Volume>>>;

    /** The named volume, or a clear error when this stack does not create it. */
    volume(name: VolumeName): docker.Volume {
        const volume = this.volumes[name];
        if (!volume) throw new pulumi.RunError(`volume ${name} is not created on this stack`);
        return volume;
    }

    constructor(name: string, args: DataVolumesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:platform:DataVolumes", name, {}, opts);
        const volumes: Partial<Record<VolumeName, docker.Volume>> = {};
        for (const key of STATEFUL_VOLUMES.filter((v) => !args.exclude?.includes(v))) {
            volumes[key] = new docker.Volume(
                `${name}-${key}`,
                {
                    // A fixed name: a generated one would change on any replacement and orphan the data.
                    name: `${args.namePrefix}-${key}`,
                    labels: [{ label: "com.freshtrack.volume", value: key }],
                },
                { parent: this, protect: true },
            );
        }
        this.volumes = volumes;
        this.registerOutputs({ volumes: Object.fromEntries(Object.entries(volumes).map(([k, v]) => [k, v!.name])) });
    }
}
