import { defineService } from "../spec";

/** Probes the public sites from inside. */
export const blackbox = defineService({
    name: "blackbox",
    tier: "monitoring",
    kind: "stateless",
    image: { public: "blackbox" },
    port: 9115,
    limits: { memoryMb: 24, cpus: 0.1 },
    capabilities: [],
    networks: ["edge", "telemetry"],
    health: { get: "/-/healthy" },
    runs: "always",
});
