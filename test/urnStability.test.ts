/**
 * URNs stay put (issue 16, item 6): the recorded fixture's form and the model of how the engine matches a
 * registration to an old URN. The shipped stacks are checked against the fixture in urnStability.stack.test.ts.
 *
 * Rung 1 (mocks): what a mocked run registers, and the engine URN each registration gets from its chain of parents
 * (pulumi v3.259.0 pkg/resource/deploy/deployment.go:794-805). Rung 2 (engine model): how the step generator takes an
 * old URN, by its own URN or an alias, the first that exists and only once (pulumi v3.259.0
 * pkg/resource/deploy/step_generator.go:545-710). The registrations here are small synthetic sets written as the
 * SDK's mock monitor names them (a child by its parent's last type, @pulumi/pulumi 3.270.0 runtime/mocks.js:37-43);
 * the old URNs are written out in the engine's form.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { AliasRecord, RegisteredResource, runUnderMocks } from "../scripts/lib/mockRun";
import { URN_VARIANTS } from "./urnVariants";
import { matchUrns, parseUrn, readFixture, toEngineForm } from "./urnStabilityFixtures";

const PREFIX = "urn:pulumi:dev::freshtrack::";
const TIER = "freshtrack:services:DataTier";
const SERVICE = "freshtrack:service:Service";
const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";

/** A registration as a mocked run records it: the URN in the mock's form, aliases as the SDK sends them. */
function registered(
    type: string,
    name: string,
    parent?: RegisteredResource,
    aliases: ReadonlyArray<{ name?: string; type?: string }> = [],
): RegisteredResource {
    const qualified = parent ? `${parseUrn(parent.urn).qualifiedType.split("$").pop()!}$${type}` : type;
    return {
        urn: `${PREFIX}${qualified}::${name}`,
        type,
        name,
        parent: parent?.urn,
        custom: !type.startsWith("freshtrack:"),
        inputs: {},
        options: {
            protect: false,
            deleteBeforeReplace: undefined,
            dependsOn: [],
            ignoreChanges: [],
            replaceOnChanges: [],
            provider: undefined,
            retainOnDelete: false,
            // runtime/resource.js:364-385: an alias that names no parent is sent with the resource's own parent.
            aliases: aliases.map((a): AliasRecord => ({
                name: a.name ?? "",
                type: a.type ?? "",
                stack: "",
                project: "",
                parentUrn: parent?.urn ?? "",
                noParent: false,
            })),
        },
    };
}

/** What the data tier registered before: a component, its Service, and the Service's container and volume. */
const OLD = {
    tier: `${PREFIX}${TIER}::data`,
    service: `${PREFIX}${TIER}$${SERVICE}::postgres`,
    container: `${PREFIX}${TIER}$${SERVICE}$${CONTAINER}::postgres`,
    volume: `${PREFIX}${TIER}$${SERVICE}$${VOLUME}::postgres-data`,
};

/** The same four registrations, with the component's and the Service's types and aliases as given. */
function dataTier(
    tierType: string,
    serviceType: string,
    tierAliases: Array<{ type?: string }> = [],
    serviceAliases: Array<{ type?: string }> = [],
): RegisteredResource[] {
    const tier = registered(tierType, "data", undefined, tierAliases);
    const service = registered(serviceType, "postgres", tier, serviceAliases);
    return [tier, service, registered(CONTAINER, "postgres", service), registered(VOLUME, "postgres-data", service)];
}

