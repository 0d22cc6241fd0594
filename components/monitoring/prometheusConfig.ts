/**
 * prometheus.yml and the alert rules, rendered from plain options. Pure, so
 * the tests run them through the real `promtool check config`,
 * `promtool check rules` and `promtool test rules`.
 */
import * as YAML from "yaml";
import { MIRROR_METRIC, MIRROR_STARTED_METRIC } from "../services/backupScripts";

export const RULES_FILE = "/etc/prometheus/rules/freshtrack.yml";
export const RUNBOOK = "docs/troubleshooting.md";

export interface ScrapeJob {
    readonly job: string;
    /** `host:port` inside the Docker networks. */
    readonly targets: readonly string[];
    readonly metricsPath?: string;
    /** Basic auth password file, for targets behind it. */
    readonly scheme?: "http" | "https";
}

export interface PrometheusOptions {
    readonly jobs: readonly ScrapeJob[];
    /** Public URLs probed over HTTPS (status and certificate expiry) by the blackbox exporter. */
    readonly probeUrls: readonly string[];
    /** `host:port` of the blackbox exporter. */
    readonly blackbox: string;
    /** `host:port` of Alertmanager. */
    readonly alertmanager: string;
    readonly scrapeIntervalSeconds?: number;
    /** Label attached to every series, so several stacks can share a Grafana. */
    readonly stack: string;
}

export function renderPrometheusConfig(opts: PrometheusOptions): string {
    const interval = `${opts.scrapeIntervalSeconds ?? 15}s`;
    const config = {
        global: { scrape_interval: interval, evaluation_interval: interval, external_labels: { stack: opts.stack } },
        rule_files: [RULES_FILE],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [opts.alertmanager] }] }] },
        scrape_configs: [
            ...opts.jobs.map((j) => ({
                job_name: j.job,
                ...(j.metricsPath ? { metrics_path: j.metricsPath } : {}),
                ...(j.scheme ? { scheme: j.scheme } : {}),
                static_configs: [{ targets: [...j.targets] }],
            })),
            {
                job_name: "blackbox-https",
                metrics_path: "/probe",
                params: { module: ["https_2xx"] },
                static_configs: [{ targets: [...opts.probeUrls] }],
                // The probed URL becomes a parameter and the instance label; the scrape goes to the exporter.
                relabel_configs: [
                    { source_labels: ["__address__"], target_label: "__param_target" },
                    { source_labels: ["__param_target"], target_label: "instance" },
                    { target_label: "__address__", replacement: opts.blackbox },
                ],
            },
        ],
    };
    return YAML.stringify(config, { lineWidth: 0 });
}

/** blackbox.yml: one module, HTTPS with a valid certificate answering 2xx. */
export function renderBlackboxConfig(caFile?: string): string {
    return YAML.stringify({
        modules: {
            https_2xx: {
                prober: "http",
                timeout: "10s",
                http: {
                    preferred_ip_protocol: "ip4",
                    fail_if_not_ssl: true,
                    valid_status_codes: [],
                    // With the stack's own CA the probe trusts it, and nothing else.
                    ...(caFile ? { tls_config: { ca_file: caFile } } : {}),
                },
            },
        },
    });
}

export interface AlertRule {
    readonly alert: string;
    readonly expr: string;
    readonly for: string;
    readonly severity: "critical" | "warning";
    readonly summary: string;
    /** Anchor in docs/troubleshooting.md. */
    readonly runbook: string;
}

const DAY = 24 * 3600;
/** A backup mirror passes every five minutes; an hour without a full pass is twelve missed passes. */
const MIRROR_STALE_AFTER_SECONDS = 3600;

/**
 * Every alert of the stack. Each has a promtool unit test (test/monitoring.servers.test.ts) that makes it fire and
 * keeps it quiet.
 */
