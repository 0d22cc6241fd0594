import { defineService } from "../spec";

/** The job queue (BullMQ) and cache. */
export const redis = defineService({
    name: "redis",
    tier: "data",
    kind: "stateful",
    image: { public: "redis" },
    port: 6379,
    limits: { memoryMb: 192, cpus: 0.5 },
    capabilities: [],
    networks: ["data"],
    health: { command: ["redis-cli", "ping"] },
    runs: "always",
});
