import { defineService } from "../spec";

/** FreshTrack's API, behind Caddy. */
export const backend = defineService({
    name: "backend",
    tier: "app",
    kind: "stateless",
    image: { app: "backend" },
    port: 3000,
    limits: { memoryMb: 384, cpus: 1.0 },
    capabilities: [],
    networks: ["edge", "data", "monitoring"],
    health: { get: "/health/ready" },
    runs: "always",
});
