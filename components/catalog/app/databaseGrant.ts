import { defineService } from "../spec";

/** The job that keeps the self-hosted PostgreSQL's roles before every migration (components/services/migrations.ts). */
export const databaseGrant = defineService({
    name: "database-grant",
    tier: "app",
    kind: "job",
    image: { public: "postgres" },
    limits: { sameAs: "pre-migrate-backup" },
    capabilities: [],
    networks: ["data"],
    extraNetworks: { app: "instead of data, with a managed PostgreSQL (the cluster is outside the host)" },
    health: "none: a job runs to completion",
    runs: "always",
});
