/**
 * The programs a rendered POSIX sh script runs, read from its text, for the image contracts (rung 6): every command a
 * script in a container calls must be a shell builtin, a function of the script, a file the container is given, or a
 * binary the image's contract lists (components/imageContracts/). Used through contractProblems
 * (test/imageContractsFixtures.ts) by test/imageContractsScripts.test.ts (the point-in-time recovery scripts against
 * the postgres image) and test/imageContracts.stack.test.ts (every script of every container of every shipped stack
 * against its image).
 *
 * A small reader of the shell grammar, not a shell: it follows quotes, `$(...)`, `$((...))`, `${...}`, here-documents
 * (whose bodies it skips: the scripts here put SQL and configuration there, never commands), case patterns,
 * redirections, assignments and reserved words, and takes the first word of each simple command. A command word that
 * is itself an expansion (`"drill_$kind"`) cannot be known from the text and is left out. Commands run by exec(2)
 * rather than by the shell, which must therefore be files and never builtins, are marked: the word after `exec`, after
 * `gosu <user>` (gosu looks its command up on PATH and execs it), after a one-line function whose body is
 * `gosu <user> "$@"`, and after `find ... -exec`. The script given to `sh -c` and the commands given to `trap` are read
 * as scripts in turn.
 */

/** One command a script runs. */
export interface ScriptCommand {
    readonly name: string;
    /** Run by exec(2), not by the shell: a file on PATH, never a builtin. */
    readonly exec: boolean;
}

/**
 * BusyBox ash's builtins, as Alpine builds it (mirror/busybox@1_36_1 shell/ash.c:10171-10252, builtintab; the ones
 * under a config switch only where alpinelinux/aports@f246c371 main/busybox/busyboxconfig turns it on: ASH_TEST,
 * ASH_ECHO, ASH_PRINTF, ASH_JOB_CONTROL for kill, ASH_CMDCMD, ASH_GETOPTS). Not `sleep`: ASH_SLEEP is not in that
 * config, so sleep is the applet. The other images' /bin/sh (bash in ubi-micro, BusyBox's defconfig ash) has each of
 * these too.
 */
export const SHELL_BUILTINS: ReadonlySet<string> = new Set(
    [".", ":", "[", "break", "cd", "command", "continue", "echo", "eval", "exec", "exit", "export", "false"].concat(
        ["getopts", "hash", "jobs", "kill", "local", "printf", "pwd", "read", "readonly", "return", "set", "shift"],
        ["test", "times", "trap", "true", "type", "ulimit", "umask", "unset", "wait"],
    ),
);

