/**
 * A stack's memory figures, computed in this one place: the pack's stack-memory-budget rule, `npm run plan`,
 * `npm run policy` and `npm run bench` all take them from here, so an operator reads the same steady, peak and budget
 * figures in each (issue 17, friction 4: the three printed 3,760, 3,312 and 3,440 MB for one stack). Pure: the stack's
 * resources and the rule's settings in, figures and their one line of text out.
 */
import { DROPLET_SIZES, DropletSize } from "../components/host/dropletSizes";
import { isJob, labels, TYPES } from "./lib";

/** What the figures read of a resource: its type token and its inputs (the policy server's props, or a mock's). */
export interface StackResource {
    readonly type: string;
    readonly props: Record<string, any>;
}

/**
 * The stack-memory-budget rule's settings, as the environment's pack config (policy/config/<environment>.json) gives
 * them, defaults filled in.
 */
export interface MemorySettings {
    /** Share of host memory kept free of container limits, for the kernel and Docker. */
    readonly headroom: number;
    /** Host memory of a stack without a droplet; 0 or absent: unknown, so there is no budget. */
    readonly hostMemoryMb?: number;
}

export interface MemoryFigures {
    /** Every long-running container's limit, added up: what the host holds between updates. */
    readonly steadyMb: number;
    /**
     * Steady plus the largest container that runs beside them for a while: a job, or a stateless container's
     * replacement, which starts and turns healthy before the old one is removed.
     */
    readonly peakMb: number;
    /** The host's memory: the droplet size's, or hostMemoryMb for a stack without a droplet. */
    readonly hostMb?: number;
    /** Where hostMb comes from (the droplet size, or `hostMemoryMb`); without one, why there is no budget. */
    readonly hostLabel: string;
    readonly headroom: number;
    /** hostMb less the headroom, rounded down: what the peak must fit in. */
    readonly budgetMb?: number;
    /** budgetMb - peakMb; negative when the peak is over the budget. */
    readonly freeMb?: number;
    /** freeMb as a whole percentage of budgetMb. */
    readonly freePercent?: number;
}

/** The host's memory and where it comes from, or why it is unknown. */
export function hostMemory(
    resources: readonly StackResource[],
    settings: MemorySettings,
): { mb?: number; label: string } {
    const droplet = resources.find((r) => r.type === TYPES.droplet);
    if (droplet) {
        const size = droplet.props.size as DropletSize;
        const mb = DROPLET_SIZES[size]?.memoryMb;
        return mb ? { mb, label: String(size) } : { label: `unknown droplet size ${size}` };
    }
    if (settings.hostMemoryMb) return { mb: settings.hostMemoryMb, label: "hostMemoryMb" };
    return { label: "no droplet, and no hostMemoryMb in the environment's pack config" };
}

/** The stack's figures: what the rule checks and what the three scripts print. */
export function memoryFigures(resources: readonly StackResource[], settings: MemorySettings): MemoryFigures {
    const host = hostMemory(resources, settings);
    let steady = 0;
    let transient = 0;
    for (const c of resources.filter((r) => r.type === TYPES.container)) {
        const memory = Number(c.props.memory ?? 0);
        if (isJob(c.props)) {
            transient = Math.max(transient, memory);
        } else {
            steady += memory;
            if (labels(c.props).kind === "stateless") transient = Math.max(transient, memory);
        }
    }
    const peak = steady + transient;
    const figures = { steadyMb: steady, peakMb: peak, hostLabel: host.label, headroom: settings.headroom };
    if (host.mb === undefined) return figures;
    const budget = Math.floor(host.mb * (1 - settings.headroom));
    return {
        ...figures,
        hostMb: host.mb,
        budgetMb: budget,
        freeMb: budget - peak,
        freePercent: Math.round(((budget - peak) / budget) * 100),
    };
}

/**
 * Whether the stack's peak fits its budget: the one test by which the stack-memory-budget rule fails a stack and
 * `npm run bench` marks its memory target met or MISSED, so the two cannot disagree (issue 17's attack pass looked for
 * a peak between the budget and the host's memory). A peak equal to the budget fits. Undefined without a budget (no
 * host memory known): the rule does not apply and the bench sets no memory target.
 */
export function peakWithinBudget(f: Pick<MemoryFigures, "peakMb" | "budgetMb">): boolean | undefined {
    return f.budgetMb === undefined ? undefined : f.peakMb <= f.budgetMb;
}

/** The headroom as the figures print it: a whole percentage. */
export function headroomPercent(figures: Pick<MemoryFigures, "headroom">): number {
    return Math.round(figures.headroom * 100);
}

/**
 * The figures as one line, the same in the plan, the policy report and the bench: `steady 3056 MB, peak 3440 MB
 * (during an update) of a 6963 MB budget (8192 MB s-4vcpu-8gb less 15 % headroom): 3523 MB free (51 %)`.
 */
export function memoryLine(f: MemoryFigures): string {
    const head = `steady ${f.steadyMb} MB, peak ${f.peakMb} MB (during an update)`;
    if (f.budgetMb === undefined || f.freeMb === undefined) return `${head}; no budget: ${f.hostLabel}`;
    const left = peakWithinBudget(f)
        ? `${f.freeMb} MB free (${f.freePercent} %)`
        : `${-f.freeMb} MB OVER the budget (the peak is ${Math.round((f.peakMb / f.budgetMb) * 1000) / 10} % of it)`;
    return `${head} of a ${f.budgetMb} MB budget (${f.hostMb} MB ${f.hostLabel} less ${headroomPercent(f)} % headroom): ${left}`;
}
