/**
 * The recorded URNs (test/fixtures/urns.json) and a model of how the engine matches an old URN to an alias, shared by
 * test/urnStability.test.ts (the model) and test/urnStability.stack.test.ts (every recorded variant).
 */
import * as fs from "fs";
import * as path from "path";
import { AliasRecord, RegisteredResource } from "../scripts/lib/mockRun";

export const FIXTURE = path.join(__dirname, "fixtures", "urns.json");
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
export function answersTo(
    resource: RegisteredResource,
    olds: ReadonlySet<string>,
    answered: Map<string, string>,
): string[] {
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

export function readFixture(): Record<string, string[]> {
    return JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as Record<string, string[]>;
}
