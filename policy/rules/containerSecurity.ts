import { StackValidationPolicy } from "@pulumi/policy";
import { runsAsRoot } from "../../components/validation";
import { containerPolicy, EXEMPT_SERVICES, hostBinds, serviceName, TYPES } from "../lib";

export const containerNotPrivileged = containerPolicy({
    name: "container-not-privileged",
    description: "No container runs privileged. Fix: add the one capability the service needs instead.",
    enforcementLevel: "mandatory",
    check: (container, report) => {
        if (container.privileged === true)
            report(
                "runs privileged, with every device and capability of the host. Grant the needed capability instead.",
            );
    },
});

export const containerHostNamespaces = containerPolicy({
    name: "container-no-host-namespaces",
    description:
        "No container shares the host's network, PID, IPC or user namespace. Fix: use the stack's networks and leave the namespace modes unset.",
    enforcementLevel: "mandatory",
    check: (container, report) => {
        for (const [field, label] of [
            ["networkMode", "network"],
            ["pidMode", "PID"],
            ["ipcMode", "IPC"],
            ["usernsMode", "user"],
        ] as const) {
            if (container[field] === "host") report(`shares the host's ${label} namespace (${field}: host).`);
        }
    },
});

export const containerNoNewPrivileges = containerPolicy({
    name: "container-no-new-privileges",
    description:
        "Every container sets no-new-privileges, so setuid binaries cannot raise privileges. Fix: keep the Service default securityOpts.",
    enforcementLevel: "mandatory",
    check: (container, report) => {
        const opts = container.securityOpts ?? [];
        if (!opts.some((o) => o === "no-new-privileges" || o === "no-new-privileges:true"))
            report("lacks securityOpts no-new-privileges:true.");
    },
});

export const containerCapabilities = containerPolicy({
    name: "container-capabilities",
    description:
        "Every container drops ALL capabilities and adds back only those its service is allowed. Fix: drop ALL and list the needed ones in the Service; widen perService in the policy config if a service truly needs more.",
    enforcementLevel: "mandatory",
    config: {
        perService: {
            type: "object",
            // PostgreSQL and Redis run as their own users and add nothing (issue 15, finding 10); test/catalog.test.ts
            // compares this list with the service catalog.
            default: {
                caddy: ["NET_BIND_SERVICE"],
                // busybox crond starts each job with initgroups/setuid, even as root.
                backup: ["SETUID", "SETGID"],
            },
            description: "Capabilities each service may add back, by service name.",
        },
    },
    check: (container, report, config: { perService: Record<string, string[]> }, args) => {
        const drops = container.capabilities?.drops ?? [];
        const adds = container.capabilities?.adds ?? [];
        if (!drops.includes("ALL"))
            report(
                "does not drop ALL capabilities; Docker's default set includes NET_RAW and others it does not need.",
            );
        const allowed = config.perService[serviceName(container, args.name)] ?? [];
        const extra = adds.filter((c) => !allowed.includes(c));
        if (extra.length > 0)
            report(`adds capabilities ${extra.join(", ")} beyond its allowlist (${allowed.join(", ") || "none"}).`);
    },
});

export const containerHostMounts = containerPolicy({
    name: "container-host-mounts",
    description:
        "No container mounts the Docker socket or another host path, except the read-only allowlist (the log shipper's container log directory, node-exporter's host root). Fix: use a named volume; add a path to allowed in the policy config only for a host agent.",
    enforcementLevel: "mandatory",
    config: {
        allowed: {
            type: "object",
            // promtail tails the json-file logs under the Docker data root (the droplet's is on the block volume,
            // components/monitoring/monitoringTier.ts dockerDataRoot); node-exporter reads the host's filesystems,
            // memory and CPU (its README mounts / read-only for --path.rootfs). The socket: container-no-docker-socket.
            default: {
                promtail: ["/var/lib/docker/containers", "/mnt/freshtrack-data/docker/containers"],
                "node-exporter": ["/"],
            },
            description: "Host paths each service may mount read-only, by service name.",
        },
    },
    check: (container, report, config: { allowed: Record<string, string[]> }, args) => {
        const allowed = config.allowed[serviceName(container, args.name)] ?? [];
        for (const b of hostBinds(container)) {
            if (!allowed.includes(b.path)) {
                report(
                    `mounts host path ${b.path}${b.path.endsWith("docker.sock") ? " (control of the whole host)" : ""}; use a named volume.`,
                );
            } else if (!b.readOnly) {
                report(`mounts ${b.path} writable; the allowlist permits it read-only only.`);
            }
        }
    },
});

