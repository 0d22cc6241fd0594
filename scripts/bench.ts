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
import { deployStack } from "../components/stack";
import { benchStack, renderBench, StackBench } from "./lib/bench";
import { memoryBudget } from "../policy/rules/stack";
import { readPackConfig, settingsFor } from "./lib/policyRun";
import { loadStackSettings, shippedStacks } from "./lib/stackFiles";
import { commandLine, usageText } from "./lib/commandLine";
import { describeFailure, runCli } from "./lib/cli";

interface Args {
    json: boolean;
    runs: number;
    stacks: string[];
}

/** The parsed arguments, or the exit code after the message was printed. */
function parseArguments(argv: readonly string[]): Args | { exitCode: number } {
    const usage = "[--json] [--runs N] [<stack> ...]";
    const line = commandLine("bench", argv, {
        usage,
        stacks: "many",
        options: { json: { type: "boolean" }, runs: { type: "string" } },
    });
    if ("exitCode" in line) return line;
    const runsText = typeof line.values.runs === "string" ? line.values.runs : "7";
    const runs = Number(runsText);
    if (!/^\d+$/.test(runsText) || runs < 1 || runs > 100) {
        console.error(
            `bench: --runs = ${runsText}: expected a whole number from 1 to 100\n${usageText("bench", usage)}`,
        );
        return { exitCode: 2 };
    }
    return { json: line.values.json === true, runs, stacks: line.stacks.length > 0 ? line.stacks : shippedStacks() };
}

/**
 * The memory-budget settings of the pack config of the stack's environment, defaults included, which the benchmark
 * shares with the pack.
 */
function budgetSettings(stack: string): { headroom: number; hostMemoryMb?: number } {
    const { headroom, hostMemoryMb } = settingsFor(memoryBudget, readPackConfig(stack)).config as {
        headroom: number;
        hostMemoryMb: number;
    };
    return { headroom, ...(hostMemoryMb ? { hostMemoryMb } : {}) };
}

async function main(argv: string[]): Promise<number> {
    const args = parseArguments(argv);
    if ("exitCode" in args) return args.exitCode;
    const started = Date.now();
    const results: StackBench[] = [];
    try {
        for (const stack of args.stacks) {
            results.push(
                await benchStack(loadStackSettings(stack), deployStack, {
                    runs: args.runs,
                    ...budgetSettings(stack),
                    progress: (line) => console.error(`bench: ${line}`),
                }),
            );
        }
    } catch (err) {
        // Exit 2, not runCli's 1 for a config problem: the bench's 1 means a target was missed.
        console.error(describeFailure("bench", err));
        return 2;
    }
    const missed = results.flatMap((r) =>
        r.targets.filter((t) => !t.met && !t.timing).map((t) => `${r.stack}: ${t.name}`),
    );
    if (args.json) {
        console.log(
            JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, stacks: results }, null, 2),
        );
    } else {
        console.log(renderBench(results));
        const timingMissed = results.flatMap((r) => r.targets.filter((t) => !t.met && t.timing)).length;
        const verdict =
            missed.length === 0
                ? "Every blast-radius and memory target met"
                : `${missed.length} blast-radius or memory target(s) missed`;
        console.log(
            `\n${verdict}${timingMissed ? `; ${timingMissed} timing target(s) missed on this run, which depends on the machine and its load` : ""} (the bench took ${((Date.now() - started) / 1000).toFixed(1)} s).`,
        );
    }
    return missed.length === 0 ? 0 : 1;
}

runCli("bench", main);
