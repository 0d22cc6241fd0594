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
import { RegisteredResource } from "../scripts/lib/mockRun";
import { URN_VARIANTS } from "./urnVariants";
import { lostUrns, readFixture } from "./urnStabilityFixtures";

describe("URN stability: every resource a shipped stack had keeps its URN or carries an alias (issue 16)", () => {
    const recorded = readFixture();

    it("records every variant, each with its containers, no URN twice", () => {
        expect(Object.keys(recorded).sort()).to.deep.equal(Object.keys(URN_VARIANTS).sort());
        for (const [variant, urns] of Object.entries(recorded)) {
            expect(
                urns.filter((u) => u.includes("docker:index/container:Container::")).length,
                variant,
            ).to.be.greaterThan(20);
            expect(new Set(urns).size, `${variant}: no URN twice`).to.equal(urns.length);
        }
    });

    describe("the alias model finds what the engine would find", () => {
        const base = (
            over: Partial<Omit<RegisteredResource, "options">> & { options?: Partial<RegisteredResource["options"]> },
        ): RegisteredResource => ({
            urn: "",
            type: "docker:index/container:Container",
            name: "postgres",
            parent: undefined,
            custom: true,
            inputs: {},
            ...over,
            options: {
                protect: false,
                deleteBeforeReplace: undefined,
                dependsOn: [],
                ignoreChanges: [],
                replaceOnChanges: [],
                provider: undefined,
                retainOnDelete: false,
                aliases: [],
                ...over.options,
            },
        });
        const oldParent = "urn:pulumi:dev::freshtrack::freshtrack:services:DataTier::data";
        const oldChild =
            "urn:pulumi:dev::freshtrack::freshtrack:services:DataTier$freshtrack:service:Service::postgres";
        const newParent = "urn:pulumi:dev::freshtrack::freshtrack:data:DataTier::data";
        const newChild = "urn:pulumi:dev::freshtrack::freshtrack:data:DataTier$freshtrack:service:Service::postgres";

        it("a renamed component type without an alias loses its URN and its children's", () => {
            const parent = base({ urn: newParent, type: "freshtrack:data:DataTier", name: "data", custom: false });
            const child = base({
                urn: newChild,
                type: "freshtrack:service:Service",
                name: "postgres",
                parent: newParent,
                custom: false,
            });
            expect(lostUrns([oldParent, oldChild], [parent, child])).to.deep.equal([oldParent, oldChild]);
        });

        it("an alias on the component answers for it, and its children inherit it", () => {
            const parent = base({
                urn: newParent,
                type: "freshtrack:data:DataTier",
                name: "data",
                custom: false,
                options: {
                    aliases: [
                        {
                            name: "",
                            type: "freshtrack:services:DataTier",
                            stack: "",
                            project: "",
                            parentUrn: "",
                            noParent: false,
                        },
                    ],
                },
            });
            const child = base({
                urn: newChild,
                type: "freshtrack:service:Service",
                name: "postgres",
                parent: newParent,
                custom: false,
            });
            expect(lostUrns([oldParent, oldChild], [parent, child])).to.deep.equal([]);
        });

        it("a child renamed with its parent's prefix follows the parent's old name", () => {
            const p1 = "urn:pulumi:dev::freshtrack::freshtrack:x:T::db";
            const c1 =
                "urn:pulumi:dev::freshtrack::freshtrack:x:T$random:index/randomPassword:RandomPassword::db-password";
            const p2 = "urn:pulumi:dev::freshtrack::freshtrack:x:T::database";
            const c2 =
                "urn:pulumi:dev::freshtrack::freshtrack:x:T$random:index/randomPassword:RandomPassword::database-password";
            const parent = base({
                urn: p2,
                type: "freshtrack:x:T",
                name: "database",
                options: {
                    aliases: [{ name: "db", type: "", stack: "", project: "", parentUrn: "", noParent: false }],
                },
            });
            const child = base({
                urn: c2,
                type: "random:index/randomPassword:RandomPassword",
                name: "database-password",
                parent: p2,
            });
            expect(lostUrns([p1, c1], [parent, child])).to.deep.equal([]);
        });
    });
});
