import { defineService } from "../spec";

/** Redis's metrics. */
export const redisExporter = defineService({
    name: "redis-exporter",
    tier: "monitoring",
    kind: "stateless",
    image: { public: "redisExporter" },
    port: 9121,
    limits: { memoryMb: 24, cpus: 0.1 },
    capabilities: [],
    networks: ["data", "monitoring"],
    health: { get: "/metrics" },
    runs: "always",
});
