import { defineService } from "../spec";

/** The job that applies the database migrations of each new version. */
export const migrate = defineService({
    name: "migrate",
    tier: "app",
    kind: "job",
    image: { app: "backend" },
    limits: { memoryMb: 384, cpus: 0.5 },
    capabilities: [],
    networks: ["app", "data"],
    health: "none: a job runs to completion",
    runs: "always",
});
