/**
 * Grafana provisioning as code: datasources, the dashboard provider, and the
 * FreshTrack dashboard. Pure functions; the dashboard has a stable uid so
 * links and bookmarks survive every redeploy.
 */
import * as YAML from "yaml";

export const DASHBOARD_UID = "freshtrack-overview";
export const DASHBOARDS_DIR = "/var/lib/grafana/dashboards";

export interface DatasourceUrls {
    readonly prometheus: string;
    readonly loki: string;
    readonly alertmanager: string;
}

export function renderDatasources(urls: DatasourceUrls): string {
    return YAML.stringify({
        apiVersion: 1,
        datasources: [
            {
                name: "Prometheus",
                uid: "prometheus",
                type: "prometheus",
                access: "proxy",
                url: urls.prometheus,
                isDefault: true,
                editable: false,
            },
            { name: "Loki", uid: "loki", type: "loki", access: "proxy", url: urls.loki, editable: false },
            {
                name: "Alertmanager",
                uid: "alertmanager",
                type: "alertmanager",
                access: "proxy",
                url: urls.alertmanager,
                jsonData: { implementation: "prometheus" },
                editable: false,
            },
        ],
    });
}

export function renderDashboardProvider(): string {
    return YAML.stringify({
        apiVersion: 1,
        providers: [
            {
                name: "freshtrack",
                folder: "FreshTrack",
                type: "file",
                disableDeletion: true,
                allowUiUpdates: false,
                // New dashboard files are picked up without restarting Grafana.
                updateIntervalSeconds: 10,
                options: { path: DASHBOARDS_DIR },
            },
        ],
    });
}

export interface Panel {
    readonly title: string;
    readonly type: "stat" | "timeseries" | "table";
    /** PromQL. `A or B`: B is the platform metric shown when the FreshTrack metric A is absent. */
    readonly expr: string;
    readonly unit?: string;
    readonly legend?: string;
}

/** Platform health, then the cold chain. */
export const PANELS: readonly { readonly row: string; readonly panels: readonly Panel[] }[] = [
    {
        row: "Platform",
        panels: [
            { title: "Services up", type: "table", expr: "up", legend: "{{job}}" },
            {
                title: "Requests per second",
                type: "timeseries",
                expr: "sum(rate(freshtrack_http_requests_total[5m])) or sum(rate(caddy_http_requests_total[5m]))",
                unit: "reqps",
            },
            {
                title: "Latency p95",
                type: "timeseries",
                expr: "histogram_quantile(0.95, sum by (le) (rate(freshtrack_http_request_duration_seconds_bucket[5m]))) or histogram_quantile(0.95, sum by (le) (rate(caddy_http_request_duration_seconds_bucket[5m])))",
                unit: "s",
            },
            {
                title: "5xx error rate",
                type: "timeseries",
                expr: 'sum(rate(caddy_http_request_duration_seconds_count{code=~"5.."}[5m])) / sum(rate(caddy_http_request_duration_seconds_count[5m]))',
                unit: "percentunit",
            },
            {
                title: "Host CPU",
                type: "timeseries",
                expr: '1 - avg(rate(node_cpu_seconds_total{mode="idle"}[5m]))',
                unit: "percentunit",
            },
            {
                title: "Host memory used",
                type: "timeseries",
                expr: "1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes",
                unit: "percentunit",
            },
            {
                title: "Disk used",
                type: "stat",
                expr: '1 - node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs"}',
                unit: "percentunit",
                legend: "{{mountpoint}}",
            },
            {
                title: "Certificate days left",
                type: "stat",
                expr: "(probe_ssl_earliest_cert_expiry - time()) / 86400",
                unit: "d",
                legend: "{{instance}}",
            },
            {
                title: "Last backup age",
                type: "stat",
                expr: "time() - max(freshtrack_backup_last_success_timestamp_seconds)",
                unit: "s",
            },
        ],
    },
    {
        row: "Cold chain",
        panels: [
            {
                title: "Sensor readings ingested per minute",
                type: "timeseries",
                expr: "sum(rate(freshtrack_sensor_readings_ingested_total[5m])) * 60",
            },
            {
                title: "Latest temperature per unit",
                type: "table",
                expr: "freshtrack_unit_temperature_celsius",
                unit: "celsius",
                legend: "{{unit}}",
            },
            {
                title: "Temperature excursions (24 h)",
                type: "stat",
                expr: "sum(increase(freshtrack_excursions_total[24h]))",
            },
            {
                title: "Open alerts",
                type: "stat",
                expr: 'sum(freshtrack_alerts_open) or sum(ALERTS{alertstate="firing"})',
            },
        ],
    },
];

/** The dashboard JSON. Panel ids and layout are derived from the list, so the output is stable. */
export function renderDashboard(): string {
    let id = 0;
    let y = 0;
    const panels: object[] = [];
    for (const group of PANELS) {
        panels.push({
            id: ++id,
            type: "row",
            title: group.row,
            collapsed: false,
            gridPos: { x: 0, y: y++, w: 24, h: 1 },
            panels: [],
        });
        group.panels.forEach((p, i) => {
            panels.push({
                id: ++id,
                type: p.type,
                title: p.title,
                datasource: { type: "prometheus", uid: "prometheus" },
                gridPos: { x: (i % 3) * 8, y: y + Math.floor(i / 3) * 8, w: 8, h: 8 },
                fieldConfig: { defaults: { ...(p.unit ? { unit: p.unit } : {}) }, overrides: [] },
                targets: [{ refId: "A", expr: p.expr, ...(p.legend ? { legendFormat: p.legend } : {}) }],
            });
        });
        y += Math.ceil(group.panels.length / 3) * 8;
    }
    return (
        JSON.stringify(
            {
                uid: DASHBOARD_UID,
                title: "FreshTrack Pro",
                tags: ["freshtrack"],
                timezone: "utc",
                schemaVersion: 39,
                version: 1,
                refresh: "30s",
                time: { from: "now-6h", to: "now" },
                panels,
            },
            null,
            2,
        ) + "\n"
    );
}
