import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig, placeholderValues, unalertedProductionWarning } from "./config";
import { createHost } from "./host";
import { ManagedDatabase } from "./platform/managedDatabase";
import { edgeHasIpv6, Networks } from "./platform/networks";
import { GeneratedSecrets } from "./platform/secrets";
import { appImageSources } from "./services/appImages";
import { DataVolumes } from "./platform/volumes";
import { EDGE_PLATFORM, Edge } from "./edge/caddy";
import { dockerDataRoot, MONITORING_PLATFORM, MonitoringTier } from "./monitoring/monitoringTier";
import { Announcement } from "./postDeploy/announcement";
import { Verification } from "./postDeploy/verification";
import { APP_PLATFORM, AppTier } from "./services/appTier";
import { DATABASE_ROLES, pickPlatform } from "./services/context";
import { DATA_PLATFORM, DataTier } from "./services/dataTier";
import { MINIO_ROOT_USER } from "./services/minio";

/**
 * Builds the stack in layer order: config, host, platform, services (data,
 * app), edge, monitoring, then the post-deploy gate and announcement. Kept out
 * of index.ts so tests and the npm scripts can run it under mocks and inspect it.
 */
export function deployStack() {
    const cfg = loadStackConfig();
    const examples = placeholderValues(cfg);
    if (examples.length > 0) {
        // A warning, not a refusal: preview and plan must still show the shipped stacks. `npm run deploy` refuses them.
        void pulumi.log.warn(
            [
                `Pulumi.${cfg.stack}.yaml still has documentation example values, which cannot work deployed; set your own (docs/walkthrough.md, step 4):`,
                ...examples.map((e) => `  ${e}`),
            ].join("\n"),
        );
    }
    const unalerted = unalertedProductionWarning(cfg);
    if (unalerted) void pulumi.log.warn(unalerted);
    const host = createHost(cfg);
    const providerOpts = { providers: [host.provider] };
    const networks = new Networks(
        "networks",
        { namePrefix: cfg.namePrefix, ipv6: edgeHasIpv6(cfg.target) },
        providerOpts,
    );
    const volumes = new DataVolumes(
        "volumes",
        { namePrefix: cfg.namePrefix, exclude: cfg.database.mode === "managed" ? ["postgres-data"] : [] },
        providerOpts,
    );
    const secrets = new GeneratedSecrets("secrets", { generations: cfg.secretGenerations });

    let managed: ManagedDatabase | undefined;
    if (cfg.database.mode === "managed") {
        if (!host.digitalocean) throw new pulumi.RunError("freshtrack:database.mode managed needs the droplet target");
        const db = cfg.database;
        managed = new ManagedDatabase("database", {
            namePrefix: cfg.namePrefix,
            region: host.digitalocean.region,
            vpcId: host.digitalocean.vpcId,
            dropletId: host.digitalocean.dropletId,
            size: db.size,
            nodeCount: db.nodeCount,
            version: db.version,
            ...(db.fork ? { fork: db.fork } : {}),
        });
    }

    const platform = {
        namePrefix: cfg.namePrefix,
        daemon: host,
        networks: networks.networks,
        volumes,
        secrets: secrets.values,
    };
    const data = new DataTier(
        "data",
        {
            ...pickPlatform(platform, DATA_PLATFORM),
            limits: cfg.resources,
            backupRetentionDays: cfg.backup.retentionDays,
            backupPointInTimeDays: cfg.backup.pointInTimeDays,
            walKeepMb: cfg.backup.walKeepMb,
            ...(cfg.backup.pointInTime && !managed
                ? { pointInTime: { walKeepMb: cfg.backup.walKeepMb, synchronous: cfg.backup.synchronousWal } }
                : {}),
            database: managed
                ? { external: { pooled: managed.endpoint, direct: managed.direct } }
                : { volume: volumes.volume("postgres-data") },
        },
        providerOpts,
    );

    const app = new AppTier(
        "app",
        {
            ...pickPlatform(platform, APP_PLATFORM),
            app: cfg.app,
            domain: cfg.domain,
            images: appImageSources(cfg, host),
            limits: cfg.resources,
            backup: cfg.backup,
            drillTables: cfg.rollback.exportTables,
            databaseMode: cfg.database.mode,
            ...(cfg.demoData ? { demoData: { seedVersion: cfg.demoSeedVersion } } : {}),
            data: { endpoints: data.endpoints, readiness: data.readiness },
        },
        providerOpts,
    );
    const edge = new Edge(
        "edge",
        {
            ...pickPlatform(platform, EDGE_PLATFORM),
            domain: cfg.domain,
            adminEmail: cfg.adminEmail,
            tlsMode: cfg.tlsMode,
            stack: cfg.stack,
            limits: cfg.resources,
            publicPorts: cfg.target !== "local",
            edgeIpv6: edgeHasIpv6(cfg.target),
            publicStatusPages: cfg.monitoring.publicStatusPages,
        },
        providerOpts,
    );
    const monitoring = new MonitoringTier(
        "monitoring",
        {
            ...pickPlatform(platform, MONITORING_PLATFORM),
            limits: cfg.resources,
            alerts: cfg.alerts,
            domain: cfg.domain,
            stack: cfg.stack,
            retention: cfg.monitoring,
            dockerDataRoot: dockerDataRoot(cfg.target),
            data: { endpoints: data.endpoints, readiness: data.readiness },
            // Not the status page: it is behind the admin basic auth (issue 15, finding 1), which the probe does not
            // carry; the verification gate checks it with the password.
            probeUrls: [edge.urls.dashboard, `${edge.urls.grafana}/api/health`],
            ...(edge.internalCa ? { caCertPem: edge.internalCa.caCertPem } : {}),
            probesAfter: [edge.caddy],
        },
        providerOpts,
    );

    const services = [...data.services, ...app.services, edge.caddy, ...monitoring.services];
    const verification = new Verification("verification", {
        settings: cfg.verification,
        domain: cfg.domain,
        tlsMode: cfg.tlsMode,
        edge: { urls: edge.urls, adminPassword: edge.adminPassword, caCertPem: edge.internalCa?.caCertPem },
        services,
        publicAddress: host.publicAddress,
    });
    new Announcement(
        "announcement",
        {
            destinations: cfg.alerts,
            stack: cfg.stack,
            domain: cfg.domain,
            version: cfg.app.version,
            triggers: services.map((s) => s.container.id),
        },
        { dependsOn: [verification] },
    );
    const database = data.endpoints.database;
    return {
        cfg,
        target: cfg.target,
        domain: cfg.domain,
        publicAddress: host.publicAddress,
        /** Secret: lets an operator SSH in as the deploy user (droplet and ssh targets). */
        deployPrivateKey: host.deployPrivateKey,
        /** The host's SSH key line (droplet and ssh targets), which the operator scripts pin as the program does. */
        hostKey: host.hostKey,
        /**
         * Droplet target: the IPv6 address for AAAA records made outside DigitalOcean; it changes when the droplet is
         * rebuilt.
         */
        publicIpv6: host.publicIpv6,
        /**
         * Droplet target without freshtrack:droplet.dnsZone: the A and AAAA records ({ name, type, value }) to create
         * at the operator's own DNS provider; absent when the stack creates them in its DigitalOcean zone.
         */
        dnsRecords: host.dnsRecords,
        dataEndpoints: {
            database: pulumi.interpolate`${database.host}:${database.port}/${database.database} (sslmode=${database.sslMode})`,
            redis: `${data.endpoints.redis.host}:${data.endpoints.redis.port}`,
            objectStorage: data.endpoints.objectStorage.endpoint,
        },
        urls: edge.urls,
        alertDestinations: monitoring.alertDestinations,
        verificationReport: verification.report,
        /** Secret: the `admin` password of the basic-auth routes (Bull Board, Prometheus). */
        adminPassword: edge.adminPassword,
        /** Secret: Grafana's `admin` password. */
        grafanaAdminPassword: secrets.values.grafanaAdminPassword,
        /** Secret: the other generated credentials, for maintenance by hand (psql, redis-cli, mc). */
        generatedCredentials: pulumi.secret(
            pulumi.all(secrets.values).apply((v) => ({
                // The self-hosted PostgreSQL's roles (docs/operations.md, "Database roles"). `legacySuperuser` is the
                // superuser of a stack created before the roles were split; a stack created since has none of that
                // name.
                postgres: {
                    superuser: { user: DATABASE_ROLES.superuser, password: v.postgresSuperuserPassword },
                    legacySuperuser: { user: DATABASE_ROLES.legacySuperuser, password: v.postgresPassword },
                    app: { user: DATABASE_ROLES.app, password: v.databaseAppPassword },
                    backup: { user: DATABASE_ROLES.backup, password: v.databaseBackupPassword },
                    monitor: { user: DATABASE_ROLES.monitor, password: v.databaseMonitorPassword },
                    replication: { user: DATABASE_ROLES.replication, password: v.databaseReplicationPassword },
                },
                redis: { password: v.redisPassword },
                minio: { user: MINIO_ROOT_USER, password: v.minioRootPassword },
                appJwtSecret: v.appJwtSecret,
            })),
        ),
        /** internal TLS: the CA certificate to trust in browsers and on the host. */
        caCertificate: edge.internalCa?.caCertPem,
        containers: pulumi.output(Object.fromEntries(services.map((s) => [s.alias, s.container.name]))),
        volumes: pulumi.output(Object.fromEntries(Object.entries(volumes.volumes).map(([k, v]) => [k, v!.name]))),
    };
}
