import { defineService } from "../spec";

/** FreshTrack's background jobs (alerts, reports), from the queue in Redis; Prometheus scrapes its metrics port. */
export const worker = defineService({
    name: "worker",
    tier: "app",
    kind: "stateless",
    image: { app: "worker" },
    port: 9464,
    limits: { memoryMb: 256, cpus: 0.5 },
    capabilities: [],
    networks: ["data", "monitoring"],
    extraNetworks: { app: { when: "with a managed PostgreSQL", why: "its way out to the cluster" } },
    health: { fromConfig: "freshtrack:appCommands.workerHealthcheck" },
    runs: "always",
});
