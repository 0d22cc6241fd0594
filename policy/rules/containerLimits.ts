import { StackValidationPolicy } from "@pulumi/policy";
import { renderPidsLimitScript } from "../../components/host/pidsLimitScript";
import { containerPolicy, EXEMPT_SERVICES, labels, serviceName, TYPES } from "../lib";

export const containerMemoryLimit = containerPolicy({
    name: "container-memory-limit",
    description:
        "Every container has a memory limit no larger than the configured maximum. Fix: give the service limits in components/config/limits.ts DEFAULT_LIMITS or freshtrack:resources.",
    enforcementLevel: "mandatory",
    config: {
        maxMemoryMb: {
            type: "integer",
            default: 4096,
            description: "Largest memory limit one container may have, in MB.",
        },
    },
    check: (container, report, config: { maxMemoryMb: number }) => {
        const memory = container.memory;
        // What the program sent, which the type only describes: anything but a positive number is no limit.
        if (typeof memory !== "number" || memory <= 0) {
            report("has no memory limit; a leak in it could take the whole host down. Set limits.memoryMb.");
        } else if (memory > config.maxMemoryMb) {
            report(
                `memory limit ${memory} MB is above the ${config.maxMemoryMb} MB allowed by this stack's policy config.`,
            );
        }
    },
});

export const containerCpuLimit = containerPolicy({
    name: "container-cpu-limit",
    description: "Every container has a CPU limit. Fix: give the service limits.cpus.",
    enforcementLevel: "mandatory",
    check: (container, report) => {
        const cpus = Number(container.cpus ?? 0);
        const quota = Number(container.cpuQuota ?? 0);
        if (!(cpus > 0) && !(quota > 0))
            report("has no CPU limit; one busy container could starve the others. Set limits.cpus.");
    },
});

const COMMAND_TYPES = ["command:remote:Command", "command:local:Command"];

/**
 * The PID limit a command's script sets on one service's containers, or undefined when it sets none: the script must be
 * exactly what renderPidsLimitScript writes, so a comment, an echo, another service (a prefix such as `api` of
 * `api-old`), another stack's label, an early exit never counts, and a limit below 1 (which Docker takes as no limit)
 * is no limit.
 */
export function pidsLimitOf(script: string, stack: string, service: string): number | undefined {
    const m = /^docker update --pids-limit ([1-9][0-9]*) \$ids/m.exec(script);
    if (!m) return undefined;
    const limit = Number(m[1]);
    // Exactly the script Service renders for this stack, service and limit: nothing before the update can skip it (an
    // `exit`, a heredoc: the second attack pass), and nothing after can undo it.
    try {
        return script === renderPidsLimitScript(stack, service, limit) ? limit : undefined;
    } catch {
        return undefined; // a stack or service name the renderer refuses
    }
}

/**
 * The PID limit cannot be a container input (components/host/pidsLimit.ts says why), so the rule looks for the command
 * that sets it: a sibling of the container under the same Service whose script runs `docker update --pids-limit N` on
 * that service's containers of that stack. Only containers that run to completion (attached, never restarted: jobs)
 * are exempt, judged by those settings rather than by a label.
 */
export const containerPidsLimit: StackValidationPolicy = {
    name: "container-pids-limit",
    description:
        "Every long-running container gets a PID limit no larger than the configured maximum (CIS Docker 5.29). Fix: create it with the Service component, which applies pidsLimit after each create.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            maxPids: { type: "integer", default: 4096, description: "Largest PID limit one container may have." },
            exemptServices: EXEMPT_SERVICES,
        },
    },
    validateStack: (args, reportViolation) => {
        const config = args.getConfig<{ maxPids?: number; exemptServices?: string[] }>();
        const max = config.maxPids ?? 4096;
        for (const c of args.resources.filter(
            (r) => r.type === TYPES.container && !(r.props.attach === true && r.props.restart === "no"),
        )) {
            const service = serviceName(c.props, c.name);
            if ((config.exemptServices ?? []).includes(service)) continue;
            const stack = labels(c.props).stack ?? "";
            const parent = c.parent?.urn;
            const limits = args.resources
                .filter((r) => COMMAND_TYPES.includes(r.type) && parent !== undefined && r.parent?.urn === parent)
                .map((r) => pidsLimitOf(String(r.props.stdin ?? r.props.create ?? ""), stack, service))
                .filter((n): n is number => n !== undefined);
            if (limits.length === 0)
                reportViolation(
                    `${service}: no PID limit; a fork bomb or a thread leak in it could exhaust the host's processes.`,
                    c.urn,
                );
            else if (Math.max(...limits) > max)
                reportViolation(
                    `${service}: PID limit ${Math.max(...limits)} is above the ${max} allowed by this stack's policy config.`,
                    c.urn,
                );
        }
    },
};
