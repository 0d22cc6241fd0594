/**
 * What keeps a running stack healthy: backups and their offsite copy, alert destinations, the verification gate,
 * monitoring retention, rollback exports, resource limits and credential generations.
 */
import { checkEmail, checkInteger } from "../validation";
import { isRecord, readEach, readFields, stringList, unknownKeys } from "./fields";
import { checkCpus, DEFAULT_LIMITS, ResourceLimits, SERVICE_NAMES, ServiceName } from "./limits";
import { E2E_FIELDS, EMAIL_FIELDS, OFFSITE_FIELDS, SLACK_FIELDS } from "./nestedFields";
import { fieldsOf, STATUS_SLUG } from "./schema";
import { Source } from "./source";
import { AlertDestinations, ROTATABLE_SECRETS, RotatableSecret, StackConfig, VerificationSettings } from "./types";

export function readBackup(src: Source): StackConfig["backup"] {
    const key = src.key("backup");
    const obj = src.object("backup");
    const base = src.fields("backup", fieldsOf("backup"), ["offsite"]);
    if (obj.offsite === undefined) return base;
    const offKey = `${key}.offsite`;
    if (!isRecord(obj.offsite)) {
        const expected = "an object with endpoint and bucket (the keys are the secrets freshtrack:backupOffsite*)";
        src.problems.nearSecret(offKey, obj.offsite, expected);
        return base;
    }
    const { endpoint, bucket } = readFields(src.problems, offKey, obj.offsite, OFFSITE_FIELDS);
    const accessKeyId = src.secret("backupOffsiteAccessKeyId", `${offKey} is set`);
    const secretAccessKey = src.secret("backupOffsiteSecretAccessKey", `${offKey} is set`);
    // Offsite copies are encrypted with SSE-C under this key (components/services/backup.ts): 256 bits, as mc's
    // --enc-c takes it in hex.
    const encryptionKey = src.secret(
        "backupOffsiteEncryptionKey",
        `${offKey} is set and offsite copies are encrypted with it (openssl rand -hex 32)`,
        (v) =>
            /^[0-9a-fA-F]{64}$/.test(v)
                ? undefined
                : "a 256-bit key as 64 hexadecimal digits, such as the output of openssl rand -hex 32",
    );
    return accessKeyId && secretAccessKey && encryptionKey
        ? { ...base, offsite: { endpoint, bucket, accessKeyId, secretAccessKey, encryptionKey } }
        : base;
}

export function readAlerts(src: Source): AlertDestinations {
    const key = src.key("alerts");
    const obj = src.object("alerts");
    unknownKeys(src.problems, key, obj, ["email", "slack", "webhook"]);
    const result: { -readonly [K in keyof AlertDestinations]: AlertDestinations[K] } = {};
    if (obj.email !== undefined) {
        const emailKey = `${key}.email`;
        if (!isRecord(obj.email)) {
            src.problems.add(emailKey, obj.email, "an object with to, from and smarthost");
        } else {
            const email = obj.email;
            unknownKeys(src.problems, emailKey, email, ["to", ...Object.keys(EMAIL_FIELDS)]);
            const to = stringList(src.problems, `${emailKey}.to`, email.to, checkEmail);
            if (email.to === undefined || to.length === 0) {
                src.problems.add(`${emailKey}.to`, email.to, "a list of at least one email address");
            }
            const { from, smarthost, username } = readEach(src.problems, emailKey, email, EMAIL_FIELDS);
            const password =
                username !== undefined ? src.secret("alertSmtpPassword", `${emailKey}.username is set`) : undefined;
            result.email = {
                to,
                from,
                smarthost,
                ...(username !== undefined ? { username } : {}),
                ...(password ? { password } : {}),
            };
        }
    }
    if (obj.slack !== undefined) {
        const slackKey = `${key}.slack`;
        if (!isRecord(obj.slack)) {
            const expected = "an object with channel (the webhook URL is the secret freshtrack:alertSlackWebhookUrl)";
            src.problems.nearSecret(slackKey, obj.slack, expected);
        } else {
            const { channel } = readFields(src.problems, slackKey, obj.slack, SLACK_FIELDS);
            const webhookUrl = src.secret("alertSlackWebhookUrl", `${slackKey} is set`);
            if (webhookUrl) result.slack = { channel, webhookUrl };
        }
    }
    if (obj.webhook !== undefined) {
        const webhookKey = `${key}.webhook`;
        if (obj.webhook !== true) {
            const expected = "true (the URL itself is the secret freshtrack:alertWebhookUrl)";
            src.problems.nearSecret(webhookKey, obj.webhook, expected);
        } else {
            const url = src.secret("alertWebhookUrl", `${webhookKey} is true`);
            if (url) result.webhook = { url };
        }
    }
    return result;
}

