import { expect } from "chai";
import { notify, renderMessage } from "../operator/notify";
import { EVENT } from "./notifyFixtures";

describe("deploy notifications", () => {
    it("say what happened: kind, stack, versions, duration and result", () => {
        expect(renderMessage(EVENT)).to.equal(
            "✅ Update of FreshTrack 'prod' (ft.example.com) succeeded in 312 s: version 1.4.2 → 1.5.0. verification 6 of 6 checks passed",
        );
        expect(
            renderMessage({
                ...EVENT,
                kind: "rollback",
                result: "failed",
                detail: undefined,
                durationSeconds: undefined,
            }),
        ).to.equal("❌ Rollback of FreshTrack 'prod' (ft.example.com) failed: version 1.4.2 → 1.5.0");
    });

    it("send nothing when no destination is configured", async () => {
        expect(await notify(EVENT, {})).to.deep.equal([]);
    });
});

describe("announcement destinations outside pulumi up (deploy, rollback)", () => {
    it("come from the stack's config: Slack, webhook and email with its password", async () => {
        const { destinationsFromConfig } = await import("../scripts/lib/destinations");
        expect(
            destinationsFromConfig({
                "freshtrack:alerts": {
                    value: JSON.stringify({
                        email: {
                            to: ["a@example.com"],
                            from: "b@example.com",
                            smarthost: "smtp.example.com:587",
                            username: "b",
                        },
                    }),
                },
                "freshtrack:alertSmtpPassword": { value: "pw", secret: true },
                "freshtrack:alertSlackWebhookUrl": { value: "https://hooks.slack.example/x", secret: true },
                "freshtrack:alertWebhookUrl": { value: "" },
            }),
        ).to.deep.equal({
            slackWebhookUrl: "https://hooks.slack.example/x",
            email: {
                to: ["a@example.com"],
                from: "b@example.com",
                smarthost: "smtp.example.com:587",
                username: "b",
                password: "pw",
            },
        });
        expect(destinationsFromConfig({})).to.deep.equal({});
    });
});
