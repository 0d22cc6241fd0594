/**
 * Nothing keys behaviour on the stack's name (issue 16, item 1), as the policy pack sees it: a shipped stack's config
 * run under another name gets the same pack config and the same findings, word for word, but for the name itself.
 * Rung 1: the program under the SDK's mocks, and the pack's rules as scripts/lib/policyRun.ts runs them (the engine's
 * way); the pack config is chosen from the renamed stack's own config (freshtrack:environment), since no
 * Pulumi.<name>.yaml exists for the new name. test/boundariesStackName.test.ts checks the source for uses of the name.
 */
import { expect } from "chai";
import { parseStackConfig } from "../components/config";
import { POLICIES } from "../policy/policies";
import { fromRegistered, readEnvironmentPackConfig, readPackConfig, runPolicies } from "../scripts/lib/policyRun";
import { loadStackSettings, rawConfigOf, shippedStacks, StackSettings } from "../scripts/lib/stackFiles";
import { sharedRun } from "./variantRuns";

/**
 * The pack config chosen from the settings themselves, and every finding of the pack on what they register (the run
 * of those settings the suites share, test/variantRuns.ts).
 */
async function policyRun(settings: StackSettings) {
    const packConfig = readEnvironmentPackConfig(parseStackConfig(rawConfigOf(settings)).environment);
    const { resources } = await sharedRun(settings);
    return { packConfig, findings: await runPolicies(POLICIES, fromRegistered(resources), packConfig) };
}

describe("the policy pack's verdict does not follow the stack's name (rung 1: mocks and the pack's rules)", () => {
    for (const stack of shippedStacks()) {
        it(`${stack}'s config under another name gets the pack config and the findings it gets as ${stack}`, async () => {
            // As long as the shipped name (the SSH socket's path must fit, host/deployKey.ts controlPath), and found
            // nowhere else, so putting the shipped name back where it stands is exact.
            const other = "q7x".repeat(3).slice(0, stack.length);
            const shipped = await policyRun(loadStackSettings(stack));
            const renamed = await policyRun({ ...loadStackSettings(stack), stack: other });

            expect(shipped.packConfig, "the pack config the scripts choose by the stack's file").to.deep.equal(
                readPackConfig(stack),
            );
            expect(renamed.packConfig).to.deep.equal(shipped.packConfig);
            const text = JSON.stringify(renamed.findings);
            expect(text).to.include(`urn:pulumi:${other}::`);
            expect(JSON.parse(text.split(other).join(stack))).to.deep.equal(shipped.findings);
            expect(shipped.findings.length, "findings to compare").to.be.greaterThan(0);
        });
    }
});
