import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { DockerDaemon } from "./host";
import { renderPidsLimitScript } from "./pidsLimitScript";

export { renderPidsLimitScript } from "./pidsLimitScript";

/**
 * A PID limit for every long-running container (CIS Docker Benchmark 1.6, 5.29), which bounds a fork bomb or a
 * thread leak to its own container.
 *
 * Neither the provider nor the daemon can set one at create: docker_container has no pids_limit input
 * (kreuzwerker/terraform-provider-docker v4.5.0 internal/provider/resource_docker_container.go; only `ulimit`,
 * :561-575, and an nproc ulimit counts every process of the uid on the host, not the container's), and dockerd has no
 * default PID limit (moby v27.5.1 daemon/config/config_linux.go:80 offers default-ulimits only). The Engine API sets it
 * on a running container (`POST /containers/{id}/update`, moby v27.5.1
 * api/server/router/container/container_routes.go:436-449), which persists it in the container's host config, so it
 * outlives a restart of the container or of the daemon.
 *
 * So a command runs `docker update --pids-limit` right after the container is created, and again whenever it is
 * replaced (its ID is a trigger). The provider never undoes it: an in-place update of memory, CPUs or the restart
 * policy sends a Resources struct without PidsLimit (kreuzwerker v4.5.0 resource_docker_container_funcs.go:1032-1066),
 * and the daemon leaves an absent PidsLimit as it is (moby v27.5.1 container/container_unix.go:326-327,
 * daemon/daemon_unix.go:122-125). The provider does not read PidsLimit back, so the limit never shows as drift.
 *
 * The gap, said plainly: the container runs for the seconds between its start and this command without the limit,
 * and run-once jobs get none (they have exited before a command could run). Memory and CPU limits bound both.
 * What would close it (the attack pass): the provider's `cgroup_parent` placing containers in a systemd slice whose
 * TasksMax limits them from their first process, jobs included. Not taken here: only the droplet and ssh bootstraps
 * could make the slices (the local target cannot), and one slice holds every container of a service at once (the old
 * and the new one during a replacement), so it is a limit per service rather than per container.
 */
export interface PidsLimitArgs {
    /**
     * Where the containers run (the Service's `daemon`, from the host): the command goes over its SSH connection as the
     * deploy user, or runs on this machine against its `dockerHost` when it has no connection (the local target).
     */
    readonly daemon: DockerDaemon;
    /** The stack's `com.freshtrack.stack` label value (namePrefix) and the service's name: the containers to limit. */
    readonly stackLabel: string;
    /** The service's name, its `com.freshtrack.service` label value (the Service's name). */
    readonly service: string;
    /**
     * The most processes and threads each container may hold, a count (the Service's `pidsLimit`, by default
     * SERVICE_DEFAULTS.pidsLimit).
     */
    readonly limit: number;
    /** The container's ID: a replacement runs the command again. */
    readonly containerId: pulumi.Input<string>;
}

/**
 * The command that applies the limit where the target's daemon runs: over SSH as the deploy user, or on this machine.
 */
export function pidsLimitCommand(
    name: string,
    args: PidsLimitArgs,
    opts: pulumi.CustomResourceOptions,
): command.remote.Command | command.local.Command {
    const script = renderPidsLimitScript(args.stackLabel, args.service, args.limit);
    const common = { create: "sh -s", stdin: script, triggers: [args.containerId, script] };
    if (args.daemon.connection)
        return new command.remote.Command(name, { ...common, connection: { ...args.daemon.connection } }, opts);
    return new command.local.Command(
        name,
        {
            ...common,
            ...(args.daemon.dockerHost !== undefined ? { environment: { DOCKER_HOST: args.daemon.dockerHost } } : {}),
        },
        opts,
    );
}
