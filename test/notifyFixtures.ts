/** The deploy event the notification tests announce (test/notify.test.ts, .servers.test.ts, .stack.test.ts). */
import { DeployEvent } from "../operator/notify";

export const EVENT: DeployEvent = {
    kind: "update",
    result: "succeeded",
    stack: "prod",
    domain: "ft.example.com",
    version: "1.5.0",
    previousVersion: "1.4.2",
    durationSeconds: 312.4,
    detail: "verification 6 of 6 checks passed",
};
