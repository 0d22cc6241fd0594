import { defineService } from "../spec";

/** Scheduled dumps (BusyBox crond), verified by a full read. */
export const backup = defineService({
    name: "backup",
    tier: "app",
    kind: "stateless",
    image: { public: "postgres" },
    limits: { memoryMb: 128, cpus: 0.25 },
    capabilities: ["SETUID", "SETGID"],
    networks: ["app", "data"],
    health: { command: ["/bin/sh", "/usr/local/bin/freshtrack-backup-health"] },
    runs: "always",
});
