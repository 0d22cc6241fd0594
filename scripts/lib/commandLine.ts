/**
 * The command line of every npm script, read with Node's `util.parseArgs`:
 * `--help` prints the usage and exits 0; an unknown option, a missing option
 * value, an extra argument or a stack without a Pulumi.<stack>.yaml each fail
 * with one line naming it (and the nearest known name), then the usage, exit 2.
 */
import { parseArgs, ParseArgsConfig } from "util";
import { closestMatch } from "../../components/validation";
import { shippedStacks, unknownStack } from "./stackFiles";

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface CommandLineSpec {
    /** What follows `npm run <script> --`, e.g. "<stack> [--show-secrets]". */
    readonly usage: string;
    readonly options?: Options;
    /** Positional arguments allowed after the stack (restore's backup name). */
    readonly extraPositionals?: number;
    /** Stack names given are checked against the shipped stacks; `many` allows several, or none for all. */
    readonly stacks?: "one" | "many";
}

export interface CommandLine {
    /** The stacks named: exactly one unless the spec says `many`. */
    readonly stacks: string[];
    readonly values: Record<string, string | boolean | undefined>;
    readonly extra: string[];
}

/** Why parseArgs refused the command line, as one short phrase. */
function parseProblem(err: unknown, options: Options): string {
    const e = err as { code?: string; message?: string };
    const named = /'(-{1,2}[^' ]+)/.exec(e.message ?? "")?.[1];
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && named) {
        const near = closestMatch(named.replace(/^-+/, ""), [...Object.keys(options), "help"]);
        return `unknown option ${named}${near ? `; did you mean --${near}?` : ""}`;
    }
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && named) {
        return /does not take an argument/.test(e.message ?? "")
            ? `option ${named} takes no value`
            : `option ${named} needs a value`;
    }
    return (e.message ?? String(err)).split(". ")[0]!;
}

/** The usage lines every script prints: the synopsis and the stacks it can name. */
export function usageText(script: string, synopsis: string): string {
    return `usage: npm run ${script} -- ${synopsis}\n  stacks: ${shippedStacks().join(", ")}`;
}

/** The parsed command line, or the exit code to stop with after the message was printed. */
export function commandLine(
    script: string,
    argv: readonly string[],
    spec: CommandLineSpec,
): CommandLine | { exitCode: number } {
    const usage = usageText(script, spec.usage);
    const options = spec.options ?? {};
    if (argv.includes("--help") || argv.includes("-h")) {
        console.log(usage);
        return { exitCode: 0 };
    }
    const fail = (problem?: string) => {
        console.error(problem ? `${script}: ${problem}\n${usage}` : usage);
        return { exitCode: 2 };
    };
    let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
    try {
        parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    } catch (err) {
        return fail(parseProblem(err, options));
    }
    const many = spec.stacks === "many";
    const stacks = many ? parsed.positionals : parsed.positionals.slice(0, 1);
    const extra = many ? [] : parsed.positionals.slice(1);
    if (!many && stacks.length === 0) return fail();
    const allowed = spec.extraPositionals ?? 0;
    if (extra.length > allowed) return fail(`unexpected argument '${extra[allowed]}'`);
    for (const stack of stacks) {
        const problem = unknownStack(stack);
        // A wrong stack name is the whole story; the usage would only bury the suggestion.
        if (problem) {
            console.error(`${script}: ${problem}`);
            return { exitCode: 2 };
        }
    }
    return { stacks, values: parsed.values as CommandLine["values"], extra };
}
