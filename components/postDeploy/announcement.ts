import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";

/** Environment variable that hands the announcement to scripts/notify.ts. */
export const NOTIFY_ENV = "FRESHTRACK_NOTIFY";

export interface AnnouncementArgs {
    readonly cfg: StackConfig;
    /** Runs after these (the verification gate), so it announces only a finished, verified update. */
    readonly after: readonly pulumi.Resource[];
    /** A change announces again (the containers' ids). */
    readonly triggers: readonly pulumi.Input<string>[];
}

/**
 * Announces a completed update to the alert destinations (Slack, webhook).
 * scripts/notify.ts always exits 0: a destination that is down is reported in
 * the update's output and never fails the deploy.
 */
export class Announcement extends pulumi.ComponentResource {
    constructor(name: string, args: AnnouncementArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:postDeploy:Announcement", name, {}, opts);
        const { cfg } = args;
        const slack = cfg.alerts.slack?.webhookUrl ?? pulumi.output("");
        const webhook = cfg.alerts.webhook?.url ?? pulumi.output("");
        if (cfg.alerts.slack || cfg.alerts.webhook) {
            const payload = pulumi.all([slack, webhook]).apply(([slackWebhookUrl, webhookUrl]) =>
                JSON.stringify({
                    event: { kind: "update", result: "succeeded", stack: cfg.stack, domain: cfg.domain, version: cfg.app.version, detail: "every container healthy and the verification gate passed" },
                    destinations: { ...(slackWebhookUrl ? { slackWebhookUrl } : {}), ...(webhookUrl ? { webhookUrl } : {}) },
                }),
            );
            new command.local.Command(
                `${name}-send`,
                {
                    create: "node -r ts-node/register/transpile-only scripts/notify.ts --from-env",
                    dir: process.cwd(),
                    environment: { [NOTIFY_ENV]: pulumi.secret(payload) },
                    triggers: [...args.triggers],
                },
                { parent: this, dependsOn: [...args.after] },
            );
        }
        this.registerOutputs({});
    }
}
