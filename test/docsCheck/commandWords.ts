/**
 * Every command a piece of the docs' shell text runs, for the checks that look for one command word (`pulumi`,
 * `sudo`, `ssh`, `npm`, `export`) wherever it stands. shellWords.ts reads the simple commands; this module follows
 * what each of them runs in its turn:
 *
 * - the command after a wrapper at its front, with the wrapper's options and operands skipped as its own parser skips
 *   them (WRAPPERS: `time`, `env`, `nice`, `nohup`, `timeout`, `xargs`, `watch -x`, `sudo`, `exec`, `command`), and
 *   the variables set on the way (`NAME=value` words, `env`'s and `sudo`'s own, `env -u`, `env -i`);
 * - the shell text another command hands to a shell, read again with the same reader in a new shell: `sh -c`,
 *   `bash -c`, `watch` without -x, and on a host, `ssh … <host> <command>`, `npm run ssh -- <stack> -- <command>`,
 *   `doctl compute ssh <droplet> --ssh-command <command>`, rsync's --rsync-path and sftp's -s <path>. A host's shell
 *   inherits nothing from the reader's.
 *
 * Who a command logs in as on another machine, and what ssh, doctl, npm run ssh, rsync and sftp hand to its shell, is
 * read by remoteLogins.ts.
 *
 * Each command is reported once per way it runs: `time sudo ufw status` is `time …`, `sudo ufw status` and
 * `ufw status`. Not followed: long options given as unique prefixes (`--interv`), sudo's `-i`/`-s` with a command
 * (run by a shell there), `xargs sh -c`, `find -exec`, `su -c`, `pkexec`, `doas` (the last three are refused wherever
 * they stand: hostAccess.ts), and any other command that runs another.
 */
import { shellTexts } from "./markdown";
import { copyHostCommand, doctlSsh, npmRunSshCommand, sshLine } from "./remoteLogins";
import { shellCommands, Subshells } from "./shellWords";

export interface RunCommand {
    /** The command word, then its arguments. */
    readonly words: readonly string[];
    readonly line: number;
    /** The shell it runs in (ShellCommand.shell). One on a host is named with `@`: `/@3`. */
    readonly shell: string;
    /** Its output goes to the next command of a pipeline. */
    readonly piped: boolean;
    /** Variables set for this command alone: `NAME=value` words before it, and those `env` and `sudo` set. */
    readonly assigned: readonly string[];
    /** The value each name of `assigned` is given, as the words write it (the last one given wins). */
    readonly values: Readonly<Record<string, string>>;
    /** Variables `env -u` takes away from it. */
    readonly unset: readonly string[];
    /** Nothing its shell exported reaches it (`env -i`, `env -`, sudo's env_reset); only `assigned` does. */
    readonly clearedEnv: boolean;
}

/** How a wrapper's own parser reads the words before the command it runs. */
interface Wrapper {
    /** Short options that take a value, attached (`-n5`) or as the next word. */
    readonly valued: string;
    /** Short options whose value, when there is one, is attached (`-dpermanent`). */
    readonly optional?: string;
    /** Long options that take the next word as their value unless written `--name=value`. */
    readonly long?: readonly string[];
    /** Words after the options that are its own, not the command's (timeout's duration). */
    readonly operands?: number;
    /** `NAME=value` words after its options set variables for the command. */
    readonly assigns?: boolean;
    /** `-5` is an option (nice's obsolete adjustment). */
    readonly numericOption?: boolean;
}

/**
 * The commands that run the command after them, and how each reads its options. All stop at the first word that is
 * no option, as their getopt strings' leading `+` says (or the BSD getopt: no reordering of the words).
 */
