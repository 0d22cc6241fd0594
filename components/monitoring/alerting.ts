/** Prometheus, which scrapes every target and evaluates the alert rules, and Alertmanager, which sends the alerts. */
import * as pulumi from "@pulumi/pulumi";
import { ENDPOINTS, imageOf } from "../catalog";
import { imageUser } from "../imageContracts";
import { Service, ServiceFile } from "../service";
import { SECRETS_DIR } from "../services/context";
import { describeDestinations, renderAlertmanagerConfig } from "./alertmanagerConfig";
import { MonitoringContext, wgetProbe } from "./context";
import { renderAlertRules, renderPrometheusConfig, RULES_FILE, ScrapeJob } from "./prometheusConfig";

/** What Prometheus scrapes, by catalog endpoint; PgBouncer's exporter only where PgBouncer runs. */
export function scrapeJobs(withPgbouncer: boolean): ScrapeJob[] {
    return [
        { job: "prometheus", targets: [`localhost:${ENDPOINTS.prometheus.port}`] },
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
        ...(withPgbouncer ? [{ job: "pgbouncer", targets: [ENDPOINTS["pgbouncer-exporter"].address] }] : []),
    ];
}

/** Alertmanager with the stack's destinations, and those destinations in words for the stack's outputs. */
export function alertmanager(
    ctx: MonitoringContext,
    parent: pulumi.Resource,
): { alertmanager: Service; destinations: string } {
    const { alerts } = ctx;
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
                          ...(alerts.email.username ? { username: alerts.email.username, passwordFile: smtpFile } : {}),
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
    const service = new Service(
        "alertmanager",
        {
            daemon: ctx.daemon,
            namePrefix: ctx.namePrefix,
            kind: "stateful",
            statefulReason: "silences and the notification log live in one data directory",
            image: imageOf("alertmanager"),
            user: imageUser(imageOf("alertmanager")),
            limits: ctx.limits.alertmanager,
            command: ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"],
            files: alertFiles,
            volumes: [{ volume: ctx.volumes["alertmanager-data"], containerPath: "/alertmanager" }],
            healthcheck: { test: wgetProbe(ENDPOINTS.alertmanager.port, "/-/healthy") },
            // admin: Caddy serves it behind basic auth, Prometheus sends it alerts, Grafana reads it, and it leads
            // out to mail servers, Slack and webhooks. Its API (silences) has no authentication of its own, so it
            // is on no network the backend, worker, frontend or the jobs running the app's image join: not app,
            // which the worker joins with a managed database (components/platform/networks.ts).
            networks: [{ network: ctx.networks.admin }],
        },
        { parent },
    );
    return { alertmanager: service, destinations: describeDestinations(alerts) };
}

/** Prometheus with its scrape jobs, the HTTPS probes of `probeUrls` and the alert rules; it waits for Alertmanager. */
export function prometheus(
    ctx: MonitoringContext,
    jobs: readonly ScrapeJob[],
    probeUrls: readonly string[],
    alertmanagerService: Service,
    parent: pulumi.Resource,
): Service {
    const { networks } = ctx;
    return new Service(
        "prometheus",
        {
            daemon: ctx.daemon,
            namePrefix: ctx.namePrefix,
            kind: "stateful",
            statefulReason: "its TSDB directory takes a lock; a second server cannot open it",
            image: imageOf("prometheus"),
            user: imageUser(imageOf("prometheus")),
            limits: ctx.limits.prometheus,
            command: [
                "--config.file=/etc/prometheus/prometheus.yml",
                "--storage.tsdb.path=/prometheus",
                `--storage.tsdb.retention.time=${ctx.retention.metricsRetentionDays}d`,
            ],
            files: [
                {
                    path: "/etc/prometheus/prometheus.yml",
                    content: renderPrometheusConfig({
                        jobs: [...jobs],
                        probeUrls,
                        blackbox: ENDPOINTS.blackbox.address,
                        alertmanager: ENDPOINTS.alertmanager.address,
                        stack: ctx.stack,
                    }),
                },
                { path: RULES_FILE, content: renderAlertRules() },
            ],
            volumes: [{ volume: ctx.volumes["prometheus-data"], containerPath: "/prometheus" }],
            healthcheck: { test: wgetProbe(ENDPOINTS.prometheus.port, "/-/healthy") },
            // monitoring: it scrapes the backend, worker, MinIO and the exporters; admin: Caddy serves it behind
            // basic auth, and Alertmanager, Caddy and Grafana are there; telemetry: Loki and the blackbox exporter.
            // On monitoring the backend and worker can reach its port too (a scraped peer can always connect back):
            // there it answers read-only queries only. The admin API (snapshots, series deletion), the lifecycle
            // endpoints (quit, reload) and the remote-write and OTLP receivers are off without their flags, none of
            // which is given (prometheus@v2.53.2 cmd/prometheus/main.go:319-326 and :182-183; web/web.go:452-466
            // answers 403; web/api/v1/api.go:1667-1669 "admin APIs disabled", :1651-1663 404 for the receivers).
            networks: [{ network: networks.monitoring }, { network: networks.admin }, { network: networks.telemetry }],
        },
        { parent, dependsOn: [alertmanagerService] },
    );
}
