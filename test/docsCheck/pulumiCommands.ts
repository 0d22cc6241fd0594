/**
 * `pulumi ...` commands in the docs, checked against the CLI's own command tree (test/fixtures/pulumiCli.json, read
 * from the CLI's cobra definitions by test/docsCheck/pulumiCliFacts.ts): each names a subcommand that exists, passes
 * only flags that subcommand accepts (its own and its ancestors' persistent ones), gives a value to each flag that
 * needs one, and no more positional arguments than the command takes. It is read the way the CLI reads it:
 *
 * - the subcommand, as cobra's Command.Find does (spf13/cobra@v1.10.2 command.go:674-798): the first word that is
 *   not a flag or a flag's value names a child, or the path ends there;
 * - the flags, as pflag's parser does (spf13/pflag@v1.0.10 flag.go:980-1090, 1131-1160): `--name=value`, or
 *   `--name value` when the flag takes one; `-n`, `-nvalue`, `-n=value` and bool clusters such as `-yf`; `--` ends
 *   the flags;
 * - the positional arguments, as the command declares them (`Args:` or constrictor.AttachArguments); a command with
 *   subcommands that is given more than it takes fails with "unknown command" (cobra args.go:28-39, and
 *   pkg/cmd/pulumi/rattler/rattler.go at v3.259.0).
 *
 * `<placeholder>` words stand for one argument. Checked at every version in the fixture: the oldest the project
 * supports and the newest read.
 */
import type { CliCommand, CliFlag, CliVersion, PulumiCliFixture } from "./pulumiCli";
import { pageCommands } from "./commandWords";

/** One `pulumi ...` command of a page. */
export interface Invocation {
    /** The words, `pulumi` first, assignments and wrappers before it left out. */
    readonly words: readonly string[];
    readonly line: number;
    /**
     * In a code block: a whole command to run. A code span in prose may name a command and leave its arguments to the
     * sentence ("set it with `pulumi config set --secret`, for each key"), so its missing arguments are not counted;
     * a flag without its value is, as the CLI would refuse it whatever the sentence says.
     */
    readonly complete: boolean;
}

/** One command a page gives that the CLI would refuse. */
export interface PulumiCommandProblem {
    readonly file: string;
    readonly line: number;
    readonly kind: "pulumi";
    readonly message: string;
}

/**
 * Every `pulumi ...` command of a page (commandWords.ts, pageCommands): in its code blocks and code spans, after `&&`,
 * `;`, `|`, `then` or `do`, behind `time`, `env`, `nice` or `sudo`, inside `$( ... )`, `sh -c '...'` or a command run
 * on a host, with any `NAME=value` words before it left out.
 */
export function pulumiInvocations(md: string): Invocation[] {
    return pageCommands(md)
        .filter((c) => c.words[0] === "pulumi" && c.words.length > 1)
        .map((c) => ({ words: c.words, line: c.line, complete: c.inBlock }))
        .sort((a, b) => a.line - b.line);
}

/** Looks a command up by its path (`pulumi stack output`); undefined when the tree has no facts for it. */
export type CommandLookup = (path: string) => CliCommand | undefined;

/** A version's commands by path. */
export function lookupIn(version: CliVersion): CommandLookup {
    const byPath = new Map(version.commands.map((c) => [["pulumi", ...c.path].join(" "), c]));
    return (p) => byPath.get(p);
}

/** The flags a command accepts: its own, then each ancestor's persistent ones, then cobra's; the nearest wins. */
export function effectiveFlags(
    commandPath: string,
    lookup: CommandLookup,
    implicit?: CliVersion["implicitFlags"],
): Map<string, CliFlag> {
    const out = new Map<string, CliFlag>();
    const add = (f: CliFlag) => {
        const known = out.get(f.name);
        // A flag registered twice under different conditions: the one that is always there counts.
        if (!known || (known.when !== undefined && f.when === undefined)) out.set(f.name, f);
    };
    const words = commandPath.split(" ");
    for (let n = words.length; n > 0; n--) {
        const command = lookup(words.slice(0, n).join(" "));
        const own = n === words.length;
        const seen = new Set(out.keys());
        for (const f of command?.flags ?? []) if ((own || f.persistent) && !seen.has(f.name)) add(f);
    }
    for (const f of implicit?.everyCommand ?? []) if (!out.has(f.name)) out.set(f.name, f);
    if (words.length === 1) for (const f of implicit?.root ?? []) if (!out.has(f.name)) out.set(f.name, f);
    return out;
}

