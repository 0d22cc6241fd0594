/**
 * What a Service is given (ServiceArgs), the defaults it applies to every container (SERVICE_DEFAULTS), and the
 * checks of a spec it refuses before any resource is registered (serviceProblems). The component is
 * components/service.ts.
 */
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { ResourceLimits } from "./config";
import type { DockerDaemon } from "./host/host";
import { cpusAdvice, cpusInput } from "./dockerForms";
import { LOG_ATTRS_OPTS } from "./monitoring/logsConfig";
import type { Service } from "./service";
import { runsAsRoot } from "./validation";

/** How often and how patiently Docker probes a service. */
export interface HealthCheck {
    /** Docker HEALTHCHECK test, e.g. `["CMD", "pg_isready"]` or `["CMD-SHELL", "..."]`. */
    readonly test: string[];
    /** @default 10 */
    readonly intervalSeconds?: number;
    /** @default 5 */
    readonly timeoutSeconds?: number;
    /** @default 5 */
    readonly retries?: number;
    /** Grace period after start during which failures do not count. @default 10 */
    readonly startPeriodSeconds?: number;
}

/** A file placed in the container before it starts. */
export interface ServiceFile {
    /** Absolute path inside the container. */
    readonly path: string;
    readonly content: pulumi.Input<string>;
    /**
     * Marks the content secret: it is encrypted in Pulumi state, masked in
     * output, and written read-only (0444, as Docker's own secrets are).
     */
    readonly secret?: boolean;
    /**
     * A script that crond, the operator scripts or the entrypoint run directly: written 0555.
     * Without it the provider writes 0644 and running it fails with "Permission denied".
     * Content that starts with `#!` must set it (checked below).
     */
    readonly executable?: boolean;
}

export interface ServiceNetwork {
    readonly network: docker.Network;
    /** The name other containers use to reach this one. @default the service name */
    readonly alias?: string;
    /** More names on this network, e.g. the public domain on Caddy, so in-stack clients reach it directly. */
    readonly extraAliases?: readonly string[];
}

/** A host path, always mounted read-only. Only for what cannot work otherwise (log shipper, host metrics). */
export interface HostMount {
    readonly hostPath: string;
    readonly containerPath: string;
    /** Why this service needs the host path; shown in the plan. */
    readonly why: string;
}

export interface ServiceVolume {
    readonly volume: docker.Volume;
    readonly containerPath: string;
    readonly readOnly?: boolean;
}

/**
 * The provider's `ports` entries for one port. It sends one host address per entry, 0.0.0.0 when
 * `ip` is left out (kreuzwerker v4.5.0 internal/provider/resource_docker_container.go:509-523, HostIP
 * set from it in resource_docker_container_structures.go:247-250), so IPv6 takes an entry of its own;
 * an entry with ip "" would bind both families but read back as two entries, and `ports` forces a new
 * container (container.go:487-491). The IPv6 entry comes right after its IPv4 twin: the order the
 * provider reads back from Docker 27 and later, which sorts a port's bindings IPv4 first (moby v27.5.1
 * libnetwork/drivers/bridge/port_mapping_linux.go:199-249, sortAndNormPBs), grouped by container port
 * (kreuzwerker structures.go:35-59). With one port published twice the provider's diff suppression
 * never applies (container.go:1192-1247), so only that exact order reads back as no change. Docker 26
 * and older give a port's bindings back reversed (go-connections nat.SortPortMap, vendored in moby
 * v26.1.3 and v20.10.24), and no order survives that (scripts/lib/readBack/daemon.ts, portBindingOrder):
 * hosts that publish on IPv6 check the daemon's version in their bootstrap.
 */
export function publishedPorts(
    p: ServicePort,
    loopback: string,
): Array<{ internal: number; external: number; ip: string; protocol: "tcp" }> {
    const entry = (ip: string) => ({ internal: p.internal, external: p.external, ip, protocol: "tcp" as const });
    if (!p.public) return [entry(loopback)];
    return p.ipv6 ? [entry("0.0.0.0"), entry("::")] : [entry("0.0.0.0")];
}

