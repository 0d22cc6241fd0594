import { defineService } from "../spec";

/** PostgreSQL's metrics. */
export const postgresExporter = defineService({
    name: "postgres-exporter",
    tier: "monitoring",
    kind: "stateless",
    image: { public: "postgresExporter" },
    port: 9187,
    limits: { memoryMb: 32, cpus: 0.1 },
    capabilities: [],
    networks: ["data", "monitoring"],
    extraNetworks: { app: { when: "with a managed PostgreSQL", why: "its way out to the cluster" } },
    health: { get: "/metrics" },
    runs: "always",
});
