/**
 * The deploy's critical path: the longest chain of resources in which each
 * waits for the one before (explicit dependsOn or an input taken from it).
 * Resources off the chain are created beside it, so this chain, not the number
 * of resources, sets how long a first deploy takes. Pure.
 */
import { RegisteredResource } from "./mockRun";

const CONTAINER = "docker:index/container:Container";

export interface CriticalPath {
    /** Resource names along the chain, first created first. */
    readonly chain: ReadonlyArray<{ readonly name: string; readonly type: string }>;
    /** Containers on the chain: each one waits to be healthy, or a job to exit 0. */
    readonly gatedSteps: number;
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
    const longest = new Map<string, string[]>();
    const visit = (urn: string, path: Set<string>): string[] => {
        const known = longest.get(urn);
        if (known) return known;
        if (path.has(urn)) throw new Error(`dependency cycle through ${byUrn.get(urn)?.name ?? urn}`);
        path.add(urn);
        const deps = [...new Set(byUrn.get(urn)!.options.dependsOn.flatMap(customUnder))];
        let best: string[] = [];
        for (const d of deps) {
            const chain = visit(d, path);
            if (chain.length > best.length) best = chain;
        }
        path.delete(urn);
        const result = [...best, urn];
        longest.set(urn, result);
        return result;
    };
    let chain: string[] = [];
    for (const r of resources) {
        if (!r.custom) continue;
        const c = visit(r.urn, new Set());
        if (c.length > chain.length) chain = c;
    }
    const steps = chain.map((urn) => byUrn.get(urn)!);
    return { chain: steps.map((r) => ({ name: r.name, type: r.type })), gatedSteps: steps.filter((r) => r.type === CONTAINER).length };
}
