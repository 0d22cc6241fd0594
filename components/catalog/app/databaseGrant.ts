import { defineService } from "../spec";

/** The job that keeps the self-hosted PostgreSQL's roles before every migration (components/services/migrations.ts). */
export const databaseGrant = defineService({
    name: "database-grant",
    tier: "app",
    kind: "job",
    image: { public: "postgres" },
    limits: { sameAs: "pre-migrate-backup" },
    capabilities: [],
    // One network or the other, wherever the database is: never both.
    networks: [],
    extraNetworks: {
        data: { when: "with a self-hosted PostgreSQL", why: "beside the server it grants on" },
        app: { when: "with a managed PostgreSQL", why: "its way out to the cluster, which is outside the host" },
    },
    health: "none: a job runs to completion",
    runs: "always",
});
