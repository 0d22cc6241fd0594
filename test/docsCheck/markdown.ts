/**
 * The Markdown structure the checks read: lines with their fence, inline code spans, fenced blocks, and the anchors a
 * page offers, made the way GitHub makes them.
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
}

export function lines(md: string): Line[] {
    const out: Line[] = [];
    let fence: { marker: string; lang: string } | undefined;
    md.split("\n").forEach((text, i) => {
        const open = /^\s{0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(text);
        if (fence === undefined && open) {
            fence = { marker: open[1]!, lang: open[2]!.toLowerCase() };
            out.push({ n: i + 1, text, fenced: true, lang: fence.lang, fence: "open" });
            return;
        }
        if (fence !== undefined) {
            const lang = fence.lang;
            const marker = fence.marker;
            const closes = new RegExp(`^\\s{0,3}${marker[0] === "`" ? "`" : "~"}{${marker.length},}\\s*$`).test(text);
            if (closes) fence = undefined;
            out.push({ n: i + 1, text, fenced: true, lang, ...(closes ? { fence: "close" as const } : {}) });
            return;
        }
        out.push({ n: i + 1, text, fenced: false, lang: "" });
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
        if (l.fenced || l.text.trim() === "" || single || starts) current = undefined;
        if (l.fenced || l.text.trim() === "") continue;
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
