/**
 * npm run bench [-- [--json] [--runs N] [--pitr-sizes MB,MB|none] [stack ...]]
 *
 * Measures the shape of each shipped stack's deploy under mocks: evaluation
 * time, resource count, the blast radius of typical changes, the memory budget
 * and monthly price, and the critical path of a first deploy. Prints a table,
 * or JSON with --json so runs can be compared (use `npm run -s bench -- --json`
 * so npm's own banner stays out of the JSON). Progress goes to stderr.
 *
 * Then point-in-time recovery (issue 18, item 5), measured for real on this machine's Debian PostgreSQL with the
 * project's rendered scripts, once per size of readings (--pitr-sizes, 10 and 100 MB by default), each in a fresh lab
 * on 127.0.0.1 (scripts/lib/benchPitr.ts): readings loaded, a base backup, a row written every 100 ms, the server
 * killed with SIGKILL.
 * - RPO: after a restore to the latest point and its swap into the live server, the rows the live database lacks of
 *   those the writer committed, and the time they cover (the last committed row's time less the last restored row's);
 *   target: at most 5 s (RPO_TARGET_MS).
 * - RTO: the time of freshtrack-pitr-restore --latest (unpack the base backup, replay the log, check, dump), of
 *   freshtrack-restore (check the dump, restore it into a new database, swap it in, keep the old one), and their sum,
 *   beside the readings' size and the database's (pg_database_size) before the restore.
 * - A restore to a chosen time (first size only), 50 ms after a row was written: how many ms before the target the
 *   last transaction it replayed committed.
 * Without root, Debian's postgresql, gosu, setpriv or runuser it prints one line naming what is missing and how to
 * get it, and that does not change the exit code.
 *
 * Exit codes: 0 every target met, 1 a blast-radius, memory or RPO target missed
 * (evaluation time is shown against its budget as information, never counted: it varies with load), 2 usage or
 * failure (a lab or a restore that fails included).
 */
import { benchVerdict, measureStack, renderBench, StackBench } from "./lib/bench";
import { DEFAULT_PITR_SIZES_MB, measurePitr } from "./lib/benchPitr";
import { SERVICES } from "../components/catalog";
import { PitrOutcome, pitrTargets, pitrVerdict, renderPitr } from "./lib/benchPitrReport";
import { loadStackConfigFor, shippedStacks } from "./lib/stackFiles";
import { commandLine, CommandLineSpec } from "./lib/commandLine";
import { describeFailure, runCli } from "./lib/cli";

interface Args {
    json: boolean;
    runs: number;
    stacks: string[];
    /** MB of readings per point-in-time recovery lab; empty with --pitr-sizes none. */
    pitrSizes: number[];
    /** The restores run in a control group with the backup container's memory and CPU limits. */
    pitrLimits: boolean;
}

/** Why a --pitr-sizes value is refused: a list of whole MB from 1 to 1000, or none. */
function pitrSizesProblem(value: string): string | undefined {
    if (value === "none") return undefined;
    const sizes = value.split(",");
    return sizes.every((v) => /^\d+$/.test(v) && +v >= 1 && +v <= 1000)
        ? undefined
        : "whole numbers of MB from 1 to 1000, separated by commas, or none";
}

