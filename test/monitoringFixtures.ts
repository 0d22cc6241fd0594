/**
 * The promtool unit test of every alert, shared by test/monitoring.test.ts (every alert has a case that fires and one
 * that stays quiet) and test/monitoring.servers.test.ts (`promtool test rules` runs them).
 */

import {
    BASE_BACKUP_METRIC,
    DrillKind,
    DRILL_RUN_METRIC,
    DRILL_SUCCESS_METRIC,
    WAL_SLOT,
} from "../components/services/pitrNames";

/** An alert's promtool unit test: series in, the alert (with its labels and summary) out, or nothing. */
interface AlertCase {
    readonly alert: string;
    readonly interval?: string;
    readonly series: Array<{ series: string; values: string }>;
    readonly evalTime: string;
    /** Labels (besides severity) and summary of the alert expected to fire; undefined: it must stay quiet. */
    readonly fires?: { labels: Record<string, string>; summary: string };
}

// Issue 18, item 4 (rung 3 through test/monitoring.servers.test.ts): a failed or stale restore drill, WAL archiving
// falling behind and a missing base backup are seen, and a stack without point-in-time recovery stays quiet.

type Series = AlertCase["series"][number];
const at = (series: string, values: string): Series => ({ series, values });
/** node-exporter's textfile metrics: drill times are seconds since the epoch, where promtool's clock starts. */
const run = (kind: DrillKind, values: string) =>
    at(`${DRILL_RUN_METRIC}{job="node",instance="n",kind="${kind}"}`, values);
const passed = (kind: DrillKind, values: string) =>
    at(`${DRILL_SUCCESS_METRIC}{job="node",instance="n",kind="${kind}"}`, values);
const NODE_UP = at('up{job="node",instance="n"}', "1x30");
/** The receiver's slot, or another, as postgres-exporter serves it (a physical slot has no database label). */
const SLOT_LABELS = { job: "postgres", instance: "postgres-exporter:9187", slot_name: WAL_SLOT };
const slot = (metric: "active" | "pg_wal_lsn_diff", values: string, name: string = WAL_SLOT) =>
    at(`pg_replication_slots_${metric}{job="postgres",instance="postgres-exporter:9187",slot_name="${name}"}`, values);
const MIB = 1024 * 1024;
/** `n` copies of a value, for series promtool's `<value>x<n>` cannot write (NaN). */
const repeat = (value: string, n: number) => Array<string>(n).fill(value).join(" ");
const baseBackup = (values: string) => at(`${BASE_BACKUP_METRIC}{job="node",instance="n"}`, values);

const drillFailed = (evalTime: string, series: Series[], fires?: DrillKind): AlertCase => ({
    alert: "RestoreDrillFailed",
    series,
    evalTime,
    ...(fires && { fires: { labels: { kind: fires }, summary: `the last ${fires} restore drill did not pass` } }),
});
const drillStale = (evalTime: string, series: Series[], fires?: DrillKind): AlertCase => ({
    alert: "RestoreDrillStale",
    interval: "1h",
    series,
    evalTime,
    ...(fires && {
        fires: { labels: { kind: fires }, summary: `no ${fires} restore drill has passed in the last 26 hours` },
    }),
});
const walBehind = (evalTime: string, series: Series[], summary?: string): AlertCase => ({
    alert: "WalArchivingBehind",
    series,
    evalTime,
    ...(summary && { fires: { labels: SLOT_LABELS, summary } }),
});
const baseBackupMissing = (series: Series[], fires: boolean): AlertCase => ({
    alert: "BaseBackupMissing",
    interval: "1h",
    series,
    evalTime: "27h",
    ...(fires && { fires: { labels: {}, summary: "no base backup has completed in the last 26 hours" } }),
});

const STOPPED_AT_5M = [slot("active", "1x4 0x15"), slot("pg_wal_lsn_diff", `${MIB}x4 ${MIB}+${MIB}x15`)];
const BEHIND_FROM_5M = [slot("active", "1x30"), slot("pg_wal_lsn_diff", `${MIB}x4 ${80 * MIB}x25`)];

