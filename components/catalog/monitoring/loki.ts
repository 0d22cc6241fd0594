import { defineService } from "../spec";

/** Logs. */
export const loki = defineService({
    name: "loki",
    tier: "monitoring",
    kind: "stateful",
    image: { public: "loki" },
    port: 3100,
    limits: { memoryMb: 128, cpus: 0.5 },
    capabilities: [],
    networks: ["telemetry"],
    health: { get: "/ready" },
    runs: "always",
});
