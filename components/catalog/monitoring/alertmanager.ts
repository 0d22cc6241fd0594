import { defineService } from "../spec";

/** Sends alerts to the configured destinations. */
export const alertmanager = defineService({
    name: "alertmanager",
    tier: "monitoring",
    kind: "stateful",
    image: { public: "alertmanager" },
    port: 9093,
    limits: { memoryMb: 32, cpus: 0.1 },
    capabilities: [],
    networks: ["admin"],
    health: { get: "/-/healthy" },
    runs: "always",
});
