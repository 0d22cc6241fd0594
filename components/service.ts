import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { cpusInput, goDuration } from "./dockerForms";
import { runsAsRoot } from "./validation";
import { pidsLimitCommand } from "./host/pidsLimit";
import {
    HealthCheck,
    publishedPorts,
    SERVICE_DEFAULTS,
    ServiceArgs,
    serviceProblems,
    writableRootProps,
} from "./serviceArgs";

export * from "./serviceArgs";

/** When a Service pulls its image, beside what ServiceArgs says of the container. */
export interface ImagePullArgs {
    /**
     * Resources the pull of the image waits for (the RemoteImage's `dependsOn`): the check that the FreshTrack images
     * can be had (components/preflight/appImageCheck.ts), so that a user without them is told what to do before any
     * is pulled. @default none: the pull starts once the provider is configured, beside everything else
     */
    readonly imageDependsOn?: readonly pulumi.Resource[];
}

/**
 * The one way this program runs a container: the hardened defaults above,
 * plus what the service file says is special about it.
 */
export class Service extends pulumi.ComponentResource {
    readonly container: docker.Container;
    /** The pull of the service's image; absent for an image built on the daemon that runs it. */
    readonly image?: docker.RemoteImage;
    /** The network alias other services use to reach this one. */
    readonly alias: string;
    /**
     * Jobs only: resolves to 0, or fails the update with the job's exit code. In a preview, a failed exit code
     * kept from an earlier update resolves to that code with a warning naming the command that runs it again.
     */
    readonly exitCode?: pulumi.Output<number>;
    /** Long-running services: the command that applies the container's PID limit (components/host/pidsLimit.ts). */
    readonly pidsLimit?: pulumi.Resource;

