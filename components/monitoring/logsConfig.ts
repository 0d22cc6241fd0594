/** Loki and Promtail configuration, rendered from plain options. Pure. */
import * as YAML from "yaml";

export const LOKI_PORT = 3100;

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
        schema_config: { configs: [{ from: "2024-01-01", store: "tsdb", object_store: "filesystem", schema: "v12", index: { prefix: "index_", period: "24h" } }] },
        limits_config: { retention_period: `${retentionDays * 24}h` },
        // Retention is applied by the compactor; without it, logs are kept for ever.
        compactor: { working_directory: "/loki/compactor", shared_store: "filesystem", retention_enabled: true },
        analytics: { reporting_enabled: false },
    });
}

/**
 * Promtail reads container logs through the Docker API, for this stack's
 * containers only (by label), and labels each stream with its service.
 */
export function renderPromtailConfig(opts: { stackLabel: string; lokiUrl: string }): string {
    return YAML.stringify({
        server: { http_listen_port: 9080, grpc_listen_port: 0 },
        positions: { filename: "/tmp/positions.yaml" },
        clients: [{ url: `${opts.lokiUrl}/loki/api/v1/push` }],
        scrape_configs: [
            {
                job_name: "containers",
                docker_sd_configs: [{ host: "unix:///var/run/docker.sock", refresh_interval: "10s", filters: [{ name: "label", values: [`com.freshtrack.stack=${opts.stackLabel}`] }] }],
                relabel_configs: [
                    { source_labels: ["__meta_docker_container_label_com_freshtrack_service"], target_label: "service" },
                    { source_labels: ["__meta_docker_container_name"], regex: "/(.*)", target_label: "container" },
                    { target_label: "stack", replacement: opts.stackLabel },
                ],
            },
        ],
    });
}
