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
    runs: "with a self-hosted PostgreSQL",
});
