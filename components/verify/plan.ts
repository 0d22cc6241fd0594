/**
 * What the verification gate checks for a stack, as plain data (so it can be
 * handed to a process as JSON). The runner that executes it, over the network,
 * is operator/verify/runPlan.ts.
 */

export interface VerifyPlan {
    readonly domain: string;
    readonly urls: {
        readonly dashboard: string;
        readonly api: string;
        readonly grafana: string;
        readonly prometheus: string;
    };
    /** Health endpoints that must pass `consecutivePasses` times in a row. */
    readonly health: ReadonlyArray<{
        readonly name: string;
        readonly url: string;
        /** Behind Caddy's admin basic auth. */ readonly basicAuth?: boolean;
    }>;
    readonly consecutivePasses: number;
    readonly timeoutSeconds: number;
    /** PEM of the stack's CA (internal TLS); the system trust store otherwise. */
    readonly ca?: string;
    /** Basic auth for Prometheus behind Caddy. */
    readonly adminUser: string;
    readonly adminPassword: string;
    readonly e2e?: {
        readonly ingestPath: string;
        readonly alertsPath: string;
        readonly sensorId: string;
        readonly celsius: number;
        readonly token?: string;
    };
    /** With the stack's own CA the names may exist in no public DNS: connect to the host's address directly. */
    readonly resolveTo?: string;
}

/** The public URLs the gate checks (the Edge component's `urls`). */
export interface StackUrls {
    readonly dashboard: string;
    readonly api: string;
    readonly grafana: string;
    readonly prometheus: string;
    readonly status: string;
}

/** The gate for a stack, from its verification settings, URLs and secrets. */
export function buildPlan(
    v: {
        consecutivePasses: number;
        timeoutSeconds: number;
        e2e?: { ingestPath: string; alertsPath: string; sensorId: string; celsius: number };
    },
    domain: string,
    urls: StackUrls,
    secrets: { adminUser: string; adminPassword: string; ca?: string; ingestToken?: string },
    resolveTo?: string,
): VerifyPlan {
    return {
        ...(resolveTo ? { resolveTo } : {}),
        domain,
        urls: { dashboard: urls.dashboard, api: urls.api, grafana: urls.grafana, prometheus: urls.prometheus },
        health: [
            { name: "dashboard", url: urls.dashboard },
            { name: "backend /health/ready (via /api)", url: `${urls.api}/health/ready` },
            { name: "Grafana", url: `${urls.grafana}/api/health` },
            // Uptime Kuma is behind the admin basic auth, and its `/` answers 302 (louislam/uptime-kuma@1.23.15
            // server/server.js:197-221), which the gate does not follow; /api/entry-page answers 200 with JSON
            // (api-router.js:27).
            { name: "status page (behind the admin login)", url: `${urls.status}/api/entry-page`, basicAuth: true },
        ],
        consecutivePasses: v.consecutivePasses,
        timeoutSeconds: v.timeoutSeconds,
        ...(secrets.ca ? { ca: secrets.ca } : {}),
        adminUser: secrets.adminUser,
        adminPassword: secrets.adminPassword,
        ...(v.e2e
            ? {
                  e2e: {
                      ingestPath: v.e2e.ingestPath,
                      alertsPath: v.e2e.alertsPath,
                      sensorId: v.e2e.sensorId,
                      celsius: v.e2e.celsius,
                      ...(secrets.ingestToken ? { token: secrets.ingestToken } : {}),
                  },
              }
            : {}),
    };
}
