/**
 * prometheus.yml and the alert rules, rendered from plain options. Pure, so
 * the tests run them through the real `promtool check config`,
 * `promtool check rules` and `promtool test rules`.
 */
import * as YAML from "yaml";
import { MIRROR_METRIC, MIRROR_STARTED_METRIC } from "../services/backupScripts";
import { BASE_BACKUP_METRIC, DrillKind, DRILL_RUN_METRIC, DRILL_SUCCESS_METRIC, WAL_SLOT } from "../services/pitrNames";
import { WAL_SEGMENT_BYTES } from "../services/pitrScripts";

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
 * Restore drills and base backups run daily by default (backup.drillSchedule, backup.schedule): a day and two hours of
 * margin, as BackupMissing allows the dumps.
 */
export const DAILY_STALE_HOURS = 26;
const DAILY_STALE_AFTER_SECONDS = DAILY_STALE_HOURS * 3600;
/**
 * The scrape job of node-exporter (scrapeJobs, components/monitoring/alerting.ts), whose textfile collector carries the
 * drills' metrics. Prometheus has scraped it from the stack's first minute on.
 */
export const NODE_EXPORTER_JOB = "node";
/**
 * The WAL receiver's slot as postgres-exporter v0.15.0 reports it by default, one series per slot with the label
 * slot_name: `active` (1 or 0) and `pg_wal_lsn_diff`, the bytes between the server's current position and the slot's
 * restart_lsn (prometheus-community/postgres_exporter@v0.15.0 cmd/postgres_exporter/postgres_exporter.go:225-234,
 * queries.go:79-95). A physical slot's `database` is NULL, which the exporter turns into an empty label, that is no
 * label (util.go:149-158). A NULL restart_lsn makes the lag NULL, exported as NaN (util.go:72-102): the slot has not
 * been used yet, or was invalidated once the server removed log past its restart_lsn (backup.walKeepMb; seen on
 * Debian's PostgreSQL 15: restart_lsn NULL, wal_status `lost`, active false).
 */
const SLOT_ACTIVE = `pg_replication_slots_active{slot_name="${WAL_SLOT}"}`;
const SLOT_LAG = `pg_replication_slots_pg_wal_lsn_diff{slot_name="${WAL_SLOT}"}`;
/**
 * pg_receivewal confirms its position, which moves the slot's restart_lsn, only when a 16 MB segment is complete
 * (unless synchronous; seen on Debian's PostgreSQL 15, the restart_lsn stepping from 0/1000000 to 0/2000000), so up to
 * a segment of lag is normal; four segments is a receiver that does not keep up.
 */
const WAL_LAG_LIMIT_BYTES = 4 * WAL_SEGMENT_BYTES;
const drillSuccess = (kind: DrillKind) => `${DRILL_SUCCESS_METRIC}{kind="${kind}"}`;

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
    {
        alert: "RestoreDrillFailed",
        // Both metrics are the end of a drill (components/services/pitrNames.ts): of the last one, and of the last one
        // that passed, so a drill that passes sets both to the same time, and a run newer than the success is a drill
        // that did not pass; a run with no success has never passed. Both stay in the textfile directory, so the alert
        // holds until a drill of that kind passes. The five minutes ride over a scrape that reads the new run time
        // before the new success time is written.
        expr:
            `(max by (kind) (${DRILL_RUN_METRIC}) > max by (kind) (${DRILL_SUCCESS_METRIC})) or ` +
            `(max by (kind) (${DRILL_RUN_METRIC}) unless on (kind) ${DRILL_SUCCESS_METRIC})`,
        for: "5m",
        severity: "critical",
        summary: "the last {{ $labels.kind }} restore drill did not pass",
        runbook: "restore-drill-failed",
    },
    {
        alert: "RestoreDrillStale",
        // A kind that passed once and not since: its success is too old. A kind that never passed at all has no
        // success metric, and its absence alone says nothing on a new stack, or on one without that kind. So each kind
        // is expected only where a sign that it should exist is already 26 h old: `dump` runs on every stack, so
        // node-exporter's scrape job, which Prometheus has had since the stack's first minute, stands for it (a stack
        // whose crond never ran a drill is seen on its second day); `pitr` runs only beside the WAL receiver, so its
        // replication slot stands for it (a stack without point-in-time recovery has no such slot, and stays quiet).
        // A kind that ran and never passed is RestoreDrillFailed's.
        expr:
            `(time() - max by (kind) (${DRILL_SUCCESS_METRIC}) > ${DAILY_STALE_AFTER_SECONDS}) or ` +
            `(absent_over_time(${drillSuccess("dump")}[${DAILY_STALE_HOURS}h]) and on () ` +
            `present_over_time(up{job="${NODE_EXPORTER_JOB}"}[1h] offset ${DAILY_STALE_HOURS}h)) or ` +
            `(absent_over_time(${drillSuccess("pitr")}[${DAILY_STALE_HOURS}h]) and on () ` +
            `present_over_time(${SLOT_ACTIVE}[1h] offset ${DAILY_STALE_HOURS}h))`,
        for: "0m",
        severity: "warning",
        summary: "no {{ $labels.kind }} restore drill has passed in the last 26 hours",
        runbook: "restore-drill-stale",
    },
    {
        alert: "WalArchivingBehind",
        // Three ways the log's copy falls behind, the first that holds wins: the slot is not in use (the receiver is
        // down, cut off, or refused); the slot has no restart point (invalidated: pg_receivewal, retrying every 5 s,
        // holds the slot for an instant at each try, and a scrape that sees it then would restart the five minutes of
        // the first way); or the lag stayed above four segments for the 10 minutes before the five of `for`, 15 in
        // all. The summary tells them apart by the value: 0, NaN or the bytes.
        expr:
            `(${SLOT_ACTIVE} == 0) or (${SLOT_LAG} != ${SLOT_LAG}) or ` +
            `(min_over_time(${SLOT_LAG}[10m]) > ${WAL_LAG_LIMIT_BYTES})`,
        for: "5m",
        severity: "critical",
        summary:
            "{{ if eq $value 0.0 }}the WAL receiver has not streamed from slot {{ $labels.slot_name }} for 5 minutes" +
            "{{ else if ne $value $value }}slot {{ $labels.slot_name }} has lost its restart point: it was invalidated" +
            "{{ else }}the WAL receiver has been more than 4 segments behind on slot {{ $labels.slot_name }} for 15 " +
            "minutes ({{ $value | humanize1024 }}B){{ end }}",
        runbook: "wal-archiving-behind",
    },
    {
        alert: "BaseBackupMissing",
        // Only where base backups ran once: without point-in-time recovery the metric never appears. A stack whose
        // first base backup never succeeded is seen by RestoreDrillStale's `pitr`, which needs one.
        expr: `time() - max(${BASE_BACKUP_METRIC}) > ${DAILY_STALE_AFTER_SECONDS}`,
        for: "0m",
        severity: "warning",
        summary: "no base backup has completed in the last 26 hours",
        runbook: "base-backup-missing",
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
