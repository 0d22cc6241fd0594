import { defineService } from "../spec";

/** PostgreSQL, the system of record; only on a self-hosted database. */
export const postgres = defineService({
    name: "postgres",
    tier: "data",
    kind: "stateful",
    image: { public: "postgres" },
    port: 5432,
    limits: { memoryMb: 768, cpus: 1.0 },
    capabilities: [],
    networks: ["data"],
    health: { command: ["pg_isready", "-h", "127.0.0.1", "-U", "freshtrack_app", "-d", "freshtrack"] },
    runs: "with a self-hosted PostgreSQL",
});