export interface ServicePort {
    readonly internal: number;
    readonly external: number;
    /** Publish on every interface. Only Caddy's 80 and 443 should ever set it. @default false */
    readonly public?: boolean;
    /**
     * With `public`, publish on every IPv6 address (`::`) too. The container must be on a network with
     * IPv6 (components/platform/networks.ts explains why and what reads back). @default false
     */
    readonly ipv6?: boolean;
}

/**
 * An image the stack builds (docker.Image). `reference` is its repoDigest:
 * the image ID of a local build, or `repository@sha256:…` once pushed. It
 * changes only when the build's content does, so an unchanged checkout
 * replaces no container.
 */
export interface BuiltImage {
    readonly reference: pulumi.Output<string>;
    /** Pushed to a registry, so the host pulls it; otherwise it already sits on the daemon that runs it. */
    readonly pulled: boolean;
}

interface CommonServiceArgs {
    /**
     * The daemon the container runs on: what must be ready before it starts, and how a command reaches the daemon.
     * The Docker provider itself comes from the resource options (`providers`, given to the tier that holds the
     * service), as every Docker resource's does.
     */
    readonly daemon: DockerDaemon;
    /** Prefix of Docker object names, e.g. `freshtrack-dev`. */
    readonly namePrefix: string;
    /** Pinned image reference (a tag other than `latest`, or a digest), or an image this stack builds. */
    readonly image: string | BuiltImage;
    /**
     * Memory (MB, also the ceiling of memory plus swap) and CPUs (cores) of the container: the tier's limits for this
     * service (freshtrack:resources over the catalog's defaults, DEFAULT_LIMITS).
     */
    readonly limits: ResourceLimits;
    /** The container's command, in place of the image's CMD (Docker's `Cmd`). @default the image's */
    readonly command?: string[];
    /** The container's entrypoint, in place of the image's ENTRYPOINT. @default the image's */
    readonly entrypoint?: string[];
    /** Plain settings only. Secrets go in `files`; a secret-looking key is refused. */
    readonly env?: Readonly<Record<string, pulumi.Input<string>>>;
    /** Files the provider copies into the container before it starts: configs, scripts, and secrets (`secret`). */
    readonly files?: readonly ServiceFile[];
    /** At least one; the container never joins Docker's default bridge. */
    readonly networks: readonly ServiceNetwork[];
    /** Named volumes only; anonymous volumes are not expressible here on purpose. */
    readonly volumes?: readonly ServiceVolume[];
    /** Read-only host paths; the policy pack allows them per service only. */
    readonly hostMounts?: readonly HostMount[];
    /**
     * In-memory mounts by path in the container, each with its mount options, e.g.
     * `{ "/tmp": "rw,noexec,nosuid,size=16m" }`: writable scratch space beside a read-only root.
     */
    readonly tmpfs?: Readonly<Record<string, string>>;
    /** Ports published on the host: on 127.0.0.1 unless `public` (publishedPorts). @default none */
    readonly ports?: readonly ServicePort[];
    /** Capabilities added back after dropping ALL. @default [] */
    readonly capabilities?: readonly string[];
    /**
     * The `uid:gid` the process runs as, stated even where the image's own USER is the same, so the policy
     * pack and the plan see who runs each process. Root only with `rootReason`.
     */
    readonly user?: string;
    /**
     * Why this service runs as root (its image contract says what forces it). Required exactly when `user` is unset or
     * root.
     */
    readonly rootReason?: string;
    /**
     * Mount the root filesystem read-only (CIS Docker Benchmark 5.12): writes go to volumes and tmpfs only. Impossible
     * with `files`, which the provider copies into the container's root filesystem (see WRITABLE_FOR_FILES).
     */
    readonly readOnlyRoot?: boolean;
    /** Why the root filesystem stays writable, for a service without `files` that does not set `readOnlyRoot`. */
    readonly writableRootReason?: string;
    /**
     * Long-running services: the most processes and threads the container may hold (CIS 5.29). @default
     * SERVICE_DEFAULTS.pidsLimit
     */
    readonly pidsLimit?: number;
    /**
     * Jobs that must have exited 0 before this container is created. Ordering
     * alone is not enough: a job that fails still counts as created, so the
     * container also takes a label derived from each job's checked exit code,
     * and is never created when one failed.
     */
    readonly requires?: readonly Service[];
    /**
     * Container inputs whose changes must not replace it, e.g. a run-once job's
     * image, so an app update does not run it again.
     */
    readonly ignoreChanges?: readonly string[];
    /** Extra labels; a change replaces the container (for jobs: runs them again). */
    readonly labels?: Readonly<Record<string, string>>;
}

