/** Ports the monitoring services listen on inside the Docker networks (their images' defaults). */
export const PORTS = {
    prometheus: 9090,
    alertmanager: 9093,
    grafana: 3000,
    blackbox: 9115,
    nodeExporter: 9100,
    postgresExporter: 9187,
    redisExporter: 9121,
    pgbouncerExporter: 9127,
    uptimeKuma: 3001,
} as const;
