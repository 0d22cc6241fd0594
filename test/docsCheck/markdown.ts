/**
 * The Markdown structure the checks read: lines with their fence (or indented code block), inline code spans, fenced
 * blocks, and the anchors a page offers, made the way GitHub makes them.
 */

export interface Line {
    readonly n: number;
    readonly text: string;
    /** Inside a fenced code block (the fence lines themselves included). */
    readonly fenced: boolean;
    /** The info string of the fence this line is in, e.g. `yaml`. */
    readonly lang: string;
    /** The line opens or closes its fenced block. */
    readonly fence?: "open" | "close";
    /** A line of an indented code block, which the docs refuse (see indentedCodeBlocks). */
    readonly indented?: true;
}

/**
 * The columns a line's leading spaces and tabs reach from `offset`, tabs stopping at multiples of 4 (CommonMark
 * 0.31.2 spec.txt:343-348), and the offset of the first other character.
 */
function indentFrom(text: string, offset: number, column: number): { column: number; offset: number } {
    let c = column;
    let i = offset;
    for (; i < text.length && (text[i] === " " || text[i] === "\t"); i++)
        c = text[i] === "\t" ? c + 4 - (c % 4) : c + 1;
    return { column: c, offset: i };
}

/** An opening fence at the start of `text` (spec.txt:1936-1948): a backtick fence's info string has no backtick. */
function openingFence(text: string): { marker: string; lang: string } | undefined {
    const m = /^(`{3,}|~{3,})[ \t]*(.*)$/.exec(text);
    if (!m || (m[1]![0] === "`" && m[2]!.includes("`"))) return undefined;
    return { marker: m[1]!, lang: /^\S*/.exec(m[2]!)![0].toLowerCase() };
}

const LIST_MARKER = /^(?:[-+*]|\d{1,9}[.)])(?=[ \t]|$)/;
const THEMATIC_BREAK = /^(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$/;
const ATX_HEADING = /^#{1,6}(?:[ \t]|$)/;
const BLOCK_QUOTE = /^(?: {0,3}>[ \t]?)+/;

/**
 * Every line of a page with its place in the block structure, read as CommonMark 0.31.2 (and GitHub, whose cmark-gfm
 * follows it for blocks) reads it, for the blocks that decide where code is:
 * - list items shift where their blocks start: a line belongs to an item when indented to the item's content column,
 *   the marker's width plus the 1-4 spaces after it (spec.txt:4113-4122), or one past the marker when 5 or more
 *   follow (the item then starts with an indented code block, 4423-4428) or nothing does (4579-4584);
 * - a fence opens with up to 3 spaces of indentation past its container's column and closes the same way
 *   (1936-1940, 1959-1960), and ends with its list item when a line leaves the item (1960-1964);
 * - an indented code block is 4 or more columns past its container's, and cannot interrupt a paragraph: a line that
 *   continues one, lazily or not (4814-4821), is text however far it is indented (1734-1746).
 * Block quote markers are taken off before the rest is read; a change of quote depth ends the lists and fences
 * opened inside another depth. Not modelled: the exceptions for a list item interrupting a paragraph (an empty item,
 * an ordered one not starting at 1: spec.txt:4125-4131, 4699), HTML blocks other than comments (read as paragraphs,
 * which end at a blank line, as types 6 and 7 do), link reference definitions and setext headings (text).
 */
export function lines(md: string): Line[] {
    const out: Line[] = [];
    /** The content columns of the open list items, innermost last. */
    let items: number[] = [];
    let fence: { marker: string; lang: string; column: number; depth: number } | undefined;
    let paragraph = false;
    let comment = false;
    let depth = 0;
    md.split("\n").forEach((raw, i) => {
        const n = i + 1;
        if (fence !== undefined) {
            // A fence's lines are its content: only the quote markers of the quotes it stands in are taken off.
            let inner: string | undefined = raw;
            for (let q = 0; q < fence.depth && inner !== undefined; q++) {
                const marker = /^ {0,3}>[ \t]?/.exec(inner);
                inner = marker ? inner.slice(marker[0].length) : inner.trim() === "" ? "" : undefined;
            }
            const at = inner === undefined ? undefined : indentFrom(inner, 0, 0);
            const empty = inner !== undefined && inner.trim() === "";
            if (inner !== undefined && at !== undefined && (empty || at.column >= fence.column)) {
                const { marker, lang } = fence;
                const close = new RegExp(`^${marker[0] === "`" ? "`" : "~"}{${marker.length},}[ \\t]*$`);
                const closes = !empty && at.column - fence.column <= 3 && close.test(inner.slice(at.offset));
                if (closes) fence = undefined;
                out.push({ n, text: raw, fenced: true, lang, ...(closes ? { fence: "close" as const } : {}) });
                return;
            }
            fence = undefined;
        }
        const quote = BLOCK_QUOTE.exec(raw)?.[0] ?? "";
        const text = raw.slice(quote.length);
        const blank = text.trim() === "";
        const quotes = (quote.match(/>/g) ?? []).length;
        if (!blank && quotes !== depth && !(paragraph && quotes < depth)) {
            items = [];
            paragraph = false;
        }
        if (!blank || quote !== "") depth = quotes;
        const start = indentFrom(text, 0, 0);
        if (comment) {
            if (text.includes("-->")) comment = false;
            out.push({ n, text: raw, fenced: false, lang: "" });
            return;
        }
        if (blank) {
            paragraph = false;
            out.push({ n, text: raw, fenced: false, lang: "" });
            return;
        }
        let k = items.length;
        while (k > 0 && items[k - 1]! > start.column) k--;
        const base = k > 0 ? items[k - 1]! : 0;
        const body = text.slice(start.offset);
        const opens =
            start.column - base <= 3 &&
            (LIST_MARKER.test(body) || THEMATIC_BREAK.test(body) || ATX_HEADING.test(body) || !!openingFence(body));
        if (paragraph && !opens) {
            out.push({ n, text: raw, fenced: false, lang: "" });
            return;
        }
        items = items.slice(0, k);
        if (start.column - base >= 4) {
            paragraph = false;
            out.push({ n, text: raw, fenced: false, lang: "", indented: true });
            return;
        }
        // The blocks that start on the line: list markers, each opening an item, then what the innermost one holds.
        let at = start;
        for (;;) {
            const rest = text.slice(at.offset);
            const marker = THEMATIC_BREAK.test(rest) ? null : LIST_MARKER.exec(rest);
            if (marker) {
                const markerEnd = at.column + marker[0].length;
                const after = indentFrom(text, at.offset + marker[0].length, markerEnd);
                const empty = after.offset >= text.length;
                if (empty || after.column - markerEnd > 4) {
                    items.push(markerEnd + 1);
                    paragraph = false;
                    out.push({ n, text: raw, fenced: false, lang: "", ...(empty ? {} : { indented: true as const }) });
                    return;
                }
                items.push(after.column);
                at = after;
                continue;
            }
            const opened = openingFence(rest);
            if (opened) {
                fence = { ...opened, column: items[items.length - 1] ?? 0, depth };
                paragraph = false;
                out.push({ n, text: raw, fenced: true, lang: opened.lang, fence: "open" });
                return;
            }
            paragraph = !THEMATIC_BREAK.test(rest) && !ATX_HEADING.test(rest);
            comment = rest.startsWith("<!--") && !rest.includes("-->", 4);
            if (comment) paragraph = false;
            out.push({ n, text: raw, fenced: false, lang: "" });
            return;
        }
    });
    return out;
}

/** The contents of inline code spans on a line outside code blocks. */
export function codeSpans(text: string): string[] {
    const out: string[] = [];
    const re = /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g;
    for (const m of text.matchAll(re)) out.push(m[2]!.trim());
    return out;
}

/** Fenced code blocks with their language and first line number; a block right after another is a block of its own. */
export function fencedBlocks(md: string): Array<{ lang: string; line: number; body: string }> {
    const blocks: Array<{ lang: string; line: number; body: string[] }> = [];
    let current: { lang: string; line: number; body: string[] } | undefined;
    for (const l of lines(md)) {
        if (l.fence === "open") {
            current = { lang: l.lang, line: l.n + 1, body: [] };
            blocks.push(current);
        } else if (l.fence === "close" || !l.fenced) {
            current = undefined;
        } else current?.body.push(l.text);
    }
    return blocks.map((b) => ({ lang: b.lang, line: b.line, body: b.body.join("\n") }));
}

/**
 * GitHub's anchor for a heading: inline markup removed, lowercased, every
 * character but letters, digits, spaces, hyphens and underscores dropped,
 * spaces turned into hyphens.
 */
export function githubSlug(heading: string): string {
    return heading
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
        .replace(/<[^>]+>/g, "")
        .replace(/[`*~]/g, "")
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

