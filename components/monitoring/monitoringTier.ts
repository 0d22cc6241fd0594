import * as pulumi from "@pulumi/pulumi";
import { PUBLIC_IMAGES } from "../images";
import { BUSYBOX_NOBODY, imageUser } from "../imageContracts";
import { Service, ServiceFile } from "../service";
import { clientSslMode, DATABASE_CA_PATH, DATABASE_ROLES, SECRETS_DIR, ServiceContext } from "../services/context";
import type { DataTier } from "../services/dataTier";
import { describeDestinations, renderAlertmanagerConfig } from "./alertmanagerConfig";
import { DASHBOARDS_DIR, renderDashboard, renderDashboardProvider, renderDatasources } from "./grafana";
import { CONTAINER_LOGS_DIR, LOKI_PORT, renderLokiConfig, renderPromtailConfig } from "./logsConfig";
import { DATA_MOUNT } from "../host/bootstrap";
import {
    renderAlertRules,
    renderBlackboxConfig,
    renderPrometheusConfig,
    RULES_FILE,
    ScrapeJob,
} from "./prometheusConfig";

import { PORTS } from "./ports";
import { TEXTFILE_DIR } from "../services/backup";
import { ENDPOINTS } from "../catalog";

export interface MonitoringTierArgs {
    readonly ctx: ServiceContext;
    readonly data: DataTier;
    /** Public URLs to probe over HTTPS. */
    readonly probeUrls: readonly string[];
    /** The stack's CA certificate in internal TLS mode, so probes trust it. */
    readonly caCertPem?: pulumi.Output<string>;
    /** Resources that must exist first (Caddy, so probes have something to reach). */
    readonly dependsOn?: readonly pulumi.Resource[];
}

/**
 * The Docker daemon's data root on the host: on a droplet the bootstrap moves it onto the block volume
 * (components/host/bootstrap.ts renderDaemonJson, `data-root`); elsewhere Docker's default, as the pre-flight
 * assumes (components/preflight/preflight.ts dockerDataPath). Docker Desktop keeps it inside its VM, where a
 * bind mount from the laptop cannot reach: there promtail finds no files and Loki stays empty.
 */
export function dockerDataRoot(target: "local" | "droplet" | "ssh"): string {
    return target === "droplet" ? `${DATA_MOUNT}/docker` : "/var/lib/docker";
}

const wgetProbe = (port: number, path: string) => ["CMD", "wget", "-q", "--spider", `http://127.0.0.1:${port}${path}`];

/**
 * Prometheus with its alert rules, Alertmanager, Loki and Promtail, Grafana
 * with the FreshTrack dashboard, the exporters and Uptime Kuma. Each joins only
 * the networks it must reach (components/platform/networks.ts): the exporters
 * monitoring, where Prometheus scrapes them beside the app (plus data for the
 * databases); Prometheus, Alertmanager and Grafana admin, where Caddy serves
 * them and Alertmanager leads out; Loki, Promtail and the blackbox exporter
 * telemetry; edge for probes. None of the unauthenticated APIs
 * (Alertmanager, Loki) shares a network with the backend, worker or frontend.
 */
export class MonitoringTier extends pulumi.ComponentResource {
    readonly services: readonly Service[];
    readonly alertDestinations: string;
    readonly grafana: Service;
    readonly prometheus: Service;
    readonly uptimeKuma: Service;