/** Replaceable without losing anything: a new container starts and turns healthy before the old one goes. */
export interface StatelessServiceArgs extends CommonServiceArgs {
    /** Replaced create-before-delete under a generated name, behind its network alias. */
    readonly kind: "stateless";
    /** How Docker tells it healthy: `pulumi up` waits for that, and a replacement turns healthy before the old goes. */
    readonly healthcheck: HealthCheck;
    /** Seconds `pulumi up` waits for the container to report healthy. @default 120 */
    readonly waitTimeoutSeconds?: number;
}

/** Holds data or a port that two copies cannot share, so it is stopped before its replacement starts. */
export interface StatefulServiceArgs extends CommonServiceArgs {
    /** One container under a fixed name (`<namePrefix>-<name>`), stopped before its replacement starts. */
    readonly kind: "stateful";
    /** Why this service cannot be replaced create-before-delete; shown in the plan. */
    readonly statefulReason: string;
    /** How Docker tells it healthy: `pulumi up` waits for that. */
    readonly healthcheck: HealthCheck;
    /** Seconds `pulumi up` waits for the container to report healthy. @default 120 */
    readonly waitTimeoutSeconds?: number;
}

/** Runs to completion once per change of its inputs; a non-zero exit fails the update. */
export interface JobServiceArgs extends CommonServiceArgs {
    /** `pulumi up` waits for it to exit, and fails on a non-zero code; it is not restarted, and has no health check. */
    readonly kind: "job";
}

export type ServiceArgs = StatelessServiceArgs | StatefulServiceArgs | JobServiceArgs;

/** Hardening and housekeeping every container gets. Changed here, changed everywhere. */
export const SERVICE_DEFAULTS = {
    logDriver: "json-file",
    // labels and tag put the container's stack, service and name into every json-file log line (`attrs`), where
    // promtail reads them from the files instead of the Docker API (LOG_ATTRS_OPTS in
    // components/monitoring/logsConfig.ts cites moby).
    logOpts: { "max-size": "10m", "max-file": "3", ...LOG_ATTRS_OPTS },
    securityOpts: ["no-new-privileges:true"],
    // Not CIS 5.15's on-failure:5, which gives up for good after five quick failures (moby v27.5.1
    // restartmanager/restartmanager.go:87-96) and restarts nothing that exited 0. Docker's own backoff bounds the load
    // instead: 100 ms doubling to at most one minute, reset only after a 10 s run (:12-16, :66-79); the argument is in
    // docs/operations.md, "Container hardening". Jobs use "no": a failed migration must not run again at the next boot.
    restart: "unless-stopped",
    waitTimeoutSeconds: 120,
    destroyGraceSeconds: 30,
    // Well above what any service here runs (PostgreSQL's 100 connections plus its workers are the most), far below
    // what exhausts the host (the kernel's pid_max is 4,194,304 on 64-bit hosts with systemd's default).
    pidsLimit: 512,
    healthcheck: { intervalSeconds: 10, timeoutSeconds: 5, retries: 5, startPeriodSeconds: 10 },
    secretFileMode: "0444",
    executableFileMode: "0555",
    loopback: "127.0.0.1",
} as const;

