/**
 * The command line of every npm script, read with Node's `util.parseArgs` from one spec per script, which is also where
 * its help comes from: `--help` (or `-h`) prints what the script does, each argument and option with its description,
 * the exit codes and examples, then exits 0 having done nothing else. An unknown option, a missing option value, a
 * value its check refuses, an extra argument or a missing stack each fail with one line naming it (and the nearest
 * known name), then the usage, exit 2; a stack without a Pulumi.<stack>.yaml fails with that line alone, which names
 * the stacks there are. A script declares its spec `satisfies CommandLineSpec`, so the option values it reads are
 * typed from that spec: a misspelt option name does not compile.
 */
import { parseArgs } from "util";
import { closestMatch } from "../../components/validation";
import { shippedStacks, unknownStack } from "./stackFiles";

/** The widest line of the help, in columns: it reads in half of a split terminal. */
export const HELP_WIDTH = 100;

/** An option that is set or not. */
export interface BooleanOption {
    readonly type: "boolean";
    /** What the option changes, for --help: whole sentences. */
    readonly description: string;
}

/** An option that takes a value. */
export interface StringOption {
    readonly type: "string";
    /** The value's name in the usage and the help: `<version>`, `N`. */
    readonly value: string;
    /** What the option does with its value, and its default: whole sentences. */
    readonly description: string;
    /** What the value should be when it is refused (an expectation: "a whole number from 1 to 100"). */
    readonly check?: (value: string) => string | undefined;
}

export type OptionSpec = BooleanOption | StringOption;

/** A script's options by name. A spec written `satisfies CommandLineSpec` keeps its names, so its values are typed. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The options of a spec that declares none: its command line has no value to read. */
export type NoOptions = Readonly<Record<never, OptionSpec>>;

/**
 * What an option gives the script: a string option its value, a boolean one `true`; absent when not given. In strict
 * mode parseArgs refuses a string option without a value and a boolean one with a value, so nothing else arrives
 * (@types/node 20.19.43 util.d.ts:1527-1531, ExtractOptionValue with `strict` true; parseCommandLine turns the refusal
 * into one line). Distributes over a union, so a spec typed only as CommandLineSpec reads `string | boolean`.
 */
export type OptionValue<O extends OptionSpec> = O extends StringOption ? string : boolean;

/**
 * The values of a command line, one per declared option and no other: reading an option the spec does not declare
 * (rollback's `values.too` for `to`) does not compile, where a plain record let the script ignore the option silently.
 */
export type OptionValues<O extends OptionSpecs> = { readonly [K in keyof O]?: OptionValue<O[K]> };

/** A positional argument, or an argument a task passes on to the program it runs. */
export interface ArgumentSpec {
    /** As the help shows it: `backup`, `--grep <pattern>`. */
    readonly name: string;
    readonly description: string;
}

/** The stack argument: one stack, or any number of them (none meaning every one). */
export interface StackArgument {
    readonly many?: true;
    /** What the script does with the stack; the help adds the stacks there are. */
    readonly description: string;
}

/** A command line the help shows, and what it does. Its arguments must parse with the same spec. */
export interface Example {
    /** The whole command as typed: `npm run restore -- prod --yes`. */
    readonly command: string;
    readonly what: string;
}

export interface CommandLineSpec<O extends OptionSpecs = OptionSpecs> {
    /** What the script does, in one line of the help. */
    readonly summary: string;
    /** Paragraphs on how it does it, after the usage. */
    readonly details?: readonly string[];
    /** The stack(s) it takes first; without it the script takes no stack. */
    readonly stack?: StackArgument;
    /** Optional arguments after the stack (restore's backup), in order. */
    readonly arguments?: readonly ArgumentSpec[];
    readonly options?: O;
    /** The commands a task runs, in order, as the help shows them. */
    readonly runs?: readonly string[];
    /** Everything but --help goes, unread, to this program (a task's tool); the useful arguments are listed. */
    readonly passOn?: { readonly program: string; readonly useful: readonly ArgumentSpec[] };
    /** Each exit code (or range, "1-255") and what it means. */
    readonly exitCodes: ReadonlyArray<readonly [code: string, meaning: string]>;
    readonly examples: readonly [Example, ...Example[]];
}

