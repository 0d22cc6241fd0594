/** Uptime Kuma: the status page and its checks of the stack's sites, from outside in. */
import type * as pulumi from "@pulumi/pulumi";
import { Service } from "../service";
import { MonitoringContext } from "./context";
import { imageOf } from "../catalog";

export function uptimeKuma(ctx: MonitoringContext, parent: pulumi.Resource): Service {
    return new Service(
        "uptime-kuma",
        {
            daemon: ctx.daemon,
            namePrefix: ctx.namePrefix,
            kind: "stateful",
            statefulReason: "its monitors and history live in one SQLite file",
            image: imageOf("uptime-kuma"),
            // The image runs as root and has no other user for /app/data (components/imageContracts/).
            rootReason: "its database sits in a volume that earlier releases filled as root; it holds no capability",
            // It writes only /app/data (components/imageContracts/), and Node's temporary files go to the tmpfs.
            readOnlyRoot: true,
            tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" },
            limits: ctx.limits["uptime-kuma"],
            volumes: [{ volume: ctx.volumes["uptime-kuma-data"], containerPath: "/app/data" }],
            // The image's entrypoint ends in `setpriv --clear-groups`, whose setgroups() needs CAP_SETGID even
            // when it changes to root (uptime-kuma 1.23.15 extra/entrypoint.sh; components/imageContracts/),
            // so without it the container never starts. With PUID unset it drops nothing, so the server is
            // started the way the entrypoint would have, under the image's own init, with no capability.
            entrypoint: ["/usr/bin/dumb-init", "--"],
            command: ["node", "server/server.js"],
            // The image's own probe (louislam/uptime-kuma docker/dockerfile HEALTHCHECK).
            healthcheck: { test: ["CMD", "extra/healthcheck"], startPeriodSeconds: 60 },
            // status: Caddy and the way out to the internet for its checks, nothing else
            // (components/platform/networks.ts).
            networks: [{ network: ctx.networks.status }],
        },
        { parent },
    );
}
