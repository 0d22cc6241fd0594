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
 * Announces a completed update to the alert destinations (Slack, webhook, email).
 * scripts/notify.ts always exits 0: a destination that is down is reported in
 * the update's output and never fails the deploy.
 */
export class Announcement extends pulumi.ComponentResource {
    constructor(name: string, args: AnnouncementArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:postDeploy:Announcement", name, {}, opts);
        const { cfg } = args;
        const { slack, webhook, email } = cfg.alerts;
        if (slack || webhook || email) {
            const payload = pulumi
                .all([
                    slack?.webhookUrl ?? pulumi.output(""),
                    webhook?.url ?? pulumi.output(""),
                    email?.password ?? pulumi.output(""),
                ])
                .apply(([slackWebhookUrl, webhookUrl, password]) =>
                    JSON.stringify({
                        event: {
                            kind: "update",
                            result: "succeeded",
                            stack: cfg.stack,
                            domain: cfg.domain,
                            version: cfg.app.version,
                            detail: "every container healthy and the verification gate passed",
                        },
                        destinations: {
                            ...(slackWebhookUrl ? { slackWebhookUrl } : {}),
                            ...(webhookUrl ? { webhookUrl } : {}),
                            ...(email
                                ? {
                                      email: {
                                          to: email.to,
                                          from: email.from,
                                          smarthost: email.smarthost,
                                          ...(email.username ? { username: email.username, password } : {}),
                                      },
                                  }
                                : {}),
                        },
                    }),
                );
            new command.local.Command(
                `${name}-send`,
                {
                    create: "node -r ts-node/register/transpile-only scripts/notify.ts --from-env",
                    environment: { [NOTIFY_ENV]: pulumi.secret(payload) },
                    triggers: [...args.triggers],
                },
                { parent: this, dependsOn: [...args.after] },
            );
        }
        this.registerOutputs({});
    }
}
