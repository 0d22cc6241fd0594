import * as pulumi from "@pulumi/pulumi";
import { PUBLIC_IMAGES } from "../images";
import { Service } from "../service";
import { DATABASE, SECRETS_DIR, ServiceContext } from "./context";
import { POSTGRES_PORT } from "./postgres";

export const PGBOUNCER_PORT = 6432;
const USERLIST_FILE = `${SECRETS_DIR}/pgbouncer_userlist.txt`;

/** Where PgBouncer finds Postgres and its user list; the defaults are the container's. */
export interface PgbouncerIniOptions {
    readonly postgresHost?: string;
    readonly postgresPort?: number;
    readonly listenAddr?: string;
    readonly listenPort?: number;
    readonly authFile?: string;
}

/** pgbouncer.ini: transaction pooling in front of the `postgres` alias. Holds no secret. */
export function renderPgbouncerIni(opts: PgbouncerIniOptions = {}): string {
    return [
        "[databases]",
        `${DATABASE.name} = host=${opts.postgresHost ?? "postgres"} port=${opts.postgresPort ?? POSTGRES_PORT} dbname=${DATABASE.name}`,
        "",
        "[pgbouncer]",
        `listen_addr = ${opts.listenAddr ?? "0.0.0.0"}`,
        `listen_port = ${opts.listenPort ?? PGBOUNCER_PORT}`,
        "auth_type = scram-sha-256",
        `auth_file = ${opts.authFile ?? USERLIST_FILE}`,
        "pool_mode = transaction",
        // May read SHOW STATS/POOLS/CONFIG on the admin console: what a PgBouncer exporter needs.
        `stats_users = ${DATABASE.user}`,
        "max_client_conn = 500",
        "default_pool_size = 20",
        "reserve_pool_size = 5",
        "server_reset_query_always = 0",
        // Node's pg driver sends it; PgBouncer would refuse the connection otherwise.
        "ignore_startup_parameters = extra_float_digits",
        "log_connections = 0",
        "log_disconnections = 0",
        "",
    ].join("\n");
}

/**
 * userlist.txt. A plain password lets PgBouncer both check clients with SCRAM
 * and log in to Postgres as the same role.
 */
export function renderUserlist(password: string): string {
    return `"${DATABASE.user}" "${password.replace(/"/g, '""')}"\n`;
}

export function pgbouncer(ctx: ServiceContext, postgres: pulumi.Resource, parent: pulumi.Resource): Service {
    return new Service(
        "pgbouncer",
        {
            kind: "stateless",
            host: ctx.host,
            namePrefix: ctx.cfg.namePrefix,
            image: PUBLIC_IMAGES.pgbouncer,
            limits: ctx.cfg.resources.pgbouncer,
            // Tells the image's entrypoint where the user list is, so it leaves its default one alone.
            env: { AUTH_FILE: USERLIST_FILE },
            files: [
                { path: "/etc/pgbouncer/pgbouncer.ini", content: renderPgbouncerIni() },
                { path: USERLIST_FILE, content: ctx.secrets.postgresPassword.apply(renderUserlist), secret: true },
            ],
            healthcheck: { test: ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", String(PGBOUNCER_PORT)] },
            networks: [{ network: ctx.networks.data }],
            dependsOn: [postgres],
        },
        { parent },
    );
}
