/**
 * operator/: code that the npm scripts and the post-deploy commands run against a live stack (HTTP checks, mail,
 * rollback planning). It is not part of the Pulumi program's resource graph: operator/ may import from components/,
 * never the reverse (test/layout.test.ts).
 *
 * The verification gate's checks: plain TypeScript over node:http(s) and
 * node:tls, no Pulumi. Each returns what it expected, what it saw and where
 * to look, so a failure reads as a report, not a stack trace.
 */
import * as http from "http";
import * as https from "https";
import * as tls from "tls";

export interface CheckResult {
    readonly check: string;
    readonly ok: boolean;
    readonly expected: string;
    readonly seen: string;
    /** Where to look when it failed. */
    readonly where: string;
    readonly ms: number;
}

export interface HttpOptions {
    /** PEM of a CA to trust (the stack's internal CA). */
    readonly ca?: string;
    readonly headers?: Readonly<Record<string, string>>;
    /** Per-request timeout. @default 5000 */
    readonly requestTimeoutMs?: number;
    /** Connect to this address instead of resolving the URL's host (which still names the site for TLS and Host). */
    readonly resolveTo?: string;
}

export interface HttpAnswer {
    readonly status: number;
    readonly body: string;
}

/** A dns.lookup that answers every name with one address. */
function pinnedLookup(address: string): NonNullable<http.RequestOptions["lookup"]> {
    const family = address.includes(":") ? 6 : 4;
    return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
        if (options?.all) callback(null, [{ address, family }]);
        else callback(null, address, family);
    }) as unknown as NonNullable<http.RequestOptions["lookup"]>;
}

/** One request; rejects with a readable reason on network errors and timeouts. */
export function request(url: string, opts: HttpOptions & { method?: string; body?: string } = {}): Promise<HttpAnswer> {
    const target = new URL(url);
    const client = target.protocol === "https:" ? https : http;
    const timeout = opts.requestTimeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
        const req = client.request(
            target,
            {
                method: opts.method ?? "GET",
                headers: {
                    accept: "application/json",
                    ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
                    ...(opts.headers ?? {}),
                },
                ...(opts.ca ? { ca: opts.ca } : {}),
                ...(opts.resolveTo ? { lookup: pinnedLookup(opts.resolveTo) } : {}),
                timeout,
                agent: false,
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () =>
                    resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
                );
                res.on("error", reject);
            },
        );
        req.on("timeout", () => req.destroy(new Error(`no answer within ${timeout} ms`)));
        req.on("error", (err: NodeJS.ErrnoException) =>
            reject(new Error(err.code ? `${err.code}: ${err.message}` : err.message)),
        );
        if (opts.body !== undefined) req.write(opts.body);
        req.end();
    });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 300 ms, 45 s. */
