import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { AlertDestinations } from "../config";

/** Environment variable that hands the announcement to scripts/notify.ts. */
export const NOTIFY_ENV = "FRESHTRACK_NOTIFY";

export interface AnnouncementArgs {
    /** Where to announce (freshtrack:alerts); none: nothing is created. */
    readonly destinations: AlertDestinations;
    /** What the announcement names: the stack, its domain and the app version now running. */
    readonly stack: string;
    readonly domain: string;
    readonly version: string;
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
        const { slack, webhook, email } = args.destinations;
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
                            stack: args.stack,
                            domain: args.domain,
                            version: args.version,
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
