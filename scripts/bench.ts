/**
 * npm run bench [-- [--json] [--runs N] [stack ...]]
 *
 * Measures the shape of each shipped stack's deploy under mocks: evaluation
 * time, resource count, the blast radius of typical changes, the memory budget
 * and monthly price, and the critical path of a first deploy. Prints a table,
 * or JSON with --json so runs can be compared (use `npm run -s bench -- --json`
 * so npm's own banner stays out of the JSON). Progress goes to stderr.
 * Exit codes: 0 every target met, 1 a blast-radius or memory target missed
 * (the timing target is reported but not counted: it varies with load), 2 usage or failure.
 */
import { ConfigError } from "../components/config";
import { deployStack } from "../components/stack";
import { benchStack, renderBench, StackBench } from "./lib/bench";
import { memoryBudget } from "../policy/rules/stack";
import { readPackConfig, settingsFor } from "./lib/policyRun";
import { loadStackSettings, shippedStacks, unknownStack } from "./lib/stackFiles";
import { runCli } from "./lib/cli";

const USAGE = "usage: npm run bench -- [--json] [--runs N] [stack ...]";

interface Args {
    json: boolean;
    runs: number;
    stacks: string[];
}

function parseArgs(argv: readonly string[]): Args | string {
    const args: Args = { json: false, runs: 7, stacks: [] };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i]!;
        if (a === "--json") args.json = true;
        else if (a === "--runs") {
            const n = Number(argv[++i]);
            if (!Number.isInteger(n) || n < 1 || n > 100) return `--runs = ${argv[i] ?? "(missing)"}: expected a whole number from 1 to 100`;
            args.runs = n;
        } else if (a.startsWith("-")) return `unknown option ${a}`;
        else args.stacks.push(a);
    }
    for (const s of args.stacks) {
        const problem = unknownStack(s);
        if (problem) return problem;
    }
    if (args.stacks.length === 0) args.stacks = shippedStacks();
    return args;
}

/** The memory-budget settings of the stack's policy config, defaults included, which the benchmark shares with the pack. */
function budgetSettings(stack: string): { headroom: number; hostMemoryMb?: number } {
    const { headroom, hostMemoryMb } = settingsFor(memoryBudget, readPackConfig(stack)).config as { headroom: number; hostMemoryMb: number };
    return { headroom, ...(hostMemoryMb ? { hostMemoryMb } : {}) };
}

async function main(argv: string[]): Promise<number> {
    const args = parseArgs(argv);
    if (typeof args === "string") {
        console.error(`bench: ${args}\n${USAGE}`);
        return 2;
    }
    const started = Date.now();
    const results: StackBench[] = [];
    try {
        for (const stack of args.stacks) {
            results.push(await benchStack(loadStackSettings(stack), deployStack, { runs: args.runs, ...budgetSettings(stack), progress: (line) => console.error(`bench: ${line}`) }));
        }
    } catch (err) {
        console.error(err instanceof ConfigError ? err.message : `bench failed: ${err instanceof Error ? err.message : String(err)}`);
        return 2;
    }
    const missed = results.flatMap((r) => r.targets.filter((t) => !t.met && !t.timing).map((t) => `${r.stack}: ${t.name}`));
    if (args.json) {
        console.log(JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, stacks: results }, null, 2));
    } else {
        console.log(renderBench(results));
        const timingMissed = results.flatMap((r) => r.targets.filter((t) => !t.met && t.timing)).length;
        const verdict = missed.length === 0 ? "Every blast-radius and memory target met" : `${missed.length} blast-radius or memory target(s) missed`;
        console.log(`\n${verdict}${timingMissed ? `; ${timingMissed} timing target(s) missed` : ""} (${((Date.now() - started) / 1000).toFixed(1)} s).`);
    }
    return missed.length === 0 ? 0 : 1;
}

runCli("bench", main);
