import { defineService } from "../spec";

/**
 * The only container the internet reaches: TLS, routes by name, basic auth in front of the admin interfaces; 9180
 * serves its metrics.
 */
export const caddy = defineService({
    name: "caddy",
    tier: "edge",
    kind: "stateful",
    image: { public: "caddy" },
    port: 9180,
    limits: { memoryMb: 64, cpus: 0.5 },
    capabilities: ["NET_BIND_SERVICE"],
    networks: ["edge", "admin", "status"],
    health: { get: "/metrics" },
    runs: "always",
});
