import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { AlertDestinations } from "../config";

/** Environment variable that hands the announcement to scripts/notify.ts. */
export const NOTIFY_ENV = "FRESHTRACK_NOTIFY";

export interface AnnouncementArgs {
    /** Where to announce (freshtrack:alerts); none: nothing is created. */
    readonly destinations: AlertDestinations;
    /** The Pulumi stack's name (StackConfig.stack), which the announcement names. */
    readonly stack: string;
    /** The dashboard's public name (freshtrack:domain), which the announcement names. */
    readonly domain: string;
    /** The app version now running (freshtrack:appVersion), which the announcement names. */
    readonly version: string;
    /** A change announces again (the containers' ids). */
    readonly triggers: readonly pulumi.Input<string>[];
}

/**
 * Announces a completed update to the alert destinations (Slack, webhook, email).
 * scripts/notify.ts always exits 0: a destination that is down is reported in
 * the update's output and never fails the deploy. Give it `dependsOn: [the verification gate]`, so it announces only
 * a finished, verified update: that option is its command's, as a Service's is its container's.
 */
export class Announcement extends pulumi.ComponentResource {
    constructor(name: string, args: AnnouncementArgs, opts?: pulumi.ComponentResourceOptions) {
        // `dependsOn` is the command's alone, as a Service's is its container's (components/service.ts): the command is
        // all that has to wait.
        super("freshtrack:postDeploy:Announcement", name, {}, { ...opts, dependsOn: undefined });
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
                { parent: this, dependsOn: opts?.dependsOn },
            );
        }
        this.registerOutputs({});
    }
}
