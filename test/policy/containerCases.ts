/**
 * The container rules' cases in the compliance-policies pattern: a compliant baseline for every service of the catalog,
 * its container as the program registers it (containerBaseline.ts), and for each rule a case that changes ONE of its
 * properties and must break exactly that rule on every service's baseline (test/policy.stack.test.ts runs them).
 * `property` is a key of docker.ContainerArgs, so a case cannot name a property the provider does not have.
 */
import { renderCaddyfile } from "../../components/edge/caddyfile";
import { ContainerProps } from "../../policy/lib";
import type { Spec } from "./containerBaseline";

export interface PropertyCase {
    readonly policy: string;
    /** What the change is, for the test's name. */
    readonly change: string;
    readonly property: keyof ContainerProps;
    readonly value: (baseline: ContainerProps) => unknown;
    /** A substring of the violation's message (after "<service>: "), or how the service's spec words it. */
    readonly message: string | ((spec: Spec) => string);
    /** The rule skips one-shot jobs (containerPolicy's longRunningOnly): on a job's baseline it does not apply. */
    readonly longRunningOnly?: true;
    /** Other rules the same change breaks by design, each with a substring of its message. */
    readonly alsoBreaks?: ReadonlyArray<readonly [policy: string, message: string]>;
    /** Other values of the property that the rule accepts (the edges of what it allows). */
    readonly stillPasses?: readonly unknown[];
}

/** The status site as it was before issue 15: Uptime Kuma, setup and all, proxied with no auth. */
const OPEN_CADDYFILE = renderCaddyfile({
    email: "ops@example.com",
    tlsMode: "acme",
    sites: [{ address: "status.freshtrack.example.com", routes: [{ upstreams: ["uptime-kuma:3001"] }] }],
});

