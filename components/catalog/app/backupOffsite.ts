import { defineService } from "../spec";

/** The encrypted mirror of the dumps and uploads to the offsite bucket. */
export const backupOffsite = defineService({
    name: "backup-offsite",
    tier: "app",
    kind: "stateless",
    image: { public: "mc" },
    limits: { memoryMb: 48, cpus: 0.1 },
    capabilities: [],
    networks: ["app", "data"],
    health: { command: ["/bin/sh", "/usr/local/bin/freshtrack-mirror-health"] },
    runs: "with freshtrack:backup.offsite",
});
