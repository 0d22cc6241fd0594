/**
 * How the plan lays out its text in a terminal's 120 columns: items and words wrapped under their field at a
 * continuation indent, a script kept line by line under its field, and a token too long for a line cut with a
 * visible mark. Pure: text in, lines out.
 */

/** The widest line the plan prints: a terminal's 120 columns, as the repository's own code (.prettierrc.json). */
export const PLAN_WIDTH = 120;

/** Ends a line whose last item goes on in the next line: a token too long for one line, or a script line wrapped. */
export const CONTINUED = "↩";

/**
 * Items laid out in lines of at most `width` columns: the first line starts with `first`, the others with `rest` (the
 * continuation indent). Lines break between items, after the separator's visible part (`,` of ", "); an item longer
 * than a whole line is cut, each cut marked with CONTINUED.
 */
export function wrapItems(
    items: readonly string[],
    first: string,
    rest: string,
    separator = " ",
    width = PLAN_WIDTH,
): string[] {
    const tail = separator.trimEnd();
    const gap = separator.slice(tail.length);
    const lines: string[] = [];
    let line = first;
    let empty = true;
    items.forEach((item, k) => {
        const piece = k < items.length - 1 ? `${item}${tail}` : item;
        const joined = empty ? `${line}${piece}` : `${line}${gap}${piece}`;
        if (joined.length <= width) {
            line = joined;
            empty = false;
            return;
        }
        if (!empty) {
            lines.push(line.trimEnd());
            line = rest;
        }
        // Too long for a line of its own: between its words if it has several (a network with its aliases), and a
        // word still too long cut where the line ends.
        let fresh = true;
        for (const word of piece.split(" ")) {
            const withWord = fresh ? `${line}${word}` : `${line} ${word}`;
            if (withWord.length <= width) {
                line = withWord;
                fresh = false;
                continue;
            }
            if (!fresh) {
                lines.push(line.trimEnd());
                line = rest;
            }
            let remaining = word;
            while (line.length + remaining.length > width) {
                const room = Math.max(width - line.length - CONTINUED.length, 8);
                lines.push(`${line}${remaining.slice(0, room)}${CONTINUED}`);
                line = rest;
                remaining = remaining.slice(room);
            }
            line += remaining;
            fresh = false;
        }
        empty = false;
    });
    lines.push(line.trimEnd());
    return lines;
}

/**
 * Text laid out under its field: one line wraps between words at the continuation indent `rest`; a text of several
 * lines (a shell script, a warning with its list) keeps its lines, each indented under the field, and a line too long
 * goes on four columns further in, marked with CONTINUED when `mark` (a script, where an indent means something).
 */
export function wrapText(text: string, first: string, rest: string, mark = false, width = PLAN_WIDTH): string[] {
    const textLines = text.split("\n");
    if (textLines.length === 1) return wrapItems(text.split(" "), first, rest, " ", width);
    return textLines.flatMap((textLine, i) => {
        const lead = /^\s*/.exec(textLine)![0];
        const room = mark ? width - CONTINUED.length - 1 : width;
        const wrapped = wrapItems(
            textLine.slice(lead.length).split(" "),
            `${i === 0 ? first : rest}${lead}`,
            `${rest}${lead}    `,
            " ",
            room,
        );
        return wrapped.map((l, j) =>
            mark && j < wrapped.length - 1 && !l.endsWith(CONTINUED) ? `${l} ${CONTINUED}` : l,
        );
    });
}

/** A field and its value: `key` padded to `keyWidth` after `indent`, the value wrapped under itself. */
export function field(
    indent: string,
    key: string,
    keyWidth: number,
    value: string | readonly string[],
    separator = ", ",
): string[] {
    const first = `${indent}${key.padEnd(keyWidth)}  `;
    const rest = " ".repeat(first.length);
    return typeof value === "string"
        ? wrapText(value, first, rest, key === "command" || key === "entrypoint")
        : wrapItems(value, first, rest, separator);
}

/**
 * Every line of `text` within `width` columns: a longer one wraps between words, its continuation four columns further
 * in than the line's own indent (the policy report's findings, the bench's critical path). Shorter lines are kept as
 * they are.
 */
export function fitToWidth(text: string, width = PLAN_WIDTH): string {
    return text
        .split("\n")
        .flatMap((line) => {
            if ([...line].length <= width) return [line];
            const lead = /^\s*/.exec(line)![0];
            return wrapItems(line.slice(lead.length).split(" "), lead, `${lead}    `, " ", width);
        })
        .join("\n");
}
