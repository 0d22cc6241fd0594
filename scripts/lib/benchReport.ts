/** The benchmark's report: one table per stack, then the targets met or missed. */
import type { StackBench } from "./bench";
import { OLD_SEQUENTIAL_PHASES } from "./benchChanges";

export function round1(n: number): number {
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
