import { defineService } from "../spec";

/** The job that copies the provisioned dashboards into their volume. */
export const grafanaDashboards = defineService({
    name: "grafana-dashboards",
    tier: "monitoring",
    kind: "job",
    image: { public: "grafana" },
    limits: { memoryMb: 32, cpus: 0.1 },
    capabilities: [],
    networks: ["telemetry"],
    health: "none: a job runs to completion",
    runs: "always",
});
