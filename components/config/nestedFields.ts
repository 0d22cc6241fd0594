/**
 * The settings nested inside object keys (verification.e2e, appBuild.targets, backup.offsite, alerts.email and
 * alerts.slack): their checks and defaults, declared once as the top-level keys are in ./schema.ts.
 */
import { checkEmail, checkHostPort, checkNumber } from "../validation";
import { defaulted, optional, required, text } from "./fields";

const API_PATH = text((s) => (s.startsWith("/") ? undefined : "an absolute path such as /api/v1/readings"));
const STAGE = text((s) => (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s) ? undefined : "a Dockerfile stage name"));

/** The fields of the end-to-end check (verification.e2e), read when it is set. */
export const E2E_FIELDS = {
    ingestPath: defaulted<string>(API_PATH, "/api/v1/readings"),
    alertsPath: defaulted<string>(API_PATH, "/api/v1/alerts?status=open"),
    sensorId: defaulted<string>(
        text((s) => (s.length > 0 ? undefined : "a sensor id")),
        "demo-sensor-1",
    ),
    celsius: defaulted<number>(checkNumber(-80, 200), 15),
} as const;

/** The build stage of each image (appBuild.targets). */
export const BUILD_TARGET_FIELDS = {
    backend: defaulted<string>(STAGE, "backend"),
    worker: defaulted<string>(STAGE, "worker"),
    frontend: defaulted<string>(STAGE, "frontend"),
} as const;

/** The offsite copy's bucket (backup.offsite); its keys are secrets of their own. */
export const OFFSITE_FIELDS = {
    // An endpoint written as https://key:secret@host is refused without being shown.
    endpoint: required<string>(
        text((s) =>
            /^https:\/\/[a-z0-9.-]+(:\d+)?$/.test(s)
                ? undefined
                : "an https endpoint such as https://fra1.digitaloceanspaces.com",
        ),
        "an https endpoint such as https://fra1.digitaloceanspaces.com",
        { nearSecret: true },
    ),
    bucket: required<string>(
        text((s) =>
            /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s)
                ? undefined
                : "an S3 bucket name (3-63 lowercase letters, digits, . -)",
        ),
        "the bucket that receives the copies",
    ),
} as const;

/** Alerts by email (alerts.email); `to` is a list, read beside these. */
export const EMAIL_FIELDS = {
    from: required<string>(text(checkEmail), "the sender address alerts come from"),
    smarthost: required<string>(text(checkHostPort), "the SMTP relay as host:port"),
    username: optional<string>(text((s) => (s.length > 0 ? undefined : "a non-empty SMTP user name"))),
} as const;

export const SLACK_FIELDS = {
    channel: required<string>(
        text((s) => (/^#[a-z0-9_-]{1,80}$/.test(s) ? undefined : "a Slack channel such as #cold-chain-alerts")),
        "a Slack channel such as #cold-chain-alerts",
        { nearSecret: true },
    ),
} as const;
