/**
 * The simple commands of a piece of shell text, as words, the way the docs write them: one command per line or
 * separated by `&&`, `||`, `;`, `|`, `&` and subshell parentheses; quotes removed; `\` line continuations joined;
 * `#` comments, redirections (`> file`, `< key`, `2>&1`) and their targets left out; `$(...)` and backquoted
 * substitutions read as commands of their own, leaving the placeholder word `$(…)` where they stood; and `<name>`
 * placeholders, which may hold spaces (`<token with write access>`), kept as one word.
 */

export interface ShellCommand {
    readonly words: readonly string[];
    /** 1-based line of the text the command's first word is on. */
    readonly line: number;
}

/** The word a substitution leaves in the command around it. */
export const SUBSTITUTION = "$(…)";

/** A `<placeholder>` at the start of the text: `<` then a letter, up to the next `>` on the line. */
const PLACEHOLDER = /^<[A-Za-z][^<>\n]*>/;

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

export function shellCommands(src: string, firstLine = 1): ShellCommand[] {
    const out: ShellCommand[] = [];
    let words: string[] = [];
    let commandLine = firstLine;
    let word: string | undefined;
    let wordLine = firstLine;
    let line = firstLine;
    let redirect = false;

    const endWord = (): void => {
        if (word === undefined) return;
        if (redirect) redirect = false;
        else {
            if (words.length === 0) commandLine = wordLine;
            words.push(word);
        }
        word = undefined;
    };
    const endCommand = (): void => {
        endWord();
        if (words.length > 0) out.push({ words, line: commandLine });
        words = [];
        redirect = false;
    };
    const append = (text: string): void => {
        if (word === undefined) {
            word = "";
            wordLine = line;
        }
        word += text;
    };
    const substitution = (inner: string, innerLine: number): void => {
        out.push(...shellCommands(inner, innerLine));
        append(SUBSTITUTION);
    };
    const countLines = (from: number, to: number): number => src.slice(from, to).split("\n").length - 1;

    for (let i = 0; i < src.length; i++) {
        const c = src[i]!;
        if (c === "\\" && src[i + 1] === "\n") {
            i++;
            line++;
        } else if (c === "\\") {
            append(src[i + 1] ?? "");
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
            append(src.slice(i + 1, stop));
            line += countLines(i, stop);
            i = stop;
        } else if (c === '"') {
            let k = i + 1;
            let text = "";
            append("");
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
        } else if (c === "&" || c === "|" || c === ";") {
            endCommand();
            if (src[i + 1] === c) i++;
        } else if ((c === "(" || c === ")") && word === undefined) {
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
