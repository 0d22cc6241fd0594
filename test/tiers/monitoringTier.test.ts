/**
 * The monitoring tier alone (issue 16, item 3: narrow tiers exchange values): built from its part of the platform,
 * the settings it reads and plain stand-ins for what the data tier and the edge hand it (an endpoint, a password,
 * the resources to wait for), with no data, application or edge tier. Rung 1 (mocks).
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { AlertDestinations, DEFAULT_LIMITS } from "../../components/config";
import { MONITORING_PLATFORM, MonitoringTier } from "../../components/monitoring/monitoringTier";
import { DatabaseEndpoint } from "../../components/services/context";
import { RegisteredResource } from "../../scripts/lib/mockRun";
import { containerNamed, containers, plainStrings, run, uploadText } from "../helpers";
import { testPlatform } from "./platform";

/** A resource of no provider, which the mocks register like any other. */
class StandIn extends pulumi.CustomResource {
    constructor(name: string) {
        super("test:tiers:StandIn", name, {});
    }
}

interface Options {
    /** Self-hosted: PostgreSQL and PgBouncer stand-ins and a monitoring login; managed: neither, sslmode require. */
    readonly database: "self-hosted" | "managed";
    readonly alerts?: AlertDestinations;
}

async function monitoringAlone(o: Options): Promise<{ resources: RegisteredResource[]; tier: MonitoringTier }> {
    const { resources, result } = await run(() => {
        const { provider, platform } = testPlatform(MONITORING_PLATFORM);
        // What the data tier and the edge would be: resources to wait for, nothing more. Custom ones: waiting for a
        // component means waiting for its custom children, and a stand-in has none.
        const standIn = (name: string) => new StandIn(name);
        const selfHosted = o.database === "self-hosted";
        const database: DatabaseEndpoint = {
            host: selfHosted ? "postgres" : "db.example.net",
            port: selfHosted ? 5432 : 25060,
            database: "freshtrack",
            user: "freshtrack_app",
            password: pulumi.secret("app-password"),
            sslMode: selfHosted ? "disable" : "require",
            ...(selfHosted
                ? {
                      selfHosted: {
                          superusers: [],
                          backup: { user: "freshtrack_backup", password: pulumi.secret("backup-password") },
                          monitor: { user: "freshtrack_monitor", password: pulumi.secret("monitor-password") },
                          replication: {
                              user: "freshtrack_replication",
                              password: pulumi.secret("replication-password"),
                          },
                      },
                  }
                : {}),
        };
        return new MonitoringTier(
            "monitoring",
            {
                ...platform,
                limits: DEFAULT_LIMITS,
                alerts: o.alerts ?? {},
                domain: "cold.example.net",
                stack: "tier",
                retention: { metricsRetentionDays: 30, logRetentionDays: 9 },
                dockerDataRoot: "/srv/docker",
                data: {
                    endpoints: {
                        databaseDirect: database,
                        redis: { host: "redis", port: 6379, password: pulumi.secret("redis-password") },
                    },
                    readiness: {
                        redis: standIn("redis"),
                        ...(selfHosted
                            ? { selfHostedDatabase: { postgres: standIn("postgres"), pgbouncer: standIn("pgbouncer") } }
                            : {}),
                    },
                },
                probeUrls: ["https://cold.example.net"],
                probesAfter: [standIn("caddy")],
            },
            { providers: [provider] },
        );
    });
    return { resources, tier: result };
}

const networksOf = (resources: RegisteredResource[], name: string) =>
    (containerNamed(resources, name).inputs.networksAdvanced as Array<{ name: string }>).map((n) => n.name);

/** Whether the container `name` waits for the stand-in `standIn`. */
const waitsFor = (resources: RegisteredResource[], name: string, standIn: string) =>
    containerNamed(resources, name).options.dependsOn.some((urn) => urn.endsWith(`test:tiers:StandIn::${standIn}`));

