/**
 * alertmanager.yml from the configured destinations. Pure; the tests run it
 * through the real `amtool check-config`. Passwords and the Slack URL are read
 * from files; Alertmanager 0.25 (the checker) has no url_file for webhooks, so
 * a webhook URL is written into the file, which is then a secret upload.
 */
import * as YAML from "yaml";
import { hasAlertDestination } from "../config";

export interface AlertmanagerDestinations {
    readonly email?: {
        readonly to: readonly string[];
        readonly from: string;
        readonly smarthost: string;
        readonly username?: string;
        readonly passwordFile?: string;
    };
    readonly slack?: { readonly channel: string; readonly urlFile: string };
    readonly webhook?: { readonly url: string };
}

export const NO_DESTINATION = "nowhere";

/** Which destinations will receive alerts, in words, for the plan and the deploy summary. */
export function describeDestinations(d: {
    email?: { to: readonly string[] };
    slack?: { channel: string };
    webhook?: unknown;
}): string {
    const parts = [
        ...(d.email ? [`email to ${d.email.to.join(", ")}`] : []),
        ...(d.slack ? [`Slack ${d.slack.channel}`] : []),
        ...(d.webhook ? ["a webhook"] : []),
    ];
    return hasAlertDestination(d)
        ? parts.join("; ")
        : "NOWHERE: no destination is configured (freshtrack:alerts); alerts only show in Grafana and Alertmanager";
}

export function renderAlertmanagerConfig(d: AlertmanagerDestinations): string {
    const receiver = hasAlertDestination(d) ? "operators" : NO_DESTINATION;
    const config = {
        route: {
            receiver,
            group_by: ["alertname", "instance"],
            group_wait: "30s",
            group_interval: "5m",
            repeat_interval: "4h",
        },
        receivers: [
            {
                name: receiver,
                ...(d.email
                    ? {
                          email_configs: d.email.to.map((to) => ({
                              to,
                              from: d.email!.from,
                              smarthost: d.email!.smarthost,
                              require_tls: true,
                              send_resolved: true,
                              ...(d.email!.username
                                  ? { auth_username: d.email!.username, auth_password_file: d.email!.passwordFile }
                                  : {}),
                          })),
                      }
                    : {}),
                ...(d.slack
                    ? {
                          slack_configs: [
                              { api_url_file: d.slack.urlFile, channel: d.slack.channel, send_resolved: true },
                          ],
                      }
                    : {}),
                ...(d.webhook ? { webhook_configs: [{ url: d.webhook.url, send_resolved: true }] } : {}),
            },
        ],
        inhibit_rules: [
            // A host that cannot be scraped also fails its probes; page once.
            {
                source_matchers: ['alertname="TargetDown"', 'job="node"'],
                target_matchers: ['alertname="ProbeFailing"'],
            },
        ],
    };
    return YAML.stringify(config, { lineWidth: 0 });
}
