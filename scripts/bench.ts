/**
 * npm run bench [-- [--json] [--runs N] [stack ...]]
 *
 * Measures the shape of each shipped stack's deploy under mocks: evaluation
 * time, resource count, the blast radius of typical changes, the memory budget
 * and monthly price, and the critical path of a first deploy. Prints a table,
 * or JSON with --json so runs can be compared (use `npm run -s bench -- --json`
 * so npm's own banner stays out of the JSON). Progress goes to stderr.
 * Exit codes: 0 every target met, 1 a blast-radius or memory target missed
 * (evaluation time is shown against its budget as information, never counted: it varies with load), 2 usage or
 * failure.
 */
import { benchVerdict, measureStack, renderBench, StackBench } from "./lib/bench";
import { loadStackConfigFor, shippedStacks } from "./lib/stackFiles";
import { commandLine, CommandLineSpec } from "./lib/commandLine";
import { describeFailure, runCli } from "./lib/cli";

interface Args {
    json: boolean;
    runs: number;
    stacks: string[];
}

/** The command line, read by commandLine and explained by --help (test/scriptsHelp.servers.test.ts reads it too). */
export const COMMAND_LINE = {
    summary: "measure each stack's deploy under mocks: time, blast radius, memory, price, order",
    details: [
        "For each stack: the program's evaluation time, its resource count, which containers typical changes " +
            "replace (a second up with no change, an app version bump, a domain change, ...), peak memory against " +
            "the droplet's budget, the monthly price, and the critical path of a first deploy. It ends with each " +
            "target met or missed; evaluation time is information, shown against a budget per resource and never " +
            "counted, as it depends on the machine and its load. Progress goes to stderr.",
    ],
    stack: { many: true, description: "The stacks to measure. Default: every stack." },
    options: {
        json: {
            type: "boolean",
            description:
                "Print the results as JSON instead of the table, to compare runs; use `npm run -s bench -- --json` " +
                "so that npm's banner stays out of it.",
        },
        runs: {
            type: "string",
            value: "N",
            description: "How many times each program is evaluated for its median time, from 1 to 100. Default: 7.",
            check: (runs) =>
                /^\d+$/.test(runs) && +runs >= 1 && +runs <= 100 ? undefined : "a whole number from 1 to 100",
        },
    },
    exitCodes: [
        ["0", "every blast-radius and memory target met"],
        ["1", "a blast-radius or memory target missed"],
        [
            "2",
            "a usage error, an unknown stack, an invalid stack config (every stack is checked before any is measured), or an unexpected failure",
        ],
    ],
    examples: [
        { command: "npm run bench", what: "Measure every stack, 7 runs each." },
        { command: "npm run -s bench -- --runs 3 --json prod > bench.json", what: "prod only, as JSON, 3 runs." },
    ],
} satisfies CommandLineSpec;

/** The parsed arguments, or the exit code after the message was printed. */
function parseArguments(argv: readonly string[]): Args | { exitCode: number } {
    const line = commandLine("bench", argv, COMMAND_LINE);
    if ("exitCode" in line) return line;
    // The spec's check refused any other --runs.
    const runs = line.values.runs === undefined ? 7 : Number(line.values.runs);
    return { json: line.values.json ?? false, runs, stacks: line.stacks.length > 0 ? line.stacks : shippedStacks() };
}

async function main(argv: string[]): Promise<number> {
    const args = parseArguments(argv);
    if ("exitCode" in args) return args.exitCode;
    // Every stack's config first: a mistake in the third stack file should not cost the first two stacks'
    // measurements, only to be followed by the next mistake on the next run. Exit 2, not runCli's 1 for a config
    // problem: the bench's 1 means a target was missed.
    const refused = args.stacks.flatMap((stack) => {
        try {
            loadStackConfigFor(stack);
            return [];
        } catch (err) {
            return [describeFailure("bench", err)];
        }
    });
    if (refused.length > 0) {
        for (const problem of refused) console.error(problem);
        console.error(`bench: nothing was measured; ${refused.length} of ${args.stacks.length} stack(s) refused above`);
        return 2;
    }
    const started = Date.now();
    const results: StackBench[] = [];
    try {
        for (const stack of args.stacks) {
            // measureStack sets the memory settings itself, from the stack's pack config, as the memory test measures.
            results.push(
                await measureStack(stack, { runs: args.runs, progress: (line) => console.error(`bench: ${line}`) }),
            );
        }
    } catch (err) {
        // Exit 2, not runCli's 1 for a config problem: the bench's 1 means a target was missed.
        console.error(describeFailure("bench", err));
        return 2;
    }
    const verdict = benchVerdict(results, (Date.now() - started) / 1000);
    if (args.json) {
        console.log(
            JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, stacks: results }, null, 2),
        );
    } else {
        console.log(renderBench(results));
        console.log(`\n${verdict.line}`);
    }
    return verdict.exitCode;
}

if (require.main === module) runCli("bench", main);
