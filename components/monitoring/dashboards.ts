/** Grafana with its provisioned datasources and the FreshTrack dashboard, and the two jobs beside it. */
import type * as pulumi from "@pulumi/pulumi";
import { ENDPOINTS, imageOf } from "../catalog";
import { imageUser } from "../imageContracts";
import { Service } from "../service";
import { SECRETS_DIR } from "../services/context";
import { MonitoringContext, wgetProbe } from "./context";
import { DASHBOARDS_DIR, renderDashboard, renderDashboardProvider, renderDatasources } from "./grafana";

/**
 * The dashboards job, Grafana (which waits for it, Prometheus and Loki) and the job that keeps Grafana's admin
 * password the stack's, in that order.
 */
export function dashboardServices(
    ctx: MonitoringContext,
    sources: { readonly prometheus: Service; readonly loki: Service },
    parent: pulumi.Resource,
): { dashboards: Service; grafana: Service; adminPassword: Service } {
    const common = { daemon: ctx.daemon, namePrefix: ctx.namePrefix };
    const telemetry = { network: ctx.networks.telemetry };
    const grafanaPasswordFile = `${SECRETS_DIR}/grafana_admin_password`;
    const dashboards = new Service(
        "grafana-dashboards",
        {
            ...common,
            kind: "job",
            image: imageOf("grafana-dashboards"),
            limits: ctx.limits["grafana-dashboards"],
            // A dashboard edit replaces this job, never Grafana: Grafana re-reads the directory every 10 s.
            // Docker created the volume root-owned: the image has no /dashboards to copy an owner from.
            rootReason:
                "it writes into the dashboards volume, which Docker created root-owned and earlier runs filled as root",
            user: "root",
            entrypoint: ["/bin/sh", "-c"],
            command: ["cp /run/provisioning/*.json /dashboards/ && ls -l /dashboards"],
            files: [{ path: "/run/provisioning/freshtrack.json", content: renderDashboard() }],
            volumes: [{ volume: ctx.volumes["grafana-dashboards"], containerPath: "/dashboards" }],
            // It calls nothing; beside Grafana, off the network the app shares.
            networks: [telemetry],
        },
        { parent },
    );
    const grafana = new Service(
        "grafana",
        {
            ...common,
            kind: "stateful",
            statefulReason: "users, preferences and annotations live in one SQLite file",
            image: imageOf("grafana"),
            user: imageUser(imageOf("grafana")),
            limits: ctx.limits.grafana,
            env: {
                GF_SECURITY_ADMIN_USER: "admin",
                GF_SECURITY_ADMIN_PASSWORD__FILE: grafanaPasswordFile,
                GF_AUTH_ANONYMOUS_ENABLED: "false",
                GF_USERS_ALLOW_SIGN_UP: "false",
                GF_SERVER_ROOT_URL: `https://grafana.${ctx.domain}`,
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
                { volume: ctx.volumes["grafana-data"], containerPath: "/var/lib/grafana" },
                { volume: ctx.volumes["grafana-dashboards"], containerPath: DASHBOARDS_DIR, readOnly: true },
            ],
            healthcheck: { test: wgetProbe(ENDPOINTS.grafana.port, "/api/health"), startPeriodSeconds: 30 },
            // admin: Caddy serves it, and Prometheus and Alertmanager are there; telemetry: Loki.
            networks: [{ network: ctx.networks.admin }, telemetry],
        },
        { parent, dependsOn: [sources.prometheus, sources.loki, dashboards] },
    );

    // Grafana applies GF_SECURITY_ADMIN_PASSWORD only when it creates its database, so a
    // rotated password is written into the existing database by its own CLI. The job's
    // inputs are the password and the image, so it runs again exactly when one changes.
    const adminPassword = new Service(
        "grafana-admin-password",
        {
            ...common,
            kind: "job",
            image: imageOf("grafana-admin-password"),
            // Grafana's own user: the database it rewrites is Grafana's (472), in the volume Grafana owns.
            user: imageUser(imageOf("grafana-admin-password")),
            limits: ctx.limits["grafana-admin-password"],
            entrypoint: ["/bin/sh", "-c"],
            command: [
                `grafana cli --homepath /usr/share/grafana admin reset-admin-password --password-from-stdin < ${grafanaPasswordFile}`,
            ],
            files: [{ path: grafanaPasswordFile, content: ctx.secrets.grafanaAdminPassword, secret: true }],
            volumes: [{ volume: ctx.volumes["grafana-data"], containerPath: "/var/lib/grafana" }],
            networks: [telemetry],
        },
        { parent, dependsOn: [grafana] },
    );
    return { dashboards, grafana, adminPassword };
}
