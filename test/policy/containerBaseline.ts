/**
 * The compliant baselines of the container rules' tests, one per service of the catalog: each service's container as
 * the program registers it on a stack that runs every spec (the shipped prod, with the offsite copy and demo data its
 * file leaves off), as the policy server receives it (secrets unpacked: scripts/lib/policyRun.ts fromRegistered). A
 * test changes one property of a copy. Every spec in SERVICE_SPECS has one, so a rule that passes over a service
 * (a name it skips, a kind it forgets) fails on that service's baseline.
 */
import { SERVICE_SPECS } from "../../components/catalog";
import { deployStack } from "../../components/stack";
import { ContainerProps } from "../../policy/lib";
import { runUnderMocks } from "../../scripts/lib/mockRun";
import { fromRegistered } from "../../scripts/lib/policyRun";
import { loadStackSettings, StackSettings } from "../../scripts/lib/stackFiles";
import { withOffsite } from "../helpers";

/** The stack whose pack config the baselines are judged with (production's). */
export const BASELINE_STACK = "prod";

/** The spec of a service, as the catalog holds it. */
export type Spec = (typeof SERVICE_SPECS)[number];

/** BASELINE_STACK with every optional service on: the offsite copy and the demo data. */
function everyService(): StackSettings {
    const settings = withOffsite(loadStackSettings(BASELINE_STACK));
    settings.config["freshtrack:demoData"] = "true";
    return settings;
}

let registered: Promise<ReadonlyMap<string, Record<string, unknown>>> | undefined;

/**
 * Every service's container props, by service name; fails when a spec has no container, so no spec goes untested.
 */
async function registeredContainers(): Promise<ReadonlyMap<string, Record<string, unknown>>> {
    registered ??= runUnderMocks(everyService(), deployStack).then(({ resources }) => {
        const byName = new Map(
            fromRegistered(resources)
                .filter((r) => r.type === "docker:index/container:Container")
                .map((r) => [r.name, r.props]),
        );
        const missing = SERVICE_SPECS.filter((s) => !byName.has(s.name)).map((s) => s.name);
        if (missing.length > 0) throw new Error(`no container for ${missing.join(", ")} on the baseline stack`);
        return byName;
    });
    return registered;
}

/** A service's compliant baseline: a fresh copy of its container's props, typed as the container rules read them. */
export interface Baseline {
    readonly spec: Spec;
    readonly props: ContainerProps & Record<string, unknown>;
}

/** Every service's baseline, in catalog order, each a fresh copy. */
export async function containerBaselines(): Promise<Baseline[]> {
    const byName = await registeredContainers();
    return SERVICE_SPECS.map((spec) => ({
        spec,
        props: structuredClone(byName.get(spec.name)!) as ContainerProps & Record<string, unknown>,
    }));
}

/** A copy of `props` with one property set, or removed when `value` is undefined. */
export function withProperty<P extends object>(props: P, property: keyof P, value: unknown): Record<string, unknown> {
    const changed = { ...props } as Record<string, unknown>;
    if (value === undefined) delete changed[property as string];
    else changed[property as string] = value;
    return changed;
}
