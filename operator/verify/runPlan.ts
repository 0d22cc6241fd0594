/**
 * operator/: code that the npm scripts and the post-deploy commands run against a live stack (HTTP checks, mail,
 * rollback planning). It is not part of the Pulumi program's resource graph: operator/ may import from components/,
 * never the reverse (test/layout.test.ts).
 *
 * Runs a verification plan (components/verify/plan.ts) against the stack's public URLs, one check after another.
 */
import type { VerifyPlan } from "../../components/verify/plan";
import {
    certificate,
    CheckResult,
    consecutiveHealthy,
    grafanaHealthy,
    prometheusTargetsUp,
    sensorReadingRaisesAlert,
} from "./checks";

export async function runPlan(plan: VerifyPlan): Promise<CheckResult[]> {
    const tlsOpts = { ...(plan.ca ? { ca: plan.ca } : {}), ...(plan.resolveTo ? { resolveTo: plan.resolveTo } : {}) };
    const timeoutMs = plan.timeoutSeconds * 1000;
    const results: CheckResult[] = [];
    // Caddy's admin basic auth: the status page and Prometheus sit behind it.
    const adminAuth = {
        authorization: `Basic ${Buffer.from(`${plan.adminUser}:${plan.adminPassword}`).toString("base64")}`,
    };
    for (const h of plan.health) {
        results.push(
            await consecutiveHealthy(h.name, h.url, {
                ...tlsOpts,
                ...(h.basicAuth ? { headers: adminAuth } : {}),
                times: plan.consecutivePasses,
                timeoutMs,
            }),
        );
    }
    const host = new URL(plan.urls.dashboard);
    results.push(
        await certificate(`TLS ${plan.domain}`, {
            host: plan.resolveTo ?? host.hostname,
            port: Number(host.port || 443),
            servername: plan.domain,
            ...(plan.ca ? { ca: plan.ca } : {}),
        }),
    );
    if (plan.e2e) {
        results.push(
            await sensorReadingRaisesAlert("sensor reading raises an alert", {
                ...tlsOpts,
                baseUrl: plan.urls.dashboard,
                ingestPath: plan.e2e.ingestPath,
                alertsPath: plan.e2e.alertsPath,
                sensorId: plan.e2e.sensorId,
                celsius: plan.e2e.celsius,
                timeoutMs,
                ...(plan.e2e.token ? { headers: { authorization: `Bearer ${plan.e2e.token}` } } : {}),
            }),
        );
    }
    results.push(
        await prometheusTargetsUp("Prometheus targets up", plan.urls.prometheus, { ...tlsOpts, headers: adminAuth }),
    );
    results.push(await grafanaHealthy("Grafana health", plan.urls.grafana, tlsOpts));
    return results;
}