const isFlagWord = (w: string) => w.length > 1 && w.startsWith("-") && !/^-\d/.test(w);

/** cobra's stripFlags: the words that are no flag and no flag's value, for finding the subcommand. */
function nonFlagWords(args: readonly string[], flags: Map<string, CliFlag>): Array<{ word: string; index: number }> {
    const byShort = new Map([...flags.values()].filter((f) => f.short).map((f) => [f.short!, f]));
    const out: Array<{ word: string; index: number }> = [];
    for (let i = 0; i < args.length; i++) {
        const s = args[i]!;
        if (s === "--") break;
        if (s.startsWith("--") && !s.includes("=")) {
            if (flags.get(s.slice(2))?.value === "required" || !flags.has(s.slice(2))) i++;
        } else if (s.startsWith("-") && s.length === 2 && s !== "--") {
            if (byShort.get(s[1]!)?.value === "required" || !byShort.has(s[1]!)) i++;
        } else if (s !== "" && !s.startsWith("-")) {
            out.push({ word: s, index: i });
        }
    }
    return out;
}

/** The command a line names, as cobra finds it, and the words left for it to parse. */
export function commandPaths(
    words: readonly string[],
    lookup: CommandLookup,
): { path: string; rest: string[]; unread?: string } {
    let current = "pulumi";
    let rest = words.slice(1);
    for (;;) {
        const command = lookup(current);
        if (!command) return { path: current, rest };
        const next = nonFlagWords(rest, effectiveFlags(current, lookup))[0];
        if (!next) return { path: current, rest };
        const child = command.children.find((c) => c.name === next.word || c.aliases.includes(next.word));
        if (!child) return { path: current, rest };
        const childPath = `${current} ${child.name}`;
        if (!lookup(childPath)) return { path: current, rest, unread: childPath };
        rest = [...rest.slice(0, next.index), ...rest.slice(next.index + 1)];
        current = childPath;
    }
}

function distance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diagonal = row[0]!;
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = row[j]!;
            row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
            diagonal = above;
        }
    }
    return row[b.length]!;
}

function suggest(word: string, candidates: Iterable<string>, prefix = ""): string {
    const close = [...candidates]
        .filter((c) => distance(word, c) <= 2)
        .sort((x, y) => distance(word, x) - distance(word, y));
    return close.length > 0 ? ` (did you mean ${close.map((c) => `${prefix}${c}`).join(" or ")}?)` : "";
}

