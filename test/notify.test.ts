import { expect } from "chai";
import * as http from "http";
import * as net from "net";
import { DeployEvent, notify, renderMessage } from "../components/notify/notify";
import { freePort } from "./localServers";

const EVENT: DeployEvent = { kind: "update", result: "succeeded", stack: "prod", domain: "ft.example.com", version: "1.5.0", previousVersion: "1.4.2", durationSeconds: 312.4, detail: "verification 6 of 6 checks passed" };

async function receiver(status = 200): Promise<{ url: string; bodies: unknown[]; close: () => void }> {
    const bodies: unknown[] = [];
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            bodies.push(JSON.parse(Buffer.concat(chunks).toString()));
            res.statusCode = status;
            res.end(status === 200 ? "ok" : "invalid_token");
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`, bodies, close: () => server.close() };
}

describe("deploy notifications", () => {
    it("say what happened: kind, stack, versions, duration and result", () => {
        expect(renderMessage(EVENT)).to.equal("✅ Update of FreshTrack 'prod' (ft.example.com) succeeded in 312 s: version 1.4.2 → 1.5.0. verification 6 of 6 checks passed");
        expect(renderMessage({ ...EVENT, kind: "rollback", result: "failed", detail: undefined, durationSeconds: undefined })).to.equal("❌ Rollback of FreshTrack 'prod' (ft.example.com) failed: version 1.4.2 → 1.5.0");
    });

    it("post the text to Slack and the whole event to a webhook (real local receivers)", async () => {
        const slack = await receiver();
        const hook = await receiver();
        try {
            const deliveries = await notify(EVENT, { slackWebhookUrl: slack.url, webhookUrl: hook.url });
            expect(deliveries.map((d) => [d.destination, d.ok])).to.deep.equal([["Slack", true], ["webhook", true]]);
            expect(slack.bodies).to.deep.equal([{ text: renderMessage(EVENT) }]);
            expect(hook.bodies[0]).to.deep.include({ stack: "prod", version: "1.5.0", result: "succeeded", text: renderMessage(EVENT) });
        } finally {
            slack.close();
            hook.close();
        }
    });

    it("never throw when a destination refuses or is down; they report what happened instead", async () => {
        const refusing = await receiver(403);
        const downPort = await freePort();
        try {
            const deliveries = await notify(EVENT, { slackWebhookUrl: refusing.url, webhookUrl: `http://127.0.0.1:${downPort}/x` }, 1000);
            expect(deliveries[0]).to.deep.equal({ destination: "Slack", ok: false, detail: "HTTP 403 invalid_token" });
            expect(deliveries[1]!.ok).to.equal(false);
            expect(deliveries[1]!.detail).to.match(/ECONNREFUSED/);
        } finally {
            refusing.close();
        }
    });

    it("send nothing when no destination is configured", async () => {
        expect(await notify(EVENT, {})).to.deep.equal([]);
    });
});

describe("deploy announcement in the program", () => {
    it("runs after the verification gate, with the destinations secret, only where Slack or a webhook is configured", async () => {
        const { loadStackSettings } = await import("../scripts/lib/stackFiles");
        const { runUnderMocks, SecretValue } = await import("../scripts/lib/mockRun");
        const { deployStack } = await import("../components/stack");
        const { NOTIFY_ENV } = await import("../components/postDeploy/announcement");
        const prod = await runUnderMocks(loadStackSettings("prod"), deployStack);
        expect(prod.resources.filter((r) => r.name === "announcement-send"), "prod alerts by email only").to.deep.equal([]);

        const settings = loadStackSettings("prod");
        settings.config["freshtrack:alerts"] = JSON.stringify({ slack: { channel: "#ops" } });
        settings.config["freshtrack:alertSlackWebhookUrl"] = "https://hooks.slack.example/T/B/c";
        settings.secretKeys.push("freshtrack:alertSlackWebhookUrl");
        const { resources } = await runUnderMocks(settings, deployStack);
        const send = resources.find((r) => r.name === "announcement-send")!;
        const gate = resources.find((r) => r.name === "verification-gate")!;
        expect(send.options.dependsOn).to.include(gate.urn);
        const env = send.inputs.environment as Record<string, unknown>;
        expect(env[NOTIFY_ENV]).to.be.instanceOf(SecretValue);
        const payload = JSON.parse((env[NOTIFY_ENV] as InstanceType<typeof SecretValue>).value as string);
        expect(payload.destinations).to.deep.equal({ slackWebhookUrl: "https://hooks.slack.example/T/B/c" });
        expect(payload.event).to.include({ kind: "update", result: "succeeded", stack: "prod", version: "1.4.2" });
    });
});
