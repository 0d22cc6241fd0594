/**
 * The announcement alone (issue 16, item 3: `dependsOn` lives in the options): what it waits for is its `dependsOn`
 * option, which reaches its command only, the way a Service hands its own to its container. Rung 1 (mocks).
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import type { AlertDestinations } from "../../components/config";
import { Announcement } from "../../components/postDeploy/announcement";
import { RegisteredResource } from "../../scripts/lib/mockRun";
import { run } from "../helpers";

/** A resource of no provider, which the mocks register like any other: here, the verification gate. */
class StandIn extends pulumi.CustomResource {
    constructor(name: string) {
        super("test:tiers:StandIn", name, {});
    }
}

async function announcementAlone(destinations: AlertDestinations): Promise<RegisteredResource[]> {
    const { resources } = await run(() => {
        const gate = new StandIn("gate");
        return new Announcement(
            "announcement",
            { destinations, stack: "tier", domain: "cold.example.net", version: "2.7.1", triggers: ["container-id"] },
            { dependsOn: [gate] },
        );
    });
    return resources;
}

const GATE = "test:tiers:StandIn::gate";

describe("announcement alone: waits for what its dependsOn option names, through its command", () => {
    it("sends only after the resources in its dependsOn, and registers the component itself at once", async () => {
        const resources = await announcementAlone({ webhook: { url: pulumi.secret("https://hooks.example.net/ft") } });
        const send = resources.find((r) => r.name === "announcement-send");
        expect(send, "the command that sends the announcement").not.to.be.undefined;
        expect(
            send!.options.dependsOn.some((urn) => urn.endsWith(GATE)),
            "the command after the gate",
        ).to.be.true;
        const component = resources.find((r) => r.type === "freshtrack:postDeploy:Announcement");
        expect(component?.options.dependsOn, "the component's own dependsOn").to.be.empty;
    });

    it("creates nothing to wait with when no destination is configured", async () => {
        const resources = await announcementAlone({});
        expect(resources.filter((r) => r.name === "announcement-send")).to.be.empty;
    });
});