/** The command line, read by commandLine and explained by --help (test/scriptsHelp.servers.test.ts reads it too). */
export const COMMAND_LINE = {
    summary: "measure each stack's deploy under mocks, and point-in-time recovery's RPO and RTO",
    details: [
        "For each stack: the program's evaluation time, its resource count, which containers typical changes " +
            "replace (a second up with no change, an app version bump, a domain change, ...), peak memory against " +
            "the droplet's budget, the monthly price, and the critical path of a first deploy. It ends with each " +
            "target met or missed; evaluation time is information, shown against a budget per resource and never " +
            "counted, as it depends on the machine and its load. Progress goes to stderr.",
        "Then point-in-time recovery, for real, on this machine's Debian PostgreSQL with the project's rendered " +
            "scripts, once per size of readings (--pitr-sizes), each in a new throwaway cluster on 127.0.0.1: the " +
            "readings loaded, a base backup, a row written every 100 ms, the server killed with SIGKILL. RPO: after " +
            "a restore to the latest point swapped into the live server, the rows lost of those written and the " +
            "time they cover; the target is at most 5 s, and a miss counts as the other targets do. RTO: the time " +
            "of freshtrack-pitr-restore --latest (replay, check, dump), of the swap with freshtrack-restore, and " +
            "their total, beside the database's size (pg_database_size). On the first size, a restore to a time " +
            "50 ms after a row was written, and how many ms before that time it stopped.",
        "It needs root, Debian's postgresql, gosu, setpriv and runuser (README's servers suite row; .ci/run " +
            "installs them); without them it prints one line saying what is missing, and the exit code does not " +
            "change.",
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
        "pitr-sizes": {
            type: "string",
            value: "MB,MB",
            description:
                "The sizes of readings, in MB, to measure point-in-time recovery at, one lab each (about half a " +
                "minute for 100 MB on two cores), or `none` to skip it. Default: 10,100.",
            check: pitrSizesProblem,
        },
        "pitr-limits": {
            type: "boolean",
            description:
                "Run each restore and its swap as tight as the backup container runs them: in a control group of " +
                "their own with its memory limit and CPU quota (components/catalog/app/backup.ts), as Docker " +
                "confines a container. Needs root and a writable cgroup hierarchy; the RTO then says so.",
        },
    },
    exitCodes: [
        ["0", "every blast-radius, memory and RPO target met (or point-in-time recovery not measurable here)"],
        ["1", "a blast-radius, memory or RPO target missed"],
        [
            "2",
            "a usage error, an unknown stack, an invalid stack config (every stack is checked before any is measured), a point-in-time recovery lab or restore that failed, or an unexpected failure",
        ],
    ],
    examples: [
        { command: "npm run bench", what: "Measure every stack, 7 runs each, then point-in-time recovery." },
        { command: "npm run -s bench -- --runs 3 --json prod > bench.json", what: "prod only, as JSON, 3 runs." },
        { command: "npm run bench -- --pitr-sizes 10,50,200", what: "Point-in-time recovery at three sizes." },
        { command: "npm run bench -- --pitr-sizes none dev", what: "dev under mocks only, no PostgreSQL lab." },
        {
            command: "npm run bench -- --pitr-sizes 100,500 --pitr-limits dev",
            what: "RTO at two sizes under the backup container's limits.",
        },
    ],
} satisfies CommandLineSpec;

/** The parsed arguments, or the exit code after the message was printed. */
function parseArguments(argv: readonly string[]): Args | { exitCode: number } {
    const line = commandLine("bench", argv, COMMAND_LINE);
    if ("exitCode" in line) return line;
    // The spec's check refused any other --runs.
    const runs = line.values.runs === undefined ? 7 : Number(line.values.runs);
    const sizes = line.values["pitr-sizes"];
    const pitrSizes =
        sizes === undefined ? DEFAULT_PITR_SIZES_MB : sizes === "none" ? [] : sizes.split(",").map(Number);
    const stacks = line.stacks.length > 0 ? line.stacks : shippedStacks();
    return {
        json: line.values.json ?? false,
        runs,
        stacks,
        pitrSizes,
        pitrLimits: line.values["pitr-limits"] ?? false,
    };
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
    if (!args.json) {
        console.log(renderBench(results));
        console.log(`\n${verdict.line}`);
    }
    let pitr: PitrOutcome = { notMeasured: "--pitr-sizes none" };
    try {
        if (args.pitrSizes.length > 0)
            pitr = await measurePitr(args.pitrSizes, (line) => console.error(`bench: ${line}`), {
                limits: args.pitrLimits ? SERVICES.backup.limits : undefined,
            });
    } catch (err) {
        // No figures, but a failure: the lab or the rendered scripts did not work here.
        console.error(
            `bench: point-in-time recovery could not be measured: ${err instanceof Error ? err.message : String(err)}`,
        );
        return 2;
    }
    const pitrResult = pitrVerdict(pitr);
    if (args.json) {
        const pitrJson = "measured" in pitr ? { ...pitr.measured, targets: pitrTargets(pitr.measured) } : pitr;
        const report = { measuredAt: new Date().toISOString(), node: process.version, stacks: results, pitr: pitrJson };
        console.log(JSON.stringify(report, null, 2));
    } else {
        console.log(`\n${renderPitr(pitr)}`);
        if (pitrResult.line) console.log(`\n${pitrResult.line}`);
    }
    return Math.max(verdict.exitCode, pitrResult.exitCode);
}

if (require.main === module) runCli("bench", main);