const WRAPPERS: Readonly<Record<string, Wrapper>> = {
    // bash-5.2 parse.y:2209 (the reserved word), 2227-2228 (`--` and `-p` after it).
    time: { valued: "" },
    // coreutils v9.1 src/env.c:79 ("+C:iS:u:v0"), 91-106 (long options); 819-823 (`-` empties the environment),
    // 835-848 (NAME=value words, then the command).
    env: { valued: "CSu", long: ["chdir", "split-string", "unset"], assigns: true },
    // coreutils v9.1 src/nice.c:120-124 (`-N`), 139 ("+n:"), 58-63.
    nice: { valued: "n", long: ["adjustment"], numericOption: true },
    // coreutils v9.1 src/nohup.c:101-105, 210: only --help and --version, then the command.
    nohup: { valued: "" },
    // coreutils v9.1 src/timeout.c:478 ("+k:s:v"), 96-106; 517-520: the duration, then the command.
    timeout: { valued: "ks", long: ["kill-after", "signal"], operands: 1 },
    // findutils v4.9.0 xargs/xargs.c:522 ("+0a:E:e::i::I:l::L:n:oprs:txP:d:"), 175-195 (long options).
    xargs: {
        valued: "aEILnsPd",
        optional: "eil",
        long: ["arg-file", "delimiter", "max-args", "max-chars", "max-procs", "process-slot-var"],
    },
    // procps v4.0.2 src/watch.c:848 ("+bced::ghq:n:pvtwx"), 818-833 (long options).
    watch: { valued: "qn", optional: "d", long: ["interval", "equexit"] },
    // sudo SUDO_1_9_13p3 src/parse_args.c:116 ("+Aa:BbC:c:D:Eeg:Hh::iKklNnPp:R:r:SsT:t:U:u:Vv"), 118-153; 280-281:
    // VAR=value words set variables for the command (read here after the options only).
    sudo: {
        valued: "aCcDgpRrTtUu",
        optional: "h",
        long: [
            "auth-type",
            "chdir",
            "chroot",
            "close-from",
            "command-timeout",
            "group",
            "host",
            "login-class",
            "other-user",
            "prompt",
            "role",
            "type",
            "user",
        ],
        assigns: true,
    },
    // bash-5.2 builtins/exec.def:25, 111 ("cla:").
    exec: { valued: "a" },
    // bash-5.2 builtins/command.def:25, 74 ("pvV"); -v and -V only describe the command, and run none (unwrap).
    command: { valued: "" },
};

/** The shells that take a command string with -c (bash-5.2 shell.c:902-955 reads the options, 519-527 the string). */
const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh"]);

const ASSIGNMENT = /^([A-Za-z_]\w*)=/;

/** A `NAME=value` word as its name and value. */
function assignment(word: string): [string, string] {
    const eq = word.indexOf("=");
    return [word.slice(0, eq), word.slice(eq + 1)];
}

/** A wrapper's options and the words after them, read as its getopt_long would. */
function readOptions(args: readonly string[], spec: Wrapper): { options: Array<[string, string]>; rest: string[] } {
    const options: Array<[string, string]> = [];
    let i = 0;
    for (; i < args.length; i++) {
        const a = args[i]!;
        if (a === "--") {
            i++;
            break;
        }
        if (a.startsWith("--")) {
            const eq = a.indexOf("=");
            const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
            if (eq >= 0) options.push([name, a.slice(eq + 1)]);
            else if (spec.long?.includes(name)) options.push([name, args[++i] ?? ""]);
            else options.push([name, ""]);
        } else if (a.length > 1 && a.startsWith("-")) {
            if (spec.numericOption && /^-[-+]?\d/.test(a)) continue;
            for (let j = 1; j < a.length; j++) {
                const o = a[j]!;
                if (spec.valued.includes(o)) {
                    options.push([o, a.slice(j + 1) || (args[++i] ?? "")]);
                    break;
                }
                options.push([o, spec.optional?.includes(o) ? a.slice(j + 1) : ""]);
                if (spec.optional?.includes(o)) break;
            }
        } else break;
    }
    return { options, rest: args.slice(i) };
}

/** What a wrapper at the front of `words` runs, or undefined when `words[0]` is none (or runs nothing). */
function unwrap(words: readonly string[]):
    | {
          words: string[];
          assigned: Array<[string, string]>;
          unset: string[];
          clearsEnv: boolean;
          shellText?: string;
      }
    | undefined {
    const spec = WRAPPERS[words[0]!];
    if (!spec) return undefined;
    const { options, rest } = readOptions(words.slice(1), spec);
    const named = (...names: string[]) => options.filter(([o]) => names.includes(o)).map(([, v]) => v);
    if (words[0] === "command" && named("v", "V").length > 0) return undefined;
    // env -S: its value is split into words that come before the rest (env.c:800-801, 510: parse_split_string).
    const split = named("S", "split-string");
    if (words[0] === "env" && split.length > 0) {
        const inserted = split.flatMap((s) => shellCommands(s)[0]?.words ?? []);
        const kept = options.filter(([o]) => o !== "S" && o !== "split-string");
        const again = kept.flatMap(([o, v]) => (o.length === 1 ? [`-${o}${v}`] : [`--${o}=${v}`]));
        return unwrap(["env", ...again, ...inserted, ...rest]);
    }
    let after = rest.slice(spec.operands ?? 0);
    let clearsEnv = words[0] === "env" && named("i", "ignore-environment").length > 0;
    if (words[0] === "env" && after[0] === "-") {
        clearsEnv = true;
        after = after.slice(1);
    }
    const assigned: Array<[string, string]> = [];
    while (spec.assigns && ASSIGNMENT.test(after[0] ?? "")) assigned.push(assignment(after.shift()!));
    if (words[0] === "xargs" && after.length === 0) after = ["echo"]; // xargs.c:404, 768
    // sudo runs the command in a minimal environment of its own (env_reset: sudo SUDO_1_9_13p3
    // docs/sudoers.mdoc.in:2677-2722, on by default, configure.ac:213); PULUMI_* are not in it.
    if (words[0] === "sudo") clearsEnv = true;
    const unset = words[0] === "env" ? named("u", "unset") : [];
    // watch without -x joins the words with spaces and runs them with system(), sh -c (watch.c:909-923, 594-598).
    if (words[0] === "watch" && named("x", "exec").length === 0)
        return { words: [], assigned, unset, clearsEnv, shellText: after.join(" ") };
    return { words: after, assigned, unset, clearsEnv };
}

