/**
 * URNs stay put (issue 16, item 6). A resource whose URN changes is, to the engine, a new
 * resource plus a deleted one: for a container that is a replacement, and for a volume or the
 * database cluster it is data loss (only `protect` stops it). test/fixtures/urns.json holds every
 * URN each shipped stack (and each target and database variant of them) registered before the
 * redesign, in the engine's form; every one must still be taken over by a registration, by its
 * own URN or by an alias, and no two registrations may claim one.
 *
 * Rung 1 (mocks) for what each stack registers; its engine URN comes from the chain of parents
 * as the engine computes it (pulumi v3.259.0 pkg/resource/deploy/deployment.go:794-805), not
 * from the mock monitor's (@pulumi/pulumi 3.270.0 runtime/mocks.js:37-43). Rung 2 for the
 * matching: `matchUrns` models the step generator (pulumi v3.259.0
 * pkg/resource/deploy/step_generator.go:545-710; test/urnStability.test.ts checks the model).
 *
 * A URN may leave the fixture only with the change that removes the resource on purpose, named in
 * the commit; a new resource needs no entry.
 */
import { expect } from "chai";
import * as path from "path";
import { deployStack } from "../components/stack";
import { runUnderMocks } from "../scripts/lib/mockRun";
import { URN_VARIANTS } from "./urnVariants";
import { FIXTURE, matchUrns, readFixture } from "./urnStabilityFixtures";

describe("URN stability: every resource a shipped stack had keeps its URN or carries an alias (issue 16)", () => {
    const recorded = readFixture().variants;

    for (const [variant, settings] of Object.entries(URN_VARIANTS)) {
        it(`${variant}: every recorded URN is taken over, none claimed twice`, async () => {
            const { resources } = await runUnderMocks(settings(), deployStack);
            const { lost, refused } = matchUrns(recorded[variant]!, resources);
            expect(refused, "the engine would refuse the update").to.deep.equal([]);
            expect(
                lost,
                `URNs no resource answers to any more (give the resource an alias, or remove the URN from ${path.relative(process.cwd(), FIXTURE)} with the change that deletes it on purpose)`,
            ).to.deep.equal([]);
        });
    }
});
