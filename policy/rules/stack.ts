import { StackValidationPolicy } from "@pulumi/policy";
import { DROPLET_SIZES, DropletSize } from "../../components/host/dropletSizes";
import { isJob, labels, TYPES } from "../lib";

/**
 * The most memory the stack's containers can hold at once: every
 * long-running container, plus the largest of what runs beside them for a
 * while (a job, or a stateless container's replacement during an update).
 */
export function peakMemoryMb(containers: Array<{ props: Record<string, any> }>): { steady: number; peak: number } {
    let steady = 0;
    let transient = 0;
    for (const c of containers) {
        const memory = Number(c.props.memory ?? 0);
        if (isJob(c.props)) {
            transient = Math.max(transient, memory);
        } else {
            steady += memory;
            if (labels(c.props).kind === "stateless") transient = Math.max(transient, memory);
        }
    }
    return { steady, peak: steady + transient };
}

export const memoryBudget: StackValidationPolicy = {
    name: "stack-memory-budget",
    description: "The containers' memory limits, at their peak during an update, fit the host's memory with headroom for the kernel and Docker. Fix: lower limits in freshtrack:resources or choose a larger droplet.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            headroom: { type: "number", default: 0.15, description: "Share of host memory kept free of container limits." },
            hostMemoryMb: { type: "integer", default: 0, description: "Host memory for targets without a droplet (ssh); 0 skips the check there." },
        },
    },
    validateStack: (args, reportViolation) => {
        const config = args.getConfig<{ headroom: number; hostMemoryMb: number }>();
        const droplet = args.resources.find((r) => r.type === TYPES.droplet);
        const hostMemory = droplet ? DROPLET_SIZES[droplet.props.size as DropletSize]?.memoryMb : config.hostMemoryMb;
        if (!hostMemory) args.notApplicable(droplet ? `unknown droplet size ${droplet.props.size}` : "no droplet and no hostMemoryMb configured");
        const { steady, peak } = peakMemoryMb(args.resources.filter((r) => r.type === TYPES.container));
        const budget = Math.floor(hostMemory! * (1 - config.headroom));
        if (peak > budget) {
            reportViolation(`container limits reach ${peak} MB at peak (${steady} MB steady), over the ${budget} MB budget: ${hostMemory} MB less ${Math.round(config.headroom * 100)} % headroom.`);
        }
    },
};

export const containersThroughService: StackValidationPolicy = {
    name: "stack-containers-through-service",
    description: "Every container is created by the Service component, so none escapes its limits, health check and hardening. Fix: create containers with new Service(...), never docker.Container directly.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        for (const c of args.resources.filter((r) => r.type === TYPES.container)) {
            if (c.parent?.type !== TYPES.service) reportViolation(`container ${c.name} is not created by the Service component.`, c.urn);
        }
    },
};

export const backupsAndMonitoring: StackValidationPolicy = {
    name: "stack-backups-and-monitoring",
    description: "In production, the host is backed up and monitored, and the configured safety-net services exist. Fix: turn on droplet backups and monitoring; deploy the services listed in requiredServices.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            required: { type: "boolean", default: false, description: "Enforce this rule (set true for prod)." },
            requiredServices: { type: "array", items: { type: "string" }, default: [], description: "Services (com.freshtrack.service label) that must exist, e.g. the backup job and Prometheus." },
        },
    },
    validateStack: (args, reportViolation) => {
        const config = args.getConfig<{ required: boolean; requiredServices: string[] }>();
        if (!config.required) args.notApplicable("not required in this stack");
        for (const d of args.resources.filter((r) => r.type === TYPES.droplet)) {
            if (d.props.backups !== true) reportViolation(`droplet ${d.name} has DigitalOcean backups off.`, d.urn);
            if (d.props.monitoring !== true) reportViolation(`droplet ${d.name} has the monitoring agent off.`, d.urn);
        }
        const services = new Set(args.resources.filter((r) => r.type === TYPES.container).map((c) => labels(c.props).service));
        for (const name of config.requiredServices) {
            if (!services.has(name)) reportViolation(`required service ${name} is not deployed.`);
        }
    },
};
