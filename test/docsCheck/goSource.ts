/**
 * Just enough of Go's lexical structure to read cobra command definitions (test/docsCheck/pulumiCliFacts.ts): a
 * masked copy of a file in which comments are blanked and the inside of string and rune literals is hidden, so that
 * brackets and commas can be matched on it while the literals are read from the original text at the same offsets.
 * No type checking: what cannot be read this way is reported, never guessed.
 */

/** One Go file: its text, the masked copy (same length and offsets) and its line numbers. */
export interface GoFile {
    readonly path: string;
    readonly text: string;
    readonly masked: string;
}

/** A half-open range of a file. */
export interface Span {
    readonly start: number;
    readonly end: number;
}

export function goFile(path: string, text: string): GoFile {
    return { path, text, masked: maskGo(text) };
}

/**
 * Comments become spaces, the contents of "...", `...` and '...' literals become `x`; newlines stay where they are,
 * so offsets and line numbers agree with the original.
 */
export function maskGo(src: string): string {
    const out = src.split("");
    const blank = (from: number, to: number, fill: string): void => {
        for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = fill;
    };
    let i = 0;
    while (i < src.length) {
        const c = src[i]!;
        if (c === "/" && src[i + 1] === "/") {
            const end = src.indexOf("\n", i);
            const stop = end < 0 ? src.length : end;
            blank(i, stop, " ");
            i = stop;
        } else if (c === "/" && src[i + 1] === "*") {
            const end = src.indexOf("*/", i + 2);
            const stop = end < 0 ? src.length : end + 2;
            blank(i, stop, " ");
            i = stop;
        } else if (c === "`") {
            const end = src.indexOf("`", i + 1);
            const stop = end < 0 ? src.length : end;
            blank(i + 1, stop, "x");
            i = stop + 1;
        } else if (c === '"' || c === "'") {
            let j = i + 1;
            while (j < src.length && src[j] !== c && src[j] !== "\n") j += src[j] === "\\" ? 2 : 1;
            blank(i + 1, j, "x");
            i = j + 1;
        } else {
            i++;
        }
    }
    return out.join("");
}

/** 1-based line of an offset. */
export function lineAt(file: GoFile, offset: number): number {
    let n = 1;
    for (let k = 0; k < offset && k < file.text.length; k++) if (file.text[k] === "\n") n++;
    return n;
}

const CLOSER: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

/** The offset of the bracket that closes the one at `open`, matched on the masked text. */
export function matchClose(masked: string, open: number): number {
    const stack: string[] = [];
    for (let k = open; k < masked.length; k++) {
        const c = masked[k]!;
        if (c in CLOSER) stack.push(CLOSER[c]!);
        else if (c === ")" || c === "]" || c === "}") {
            if (stack.pop() !== c) throw new Error(`unbalanced '${c}' at offset ${k}`);
            if (stack.length === 0) return k;
        }
    }
    throw new Error(`no bracket closes the one at offset ${open}`);
}

/** The parts of `span` separated by `sep` at bracket depth 0, trimmed, empty ones dropped. */
export function splitTopLevel(masked: string, span: Span, sep = ","): Span[] {
    const parts: Span[] = [];
    let depth = 0;
    let from = span.start;
    const push = (to: number): void => {
        let s = from;
        let e = to;
        while (s < e && /\s/.test(masked[s]!)) s++;
        while (e > s && /\s/.test(masked[e - 1]!)) e--;
        if (e > s) parts.push({ start: s, end: e });
    };
    for (let k = span.start; k < span.end; k++) {
        const c = masked[k]!;
        if (c in CLOSER) depth++;
        else if (c === ")" || c === "]" || c === "}") depth--;
        else if (depth === 0 && c === sep) {
            push(k);
            from = k + 1;
        }
    }
    push(span.end);
    return parts;
}