    constructor(name: string, args: MonitoringTierArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:monitoring:MonitoringTier", name, {}, opts);
        const { ctx, data } = args;
        const { cfg, networks } = ctx;
        const common = { daemon: ctx.host, namePrefix: cfg.namePrefix };
        const limits = cfg.resources;
        const monitoring = { network: networks.monitoring };
        const admin = { network: networks.admin };
        const telemetry = { network: networks.telemetry };
        const parent = { parent: this };

        // --- exporters for the data tier ---
        const exporters: Service[] = [];
        const jobs: ScrapeJob[] = [
            { job: "prometheus", targets: [`localhost:${PORTS.prometheus}`] },
            { job: "alertmanager", targets: [ENDPOINTS.alertmanager.address] },
            { job: "caddy", targets: [ENDPOINTS.caddy.address] },
            { job: "backend", targets: [ENDPOINTS.backend.address] },
            { job: "worker", targets: [ENDPOINTS.worker.address] },
            { job: "node", targets: [ENDPOINTS["node-exporter"].address] },
            { job: "minio", targets: [ENDPOINTS.minio.address], metricsPath: "/minio/v2/metrics/cluster" },
            { job: "redis", targets: [ENDPOINTS["redis-exporter"].address] },
            { job: "postgres", targets: [ENDPOINTS["postgres-exporter"].address] },
            { job: "loki", targets: [ENDPOINTS.loki.address] },
            { job: "grafana", targets: [ENDPOINTS.grafana.address] },
        ];
        const direct = data.endpoints.databaseDirect;
        const managed = direct.sslMode === "require";
        const pgPasswordFile = `${SECRETS_DIR}/postgres_password`;
        // The self-hosted PostgreSQL's monitoring role (pg_monitor: statistics, no table data; DATABASE_ROLES.monitor);
        // with managed PostgreSQL, the application's role as before.
        const exporterLogin = direct.selfHosted?.monitor ?? direct;
        exporters.push(
            new Service(
                "postgres-exporter",
                {
                    ...common,
                    kind: "stateless",
                    image: PUBLIC_IMAGES.postgresExporter,
                    user: imageUser(PUBLIC_IMAGES.postgresExporter),
                    limits: limits["postgres-exporter"],
                    env: {
                        // verify-full against the cluster's CA where there is one (managed PostgreSQL, issue 15 finding
                        // 17); the exporter hands the URI's parameters to lib/pq, which reads sslrootcert.
                        DATA_SOURCE_URI: pulumi.interpolate`${direct.host}:${direct.port}/${direct.database}?sslmode=${clientSslMode(direct)}${
                            direct.caCertificate !== undefined ? `&sslrootcert=${DATABASE_CA_PATH}` : ""
                        }`,
                        DATA_SOURCE_USER: exporterLogin.user,
                        DATA_SOURCE_PASS_FILE: pgPasswordFile,
                    },
                    files: [
                        { path: pgPasswordFile, content: exporterLogin.password, secret: true },
                        ...(direct.caCertificate !== undefined
                            ? [{ path: DATABASE_CA_PATH, content: direct.caCertificate }]
                            : []),
                    ],
                    healthcheck: { test: wgetProbe(PORTS.postgresExporter, "/metrics") },
                    // A managed cluster sits outside the host: reach it through the app network.
                    networks: [monitoring, { network: networks.data }, ...(managed ? [{ network: networks.app }] : [])],
                },
                { ...parent, dependsOn: data.postgres ? [data.postgres] : [] },
            ),
        );
        const redisPasswords = `${SECRETS_DIR}/redis_passwords.json`;
        exporters.push(
            new Service(
                "redis-exporter",
                {
                    ...common,
                    kind: "stateless",
                    image: PUBLIC_IMAGES.redisExporter,
                    user: imageUser(PUBLIC_IMAGES.redisExporter),
                    limits: limits["redis-exporter"],
                    env: {
                        REDIS_ADDR: `redis://${ENDPOINTS.redis.address}`,
                        REDIS_PASSWORD_FILE: redisPasswords,
                    },
                    // redis_exporter's password file maps each Redis URI to its password.
                    files: [
                        {
                            path: redisPasswords,
                            content: data.endpoints.redis.password.apply((pw) =>
                                JSON.stringify({ [`redis://${ENDPOINTS.redis.address}`]: pw }),
                            ),
                            secret: true,
                        },
                    ],
                    healthcheck: { test: wgetProbe(PORTS.redisExporter, "/metrics") },
                    networks: [monitoring, { network: networks.data }],
                },
                { ...parent, dependsOn: [data.redis] },
            ),
        );
        if (data.pgbouncer) {
            const argsFile = `${SECRETS_DIR}/pgbouncer_exporter.args`;
            jobs.push({ job: "pgbouncer", targets: [ENDPOINTS["pgbouncer-exporter"].address] });
            exporters.push(
                new Service(
                    "pgbouncer-exporter",
                    {
                        ...common,
                        kind: "stateless",
                        image: PUBLIC_IMAGES.pgbouncerExporter,
                        user: imageUser(PUBLIC_IMAGES.pgbouncerExporter),
                        limits: limits["pgbouncer-exporter"],
                        // The exporter takes its DSN only as a flag; kingpin reads flags from an @file
                        // (alecthomas/kingpin parser.go), so the password stays out of inspect and the process list.
                        command: [`@${argsFile}`],
                        files: [
                            {
                                path: argsFile,
                                // PgBouncer's stats user: the monitoring role (components/services/pgbouncer.ts).
                                content: exporterLogin.password.apply(
                                    (pw) =>
                                        `--pgBouncer.connectionString=postgres://${DATABASE_ROLES.monitor}:${encodeURIComponent(pw)}@${ENDPOINTS.pgbouncer.address}/pgbouncer?sslmode=disable\n`,
                                ),
                                secret: true,
                            },
                        ],
                        healthcheck: { test: wgetProbe(PORTS.pgbouncerExporter, "/metrics") },
                        networks: [monitoring, { network: networks.data }],
                    },
                    { ...parent, dependsOn: [data.pgbouncer] },
                ),
            );
        }

        // --- host metrics ---
        const nodeExporter = new Service(
            "node-exporter",
            {
                ...common,
                kind: "stateless",
                image: PUBLIC_IMAGES.nodeExporter,
                user: imageUser(PUBLIC_IMAGES.nodeExporter),
                // It writes nothing (components/imageContracts.ts): the textfile volume and the host's / are read-only
                // too.
                readOnlyRoot: true,
                limits: limits["node-exporter"],
                command: ["--path.rootfs=/host", `--collector.textfile.directory=${TEXTFILE_DIR}`],
                hostMounts: [
                    {
                        hostPath: "/",
                        containerPath: "/host",
                        why: "disk, memory and CPU of the host, for the disk-full and memory alerts",
                    },
                ],
                volumes: [
                    { volume: ctx.volumes.volume("metrics-textfile"), containerPath: TEXTFILE_DIR, readOnly: true },
                ],
                healthcheck: { test: wgetProbe(PORTS.nodeExporter, "/metrics") },
                networks: [monitoring],
            },
            parent,
        );

        // --- probes ---
        const caFile = "/etc/blackbox/ca.crt";
        const blackboxFiles: ServiceFile[] = [
            { path: "/etc/blackbox/blackbox.yml", content: renderBlackboxConfig(args.caCertPem ? caFile : undefined) },
        ];
        if (args.caCertPem) blackboxFiles.push({ path: caFile, content: args.caCertPem });
        const blackbox = new Service(
            "blackbox",
            {
                ...common,
                kind: "stateless",
                image: PUBLIC_IMAGES.blackbox,
                // The image runs as root but needs nothing root has: HTTP probes only (the config has no ICMP module),
                // and it writes nothing (components/imageContracts.ts).
                user: BUSYBOX_NOBODY,
                limits: limits.blackbox,
                command: ["--config.file=/etc/blackbox/blackbox.yml"],
                files: blackboxFiles,
                healthcheck: { test: wgetProbe(PORTS.blackbox, "/-/healthy") },
                // edge: where Caddy answers to the public names (its network aliases), so probes take the users' path.
                // telemetry, not monitoring: it leads out through edge, and /probe fetches whatever target it is given,
                // so on monitoring it would be a way out for the worker, which has none
                // (components/platform/networks.ts).
                networks: [telemetry, { network: networks.edge }],
            },
            { ...parent, dependsOn: [...(args.dependsOn ?? [])] },
        );

        // --- logs ---
        const loki = new Service(
            "loki",
            {
                ...common,
                kind: "stateful",
                statefulReason: "its index and chunks live in one directory that one process writes",
                image: PUBLIC_IMAGES.loki,
                user: imageUser(PUBLIC_IMAGES.loki),
                limits: limits.loki,
                command: ["-config.file=/etc/loki/loki.yml"],
                files: [{ path: "/etc/loki/loki.yml", content: renderLokiConfig(cfg.monitoring.logRetentionDays) }],
                volumes: [{ volume: ctx.volumes.volume("loki-data"), containerPath: "/loki" }],
                healthcheck: { test: wgetProbe(LOKI_PORT, "/ready"), startPeriodSeconds: 30 },
                // telemetry only: its push and query API has no authentication (auth_enabled: false), so nothing the
                // internet reaches may share a network with it.
                networks: [telemetry],
            },
            parent,
        );
        const promtail = new Service(
            "promtail",
            {
                ...common,
                kind: "stateless",
                image: PUBLIC_IMAGES.promtail,
                // The json-file logs are root:root 0640 in 0710 directories: only uid 0 reads them without a
                // capability, and an added capability never reaches a non-root user (components/imageContracts.ts).
                rootReason:
                    "it reads every container's log file, which Docker keeps readable by root only; it holds no capability",
                limits: limits.promtail,
                command: ["-config.file=/etc/promtail/promtail.yml"],
                files: [
                    {
                        path: "/etc/promtail/promtail.yml",
                        content: renderPromtailConfig({
                            stackLabel: cfg.namePrefix,
                            lokiUrl: `http://${ENDPOINTS.loki.address}`,
                        }),
                    },
                ],
                // The container logs as files, never the Docker socket (issue 15, finding 6; CIS 5.32): the json-file
                // logs are root:root 0640 in 0710 directories, readable by the image's uid 0 with no capability
                // (components/imageContracts.ts).
                hostMounts: [
                    {
                        hostPath: `${dockerDataRoot(cfg.target)}/containers`,
                        containerPath: CONTAINER_LOGS_DIR,
                        why: "tails every container's json-file log; read-only",
                    },
                ],
                // The image has bash but no HTTP client, and Docker runs a CMD-SHELL check with /bin/sh, which is
                // dash there and has no /dev/tcp: the probe runs under bash explicitly (components/imageContracts.ts).
                healthcheck: {
                    test: [
                        "CMD",
                        "bash",
                        "-c",
                        "exec 3<>/dev/tcp/127.0.0.1/9080 && printf 'GET /ready HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q ' 200 ' <&3",
                    ],
                },
                networks: [telemetry],
            },
            { ...parent, dependsOn: [loki] },
        );

        // --- alerts ---
        const alerts = cfg.alerts;
        const alertFiles: ServiceFile[] = [];
        const smtpFile = `${SECRETS_DIR}/smtp_password`;
        const slackFile = `${SECRETS_DIR}/slack_webhook_url`;
        if (alerts.email?.password) alertFiles.push({ path: smtpFile, content: alerts.email.password, secret: true });
        if (alerts.slack) alertFiles.push({ path: slackFile, content: alerts.slack.webhookUrl, secret: true });
        const webhookUrl = alerts.webhook ? alerts.webhook.url : pulumi.output("");
        const amConfig = webhookUrl.apply((url) =>
            renderAlertmanagerConfig({
                ...(alerts.email
                    ? {
                          email: {
                              to: alerts.email.to,
                              from: alerts.email.from,
                              smarthost: alerts.email.smarthost,
                              ...(alerts.email.username
                                  ? { username: alerts.email.username, passwordFile: smtpFile }
                                  : {}),
                          },
                      }
                    : {}),
                ...(alerts.slack ? { slack: { channel: alerts.slack.channel, urlFile: slackFile } } : {}),
                ...(alerts.webhook ? { webhook: { url } } : {}),
            }),
        );
        alertFiles.unshift({
            path: "/etc/alertmanager/alertmanager.yml",
            content: amConfig,
            secret: alerts.webhook !== undefined,
        });
        this.alertDestinations = describeDestinations(alerts);
        const alertmanager = new Service(
            "alertmanager",
            {
                ...common,
                kind: "stateful",
                statefulReason: "silences and the notification log live in one data directory",
                image: PUBLIC_IMAGES.alertmanager,
                user: imageUser(PUBLIC_IMAGES.alertmanager),
                limits: limits.alertmanager,
                command: ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"],
                files: alertFiles,
                volumes: [{ volume: ctx.volumes.volume("alertmanager-data"), containerPath: "/alertmanager" }],
                healthcheck: { test: wgetProbe(PORTS.alertmanager, "/-/healthy") },
                // admin: Caddy serves it behind basic auth, Prometheus sends it alerts, Grafana reads it, and it leads
                // out to mail servers, Slack and webhooks. Its API (silences) has no authentication of its own, so it
                // is on no network the backend, worker, frontend or the jobs running the app's image join: not app,
                // which the worker joins with a managed database (components/platform/networks.ts).
                networks: [admin],
            },
            parent,
        );

        // --- metrics ---
        this.prometheus = new Service(
            "prometheus",
            {
                ...common,
                kind: "stateful",
                statefulReason: "its TSDB directory takes a lock; a second server cannot open it",
                image: PUBLIC_IMAGES.prometheus,
                user: imageUser(PUBLIC_IMAGES.prometheus),
                limits: limits.prometheus,
                command: [
                    "--config.file=/etc/prometheus/prometheus.yml",
                    "--storage.tsdb.path=/prometheus",
                    `--storage.tsdb.retention.time=${cfg.monitoring.metricsRetentionDays}d`,
                ],
                files: [
                    {
                        path: "/etc/prometheus/prometheus.yml",
                        content: renderPrometheusConfig({
                            jobs,
                            probeUrls: args.probeUrls,
                            blackbox: ENDPOINTS.blackbox.address,
                            alertmanager: ENDPOINTS.alertmanager.address,
                            stack: cfg.stack,
                        }),
                    },
                    { path: RULES_FILE, content: renderAlertRules() },
                ],
                volumes: [{ volume: ctx.volumes.volume("prometheus-data"), containerPath: "/prometheus" }],
                healthcheck: { test: wgetProbe(PORTS.prometheus, "/-/healthy") },
                // monitoring: it scrapes the backend, worker, MinIO and the exporters; admin: Caddy serves it behind
                // basic auth, and Alertmanager, Caddy and Grafana are there; telemetry: Loki and the blackbox exporter.
                // On monitoring the backend and worker can reach its port too (a scraped peer can always connect back):
                // there it answers read-only queries only. The admin API (snapshots, series deletion), the lifecycle
                // endpoints (quit, reload) and the remote-write and OTLP receivers are off without their flags, none of
                // which is given (prometheus@v2.53.2 cmd/prometheus/main.go:319-326 and :182-183; web/web.go:452-466
                // answers 403; web/api/v1/api.go:1667-1669 "admin APIs disabled", :1651-1663 404 for the receivers).
                networks: [monitoring, admin, telemetry],
            },
            { ...parent, dependsOn: [alertmanager] },
        );

        // --- dashboards ---
        const grafanaPasswordFile = `${SECRETS_DIR}/grafana_admin_password`;
        const dashboards = new Service(
            "grafana-dashboards",
            {
                ...common,
                kind: "job",
                image: PUBLIC_IMAGES.grafana,
                limits: limits["grafana-dashboards"],
                // A dashboard edit replaces this job, never Grafana: Grafana re-reads the directory every 10 s.
                // Docker created the volume root-owned: the image has no /dashboards to copy an owner from.
                rootReason:
                    "it writes into the dashboards volume, which Docker created root-owned and earlier runs filled as root",
                user: "root",
                entrypoint: ["/bin/sh", "-c"],
                command: ["cp /run/provisioning/*.json /dashboards/ && ls -l /dashboards"],
                files: [{ path: "/run/provisioning/freshtrack.json", content: renderDashboard() }],
                volumes: [{ volume: ctx.volumes.volume("grafana-dashboards"), containerPath: "/dashboards" }],
                // It calls nothing; beside Grafana, off the network the app shares.
                networks: [telemetry],
            },
            parent,
        );
        this.grafana = new Service(
            "grafana",
            {
                ...common,
                kind: "stateful",
                statefulReason: "users, preferences and annotations live in one SQLite file",
                image: PUBLIC_IMAGES.grafana,
                user: imageUser(PUBLIC_IMAGES.grafana),
                limits: limits.grafana,
                env: {
                    GF_SECURITY_ADMIN_USER: "admin",
                    GF_SECURITY_ADMIN_PASSWORD__FILE: grafanaPasswordFile,
                    GF_AUTH_ANONYMOUS_ENABLED: "false",
                    GF_USERS_ALLOW_SIGN_UP: "false",
                    GF_SERVER_ROOT_URL: `https://grafana.${cfg.domain}`,
                    GF_ANALYTICS_REPORTING_ENABLED: "false",
                    GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
                },
                files: [
                    { path: grafanaPasswordFile, content: ctx.secrets.grafanaAdminPassword, secret: true },
                    {
                        path: "/etc/grafana/provisioning/datasources/freshtrack.yml",
                        content: renderDatasources({
                            prometheus: `http://${ENDPOINTS.prometheus.address}`,
                            loki: `http://${ENDPOINTS.loki.address}`,
                            alertmanager: `http://${ENDPOINTS.alertmanager.address}`,
                        }),
                    },
                    { path: "/etc/grafana/provisioning/dashboards/freshtrack.yml", content: renderDashboardProvider() },
                ],
                volumes: [
                    { volume: ctx.volumes.volume("grafana-data"), containerPath: "/var/lib/grafana" },
                    { volume: ctx.volumes.volume("grafana-dashboards"), containerPath: DASHBOARDS_DIR, readOnly: true },
                ],
                healthcheck: { test: wgetProbe(PORTS.grafana, "/api/health"), startPeriodSeconds: 30 },
                // admin: Caddy serves it, and Prometheus and Alertmanager are there; telemetry: Loki.
                networks: [admin, telemetry],
            },
            { ...parent, dependsOn: [this.prometheus, loki, dashboards] },
        );

        // Grafana applies GF_SECURITY_ADMIN_PASSWORD only when it creates its database, so a
        // rotated password is written into the existing database by its own CLI. The job's
        // inputs are the password and the image, so it runs again exactly when one changes.
        const adminPassword = new Service(
            "grafana-admin-password",
            {
                ...common,
                kind: "job",
                image: PUBLIC_IMAGES.grafana,
                // Grafana's own user: the database it rewrites is Grafana's (472), in the volume Grafana owns.
                user: imageUser(PUBLIC_IMAGES.grafana),
                limits: limits["grafana-admin-password"],
                entrypoint: ["/bin/sh", "-c"],
                command: [
                    `grafana cli --homepath /usr/share/grafana admin reset-admin-password --password-from-stdin < ${grafanaPasswordFile}`,
                ],
                files: [{ path: grafanaPasswordFile, content: ctx.secrets.grafanaAdminPassword, secret: true }],
                volumes: [{ volume: ctx.volumes.volume("grafana-data"), containerPath: "/var/lib/grafana" }],
                networks: [telemetry],
            },
            { ...parent, dependsOn: [this.grafana] },
        );

        // --- status page ---
        this.uptimeKuma = new Service(
            "uptime-kuma",
            {
                ...common,
                kind: "stateful",
                statefulReason: "its monitors and history live in one SQLite file",
                image: PUBLIC_IMAGES.uptimeKuma,
                // The image runs as root and has no other user for /app/data (components/imageContracts.ts).
                rootReason:
                    "its database sits in a volume that earlier releases filled as root; it holds no capability",
                // It writes only /app/data (components/imageContracts.ts), and Node's temporary files go to the tmpfs.
                readOnlyRoot: true,
                tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" },
                limits: limits["uptime-kuma"],
                volumes: [{ volume: ctx.volumes.volume("uptime-kuma-data"), containerPath: "/app/data" }],
                // The image's entrypoint ends in `setpriv --clear-groups`, whose setgroups() needs CAP_SETGID even
                // when it changes to root (uptime-kuma 1.23.15 extra/entrypoint.sh; components/imageContracts.ts),
                // so without it the container never starts. With PUID unset it drops nothing, so the server is
                // started the way the entrypoint would have, under the image's own init, with no capability.
                entrypoint: ["/usr/bin/dumb-init", "--"],
                command: ["node", "server/server.js"],
                // The image's own probe (louislam/uptime-kuma docker/dockerfile HEALTHCHECK).
                healthcheck: { test: ["CMD", "extra/healthcheck"], startPeriodSeconds: 60 },
                // status: Caddy and the way out to the internet for its checks, nothing else
                // (components/platform/networks.ts).
                networks: [{ network: networks.status }],
            },
            parent,
        );

        this.services = [
            ...exporters,
            nodeExporter,
            blackbox,
            loki,
            promtail,
            alertmanager,
            this.prometheus,
            dashboards,
            this.grafana,
            adminPassword,
            this.uptimeKuma,
        ];
        this.registerOutputs({ alertDestinations: this.alertDestinations });
    }
}
