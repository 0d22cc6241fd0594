import { defineService } from "../spec";

/** The host's metrics. */
export const nodeExporter = defineService({
    name: "node-exporter",
    tier: "monitoring",
    kind: "stateless",
    image: { public: "nodeExporter" },
    port: 9100,
    limits: { memoryMb: 24, cpus: 0.1 },
    capabilities: [],
    networks: ["monitoring"],
    health: { get: "/metrics" },
    runs: "always",
});
