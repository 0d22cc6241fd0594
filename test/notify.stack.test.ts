import { expect } from "chai";

describe("deploy announcement in the program", () => {
    it("runs after the verification gate, with the destinations secret, only where a destination is configured", async () => {
        const { loadStackSettings } = await import("../scripts/lib/stackFiles");
        const { runUnderMocks, SecretValue } = await import("../scripts/lib/mockRun");
        const { deployStack } = await import("../components/stack");
        const { shippedRun } = await import("./variantRuns");
        const { NOTIFY_ENV } = await import("../components/postDeploy/announcement");
        const dev = await shippedRun("dev");
        expect(
            dev.resources.filter((r) => r.name === "announcement-send"),
            "dev has no destination",
        ).to.deep.equal([]);
        const prod = await shippedRun("prod");
        const prodSend = prod.resources.find((r) => r.name === "announcement-send")!;
        const prodPayload = JSON.parse(
            (prodSend.inputs.environment as Record<string, InstanceType<typeof SecretValue>>)[NOTIFY_ENV]!
                .value as string,
        );
        expect(prodPayload.destinations).to.deep.equal({
            email: {
                to: ["oncall@freshtrack.example.com"],
                from: "alerts@freshtrack.example.com",
                smarthost: "smtp.example.com:587",
            },
        });

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
