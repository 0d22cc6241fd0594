import { defineService } from "../spec";

/** The write-ahead log streamed to the backups volume (pg_receivewal), for point-in-time recovery. */
export const walReceiver = defineService({
    name: "wal-receiver",
    tier: "app",
    // One replication slot feeds one connection at a time: the old receiver must be gone before the new one starts.
    kind: "stateful",
    image: { public: "postgres" },
    limits: { memoryMb: 32, cpus: 0.1 },
    capabilities: [],
    networks: ["data"],
    health: { command: ["/bin/sh", "/usr/local/bin/freshtrack-wal-receiver-health"] },
    runs: "with freshtrack:backup.pointInTime",
});