export const ALERT_RULES: readonly AlertRule[] = [
    {
        alert: "TargetDown",
        expr: "up == 0",
        for: "2m",
        severity: "critical",
        summary: "{{ $labels.job }} on {{ $labels.instance }} cannot be scraped",
        runbook: "target-down",
    },
    {
        alert: "ProbeFailing",
        expr: "probe_success == 0",
        for: "2m",
        severity: "critical",
        summary: "{{ $labels.instance }} does not answer over HTTPS",
        runbook: "probe-failing",
    },
    {
        alert: "DiskAlmostFull",
        expr: 'node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs"} < 0.15',
        for: "5m",
        severity: "warning",
        summary: "{{ $labels.mountpoint }} is more than 85 % full",
        runbook: "disk-almost-full",
    },
    {
        alert: "MemoryPressure",
        expr: "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.10",
        for: "5m",
        severity: "warning",
        summary: "less than 10 % of the host's memory is available",
        runbook: "memory-pressure",
    },
    {
        alert: "ContainerRestarting",
        // Every scraped process exports its start time; a changing start time is a restart.
        expr: "changes(process_start_time_seconds[15m]) >= 3",
        for: "0m",
        severity: "warning",
        summary: "{{ $labels.job }} restarted {{ $value }} times in 15 minutes",
        runbook: "container-restarting",
    },
    {
        alert: "CertificateExpiringSoon",
        expr: `probe_ssl_earliest_cert_expiry - time() < ${30 * DAY}`,
        for: "10m",
        severity: "warning",
        summary: "the certificate of {{ $labels.instance }} expires within 30 days",
        runbook: "certificate-expiring",
    },
    {
        alert: "BackupMissing",
        expr: `(time() - max(freshtrack_backup_last_success_timestamp_seconds) > ${26 * 3600}) or absent_over_time(freshtrack_backup_last_success_timestamp_seconds[26h])`,
        for: "0m",
        severity: "critical",
        summary: "no successful database backup in the last 26 hours",
        runbook: "backup-missing",
    },
    {
        alert: "BackupMirrorStale",
        // Each mirror records its fully successful passes, and its first start, in node-exporter's textfile directory
        // (renderMirrorLoop in components/services/backup.ts). Stale: no full pass for an hour (twelve passes). Or a
        // mirror that started over an hour ago and has never finished one: its success metric is absent.
        expr:
            `(time() - max by (mirror) (${MIRROR_METRIC}) > ${MIRROR_STALE_AFTER_SECONDS}) or ` +
            `(time() - max by (mirror) (${MIRROR_STARTED_METRIC}) > ${MIRROR_STALE_AFTER_SECONDS} unless on (mirror) ${MIRROR_METRIC})`,
        for: "0m",
        severity: "warning",
        summary: "the backup mirror {{ $labels.mirror }} has finished no full copy in the last hour",
        runbook: "backup-mirror-stale",
    },
    {
        alert: "Backend5xxRateHigh",
        // caddy_http_requests_total has no status label; the duration histogram's count has (caddyhttp/metrics.go).
        expr: 'sum(rate(caddy_http_request_duration_seconds_count{code=~"5.."}[5m])) / sum(rate(caddy_http_request_duration_seconds_count[5m])) > 0.05',
        for: "5m",
        severity: "critical",
        summary: "more than 5 % of requests fail with a 5xx",
        runbook: "backend-5xx",
    },
    {
        alert: "NoSensorReadings",
        expr: "sum(increase(freshtrack_sensor_readings_ingested_total[15m])) == 0",
        for: "0m",
        severity: "critical",
        summary: "no sensor reading was ingested in 15 minutes",
        runbook: "no-sensor-readings",
    },
];

export function renderAlertRules(): string {
    return YAML.stringify(
        {
            groups: [
                {
                    name: "freshtrack",
                    rules: ALERT_RULES.map((r) => ({
                        alert: r.alert,
                        expr: r.expr,
                        for: r.for,
                        labels: { severity: r.severity },
                        annotations: { summary: r.summary, runbook: `${RUNBOOK}#${r.runbook}` },
                    })),
                },
            ],
        },
        { lineWidth: 0 },
    );
}
