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
import * as fs from "fs";
import * as path from "path";
import { deployStack } from "../components/stack";
import { AliasRecord, RegisteredResource, runUnderMocks } from "../scripts/lib/mockRun";
import { URN_VARIANTS } from "./urnVariants";

const FIXTURE = path.join(__dirname, "fixtures", "urns.json");
const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

interface UrnParts {
    readonly stack: string;
    readonly project: string;
    /** The parent's type chain joined by `$`, then the resource's own type. */
    readonly qualifiedType: string;
    readonly name: string;
}

function parseUrn(urn: string): UrnParts {
    const m = /^urn:pulumi:([^:]+)::([^:]+)::(.+?)::(.*)$/s.exec(urn);
    if (!m) throw new Error(`not a URN: ${urn}`);
    return { stack: m[1]!, project: m[2]!, qualifiedType: m[3]!, name: m[4]! };
}

/** resource.CreateURN: the parent's qualified type, then this type (pulumi v3.259.0 sdk/go/common/resource/urn.go). */
function createUrn(name: string, type: string, parent: string | undefined, project: string, stack: string): string {
    const parentType = parent ? parseUrn(parent).qualifiedType : undefined;
    const qualified = parentType && parentType !== ROOT_STACK_TYPE ? `${parentType}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

function ownType(qualifiedType: string): string {
    return qualifiedType.split("$").pop()!;
}

/**
 * Every URN of an earlier run that the engine would match to `resource`: its own, its aliases, and the
 * aliases it inherits from each old URN its parent answered to. `answered` maps each current URN to the
 * old URN it matched (the engine's `sg.aliases`), filled in registration order: parents first.
 */
function answersTo(resource: RegisteredResource, olds: ReadonlySet<string>, answered: Map<string, string>): string[] {
    const { stack, project } = parseUrn(resource.urn);
    const parentOld = resource.parent ? answered.get(resource.parent) : undefined;
    const collapse = (alias: AliasRecord): string => {
        if ("urn" in alias) return alias.urn;
        let parent: string | undefined = alias.parentUrn || resource.parent;
        if (parent && answered.has(parent) && alias.parentUrn) parent = answered.get(parent);
        if (alias.noParent || (parent && parseUrn(parent).qualifiedType === ROOT_STACK_TYPE)) parent = undefined;
        return createUrn(
            alias.name || resource.name,
            alias.type || resource.type,
            parent,
            alias.project || project,
            alias.stack || stack,
        );
    };
    const inherited = (type: string, name: string): string => {
        const parentName = parseUrn(resource.parent!).name;
        const oldParent = parseUrn(parentOld!);
        const aliasName = name.startsWith(parentName) ? oldParent.name + name.slice(parentName.length) : name;
        return `urn:pulumi:${stack}::${project}::${oldParent.qualifiedType}$${type}::${aliasName}`;
    };
    const candidates = [resource.urn, ...resource.options.aliases.map(collapse)];
    if (parentOld && parentOld !== resource.parent) {
        candidates.push(inherited(resource.type, resource.name));
        for (const alias of resource.options.aliases) {
            const child = parseUrn(collapse(alias));
            candidates.push(inherited(ownType(child.qualifiedType), child.name));
        }
    }
    const matched = candidates.find((urn) => olds.has(urn));
    if (matched) answered.set(resource.urn, matched);
    return candidates;
}

/** The recorded URNs that nothing registered now answers to. */
export function lostUrns(recorded: readonly string[], resources: readonly RegisteredResource[]): string[] {
    const olds = new Set(recorded);
    const answered = new Map<string, string>();
    const reached = new Set<string>();
    for (const resource of resources) for (const urn of answersTo(resource, olds, answered)) reached.add(urn);
    return recorded.filter((urn) => !reached.has(urn));
}

function readFixture(): Record<string, string[]> {
    return JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as Record<string, string[]>;
}

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
