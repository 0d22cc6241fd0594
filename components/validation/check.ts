/**
 * Pure checks for the values operators put in stack config. Each returns a description of what was expected when the
 * value is wrong, or undefined when it is fine, so the config reader (components/config/) can collect every problem in
 * one pass.
 */
export type Check<T> = (value: T) => string | undefined;

/** An integer within [min, max]. */
export function checkInteger(min: number, max: number): Check<unknown> {
    return (value) =>
        typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
            ? undefined
            : `an integer from ${min} to ${max}`;
}

/** A number within [min, max]. */
export function checkNumber(min: number, max: number): Check<unknown> {
    return (value) =>
        typeof value === "number" && Number.isFinite(value) && value >= min && value <= max
            ? undefined
            : `a number from ${min} to ${max}`;
}

/**
 * Whether a container `user` may leave the process root. Only a plain uid other than 0, or a name other than root,
 * counts as not root: unset leaves it to the image (which the policy cannot see), and runc reads a numeric user with
 * Go's strconv.Atoi, which takes "+0", "-0" and "00" as 0 (the attack pass), so any other spelling counts as root.
 */
export function runsAsRoot(user: string | undefined): boolean {
    const who = (user ?? "").split(":")[0]!;
    if (/^[1-9][0-9]*$/.test(who)) return false;
    return !/^[a-z_][a-z0-9_-]*$/.test(who) || who === "root";
}

/** Edit distance (insertions, deletions, substitutions, and swaps of two neighbours), case-insensitive. */
function editDistance(a: string, b: string): number {
    const s = a.toLowerCase();
    const t = b.toLowerCase();
    const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) =>
        Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
    );
    for (let i = 1; i <= s.length; i++) {
        for (let j = 1; j <= t.length; j++) {
            const row = d[i]!;
            const prev = d[i - 1]!;
            row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
            if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
                row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
        }
    }
    return d[s.length]![t.length]!;
}

/**
 * The candidate a mistyped name most likely meant, for "did you mean ...?":
 * the only candidate the name begins (an abbreviation such as `y` for `yes`);
 * else the nearest by edit distance, if it is within a third of the name's
 * length (at least 2 edits) and no other candidate is as near. A name of one
 * or two letters is matched only as an abbreviation. Undefined rather than a guess.
 */
export function closestMatch(name: string, candidates: readonly string[]): string | undefined {
    const lower = name.toLowerCase();
    const abbreviating = candidates.filter((c) => c.toLowerCase().startsWith(lower));
    if (lower !== "" && abbreviating.length === 1) return abbreviating[0];
    if (name.length <= 2) return undefined;
    const scored = candidates
        .map((candidate) => ({ candidate, distance: editDistance(name, candidate) }))
        .sort((a, b) => a.distance - b.distance);
    const [best, second] = scored;
    if (!best || best.distance > Math.max(2, Math.floor(name.length / 3))) return undefined;
    return second && second.distance === best.distance ? undefined : best.candidate;
}

/** A character made visible: its code point and, for the usual suspects, a name. */
export function describeChar(ch: string): string {
    const code = ch.codePointAt(0) ?? 0;
    const names: Record<number, string> = {
        0x09: "a tab",
        0x0a: "a line break",
        0x0d: "a carriage return",
        0xa0: "a non-breaking space",
        0x200b: "a zero-width space",
        0xfeff: "a byte-order mark",
    };
    const name = names[code] ?? (code < 0x20 || code === 0x7f ? "a control character" : "a non-ASCII character");
    return `${name} (U+${code.toString(16).toUpperCase().padStart(4, "0")})`;
}
