/**
 * One mocked run of each stack of test/urnVariants.ts per test process, shared by the suites that only read its
 * registrations (catalog, listening ports, health checks, URN stability): each stack is run once instead of once per
 * suite. The registrations are frozen, so a suite that changed them for the next would fail where it writes.
 */
import { deployStack } from "../components/stack";
import { RegisteredResource, runUnderMocks } from "../scripts/lib/mockRun";
import { URN_VARIANTS } from "./urnVariants";

const runs = new Map<string, Promise<RegisteredResource[]>>();

function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
}

/** Every registration of the program run under the mocks with the variant's settings (URN_VARIANTS[variant]). */
export function variantResources(variant: string): Promise<RegisteredResource[]> {
    const settingsOf = URN_VARIANTS[variant];
    if (settingsOf === undefined) throw new Error(`no variant ${JSON.stringify(variant)} in test/urnVariants.ts`);
    let run = runs.get(variant);
    if (run === undefined) {
        run = runUnderMocks(settingsOf(), deployStack).then((r) => deepFreeze(r.resources));
        runs.set(variant, run);
    }
    return run;
}
