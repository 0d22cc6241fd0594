import type { AlertDestinations, StackConfig } from "../config";
import type { TierPlatform } from "../services/context";

/**
 * What the monitoring tier uses of the platform. Networks: monitoring, where Prometheus scrapes the exporters and the
 * app; data, where the exporters reach the databases; app, the postgres exporter's way out to a managed cluster; admin,
 * where Caddy serves Prometheus, Alertmanager and Grafana; telemetry, for Loki, Promtail and the blackbox exporter;
 * edge, where the probes take the users' path; status, Uptime Kuma's. Volumes: the stateful services' data and the
 * backups' textfile metrics. Credentials: Grafana's admin password.
 */
export const MONITORING_PLATFORM = {
    networks: ["monitoring", "data", "app", "admin", "telemetry", "edge", "status"],
    volumes: [
        "metrics-textfile",
        "loki-data",
        "alertmanager-data",
        "prometheus-data",
        "grafana-dashboards",
        "grafana-data",
        "uptime-kuma-data",
    ],
    secrets: ["grafanaAdminPassword"],
} as const;

/** The monitoring tier's part of the platform (MONITORING_PLATFORM). */
export type MonitoringPlatform = TierPlatform<
    (typeof MONITORING_PLATFORM.networks)[number],
    (typeof MONITORING_PLATFORM.volumes)[number],
    (typeof MONITORING_PLATFORM.secrets)[number]
>;

type MonitoringService =
    | "postgres-exporter"
    | "redis-exporter"
    | "pgbouncer-exporter"
    | "node-exporter"
    | "blackbox"
    | "loki"
    | "promtail"
    | "alertmanager"
    | "prometheus"
    | "grafana-dashboards"
    | "grafana"
    | "grafana-admin-password"
    | "uptime-kuma";

/** What the monitoring tier's service builders read: its part of the platform and the settings they apply. */
export interface MonitoringContext extends MonitoringPlatform {
    /** Their memory and CPU limits (freshtrack:resources). */
    readonly limits: Readonly<Pick<StackConfig["resources"], MonitoringService>>;
    /** Where Alertmanager sends alerts (freshtrack:alerts and the alert secrets). */
    readonly alerts: AlertDestinations;
    /** The application's domain: Grafana's root URL is on its subdomain (freshtrack:domain). */
    readonly domain: string;
    /** The stack's name, the `stack` label Prometheus puts on every series and alert. */
    readonly stack: string;
    /** How many days Prometheus keeps metrics and Loki keeps logs (freshtrack:monitoring). */
    readonly retention: Readonly<Pick<StackConfig["monitoring"], "metricsRetentionDays" | "logRetentionDays">>;
    /**
     * The Docker daemon's data root on the host, under which Promtail reads the containers' log files (see
     * dockerDataRoot in ./monitoringTier.ts).
     */
    readonly dockerDataRoot: string;
}

/** A health check that fetches a path on the service's own port with the image's wget. */
export const wgetProbe = (port: number, path: string) => [
    "CMD",
    "wget",
    "-q",
    "--spider",
    `http://127.0.0.1:${port}${path}`,
];
