import { SERVICES } from "../catalog";

/** Ports the monitoring services listen on inside the Docker networks (their images' defaults), from the catalog. */
export const PORTS = {
    prometheus: SERVICES.prometheus.port,
    alertmanager: SERVICES.alertmanager.port,
    grafana: SERVICES.grafana.port,
    blackbox: SERVICES.blackbox.port,
    nodeExporter: SERVICES["node-exporter"].port,
    postgresExporter: SERVICES["postgres-exporter"].port,
    redisExporter: SERVICES["redis-exporter"].port,
    pgbouncerExporter: SERVICES["pgbouncer-exporter"].port,
    uptimeKuma: SERVICES["uptime-kuma"].port,
} as const;
