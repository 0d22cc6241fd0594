/**
 * Rung 1 (every shipped stack's program under mocks, printed by the scripts' own code): issue 17, friction 4, "Make
 * one memory truth: the same steady, peak and budget figures must appear in all three" of `npm run plan`,
 * `npm run policy` and `npm run bench`. Each figure is read back from what the script prints (the plan's text from
 * planText, the policy report from the script run as npm runs it, the bench's table and JSON from measureStack, the
 * function scripts/bench.ts measures each stack with, and renderBench), never computed here; and for every stack the
 * three are checked against a sum an operator can do by hand from the plan's own per-container limits.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { DROPLET_SIZES, DropletSize } from "../components/host/dropletSizes";
import { measureStack, renderBench, StackBench } from "../scripts/lib/bench";
import { planText } from "../scripts/lib/planReport";
import { packConfigFile, packEnvironmentOf } from "../scripts/lib/policyRun";
import { loadStackSettings, shippedStacks } from "../scripts/lib/stackFiles";

const ROOT = path.resolve(__dirname, "..");

interface Printed {
    steady: number;
    peak: number;
    /** undefined: the script printed that the stack has no budget. */
    budget?: number;
    free?: number;
}

/** The figures of the `memory` field the plan's overview and the policy report print, wrapped lines joined. */
function memoryField(text: string, who: string): Printed {
    const lines = text.split("\n");
    const at = lines.findIndex((l) => l.startsWith("  memory "));
    expect(at, `${who} prints a memory line`).to.be.at.least(0);
    let joined = lines[at]!;
    for (let i = at + 1; i < lines.length && /^ {13}\S/.test(lines[i]!); i++) joined += ` ${lines[i]!.trim()}`;
    const figures = /steady (\d+) MB, peak (\d+) MB \(during an update\)/.source;
    const budget = /(?: of a (\d+) MB budget \(.*\): (\d+) MB (free|OVER))?/.source;
    const m = new RegExp(figures + budget).exec(joined);
    expect(m, `${who}: ${joined}`).to.not.equal(null);
    const free = m![4] === undefined ? undefined : Number(m![4]) * (m![5] === "OVER" ? -1 : 1);
    return {
        steady: Number(m![1]),
        peak: Number(m![2]),
        ...(m![3] !== undefined ? { budget: Number(m![3]) } : {}),
        ...(free !== undefined ? { free } : {}),
    };
}

/** The stack's row of the bench's memory table: steady, peak, budget, free of the budget. */
function benchTableRow(table: string, stack: string): Printed {
    const lines = table.split("\n");
    const head = lines.findIndex((l) => l.startsWith("Memory per stack"));
    const row = lines.slice(head + 2).find((l) => l.startsWith(`${stack} `));
    const m = /^\S+\s+(\d+) MB\s+(\d+) MB\s+(?:(\d+) MB|n\/a)\s+(?:(-?\d+) MB \(-?\d+ %\)|n\/a)/.exec(row ?? "");
    expect(m, `bench table row for ${stack}: ${row}`).to.not.equal(null);
    return {
        steady: Number(m![1]),
        peak: Number(m![2]),
        ...(m![3] !== undefined ? { budget: Number(m![3]) } : {}),
        ...(m![4] !== undefined ? { free: Number(m![4]) } : {}),
    };
}

/**
 * The sum an operator can do with the plan open: each container's `limits` row and its kind. Steady adds every
 * long-running one; peak adds to it the largest job or stateless container (its replacement runs beside it); the
 * budget is the droplet size's memory (the plan's target line) less the headroom in the environment's pack config file
 * (0.15, the rule's default, where the file sets none).
 */
function byHand(plan: string, stack: string): { printed: Printed; sum: string } {
    const limits: Array<{ name: string; kind: string; mb: number }> = [];
    let current: { name: string; kind: string } | undefined;
    for (const line of plan.split("\n")) {
        const head = /^ {2}(\S+) {2}\[(stateful|stateless|job)\]$/.exec(line);
        if (head) current = { name: head[1]!, kind: head[2]! };
        const row = /^ {6}limits +(\d+) MB memory/.exec(line);
        if (row && current) limits.push({ ...current, mb: Number(row[1]) });
    }
    const longRunning = limits.filter((l) => l.kind !== "job");
    const steady = longRunning.reduce((sum, l) => sum + l.mb, 0);
    const beside = Math.max(0, ...limits.filter((l) => l.kind !== "stateful").map((l) => l.mb));
    const size = /^ {2}target {5}droplet: (\S+) in /m.exec(plan)?.[1] as DropletSize | undefined;
    const file = JSON.parse(fs.readFileSync(packConfigFile(packEnvironmentOf(stack)), "utf8")) as Record<
        string,
        { headroom?: number }
    >;
    const headroom = file["stack-memory-budget"]?.headroom ?? 0.15;
    const budget = size ? Math.floor(DROPLET_SIZES[size].memoryMb * (1 - headroom)) : undefined;
    return {
        printed: {
            steady,
            peak: steady + beside,
            ...(budget !== undefined ? { budget, free: budget - steady - beside } : {}),
        },
        sum: `${longRunning.map((l) => `${l.name} ${l.mb}`).join(" + ")}, then + ${beside}`,
    };
}

describe("npm run plan, policy and bench print one memory truth", function () {
    this.timeout(300_000);
    for (const stack of shippedStacks()) {
        it(`${stack}: the same steady, peak, budget and free figures in all three, equal to the plan's limits added by hand`, async () => {
            const planOut = await planText(loadStackSettings(stack));
            const plan = memoryField(planOut, "plan");

            const policyRun = spawnSync(
                process.execPath,
                ["-r", "ts-node/register/transpile-only", path.join(ROOT, "scripts", "policy.ts"), stack],
                { cwd: ROOT, encoding: "utf8" },
            );
            expect(policyRun.status, policyRun.stderr).to.be.oneOf([0, 1]);
            const policy = memoryField(policyRun.stdout, "policy");

            // Measured as scripts/bench.ts measures a stack, through the same function: settings the test built
            // itself would stay right when the script's were wrong (an attack passed headroom 0.1 past the pack's).
            const result = await measureStack(stack, { runs: 1, changes: [] });
            const table = benchTableRow(renderBench([result]), stack);
            const json = (JSON.parse(JSON.stringify({ stacks: [result] })) as { stacks: StackBench[] }).stacks[0]!
                .memory;
            const fromJson: Printed = {
                steady: json.steadyMb,
                peak: json.peakMb,
                ...(json.budgetMb !== undefined ? { budget: json.budgetMb, free: json.freeMb! } : {}),
            };

            expect({ policy, benchTable: table, benchJson: fromJson }).to.deep.equal({
                policy: plan,
                benchTable: plan,
                benchJson: plan,
            });
            const hand = byHand(planOut, stack);
            expect(plan, `by hand: ${hand.sum}`).to.deep.equal(hand.printed);
            // A droplet stack has a budget; a local one has none (development sets no hostMemoryMb).
            expect(plan.budget === undefined, stack).to.equal(result.target === "local");
        });
    }
});
