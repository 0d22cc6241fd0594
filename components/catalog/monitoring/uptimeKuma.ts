import { defineService } from "../spec";

/** Status pages and uptime checks. */
export const uptimeKuma = defineService({
    name: "uptime-kuma",
    tier: "monitoring",
    kind: "stateful",
    image: { public: "uptimeKuma" },
    port: 3001,
    limits: { memoryMb: 128, cpus: 0.25 },
    capabilities: [],
    networks: ["status"],
    health: { command: ["extra/healthcheck"] },
    runs: "always",
});
