/**
 * The post-deploy summary: every URL, the generated credentials, and what to
 * do next. Pure: stack outputs in, text out.
 */
export interface SummaryOptions {
    readonly stack: string;
    /** The operator asked for secrets with --show-secrets. */
    readonly showSecrets: boolean;
    /** Output goes to a terminal (never to a file or a pipe). */
    readonly isTty: boolean;
    /** The "Last restore drill" part (renderLastDrill, scripts/lib/drillReport.ts), shown before the next steps. */
    readonly lastDrill?: readonly string[];
}

const URL_LABELS: Array<[string, string]> = [
    ["dashboard", "Dashboard"],
    ["api", "API"],
    ["grafana", "Grafana"],
    ["prometheus", "Prometheus"],
    ["alertmanager", "Alertmanager"],
    ["queues", "Bull Board"],
    ["status", "Uptime Kuma"],
];

const CREDENTIALS: Array<[string, string, string]> = [
    ["adminPassword", "Bull Board, Prometheus, Alertmanager", "admin"],
    ["grafanaAdminPassword", "Grafana", "admin"],
    ["deployPrivateKey", "SSH to the host", "deploy"],
];

export function renderSummary(
    outputs: Record<string, unknown>,
    opts: SummaryOptions,
): { text: string; warning?: string } {
    const reveal = opts.showSecrets && opts.isTty;
    const urls = (outputs.urls ?? {}) as Record<string, string>;
    const width = Math.max(...URL_LABELS.map(([, l]) => l.length), ...CREDENTIALS.map(([, l]) => l.length));
    const lines = [`FreshTrack Pro, stack '${opts.stack}'`, "", "URLs"];
    for (const [key, label] of URL_LABELS) if (urls[key]) lines.push(`  ${label.padEnd(width)}  ${urls[key]}`);
    lines.push("", "Credentials");
    for (const [key, label, user] of CREDENTIALS) {
        if (outputs[key] === undefined) continue;
        const value = String(outputs[key]);
        const shown = reveal ? (value.includes("\n") ? `\n${value}` : value) : "[secret]";
        lines.push(
            `  ${label.padEnd(width)}  user ${user}, ${key === "deployPrivateKey" ? "key" : "password"} ${shown}`,
        );
    }
    if (outputs.generatedCredentials !== undefined) {
        lines.push(
            `  ${"Internal services".padEnd(width)}  PostgreSQL, Redis, MinIO: ${reveal ? JSON.stringify(outputs.generatedCredentials) : "[secret]"} (pulumi stack output generatedCredentials)`,
        );
    }
    if (typeof outputs.caCertificate === "string")
        lines.push(
            "",
            "TLS: certificates come from the stack's own CA. Trust it with:",
            `  pulumi stack output caCertificate --stack ${opts.stack} > freshtrack-${opts.stack}-ca.pem`,
        );
    if (typeof outputs.alertDestinations === "string") lines.push("", `Alerts go to: ${outputs.alertDestinations}`);
    if (opts.lastDrill) lines.push("", ...opts.lastDrill);
    lines.push(
        "",
        "Next steps",
        `  1. Open ${urls.dashboard ?? "the dashboard"} and create the first admin account.`,
        "  2. Invite your team from the dashboard's settings, and add monitors on the status page.",
        "  3. Read docs/operations.md (updates, backups, restore drills) and docs/troubleshooting.md.",
    );
    if (!reveal)
        lines.push(
            "",
            `Secrets are masked. To see them: npm run summary -- ${opts.stack} --show-secrets (in a terminal).`,
        );
    const warning =
        opts.showSecrets && !opts.isTty
            ? "summary: --show-secrets only prints secrets to a terminal; output is redirected, so they stay masked"
            : undefined;
    return { text: lines.join("\n"), ...(warning ? { warning } : {}) };
}
