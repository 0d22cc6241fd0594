/**
 * Requirement (issue 17, friction 5): the shipped prod stack leaves at least 10 % of its droplet's memory budget free
 * at the peak of an update, so an operator can follow a runbook that raises a limit without the pack refusing it.
 * Rung 1: prod's registrations under the SDK's mocks (the shared run of test/variantRuns.ts), the figures from
 * policy/memoryFigures.ts with the settings of prod's environment, as npm run plan, policy and bench print them.
 */
import { expect } from "chai";
import { memoryFigures } from "../policy/memoryFigures";
import { memorySettingsOf, packEnvironmentOf } from "../scripts/lib/policyRun";
import { variantResources } from "./variantRuns";

describe("shipped prod keeps room for a runbook's memory raise (issue 17, friction 5)", () => {
    it("leaves at least 10 % of the budget free at peak", async () => {
        const resources = await variantResources("prod");
        const figures = memoryFigures(
            resources.map((r) => ({ type: r.type, props: r.inputs as Record<string, unknown> })),
            memorySettingsOf(packEnvironmentOf("prod")),
        );
        expect(figures.budgetMb, "prod runs on a droplet with a budget").to.be.a("number");
        expect(figures.freePercent!, JSON.stringify(figures)).to.be.at.least(10);
    });
});
