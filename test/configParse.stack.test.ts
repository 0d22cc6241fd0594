/**
 * parseStackConfig (issue 16, item 1): the config reader is a pure function of the stack's raw config, so scripts read
 * a stack's settings from its files without running the program under mocks. Rung 1: the program's own reader under
 * the SDK's mocks (what `pulumi up` runs) is compared with the pure parse of the same files.
 */
import { expect } from "chai";
import { deployStack } from "../components/stack";
import { runUnderMocks, SecretValue } from "../scripts/lib/mockRun";
import { loadStackSettings, StackSettings } from "../scripts/lib/stackFiles";

describe("parseStackConfig: the stack's settings from its raw config, without the Pulumi runtime", () => {
    describe("nothing keys on the stack's name (freshtrack:environment says what a stack is for)", () => {
        /**
         * Every registration as text. Two things follow the name by design and are masked: the edge network's subnets
         * (hashed from the name prefix so that stacks sharing a daemon never collide, edgeSubnets in
         * components/platform/networks.ts), and the mocks' temporary SSH directory, which differs from run to run.
         */
        const registrations = async (settings: StackSettings) => {
            const { resources } = await runUnderMocks(settings, deployStack);
            const text = JSON.stringify(resources, (key, v: unknown) =>
                key === "subnet" ? "<hashed from the name>" : v instanceof SecretValue ? { secret: v.value } : v,
            );
            return text.replace(/freshtrack-mock-ssh-[A-Za-z0-9]+/g, "<mock ssh>");
        };

        for (const stack of ["dev", "staging", "prod"]) {
            it(`${stack} registers the same resources under another name, but for the name itself`, async () => {
                // As long as the shipped name, as the SSH socket's path must fit (controlPath, host/deployKey.ts), and
                // found nowhere else, so putting the shipped name back where it stands is exact.
                const other = "q7x".repeat(3).slice(0, stack.length);
                const renamed = await registrations({ ...loadStackSettings(stack), stack: other });
                expect(renamed).to.include(`urn:pulumi:${other}::`);
                expect(renamed.split(other).join(stack)).to.equal(await registrations(loadStackSettings(stack)));
            });
        }
    });
});