describe("URN stability: the recorded URNs and how the engine matches them (issue 16, item 6)", () => {
    describe("the fixture", () => {
        const fixture = readFixture();

        it("records every variant, each with its containers, no URN twice", () => {
            expect(Object.keys(fixture.variants).sort()).to.deep.equal(Object.keys(URN_VARIANTS).sort());
            for (const [variant, urns] of Object.entries(fixture.variants)) {
                expect(urns.filter((u) => u.includes(`${CONTAINER}::`)).length, variant).to.be.greaterThan(20);
                expect(new Set(urns).size, `${variant}: no URN twice`).to.equal(urns.length);
            }
        });

        it("holds the engine's URNs: every child's type chain is the chain of a recorded parent", () => {
            expect(fixture.form).to.equal("engine");
            for (const [variant, urns] of Object.entries(fixture.variants)) {
                const chains = new Set(urns.map((u) => parseUrn(u).qualifiedType));
                const orphans = urns.filter((u) => {
                    const chain = parseUrn(u).qualifiedType;
                    return chain.includes("$") && !chains.has(chain.slice(0, chain.lastIndexOf("$")));
                });
                expect(orphans, `${variant}: URNs in the mock's form (a parent's last type only)`).to.deep.equal([]);
                expect(
                    urns.some((u) => parseUrn(u).qualifiedType.split("$").length >= 3),
                    `${variant} has grandchildren`,
                ).to.equal(true);
            }
        });
    });

    describe("the engine's URN of a registration comes from its whole chain of parents", () => {
        it("a mocked run's grandchild, named by the mock after its parent only, gets its grandparent's type too", async () => {
            const { resources } = await runUnderMocks({ stack: "dev", config: {}, secretKeys: [] }, () => {
                const tier = new pulumi.ComponentResource(TIER, "data");
                const service = new pulumi.ComponentResource(SERVICE, "postgres", {}, { parent: tier });
                new pulumi.ComponentResource(
                    "freshtrack:service:Part",
                    "postgres-part",
                    {},
                    {
                        parent: service,
                        aliases: [{ name: "postgres-old" }],
                    },
                );
            });
            const part = resources.find((r) => r.name === "postgres-part")!;
            expect(part.urn, "the mock's form").to.equal(`${PREFIX}${SERVICE}$freshtrack:service:Part::postgres-part`);
            const engine = toEngineForm(resources);
            expect(engine.map((r) => r.urn)).to.deep.equal([
                OLD.tier,
                OLD.service,
                `${PREFIX}${TIER}$${SERVICE}$freshtrack:service:Part::postgres-part`,
            ]);
            expect(engine[2]!.parent).to.equal(OLD.service);
            expect(engine[2]!.aliases, "an alias's parent is the engine's URN of the parent").to.deep.equal([
                { name: "postgres-old", type: "", stack: "", project: "", parentUrn: OLD.service, noParent: false },
            ]);
        });
    });

    describe("the alias model takes what the engine would take", () => {
        it("nothing renamed: every old URN is taken by its own registration", () => {
            const { lost, refused, matched } = matchUrns(Object.values(OLD), dataTier(TIER, SERVICE));
            expect({ lost, refused }).to.deep.equal({ lost: [], refused: [] });
            expect([...matched.values()].sort()).to.deep.equal(Object.values(OLD).sort());
        });

        it("a component with grandchildren renamed with a correct alias keeps every URN below it", () => {
            const renamed = dataTier("freshtrack:data:DataTier", SERVICE, [{ type: TIER }]);
            const { lost, refused, matched } = matchUrns(Object.values(OLD), renamed);
            expect({ lost, refused }).to.deep.equal({ lost: [], refused: [] });
            expect(matched.get(`${PREFIX}freshtrack:data:DataTier$${SERVICE}$${VOLUME}::postgres-data`)).to.equal(
                OLD.volume,
            );
        });

        it("a component in the middle of the chain renamed with a correct alias keeps its children's URNs", () => {
            const renamed = dataTier(TIER, "freshtrack:data:Service", [], [{ type: SERVICE }]);
            expect(matchUrns(Object.values(OLD), renamed)).to.deep.include({ lost: [], refused: [] });
        });

        it("the same rename without the alias loses the component, its children and grandchildren, by URN", () => {
            const { lost, refused } = matchUrns(Object.values(OLD), dataTier("freshtrack:data:DataTier", SERVICE));
            expect(refused).to.deep.equal([]);
            expect(lost).to.deep.equal([OLD.tier, OLD.service, OLD.container, OLD.volume]);
            const { lost: middle } = matchUrns(Object.values(OLD), dataTier(TIER, "freshtrack:data:Service"));
            expect(middle, "the grandparent keeps its URN").to.deep.equal([OLD.service, OLD.container, OLD.volume]);
        });

        it("a child named after its parent follows the parent's old name", () => {
            const p1 = `${PREFIX}freshtrack:x:T::db`;
            const c1 = `${PREFIX}freshtrack:x:T$random:index/randomPassword:RandomPassword::db-password`;
            const parent = registered("freshtrack:x:T", "database", undefined, [{ name: "db" }]);
            const child = registered("random:index/randomPassword:RandomPassword", "database-password", parent);
            expect(matchUrns([p1, c1], [parent, child])).to.deep.include({ lost: [], refused: [] });
        });

        it("refuses two resources whose aliases reach one old URN, naming both and the URN", () => {
            const [tier, service] = dataTier(TIER, SERVICE);
            const first = registered(VOLUME, "pgdata", service, [{ name: "postgres-data" }]);
            const second = registered(VOLUME, "pgdata-2", service, [{ name: "postgres-data" }]);
            const { refused } = matchUrns([OLD.tier, OLD.service, OLD.volume], [tier!, service!, first, second]);
            expect(refused).to.have.length(1);
            expect(refused[0])
                .to.include(OLD.volume)
                .and.include(`${SERVICE}$${VOLUME}::pgdata`)
                .and.include(`${SERVICE}$${VOLUME}::pgdata-2`);
        });

        it("refuses an alias that reaches an old URN a registration still has, in either order", () => {
            const [tier, service, , volume] = dataTier(TIER, SERVICE);
            const alias = registered(VOLUME, "pgdata", service, [{ name: "postgres-data" }]);
            const olds = [OLD.tier, OLD.service, OLD.volume];
            expect(matchUrns(olds, [tier!, service!, volume!, alias]).refused, "alias second").to.have.length(1);
            expect(matchUrns(olds, [tier!, service!, alias, volume!]).refused, "alias first").to.have.length(1);
        });

        it("a resource whose two aliases both exist takes only the first; the other is lost", () => {
            const [tier, service] = dataTier(TIER, SERVICE);
            const older = `${PREFIX}${TIER}$${SERVICE}$${VOLUME}::pg-data`;
            const volume = registered(VOLUME, "postgres-volume", service, [
                { name: "postgres-data" },
                { name: "pg-data" },
            ]);
            const olds = [OLD.tier, OLD.service, OLD.volume, older];
            const { lost, refused, matched } = matchUrns(olds, [tier!, service!, volume]);
            expect(refused).to.deep.equal([]);
            expect(matched.get(`${PREFIX}${TIER}$${SERVICE}$${VOLUME}::postgres-volume`)).to.equal(OLD.volume);
            expect(lost).to.deep.equal([older]);
        });

        it("a resource whose own URN exists takes it before any alias", () => {
            const [tier, service] = dataTier(TIER, SERVICE);
            const volume = registered(VOLUME, "postgres-data", service, [{ name: "pg-data" }]);
            const older = `${PREFIX}${TIER}$${SERVICE}$${VOLUME}::pg-data`;
            const { lost } = matchUrns([OLD.tier, OLD.service, OLD.volume, older], [tier!, service!, volume]);
            expect(lost).to.deep.equal([older]);
        });
    });
});