/** Reserved words that may stand before a command word; the command after them is still to come. */
const LEADING_RESERVED = new Set(["if", "then", "else", "elif", "while", "until", "do", "!", "{", "}", "fi", "done"]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Whether the words so far are `case <subject>`, after reserved words only: the next `in` starts its patterns. */
function startsCase(words: readonly Word[]): boolean {
    const k = words.length - 2;
    return k >= 0 && words[k]!.text === "case" && words.slice(0, k).every((w) => LEADING_RESERVED.has(w.text));
}

interface Word {
    readonly text: string;
    /** Holds an expansion, so its value is not known from the text. */
    readonly dynamic: boolean;
}

/** Reads one script; `commands` holds what it runs once `read` returns. */
class ScriptReader {
    readonly commands: ScriptCommand[] = [];
    readonly functions = new Set<string>();
    private pos = 0;
    private readonly heredocs: Array<{ delimiter: string; stripTabs: boolean }> = [];

    constructor(
        private readonly text: string,
        private readonly wrappers: ReadonlySet<string>,
    ) {}

    read(): void {
        this.list(false);
    }

    /** A command list, to the end of the text or (inside `$(`) to its closing parenthesis. */
    private list(inSubstitution: boolean): void {
        const t = this.text;
        let words: Word[] = [];
        let word = "";
        let inWord = false;
        let dynamic = false;
        let redirectTarget = false;
        let casePattern = false;
        let subshells = 0;
        const endWord = () => {
            if (!inWord) return;
            const w = { text: word, dynamic };
            word = "";
            inWord = false;
            dynamic = false;
            if (redirectTarget) redirectTarget = false;
            else if (casePattern) casePattern = w.text !== "esac";
            else if (w.text === "in" && startsCase(words)) {
                words = [];
                casePattern = true;
            } else words.push(w);
        };
        const endCommand = () => {
            endWord();
            this.command(words);
            words = [];
        };
        while (this.pos < t.length) {
            const ch = t[this.pos]!;
            const next = t[this.pos + 1];
            if (ch === "\\") {
                if (next !== "\n") word += next ?? "";
                inWord = inWord || next !== "\n";
                this.pos += 2;
            } else if (ch === " " || ch === "\t") {
                endWord();
                this.pos++;
            } else if (ch === "\n") {
                endCommand();
                this.pos++;
                this.skipHeredocBodies();
            } else if (ch === "#" && !inWord) {
                while (this.pos < t.length && t[this.pos] !== "\n") this.pos++;
            } else if (ch === ";") {
                endCommand();
                if (next === ";") casePattern = true;
                this.pos += next === ";" ? 2 : 1;
            } else if (ch === "&" || ch === "|") {
                if (ch === "|" && next !== "|" && casePattern) endWord();
                else endCommand();
                this.pos += next === ch ? 2 : 1;
            } else if (ch === "(") {
                if (inWord && next === ")" && words.length === 0) {
                    this.functions.add(word);
                    word = "";
                    inWord = false;
                    this.pos += 2;
                } else {
                    if (!casePattern) subshells++;
                    endCommand();
                    this.pos++;
                }
            } else if (ch === ")") {
                this.pos++;
                if (casePattern) {
                    endWord();
                    casePattern = false;
                } else if (subshells > 0) {
                    subshells--;
                    endCommand();
                } else if (inSubstitution) {
                    endCommand();
                    return;
                }
            } else if (ch === "<" || ch === ">") {
                if (/^\d+$/.test(word)) {
                    word = "";
                    inWord = false;
                }
                endWord();
                if (ch === "<" && next === "<") this.heredocStart();
                else {
                    this.pos += next === ch || next === "&" ? 2 : 1;
                    redirectTarget = true;
                }
            } else if (ch === "'") {
                const close = t.indexOf("'", this.pos + 1);
                word += t.slice(this.pos + 1, close < 0 ? t.length : close);
                inWord = true;
                this.pos = close < 0 ? t.length : close + 1;
            } else if (ch === '"') {
                const quoted = this.doubleQuoted();
                word += quoted.text;
                dynamic = dynamic || quoted.dynamic;
                inWord = true;
            } else if (ch === "$" || ch === "`") {
                this.expansion();
                inWord = true;
                dynamic = true;
            } else {
                word += ch;
                inWord = true;
                this.pos++;
            }
        }
        endCommand();
    }

    /** A double-quoted string from its opening quote: its text, and whether it expands anything. */
    private doubleQuoted(): Word {
        const t = this.text;
        let text = "";
        let dynamic = false;
        this.pos++;
        while (this.pos < t.length && t[this.pos] !== '"') {
            const ch = t[this.pos]!;
            if (ch === "\\") {
                text += t[this.pos + 1] ?? "";
                this.pos += 2;
            } else if (ch === "$" || ch === "`") {
                this.expansion();
                dynamic = true;
            } else {
                text += ch;
                this.pos++;
            }
        }
        this.pos++;
        return { text, dynamic };
    }

    /** `$name`, `${...}`, `$(...)`, `$((...))` or backquotes, from the first character; reads the commands inside. */
    private expansion(): void {
        const t = this.text;
        if (t[this.pos] === "`") {
            const close = t.indexOf("`", this.pos + 1);
            const inner = t.slice(this.pos + 1, close < 0 ? t.length : close);
            this.nested(inner);
            this.pos = close < 0 ? t.length : close + 1;
        } else if (t.startsWith("$((", this.pos)) {
            this.pos += 3;
            let depth = 0;
            while (this.pos < t.length && !(depth === 0 && t.startsWith("))", this.pos))) {
                if (t.startsWith("$(", this.pos) && !t.startsWith("$((", this.pos)) {
                    this.pos += 2;
                    this.list(true);
                    continue;
                }
                if (t[this.pos] === "(") depth++;
                if (t[this.pos] === ")") depth--;
                this.pos++;
            }
            this.pos += 2;
        } else if (t.startsWith("$(", this.pos)) {
            this.pos += 2;
            this.list(true);
        } else if (t.startsWith("${", this.pos)) {
            this.pos += 2;
            // A nested expansion is read whole by the recursive call, so the first bare `}` closes this one.
            while (this.pos < t.length && t[this.pos] !== "}") {
                const ch = t[this.pos]!;
                if (ch === "$" || ch === "`") this.expansion();
                else if (ch === '"') this.doubleQuoted();
                else if (ch === "'") this.pos = t.indexOf("'", this.pos + 1) + 1 || t.length;
                else this.pos += ch === "\\" ? 2 : 1;
            }
            this.pos++;
        } else {
            this.pos++;
            const name = /^([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(t.slice(this.pos));
            this.pos += name ? name[0].length : 0;
        }
    }

    /** `<<`, `<<-` and the delimiter word, from the first `<`; the body follows the end of the line. */
    private heredocStart(): void {
        const t = this.text;
        this.pos += 2;
        const stripTabs = t[this.pos] === "-";
        if (stripTabs) this.pos++;
        while (t[this.pos] === " ") this.pos++;
        const delimiter = /^[^\s;&|<>()]+/.exec(t.slice(this.pos))?.[0] ?? "";
        this.pos += delimiter.length;
        this.heredocs.push({ delimiter: delimiter.replace(/['"\\]/g, ""), stripTabs });
    }

    /** After a newline: the bodies of the here-documents begun on the line before, up to each one's delimiter line. */
    private skipHeredocBodies(): void {
        const t = this.text;
        for (const doc of this.heredocs.splice(0)) {
            while (this.pos < t.length) {
                const end = t.indexOf("\n", this.pos);
                const line = t.slice(this.pos, end < 0 ? t.length : end);
                this.pos = end < 0 ? t.length : end + 1;
                if ((doc.stripTabs ? line.replace(/^\t+/, "") : line) === doc.delimiter) break;
            }
        }
    }

    /** A script inside this one (`sh -c`, `trap`, backquotes): its commands are this script's too. */
    private nested(script: string): void {
        const inner = new ScriptReader(script, this.wrappers);
        inner.read();
        this.commands.push(...inner.commands);
        for (const f of inner.functions) this.functions.add(f);
    }

    /** The words of one simple command: what it runs. */
    private command(words: readonly Word[], exec = false): void {
        let i = 0;
        while (i < words.length && !words[i]!.dynamic && LEADING_RESERVED.has(words[i]!.text)) i++;
        while (i < words.length && ASSIGNMENT.test(words[i]!.text)) i++;
        const first = words[i];
        if (!first || first.dynamic) return;
        const name = first.text;
        if (["for", "case", "esac", "in"].includes(name)) return;
        const rest = words.slice(i + 1);
        this.commands.push({ name, exec });
        const arg = (k: number) => rest[k];
        const wraps = name === "exec" || name === "command" || this.wrappers.has(name);
        if (wraps && !arg(0)?.text.startsWith("-")) this.command(rest, true);
        else if (name === "gosu") this.command(rest.slice(1), true);
        else if (/(^|\/)sh$/.test(name) && arg(0)?.text === "-c" && arg(1)) this.nested(arg(1)!.text);
        else if (name === "trap" && arg(0) && !arg(0)!.dynamic && arg(0)!.text !== "-") this.nested(arg(0)!.text);
        else if (name === "find") {
            rest.forEach((w, k) => {
                if (w.text === "-exec" && rest[k + 1]) this.command(rest.slice(k + 1, k + 2), true);
            });
        }
    }
}

/**
 * Functions a script defines on one line as `name() { gosu <user> "$@"; }`: each runs its arguments through gosu,
 * so their first is exec'd.
 */
function gosuWrappers(script: string): Set<string> {
    const found = script.matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)\(\)\s*\{\s*gosu\s+\S+\s+"\$@";?\s*\}\s*$/gm);
    return new Set([...found].map((m) => m[1]!));
}

/** Every command a script runs, in order, and the functions it defines. */
export function scriptCommands(script: string): { commands: ScriptCommand[]; functions: Set<string> } {
    const reader = new ScriptReader(script, gosuWrappers(script));
    reader.read();
    return { commands: reader.commands, functions: reader.functions };
}

/**
 * What of a script's commands is neither a builtin, nor one of its functions, nor a binary `has` finds (the image's, or
 * a file the container is given): one line each, naming the command once.
 */
export function missingCommands(script: string, has: (program: string) => boolean): string[] {
    const { commands, functions } = scriptCommands(script);
    const missing = new Set<string>();
    for (const c of commands) {
        if (has(c.name)) continue;
        if (c.exec) missing.add(`${c.name} (run by exec, so a builtin or a function will not do)`);
        else if (!SHELL_BUILTINS.has(c.name) && !functions.has(c.name)) missing.add(c.name);
    }
    return [...missing];
}