/**
 * The recorded reason of every service that keeps a writable root filesystem because it has files: the provider
 * copies uploads into the created container before starting it (kreuzwerker v4.5.0
 * resource_docker_container_funcs.go:549-558), and Docker refuses a copy into a read-only root filesystem unless
 * the destination is on a writable volume (moby v27.5.1 daemon/archive_unix.go:137-138, v20.10.24
 * daemon/archive.go:361-362; checked on this machine's engine: `docker cp` into a `--read-only` container fails
 * with "container rootfs is marked read-only", also when the destination is a tmpfs, which is mounted only at start).
 */
export const WRITABLE_FOR_FILES =
    "its files are copied into the container before it starts, and Docker refuses a copy into a read-only root filesystem";

/**
 * Why the service's root filesystem stays writable, as the component records it; nothing when it is read-only (or no
 * reason is known: refused).
 */
export function writableRootProps(args: ServiceArgs): { writableRootReason?: string } {
    if (args.readOnlyRoot) return {};
    const reason = args.writableRootReason ?? (args.files?.length ? WRITABLE_FOR_FILES : undefined);
    return reason ? { writableRootReason: reason } : {};
}

/** Env keys that look like credentials; their values belong in files. `*_FILE` pointers are fine. */
const SECRET_LOOKING_KEY = /(PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL)/i;

export function isSecretLookingEnvKey(key: string): boolean {
    return SECRET_LOOKING_KEY.test(key) && !/_FILE$/i.test(key);
}

/** Every invariant a spec breaks, in words that say how to fix it. */
export function serviceProblems(args: ServiceArgs): string[] {
    const problems: string[] = [];
    if (!(args.limits.memoryMb > 0)) problems.push("limits.memoryMb must be positive");
    if (!(args.limits.cpus > 0)) problems.push("limits.cpus must be positive");
    else if (cpusInput(args.limits.cpus) === undefined)
        problems.push(
            `limits.cpus ${args.limits.cpus} does not survive the provider's read-back (${cpusAdvice(args.limits.cpus)})`,
        );
    if (args.networks.length === 0)
        problems.push("at least one network is required (the default bridge is never used)");
    if (args.kind !== "job" && args.healthcheck.test.length === 0)
        problems.push("a long-running service needs a health check test");
    if (runsAsRoot(args.user) && !args.rootReason) {
        problems.push(
            `it runs as root (user ${args.user ?? "unset"}): set user to the non-root uid:gid its image contract allows, or say why in rootReason`,
        );
    }
    if (!runsAsRoot(args.user) && args.rootReason) problems.push(`rootReason is given, but it runs as ${args.user}`);
    if (args.readOnlyRoot && args.files?.length) problems.push(`readOnlyRoot with files: ${WRITABLE_FOR_FILES}`);
    if (args.readOnlyRoot && args.writableRootReason)
        problems.push("readOnlyRoot and writableRootReason contradict each other");
    if (!args.readOnlyRoot && !args.files?.length && !args.writableRootReason) {
        problems.push(
            "its root filesystem is writable: set readOnlyRoot (with a tmpfs or volume for what it writes), or say why in writableRootReason",
        );
    }
    for (const key of Object.keys(args.env ?? {})) {
        if (isSecretLookingEnvKey(key))
            problems.push(`env ${key} looks like a credential; deliver it as a secret file (and ${key}_FILE) instead`);
    }
    for (const f of args.files ?? []) {
        if (!f.path.startsWith("/")) problems.push(`file ${f.path} must be an absolute path`);
        if (!f.secret && !f.executable && typeof f.content === "string" && f.content.startsWith("#!")) {
            problems.push(`file ${f.path} is a script; mark it executable, or it is written 0644 and cannot be run`);
        }
    }
    return problems;
}