    constructor(name: string, args: ServiceArgs & ImagePullArgs, opts?: pulumi.ComponentResourceOptions) {
        // Recorded on the component so the plan and state show why a service is stateful.
        super(
            "freshtrack:services:Service",
            name,
            {
                kind: args.kind,
                ...(args.kind === "stateful" ? { statefulReason: args.statefulReason } : {}),
                ...(args.hostMounts?.length
                    ? { hostMounts: args.hostMounts.map((m) => `${m.hostPath}: ${m.why}`) }
                    : {}),
                // Read by the policy pack (container-non-root-user, container-read-only-rootfs) and shown in the plan.
                ...(runsAsRoot(args.user) && args.rootReason ? { runsAsRootReason: args.rootReason } : {}),
                ...writableRootProps(args),
            },
            // `dependsOn` is the container's, not the component's: a component waits for it before it registers, so
            // its image would be pulled only once every dependency exists, where the container alone waits for them.
            { ...opts, dependsOn: undefined },
        );
        validateServiceArgs(name, args, this);
        this.alias = name;
        const defaults = SERVICE_DEFAULTS;
        // The container and its image take the Docker provider from this component's (its tier's `providers`).
        if (!this.getProvider("docker:index/container:Container")) {
            throw new pulumi.ResourceError(
                `service '${name}' has no Docker provider: create it under a component given { providers: [host.provider] }`,
                this,
            );
        }
        const after = resourceList(name, opts?.dependsOn, this);
        const childOpts = { parent: this };

        const built = typeof args.image === "string" ? undefined : args.image;
        if (!built || built.pulled) {
            this.image = new docker.RemoteImage(
                `${name}-image`,
                // Kept when the resource goes, so a rollback to a recent version needs no pull; the host's daily prune
                // removes it once no container uses it and it is 30 days old (IMAGE_PRUNE_SERVICE, host/bootstrap.ts).
                { name: built ? built.reference : (args.image as string), keepLocally: true },
                args.imageDependsOn?.length ? { ...childOpts, dependsOn: [...args.imageDependsOn] } : childOpts,
            );
        }
        const imageId = this.image ? this.image.imageId : built!.reference;

        const required = args.requires ?? [];
        const labels: docker.types.input.ContainerLabel[] = [
            { label: "com.freshtrack.stack", value: args.namePrefix },
            { label: "com.freshtrack.service", value: name },
            { label: "com.freshtrack.kind", value: args.kind },
        ];
        if (required.length > 0) {
            const exitCodes = required.map((job) => {
                if (!job.exitCode)
                    throw new pulumi.ResourceError(
                        `service '${name}' requires '${job.alias}', which is not a job`,
                        this,
                    );
                return job.exitCode;
            });
            const names = required.map((j) => j.alias).join(",");
            // In an update the label waits for every required job's exit code, which fails this service when a job
            // failed. In a preview the code of a job about to be replaced is unknown (exit_code is Computed:
            // kreuzwerker v4.5.0 internal/provider/resource_docker_container.go:129-133), which would make the label
            // unknown, and labels force a replacement (ibid. :833-840): every job replaced on its own previewed
            // everything that requires it as replaced too, which the update, where the label resolves to the same text,
            // never does.
            labels.push({
                label: "com.freshtrack.requires",
                value: pulumi.runtime.isDryRun() ? names : pulumi.all(exitCodes).apply(() => names),
            });
        }
        for (const [key, value] of Object.entries(args.labels ?? {}))
            labels.push({ label: `com.freshtrack.${key}`, value });

        const healthcheck = args.kind === "job" ? undefined : toDockerHealthcheck(args.healthcheck);

        this.container = new docker.Container(
            name,
            {
                // Stateful containers keep one fixed name. Others are left unnamed: Pulumi auto-names
                // them `<name>-<random>`, so a replacement can run beside the one it replaces.
                ...(args.kind === "stateful" ? { name: `${args.namePrefix}-${name}` } : {}),
                image: imageId,
                ...(args.command ? { command: args.command } : {}),
                ...(args.entrypoint ? { entrypoints: args.entrypoint } : {}),
                envs: Object.entries(args.env ?? {}).map(([k, v]) => pulumi.interpolate`${k}=${v}`),
                // The provider writes an upload 0644 unless `permissions` says otherwise
                // (kreuzwerker v4.5.0 resource_docker_container_funcs.go:549-558), so modes are always explicit.
                uploads: (args.files ?? []).map((f) =>
                    f.secret
                        ? { file: f.path, content: pulumi.secret(f.content), permissions: defaults.secretFileMode }
                        : {
                              file: f.path,
                              content: f.content,
                              ...(f.executable ? { permissions: defaults.executableFileMode } : {}),
                          },
                ),
                memory: args.limits.memoryMb,
                // A hard ceiling: without memorySwap equal to memory, Docker lets the container swap as much again.
                memorySwap: args.limits.memoryMb,
                // Written as the provider reads it back ("1.0", not "1"), or every update would replace the container.
                cpus: cpusInput(args.limits.cpus)!,
                healthcheck,
                ...(args.kind === "job"
                    ? // Wait for the job to exit and leave the stopped container alone afterwards
                      // (mustRun would restart it on every update).
                      { attach: true, logs: true, mustRun: false, restart: "no" }
                    : {
                          wait: true,
                          waitTimeout: args.waitTimeoutSeconds ?? defaults.waitTimeoutSeconds,
                          restart: defaults.restart,
                          destroyGraceSeconds: defaults.destroyGraceSeconds,
                      }),
                logDriver: defaults.logDriver,
                logOpts: { ...defaults.logOpts },
                securityOpts: [...defaults.securityOpts],
                capabilities: { drops: ["ALL"], adds: [...(args.capabilities ?? [])] },
                ...(args.user ? { user: args.user } : {}),
                ...(args.readOnlyRoot ? { readOnly: true } : {}),
                ...(args.tmpfs ? { tmpfs: { ...args.tmpfs } } : {}),
                networksAdvanced: args.networks.map((n) => ({
                    name: n.network.name,
                    aliases: [n.alias ?? name, ...(n.extraAliases ?? [])],
                })),
                volumes: [
                    ...(args.volumes ?? []).map((v) => ({
                        volumeName: v.volume.name,
                        containerPath: v.containerPath,
                        readOnly: v.readOnly ?? false,
                    })),
                    ...(args.hostMounts ?? []).map((m) => ({
                        hostPath: m.hostPath,
                        containerPath: m.containerPath,
                        readOnly: true,
                    })),
                ],
                ports: (args.ports ?? []).flatMap((p) => publishedPorts(p, defaults.loopback)),
                labels,
            },
            {
                ...childOpts,
                dependsOn: [...args.daemon.ready, ...after, ...required],
                // The provider asks for delete-before-replace on every container; an explicit value
                // overrides it (pulumi/pulumi pkg/resource/deploy/step_generator.go, goal.DeleteBeforeReplace).
                // Only a stateful service, whose name, port or volume cannot be shared, pays the downtime.
                deleteBeforeReplace: args.kind === "stateful",
                // The provider records a changed health check or tmpfs in state but never applies it to the
                // running container (kreuzwerker resourceDockerContainerUpdate), so replace the container.
                replaceOnChanges: ["healthcheck", "tmpfs"],
                ...(args.ignoreChanges?.length ? { ignoreChanges: [...args.ignoreChanges] } : {}),
            },
        );

        if (args.kind !== "job") {
            this.pidsLimit = pidsLimitCommand(
                `${name}-pids-limit`,
                {
                    daemon: args.daemon,
                    stackLabel: args.namePrefix,
                    service: name,
                    limit: args.pidsLimit ?? defaults.pidsLimit,
                    containerId: this.container.id,
                },
                { parent: this },
            );
        }

        if (args.kind === "job") {
            // A failed job stays in the state with its exit code: the provider waits for the exit and records the
            // code without failing the create (kreuzwerker v4.5.0 resource_docker_container_funcs.go:631-673, 816),
            // and a later run with the same inputs is a same step that hands this code back, in a preview as in an
            // update (pulumi/pulumi v3.259.0 pkg/resource/deploy/step.go:177-179). Only a replacement runs it again.
            const stack = pulumi.getStack();
            const container = this.container;
            this.exitCode = pulumi.all([container.exitCode, container.urn]).apply(([code, urn]) => {
                if (code === undefined || code === null || code === 0) return code ?? 0;
                const retry =
                    `once the cause is fixed, run it again: npm run deploy -- ${stack} (it replaces failed jobs), ` +
                    `or pulumi up --stack ${stack} --replace '${urn}' (docs/troubleshooting.md, "A failed job")`;
                if (pulumi.runtime.isDryRun()) {
                    // A preview cannot run the job again; failing it would hide the rest of the plan.
                    pulumi.log.warn(
                        `job '${name}' exited with code ${code} in an earlier update and is kept with that result, so a plain 'pulumi up' stops here; ${retry}`,
                        container,
                    );
                    return code;
                }
                // Also when the code is an earlier update's: the update must not go on as if the job had run.
                throw new pulumi.ResourceError(
                    `job '${name}' exited with code ${code}; see its output above or 'docker logs' of the container. ` +
                        `A job whose inputs do not change is not run again by itself; ${retry}`,
                    this,
                );
            });
        }

        this.registerOutputs({
            containerName: this.container.name,
            alias: this.alias,
            ...(this.exitCode ? { exitCode: this.exitCode } : {}),
        });
    }
}