describe("monitoring tier alone: its part of the platform, its settings and the data tier's values in", () => {
    it("runs the exporters, logs, Prometheus, Alertmanager, Grafana and Uptime Kuma on the networks it was given", async () => {
        const { resources } = await monitoringAlone({ database: "self-hosted" });
        expect(containers(resources).map((c) => c.name)).to.have.members([
            "postgres-exporter",
            "redis-exporter",
            "pgbouncer-exporter",
            "node-exporter",
            "blackbox",
            "loki",
            "promtail",
            "alertmanager",
            "prometheus",
            "grafana-dashboards",
            "grafana",
            "grafana-admin-password",
            "uptime-kuma",
        ]);
        const given = MONITORING_PLATFORM.networks.map((n) => `freshtrack-tier-${n}`);
        for (const c of containers(resources)) {
            expect(c.options.provider, `${c.name}: the provider given to the tier`).to.match(/::tier-docker::/);
            expect(given, `${c.name}'s networks`).to.include.members(networksOf(resources, c.name));
        }
        // The app network is only the postgres exporter's way out to a managed cluster.
        expect(networksOf(resources, "postgres-exporter")).not.to.include("freshtrack-tier-app");
    });

    it("reaches a managed cluster through the app network, and runs no PgBouncer exporter without PgBouncer", async () => {
        const { resources } = await monitoringAlone({ database: "managed" });
        expect(containers(resources).map((c) => c.name)).not.to.include("pgbouncer-exporter");
        expect(networksOf(resources, "postgres-exporter")).to.include("freshtrack-tier-app");
        expect(uploadText(resources, "prometheus", "/etc/prometheus/prometheus.yml")).not.to.include("pgbouncer");
    });

    it("has each exporter wait for its data service, and only the blackbox exporter wait for probesAfter", async () => {
        const { resources } = await monitoringAlone({ database: "self-hosted" });
        expect(waitsFor(resources, "postgres-exporter", "postgres"), "postgres-exporter after PostgreSQL").to.be.true;
        expect(waitsFor(resources, "pgbouncer-exporter", "pgbouncer"), "pgbouncer-exporter after PgBouncer").to.be.true;
        expect(waitsFor(resources, "redis-exporter", "redis"), "redis-exporter after Redis").to.be.true;
        // Each after its own service only (the data tier's readiness names them one by one).
        expect(waitsFor(resources, "postgres-exporter", "pgbouncer"), "postgres-exporter after PgBouncer").to.be.false;
        expect(waitsFor(resources, "pgbouncer-exporter", "postgres"), "pgbouncer-exporter after PostgreSQL").to.be
            .false;
        const managed = await monitoringAlone({ database: "managed" });
        const managedWaits = containerNamed(managed.resources, "postgres-exporter").options.dependsOn;
        expect(
            managedWaits.filter((urn) => urn.includes("test:tiers:StandIn")),
            "postgres-exporter with the database outside the host",
        ).to.be.empty;
        expect(waitsFor(resources, "blackbox", "caddy"), "the probes after Caddy").to.be.true;
        const tier = resources.find((r) => r.type === "freshtrack:monitoring:MonitoringTier");
        expect(tier?.options.dependsOn, "the tier itself registers at once").to.be.empty;
        const others = containers(resources).filter(
            (c) => c.name !== "blackbox" && waitsFor(resources, c.name, "caddy"),
        );
        expect(
            others.map((c) => c.name),
            "containers that wait for Caddy beside the probes",
        ).to.be.empty;
    });

    it("keeps metrics and logs for the days it was told, and ships logs from the Docker data root it was given", async () => {
        const { resources } = await monitoringAlone({ database: "self-hosted" });
        expect(containerNamed(resources, "prometheus").inputs.command).to.include("--storage.tsdb.retention.time=30d");
        expect(uploadText(resources, "loki", "/etc/loki/loki.yml")).to.match(/retention_period: 216h/);
        const volumes = containerNamed(resources, "promtail").inputs.volumes as Array<{ hostPath?: string }>;
        expect(volumes.map((v) => v.hostPath)).to.include("/srv/docker/containers");
    });

    it("sends alerts to the webhook it was given, keeping the URL secret, and says where they go", async () => {
        const url = "https://hooks.example.net/freshtrack";
        const { resources, tier } = await monitoringAlone({
            database: "self-hosted",
            alerts: { webhook: { url: pulumi.secret(url) } },
        });
        expect(tier.alertDestinations).to.equal("a webhook");
        expect(uploadText(resources, "alertmanager", "/etc/alertmanager/alertmanager.yml")).to.include(url);
        const inPlainText = plainStrings(containerNamed(resources, "alertmanager").inputs).filter((t) =>
            t.includes(url),
        );
        expect(inPlainText, "the webhook URL outside a secret").to.be.empty;
        const quiet = await monitoringAlone({ database: "self-hosted" });
        expect(quiet.tier.alertDestinations).to.match(/^NOWHERE/);
    });
});