/** The shell text a command hands to a shell (`host`: one on another machine), if it does. */
function shellTextOf(words: readonly string[]): { text: string; host: boolean } | undefined {
    if (SHELLS.has(words[0]!)) {
        let i = 1;
        let dashC = false;
        for (; i < words.length && /^[-+]./.test(words[i]!) && words[i] !== "--"; i++) {
            const w = words[i]!;
            if (w.startsWith("--")) {
                if (w === "--rcfile" || w === "--init-file") i++;
                continue;
            }
            if (w[0] === "-" && w.includes("c")) dashC = true;
            if (/[oO]/.test(w)) i++;
        }
        if (words[i] === "--") i++;
        return dashC && words[i] !== undefined ? { text: words[i]!, host: false } : undefined;
    }
    if (words[0] === "ssh") {
        const command = sshLine(words).command;
        return command === undefined ? undefined : { text: command, host: true };
    }
    const remote = doctlSsh(words)?.command ?? npmRunSshCommand(words) ?? copyHostCommand(words);
    return remote === undefined ? undefined : { text: remote, host: true };
}

/** Every command of one simple command's words: itself, what its wrappers run, and what it hands to a shell. */
function runsOf(
    words: readonly string[],
    at: { line: number; shell: string; piped: boolean },
    subshells: Subshells,
): RunCommand[] {
    const out: RunCommand[] = [];
    let rest = [...words];
    const assigned: Array<[string, string]> = [];
    let unset: string[] = [];
    let clearedEnv = false;
    for (;;) {
        while (ASSIGNMENT.test(rest[0] ?? "")) assigned.push(assignment(rest.shift()!));
        // Assignments alone set shell variables, and are reported with no words; a wrapper given no command runs none.
        if (rest.length === 0 && out.length > 0) break;
        out.push({
            words: rest,
            ...at,
            assigned: [...new Set(assigned.map(([name]) => name))],
            values: Object.fromEntries(assigned),
            unset: [...unset],
            clearedEnv,
        });
        if (rest.length === 0) break;
        const inner = shellTextOf(rest);
        if (inner) {
            const shell = `${at.shell}/${inner.host ? "@" : ""}${++subshells.next}`;
            out.push(...everyCommand(inner.text, at.line, shell, subshells));
        }
        const next = unwrap(rest);
        if (!next) break;
        if (next.clearsEnv) {
            assigned.length = 0;
            clearedEnv = true;
        }
        assigned.push(...next.assigned);
        unset = [...unset, ...next.unset];
        if (next.shellText !== undefined) {
            out.push(...everyCommand(next.shellText, at.line, `${at.shell}/${++subshells.next}`, subshells));
            break;
        }
        rest = next.words;
    }
    return out;
}

/** Every command a shell text runs, nested ones included, in the order they are read. */
export function everyCommand(src: string, firstLine = 1, shell = "", subshells: Subshells = { next: 0 }): RunCommand[] {
    return shellCommands(src, firstLine, shell, subshells).flatMap((c) =>
        runsOf(c.words, { line: c.line, shell: c.shell, piped: c.piped }, subshells),
    );
}

/**
 * The shells whose exports reach a command run in `shell`: it and the shells it was started from, up to the first one
 * on a host (ssh passes no variables there).
 */
export function inheritedShells(shell: string): string[] {
    const out = [shell];
    for (let s = shell; s !== "" && !/\/@\d+$/.test(s);) {
        s = s.slice(0, s.lastIndexOf("/"));
        out.push(s);
    }
    return out;
}

/** One command of a page, with where it was read. */
export interface PageCommand extends RunCommand {
    /**
     * Read from a code block: a whole command to run. A code span in prose may name a command and leave its arguments
     * to the sentence ("set it with `pulumi config set --secret`, for each key").
     */
    readonly inBlock: boolean;
}

/**
 * Every command of a page's code (markdown.ts, shellTexts: shell blocks, other blocks line by line, code spans), in
 * page order. Every piece runs in the reader's one shell (`""`): what a block exports stays for the next one.
 */
export function pageCommands(md: string): PageCommand[] {
    const subshells: Subshells = { next: 0 };
    return shellTexts(md).flatMap((t) =>
        everyCommand(t.text, t.line, "", subshells).map((c) => ({ ...c, inBlock: t.block })),
    );
}
