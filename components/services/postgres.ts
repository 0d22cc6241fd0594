import * as pulumi from "@pulumi/pulumi";
import { PUBLIC_IMAGES } from "../images";
import { Service } from "../service";
import { DATABASE, SECRETS_DIR, ServiceContext } from "./context";

/**
 * PostgreSQL settings sized from the container's memory limit rather than the
 * host's RAM, which Postgres would otherwise assume it owns. Ratios follow the
 * PostgreSQL manual's guidance (shared_buffers about 25 % of memory,
 * effective_cache_size about 50-75 %).
 */
export function postgresTuning(memoryMb: number): Record<string, string> {
    const mb = (n: number) => `${Math.max(1, Math.floor(n))}MB`;
    return {
        shared_buffers: mb(memoryMb * 0.25),
        effective_cache_size: mb(memoryMb * 0.6),
        maintenance_work_mem: mb(Math.min(memoryMb * 0.06, 512)),
        work_mem: mb(Math.max(memoryMb / 256, 2)),
        // PgBouncer multiplexes clients onto a small pool, so few server connections are needed.
        max_connections: "100",
        wal_buffers: "16MB",
        checkpoint_completion_target: "0.9",
        random_page_cost: "1.1",
        log_min_duration_statement: "1000",
    };
}

export const POSTGRES_PORT = 5432;
export const POSTGRES_PASSWORD_FILE = `${SECRETS_DIR}/postgres_password`;

export function postgres(ctx: ServiceContext, parent: pulumi.Resource): Service {
    const limits = ctx.cfg.resources.postgres;
    const tuning = postgresTuning(limits.memoryMb);
    return new Service(
        "postgres",
        {
            kind: "stateful",
            statefulReason: "one data directory can be opened by one server at a time",
            host: ctx.host,
            namePrefix: ctx.cfg.namePrefix,
            image: PUBLIC_IMAGES.postgres,
            limits,
            command: ["postgres", ...Object.entries(tuning).flatMap(([k, v]) => ["-c", `${k}=${v}`])],
            env: {
                POSTGRES_USER: DATABASE.user,
                POSTGRES_DB: DATABASE.name,
                POSTGRES_PASSWORD_FILE: POSTGRES_PASSWORD_FILE,
                // A subdirectory, so a mount point's lost+found never makes initdb refuse the directory.
                PGDATA: "/var/lib/postgresql/data/pgdata",
            },
            files: [{ path: POSTGRES_PASSWORD_FILE, content: ctx.secrets.postgresPassword, secret: true }],
            // Over TCP, so the temporary socket-only server of first initialisation never counts as healthy.
            healthcheck: { test: ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", DATABASE.user, "-d", DATABASE.name], startPeriodSeconds: 30 },
            waitTimeoutSeconds: 180,
            networks: [{ network: ctx.networks.data }],
            volumes: [{ volume: ctx.volumes.volume("postgres-data"), containerPath: "/var/lib/postgresql/data" }],
            // The entrypoint starts as root to fix data-directory ownership, then drops to the postgres user.
            capabilities: ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID"],
        },
        { parent },
    );
}