/** Why the CLI at one version would refuse a command, or would do something else than it says; [] when it runs. */
export function commandProblems(words: readonly string[], version: CliVersion, complete = true): string[] {
    const lookup = lookupIn(version);
    const problems: string[] = [];
    const found = commandPaths(words, lookup);
    if (found.unread) {
        return [
            `test/fixtures/pulumiCli.json has no flags for \`${found.unread}\` at ${version.tag}: re-run test/docsCheck/pulumiCliFacts.ts`,
        ];
    }
    const command = lookup(found.path)!;
    // Each word of the path: hidden, deprecated or conditional subcommands are no interface for a reader.
    const pathWords = found.path.split(" ");
    for (let n = 2; n <= pathWords.length; n++) {
        const parent = lookup(pathWords.slice(0, n - 1).join(" "))!;
        const child = parent.children.find((c) => c.name === pathWords[n - 1])!;
        const label = `\`${pathWords.slice(0, n).join(" ")}\``;
        if (child.deprecated) problems.push(`${label} is deprecated: ${child.deprecated}`);
        if (child.hidden) problems.push(`${label} is a hidden command`);
        if (child.when) problems.push(`${label} exists only when ${child.when}`);
    }
    const flags = effectiveFlags(found.path, lookup, version.implicitFlags);
    const byShort = new Map([...flags.values()].filter((f) => f.short).map((f) => [f.short!, f]));
    const positional: string[] = [];
    const used = new Set<string>();
    const flagUse = (f: CliFlag, as: string) => {
        used.add(f.name);
        if (f.deprecated) problems.push(`${as} is deprecated: ${f.deprecated}`);
        if (f.hidden) problems.push(`${as} is a hidden flag of \`${found.path}\``);
        if (f.when) problems.push(`${as} exists only when ${f.when}`);
    };
    const needsValue = (as: string, next: string | undefined): void => {
        if (next === undefined) problems.push(`${as} needs a value`);
        else if (isFlagWord(next)) problems.push(`${as} needs a value, but the next word is ${next}`);
    };
    const rest = found.rest;
    for (let i = 0; i < rest.length; i++) {
        const s = rest[i]!;
        if (s === "--") {
            positional.push(...rest.slice(i + 1));
            break;
        }
        if (s.startsWith("--") && s.length > 2) {
            const [name, ...value] = s.slice(2).split("=");
            const f = flags.get(name!);
            if (!f) {
                problems.push(`\`${found.path}\` has no flag --${name}${suggest(name!, flags.keys(), "--")}`);
                continue;
            }
            flagUse(f, `--${name}`);
            if (value.length === 0 && f.value === "required") {
                needsValue(`--${name}`, rest[i + 1]);
                i++;
            }
        } else if (isFlagWord(s)) {
            const cluster = s.slice(1);
            for (let j = 0; j < cluster.length; j++) {
                const f = byShort.get(cluster[j]!);
                if (!f) {
                    problems.push(`\`${found.path}\` has no flag -${cluster[j]} (in ${s})`);
                    break;
                }
                flagUse(f, `-${f.short} (--${f.name})`);
                if (cluster[j + 1] === "=") break;
                if (f.value === "required") {
                    if (j + 1 === cluster.length) {
                        needsValue(`-${f.short} (--${f.name})`, rest[i + 1]);
                        i++;
                    }
                    break;
                }
            }
        } else if (s !== "...") {
            positional.push(s);
        }
    }
    for (const f of flags.values()) {
        if (f.required && !used.has(f.name)) problems.push(`\`${found.path}\` needs --${f.name}`);
    }
    const declared = command.args;
    const max = declared.length === 0 ? (command.children.length > 0 ? 0 : null) : maxOf(declared.map((a) => a.max));
    const min = declared.length === 0 ? 0 : Math.min(...declared.map((a) => a.min));
    if (max !== null && positional.length > max) {
        if (command.children.length > 0) {
            const word = positional[max]!;
            const names = command.children.flatMap((c) => [c.name, ...c.aliases]);
            problems.push(`\`${found.path}\` has no subcommand '${word}'${suggest(word, names)}`);
        } else {
            problems.push(
                `\`${found.path}\` takes at most ${max} argument${max === 1 ? "" : "s"}, and is given ${positional.length}: ${positional.join(" ")}`,
            );
        }
    } else if (complete && positional.length < min) {
        problems.push(`\`${found.path}\` needs at least ${min} argument${min === 1 ? "" : "s"}`);
    }
    return problems;
}

function maxOf(values: ReadonlyArray<number | null>): number | null {
    return values.some((v) => v === null) ? null : Math.max(...(values as number[]));
}

/** Every `pulumi ...` command of a page that some version of the fixture would refuse. */
export function checkPulumiCommands(md: string, file: string, cli: PulumiCliFixture): PulumiCommandProblem[] {
    const problems: PulumiCommandProblem[] = [];
    for (const inv of pulumiInvocations(md)) {
        const byMessage = new Map<string, string[]>();
        for (const version of cli.versions) {
            for (const message of commandProblems(inv.words, version, inv.complete)) {
                byMessage.set(message, [...(byMessage.get(message) ?? []), version.tag]);
            }
        }
        for (const [message, tags] of byMessage) {
            const at = tags.length === cli.versions.length ? "" : ` (at ${tags.join(", ")})`;
            problems.push({
                file,
                line: inv.line,
                kind: "pulumi",
                message: `\`${inv.words.join(" ")}\`: ${message}${at}`,
            });
        }
    }
    return problems;
}
