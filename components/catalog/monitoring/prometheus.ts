import { defineService } from "../spec";

/** Metrics and the alert rules. */
export const prometheus = defineService({
    name: "prometheus",
    tier: "monitoring",
    kind: "stateful",
    image: { public: "prometheus" },
    port: 9090,
    limits: { memoryMb: 256, cpus: 0.5 },
    capabilities: [],
    networks: ["admin", "monitoring", "telemetry"],
    health: { get: "/-/healthy" },
    runs: "always",
});
