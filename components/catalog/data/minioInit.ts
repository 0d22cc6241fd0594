import { defineService } from "../spec";

/** The job that creates the buckets and MinIO's users and policies. */
export const minioInit = defineService({
    name: "minio-init",
    tier: "data",
    kind: "job",
    image: { public: "mc" },
    limits: { memoryMb: 32, cpus: 0.25 },
    capabilities: [],
    networks: ["data"],
    health: "none: a job runs to completion",
    runs: "always",
});
