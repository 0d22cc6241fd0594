/**
 * The simple commands of a piece of shell text, as words, the way the docs write them. This is a small reader, not a
 * shell; it reads this subset of the shell language (bash-5.2's grammar, parse.y):
 *
 * - commands one per line or separated by `&&`, `||`, `;`, `|` and `&`; `\` line continuations joined;
 * - words with their quotes removed (`'…'`, `"…"`, `\x`); `#` comments left out;
 * - redirections (`> file`, `< key`, `2>&1`, `&> log`) and their targets left out;
 * - subshells, `( … )`, and substitutions, `$( … )` and backquotes: each is read as commands of its own, run by a
 *   new shell (ShellCommand.shell), and a substitution leaves the placeholder word `$(…)` where it stood;
 * - reserved words where bash takes them as such, unquoted at the start of a command (parse.y:2190-2220, 2979-2986):
 *   `if`, `then`, `else`, `elif`, `fi`, `while`, `until`, `do`, `done`, `esac`, `{`, `}` and `!` are left out, so the
 *   command after them is read; `for`, `select` and `case` heads (`for x in a b`) are no command and are dropped, and
 *   so are a function definition's `name()` and `function name`;
 * - `<name>` placeholders, which may hold spaces (`<token with write access>`), kept as one word.
 *
 * Not read: `case` statements (the head and the first pattern's command, up to `;;`, are dropped; a later pattern,
 * `prod) …`, reads `prod)` as a command word), here-documents (their lines are read as commands), `$'…'` escapes,
 * arithmetic `(( … ))` (read as two subshells), aliases, a pipeline's own subshells (bash runs each part of one in a
 * subshell; here they share the shell around them), and anything a word expands to: `$VAR` stays as written. What a
 * command runs in its turn (`time`, `env`, `sudo`, `sh -c`, `ssh <host> <command>`) is read by commandWords.ts.
 */

export interface ShellCommand {
    readonly words: readonly string[];
    /** 1-based line of the text the command's first word is on. */
    readonly line: number;
    /**
     * The shell that runs it, which is where what it exports stays: the name given to shellCommands (`""` for the
     * reader's own shell by default); a subshell or substitution inside is named `<parent>/<n>`.
     */
    readonly shell: string;
    /** Its output goes to the next command (`|`). */
    readonly piped: boolean;
}

/** Numbers the subshells of one reading; pass the same one to several calls to keep their names apart. */
export interface Subshells {
    next: number;
}

/** The word a substitution leaves in the command around it. */
export const SUBSTITUTION = "$(…)";

/** A `<placeholder>` at the start of the text: `<` then a letter, up to the next `>` on the line. */
const PLACEHOLDER = /^<[A-Za-z][^<>\n]*>/;

/** Reserved words that only open or close a compound command: the command after them is the one that runs. */
const KEYWORDS = new Set(["if", "then", "else", "elif", "fi", "while", "until", "do", "done", "esac", "{", "}", "!"]);
/** Reserved words whose words up to the end of the command name no command (`for x in a b c`). */
const HEADS = new Set(["for", "select", "case"]);

/** The offset of the `)` that closes the `(` at `open`, skipping quoted text; the text's end when none does. */
function closeParen(src: string, open: number): number {
    let depth = 0;
    for (let k = open; k < src.length; k++) {
        const c = src[k]!;
        if (c === "'" || c === '"') {
            const end = src.indexOf(c, k + 1);
            if (end < 0) return src.length;
            k = end;
        } else if (c === "(") depth++;
        else if (c === ")" && --depth === 0) return k;
    }
    return src.length;
}