/** Every anchor a page offers: heading slugs (duplicates numbered as GitHub does) and HTML ids/names. */
export function anchors(md: string): Set<string> {
    const out = new Set<string>();
    const seen = new Map<string, number>();
    const all = lines(md);
    all.forEach((l, i) => {
        if (l.fenced) return;
        let heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(l.text)?.[1];
        const next = all[i + 1];
        if (
            heading === undefined &&
            next &&
            !next.fenced &&
            /^\s{0,3}(=+|-+)\s*$/.test(next.text) &&
            l.text.trim() !== "" &&
            !/^\s*[-*|]/.test(l.text)
        ) {
            heading = l.text.trim();
        }
        if (heading !== undefined) {
            const base = githubSlug(heading);
            const count = seen.get(base) ?? 0;
            seen.set(base, count + 1);
            out.add(count === 0 ? base : `${base}-${count}`);
        }
        for (const m of l.text.matchAll(/<a\s[^>]*(?:name|id)="([^"]+)"/g)) out.add(m[1]!);
    });
    return out;
}

/**
 * Text outside code blocks, in the units a code span cannot leave: a paragraph or list item may wrap a span over
 * lines (CommonMark, code spans: a line ending inside one is a space), a table row, a heading or a blank line ends it.
 * (codeSpans above reads one line at a time, and misses `...` wrapped over two.)
 */
