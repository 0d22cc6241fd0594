/** The benchmark's report: one table per stack, then the targets met or missed. */
import { fitToWidth } from "./planLayout";
import type { StackBench } from "./bench";
import { OLD_SEQUENTIAL_PHASES } from "./benchChanges";
import { headroomPercent } from "../../policy/memoryFigures";

export function round1(n: number): number {
    return Math.round(n * 10) / 10;
}

/**
 * Memory per stack: the figures npm run plan and npm run policy print (policy/memoryFigures.ts), so the headroom an
 * operator reads here is the one the pack checks.
 */
function memoryTable(results: readonly StackBench[], row: (cells: string[], widths: number[]) => string): string[] {
    const widths = [8, 10, 10, 10, 16, 0];
    const lines = [
        "Memory per stack (peak: steady plus the largest job or replacement beside it during an update)",
        row(["stack", "steady", "peak", "budget", "free of budget", "budget from"], widths),
    ];
    for (const r of results) {
        const m = r.memory;
        lines.push(
            row(
                [
                    r.stack,
                    `${m.steadyMb} MB`,
                    `${m.peakMb} MB`,
                    m.budgetMb !== undefined ? `${m.budgetMb} MB` : "n/a",
                    m.freeMb !== undefined ? `${m.freeMb} MB (${m.freePercent} %)` : "n/a",
                    m.hostMb !== undefined
                        ? `${m.hostMb} MB ${m.hostLabel} less ${headroomPercent(m)} % headroom`
                        : m.hostLabel,
                ],
                widths,
            ),
        );
    }
    return lines;
}

/**
 * How long each program took to evaluate, and where the time goes, as information: the figures vary with the
 * machine's load, so a slow run says so in words that read as a measurement, never as a failure (issue 17, friction 9).
 * The budget's evidence is at EVALUATION_BUDGET_MS_PER_RESOURCE (scripts/lib/bench.ts).
 */
function evaluationLines(results: readonly StackBench[]): string[] {
    const lines = [
        "Evaluation time, for information (it varies with the machine's load; the exit code does not count it)",
    ];
    for (const r of results) {
        const e = r.evaluation;
        const budget =
            e.budgetMsPerResource === undefined
                ? ""
                : e.perResourceMs <= e.budgetMsPerResource
                  ? `, within the budget of ${e.budgetMsPerResource} ms`
                  : `, over the budget of ${e.budgetMsPerResource} ms on this run`;
        lines.push(
            `  ${r.stack.padEnd(8)} median ${e.medianMs} ms over ${e.runs} run${e.runs === 1 ? "" : "s"}, ${e.perResourceMs} ms per resource${budget}`,
        );
        if (e.stackTraceMedianMs !== undefined) {
            const share = Math.round((e.stackTraceMedianMs / e.medianMs) * 100);
            const count = e.stackTraces !== undefined ? ` for ${e.stackTraces} traces` : "";
            lines.push(
                `  ${"".padEnd(8)} stack traces the SDK captures: ${e.stackTraceMedianMs} ms${count} (${share} %); the rest: ${round1(e.medianMs - e.stackTraceMedianMs)} ms`,
            );
        }
    }
    if (results.some((r) => r.evaluation.stackTraceMedianMs !== undefined))
        lines.push(
            "  The SDK captures a stack trace for every promise it makes while registering, four per output property of",
            "  every resource, and `pulumi up` maps each frame through source maps whether the program runs under ts-node",
            '  or compiled (docs/operations.md, "How long a preview takes").',
        );
    return lines;
}

/**
 * The run's last line and exit code: 1 when a blast-radius or memory target is missed. Evaluation time is not counted
 * (evaluationLines); a stack slower than its budget is named as information.
 */
export function benchVerdict(results: readonly StackBench[], tookSeconds: number): { line: string; exitCode: 0 | 1 } {
    const missed = results.flatMap((r) => r.targets.filter((t) => !t.met && !t.timing));
    const slow = results.filter((r) => r.targets.some((t) => t.timing && !t.met)).map((r) => r.stack);
    const verdict =
        missed.length === 0
            ? "Every blast-radius and memory target met"
            : `${missed.length} blast-radius or memory target(s) missed`;
    const information = slow.length
        ? `; evaluating ${slow.join(", ")} took longer than its budget on this run (see above)`
        : "";
    return {
        line: `${verdict}${information} (the bench took ${tookSeconds.toFixed(1)} s).`,
        exitCode: missed.length === 0 ? 0 : 1,
    };
}

/** The readable report. */
export function renderBench(results: readonly StackBench[]): string {
    const out: string[] = [];
    const row = (cells: string[], widths: number[]) =>
        cells
            .map((c, i) => c.padEnd(widths[i]!))
            .join("  ")
            .trimEnd();
    const overviewWidths = [8, 8, 22, 26, 15, 16];
    out.push("Deploy shape per stack");
    out.push(
        row(
            ["stack", "target", "evaluation (median)", "resources (+ components)", "per month", "critical path"],
            overviewWidths,
        ),
    );
    for (const r of results) {
        out.push(
            row(
                [
                    r.stack,
                    r.target,
                    `${r.evaluation.medianMs} ms (${r.evaluation.runs} run${r.evaluation.runs === 1 ? "" : "s"})`,
                    `${r.resources.custom} + ${r.resources.components}, ${r.resources.containers} containers`,
                    r.cost.usdPerMonth ? `$${r.cost.usdPerMonth.toFixed(2)}` : "$0 (your host)",
                    `${r.criticalPath.chain.length} steps, ${r.criticalPath.gatedSteps} gated`,
                ],
                overviewWidths,
            ),
        );
    }
    out.push("");
    out.push(...memoryTable(results, row));
    out.push("");
    out.push(...evaluationLines(results));
    out.push("");
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
    // Timing is no target here: evaluationLines shows it as information, since it varies with the machine's load.
    for (const r of results) {
        for (const t of r.targets.filter((x) => !x.timing))
            out.push(`  ${t.met ? "met   " : "MISSED"}  ${r.stack.padEnd(8)} ${t.name}: ${t.detail}`);
    }
    return fitToWidth(out.join("\n"));
}