export function shellCommands(
    src: string,
    firstLine = 1,
    shell = "",
    subshells: Subshells = { next: 0 },
): ShellCommand[] {
    const out: ShellCommand[] = [];
    const shells = [shell];
    const current = () => shells[shells.length - 1]!;
    let words: string[] = [];
    let commandLine = firstLine;
    let word: string | undefined;
    let quoted = false;
    let wordLine = firstLine;
    let line = firstLine;
    let redirect = false;
    /** Words still to drop before the command word: a whole `for` head (Infinity), or `function`'s name (1). */
    let drop = 0;

    const endWord = (): void => {
        if (word === undefined) return;
        const w = word;
        const bare = !quoted;
        word = undefined;
        quoted = false;
        if (redirect) {
            redirect = false;
            return;
        }
        if (drop > 0) {
            drop--;
            return;
        }
        if (words.length === 0 && bare) {
            if (KEYWORDS.has(w) || /^[A-Za-z_][\w-]*\(\)$/.test(w)) return;
            if (HEADS.has(w)) {
                drop = Infinity;
                return;
            }
            if (w === "function") {
                drop = 1;
                return;
            }
        }
        if (words.length === 0) commandLine = wordLine;
        words.push(w);
    };
    const endCommand = (piped = false): void => {
        endWord();
        if (words.length > 0) out.push({ words, line: commandLine, shell: current(), piped });
        words = [];
        redirect = false;
        drop = 0;
    };
    const append = (text: string, quoting = false): void => {
        if (word === undefined) {
            word = "";
            wordLine = line;
        }
        word += text;
        if (quoting) quoted = true;
    };
    const substitution = (inner: string, innerLine: number): void => {
        out.push(...shellCommands(inner, innerLine, `${current()}/${++subshells.next}`, subshells));
        append(SUBSTITUTION);
    };
    const countLines = (from: number, to: number): number => src.slice(from, to).split("\n").length - 1;

    for (let i = 0; i < src.length; i++) {
        const c = src[i]!;
        if (c === "\\" && src[i + 1] === "\n") {
            i++;
            line++;
        } else if (c === "\\") {
            append(src[i + 1] ?? "", true);
            i++;
        } else if (c === "\n") {
            endCommand();
            line++;
        } else if (c === " " || c === "\t") {
            endWord();
        } else if (c === "#" && word === undefined) {
            const nl = src.indexOf("\n", i);
            i = (nl < 0 ? src.length : nl) - 1;
        } else if (c === "'") {
            const end = src.indexOf("'", i + 1);
            const stop = end < 0 ? src.length : end;
            append(src.slice(i + 1, stop), true);
            line += countLines(i, stop);
            i = stop;
        } else if (c === '"') {
            let k = i + 1;
            let text = "";
            append("", true);
            while (k < src.length && src[k] !== '"') {
                if (src[k] === "\\") {
                    text += src[k + 1] ?? "";
                    k += 2;
                } else if (src.startsWith("$(", k)) {
                    const close = closeParen(src, k + 1);
                    append(text);
                    text = "";
                    substitution(src.slice(k + 2, close), line + countLines(i, k));
                    k = close + 1;
                } else {
                    text += src[k];
                    k++;
                }
            }
            append(text);
            line += countLines(i, k);
            i = k;
        } else if (c === "$" && src[i + 1] === "(") {
            const close = closeParen(src, i + 1);
            substitution(src.slice(i + 2, close), line);
            line += countLines(i, close);
            i = close;
        } else if (c === "`") {
            const end = src.indexOf("`", i + 1);
            const stop = end < 0 ? src.length : end;
            substitution(src.slice(i + 1, stop), line);
            line += countLines(i, stop);
            i = stop;
        } else if (c === "&" && src[i + 1] === ">") {
            endWord();
            redirect = true;
            i++;
        } else if (c === "|" && src[i + 1] !== "|") {
            endCommand(true);
        } else if (c === "&" || c === "|" || c === ";") {
            endCommand();
            if (src[i + 1] === c) i++;
        } else if (c === "(" && word === undefined) {
            endCommand();
            shells.push(`${current()}/${++subshells.next}`);
        } else if (c === ")" && shells.length > 1) {
            endCommand();
            shells.pop();
        } else if (c === ")" && word === undefined) {
            endCommand();
        } else if (c === "<" && PLACEHOLDER.test(src.slice(i))) {
            const placeholder = PLACEHOLDER.exec(src.slice(i))![0];
            append(placeholder);
            i += placeholder.length - 1;
        } else if (c === "<" || c === ">") {
            // A file descriptor before the operator (`2>`) is part of the redirection, not a word.
            if (word !== undefined && /^\d+$/.test(word)) word = undefined;
            endWord();
            redirect = true;
            while (src[i + 1] === c) i++;
            if (src[i + 1] === "&") i++;
        } else {
            append(c);
        }
    }
    endCommand();
    return out;
}
