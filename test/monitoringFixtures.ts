/**
 * The promtool unit test of every alert, shared by test/monitoring.test.ts (every alert has a case that fires and one
 * that stays quiet) and test/monitoring.servers.test.ts (`promtool test rules` runs them).
 */

/** An alert's promtool unit test: series in, the alert (with its labels and summary) out, or nothing. */
interface AlertCase {
    readonly alert: string;
    readonly interval?: string;
    readonly series: Array<{ series: string; values: string }>;
    readonly evalTime: string;
    /** Labels (besides severity) and summary of the alert expected to fire; undefined: it must stay quiet. */
    readonly fires?: { labels: Record<string, string>; summary: string };
}

export const CASES: AlertCase[] = [
    {
        alert: "TargetDown",
        series: [{ series: 'up{job="backend",instance="backend:3000"}', values: "0x5" }],
        evalTime: "3m",
        fires: {
            labels: { job: "backend", instance: "backend:3000" },
            summary: "backend on backend:3000 cannot be scraped",
        },
    },
    {
        alert: "TargetDown",
        series: [{ series: 'up{job="backend",instance="backend:3000"}', values: "1x5" }],
        evalTime: "3m",
    },
    {
        alert: "TargetDown",
        series: [{ series: 'up{job="backend",instance="backend:3000"}', values: "1 0 1 1 1 1" }],
        evalTime: "4m",
    },
    {
        alert: "ProbeFailing",
        series: [{ series: 'probe_success{job="blackbox-https",instance="https://ft.example.com"}', values: "0x5" }],
        evalTime: "3m",
        fires: {
            labels: { job: "blackbox-https", instance: "https://ft.example.com" },
            summary: "https://ft.example.com does not answer over HTTPS",
        },
    },
    {
        alert: "ProbeFailing",
        series: [{ series: 'probe_success{job="blackbox-https",instance="https://ft.example.com"}', values: "1x5" }],
        evalTime: "3m",
    },
    {
        alert: "DiskAlmostFull",
        series: [
            {
                series: 'node_filesystem_avail_bytes{job="node",instance="n",mountpoint="/",fstype="ext4"}',
                values: "10x10",
            },
            {
                series: 'node_filesystem_size_bytes{job="node",instance="n",mountpoint="/",fstype="ext4"}',
                values: "100x10",
            },
        ],
        evalTime: "7m",
        fires: {
            labels: { job: "node", instance: "n", mountpoint: "/", fstype: "ext4" },
            summary: "/ is more than 85 % full",
        },
    },
    {
        alert: "DiskAlmostFull",
        series: [
            {
                series: 'node_filesystem_avail_bytes{job="node",instance="n",mountpoint="/",fstype="ext4"}',
                values: "50x10",
            },
            {
                series: 'node_filesystem_size_bytes{job="node",instance="n",mountpoint="/",fstype="ext4"}',
                values: "100x10",
            },
            {
                series: 'node_filesystem_avail_bytes{job="node",instance="n",mountpoint="/run",fstype="tmpfs"}',
                values: "1x10",
            },
            {
                series: 'node_filesystem_size_bytes{job="node",instance="n",mountpoint="/run",fstype="tmpfs"}',
                values: "100x10",
            },
        ],
        evalTime: "7m",
    },
    {
        alert: "MemoryPressure",
        series: [
            { series: 'node_memory_MemAvailable_bytes{job="node",instance="n"}', values: "5x10" },
            { series: 'node_memory_MemTotal_bytes{job="node",instance="n"}', values: "100x10" },
        ],
        evalTime: "7m",
        fires: { labels: { job: "node", instance: "n" }, summary: "less than 10 % of the host's memory is available" },
    },
    {
        alert: "MemoryPressure",
        series: [
            { series: 'node_memory_MemAvailable_bytes{job="node",instance="n"}', values: "40x10" },
            { series: 'node_memory_MemTotal_bytes{job="node",instance="n"}', values: "100x10" },
        ],
        evalTime: "7m",
    },
    {
        alert: "ContainerRestarting",
        series: [{ series: 'process_start_time_seconds{job="worker",instance="worker:9464"}', values: "1 2 3 4 5 6" }],
        evalTime: "5m",
        fires: {
            labels: { job: "worker", instance: "worker:9464" },
            summary: "worker restarted 5 times in 15 minutes",
        },
    },
    {
        alert: "ContainerRestarting",
        series: [{ series: 'process_start_time_seconds{job="worker",instance="worker:9464"}', values: "1 1 1 2 2 2" }],
        evalTime: "5m",
    },
    {
        alert: "CertificateExpiringSoon",
        series: [
            {
                series: 'probe_ssl_earliest_cert_expiry{job="blackbox-https",instance="https://ft.example.com"}',
                values: "864000x20",
            },
        ],
        evalTime: "15m",
        fires: {
            labels: { job: "blackbox-https", instance: "https://ft.example.com" },
            summary: "the certificate of https://ft.example.com expires within 30 days",
        },
    },
    {
        alert: "CertificateExpiringSoon",
        series: [
            {
                series: 'probe_ssl_earliest_cert_expiry{job="blackbox-https",instance="https://ft.example.com"}',
                values: "5184000x20",
            },
        ],
        evalTime: "15m",
    },
    {
        alert: "BackupMissing",
        interval: "1h",
        series: [
            { series: 'freshtrack_backup_last_success_timestamp_seconds{job="node",instance="n"}', values: "0x30" },
        ],
        evalTime: "27h",
        fires: { labels: {}, summary: "no successful database backup in the last 26 hours" },
    },
    {
        alert: "BackupMissing",
        interval: "1h",
        series: [{ series: 'up{job="node",instance="n"}', values: "1x30" }],
        evalTime: "27h",
        fires: { labels: {}, summary: "no successful database backup in the last 26 hours" },
    },
    {
        alert: "BackupMissing",
        interval: "1h",
        series: [
            {
                series: 'freshtrack_backup_last_success_timestamp_seconds{job="node",instance="n"}',
                values: "0+3600x30",
            },
        ],
        evalTime: "27h",
    },
    // Issue 15, finding 2: a mirror that stopped succeeding, or never did, is seen. One mirror fresh, the other stale:
    // only the stale one fires. Values are the textfile metrics' seconds; the fresh one advances with the clock.
    {
        alert: "BackupMirrorStale",
        interval: "5m",
        series: [
            {
                series: 'freshtrack_backup_mirror_last_success_timestamp_seconds{job="node",instance="n",mirror="backup-offsite"}',
                values: "0x20",
            },
            {
                series: 'freshtrack_backup_mirror_first_start_timestamp_seconds{job="node",instance="n",mirror="backup-offsite"}',
                values: "0x20",
            },
            {
                series: 'freshtrack_backup_mirror_last_success_timestamp_seconds{job="node",instance="n",mirror="backup-sync"}',
                values: "0+300x20",
            },
        ],
        evalTime: "70m",
        fires: {
            labels: { mirror: "backup-offsite" },
            summary: "the backup mirror backup-offsite has finished no full copy in the last hour",
        },
    },
    {
        alert: "BackupMirrorStale",
        interval: "5m",
        series: [
            {
                series: 'freshtrack_backup_mirror_last_success_timestamp_seconds{job="node",instance="n",mirror="backup-offsite"}',
                values: "0+300x20",
            },
            {
                series: 'freshtrack_backup_mirror_first_start_timestamp_seconds{job="node",instance="n",mirror="backup-offsite"}',
                values: "0x20",
            },
        ],
        evalTime: "70m",
    },
    // Started more than an hour ago and never finished a pass: the success metric is absent.
    {
        alert: "BackupMirrorStale",
        interval: "5m",
        series: [
            {
                series: 'freshtrack_backup_mirror_first_start_timestamp_seconds{job="node",instance="n",mirror="backup-offsite"}',
                values: "0x20",
            },
        ],
        evalTime: "70m",
        fires: {
            labels: { mirror: "backup-offsite" },
            summary: "the backup mirror backup-offsite has finished no full copy in the last hour",
        },
    },
    // Started half an hour ago: its first passes may still be running.
    {
        alert: "BackupMirrorStale",
        interval: "5m",
        series: [
            {
                series: 'freshtrack_backup_mirror_first_start_timestamp_seconds{job="node",instance="n",mirror="backup-offsite"}',
                values: "0x20",
            },
        ],
        evalTime: "30m",
    },
    {
        alert: "Backend5xxRateHigh",
        series: [
            {
                series: 'caddy_http_request_duration_seconds_count{server="srv0",handler="reverse_proxy",code="500",method="GET"}',
                values: "0+10x20",
            },
            {
                series: 'caddy_http_request_duration_seconds_count{server="srv0",handler="reverse_proxy",code="200",method="GET"}',
                values: "0+90x20",
            },
        ],
        evalTime: "12m",
        fires: { labels: {}, summary: "more than 5 % of requests fail with a 5xx" },
    },
    {
        alert: "Backend5xxRateHigh",
        series: [
            {
                series: 'caddy_http_request_duration_seconds_count{server="srv0",handler="reverse_proxy",code="500",method="GET"}',
                values: "0+1x20",
            },
            {
                series: 'caddy_http_request_duration_seconds_count{server="srv0",handler="reverse_proxy",code="200",method="GET"}',
                values: "0+90x20",
            },
        ],
        evalTime: "12m",
    },
    {
        alert: "NoSensorReadings",
        series: [
            {
                series: 'freshtrack_sensor_readings_ingested_total{job="backend",instance="backend:3000"}',
                values: "100x30",
            },
        ],
        evalTime: "20m",
        fires: { labels: {}, summary: "no sensor reading was ingested in 15 minutes" },
    },
    {
        alert: "NoSensorReadings",
        series: [
            {
                series: 'freshtrack_sensor_readings_ingested_total{job="backend",instance="backend:3000"}',
                values: "0+60x30",
            },
        ],
        evalTime: "20m",
    },
];
