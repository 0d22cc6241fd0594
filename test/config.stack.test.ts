import { expect } from "chai";
import { loadStackSettings } from "../scripts/lib/stackFiles";
import { sharedRun, shippedRun } from "./variantRuns";

describe("documentation examples left in a droplet or VM stack (placeholderValues)", () => {
    it("is a warning of the program itself, so pulumi preview and pulumi up print it too", async () => {
        const prod = await shippedRun("prod");
        expect(prod.warnings).to.have.length(1);
        expect(prod.warnings[0]).to.match(
            /^Pulumi.prod.yaml still has documentation example values, which cannot work deployed; set your own \(docs\/walkthrough.md, step 4\):\n {2}freshtrack:domain = freshtrack.example.com\n/,
        );
        expect((await shippedRun("dev")).warnings).to.deep.equal([]);
    });
});

describe("a production stack with no alert destination (issue 17, newcomer pass: it passed plan and policy unseen)", () => {
    // Rung 1 (mocks): the program's own warning, which pulumi preview, pulumi up and npm run plan print.
    it("warns that its alerts would reach no one; a development stack without one does not", async () => {
        const prod = loadStackSettings("prod");
        expect(prod.config["freshtrack:alerts"], "the shipped prod names a destination").to.be.a("string");
        delete prod.config["freshtrack:alerts"];
        const warnings = (await sharedRun(prod)).warnings;
        expect(warnings.filter((w) => w.startsWith("freshtrack:alerts names no destination"))).to.deep.equal([
            "freshtrack:alerts names no destination, so this production stack's alerts would reach no one (they only show in Grafana and Alertmanager); set alerts.email, alerts.slack or alerts.webhook (docs/walkthrough.md, step 4)",
        ]);
        expect((await shippedRun("prod")).warnings.some((w) => w.startsWith("freshtrack:alerts"))).to.equal(false);
        const dev = loadStackSettings("dev");
        expect(dev.config["freshtrack:alerts"], "the shipped dev names none").to.be.oneOf([undefined, "{}"]);
        expect((await shippedRun("dev")).warnings).to.deep.equal([]);
    });
});
