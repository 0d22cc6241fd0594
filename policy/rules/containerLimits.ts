import { StackValidationPolicy } from "@pulumi/policy";
import { containerPolicy, isJob, serviceName, TYPES } from "../lib";

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

const COMMAND_TYPES = ["command:remote:Command", "command:local:Command"];

/**
 * The PID limit cannot be a container input (components/host/pidsLimit.ts says why), so the rule looks for the command
 * that sets it: a sibling of the container under the same Service whose script runs `docker update --pids-limit N` on
 * that service's containers. Jobs are exempt: they have exited before any command could limit them.
 */
export const containerPidsLimit: StackValidationPolicy = {
    name: "container-pids-limit",
    description:
        "Every long-running container gets a PID limit no larger than the configured maximum (CIS Docker 5.29). Fix: create it with the Service component, which applies pidsLimit after each create.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { maxPids: { type: "integer", default: 4096, description: "Largest PID limit one container may have." } } },
    validateStack: (args, reportViolation) => {
        const max = (args.getConfig<{ maxPids?: number }>().maxPids ?? 4096) as number;
        for (const c of args.resources.filter((r) => r.type === TYPES.container && !isJob(r.props))) {
            const service = serviceName(c.props, c.name);
            const parent = c.parent?.urn;
            const limits = args.resources
                .filter((r) => COMMAND_TYPES.includes(r.type) && parent !== undefined && r.parent?.urn === parent)
                .map((r) => String(r.props.stdin ?? r.props.create ?? ""))
                .filter((script) => script.includes(`label=com.freshtrack.service=${service}`))
                .map((script) => /docker update --pids-limit (\d+) /.exec(script))
                .filter((m): m is RegExpExecArray => m !== null)
                .map((m) => Number(m[1]));
            if (limits.length === 0) reportViolation(`${service}: no PID limit; a fork bomb or a thread leak in it could exhaust the host's processes.`, c.urn);
            else if (Math.max(...limits) > max) reportViolation(`${service}: PID limit ${Math.max(...limits)} is above the ${max} allowed by this stack's policy config.`, c.urn);
        }
    },
};
