import { defineService } from "../spec";

/** The job that seeds the demo organisation. */
export const demoData = defineService({
    name: "demo-data",
    tier: "app",
    kind: "job",
    image: { app: "backend" },
    limits: { memoryMb: 256, cpus: 0.5 },
    capabilities: [],
    networks: ["app", "data"],
    health: "none: a job runs to completion",
    runs: "with freshtrack:demoData",
});
