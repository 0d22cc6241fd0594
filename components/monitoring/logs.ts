/** Loki, which keeps the containers' logs, and Promtail, which ships them from the host's log files. */
import type * as pulumi from "@pulumi/pulumi";
import { ENDPOINTS, imageOf } from "../catalog";
import { imageUser } from "../imageContracts";
import { Service } from "../service";
import { MonitoringContext, wgetProbe } from "./context";
import { CONTAINER_LOGS_DIR, LOKI_PORT, renderLokiConfig, renderPromtailConfig } from "./logsConfig";

/** Loki, then Promtail, whose container waits for it. */
export function logServices(ctx: MonitoringContext, parent: pulumi.Resource): { loki: Service; promtail: Service } {
    const common = { daemon: ctx.daemon, namePrefix: ctx.namePrefix };
    const telemetry = { network: ctx.networks.telemetry };
    const loki = new Service(
        "loki",
        {
            ...common,
            kind: "stateful",
            statefulReason: "its index and chunks live in one directory that one process writes",
            image: imageOf("loki"),
            user: imageUser(imageOf("loki")),
            limits: ctx.limits.loki,
            command: ["-config.file=/etc/loki/loki.yml"],
            files: [{ path: "/etc/loki/loki.yml", content: renderLokiConfig(ctx.retention.logRetentionDays) }],
            volumes: [{ volume: ctx.volumes["loki-data"], containerPath: "/loki" }],
            healthcheck: { test: wgetProbe(LOKI_PORT, "/ready"), startPeriodSeconds: 30 },
            // telemetry only: its push and query API has no authentication (auth_enabled: false), so nothing the
            // internet reaches may share a network with it.
            networks: [telemetry],
        },
        { parent },
    );
    const promtail = new Service(
        "promtail",
        {
            ...common,
            kind: "stateless",
            image: imageOf("promtail"),
            // The json-file logs are root:root 0640 in 0710 directories: only uid 0 reads them without a
            // capability, and an added capability never reaches a non-root user (components/imageContracts/).
            rootReason:
                "it reads every container's log file, which Docker keeps readable by root only; it holds no capability",
            limits: ctx.limits.promtail,
            command: ["-config.file=/etc/promtail/promtail.yml"],
            files: [
                {
                    path: "/etc/promtail/promtail.yml",
                    content: renderPromtailConfig({
                        stackLabel: ctx.namePrefix,
                        lokiUrl: `http://${ENDPOINTS.loki.address}`,
                    }),
                },
            ],
            // The container logs as files, never the Docker socket (issue 15, finding 6; CIS 5.32): the json-file
            // logs are root:root 0640 in 0710 directories, readable by the image's uid 0 with no capability
            // (components/imageContracts/).
            hostMounts: [
                {
                    hostPath: `${ctx.dockerDataRoot}/containers`,
                    containerPath: CONTAINER_LOGS_DIR,
                    why: "tails every container's json-file log; read-only",
                },
            ],
            // The image has bash but no HTTP client, and Docker runs a CMD-SHELL check with /bin/sh, which is
            // dash there and has no /dev/tcp: the probe runs under bash explicitly (components/imageContracts/).
            // Only the status line's code is judged, never the body: /ready answers 500 with a text body when no
            // target is ready (grafana/loki@v2.9.10 clients/pkg/promtail/server/server.go:283-295).
            healthcheck: {
                test: [
                    "CMD",
                    "bash",
                    "-c",
                    "exec 3<>/dev/tcp/127.0.0.1/9080 && printf 'GET /ready HTTP/1.0\\r\\n\\r\\n' >&3 && " +
                        'read -r version code reason <&3 && [ "$code" = 200 ]',
                ],
            },
            networks: [telemetry],
        },
        { parent, dependsOn: [loki] },
    );
    return { loki, promtail };
}
