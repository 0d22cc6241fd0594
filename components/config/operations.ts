/**
 * What keeps a running stack healthy: backups and their offsite copy, alert destinations, the verification gate,
 * monitoring retention, rollback exports, resource limits and credential generations. What each setting accepts is
 * the schema's (./schema.ts, ./nestedFields.ts); these join the settings with the secret keys that go with them.
 */
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
