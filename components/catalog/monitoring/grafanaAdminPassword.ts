import { defineService } from "../spec";

/** The job that sets Grafana's admin password. */
export const grafanaAdminPassword = defineService({
    name: "grafana-admin-password",
    tier: "monitoring",
    kind: "job",
    image: { public: "grafana" },
    limits: { memoryMb: 128, cpus: 0.25 },
    capabilities: [],
    networks: ["telemetry"],
    health: "none: a job runs to completion",
    runs: "always",
});