function toDockerHealthcheck(h: HealthCheck): docker.types.input.ContainerHealthcheck {
    const d = SERVICE_DEFAULTS.healthcheck;
    return {
        tests: h.test,
        // Durations as Go prints them, the form they are read back in ("1m0s", not "60s"): the health
        // check replaces the container on any change, so a drifting form would replace it on every update.
        interval: goDuration(h.intervalSeconds ?? d.intervalSeconds),
        timeout: goDuration(h.timeoutSeconds ?? d.timeoutSeconds),
        retries: h.retries ?? d.retries,
        startPeriod: goDuration(h.startPeriodSeconds ?? d.startPeriodSeconds),
    };
}

/** Refuses specs that would break an invariant, before anything is registered. */
/** A service's `dependsOn`, which its container waits for: a list of resources, as every caller gives it. */
function resourceList(name: string, dependsOn: pulumi.ComponentResourceOptions["dependsOn"], parent: pulumi.Resource) {
    if (dependsOn === undefined) return [];
    const list: unknown[] = Array.isArray(dependsOn) ? dependsOn : [dependsOn];
    if (list.every((r) => pulumi.Resource.isInstance(r))) return list as pulumi.Resource[];
    throw new pulumi.ResourceError(`service '${name}': give dependsOn as a list of resources, not outputs`, parent);
}

function validateServiceArgs(name: string, args: ServiceArgs, parent: pulumi.Resource): void {
    const problems = serviceProblems(args);
    if (problems.length > 0) {
        throw new pulumi.ResourceError(`service '${name}' is unsafe: ${problems.join("; ")}`, parent);
    }
}
