import { containerPolicy, serviceName } from "../lib";

export const containerNotPrivileged = containerPolicy({
    name: "container-not-privileged",
    description: "No container runs privileged. Fix: add the one capability the service needs instead.",
    enforcementLevel: "mandatory",
    check: (props, report) => {
        if (props.privileged === true) report("runs privileged, with every device and capability of the host. Grant the needed capability instead.");
    },
});

export const containerHostNamespaces = containerPolicy({
    name: "container-no-host-namespaces",
    description: "No container shares the host's network, PID, IPC or user namespace. Fix: use the stack's networks and leave the namespace modes unset.",
    enforcementLevel: "mandatory",
    check: (props, report) => {
        for (const [field, label] of [["networkMode", "network"], ["pidMode", "PID"], ["ipcMode", "IPC"], ["usernsMode", "user"]] as const) {
            if (props[field] === "host") report(`shares the host's ${label} namespace (${field}: host).`);
        }
    },
});

export const containerNoNewPrivileges = containerPolicy({
    name: "container-no-new-privileges",
    description: "Every container sets no-new-privileges, so setuid binaries cannot raise privileges. Fix: keep the Service default securityOpts.",
    enforcementLevel: "mandatory",
    check: (props, report) => {
        const opts = (props.securityOpts ?? []) as string[];
        if (!opts.some((o) => o === "no-new-privileges" || o === "no-new-privileges:true")) report("lacks securityOpts no-new-privileges:true.");
    },
});

export const containerCapabilities = containerPolicy({
    name: "container-capabilities",
    description: "Every container drops ALL capabilities and adds back only those its service is allowed. Fix: drop ALL and list the needed ones in the Service; widen perService in the policy config if a service truly needs more.",
    enforcementLevel: "mandatory",
    config: {
        perService: {
            type: "object",
            default: {
                postgres: ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID"],
                redis: ["CHOWN", "SETUID", "SETGID"],
                caddy: ["NET_BIND_SERVICE"],
                // busybox crond starts each job with initgroups/setuid, even as root.
                backup: ["SETUID", "SETGID"],
            },
            description: "Capabilities each service may add back, by service name.",
        },
    },
    check: (props, report, config, args) => {
        const drops = (props.capabilities?.drops ?? []) as string[];
        const adds = (props.capabilities?.adds ?? []) as string[];
        if (!drops.includes("ALL")) report("does not drop ALL capabilities; Docker's default set includes NET_RAW and others it does not need.");
        const allowed = ((config.perService as Record<string, string[]>)[serviceName(props, args.name)] ?? []) as string[];
        const extra = adds.filter((c) => !allowed.includes(c));
        if (extra.length > 0) report(`adds capabilities ${extra.join(", ")} beyond its allowlist (${allowed.join(", ") || "none"}).`);
    },
});

export const containerHostMounts = containerPolicy({
    name: "container-host-mounts",
    description: "No container mounts the Docker socket or another host path, except the read-only allowlist (the log shipper's container log directory, node-exporter's host root). Fix: use a named volume; add a path to allowed in the policy config only for a host agent.",
    enforcementLevel: "mandatory",
    config: {
        allowed: {
            type: "object",
            // promtail tails the json-file logs under the Docker data root (the droplet's is on the block volume,
            // components/monitoring/monitoringTier.ts dockerDataRoot); node-exporter reads the host's filesystems,
            // memory and CPU (its README mounts / read-only for --path.rootfs). The socket: container-no-docker-socket.
            default: { promtail: ["/var/lib/docker/containers", "/mnt/freshtrack-data/docker/containers"], "node-exporter": ["/"] },
            description: "Host paths each service may mount read-only, by service name.",
        },
    },
    check: (props, report, config, args) => {
        const allowed = ((config.allowed as Record<string, string[]>)[serviceName(props, args.name)] ?? []) as string[];
        const binds: Array<{ path: string; readOnly: boolean }> = [
            ...((props.volumes ?? []) as Array<{ hostPath?: string; readOnly?: boolean }>).filter((v) => v.hostPath).map((v) => ({ path: v.hostPath!, readOnly: v.readOnly === true })),
            ...((props.mounts ?? []) as Array<{ type?: string; source?: string; readOnly?: boolean }>).filter((m) => m.type === "bind").map((m) => ({ path: m.source ?? "", readOnly: m.readOnly === true })),
        ];
        for (const b of binds) {
            if (!allowed.includes(b.path)) {
                report(`mounts host path ${b.path}${b.path.endsWith("docker.sock") ? " (control of the whole host)" : ""}; use a named volume.`);
            } else if (!b.readOnly) {
                report(`mounts ${b.path} writable; the allowlist permits it read-only only.`);
            }
        }
    },
});

export const containerReadOnlyRootfs = containerPolicy({
    name: "container-read-only-rootfs",
    description: "Containers run with a read-only root filesystem where the image allows it (advisory). Fix: set readOnly and give writable paths a tmpfs or volume.",
    enforcementLevel: "advisory",
    check: (props, report) => {
        if (props.readOnly !== true) report("has a writable root filesystem.");
    },
});

export const containerNonRootUser = containerPolicy({
    name: "container-non-root-user",
    description: "Containers run as a non-root user where the image allows it (advisory). Fix: set user, or use an image that drops root itself.",
    enforcementLevel: "advisory",
    check: (props, report) => {
        const user = String(props.user ?? "");
        if (user === "" || user === "root" || user === "0" || user.startsWith("0:") || user.startsWith("root:")) report("runs as root unless its image drops privileges itself.");
    },
});
