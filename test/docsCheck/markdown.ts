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
}

export function lines(md: string): Line[] {
    const out: Line[] = [];
    let fence: { marker: string; lang: string } | undefined;
    md.split("\n").forEach((text, i) => {
        const open = /^\s{0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(text);
        if (fence === undefined && open) {
            fence = { marker: open[1]!, lang: open[2]!.toLowerCase() };
            out.push({ n: i + 1, text, fenced: true, lang: fence.lang });
            return;
        }
        if (fence !== undefined) {
            const lang = fence.lang;
            const marker = fence.marker;
            if (new RegExp(`^\\s{0,3}${marker[0] === "`" ? "`" : "~"}{${marker.length},}\\s*$`).test(text))
                fence = undefined;
            out.push({ n: i + 1, text, fenced: true, lang });
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

/** Fenced code blocks with their language and first line number. */
export function fencedBlocks(md: string): Array<{ lang: string; line: number; body: string }> {
    const blocks: Array<{ lang: string; line: number; body: string[] }> = [];
    let current: { lang: string; line: number; body: string[] } | undefined;
    let previousFenced = false;
    for (const l of lines(md)) {
        if (l.fenced && !previousFenced) {
            current = { lang: l.lang, line: l.n + 1, body: [] };
            blocks.push(current);
        } else if (l.fenced && current && !/^\s{0,3}(`{3,}|~{3,})\s*$/.test(l.text)) {
            current.body.push(l.text);
        }
        previousFenced = l.fenced;
        if (!l.fenced) current = undefined;
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