/**
 * The hardening a container does without must be explained where the service is declared: the Service component records
 * `runsAsRootReason` and `writableRootReason` (components/service.ts). These rules read them from the container's
 * parent, so the advisory findings are exactly the exceptions, each with its reason, and an unexplained one blocks the
 * deploy.
 */
function hardeningPolicy(p: {
    name: string;
    description: string;
    enforcementLevel: "advisory" | "mandatory";
    /** The exception this container takes, or undefined when it takes none. */
    exception: (props: Record<string, any>) => string | undefined;
    reasonKey: string;
    /** With a reason: reported (advisory); without: reported (mandatory). */
    reportWhen: "reason" | "noReason";
}): StackValidationPolicy {
    return {
        name: p.name,
        description: p.description,
        enforcementLevel: p.enforcementLevel,
        configSchema: {
            properties: {
                exemptServices: EXEMPT_SERVICES,
            },
        },
        validateStack: (args, reportViolation) => {
            const exempt = args.getConfig<{ exemptServices?: string[] }>().exemptServices ?? [];
            for (const c of args.resources.filter((r) => r.type === TYPES.container)) {
                const exception = p.exception(c.props);
                if (!exception || exempt.includes(serviceName(c.props, c.name))) continue;
                const reason =
                    c.parent?.type === TYPES.service ? (c.parent.props[p.reasonKey] as string | undefined) : undefined;
                const service = serviceName(c.props, c.name);
                if (p.reportWhen === "reason" && reason)
                    reportViolation(`${service}: ${exception}, because ${reason}.`, c.urn);
                if (p.reportWhen === "noReason" && !reason) {
                    reportViolation(
                        `${service}: ${exception}, and its Service records no ${p.reasonKey}. Fix: harden it, or record why it cannot be.`,
                        c.urn,
                    );
                }
            }
        },
    };
}

const ROOT = (props: Record<string, any>) =>
    runsAsRoot(props.user as string | undefined) ? `runs as root (user ${props.user ?? "unset"})` : undefined;
const WRITABLE_ROOT = (props: Record<string, any>) =>
    props.readOnly === true ? undefined : "has a writable root filesystem";

export const containerReadOnlyRootfs = hardeningPolicy({
    name: "container-read-only-rootfs",
    description:
        "Lists the containers that keep a writable root filesystem (CIS Docker 5.12), each with the reason its Service records (advisory). Fix: set readOnlyRoot once the reason is gone.",
    enforcementLevel: "advisory",
    exception: WRITABLE_ROOT,
    reasonKey: "writableRootReason",
    reportWhen: "reason",
});

export const containerNonRootUser = hardeningPolicy({
    name: "container-non-root-user",
    description:
        "Lists the containers that run as root (CIS Docker 4.1), each with the reason its Service records (advisory). Fix: set a non-root user once the reason is gone.",
    enforcementLevel: "advisory",
    exception: ROOT,
    reasonKey: "runsAsRootReason",
    reportWhen: "reason",
});

export const containerRootExplained = hardeningPolicy({
    name: "container-root-explained",
    description:
        "A container runs as root only when its Service says why. Fix: set user to the non-root uid:gid its image contract allows, or give rootReason.",
    enforcementLevel: "mandatory",
    exception: ROOT,
    reasonKey: "runsAsRootReason",
    reportWhen: "noReason",
});

export const containerWritableRootExplained = hardeningPolicy({
    name: "container-writable-root-explained",
    description:
        "A container keeps a writable root filesystem only when its Service says why. Fix: set readOnlyRoot with a tmpfs or volume for what it writes, or give writableRootReason.",
    enforcementLevel: "mandatory",
    exception: WRITABLE_ROOT,
    reasonKey: "writableRootReason",
    reportWhen: "noReason",
});