export function paragraphs(md: string): Array<{ line: number; text: string }> {
    const out: Array<{ line: number; text: string }> = [];
    let current: { line: number; text: string } | undefined;
    for (const l of lines(md)) {
        const single = /^\s*(\||#{1,6}\s)/.test(l.text);
        const starts = /^\s*([-*+]|\d+[.)])\s/.test(l.text);
        const code = l.fenced || l.indented === true;
        if (code || l.text.trim() === "" || single || starts) current = undefined;
        if (code || l.text.trim() === "") continue;
        if (current && !single) {
            current.text += `\n${l.text}`;
        } else {
            current = { line: l.n, text: l.text };
            out.push(current);
            if (single) current = undefined;
        }
    }
    return out;
}

/**
 * The indented code blocks of a page, each with its first line and its lines. The docs refuse them
 * (test/docsAccess.test.ts): such a block has no info string (spec.txt:1734-1742), so nothing tells a command from
 * its output or from a file's contents, which shellTexts below reads a fenced block's language for; and a block
 * indented under a list item is where a reader of the indentation and GitHub are likeliest to disagree. A fenced block
 * says what it holds.
 */
export function indentedCodeBlocks(md: string): Array<{ line: number; text: string }> {
    const out: Array<{ line: number; text: string }> = [];
    let current: { line: number; text: string } | undefined;
    for (const l of lines(md)) {
        if (l.indented) {
            if (current) current.text += `\n${l.text}`;
            else out.push((current = { line: l.n, text: l.text }));
        } else if (l.text.trim() !== "") current = undefined;
    }
    return out;
}

/** A piece of a page that the shell would read: a code block, one line of a block, or a code span. */
export interface ShellText {
    readonly line: number;
    readonly text: string;
    /** From a code block (a command to run), not a code span in prose. */
    readonly block: boolean;
}

/** Blocks of shell text: read whole, so that continuations, quotes and subshells may span lines. */
const SHELL_LANGS = new Set(["sh", "bash", "shell", "zsh", "console", "shell-session", "shellsession"]);
/** Blocks that hold no command for the reader to type: data, program source, file contents. */
const NO_COMMANDS = new Set([
    ...["yaml", "yml", "json", "jsonc", "json5", "toml", "ini", "xml", "html", "css", "sql", "hcl", "diff"],
    ...["ts", "typescript", "js", "javascript", "go", "python", "py", "caddyfile", "dockerfile", "promql", "mermaid"],
]);
/** A shell prompt at the start of a line of a block: `$ ` (or a lone `$`). */
const PROMPT = /^(\s*)\$(?: |$)/;

/**
 * Every piece of a page's code that the shell would read, in page order:
 * - shell blocks (sh, bash, shell, zsh, console) whole, with `$ ` prompts taken off; in a console block that has
 *   prompts, the lines that are neither a prompt's command nor its continuation (a `\` at the end of the line before,
 *   or a `> ` prompt) are output and left out (blanked, so lines keep their numbers);
 * - other blocks (unlabelled, `text`, any language not in NO_COMMANDS) line by line, so that a quote in output text
 *   cannot run past its line: a command typed there is still one a reader may copy;
 * - code spans, over wrapped lines, with `\|` in a table row read as `|` (GitHub Flavored Markdown, tables).
 * Fenced blocks are found where GitHub finds them, under list items too (lines); indented code blocks are not read
 * here, and the docs refuse them (indentedCodeBlocks).
 */
export function shellTexts(md: string): ShellText[] {
    const out: ShellText[] = [];
    for (const b of fencedBlocks(md)) {
        if (NO_COMMANDS.has(b.lang)) continue;
        const body = b.body.split("\n");
        if (!SHELL_LANGS.has(b.lang)) {
            body.forEach((text, k) => out.push({ line: b.line + k, text, block: true }));
            continue;
        }
        const everyLine = b.lang !== "console" || !body.some((l) => PROMPT.test(l));
        let previous: string | undefined;
        const kept = body.map((l) => {
            const prompt = PROMPT.test(l);
            const continued = previous !== undefined && (/\\$/.test(previous) || /^\s*> /.test(l));
            const keep = everyLine || prompt || continued;
            previous = keep ? l : undefined;
            if (!keep) return "";
            return prompt ? l.replace(PROMPT, "$1") : everyLine ? l : l.replace(/^\s*> /, "");
        });
        out.push({ line: b.line, text: kept.join("\n"), block: true });
    }
    for (const p of paragraphs(md)) {
        const table = /^\s*\|/.test(p.text);
        for (const m of p.text.matchAll(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g)) {
            const line = p.line + p.text.slice(0, m.index).split("\n").length - 1;
            const span = m[2]!.replace(/\n/g, " ").trim();
            out.push({ line, text: table ? span.replace(/\\\|/g, "|") : span, block: false });
        }
    }
    return out.sort((a, b) => a.line - b.line);
}
