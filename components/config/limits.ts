/**
 * The memory and CPU limits of every container, unless a stack overrides them in `freshtrack:resources`.
 */
import { CATALOG_LIMITS } from "../catalog";
import { cpusAdvice, cpusInput } from "../dockerForms";
import { checkInteger, checkNumber } from "../validation";
import { defaulted, objectOf } from "./fields";

export interface ResourceLimits {
    /** Hard memory limit in MB. */
    readonly memoryMb: number;
    /** CPU quota in cores, e.g. 0.5. */
    readonly cpus: number;
}

/**
 * Every container's limits unless the stack overrides them in `freshtrack:resources`, from the service catalog
 * (components/catalog): sized so the whole stack fits a 4 GB host with room for the kernel and Docker itself.
 */
export const DEFAULT_LIMITS = CATALOG_LIMITS;

export type ServiceName = keyof typeof DEFAULT_LIMITS;
export const SERVICE_NAMES = Object.keys(DEFAULT_LIMITS) as ServiceName[];

/**
 * A CPU limit the Docker provider reads back unchanged. It reads NanoCPUs back through
 * `nanoInt64ToDecimalString`, which rounds values such as 0.05 to "0.1" (components/dockerForms.ts);
 * a limit that reads back differently would replace its container on every update.
 */
export function checkCpus(value: unknown): string | undefined {
    const range = checkNumber(0.1, 64)(value);
    if (range) return range;
    const cpus = value as number;
    return cpusInput(cpus) === undefined
        ? `a number from 0.1 to 64 that Docker reads back unchanged: ${cpusAdvice(cpus)}`
        : undefined;
}

/** The limits a stack may set for one service (freshtrack:resources), each defaulting to its catalog spec's. */
function limitsOf(name: ServiceName) {
    const defaults: ResourceLimits = DEFAULT_LIMITS[name];
    return objectOf(
        {
            memoryMb: defaulted<number>(checkInteger(16, 65536), defaults.memoryMb),
            cpus: defaulted<number>(checkCpus, defaults.cpus),
        },
        // The catalog's limits: too many to state in the description, which points at the catalog instead.
        {
            notAnObject: "an object with memoryMb and/or cpus",
            default: defaults,
            inProjectDefault: false,
            inDescription: false,
        },
    );
}

/** The settings of freshtrack:resources: one object of limits per service. */
export const RESOURCE_FIELDS = Object.fromEntries(SERVICE_NAMES.map((name) => [name, limitsOf(name)])) as {
    readonly [N in ServiceName]: ReturnType<typeof limitsOf>;
};