function duration(ms: number): string {
    return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

export interface HealthOptions extends HttpOptions {
    /** Consecutive 2xx answers needed. @default 3 */
    readonly times?: number;
    /** Pause between attempts. @default 1000 */
    readonly intervalMs?: number;
    /** Give up after this long. @default 60000 */
    readonly timeoutMs?: number;
}

/** Passes when the URL answers 2xx `times` times in a row within the timeout; a single failure restarts the count. */
export async function consecutiveHealthy(name: string, url: string, opts: HealthOptions = {}): Promise<CheckResult> {
    const times = opts.times ?? 3;
    const deadline = Date.now() + (opts.timeoutMs ?? 60000);
    const started = Date.now();
    let streak = 0;
    let attempts = 0;
    let last = "no attempt";
    while (Date.now() < deadline) {
        attempts++;
        try {
            const answer = await request(url, opts);
            last = `HTTP ${answer.status}`;
            streak = answer.status >= 200 && answer.status < 300 ? streak + 1 : 0;
        } catch (err) {
            last = (err as Error).message;
            streak = 0;
        }
        if (streak >= times) {
            return {
                check: name,
                ok: true,
                expected: `${times} consecutive 2xx`,
                seen: `${times} consecutive 2xx after ${attempts} attempt(s)`,
                where: url,
                ms: Date.now() - started,
            };
        }
        if (Date.now() + (opts.intervalMs ?? 1000) >= deadline) break;
        await sleep(opts.intervalMs ?? 1000);
    }
    return {
        check: name,
        ok: false,
        expected: `${times} consecutive 2xx within ${duration(opts.timeoutMs ?? 60000)}`,
        seen: `best streak ended; last answer: ${last} (${attempts} attempt(s))`,
        where: `${url}; the service's logs (docker logs) and docs/troubleshooting.md`,
        ms: Date.now() - started,
    };
}

export interface CertificateOptions {
    readonly host: string;
    readonly port?: number;
    /** The name the certificate must cover (SNI). */
    readonly servername: string;
    /** Trust this CA (internal mode) instead of the system store. */
    readonly ca?: string;
    /** @default 30 */
    readonly minDaysLeft?: number;
    /** @default 10000 */
    readonly timeoutMs?: number;
}

/** The server's certificate covers the name, chains to a trusted CA, and does not expire within `minDaysLeft`. */
export function certificate(name: string, opts: CertificateOptions): Promise<CheckResult> {
    const started = Date.now();
    const minDays = opts.minDaysLeft ?? 30;
    const where = `https://${opts.servername}:${opts.port ?? 443}; Caddy's logs and docs/troubleshooting.md#certificate-expiring`;
    const expected = `a trusted certificate for ${opts.servername}, valid for at least ${minDays} more days`;
    return new Promise((resolve) => {
        const done = (ok: boolean, seen: string) => {
            socket.destroy();
            resolve({ check: name, ok, expected, seen, where, ms: Date.now() - started });
        };
        const socket = tls.connect(
            {
                host: opts.host,
                port: opts.port ?? 443,
                servername: opts.servername,
                rejectUnauthorized: false,
                ...(opts.ca ? { ca: opts.ca } : {}),
            },
            () => {
                const cert = socket.getPeerCertificate();
                if (!cert || !cert.valid_to) return done(false, "no certificate presented");
                const daysLeft = Math.floor((new Date(cert.valid_to).getTime() - Date.now()) / 86400000);
                const identity = tls.checkServerIdentity(opts.servername, cert);
                const problems = [
                    ...(socket.authorized ? [] : [`not trusted (${String(socket.authorizationError)})`]),
                    ...(identity ? [`does not cover ${opts.servername} (${identity.message})`] : []),
                    ...(daysLeft < minDays ? [`expires in ${daysLeft} days`] : []),
                ];
                const seen = `issued by ${cert.issuer?.CN ?? "?"} for ${cert.subject?.CN ?? "?"}, ${daysLeft} days left`;
                done(problems.length === 0, problems.length === 0 ? seen : `${seen}: ${problems.join("; ")}`);
            },
        );
        socket.setTimeout(opts.timeoutMs ?? 10000, () =>
            done(false, `no TLS handshake within ${opts.timeoutMs ?? 10000} ms`),
        );
        socket.on("error", (err: NodeJS.ErrnoException) =>
            done(false, err.code ? `${err.code}: ${err.message}` : err.message),
        );
    });
}

export interface SensorCheckOptions extends HttpOptions {
    readonly baseUrl: string;
    /** POST target for a reading. */
    readonly ingestPath: string;
    /** GET that lists open alerts as JSON. */
    readonly alertsPath: string;
    readonly sensorId: string;
    /** A temperature outside the sensor's allowed range. */
    readonly celsius: number;
    /** @default 120000 */
    readonly timeoutMs?: number;
    /** @default 2000 */
    readonly pollMs?: number;
}

/** End to end: a simulated reading that crosses the threshold shows up as an open alert through the API. */
export async function sensorReadingRaisesAlert(name: string, opts: SensorCheckOptions): Promise<CheckResult> {
    const started = Date.now();
    const marker = `verify-${started}`;
    const where = `${opts.baseUrl}${opts.ingestPath} then ${opts.alertsPath}; the backend's and worker's logs`;
    const expected = `an open alert for sensor ${opts.sensorId} within ${duration(opts.timeoutMs ?? 120000)} of a ${opts.celsius} °C reading`;
    let ingest: HttpAnswer;
    try {
        ingest = await request(`${opts.baseUrl}${opts.ingestPath}`, {
            ...opts,
            method: "POST",
            body: JSON.stringify({
                sensorId: opts.sensorId,
                temperatureC: opts.celsius,
                recordedAt: new Date().toISOString(),
                source: marker,
            }),
        });
    } catch (err) {
        return {
            check: name,
            ok: false,
            expected,
            seen: `the reading was not accepted: ${(err as Error).message}`,
            where,
            ms: Date.now() - started,
        };
    }
    if (ingest.status < 200 || ingest.status >= 300) {
        return {
            check: name,
            ok: false,
            expected,
            seen: `the reading was refused: HTTP ${ingest.status} ${ingest.body.slice(0, 200)}`,
            where,
            ms: Date.now() - started,
        };
    }
    const deadline = started + (opts.timeoutMs ?? 120000);
    let last = "no answer yet";
    while (Date.now() < deadline) {
        try {
            const alerts = await request(`${opts.baseUrl}${opts.alertsPath}`, opts);
            last = `HTTP ${alerts.status}`;
            if (alerts.status === 200 && alerts.body.includes(opts.sensorId)) {
                return {
                    check: name,
                    ok: true,
                    expected,
                    seen: `alert open after ${Date.now() - started} ms`,
                    where,
                    ms: Date.now() - started,
                };
            }
            if (alerts.status === 200) last = "HTTP 200 without an alert for the sensor";
        } catch (err) {
            last = (err as Error).message;
        }
        await sleep(opts.pollMs ?? 2000);
    }
    return {
        check: name,
        ok: false,
        expected,
        seen: `no alert; last answer: ${last}`,
        where,
        ms: Date.now() - started,
    };
}

/** Prometheus reports every active target up. */
export async function prometheusTargetsUp(name: string, baseUrl: string, opts: HttpOptions = {}): Promise<CheckResult> {
    const started = Date.now();
    const where = `${baseUrl}/targets; docs/troubleshooting.md#target-down`;
    const expected = "every scrape target up";
    try {
        const answer = await request(`${baseUrl}/api/v1/targets?state=active`, opts);
        if (answer.status !== 200)
            return { check: name, ok: false, expected, seen: `HTTP ${answer.status}`, where, ms: Date.now() - started };
        const targets = (
            JSON.parse(answer.body) as {
                data: { activeTargets: Array<{ health: string; labels: Record<string, string>; lastError?: string }> };
            }
        ).data.activeTargets;
        const down = targets.filter((t) => t.health !== "up");
        if (targets.length === 0)
            return { check: name, ok: false, expected, seen: "no targets at all", where, ms: Date.now() - started };
        return {
            check: name,
            ok: down.length === 0,
            expected,
            seen:
                down.length === 0
                    ? `${targets.length} targets up`
                    : `${down.length} of ${targets.length} down: ${down.map((t) => `${t.labels.job ?? "?"} ${t.labels.instance ?? ""} (${t.health}${t.lastError ? `: ${t.lastError}` : ""})`).join("; ")}`,
            where,
            ms: Date.now() - started,
        };
    } catch (err) {
        return { check: name, ok: false, expected, seen: (err as Error).message, where, ms: Date.now() - started };
    }
}

/** Grafana answers its health API with its database ok. */
export async function grafanaHealthy(name: string, baseUrl: string, opts: HttpOptions = {}): Promise<CheckResult> {
    const started = Date.now();
    const where = `${baseUrl}/api/health; Grafana's logs`;
    const expected = 'HTTP 200 with "database": "ok"';
    try {
        const answer = await request(`${baseUrl}/api/health`, opts);
        let database = "?";
        try {
            database = String((JSON.parse(answer.body) as { database?: string }).database);
        } catch {
            database = "unreadable answer";
        }
        return {
            check: name,
            ok: answer.status === 200 && database === "ok",
            expected,
            seen: `HTTP ${answer.status}, database ${database}`,
            where,
            ms: Date.now() - started,
        };
    } catch (err) {
        return { check: name, ok: false, expected, seen: (err as Error).message, where, ms: Date.now() - started };
    }
}

/** The report printed after a run: one line per check, then the details of each failure. */
export function renderReport(results: readonly CheckResult[]): string {
    const failed = results.filter((r) => !r.ok);
    const lines = [
        `Verification: ${results.length - failed.length} of ${results.length} checks passed`,
        ...results.map((r) => `  ${r.ok ? "PASS" : "FAIL"}  ${r.check.padEnd(28)} ${r.seen} (${r.ms} ms)`),
    ];
    for (const f of failed) {
        lines.push(
            "",
            `${f.check} failed`,
            `  expected: ${f.expected}`,
            `  seen:     ${f.seen}`,
            `  look at:  ${f.where}`,
        );
    }
    return lines.join("\n");
}
