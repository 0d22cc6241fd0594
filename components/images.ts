/**
 * Pinned public images, in one place so upgrades are one reviewed diff and the
 * policy pack and the plan can list them. Tags name one release, never a
 * moving line; the FreshTrack images themselves come from stack config.
 */
export const PUBLIC_IMAGES = {
    // docker-library/postgres: POSTGRES_PASSWORD_FILE is read by docker-entrypoint.sh (file_env).
    postgres: "postgres:17.11-alpine",
    // edoburu/docker-pgbouncer: entrypoint.sh leaves an existing pgbouncer.ini alone and ships pg_isready.
    pgbouncer: "edoburu/pgbouncer:v1.23.1-p3",
    redis: "redis:7.4.2-alpine",
    // MinIO's images moved from Docker Hub to quay.io in 2025.
    minio: "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z",
    mc: "quay.io/minio/mc:RELEASE.2025-08-13T08-35-41Z",
    // The Caddyfile is validated with Debian's caddy 2.6 in the tests, so it uses only directives both accept.
    caddy: "caddy:2.8.4-alpine",
    // Configuration is checked with Debian's promtool 2.42 and amtool 0.25, so it uses only fields those accept.
    prometheus: "prom/prometheus:v2.53.2",
    alertmanager: "prom/alertmanager:v0.27.0",
    loki: "grafana/loki:2.9.10",
    promtail: "grafana/promtail:2.9.10",
    grafana: "grafana/grafana:11.2.2",
    blackbox: "prom/blackbox-exporter:v0.25.0",
    nodeExporter: "prom/node-exporter:v1.8.2",
    postgresExporter: "quay.io/prometheuscommunity/postgres-exporter:v0.15.0",
    redisExporter: "oliver006/redis_exporter:v1.62.0-alpine",
    pgbouncerExporter: "quay.io/prometheuscommunity/pgbouncer-exporter:v0.9.0",
    uptimeKuma: "louislam/uptime-kuma:1.23.15",
} as const;

export type PublicImage = keyof typeof PUBLIC_IMAGES;
