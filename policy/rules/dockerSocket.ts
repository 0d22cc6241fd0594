/**
 * No container holds the Docker API socket (issue 15, finding 6; CIS Docker Benchmark 1.6, 5.32). A
 * read-only bind does not limit the API: connect() on a socket is not a write to the filesystem, and the
 * API then does whatever the request asks (components/imageContracts/, promtail's notes). A directory
 * that holds the socket counts too: Docker bind-mounts recursively unless told otherwise (moby v27.5.1
 * daemon/oci_linux.go:627-630, "rbind"), so `/`, `/run`, `/var` or `/var/run` bring /run/docker.sock along.
 */
import { runsAsRoot } from "../../components/validation";
import { containerPolicy, hostBinds } from "../lib";

/** Where dockerd listens by default, and the directories that hold it (/var/run is a link to /run). */
const SOCKET_PATHS = ["/var/run/docker.sock", "/run/docker.sock"];

function normalise(p: string): string {
    const trimmed = p.replace(/\/+$/, "");
    return trimmed === "" ? "/" : trimmed;
}

/** Whether a host path is the Docker socket, another `docker.sock`, or a directory a socket path lies under. */
export function exposesDockerSocket(hostPath: string): boolean {
    const p = normalise(hostPath);
    if (p.endsWith("/docker.sock")) return true;
    return SOCKET_PATHS.some((s) => s === p || p === "/" || s.startsWith(`${p}/`));
}

export const containerNoDockerSocket = containerPolicy({
    name: "container-no-docker-socket",
    description:
        "No container mounts the Docker socket, or a host directory that holds it, even read-only (CIS 5.32: read-only does not limit the API). The only exceptions are named in the config: a filtering read-only socket proxy on an internal network, and host-root readers that run as a user the socket refuses. Fix: read logs from <data-root>/containers (components/monitoring/logsConfig.ts), not the API.",
    enforcementLevel: "mandatory",
    config: {
        socketProxy: {
            type: "string",
            default: "",
            description:
                "The one service allowed the socket itself: a filtering, read-only API proxy on an internal network. None in this program.",
        },
        hostRootReaders: {
            type: "object",
            // node-exporter mounts / for --path.rootfs, which brings /run/docker.sock along. It runs as nobody (uid
            // 65534, prometheus/node_exporter@v1.8.2 Dockerfile:11; components/imageContracts/) with every capability
            // dropped, and the socket is root:docker 0660 (moby v27.5.1 daemon/listeners/listeners_linux.go:46 creates
            // it with the docker group), so its connect() is refused. It must never be given a root user; it states the
            // image's own (components/monitoring/monitoringTier.ts).
            default: { "node-exporter": ["/"] },
            description:
                "Services that may mount a directory holding the socket (never the socket), read-only and only as the image's non-root user.",
        },
    },
    check: (container, report, config: { socketProxy: string; hostRootReaders: Record<string, string[]> }, args) => {
        const service = (container.labels ?? []).find((l) => l.label === "com.freshtrack.service")?.value ?? args.name;
        for (const b of hostBinds(container).filter((x) => exposesDockerSocket(x.path))) {
            const p = normalise(b.path);
            const isSocket = p.endsWith(".sock");
            if (isSocket && config.socketProxy !== "" && service === config.socketProxy && b.readOnly) continue;
            const rootReader = (config.hostRootReaders[service] ?? []).includes(p);
            const user = container.user;
            if (!isSocket && rootReader && b.readOnly && (user === undefined || user === "" || !runsAsRoot(user)))
                continue;
            report(
                isSocket
                    ? `mounts the Docker socket ${b.path}${b.readOnly ? " (read-only does not limit the API)" : ""}: whoever holds it controls the host.`
                    : `mounts ${b.path}, which holds the Docker socket (bind mounts are recursive)${rootReader ? ", and runs as root or is writable" : ""}.`,
            );
        }
    },
});
