/**
 * The deploy-shape benchmark behind `npm run bench`: per stack, how long the
 * program takes to evaluate, how many resources it registers, which
 * containers typical changes replace, the memory budget and monthly price, and
 * the critical path of a first deploy. Every figure comes from running the
 * real program under mocks; nothing here is estimated by hand.
 */
import type { ServiceName, StackConfig } from "../../components/config";
import { Panel, PANELS } from "../../components/monitoring/grafana";
import { DROPLET_SIZES, monthlyCost, CostLine } from "../../components/host/dropletSizes";
import { peakMemoryMb } from "../../policy/rules/stack";
import { BlastRadius, blastRadius } from "./blastRadius";
import { CriticalPath, criticalPath } from "./criticalPath";
import { MockRun, RegisteredResource, runUnderMocks } from "./mockRun";
import { readBackModels } from "./readBack/models";
import { startOrder } from "./planReport";
import { StackSettings } from "./stackFiles";
import { TYPES } from "../../policy/lib";

/** The old bash deploy ran its phases strictly one after another. */
export const OLD_SEQUENTIAL_PHASES = 10;

/** Targets the benchmark reports on (issue 9). */
export const PROD_EVALUATION_TARGET_MS = 1000;

export type Program = () => { cfg: StackConfig };

/** A typical change: a new stack config, or a code edit applied for one run and undone after. */
export interface TypicalChange {
    readonly id: string;
    readonly title: string;
    /** A change to the application or its monitoring, which must never replace a data-tier container. */
    readonly appLevel: boolean;
    /** Returns the config after the change, given the current one and the stack's validated settings. */
    readonly configure?: (settings: StackSettings, cfg: StackConfig) => StackSettings;
    /** Applies a code change and returns its undo. */
    readonly patch?: () => () => void;
    /** Container names (resource names) this change may replace; anything else replaced misses the target. */
    readonly mayReplace?: (tierOf: (name: string) => string | undefined) => (name: string) => boolean;
    /** Containers it must replace for the change to take effect at all. */
    readonly mustReplace?: readonly string[];
    /** Nothing at all may change: no replacement, no update, of any resource. */
    readonly changesNothing?: boolean;
}

function withValue(settings: StackSettings, key: string, value: unknown): StackSettings {
    return {
        ...settings,
        config: {
            ...settings.config,
            [`freshtrack:${key}`]: typeof value === "string" ? value : JSON.stringify(value),
        },
    };
}

