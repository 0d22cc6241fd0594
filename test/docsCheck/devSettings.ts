/**
 * Where the docs' commands use the dev stack's settings (issue 17, friction 2), for test/docsDevSettings.test.ts: which
 * stack a `pulumi` command runs on (the one it names, PULUMI_STACK, or the one selected before it), which npm scripts
 * reach the dev stack through the Pulumi CLI, and the check of a run of commands read by the docs' shared reader
 * (commandWords.ts). Which scripts go through the CLI is read from their source by the test, and handed in.
 */
import * as fs from "fs";
import { npmScriptArgs } from "../../scripts/lib/commandLine";
import { inheritedShells, PageCommand, RunCommand } from "./commandWords";
import type { PulumiCliFixture } from "./pulumiCli";
import { FIXTURE } from "./pulumiCliFacts";
import { commandPaths, effectiveFlags, lookupIn } from "./pulumiCommands";

export const DEV_SETTINGS = ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"] as const;

/** The Pulumi CLI's commands and flags at the oldest version the project supports and the newest read. */
const CLI = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as PulumiCliFixture;

/**
 * `pulumi stack` subcommands, by name or alias at either version, that take a stack as their argument and select it:
 * `select` (pulumi v3.259.0 pkg/cmd/pulumi/stack/stack_select.go:94, 104, 125), `init` unless --no-select (v3.186.0
 * stack_init.go:86, 186-187), which v3.259.0 names `new` with the aliases `init`, `create` and `setup`
 * (stack_new.go:44-45, 97, 208).
 */
const SELECTING = new Set(["select", "init", "new", "create", "setup"]);
/**
 * Subcommands that leave no stack selected: `rm` after removing any stack (v3.259.0 stack_remove.go:47-48, 123;
 * v3.186.0 stack_rm.go:46, 123), and `unselect` (v3.259.0 stack_unselect.go:34, 62).
 */
const UNSELECTING = new Set(["rm", "remove", "delete", "unselect"]);
/**
 * Subcommands of `pulumi stack` that inherit its --stack (v3.259.0 stack.go:106-107) but run on no stack: `ls` reads
 * the selected one only to mark it in the list (v3.259.0 stack_list.go:66-67, 178; v3.186.0 stack_ls.go:52, 158), and
 * `unselect` only forgets it.
 */
const ON_NO_STACK = new Set(["ls", "list", "unselect"]);
/** Flags of `pulumi stack init|new` that take a value; the fixture has no facts for these subcommands. */
const STACK_FLAGS_WITH_VALUE = new Set(["--secrets-provider", "--copy-config-from", "--teams"]);

/**
 * The stack of a name as the backends read it, `[<org>/[<project>/]]<stack>`: its last segment (pulumi v3.259.0
 * pkg/backend/diy/store.go:138-163; the cloud backend's reading, httpstate/backend.go:1107-1142, takes the same forms).
 */
export const stackPart = (name: string): string => name.slice(name.lastIndexOf("/") + 1);

/** What a `pulumi` command does with stacks. */
export interface PulumiStackUse {
    /** The stack it names (its last segment): --stack/-s, or the argument of `pulumi stack select|init|rm`. */
    readonly named?: string;
    /**
     * It runs on a stack, the one named or else the selected one: it accepts --stack at some version, the flag the
     * CLI gives every command that runs on one (test/fixtures/pulumiCli.json; for a command the fixture has no facts
     * for, its nearest ancestor's, so `pulumi stack <anything>` counts).
     */
    readonly onStack: boolean;
    /** The stack it leaves selected: a name, null for none (or one the reader picks at a prompt), else undefined. */
    readonly selects?: string | null;
}

export function pulumiStackUse(words: readonly string[]): PulumiStackUse {
    let flag: string | undefined;
    for (let i = 1; i < words.length && flag === undefined; i++) {
        const w = words[i]!;
        if (w === "--") break;
        if (w === "--stack" || w === "-s") flag = words[i + 1];
        else flag = /^(?:--stack=|-s=?)(.+)$/.exec(w)?.[1];
    }
    let onStack = false;
    let sub: string | undefined;
    let argument: string | undefined;
    for (const version of CLI.versions) {
        const lookup = lookupIn(version);
        const found = commandPaths(words, lookup);
        const flags = effectiveFlags(found.path, lookup);
        if (flags.has("stack")) onStack = true;
        const path = (found.unread ?? found.path).split(" ");
        if (path[1] !== "stack" || path.length !== 3 || sub !== undefined) continue;
        sub = path[2]!;
        if (!SELECTING.has(sub) && !UNSELECTING.has(sub)) continue;
        const takesValue = (w: string) =>
            STACK_FLAGS_WITH_VALUE.has(w) ||
            (/^--[^=]+$/.test(w) && flags.get(w.slice(2))?.value === "required") ||
            (/^-\w$/.test(w) && [...flags.values()].some((f) => f.short === w[1] && f.value === "required"));
        // The words that are no flag and no flag's value; an unread subcommand's own word is still the first of them.
        const operands: string[] = [];
        for (let i = 0; i < found.rest.length; i++) {
            if (takesValue(found.rest[i]!)) i++;
            else if (!found.rest[i]!.startsWith("-")) operands.push(found.rest[i]!);
        }
        argument = operands[found.unread ? 1 : 0];
    }
    if (sub !== undefined && ON_NO_STACK.has(sub)) onStack = false;
    const name = flag ?? argument;
    const named = name === undefined ? undefined : stackPart(name);
    let selects: string | null | undefined;
    if (sub !== undefined && SELECTING.has(sub) && !words.includes("--no-select")) selects = named ?? null;
    if (sub !== undefined && UNSELECTING.has(sub)) selects = null;
    return { onStack, ...(named !== undefined ? { named } : {}), ...(selects !== undefined ? { selects } : {}) };
}

