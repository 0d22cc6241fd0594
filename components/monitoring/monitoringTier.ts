import * as pulumi from "@pulumi/pulumi";
import { DATA_MOUNT } from "../host/bootstrap";
import type { Service } from "../service";
import { alertmanager, prometheus, scrapeJobs } from "./alerting";
import type { MonitoringContext } from "./context";
import { dashboardServices } from "./dashboards";
import { blackbox, dataExporters, type MonitoredData, nodeExporter } from "./exporters";
import { logServices } from "./logs";
import { uptimeKuma } from "./uptime";

export { MONITORING_PLATFORM } from "./context";
export type { MonitoringContext, MonitoringPlatform } from "./context";
export type { MonitoredData } from "./exporters";

export interface MonitoringTierArgs extends MonitoringContext {
    /** The data tier's values the exporters connect with, and what they wait for; never the tier or its services. */
    readonly data: MonitoredData;
    /** Public URLs to probe over HTTPS (the edge's). */
    readonly probeUrls: readonly string[];
    /** The stack's CA certificate in internal TLS mode, so probes trust it. */
    readonly caCertPem?: pulumi.Output<string>;
    /**
     * What the probes wait for (Caddy, so they have something to reach): the blackbox exporter's container waits for
     * these, and nothing else in the tier does.
     */
    readonly probesAfter?: readonly pulumi.Resource[];
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
        const ctx: MonitoringContext = args;

        const exporters = dataExporters(ctx, args.data, this);
        const host = nodeExporter(ctx, this);
        const probes = blackbox(ctx, args.caCertPem, args.probesAfter, this);
        const { loki, promtail } = logServices(ctx, this);
        const alerting = alertmanager(ctx, this);
        this.alertDestinations = alerting.destinations;
        const jobs = scrapeJobs(args.data.readiness.selfHostedDatabase !== undefined);
        this.prometheus = prometheus(ctx, jobs, args.probeUrls, alerting.alertmanager, this);
        const grafana = dashboardServices(ctx, { prometheus: this.prometheus, loki }, this);
        this.grafana = grafana.grafana;
        this.uptimeKuma = uptimeKuma(ctx, this);

        this.services = [
            ...exporters,
            host,
            probes,
            loki,
            promtail,
            alerting.alertmanager,
            this.prometheus,
            grafana.dashboards,
            this.grafana,
            grafana.adminPassword,
            this.uptimeKuma,
        ];
        this.registerOutputs({ alertDestinations: this.alertDestinations });
    }
}
