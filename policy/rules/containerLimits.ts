import { containerPolicy } from "../lib";

export const containerMemoryLimit = containerPolicy({
    name: "container-memory-limit",
    description: "Every container has a memory limit no larger than the configured maximum. Fix: give the service limits in components/config.ts DEFAULT_LIMITS or freshtrack:resources.",
    enforcementLevel: "mandatory",
    config: { maxMemoryMb: { type: "integer", default: 4096, description: "Largest memory limit one container may have, in MB." } },
    check: (props, report, config) => {
        const memory = props.memory;
        if (typeof memory !== "number" || memory <= 0) {
            report("has no memory limit; a leak in it could take the whole host down. Set limits.memoryMb.");
        } else if (memory > config.maxMemoryMb) {
            report(`memory limit ${memory} MB is above the ${config.maxMemoryMb} MB allowed by this stack's policy config.`);
        }
    },
});

export const containerCpuLimit = containerPolicy({
    name: "container-cpu-limit",
    description: "Every container has a CPU limit. Fix: give the service limits.cpus.",
    enforcementLevel: "mandatory",
    check: (props, report) => {
        const cpus = Number(props.cpus ?? 0);
        const quota = Number(props.cpuQuota ?? 0);
        if (!(cpus > 0) && !(quota > 0)) report("has no CPU limit; one busy container could starve the others. Set limits.cpus.");
    },
});