export interface CommandLine<O extends OptionSpecs = OptionSpecs> {
    /** The stacks named: exactly one unless the spec takes many, none when it takes none. */
    readonly stacks: string[];
    readonly values: OptionValues<O>;
    /** The arguments after the stack, or everything to pass on. */
    readonly extra: string[];
}

export type ParsedCommandLine<O extends OptionSpecs = OptionSpecs> =
    | { readonly kind: "help" }
    | { readonly kind: "line"; readonly line: CommandLine<O> }
    /** `usage`: the problem is with the command line's shape, so the usage follows it. */
    | { readonly kind: "problem"; readonly problem: string; readonly usage: boolean };

/** How the operator types the script: npm has a command of its own for `test`. */
export function npmCommand(script: string): string {
    return script === "test" ? "npm test" : `npm run ${script}`;
}

/** Why parseArgs refused the command line, as one short phrase. */
function parseProblem(err: unknown, options: readonly string[]): string {
    const e = err as { code?: string; message?: string };
    const named = /'(-{1,2}[^' ]+)/.exec(e.message ?? "")?.[1];
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && named) {
        const near = closestMatch(named.replace(/^-+/, ""), [...options, "help"]);
        return `unknown option ${named}${near ? `; did you mean --${near}?` : ""}`;
    }
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && named) {
        return /does not take an argument/.test(e.message ?? "")
            ? `option ${named} takes no value`
            : `option ${named} needs a value`;
    }
    return (e.message ?? String(err)).split(". ")[0]!;
}

/**
 * Reads a command line against its spec, printing nothing. `placeholder` says which words stand for a value
 * (`<stack>`, `N` in a doc's synopsis): a placeholder stack is not looked up, a placeholder value not checked.
 * A spec without options (no candidate for O) reads as NoOptions, not as any option at all.
 */
export function parseCommandLine<O extends OptionSpecs = NoOptions>(
    spec: CommandLineSpec<O>,
    argv: readonly string[],
    placeholder: (word: string) => boolean = () => false,
): ParsedCommandLine<O> {
    if (argv.includes("--help") || argv.includes("-h")) return { kind: "help" };
    const shape = (problem: string) => ({ kind: "problem", problem, usage: true }) as const;
    if (spec.passOn) return { kind: "line", line: { stacks: [], values: {}, extra: [...argv] } };
    const options: OptionSpecs = spec.options ?? {};
    let parsed: { values: Record<string, unknown>; positionals: string[] };
    try {
        const config = Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type }]));
        parsed = parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: true });
    } catch (err) {
        return shape(parseProblem(err, Object.keys(options)));
    }
    for (const [name, option] of Object.entries(options)) {
        const value = parsed.values[name];
        const checked = option.type === "string" && typeof value === "string" && !placeholder(value);
        const problem = checked ? option.check?.(value) : undefined;
        if (problem) return shape(`--${name} = ${value}: expected ${problem}`);
    }
    const many = spec.stack?.many === true;
    const taken = spec.stack === undefined ? 0 : many ? parsed.positionals.length : 1;
    const stacks = parsed.positionals.slice(0, taken);
    const extra = parsed.positionals.slice(taken);
    if (spec.stack && !many && stacks.length === 0) return shape("missing <stack>, the stack to act on");
    const allowed = spec.arguments?.length ?? 0;
    if (extra.length > allowed) return shape(`unexpected argument '${extra[allowed]}'`);
    for (const stack of stacks.filter((s) => !placeholder(s))) {
        const problem = unknownStack(stack);
        // A wrong stack name is the whole story; the usage would only bury the suggestion.
        if (problem) return { kind: "problem", problem, usage: false };
    }
    // parseArgs was given exactly the spec's options, in strict mode: OptionValue says what each holds, and why.
    return { kind: "line", line: { stacks, values: parsed.values as OptionValues<O>, extra } };
}

