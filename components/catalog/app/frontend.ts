import { defineService } from "../spec";

/** FreshTrack's web app, static files behind Caddy. */
export const frontend = defineService({
    name: "frontend",
    tier: "app",
    kind: "stateless",
    image: { app: "frontend" },
    port: 8080,
    limits: { memoryMb: 32, cpus: 0.25 },
    capabilities: [],
    networks: ["edge"],
    health: { get: "/health" },
    runs: "always",
});
