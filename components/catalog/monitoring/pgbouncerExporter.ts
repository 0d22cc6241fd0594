import { defineService } from "../spec";

/** PgBouncer's metrics. */
export const pgbouncerExporter = defineService({
    name: "pgbouncer-exporter",
    tier: "monitoring",
    kind: "stateless",
    image: { public: "pgbouncerExporter" },
    port: 9127,
    limits: { memoryMb: 24, cpus: 0.1 },
    capabilities: [],
    networks: ["data", "monitoring"],
    health: { get: "/metrics" },
    runs: "with a self-hosted PostgreSQL",
});