/** Why a command reaches the dev stack, or undefined when it does not. */
export function devStackUse(words: readonly string[], scripts: ReadonlySet<string>): string | undefined {
    const run =
        words[0] === "npm" ? npmScriptArgs(words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(" ")) : undefined;
    // Each of these scripts takes the stack as an argument word; no other argument of theirs is a stack name.
    if (run && scripts.has(run.script) && run.args.includes("dev"))
        return `reads the dev stack through the Pulumi CLI (npm run ${run.script}: scripts/lib/workspace.ts)`;
    return undefined;
}

/**
 * What is wrong with a run of commands' use of the dev settings, one phrase each, with its line. An assignment alone
 * counts in a code block only: a code span holding one quotes a value in a sentence (`PULUMI_CONFIG_PASSPHRASE=` is
 * what `env` prints).
 *
 * The stack a `pulumi` command runs on is the one it names, else PULUMI_STACK's, else the one selected: the CLI reads
 * them in that order (pulumi v3.259.0 pkg/cmd/pulumi/stack/io.go:123-128 and pkg/backend/state/stacks.go:77-83;
 * v3.186.0 stacks.go:49-53). The selection is kept in a file of the project's workspace, not in the shell
 * (stacks.go:123-139 at v3.259.0, 85-94 at v3.186.0), so one made in a subshell or another block holds for every
 * later command on the reader's machine: it is followed in page order, on no host. A command in a code block that runs
 * on a stack and has none of the three is refused: run as written it fails ("no stack selected", io.go:200-215), or at
 * a prompt runs on whatever the reader picks. A code span in prose may name a command without being one to run
 * ("every `pulumi up`"), and takes only a stack it names or PULUMI_STACK.
 */
export function devSettingProblems(
    commands: ReadonlyArray<RunCommand & Partial<Pick<PageCommand, "inBlock">>>,
    scripts: ReadonlySet<string>,
): Array<{ line: number; message: string }> {
    const problems: Array<{ line: number; message: string }> = [];
    const problem = (c: RunCommand, message: string) => problems.push({ line: c.line, message });
    // Per shell, each name it exported, with its value ("" when the export gives none), or unset (false); a shell sees
    // its own, else the nearest parent's.
    const exported = new Map<string, Map<string, string | false>>();
    const exportsOf = (shell: string) => exported.get(shell) ?? exported.set(shell, new Map()).get(shell)!;
    let selected: { stack: string; line: number } | undefined;
    for (const c of commands) {
        const text = c.words.join(" ");
        if (c.words.length === 0) {
            for (const name of DEV_SETTINGS)
                if (c.shell === "" && c.inBlock !== false && c.assigned.includes(name))
                    problem(
                        c,
                        `\`${name}=…\` sets ${name} in the reader's shell (exported, if it already was); use a subshell or a prefix`,
                    );
            continue;
        }
        const inherited = inheritedShells(c.shell);
        const exportedValue = (name: string) =>
            inherited.map((s) => exported.get(s)?.get(name)).find((v) => v !== undefined);
        /** The value of `name` in the command's environment, or undefined when it has none. */
        const valueOf = (name: string): string | undefined => {
            if (c.assigned.includes(name)) return c.values[name] ?? "";
            if (c.clearedEnv || c.unset.includes(name)) return undefined;
            const value = exportedValue(name);
            return value === false ? undefined : value;
        };
        if (c.words[0] === "export")
            for (const w of c.words.slice(1)) {
                const name = /^[A-Za-z_]\w*/.exec(w)?.[0];
                if (name === undefined) continue;
                const value = w.startsWith(`${name}=`) ? w.slice(name.length + 1) : (exportedValue(name) ?? "");
                exportsOf(c.shell).set(name, value === false ? "" : value);
                if (c.shell === "" && (DEV_SETTINGS as readonly string[]).includes(name))
                    problem(c, `\`${text}\` exports ${name} into the reader's shell; use a subshell or a prefix`);
            }
        if (c.words[0] === "unset")
            for (const name of c.words.slice(1).flatMap((w) => /^[A-Za-z_]\w*/.exec(w)?.[0] ?? []))
                exportsOf(c.shell).set(name, false);
        let use: string | undefined;
        if (c.words[0] === "pulumi" && c.words.length > 1) {
            const stack = pulumiStackUse(c.words);
            const fromEnv = valueOf("PULUMI_STACK");
            const block = c.inBlock !== false;
            if (stack.named === "dev") use = "runs on the dev stack";
            else if (stack.named === undefined && stack.onStack) {
                if (fromEnv !== undefined) {
                    if (stackPart(fromEnv) === "dev") use = "runs on the dev stack (PULUMI_STACK)";
                } else if (block && selected !== undefined) {
                    if (selected.stack === "dev") use = `runs on the dev stack (selected on line ${selected.line})`;
                } else if (block) {
                    problem(
                        c,
                        `\`${text}\` names no stack, and none is selected before it on this page: give it --stack <name>`,
                    );
                }
            }
            if (stack.selects !== undefined && !c.shell.includes("@"))
                selected = stack.selects === null ? undefined : { stack: stack.selects, line: c.line };
        } else use = devStackUse(c.words, scripts);
        if (use === undefined) continue;
        const missing = DEV_SETTINGS.filter((name) => valueOf(name) === undefined);
        if (missing.length > 0) problem(c, `\`${text}\` ${use} without ${missing.join(" and ")}`);
    }
    return problems;
}
