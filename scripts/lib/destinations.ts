/**
 * Announcement destinations from a stack's config as the Automation API
 * returns it (secrets decrypted), for the commands that run outside `pulumi up`.
 */
import type { NotifyDestinations } from "../../operator/notify";

type ConfigMap = Record<string, { value: string; secret?: boolean } | undefined>;

export function destinationsFromConfig(config: ConfigMap): NotifyDestinations {
    const value = (key: string) => config[`freshtrack:${key}`]?.value || undefined;
    let alerts: { email?: { to: string[]; from: string; smarthost: string; username?: string } } = {};
    try {
        alerts = JSON.parse(value("alerts") ?? "{}") as typeof alerts;
    } catch {
        alerts = {};
    }
    const slackWebhookUrl = value("alertSlackWebhookUrl");
    const webhookUrl = value("alertWebhookUrl");
    const password = value("alertSmtpPassword");
    return {
        ...(slackWebhookUrl ? { slackWebhookUrl } : {}),
        ...(webhookUrl ? { webhookUrl } : {}),
        ...(alerts.email
            ? { email: { ...alerts.email, ...(alerts.email.username && password ? { password } : {}) } }
            : {}),
    };
}
