/**
 * The deploy's critical path: the longest chain of resources in which each
 * waits for the one before (explicit dependsOn or an input taken from it).
 * Resources off the chain are created beside it, so this chain, not the number
 * of resources, sets how long a first deploy takes. Pure.
 */
import { RegisteredResource } from "./mockRun";
import { TYPES } from "../../policy/lib";

export interface CriticalPath {
    /** Resource names along the chain, first created first. */
    readonly chain: ReadonlyArray<{ readonly name: string; readonly type: string }>;
    /** Containers on the chain: each one waits to be healthy, or a job to exit 0. */
    readonly gatedSteps: number;
}

/**
 * For each resource, the longest chain of resources it waits on, ending with
 * itself (URNs). `dependenciesOf` says what a resource waits on; dependencies
 * outside `resources` are ignored. Throws on a cycle.
 */
export function longestChains(
    resources: readonly RegisteredResource[],
    dependenciesOf: (r: RegisteredResource) => string[],
): Map<string, string[]> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const longest = new Map<string, string[]>();
    const visit = (r: RegisteredResource, path: Set<string>): string[] => {
        const known = longest.get(r.urn);
        if (known) return known;
        if (path.has(r.urn)) throw new Error(`dependency cycle through ${r.name}`);
        path.add(r.urn);
        let best: string[] = [];
        for (const d of new Set(dependenciesOf(r))) {
            const dep = byUrn.get(d);
            if (!dep) continue;
            const chain = visit(dep, path);
            if (chain.length > best.length) best = chain;
        }
        path.delete(r.urn);
        const result = [...best, r.urn];
        longest.set(r.urn, result);
        return result;
    };
    for (const r of resources) visit(r, new Set());
    return longest;
}

export function criticalPath(resources: readonly RegisteredResource[]): CriticalPath {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const children = new Map<string, RegisteredResource[]>();
    for (const r of resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
    // Waiting on a component means waiting on every custom resource inside it.
    const customUnder = (urn: string): string[] => {
        const r = byUrn.get(urn);
        if (!r) return [];
        if (r.custom) return [urn];
        return (children.get(urn) ?? []).flatMap((c) => customUnder(c.urn));
    };
    const chains = longestChains(
        resources.filter((r) => r.custom),
        (r) => r.options.dependsOn.flatMap(customUnder),
    );
    let chain: string[] = [];
    for (const c of chains.values()) if (c.length > chain.length) chain = c;
    const steps = chain.map((urn) => byUrn.get(urn)!);
    return {
        chain: steps.map((r) => ({ name: r.name, type: r.type })),
        gatedSteps: steps.filter((r) => r.type === TYPES.container).length,
    };
}
