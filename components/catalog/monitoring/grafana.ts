import { defineService } from "../spec";

/** Dashboards. */
export const grafana = defineService({
    name: "grafana",
    tier: "monitoring",
    kind: "stateful",
    image: { public: "grafana" },
    port: 3000,
    limits: { memoryMb: 160, cpus: 0.5 },
    capabilities: [],
    networks: ["admin", "telemetry"],
    health: { get: "/api/health" },
    runs: "always",
});
