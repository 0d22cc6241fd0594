/**
 * The recorded URNs (test/fixtures/urns.json) and a model of how the engine matches a registration to an old URN,
 * shared by test/urnStability.test.ts (the model) and test/urnStability.stack.test.ts (every recorded variant).
 *
 * Both sides are compared in the engine's form. The SDK's mock monitor names a child by its parent's last type only
 * (@pulumi/pulumi 3.270.0 runtime/mocks.js:37-43, newUrn), where the engine qualifies it by the parent's whole type
 * chain (pulumi v3.259.0 pkg/resource/deploy/deployment.go:794-805 generateURN, sdk/go/common/resource/urn/urn.go:80-93
 * New). In the mock's form a grandchild's URN does not change when its grandparent's type does, and an alias the
 * engine would honour is missed; so every registration is first given the URN the engine would give it, from its
 * chain of parents.
 *
 * Re-record the fixture (only with the change that removes a resource on purpose, named in the commit):
 *   npx ts-node --transpile-only test/urnStabilityFixtures.ts --record
 */
import * as fs from "fs";
import * as path from "path";
import { AliasRecord, RegisteredResource } from "../scripts/lib/mockRun";

export const FIXTURE = path.join(__dirname, "fixtures", "urns.json");
/** tokens.RootStackType (pulumi v3.259.0 sdk/go/common/tokens/stack_type.go:18): never part of a child's type. */
const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** What test/fixtures/urns.json holds. */
export interface UrnFixture {
    /** Where the URNs came from: JSON has no comments. */
    readonly about: readonly string[];
    /** The form of every URN: the engine's, with each child's type qualified by its parent's whole chain. */
    readonly form: "engine";
    readonly variants: Record<string, string[]>;
}

interface UrnParts {
    readonly stack: string;
    readonly project: string;
    /** The parent's type chain joined by `$`, then the resource's own type. */
    readonly qualifiedType: string;
    /** Everything after the fourth `::` (urn.go:185-187, Name). */
    readonly name: string;
}

export function parseUrn(urn: string): UrnParts {
    const m = /^urn:pulumi:([^:]+)::([^:]+)::(.+?)::(.*)$/s.exec(urn);
    if (!m) throw new Error(`not a URN: ${urn}`);
    return { stack: m[1]!, project: m[2]!, qualifiedType: m[3]!, name: m[4]! };
}

/** URN.Type: the last type of the chain (urn.go:176-182). */
function ownType(urn: string): string {
    return parseUrn(urn).qualifiedType.split("$").pop()!;
}

/**
 * NewURN: the parent's whole qualified type, `$`, this type; a parent of the root stack's type adds nothing
 * (urn/urn.go:80-93; generateURN passes the parent's QualifiedType, deployment.go:796-805).
 */
