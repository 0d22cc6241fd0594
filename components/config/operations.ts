/**
 * What keeps a running stack healthy: backups and their offsite copy, alert destinations, the verification gate,
 * monitoring retention, rollback exports, resource limits and credential generations. What each setting accepts is
 * the schema's (./schema.ts, ./nestedFields.ts); these join the settings with the secret keys that go with them.
 */
import type { Environment } from "./schema";
import { Source } from "./source";
import { AlertDestinations, StackConfig, VerificationSettings } from "./types";

export function readBackup(src: Source): StackConfig["backup"] {
    const base = src.fields("backup");
    const offsite = src.nested("backup", "offsite");
    if (offsite === undefined) return base;
    const offKey = `${src.key("backup")}.offsite`;
    const accessKeyId = src.secret("backupOffsiteAccessKeyId", `${offKey} is set`);
    const secretAccessKey = src.secret("backupOffsiteSecretAccessKey", `${offKey} is set`);
    const encryptionKey = src.secret(
        "backupOffsiteEncryptionKey",
        `${offKey} is set and offsite copies are encrypted with it (openssl rand -hex 32)`,
    );
    return accessKeyId && secretAccessKey && encryptionKey
        ? { ...base, offsite: { ...offsite, accessKeyId, secretAccessKey, encryptionKey } }
        : base;
}

export function readAlerts(src: Source): AlertDestinations {
    const key = src.key("alerts");
    src.fields("alerts");
    const result: { -readonly [K in keyof AlertDestinations]: AlertDestinations[K] } = {};
    const email = src.nested("alerts", "email");
    if (email !== undefined) {
        const { username } = email;
        const password =
            username !== undefined ? src.secret("alertSmtpPassword", `${key}.email.username is set`) : undefined;
        result.email = { ...email, ...(password ? { password } : {}) };
    }
    const slack = src.nested("alerts", "slack");
    if (slack !== undefined) {
        const webhookUrl = src.secret("alertSlackWebhookUrl", `${key}.slack is set`);
        if (webhookUrl) result.slack = { channel: slack.channel, webhookUrl };
    }
    if (src.nested("alerts", "webhook") === true) {
        const url = src.secret("alertWebhookUrl", `${key}.webhook is true`);
        if (url) result.webhook = { url };
    }
    return result;
}

export function readVerification(src: Source): VerificationSettings {
    const settings = src.fields("verification");
    const e2e = src.nested("verification", "e2e");
    if (e2e === undefined) return settings;
    const token = src.optionalSecret("verificationIngestToken");
    return { ...settings, e2e: { ...e2e, ...(token ? { token } : {}) } };
}

/**
 * The warning for a production stack whose alerts reach no one (no email, Slack or webhook destination), or undefined.
 * A warning, not a refusal: such a stack may be built before its mail relay exists, but nobody would learn of a failed
 * backup or a full disk, and nothing else says so before the update (issue 17, second newcomer pass).
 */
export function unalertedProductionWarning(cfg: {
    readonly environment: Environment;
    readonly alerts: AlertDestinations;
}): string | undefined {
    if (cfg.environment !== "production" || hasAlertDestination(cfg.alerts)) return undefined;
    return "freshtrack:alerts names no destination, so this production stack's alerts would reach no one (they only show in Grafana and Alertmanager); set alerts.email, alerts.slack or alerts.webhook (docs/walkthrough.md, step 4)";
}

/** Whether any destination is configured: without one, alerts reach no one (Alertmanager's `nowhere` receiver). */
export function hasAlertDestination(d: { email?: unknown; slack?: unknown; webhook?: unknown }): boolean {
    return d.email !== undefined || d.slack !== undefined || d.webhook !== undefined;
}
