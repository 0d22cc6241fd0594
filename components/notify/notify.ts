/**
 * Deploy announcements: what happened to which stack, sent to the configured
 * destinations. Sending never throws: a notification that cannot be delivered
 * is reported, and the deploy goes on.
 */
import { request } from "../verify/checks";

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

export interface NotifyDestinations {
    readonly slackWebhookUrl?: string;
    readonly webhookUrl?: string;
}

export function renderMessage(e: DeployEvent): string {
    const what = e.kind === "rollback" ? "Rollback" : "Update";
    const versions = e.previousVersion && e.previousVersion !== e.version ? `${e.previousVersion} → ${e.version}` : e.version;
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
        ...(d.slackWebhookUrl ? [["Slack", d.slackWebhookUrl, JSON.stringify({ text })] as [string, string, string]] : []),
        ...(d.webhookUrl ? [["webhook", d.webhookUrl, JSON.stringify({ ...e, text })] as [string, string, string]] : []),
    ];
    return Promise.all(
        sends.map(async ([destination, url, body]): Promise<Delivery> => {
            try {
                const answer = await request(url, { method: "POST", body, requestTimeoutMs: timeoutMs });
                const ok = answer.status >= 200 && answer.status < 300;
                return { destination, ok, detail: ok ? `HTTP ${answer.status}` : `HTTP ${answer.status} ${answer.body.slice(0, 200)}` };
            } catch (err) {
                return { destination, ok: false, detail: (err as Error).message };
            }
        }),
    );
}