function newUrn(stack: string, project: string, parentType: string | undefined, type: string, name: string): string {
    const qualified = parentType && parentType !== ROOT_STACK_TYPE ? `${parentType}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/**
 * CreateURN, which collapses an alias spec: with a parent, the parent's URN up to its last `::` (so the parent's own
 * stack, project and type chain), `$`, the type and name (pulumi v3.259.0 sdk/go/common/resource/alias.go:39-56).
 */
function createUrn(name: string, type: string, parent: string | undefined, project: string, stack: string): string {
    const prefix = parent ? `${parent.slice(0, parent.lastIndexOf("::"))}$` : `urn:pulumi:${stack}::${project}::`;
    return `${prefix}${type}::${name}`;
}

/** A registration as the engine names it: its URN, its parent's and its aliases' parents in the engine's form. */
export interface EngineRegistration {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string | undefined;
    readonly aliases: readonly AliasRecord[];
}

/**
 * Gives each registration of a mocked run the URN the engine would give it. A child is registered only once its
 * parent's URN is known (the engine refuses an unknown parent: step_generator.go:241-245, checkParent), so the
 * parent is always converted first. An alias's parentUrn is the parent's URN as the SDK had it (runtime/resource.js
 * :364-385 mapAliasesForRequest sends the resource's own parent when the alias names none), so it is converted too; a
 * URN the run never registered is kept as written.
 */
export function toEngineForm(resources: readonly RegisteredResource[]): EngineRegistration[] {
    const engineUrnOf = new Map<string, string>();
    return resources.map((r) => {
        if (engineUrnOf.has(r.urn))
            throw new Error(`the mock named two registrations ${r.urn}; their engine URNs cannot be told apart`);
        const { stack, project } = parseUrn(r.urn);
        let parent: string | undefined;
        if (r.parent !== undefined) {
            parent = engineUrnOf.get(r.parent);
            if (parent === undefined) throw new Error(`${r.urn}: its parent ${r.parent} was not registered before it`);
        }
        const urn = newUrn(stack, project, parent && parseUrn(parent).qualifiedType, r.type, r.name);
        engineUrnOf.set(r.urn, urn);
        const aliases = r.options.aliases.map((a) =>
            "urn" in a || !a.parentUrn ? a : { ...a, parentUrn: engineUrnOf.get(a.parentUrn) ?? a.parentUrn },
        );
        return { urn, type: r.type, name: r.name, parent, aliases };
    });
}

/** What the engine would make of a run's registrations against the old URNs. */
export interface UrnMatch {
    /** Each registration's engine URN to the old URN it took over (its own, or the first alias that exists). */
    readonly matched: ReadonlyMap<string, string>;
    /** Old URNs no registration took over: the engine deletes them (or stops on `protect`). */
    readonly lost: string[];
    /** Why the engine would refuse the run: two resources claiming one URN (each names the step_generator.go line). */
    readonly refused: string[];
}

/**
 * Matches a run's registrations to the old URNs as the engine's step generator does, in registration order
 * (pulumi v3.259.0 pkg/resource/deploy/step_generator.go):
 * - each registration's URN is new in the run, else "Duplicate resource URN" (:276-288 generateURN);
 * - its candidates are its own URN, then its aliases collapsed (:545-585 collapseAliasToUrn), then, when its parent
 *   took over an old URN by an alias, the children of that old URN it would have been (:590-619 inheritedChildAlias,
 *   :621-653 generateAliases);
 * - it takes the first candidate that exists among the olds and only that one (:676-710; the others stay unclaimed);
 * - an old URN taken by an alias must not be another registration's URN nor taken by another alias (:681-692,
 *   "Duplicate resource alias"), nor may a later registration have the URN an alias took (:664-668);
 * - only an old URN taken by an alias is passed on to its children (:703, `sg.aliases`).
 */
export function matchUrns(recorded: readonly string[], resources: readonly RegisteredResource[]): UrnMatch {
    const olds = new Set(recorded);
    const seen = new Set<string>(); // sg.urns
    const aliasedBy = new Map<string, string>(); // sg.aliased: old URN -> the registration that took it by alias
    const oldOf = new Map<string, string>(); // sg.aliases: registration -> the old URN it took by an alias
    const matched = new Map<string, string>();
    const refused: string[] = [];

    for (const r of toEngineForm(resources)) {
        if (seen.has(r.urn)) {
            refused.push(`Duplicate resource URN ${r.urn} (step_generator.go:282-284)`);
            continue;
        }
        seen.add(r.urn);
        const claimedBy = aliasedBy.get(r.urn);
        if (claimedBy !== undefined)
            refused.push(`${r.urn} is registered, but ${claimedBy} took it by an alias (step_generator.go:664-668)`);
        for (const candidate of [r.urn, ...engineAliases(r, oldOf)]) {
            if (!olds.has(candidate)) continue;
            if (candidate !== r.urn) {
                if (seen.has(candidate))
                    refused.push(
                        `${r.urn} takes ${candidate} by an alias, but it is registered (step_generator.go:683-687)`,
                    );
                const before = aliasedBy.get(candidate);
                if (before !== undefined)
                    refused.push(
                        `${r.urn} and ${before} both take ${candidate} by an alias (step_generator.go:688-692)`,
                    );
                aliasedBy.set(candidate, r.urn);
                oldOf.set(r.urn, candidate);
            }
            matched.set(r.urn, candidate);
            break;
        }
    }
    const taken = new Set(matched.values());
    return { matched, lost: recorded.filter((urn) => !taken.has(urn)), refused };
}

/** generateAliases: the URNs the engine tries after the registration's own, in its order, without repeats. */
export function engineAliases(r: EngineRegistration, oldOf: ReadonlyMap<string, string>): string[] {
    const { stack, project } = parseUrn(r.urn);
    const out: string[] = [];
    const add = (urn: string): void => {
        if (!out.includes(urn)) out.push(urn);
    };
    const collapse = (alias: AliasRecord): string => {
        if ("urn" in alias) return alias.urn;
        // An alias naming a parent (as the SDK's always do) follows that parent's own alias, if it took one (:562-569).
        let parent = alias.parentUrn ? (oldOf.get(alias.parentUrn) ?? alias.parentUrn) : r.parent;
        if (alias.noParent || (parent && parseUrn(parent).qualifiedType === ROOT_STACK_TYPE)) parent = undefined;
        return createUrn(
            alias.name || r.name,
            alias.type || r.type,
            parent,
            alias.project || project,
            alias.stack || stack,
        );
    };
    // A name that starts with the parent's name follows the parent's old name (:590-619).
    const inherited = (type: string, name: string, parentOld: string): string => {
        const parentName = parseUrn(r.parent!).name;
        const aliasName = name.startsWith(parentName) ? parseUrn(parentOld).name + name.slice(parentName.length) : name;
        return newUrn(stack, project, parseUrn(parentOld).qualifiedType, type, aliasName);
    };
    for (const alias of r.aliases) add(collapse(alias));
    const parentOld = r.parent === undefined ? undefined : oldOf.get(r.parent);
    if (parentOld !== undefined) {
        add(inherited(r.type, r.name, parentOld));
        for (const alias of r.aliases) {
            const child = collapse(alias);
            add(inherited(ownType(child), parseUrn(child).name, parentOld));
        }
    }
    return out;
}

export function readFixture(): UrnFixture {
    return JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as UrnFixture;
}

/** Runs every variant of test/urnVariants.ts under the mocks and writes the engine URNs of what each registers. */
async function recordFixture(): Promise<void> {
    // Loaded here so that the unit tests that import the model do not load the program.
    const { URN_VARIANTS } = await import("./urnVariants");
    const { runUnderMocks } = await import("../scripts/lib/mockRun");
    const { deployStack } = await import("../components/stack");
    const variants: Record<string, string[]> = {};
    for (const [variant, settings] of Object.entries(URN_VARIANTS)) {
        const { resources } = await runUnderMocks(settings(), deployStack);
        variants[variant] = toEngineForm(resources)
            .map((r) => r.urn)
            .sort();
    }
    const fixture: UrnFixture = {
        about: [
            "Every URN each shipped stack and variant (test/urnVariants.ts) registers, in the engine's form (each",
            "child's type qualified by its parent's whole type chain), for test/urnStability.stack.test.ts.",
            "Derived from the registrations before the issue 16 redesign: first recorded at 31512aa in the SDK",
            "mock's form (a child qualified by its parent's last type only); re-recorded in the engine's form from",
            "the tree at fe1f1c0, which the first stop of issue 16 showed registration-identical to that baseline.",
            "At that re-record the engine URNs computed from the 31512aa tree were the same 968. The two appBuild",
            "variants (AppImageBuilds and its docker.Image builds) came later, from the second attack pass: their",
            "324 engine URNs, computed with the same variants on a clean export of 31512aa (git archive), were the",
            "same as the tree's at that record. A later re-record may only drop the URNs of resources removed on",
            "purpose, named in the commit. Regenerate with:",
            "npx ts-node --transpile-only test/urnStabilityFixtures.ts --record",
        ],
        form: "engine",
        variants,
    };
    fs.writeFileSync(FIXTURE, `${JSON.stringify(fixture, null, 2)}\n`);
    const count = Object.values(variants).reduce((n, urns) => n + urns.length, 0);
    console.log(`wrote ${count} URNs of ${Object.keys(variants).length} variants to ${FIXTURE}`);
}

if (require.main === module) {
    if (process.argv.includes("--record")) {
        recordFixture().catch((err: unknown) => {
            console.error(err);
            process.exit(1);
        });
    } else {
        console.error("usage: npx ts-node --transpile-only test/urnStabilityFixtures.ts --record");
        process.exit(2);
    }
}
