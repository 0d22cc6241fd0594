/**
 * operator/: code that the npm scripts and the post-deploy commands run against a live stack (HTTP checks, mail,
 * rollback planning). It is not part of the Pulumi program's resource graph: operator/ may import from components/,
 * never the reverse (test/layout.test.ts).
 *
 * Deploy announcements: what happened to which stack, sent to the configured
 * destinations. Sending never throws: a notification that cannot be delivered
 * is reported, and the deploy goes on.
 */
import * as nodemailer from "nodemailer";
import { request } from "./verify/checks";

export interface DeployEvent {
    readonly kind: "update" | "rollback";
    readonly result: "succeeded" | "failed";
    readonly stack: string;
    readonly domain: string;
    readonly version: string;
    readonly previousVersion?: string;
    readonly durationSeconds?: number;
    /** One line on why it failed, or what was checked. */
    readonly detail?: string;
}

export interface EmailSettings {
    readonly to: readonly string[];
    readonly from: string;
    /** host:port of the SMTP relay. */
    readonly smarthost: string;
    readonly username?: string;
    readonly password?: string;
    /** Refuse to send without STARTTLS (or TLS on port 465). @default true */
    readonly requireTls?: boolean;
}

export interface NotifyDestinations {
    readonly slackWebhookUrl?: string;
    readonly webhookUrl?: string;
    readonly email?: EmailSettings;
}

async function sendEmail(e: DeployEvent, settings: EmailSettings, text: string, timeoutMs: number): Promise<Delivery> {
    const [host, port] = [
        settings.smarthost.slice(0, settings.smarthost.lastIndexOf(":")),
        Number(settings.smarthost.slice(settings.smarthost.lastIndexOf(":") + 1)),
    ];
    try {
        const transport = nodemailer.createTransport({
            host,
            port,
            secure: port === 465,
            requireTLS: port !== 465 && (settings.requireTls ?? true),
            connectionTimeout: timeoutMs,
            greetingTimeout: timeoutMs,
            socketTimeout: timeoutMs,
            ...(settings.username ? { auth: { user: settings.username, pass: settings.password ?? "" } } : {}),
        });
        const subject = `[FreshTrack ${e.stack}] ${e.kind === "rollback" ? "Rollback" : "Update"} ${e.result}: ${e.version}`;
        const info = await transport.sendMail({ from: settings.from, to: [...settings.to], subject, text });
        return { destination: "email", ok: true, detail: `accepted for ${info.accepted.join(", ")}` };
    } catch (err) {
        return { destination: "email", ok: false, detail: (err as Error).message };
    }
}

export function renderMessage(e: DeployEvent): string {
    const what = e.kind === "rollback" ? "Rollback" : "Update";
    const versions =
        e.previousVersion && e.previousVersion !== e.version ? `${e.previousVersion} → ${e.version}` : e.version;
    const took = e.durationSeconds !== undefined ? ` in ${Math.round(e.durationSeconds)} s` : "";
    return `${e.result === "succeeded" ? "✅" : "❌"} ${what} of FreshTrack '${e.stack}' (${e.domain}) ${e.result}${took}: version ${versions}${e.detail ? `. ${e.detail}` : ""}`;
}

export interface Delivery {
    readonly destination: string;
    readonly ok: boolean;
    readonly detail: string;
}

/** Sends to every destination; resolves with what happened to each, never rejects. */
export async function notify(e: DeployEvent, d: NotifyDestinations, timeoutMs = 10000): Promise<Delivery[]> {
    const text = renderMessage(e);
    const sends: Array<[string, string, string]> = [
        ...(d.slackWebhookUrl
            ? [["Slack", d.slackWebhookUrl, JSON.stringify({ text })] as [string, string, string]]
            : []),
        ...(d.webhookUrl
            ? [["webhook", d.webhookUrl, JSON.stringify({ ...e, text })] as [string, string, string]]
            : []),
    ];
    const http = Promise.all(
        sends.map(async ([destination, url, body]): Promise<Delivery> => {
            try {
                const answer = await request(url, { method: "POST", body, requestTimeoutMs: timeoutMs });
                const ok = answer.status >= 200 && answer.status < 300;
                return {
                    destination,
                    ok,
                    detail: ok ? `HTTP ${answer.status}` : `HTTP ${answer.status} ${answer.body.slice(0, 200)}`,
                };
            } catch (err) {
                return { destination, ok: false, detail: (err as Error).message };
            }
        }),
    );
    const mail = d.email ? [await sendEmail(e, d.email, text, timeoutMs)] : [];
    return [...(await http), ...mail];
}
