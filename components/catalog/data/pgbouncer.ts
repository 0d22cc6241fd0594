import { defineService } from "../spec";

/** The transaction pool in front of PostgreSQL, for the backend and worker. */
export const pgbouncer = defineService({
    name: "pgbouncer",
    tier: "data",
    kind: "stateless",
    image: { public: "pgbouncer" },
    port: 6432,
    limits: { memoryMb: 32, cpus: 0.25 },
    capabilities: [],
    networks: ["data"],
    health: { command: ["pg_isready", "-h", "127.0.0.1", "-p", "6432"] },
    runs: "with a self-hosted PostgreSQL",
});