export function readVerification(src: Source): VerificationSettings {
    const key = src.key("verification");
    const settings = src.fields("verification", fieldsOf("verification"), ["e2e"]);
    const e2e = src.object("verification").e2e;
    if (e2e === undefined || e2e === false) return settings;
    if (!isRecord(e2e)) {
        const expected = "an object with ingestPath, alertsPath, sensorId and celsius, or false";
        src.problems.add(`${key}.e2e`, e2e, expected);
        return settings;
    }
    const checks = readFields(src.problems, `${key}.e2e`, e2e, E2E_FIELDS);
    const token = src.optionalSecret("verificationIngestToken");
    return { ...settings, e2e: { ...checks, ...(token ? { token } : {}) } };
}

export function readRollback(src: Source): StackConfig["rollback"] {
    const key = src.key("rollback");
    const obj = src.object("rollback");
    unknownKeys(src.problems, key, obj, ["exportTables"]);
    const defaults = fieldsOf("rollback").exportTables.default;
    if (obj.exportTables === undefined) return { exportTables: defaults };
    if (!Array.isArray(obj.exportTables)) {
        src.problems.add(`${key}.exportTables`, obj.exportTables, "a list of {table, column}");
        return { exportTables: defaults };
    }
    const ident = /^[a-z_][a-z0-9_]*$/;
    const tables = obj.exportTables.filter((t, i) => {
        const ok =
            isRecord(t) &&
            typeof t.table === "string" &&
            ident.test(t.table) &&
            typeof t.column === "string" &&
            ident.test(t.column);
        if (!ok) src.problems.add(`${key}.exportTables[${i}]`, t, "{table, column} with plain lowercase SQL names");
        return ok;
    }) as Array<{ table: string; column: string }>;
    return { exportTables: tables };
}

export function readMonitoring(src: Source): StackConfig["monitoring"] {
    const key = src.key("monitoring");
    const retention = src.fields("monitoring", fieldsOf("monitoring"), ["publicStatusPages"]);
    const slug = (s: string) =>
        STATUS_SLUG.test(s)
            ? undefined
            : "an Uptime Kuma status page slug: letters and digits, words joined by single hyphens";
    const pages = src.object("monitoring").publicStatusPages;
    return { ...retention, publicStatusPages: stringList(src.problems, `${key}.publicStatusPages`, pages, slug) };
}

export function readResources(src: Source): Record<ServiceName, ResourceLimits> {
    const key = src.key("resources");
    const overrides = src.object("resources");
    unknownKeys(src.problems, key, overrides, SERVICE_NAMES);
    const result = {} as Record<ServiceName, ResourceLimits>;
    for (const name of SERVICE_NAMES) {
        const given = overrides[name];
        const defaults = DEFAULT_LIMITS[name];
        if (given === undefined) {
            result[name] = defaults;
            continue;
        }
        if (!isRecord(given)) {
            src.problems.add(`${key}.${name}`, given, "an object with memoryMb and/or cpus");
            result[name] = defaults;
            continue;
        }
        result[name] = readFields(src.problems, `${key}.${name}`, given, {
            memoryMb: { check: checkInteger(16, 65536), default: defaults.memoryMb },
            cpus: { check: checkCpus, default: defaults.cpus },
        });
    }
    return result;
}

export function readSecretGenerations(src: Source): Partial<Record<RotatableSecret, number>> {
    const key = src.key("secretGenerations");
    const obj = src.object("secretGenerations");
    const specs = Object.fromEntries(ROTATABLE_SECRETS.map((name) => [name, { check: checkInteger(1, 1_000_000) }]));
    return readFields(src.problems, key, obj, specs) as Partial<Record<RotatableSecret, number>>;
}
