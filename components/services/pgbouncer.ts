import * as pulumi from "@pulumi/pulumi";
import { PUBLIC_IMAGES } from "../images";
import { Service } from "../service";
import { DATABASE, SECRETS_DIR, ServiceContext } from "./context";

export const PGBOUNCER_PORT = 6432;
const USERLIST_FILE = `${SECRETS_DIR}/pgbouncer_userlist.txt`;

/** pgbouncer.ini: transaction pooling in front of the `postgres` alias. Holds no secret. */
export function renderPgbouncerIni(): string {
    return [
        "[databases]",
        `${DATABASE.name} = host=postgres port=5432 dbname=${DATABASE.name}`,
        "",
        "[pgbouncer]",
        "listen_addr = 0.0.0.0",
        `listen_port = ${PGBOUNCER_PORT}`,
        "auth_type = scram-sha-256",
        `auth_file = ${USERLIST_FILE}`,
        "pool_mode = transaction",
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
export function renderUserlist(password: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.interpolate`"${DATABASE.user}" "${password}"\n`;
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
                { path: USERLIST_FILE, content: renderUserlist(ctx.secrets.postgresPassword), secret: true },
            ],
            healthcheck: { test: ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", String(PGBOUNCER_PORT)] },
            networks: [{ network: ctx.networks.data }],
            dependsOn: [postgres],
        },
        { parent },
    );
}