/** The value of an expression that is a string literal or a `+` of them; undefined for anything else. */
export function stringValue(file: GoFile, span: Span): string | undefined {
    const pieces = splitTopLevel(file.masked, span, "+");
    let value = "";
    for (const p of pieces) {
        const raw = file.text.slice(p.start, p.end);
        if (/^"(?:[^"\\\n]|\\.)*"$/.test(raw)) value += JSON.parse(raw.replace(/\\'/g, "'")) as string;
        else if (/^`[^`]*`$/.test(raw)) value += raw.slice(1, -1);
        else return undefined;
    }
    return pieces.length > 0 ? value : undefined;
}

/** A function (or method) declaration: its parameters' names and its body, braces excluded. */
export interface GoFunction {
    readonly file: GoFile;
    readonly name: string;
    readonly params: readonly string[];
    readonly body: Span;
    /** Offset of the `func` keyword. */
    readonly at: number;
}

/**
 * The declaration of `name` in a file: a function, or a method when `method` is set (of `receiverType`, or of any
 * type). Generic type parameters (`func Var[R any](...)`) are skipped.
 */
export function findFunction(
    file: GoFile,
    name: string,
    method = false,
    receiverType?: string,
): GoFunction | undefined {
    const type = receiverType === undefined ? "[^()]*" : String.raw`\s*\w*\s*\*?${receiverType}(?:\[[^\]]*\])?\s*`;
    const receiver = method ? String.raw`\(${type}\)\s*` : "";
    const re = new RegExp(String.raw`^func\s+${receiver}${name}\s*(\[[^\]]*\])?\(`, "m");
    const m = re.exec(file.masked);
    if (!m) return undefined;
    const paramsOpen = m.index + m[0].length - 1;
    const paramsClose = matchClose(file.masked, paramsOpen);
    const params = paramNames(file, { start: paramsOpen + 1, end: paramsClose });
    // The body is the first `{` after the results that opens no interface{} or struct{} type.
    let k = paramsClose + 1;
    for (;;) {
        const c = file.masked[k];
        if (c === undefined) throw new Error(`${file.path}: no body for func ${name}`);
        if (c === "(" || c === "[") {
            k = matchClose(file.masked, k) + 1;
            continue;
        }
        if (c === "{") {
            if (/\b(interface|struct)\s*$/.test(file.masked.slice(paramsClose, k))) {
                k = matchClose(file.masked, k) + 1;
                continue;
            }
            return { file, name, params, body: { start: k + 1, end: matchClose(file.masked, k) }, at: m.index };
        }
        k++;
    }
}

/** Parameter names in order; `a, b int` gives a and b. */
function paramNames(file: GoFile, span: Span): string[] {
    return splitTopLevel(file.masked, span).map((p) => {
        const words = file.masked.slice(p.start, p.end).trim().split(/\s+/);
        return words[0]!.replace(/^\.\.\./, "");
    });
}

/** The file's imports: alias (or the path's last element) to import path. */
export function imports(file: GoFile): Map<string, string> {
    const out = new Map<string, string>();
    const add = (spec: string): void => {
        const m = /^\s*(?:([A-Za-z_]\w*|\.)\s+)?"([^"]+)"\s*$/.exec(spec);
        if (!m) return;
        const importPath = m[2]!;
        const last = importPath.split("/").pop()!;
        // A major-version suffix (`.../v3`) is not the package's name.
        const name = /^v\d+$/.test(last) ? importPath.split("/").slice(-2)[0]! : last;
        out.set(m[1] ?? name, importPath);
    };
    for (const m of file.text.matchAll(/^import\s*\(([\s\S]*?)^\)/gm)) m[1]!.split("\n").forEach(add);
    for (const m of file.text.matchAll(/^import\s+((?:[A-Za-z_]\w*\s+)?"[^"]+")/gm)) add(m[1]!);
    return out;
}

/**
 * Ranges of function literals (`func(...) ... { ... }`) inside a span: code that runs later (RunE), not while the
 * command is built.
 */
export function functionLiterals(file: GoFile, span: Span): Span[] {
    const out: Span[] = [];
    const re = /(?<![\w.])func\s*\(/g;
    re.lastIndex = span.start;
    for (let m = re.exec(file.masked); m && m.index < span.end; m = re.exec(file.masked)) {
        const paramsClose = matchClose(file.masked, m.index + m[0].length - 1);
        let k = paramsClose + 1;
        while (k < span.end && file.masked[k] !== "{") {
            if (file.masked[k] === "(" || file.masked[k] === "[") k = matchClose(file.masked, k);
            k++;
        }
        if (k >= span.end) continue;
        const end = matchClose(file.masked, k);
        out.push({ start: m.index, end: end + 1 });
        re.lastIndex = end + 1;
    }
    return out;
}

/**
 * The conditions an offset of a function body runs under: the headers of the `if`/`else`/`switch` blocks around it,
 * and the guards before it at the body's top level that return early (`if !RemoteSupported() { return }`).
 */
export function conditionsAt(fn: GoFunction, offset: number): string[] {
    const { masked, text } = fn.file;
    const stack: Array<{ header: string; open: number }> = [];
    const guards: string[] = [];
    // The condition of the `if` block that last closed at each depth, for the `else` after it.
    const lastIf: string[] = [];
    let statementStart = fn.body.start;
    for (let k = fn.body.start; k < offset; k++) {
        const c = masked[k]!;
        if (c === "{") {
            let header = text.slice(statementStart, k).trim().replace(/^}\s*/, "");
            const elseOf = /^else\b\s*(?:if\s+(.*))?$/s.exec(header);
            if (elseOf) {
                const previous = lastIf[stack.length] ?? "?";
                header = `if ${negate(previous)}${elseOf[1] ? ` && ${elseOf[1]}` : ""}`;
            }
            stack.push({ header, open: k });
            statementStart = k + 1;
        } else if (c === "}") {
            const block = stack.pop();
            if (block && /^if\s/.test(block.header)) lastIf[stack.length] = block.header.slice(3).trim();
            if (block && stack.length === 0 && /^if\s/.test(block.header)) {
                if (masked.slice(block.open + 1, k).trim() === "return") guards.push(negate(block.header.slice(3)));
            }
            statementStart = k + 1;
        } else if (c === "\n" || c === ";") {
            statementStart = k + 1;
        }
    }
    const enclosing = stack
        .map((b) => b.header)
        .filter((h) => /^(if|switch|case|select)\b/.test(h))
        .map((h) => h.replace(/^if\s+/, "").trim());
    return [...guards, ...enclosing];
}

function negate(condition: string): string {
    const c = condition.trim();
    return c.startsWith("!") && !/[&|]/.test(c) ? c.slice(1) : `!(${c})`;
}