const PITR_CASES: AlertCase[] = [
    // The dump drill passed at 01:00 and the one at 25:00 did not; the pitr drill passed at 24:26.
    drillFailed(
        "10m",
        [run("dump", "90000x15"), passed("dump", "3600x15"), run("pitr", "88000x15"), passed("pitr", "88000x15")],
        "dump",
    ),
    // The pitr drill has run and never passed.
    drillFailed("10m", [run("pitr", "90000x15"), run("dump", "90000x15"), passed("dump", "90000x15")], "pitr"),
    // Both kinds passed.
    drillFailed("10m", [
        run("pitr", "88000x15"),
        passed("pitr", "88000x15"),
        run("dump", "90000x15"),
        passed("dump", "90000x15"),
    ]),
    // A drill that passed at minute 5, read by that minute's scrape with its new run time and its old success time.
    drillFailed("5m", [run("dump", "3600x4 90000x10"), passed("dump", "3600x5 90000x9")]),
    // A stack where no drill has run yet.
    drillFailed("10m", [NODE_UP]),
    // The dump drill passed at 00:00 and not since; the pitr drill passes every hour, beside its slot.
    drillStale("27h", [NODE_UP, passed("dump", "0x30"), passed("pitr", "0+3600x30"), slot("active", "1x30")], "dump"),
    // A stack whose dump drill never ran (crond broken): seen once node-exporter has been scraped for 26 h, and not
    // on its first day, when its first drill may not have been due yet.
    drillStale("27h", [NODE_UP], "dump"),
    drillStale("25h", [NODE_UP]),
    // Point-in-time recovery on (the slot is there) and no pitr drill has ever passed.
    drillStale("27h", [NODE_UP, passed("dump", "0+3600x30"), slot("active", "1x30")], "pitr"),
    // A stack without point-in-time recovery: no slot, no pitr drill, and its dump drill passes.
    drillStale("27h", [NODE_UP, passed("dump", "0+3600x30")]),
    drillStale("27h", [NODE_UP, passed("dump", "0+3600x30"), passed("pitr", "0+3600x30"), slot("active", "1x30")]),
    // The receiver stopped at minute 5: five minutes later the alert fires, four minutes later it does not yet.
    walBehind("10m", STOPPED_AT_5M, `the WAL receiver has not streamed from slot ${WAL_SLOT} for 5 minutes`),
    walBehind("9m", STOPPED_AT_5M),
    // Streaming, but 80 MiB behind from minute 5: fires after 15 minutes, not after 14.
    walBehind(
        "20m",
        BEHIND_FROM_5M,
        `the WAL receiver has been more than 4 segments behind on slot ${WAL_SLOT} for 15 minutes (80MiB)`,
    ),
    walBehind("19m", BEHIND_FROM_5M),
    // Normal streaming: the slot moves a 16 MB segment at a time, so the lag climbs to 16 MiB and drops, again and
    // again. And four segments behind, no more, for 20 minutes: the limit is above it.
    walBehind("24m", [slot("active", "1x30"), slot("pg_wal_lsn_diff", repeat(`0+${4 * MIB}x4`, 5))]),
    walBehind("25m", [slot("active", "1x30"), slot("pg_wal_lsn_diff", `${64 * MIB}x30`)]),
    // Invalidated: the lag is NaN (restart_lsn NULL), and the receiver, retrying every 5 s, is caught holding the slot
    // by every third scrape, which must not restart the five minutes.
    walBehind(
        "11m",
        [slot("active", repeat("0 0 1", 4)), slot("pg_wal_lsn_diff", repeat("NaN", 12))],
        `slot ${WAL_SLOT} has lost its restart point: it was invalidated`,
    ),
    // Another slot (not the receiver's) unused: not this alert's business.
    walBehind("15m", [
        slot("active", "0x15", "someone_elses"),
        slot("pg_wal_lsn_diff", `${200 * MIB}x15`, "someone_elses"),
    ]),
    baseBackupMissing([baseBackup("0x30")], true),
    baseBackupMissing([baseBackup("0+3600x30")], false),
    // A stack without point-in-time recovery has no base backups, and no such metric.
    baseBackupMissing([NODE_UP], false),
];

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
    ...PITR_CASES,
];