/** What follows the script's name: `-- <stack> [backup] [--yes]`, in brackets when nothing is required. */
export function synopsis(spec: CommandLineSpec): string {
    const words: string[] = [];
    if (spec.stack) words.push(spec.stack.many ? "[<stack> ...]" : "<stack>");
    for (const a of spec.arguments ?? []) words.push(`[${a.name}]`);
    for (const [name, o] of Object.entries(spec.options ?? {}))
        words.push(o.type === "string" ? `[--${name} ${o.value}]` : `[--${name}]`);
    if (spec.passOn) words.push(`<${spec.passOn.program} arguments>`);
    if (words.length === 0) return "";
    return spec.stack && !spec.stack.many ? `-- ${words.join(" ")}` : `[-- ${words.join(" ")}]`;
}

/** The usage printed after a problem: the synopsis, the stacks, and where the rest is. */
export function usageText(script: string, spec: CommandLineSpec): string {
    const command = npmCommand(script);
    return [
        `usage: ${`${command} ${synopsis(spec)}`.trim()}`,
        ...(spec.stack ? [`  stacks: ${shippedStacks().join(", ")}`] : []),
        `  ${command} -- --help explains each argument and option`,
    ].join("\n");
}

/** `text` in lines of at most `width` columns, each starting with `indent`; a `code span` is never broken. */
function wrap(text: string, indent: string, width = HELP_WIDTH): string[] {
    const lines: string[] = [];
    let line = "";
    for (const word of text.match(/(?:[^\s`]*`[^`]*`)+[^\s`]*|\S+/g) ?? []) {
        if (line && indent.length + line.length + 1 + word.length > width) {
            lines.push(indent + line);
            line = word;
        } else line = line ? `${line} ${word}` : word;
    }
    return [...lines, indent + line];
}

/** Terms and their descriptions, the descriptions in one column (or under a term too wide for it). */
function table(rows: ReadonlyArray<readonly [term: string, description: string]>): string[] {
    const column = Math.min(Math.max(...rows.map(([t]) => t.length)) + 4, 26);
    return rows.flatMap(([term, description]) => {
        const indent = " ".repeat(column);
        const body = wrap(description, indent);
        const head = `  ${term}`;
        if (head.length + 2 > column) return [head, ...body];
        return [head.padEnd(column) + body[0]!.slice(column), ...body.slice(1)];
    });
}

/** The help --help prints: summary, usage, details, arguments, options, exit codes, examples. */
export function helpText(script: string, spec: CommandLineSpec): string {
    const command = npmCommand(script);
    const section = (title: string, lines: readonly string[]) => (lines.length ? ["", `${title}:`, ...lines] : []);
    const positionals: Array<readonly [string, string]> = [];
    if (spec.stack)
        positionals.push([
            spec.stack.many ? "[<stack> ...]" : "<stack>",
            `${spec.stack.description} The stacks are those with a Pulumi.<stack>.yaml: ${shippedStacks().join(", ")}.`,
        ]);
    for (const a of spec.arguments ?? []) positionals.push([`[${a.name}]`, a.description]);
    const options = Object.entries(spec.options ?? {}).map(
        ([name, o]) => [o.type === "string" ? `--${name} ${o.value}` : `--${name}`, o.description] as const,
    );
    options.push(["-h, --help", "Print this help and exit 0, doing nothing else."]);
    return [
        ...wrap(`${command}: ${spec.summary}`, ""),
        "",
        `usage: ${`${command} ${synopsis(spec)}`.trim()}`,
        ...(spec.details ?? []).flatMap((p) => ["", ...wrap(p, "")]),
        ...section(
            "runs, in order (the first that fails ends it)",
            (spec.runs ?? []).flatMap((run) => {
                const [first, ...rest] = wrap(run, "      ");
                return [`  ${first!.trimStart()}`, ...rest];
            }),
        ),
        ...section("arguments", table(positionals)),
        ...(spec.passOn
            ? section(
                  `arguments passed on to ${spec.passOn.program} (any of its own; these are the useful ones)`,
                  table(spec.passOn.useful.map((a) => [a.name, a.description])),
              )
            : []),
        ...section("options", table(options)),
        ...section("exit codes", table(spec.exitCodes)),
        ...section(
            "examples",
            spec.examples.flatMap((e) => [...wrap(e.what, "  # "), `  ${e.command}`]),
        ),
    ].join("\n");
}

/** The parsed command line, or the exit code to stop with after the help or the problem was printed. */
export function commandLine<O extends OptionSpecs = NoOptions>(
    script: string,
    argv: readonly string[],
    spec: CommandLineSpec<O>,
): CommandLine<O> | { exitCode: number } {
    const parsed = parseCommandLine(spec, argv);
    if (parsed.kind === "line") return parsed.line;
    if (parsed.kind === "help") {
        console.log(helpText(script, spec));
        return { exitCode: 0 };
    }
    const usage = usageText(script, spec);
    if (!parsed.usage) console.error(`${script}: ${parsed.problem}`);
    else console.error(`${script}: ${parsed.problem}\n${usage}`);
    return { exitCode: 2 };
}

/** A placeholder a command line shows for a value: `<stack>`, `<mocha arguments>`. */
const PLACEHOLDER = /^<[A-Za-z][\w. -]*>/;

/**
 * The words of a shell command line, as the shell splits them (quotes and backslashes taken off), up to the first
 * operator, redirection or comment: `npm run plan -- prod && ...` ends at `&&`. A `<placeholder>` is a word, as a
 * command line written in a doc means it, not a redirection.
 */
export function shellWords(text: string): string[] {
    const words: string[] = [];
    let word: string | undefined;
    let quote: string | undefined;
    for (let i = 0; i < text.length; i++) {
        const c = text[i]!;
        if (quote !== undefined) {
            if (c === quote) quote = undefined;
            else word = (word ?? "") + (c === "\\" && quote === '"' && i + 1 < text.length ? text[++i]! : c);
        } else if (/\s/.test(c)) {
            if (word !== undefined) words.push(word);
            word = undefined;
        } else if (c === "<" && PLACEHOLDER.test(text.slice(i))) {
            const placeholder = PLACEHOLDER.exec(text.slice(i))![0];
            word = (word ?? "") + placeholder;
            i += placeholder.length - 1;
        } else if (/[|;&<>()]/.test(c) || (c === "#" && word === undefined)) {
            // A redirection's file descriptor (`2>`) is no word of the command.
            if (word !== undefined && !/^\d+$/.test(word)) words.push(word);
            return words;
        } else if (c === "'" || c === '"') {
            quote = c;
            word ??= "";
        } else word = (word ?? "") + (c === "\\" && i + 1 < text.length ? text[++i]! : c);
    }
    if (word !== undefined) words.push(word);
    return words;
}

/**
 * The script an npm command line runs and the arguments npm hands it: `npm run [<npm flags>] <script> [-- <args>]`,
 * `npm test [-- <args>]`; undefined for any other command. npm's own flags (`-s`) before the script are not its.
 */
export function npmScriptArgs(command: string): { script: string; args: string[] } | undefined {
    const words = shellWords(command);
    if (words[0] !== "npm") return undefined;
    let i = 1;
    let script: string | undefined;
    if (["test", "t", "tst"].includes(words[1] ?? "")) [script, i] = ["test", 2];
    else if (["run", "run-script"].includes(words[1] ?? "")) {
        for (i = 2; words[i]?.startsWith("-") && words[i] !== "--"; i++);
        script = words[i++];
    }
    if (script === undefined) return undefined;
    const rest = words.slice(i);
    return { script, args: rest[0] === "--" ? rest.slice(1) : rest };
}
