import { defineService } from "../spec";

/** Ships the containers' logs to Loki. */
export const promtail = defineService({
    name: "promtail",
    tier: "monitoring",
    kind: "stateless",
    image: { public: "promtail" },
    port: 9080,
    limits: { memoryMb: 64, cpus: 0.25 },
    capabilities: [],
    networks: ["telemetry"],
    health: { get: "/ready" },
    runs: "always",
});
