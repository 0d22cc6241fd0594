/**
 * URNs stay put (issue 16, item 6). A resource whose URN changes is, to the engine, a new
 * resource plus a deleted one: for a container that is a replacement, and for a volume or the
 * database cluster it is data loss (only `protect` stops it). test/fixtures/urns.json holds every
 * URN each shipped stack (and each target and database variant of them) registered before the
 * redesign; every one must still be registered, or be answered by an alias of a resource that is.
 *
 * Rung 1 (mocks) for the URNs themselves, which the SDK computes from type, name and parent as
 * the engine does; rung 2 for aliases: `answersTo` models how the engine matches an old URN
 * (pulumi v3.259.0 pkg/resource/deploy/step_generator.go:545-585 collapseAliasToUrn, :590-619
 * inheritedChildAlias, :621-656 generateAliases).
 *
 * A URN may leave the fixture only with the change that removes the resource on purpose, named in
 * the commit; a new resource needs no entry.
 */
import { expect } from "chai";
import * as path from "path";
import { deployStack } from "../components/stack";
import { runUnderMocks } from "../scripts/lib/mockRun";
import { URN_VARIANTS } from "./urnVariants";
import { FIXTURE, lostUrns, readFixture } from "./urnStabilityFixtures";

describe("URN stability: every resource a shipped stack had keeps its URN or carries an alias (issue 16)", () => {
    const recorded = readFixture();

    for (const [variant, settings] of Object.entries(URN_VARIANTS)) {
        it(`${variant}: no recorded URN is lost`, async () => {
            const { resources } = await runUnderMocks(settings(), deployStack);
            const lost = lostUrns(recorded[variant]!, resources);
            expect(
                lost,
                `URNs no resource answers to any more (give the resource an alias, or remove the URN from ${path.relative(process.cwd(), FIXTURE)} with the change that deletes it on purpose)`,
            ).to.deep.equal([]);
        });
    }
});
