/**
 * Sends one deploy announcement (scripts/notify.ts --from-env, run by pulumi up
 * after the verification gate). Always exits 0: notifying must never fail a deploy.
 */
import { DeployEvent, notify, NotifyDestinations } from "../operator/notify";
import { NOTIFY_ENV } from "../components/postDeploy/announcement";

async function main(): Promise<void> {
    try {
        const { event, destinations } = JSON.parse(process.env[NOTIFY_ENV] ?? "{}") as {
            event: DeployEvent;
            destinations: NotifyDestinations;
        };
        for (const d of await notify(event, destinations)) {
            console.log(
                `notify ${d.destination}: ${d.ok ? "sent" : `NOT delivered (${d.detail}); the deploy is not affected`}`,
            );
        }
    } catch (err) {
        console.log(`notify: could not send (${(err as Error).message}); the deploy is not affected`);
    }
}

main().then(() => process.exit(0));
