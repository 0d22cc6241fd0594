/**
 * The exporters Prometheus scrapes beside the application: one per data service, the host's (node-exporter), and
 * the blackbox exporter that probes the public sites.
 */
import * as pulumi from "@pulumi/pulumi";
import { ENDPOINTS, imageOf } from "../catalog";
import { BUSYBOX_NOBODY, imageUser } from "../imageContracts";
import { Service, ServiceFile } from "../service";
import { TEXTFILE_DIR } from "../services/backup";
import { clientSslMode, DATABASE_CA_PATH, DATABASE_ROLES, SECRETS_DIR } from "../services/context";
import type { DataEndpoints, DataReadiness } from "../services/dataTier";
import { MonitoringContext, wgetProbe } from "./context";
import { renderBlackboxConfig } from "./prometheusConfig";

/**
 * What the monitoring tier is given of the data tier: values only, the same two the application tier is given (where
 * the services answer, and what to wait for), narrowed to what the exporters read. Never the tier or its services.
 */
export interface MonitoredData {
    /**
     * `databaseDirect`: PostgreSQL straight, not through the pool. On the self-hosted database it carries the
     * monitoring role's login (`selfHosted.monitor`), which the exporters use; a managed cluster's carries none, and
     * they log in as the endpoint's own user. `redis`: for its password (secret); the exporter dials the catalog's
     * address (ENDPOINTS.redis).
     */
    readonly endpoints: Pick<DataEndpoints, "databaseDirect" | "redis">;
    /**
     * What the exporters' containers wait for: Redis's exporter for `redis`, PostgreSQL's and PgBouncer's for their own
     * service in `selfHostedDatabase`. Without it (the database outside the host) PostgreSQL's waits for nothing and
     * PgBouncer's is not created, as there is no PgBouncer.
     */
    readonly readiness: Pick<DataReadiness, "redis" | "selfHostedDatabase">;
}

/** The exporters of PostgreSQL, Redis and (where it runs) PgBouncer, in that order. */
export function dataExporters(ctx: MonitoringContext, data: MonitoredData, parent: pulumi.Resource): Service[] {
    const { networks, limits } = ctx;
    const common = { daemon: ctx.daemon, namePrefix: ctx.namePrefix };
    const monitoring = { network: networks.monitoring };
    const exporters: Service[] = [];
    const direct = data.endpoints.databaseDirect;
    const onHost = data.readiness.selfHostedDatabase;
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
                image: imageOf("postgres-exporter"),
                user: imageUser(imageOf("postgres-exporter")),
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
                healthcheck: { test: wgetProbe(ENDPOINTS["postgres-exporter"].port, "/metrics") },
                // A managed cluster sits outside the host: reach it through the app network.
                networks: [monitoring, { network: networks.data }, ...(managed ? [{ network: networks.app }] : [])],
            },
            { parent, dependsOn: onHost ? [onHost.postgres] : [] },
        ),
    );
    const redisPasswords = `${SECRETS_DIR}/redis_passwords.json`;
    exporters.push(
        new Service(
            "redis-exporter",
            {
                ...common,
                kind: "stateless",
                image: imageOf("redis-exporter"),
                user: imageUser(imageOf("redis-exporter")),
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
                healthcheck: { test: wgetProbe(ENDPOINTS["redis-exporter"].port, "/metrics") },
                networks: [monitoring, { network: networks.data }],
            },
            { parent, dependsOn: [data.readiness.redis] },
        ),
    );
    if (onHost) {
        const argsFile = `${SECRETS_DIR}/pgbouncer_exporter.args`;
        exporters.push(
            new Service(
                "pgbouncer-exporter",
                {
                    ...common,
                    kind: "stateless",
                    image: imageOf("pgbouncer-exporter"),
                    user: imageUser(imageOf("pgbouncer-exporter")),
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
                    healthcheck: { test: wgetProbe(ENDPOINTS["pgbouncer-exporter"].port, "/metrics") },
                    networks: [monitoring, { network: networks.data }],
                },
                { parent, dependsOn: [onHost.pgbouncer] },
            ),
        );
    }
    return exporters;
}

/** The host's disk, memory and CPU, and the textfile metrics the backups leave. */
export function nodeExporter(ctx: MonitoringContext, parent: pulumi.Resource): Service {
    return new Service(
        "node-exporter",
        {
            daemon: ctx.daemon,
            namePrefix: ctx.namePrefix,
            kind: "stateless",
            image: imageOf("node-exporter"),
            user: imageUser(imageOf("node-exporter")),
            // It writes nothing (components/imageContracts/): the textfile volume and the host's / are read-only
            // too.
            readOnlyRoot: true,
            limits: ctx.limits["node-exporter"],
            command: ["--path.rootfs=/host", `--collector.textfile.directory=${TEXTFILE_DIR}`],
            hostMounts: [
                {
                    hostPath: "/",
                    containerPath: "/host",
                    why: "disk, memory and CPU of the host, for the disk-full and memory alerts",
                },
            ],
            volumes: [{ volume: ctx.volumes["metrics-textfile"], containerPath: TEXTFILE_DIR, readOnly: true }],
            healthcheck: { test: wgetProbe(ENDPOINTS["node-exporter"].port, "/metrics") },
            networks: [{ network: ctx.networks.monitoring }],
        },
        { parent },
    );
}

/**
 * The blackbox exporter, which probes the public sites over HTTPS for Prometheus. `caCertPem`: the stack's own CA in
 * internal TLS mode, so the probes trust it. `after`: what its container waits for (Caddy, so the probes have
 * something to reach).
 */
export function blackbox(
    ctx: MonitoringContext,
    caCertPem: pulumi.Output<string> | undefined,
    after: readonly pulumi.Resource[] | undefined,
    parent: pulumi.Resource,
): Service {
    const caFile = "/etc/blackbox/ca.crt";
    const files: ServiceFile[] = [
        { path: "/etc/blackbox/blackbox.yml", content: renderBlackboxConfig(caCertPem ? caFile : undefined) },
    ];
    if (caCertPem) files.push({ path: caFile, content: caCertPem });
    return new Service(
        "blackbox",
        {
            daemon: ctx.daemon,
            namePrefix: ctx.namePrefix,
            kind: "stateless",
            image: imageOf("blackbox"),
            // The image runs as root but needs nothing root has: HTTP probes only (the config has no ICMP module),
            // and it writes nothing (components/imageContracts/).
            user: BUSYBOX_NOBODY,
            limits: ctx.limits.blackbox,
            command: ["--config.file=/etc/blackbox/blackbox.yml"],
            files,
            healthcheck: { test: wgetProbe(ENDPOINTS.blackbox.port, "/-/healthy") },
            // edge: where Caddy answers to the public names (its network aliases), so probes take the users' path.
            // telemetry, not monitoring: it leads out through edge, and /probe fetches whatever target it is given,
            // so on monitoring it would be a way out for the worker, which has none
            // (components/platform/networks.ts).
            networks: [{ network: ctx.networks.telemetry }, { network: ctx.networks.edge }],
        },
        { parent, dependsOn: [...(after ?? [])] },
    );
}
