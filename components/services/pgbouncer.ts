import * as pulumi from "@pulumi/pulumi";
import { imageUser } from "../imageContracts";
import { Service } from "../service";
import { DATABASE, DATABASE_ROLES, SECRETS_DIR } from "./context";
import type { DataContext } from "./dataTier";
import { POSTGRES_PORT } from "./postgres";
import { SERVICES, imageOf } from "../catalog";

export const PGBOUNCER_PORT = SERVICES.pgbouncer.port;
const USERLIST_FILE = `${SECRETS_DIR}/pgbouncer_userlist.txt`;

/** Where PgBouncer finds Postgres and its user list; the defaults are the container's. */
export interface PgbouncerIniOptions {
    readonly postgresHost?: string;
    readonly postgresPort?: number;
    readonly listenAddr?: string;
    readonly listenPort?: number;
    readonly authFile?: string;
    /** Who may read SHOW STATS/POOLS/CONFIG on the admin console. @default the monitoring role */
    readonly statsUser?: string;
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
        // May read SHOW STATS/POOLS/CONFIG on the admin console: what a PgBouncer exporter needs. The monitoring role,
        // which reads statistics and no table (DATABASE_ROLES).
        `stats_users = ${opts.statsUser ?? DATABASE_ROLES.monitor}`,
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

/** One line of userlist.txt: a role and its password. */
export interface UserlistEntry {
    readonly user: string;
    readonly password: string;
}

/**
 * userlist.txt: one line per role, `"name" "password"` with `"` doubled (PgBouncer docs, "Authentication file
 * format"). A plain password lets PgBouncer both check clients with SCRAM and log in to Postgres as the same role.
 */
export function renderUserlist(entries: readonly UserlistEntry[]): string {
    const quote = (text: string) => `"${text.replace(/"/g, '""')}"`;
    return entries.map((e) => `${quote(e.user)} ${quote(e.password)}\n`).join("");
}

/**
 * Who PgBouncer lets in: the application's role (every pooled connection), the monitoring role (the exporter's
 * SHOW commands), and `freshtrack` with its password. That last one is for the update that splits the roles on a
 * stack created before: its running backend and worker log in as `freshtrack` until they are replaced, and a failed
 * update leaves them serving, through whichever PgBouncer the alias resolves to, so the new one must still let
 * them in. On such a stack `freshtrack` is the superuser; on a stack created since, no role of that name exists and
 * the line admits nobody. Remove it once no stack runs a version older than the split (docs/operations.md).
 */
export function pgbouncerUsers(secrets: DataContext["secrets"]): pulumi.Output<UserlistEntry[]> {
    return pulumi
        .all([secrets.databaseAppPassword, secrets.databaseMonitorPassword, secrets.postgresPassword])
        .apply(([app, monitor, legacy]) => [
            { user: DATABASE_ROLES.app, password: app },
            { user: DATABASE_ROLES.monitor, password: monitor },
            { user: DATABASE_ROLES.legacySuperuser, password: legacy },
        ]);
}

export function pgbouncer(ctx: DataContext, postgres: pulumi.Resource, parent: pulumi.Resource): Service {
    return new Service(
        "pgbouncer",
        {
            kind: "stateless",
            daemon: ctx.daemon,
            namePrefix: ctx.namePrefix,
            image: imageOf("pgbouncer"),
            user: imageUser(imageOf("pgbouncer")),
            limits: ctx.limits.pgbouncer,
            // Tells the image's entrypoint where the user list is, so it leaves its default one alone.
            env: { AUTH_FILE: USERLIST_FILE },
            files: [
                { path: "/etc/pgbouncer/pgbouncer.ini", content: renderPgbouncerIni() },
                {
                    path: USERLIST_FILE,
                    content: pulumi.secret(pgbouncerUsers(ctx.secrets).apply(renderUserlist)),
                    secret: true,
                },
            ],
            healthcheck: { test: ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", String(PGBOUNCER_PORT)] },
            networks: [{ network: ctx.networks.data }],
        },
        { parent, dependsOn: [postgres] },
    );
}
