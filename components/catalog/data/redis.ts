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
    // The pipe is part of what the check proves: redis-cli exits 0 on any reply, NOAUTH included
    // (test/catalogHealth.servers.test.ts runs it against a real Redis).
    health: { command: ["redis-cli", "ping", "|", "grep", "-q", "PONG"] },
    runs: "always",
});