function objectValue(settings: StackSettings, key: string): Record<string, unknown> {
    const raw = settings.config[`freshtrack:${key}`];
    return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

/** 1.4.2 -> 1.4.3; anything else gets a suffix. */
export function nextVersion(version: string): string {
    const m = /^(.*?)(\d+)$/.exec(version);
    return m ? `${m[1]}${Number(m[2]) + 1}` : `${version}-next`;
}

const APP_SERVICES = ["backend", "worker", "frontend"];
const MEMORY_STEP_MB = 32;

function raiseMemory(service: ServiceName): (s: StackSettings, cfg: StackConfig) => StackSettings {
    return (s, cfg) =>
        withValue(s, "resources", {
            ...objectValue(s, "resources"),
            [service]: { ...cfg.resources[service], memoryMb: cfg.resources[service].memoryMb + MEMORY_STEP_MB },
        });
}

export const TYPICAL_CHANGES: readonly TypicalChange[] = [
    {
        // The empty second plan Terraform's acceptance tests require: the same program and config again, over the
        // state the first `up` left as the providers read it back (scripts/lib/readBack). Anything listed here
        // would be replaced or updated on every `pulumi up`.
        id: "no-change",
        title: "no change (a second up)",
        appLevel: true,
        configure: (s) => s,
        mayReplace: () => () => false,
        changesNothing: true,
    },
    {
        id: "app-version",
        title: "app version bump",
        appLevel: true,
        configure: (s, cfg) => withValue(s, "appVersion", nextVersion(cfg.app.version)),
        // The app containers and the migration step (its pre-migration backup and the migrate job).
        mayReplace: (tierOf) => (name) => tierOf(name) === "app" || tierOf(name) === "migrations",
        mustReplace: [...APP_SERVICES, "migrate"],
    },
    {
        id: "dashboard-edit",
        title: "Grafana dashboard edit",
        appLevel: true,
        patch: () => {
            // PANELS is read-only to the program; the benchmark edits it for one run, as a developer would edit the
            // file.
            const panels = PANELS[0]!.panels as Panel[];
            panels.push({ title: "Benchmark panel", type: "stat", expr: "up" });
            return () => void panels.pop();
        },
        mayReplace: () => (name) => name === "grafana-dashboards",
        mustReplace: ["grafana-dashboards"],
    },
    {
        id: "domain-change",
        title: "Caddy domain change",
        appLevel: true,
        configure: (s, cfg) => withValue(s, "domain", `next-${cfg.domain}`),
        mustReplace: ["caddy"],
    },
    {
        id: "grafana-password",
        title: "rotate the Grafana password",
        appLevel: true,
        configure: (s, cfg) =>
            withValue(s, "secretGenerations", {
                ...objectValue(s, "secretGenerations"),
                grafanaAdminPassword: (cfg.secretGenerations.grafanaAdminPassword ?? 1) + 1,
            }),
        mayReplace: () => (name) => name === "grafana" || name === "grafana-admin-password",
        mustReplace: ["grafana-admin-password"],
    },
    {
        id: "memory-raise-backend",
        title: `raise backend memory by ${MEMORY_STEP_MB} MB`,
        appLevel: true,
        configure: raiseMemory("backend"),
        // Docker changes a running container's memory limit in place.
        mayReplace: () => () => false,
    },
    {
        id: "memory-raise-postgres",
        title: `raise postgres memory by ${MEMORY_STEP_MB} MB`,
        appLevel: false,
        configure: raiseMemory("postgres"),
        // Its buffers are tuned from the limit, so the new limit arrives with a new config: a restart.
        mayReplace: () => (name) => name === "postgres",
    },
];

/** The tier a container belongs to: the nearest enclosing tier component. */
export function tiers(resources: readonly RegisteredResource[]): (name: string) => string | undefined {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const TIER_TYPES: Record<string, string> = {
        "freshtrack:services:DataTier": "data",
        "freshtrack:services:Migrations": "migrations",
        "freshtrack:services:Backup": "backup",
        "freshtrack:services:AppTier": "app",
        "freshtrack:edge:Edge": "edge",
        "freshtrack:monitoring:MonitoringTier": "monitoring",
    };
    const tierByName = new Map<string, string | undefined>();
    for (const c of resources.filter((r) => r.type === TYPES.container)) {
        let parent = c.parent ? byUrn.get(c.parent) : undefined;
        while (parent && !TIER_TYPES[parent.type]) parent = parent.parent ? byUrn.get(parent.parent) : undefined;
        tierByName.set(c.name, parent ? TIER_TYPES[parent.type] : undefined);
    }
    return (name) => tierByName.get(name);
}

export interface ChangeResult {
    readonly id: string;
    readonly title: string;
    readonly replaced: readonly string[];
    /** For each replaced container, the inputs that force it. */
    readonly replacedBecause: Readonly<Record<string, readonly string[]>>;
    readonly updatedInPlace: readonly string[];
    readonly otherResourcesChanged: readonly string[];
    /** Target: replaces nothing it should not, and what it must. Empty when met. */
    readonly misses: readonly string[];
}

export interface StackBench {
    readonly stack: string;
    readonly target: string;
    readonly evaluation: {
        readonly medianMs: number;
        readonly minMs: number;
        readonly maxMs: number;
        readonly runs: number;
        /**
         * Median time spent formatting the stack traces the SDK captures per promise (see MockRun.stackTraceMs); absent
         * without a formatter.
         */
        readonly stackTraceMedianMs?: number;
        /** How many stack traces one evaluation formats. */
        readonly stackTraces?: number;
    };
    readonly resources: { readonly custom: number; readonly components: number; readonly containers: number };
    readonly changes: readonly ChangeResult[];
    readonly memory: {
        readonly steadyMb: number;
        readonly peakMb: number;
        readonly hostMb?: number;
        readonly budgetMb?: number;
        readonly headroom: number;
        readonly hostLabel: string;
    };
    readonly cost: { readonly lines: readonly CostLine[]; readonly usdPerMonth: number };
    readonly criticalPath: CriticalPath & { readonly containerWaves: number };
    /** `timing` targets depend on the machine's load; the exit code counts only the others. */
    readonly targets: ReadonlyArray<{
        readonly name: string;
        readonly met: boolean;
        readonly detail: string;
        readonly timing: boolean;
    }>;
}

function summariseChange(
    change: TypicalChange,
    radius: BlastRadius,
    tierOf: (name: string) => string | undefined,
): ChangeResult {
    const replaced = radius.containers.replace;
    const misses: string[] = [];
    const allowed = change.mayReplace?.(tierOf);
    if (allowed) for (const name of replaced) if (!allowed(name)) misses.push(`also replaces ${name}`);
    for (const name of change.mustReplace ?? [])
        if (tierOf(name) !== undefined && !replaced.includes(name)) misses.push(`does not replace ${name}`);
    if (change.appLevel)
        for (const name of replaced) if (tierOf(name) === "data") misses.push(`replaces data-tier ${name}`);
    if (change.changesNothing) {
        for (const c of radius.changes.filter((x) => x.verdict !== "replace" || x.type !== TYPES.container)) {
            misses.push(
                `${c.verdict === "update" ? "updates" : c.verdict === "replace" ? "replaces" : c.verdict === "create" ? "creates" : "deletes"} ${c.name}${c.changedInputs.length ? ` (${c.changedInputs.join(", ")})` : ""}`,
            );
        }
    }
    return {
        id: change.id,
        title: change.title,
        replaced,
        replacedBecause: Object.fromEntries(
            radius.changes
                .filter((c) => c.type === TYPES.container && c.verdict === "replace")
                .map((c) => [c.name, c.replacedBy]),
        ),
        updatedInPlace: radius.containers.update,
        otherResourcesChanged: radius.changes
            .filter((c) => c.type !== TYPES.container)
            .map((c) => `${c.name} (${c.verdict})`)
            .sort(),
        misses: [...new Set(misses)],
    };
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface BenchOptions {
    readonly runs: number;
    readonly headroom: number;
    /** Host memory for targets without a droplet size, from the stack's policy config. */
    readonly hostMemoryMb?: number;
    readonly progress?: (line: string) => void;
    /** Ids of the typical changes to measure; all of them when unset. */
    readonly changes?: readonly string[];
}

export async function benchStack(settings: StackSettings, program: Program, opts: BenchOptions): Promise<StackBench> {
    const progress = opts.progress ?? (() => undefined);
    const times: number[] = [];
    const stackTraceTimes: number[] = [];
    let stackTraces: number | undefined;
    let base: MockRun<{ cfg: StackConfig }> | undefined;
    for (let i = 0; i < opts.runs; i++) {
        progress(`${settings.stack}: evaluating the program, run ${i + 1} of ${opts.runs}`);
        base = await runUnderMocks(settings, program);
        times.push(base.evaluationMs);
        if (base.stackTraceMs !== undefined) stackTraceTimes.push(base.stackTraceMs);
        if (base.stackTraces !== undefined) stackTraces = base.stackTraces;
    }
    const { resources, result } = base!;
    const cfg = result.cfg;
    const tierOf = tiers(resources);
    // Each change is compared with the state the first run left, as the providers read it back.
    const models = readBackModels(cfg.target, resources);

    const changes: ChangeResult[] = [];
    for (const change of TYPICAL_CHANGES.filter((c) => !opts.changes || opts.changes.includes(c.id))) {
        progress(`${settings.stack}: ${change.title}`);
        const undo = change.patch?.();
        try {
            const after = await runUnderMocks(change.configure ? change.configure(settings, cfg) : settings, program);
            changes.push(summariseChange(change, blastRadius(resources, after.resources, models), tierOf));
        } finally {
            undo?.();
        }
    }

    const containers = resources.filter((r) => r.type === TYPES.container);
    const { steady, peak } = peakMemoryMb(containers.map((c) => ({ props: c.inputs as Record<string, unknown> })));
    const hostMb = cfg.droplet ? DROPLET_SIZES[cfg.droplet.size].memoryMb : opts.hostMemoryMb || undefined;
    const budgetMb = hostMb ? Math.floor(hostMb * (1 - opts.headroom)) : undefined;
    const lines = monthlyCost({
        ...(cfg.droplet ? { droplet: cfg.droplet } : {}),
        ...(cfg.database.mode === "managed"
            ? { managedDatabase: { size: cfg.database.size, nodeCount: cfg.database.nodeCount } }
            : {}),
        offsiteBackups: cfg.backup.offsite !== undefined,
    });
    const path = criticalPath(resources);
    const evaluation = {
        medianMs: round1(median(times)),
        minMs: round1(Math.min(...times)),
        maxMs: round1(Math.max(...times)),
        runs: times.length,
        ...(stackTraceTimes.length === times.length
            ? {
                  stackTraceMedianMs: round1(median(stackTraceTimes)),
                  ...(stackTraces !== undefined ? { stackTraces } : {}),
              }
            : {}),
    };

    const targets: Array<{ name: string; met: boolean; detail: string; timing: boolean }> = changes.map((c) => {
        const nothing = TYPICAL_CHANGES.find((t) => t.id === c.id)?.changesNothing === true;
        return {
            timing: false,
            name: `${c.title}: ${nothing ? "replaces and updates nothing" : "replaces only what it must"}`,
            met: c.misses.length === 0,
            detail:
                c.misses.length > 0
                    ? c.misses.join("; ")
                    : nothing
                      ? "nothing changes"
                      : `replaces ${c.replaced.length ? c.replaced.join(", ") : "nothing"}`,
        };
    });
    if (budgetMb !== undefined) {
        targets.push({
            name: "memory: peak within the host less headroom",
            met: peak <= budgetMb,
            detail: `${peak} MB of ${budgetMb} MB`,
            timing: false,
        });
    }
    if (cfg.environment === "production") {
        targets.push({
            name: `evaluation under ${PROD_EVALUATION_TARGET_MS} ms`,
            met: evaluation.medianMs < PROD_EVALUATION_TARGET_MS,
            detail: `median ${evaluation.medianMs} ms`,
            timing: true,
        });
    }

    return {
        stack: settings.stack,
        target: cfg.target,
        evaluation,
        resources: {
            custom: resources.filter((r) => r.custom).length,
            components: resources.filter((r) => !r.custom).length,
            containers: containers.length,
        },
        changes,
        memory: {
            steadyMb: steady,
            peakMb: peak,
            ...(hostMb ? { hostMb } : {}),
            ...(budgetMb !== undefined ? { budgetMb } : {}),
            headroom: opts.headroom,
            hostLabel: cfg.droplet
                ? cfg.droplet.size
                : hostMb
                  ? `${cfg.target} host`
                  : `${cfg.target} (host memory not configured)`,
        },
        cost: { lines, usdPerMonth: Math.round(lines.reduce((sum, l) => sum + l.usdPerMonth, 0) * 100) / 100 },
        criticalPath: { ...path, containerWaves: startOrder([...resources]).length },
        targets,
    };
}

function round1(n: number): number {
    return Math.round(n * 10) / 10;
}

/** The readable report. */
export function renderBench(results: readonly StackBench[]): string {
    const out: string[] = [];
    const row = (cells: string[], widths: number[]) =>
        cells
            .map((c, i) => c.padEnd(widths[i]!))
            .join("  ")
            .trimEnd();
    const overviewWidths = [8, 8, 22, 26, 22, 15, 16];
    out.push("Deploy shape per stack");
    out.push(
        row(
            [
                "stack",
                "target",
                "evaluation (median)",
                "resources (+ components)",
                "memory peak / budget",
                "per month",
                "critical path",
            ],
            overviewWidths,
        ),
    );
    for (const r of results) {
        const budget =
            r.memory.budgetMb !== undefined
                ? `${r.memory.peakMb} / ${r.memory.budgetMb} MB`
                : `${r.memory.peakMb} MB / n/a`;
        out.push(
            row(
                [
                    r.stack,
                    r.target,
                    `${r.evaluation.medianMs} ms (${r.evaluation.runs} run${r.evaluation.runs === 1 ? "" : "s"})`,
                    `${r.resources.custom} + ${r.resources.components}, ${r.resources.containers} containers`,
                    budget,
                    r.cost.usdPerMonth ? `$${r.cost.usdPerMonth.toFixed(2)}` : "$0 (your host)",
                    `${r.criticalPath.chain.length} steps, ${r.criticalPath.gatedSteps} gated`,
                ],
                overviewWidths,
            ),
        );
    }
    out.push("");
    const traced = results.filter((r) => r.evaluation.stackTraceMedianMs !== undefined);
    if (traced.length > 0) {
        out.push(
            "Where evaluation time goes: formatting the stack traces the Pulumi SDK captures, one per promise it makes while registering,",
        );
        out.push(
            "four per output property of every resource (transferProperties, @pulumi/pulumi runtime/rpc.js); under ts-node, as `pulumi up`",
        );
        out.push("runs this program, every frame of each is mapped through source maps");
        for (const r of traced) {
            const share = Math.round((r.evaluation.stackTraceMedianMs! / r.evaluation.medianMs) * 100);
            const rest = round1(r.evaluation.medianMs - r.evaluation.stackTraceMedianMs!);
            const count = r.evaluation.stackTraces !== undefined ? ` for ${r.evaluation.stackTraces} traces` : "";
            out.push(
                `  ${r.stack.padEnd(8)} ${r.evaluation.stackTraceMedianMs} ms${count} of ${r.evaluation.medianMs} ms (${share} %); everything else, ${r.resources.custom + r.resources.components} registrations included: ${rest} ms`,
            );
        }
        out.push("");
    }
    out.push(`Critical path of a first deploy (the old deploy ran ${OLD_SEQUENTIAL_PHASES} phases, one after another)`);
    for (const r of results) {
        out.push(
            `  ${r.stack}: ${r.criticalPath.chain.length} resources in a row, ${r.criticalPath.gatedSteps} of them containers that wait for health or exit; containers start in ${r.criticalPath.containerWaves} waves`,
        );
        out.push(`    ${r.criticalPath.chain.map((s) => s.name).join(" -> ")}`);
    }
    out.push("");
    out.push("Blast radius: containers each change replaces (updated in place in brackets)");
    const changeIds = results[0]?.changes.map((c) => c.id) ?? [];
    for (const id of changeIds) {
        const title = results[0]!.changes.find((c) => c.id === id)!.title;
        out.push(`  ${title}`);
        for (const r of results) {
            const c = r.changes.find((x) => x.id === id)!;
            const inPlace = c.updatedInPlace.length ? ` [${c.updatedInPlace.join(", ")}]` : "";
            out.push(`    ${r.stack.padEnd(8)} ${c.replaced.length}: ${c.replaced.join(", ") || "none"}${inPlace}`);
        }
    }
    out.push("");
    out.push("Monthly list price on DigitalOcean");
    for (const r of results) {
        if (r.cost.lines.length === 0) {
            out.push(
                `  ${r.stack.padEnd(8)} nothing on DigitalOcean (runs on ${r.target === "local" ? "your own Docker" : "your own VM"})`,
            );
            continue;
        }
        out.push(
            `  ${r.stack.padEnd(8)} $${r.cost.usdPerMonth.toFixed(2)}: ${r.cost.lines.map((l) => `${l.item} $${l.usdPerMonth.toFixed(2)}`).join(", ")}`,
        );
    }
    out.push("");
    out.push("Targets");
    for (const r of results) {
        for (const t of r.targets)
            out.push(
                `  ${t.met ? "met   " : "MISSED"}  ${r.stack.padEnd(8)} ${t.name}: ${t.detail}${t.timing ? " (timing: varies with the machine's load; not counted in the exit code)" : ""}`,
            );
    }
    return out.join("\n");
}