export const PROPERTY_CASES: PropertyCase[] = [
    {
        policy: "container-memory-limit",
        change: "no memory limit",
        property: "memory",
        value: () => undefined,
        message: "has no memory limit; a leak in it could take the whole host down. Set limits.memoryMb.",
    },
    {
        policy: "container-memory-limit",
        change: "a memory limit 1 MB above the maximum",
        property: "memory",
        value: () => 4097,
        message: "memory limit 4097 MB is above the 4096 MB allowed by this stack's policy config.",
        stillPasses: [4096],
    },
    {
        policy: "container-cpu-limit",
        change: "no CPU limit",
        property: "cpus",
        value: () => undefined,
        message: "has no CPU limit; one busy container could starve the others. Set limits.cpus.",
    },
    {
        policy: "container-healthcheck",
        change: "no health check",
        property: "healthcheck",
        value: () => undefined,
        message: "has no health check, so neither Docker nor the deploy can tell it is working.",
        longRunningOnly: true,
    },
    {
        policy: "container-healthcheck",
        change: "the image's health check turned off (NONE)",
        property: "healthcheck",
        value: (b) => ({ ...b.healthcheck, tests: ["NONE"] }),
        message: "has no health check",
        longRunningOnly: true,
    },
    {
        policy: "container-healthcheck",
        change: "a deploy that does not wait for health",
        property: "wait",
        value: () => false,
        message: "has a health check but the deploy does not wait for it (wait: true)",
        longRunningOnly: true,
    },
    {
        policy: "container-restart-policy",
        change: "restart no",
        property: "restart",
        value: () => "no",
        message:
            "restart policy 'no' leaves it down after a crash or reboot; use one of unless-stopped, always, on-failure.",
        longRunningOnly: true,
        stillPasses: ["always", "on-failure"],
    },
    {
        policy: "container-log-rotation",
        change: "json-file logs without max-file",
        property: "logOpts",
        value: (b) => Object.fromEntries(Object.entries(b.logOpts ?? {}).filter(([k]) => k !== "max-file")),
        message: "json-file logs without max-size and max-file grow until the disk is full.",
    },
    {
        policy: "container-log-rotation",
        change: "a log driver the stack does not rotate",
        property: "logDriver",
        value: () => "syslog",
        message: "log driver 'syslog' is not one this stack rotates",
        stillPasses: ["local"],
    },
    {
        policy: "image-pinned",
        change: "an image tagged latest",
        property: "image",
        value: () => "ghcr.io/freshtrack/backend:latest",
        message: "image 'ghcr.io/freshtrack/backend:latest' is not pinned.",
        stillPasses: ["ghcr.io/freshtrack/backend:1.4.2", `ghcr.io/freshtrack/backend@sha256:${"a".repeat(64)}`],
    },
    {
        policy: "container-not-privileged",
        change: "privileged",
        property: "privileged",
        value: () => true,
        message: "runs privileged, with every device and capability of the host.",
        stillPasses: [false],
    },
    ...(
        [
            ["networkMode", "network"],
            ["pidMode", "PID"],
            ["ipcMode", "IPC"],
            ["usernsMode", "user"],
        ] as const
    ).map(([property, label]): PropertyCase => ({
        policy: "container-no-host-namespaces",
        change: `${property} host`,
        property,
        value: () => "host",
        message: `shares the host's ${label} namespace (${property}: host).`,
    })),
    {
        policy: "container-no-new-privileges",
        change: "no securityOpts",
        property: "securityOpts",
        value: () => [],
        message: "lacks securityOpts no-new-privileges:true.",
        stillPasses: [["no-new-privileges"]],
    },
    {
        policy: "container-capabilities",
        change: "Docker's default capabilities kept",
        property: "capabilities",
        value: () => ({ drops: [], adds: [] }),
        message: "does not drop ALL capabilities",
    },
    {
        policy: "container-capabilities",
        change: "a capability added beyond the service's allowlist",
        property: "capabilities",
        value: () => ({ drops: ["ALL"], adds: ["NET_RAW"] }),
        // Beyond what the service's allowlist grants: what its spec adds back (test/policyConfig.test.ts).
        message: (spec) =>
            `adds capabilities NET_RAW beyond its allowlist (${spec.capabilities.join(", ") || "none"}).`,
    },
    {
        policy: "container-host-mounts",
        change: "a host directory mounted",
        property: "volumes",
        value: (b) => [...(b.volumes ?? []), { hostPath: "/srv/freshtrack", containerPath: "/data" }],
        message: "mounts host path /srv/freshtrack; use a named volume.",
    },
    {
        policy: "container-no-docker-socket",
        change: "the Docker socket mounted read-only",
        property: "volumes",
        value: (b) => [
            ...(b.volumes ?? []),
            { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true },
        ],
        message: "mounts the Docker socket /var/run/docker.sock (read-only does not limit the API): whoever holds it",
        // Any host path breaks container-host-mounts; the socket rule holds even where that allowlist has it (below).
        alsoBreaks: [["container-host-mounts", "mounts host path /var/run/docker.sock (control of the whole host)"]],
    },
    {
        policy: "container-published-ports",
        change: "a port published on every interface",
        property: "ports",
        value: () => [{ internal: 3000, external: 3000, ip: "0.0.0.0", protocol: "tcp" }],
        message: "publishes port 3000 on 0.0.0.0; bind it to 127.0.0.1.",
        stillPasses: [
            [{ internal: 3000, external: 3000, ip: "127.0.0.1" }],
            [{ internal: 3000, external: 3000, ip: "::1" }],
            [{ internal: 443, external: 443, ip: "0.0.0.0" }],
        ],
    },
    {
        policy: "container-no-secret-env",
        change: "a credential in env",
        property: "envs",
        value: (b) => [...(b.envs ?? []), "JWT_SECRET=hunter2"],
        message: "env JWT_SECRET carries a value; move it to a secret file and set JWT_SECRET_FILE.",
    },
    {
        policy: "caddy-admin-routes-authenticated",
        change: "a Caddyfile with the status site open",
        property: "uploads",
        // In place of the container's own Caddyfile (caddy's baseline has one; the rule reads the first).
        value: (b) => [
            ...(b.uploads ?? []).filter((u) => u.file !== "/etc/caddy/Caddyfile"),
            { file: "/etc/caddy/Caddyfile", content: OPEN_CADDYFILE },
        ],
        message: "status.freshtrack.example.com: every other path reaches an admin interface without basicauth.",
    },
];
