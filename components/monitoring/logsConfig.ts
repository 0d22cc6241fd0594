/** Loki and Promtail configuration, rendered from plain options. Pure. */
import * as YAML from "yaml";
import { SERVICES } from "../catalog";

export const LOKI_PORT = SERVICES.loki.port;

export function renderLokiConfig(retentionDays: number): string {
    return YAML.stringify({
        auth_enabled: false,
        server: { http_listen_port: LOKI_PORT, log_level: "warn" },
        common: {
            path_prefix: "/loki",
            replication_factor: 1,
            ring: { kvstore: { store: "inmemory" } },
            storage: { filesystem: { chunks_directory: "/loki/chunks", rules_directory: "/loki/rules" } },
        },
        schema_config: {
            configs: [
                {
                    from: "2024-01-01",
                    store: "tsdb",
                    object_store: "filesystem",
                    schema: "v12",
                    index: { prefix: "index_", period: "24h" },
                },
            ],
        },
        limits_config: { retention_period: `${retentionDays * 24}h` },
        // Retention is applied by the compactor; without it, logs are kept for ever.
        compactor: { working_directory: "/loki/compactor", shared_store: "filesystem", retention_enabled: true },
        analytics: { reporting_enabled: false },
    });
}

/**
 * Where promtail sees the host's `<data-root>/containers`, mounted read-only (components/monitoring/monitoringTier.ts).
 */
export const CONTAINER_LOGS_DIR = "/var/lib/docker/containers";

/**
 * The json-file log options that put a container's stack, service and name into every line it logs, as
 * `"attrs": {...}`: `labels` copies the named container labels, `tag` adds the rendered template (moby v27.5.1
 * daemon/logger/jsonfilelog/jsonfilelog.go:84-105,158-165, daemon/logger/loginfo.go:30-42; the line's `attrs` field,
 * jsonlog/jsonlogbytes.go:17,40-47; the same at v20.10.24 jsonfilelog.go:80,158). Promtail takes its labels from
 * them; they belong in components/service.ts SERVICE_DEFAULTS.logOpts, which every container and the droplet's
 * daemon.json take.
 */
export const LOG_ATTRS_OPTS = { labels: "com.freshtrack.stack,com.freshtrack.service", tag: "{{.Name}}" } as const;

/**
 * Promtail tails the json-file logs of the host's containers from a read-only mount of
 * `<data-root>/containers`, never through the Docker API (issue 15, finding 6: whoever holds the socket owns
 * the host, read-only or not). A file target knows only the path (the `filename` label, grafana/loki@v2.9.10
 * clients/pkg/promtail/targets/file/filetarget.go:24, decompresser.go:88), which gives the container ID, not
 * its name or labels (those are in config.v2.json beside it, which no stage reads). So the labels travel in the
 * log lines: Docker writes the container's stack and service labels and its name into each line's `attrs`
 * (LOG_ATTRS_OPTS), a `json` stage extracts them (stages/stage.go:19; JMESPath, quoted keys for the dotted label
 * names), lines of other stacks and other containers are dropped by a `match` stage (stages/match.go:23,47,145),
 * and the `docker` stage then reads the line itself, its stream and time (stages/extensions.go:22-47).
 */
export function renderPromtailConfig(opts: { stackLabel: string; lokiUrl: string }): string {
    return YAML.stringify({
        server: { http_listen_port: 9080, grpc_listen_port: 0 },
        positions: { filename: "/tmp/positions.yaml" },
        clients: [{ url: `${opts.lokiUrl}/loki/api/v1/push` }],
        scrape_configs: [
            {
                job_name: "containers",
                static_configs: [
                    {
                        targets: ["localhost"],
                        labels: { job: "containers", __path__: `${CONTAINER_LOGS_DIR}/*/*-json.log` },
                    },
                ],
                pipeline_stages: [
                    {
                        json: {
                            expressions: {
                                log_stack: 'attrs."com.freshtrack.stack"',
                                service: 'attrs."com.freshtrack.service"',
                                container: "attrs.tag",
                            },
                        },
                    },
                    { labels: { log_stack: null, service: null, container: null } },
                    // A stream selector needs one matcher an empty value cannot satisfy: job. Lines without attrs
                    // (containers of no stack, or started before the log options) have no log_stack and are dropped
                    // too.
                    {
                        match: {
                            selector: `{job="containers", log_stack!="${opts.stackLabel}"}`,
                            action: "drop",
                            drop_counter_reason: "other_stack",
                        },
                    },
                    { labeldrop: ["log_stack", "filename", "job"] },
                    { docker: {} },
                    { static_labels: { stack: opts.stackLabel } },
                ],
            },
        ],
    });
}
