/**
 * The npm scripts package.json lists, and the command-line spec each reads its arguments with (exported beside each
 * script's main as COMMAND_LINE, or a task row of scripts/tasks.ts): shared by the --help test
 * (test/scriptsHelp.servers.test.ts), the docs' npm command check (test/docsCommands.test.ts) and the check of the
 * commands the code's own messages give (test/npmCommandsInCode.test.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { CommandLineSpec, npmScriptArgs, parseCommandLine } from "../scripts/lib/commandLine";

export const ROOT = path.resolve(__dirname, "..");

/** package.json's scripts, read from the file so that a script added tomorrow is covered too. */
export const SCRIPTS = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: object })
    .scripts as Record<string, string>;

/** The spec an npm script reads its command line with, from the module its command runs (and the task it names). */
export async function specOf(command: string): Promise<CommandLineSpec> {
    const m = /^ts-node --transpile-only (scripts\/\w+\.ts)(?: ([\w:-]+))?$/.exec(command);
    if (!m) throw new Error(`'${command}' is not a script of scripts/ run by ts-node, so it cannot explain itself`);
    const loaded = (await import(path.join(ROOT, m[1]!))) as {
        COMMAND_LINE?: CommandLineSpec;
        TASKS?: Record<string, unknown>;
        taskCommandLine?: (task: never) => CommandLineSpec;
    };
    if (m[2] === undefined && loaded.COMMAND_LINE) return loaded.COMMAND_LINE;
    const task = m[2] !== undefined ? loaded.TASKS?.[m[2]] : undefined;
    if (task && loaded.taskCommandLine) return loaded.taskCommandLine(task as never);
    throw new Error(`${m[1]} exports no COMMAND_LINE (or TASKS entry) for '${command}'`);
}

/**
 * What is wrong with one npm command line, read with its script's spec; undefined when it parses, or when it runs no
 * script `specFor` knows. A synopsis's brackets are optional parts (`[--to <version>]` is read as `--to <version>`)
 * and `...` repeats; placeholders (`<stack>`, `$STACK`, an option's own value name such as `N`) stand for any value.
 */
export function npmCommandProblem(
    command: string,
    specFor: (script: string) => CommandLineSpec | undefined,
): string | undefined {
    const read = npmScriptArgs(command.replace(/[[\]]/g, "").replace(/\s\.\.\.(?=\s|$)/g, ""));
    const spec = read && specFor(read.script);
    if (!read || !spec) return undefined;
    const values = Object.values(spec.options ?? {}).flatMap((o) => (o.type === "string" ? [o.value] : []));
    const placeholder = (w: string) => /^<[^>]+>$/.test(w) || /^\$\{?\w+\}?$/.test(w) || values.includes(w);
    const parsed = parseCommandLine(spec, read.args, placeholder);
    return parsed.kind === "problem" ? parsed.problem || "the stack is missing" : undefined;
}
