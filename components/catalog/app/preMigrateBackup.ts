import { defineService } from "../spec";

/** The dump taken before every migration. */
export const preMigrateBackup = defineService({
    name: "pre-migrate-backup",
    tier: "app",
    kind: "job",
    image: { public: "postgres" },
    limits: { memoryMb: 128, cpus: 0.25 },
    capabilities: [],
    networks: ["app", "data"],
    health: "none: a job runs to completion",
    runs: "always",
});
