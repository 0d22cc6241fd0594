import { defineService } from "../spec";

/** The mirror of the dumps to MinIO. */
export const backupSync = defineService({
    name: "backup-sync",
    tier: "app",
    kind: "stateless",
    image: { public: "mc" },
    limits: { memoryMb: 48, cpus: 0.1 },
    capabilities: [],
    networks: ["data"],
    health: { command: ["/bin/sh", "/usr/local/bin/freshtrack-mirror-health"] },
    runs: "always",
});
