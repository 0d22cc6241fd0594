import { defineService } from "../spec";

/** Object storage: uploaded files and the backups' second copy. */
export const minio = defineService({
    name: "minio",
    tier: "data",
    kind: "stateful",
    image: { public: "minio" },
    port: 9000,
    limits: { memoryMb: 256, cpus: 0.5 },
    capabilities: [],
    networks: ["data", "monitoring"],
    health: { get: "/minio/health/live" },
    runs: "always",
});
