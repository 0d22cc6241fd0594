/**
 * Pure checks for the values operators put in stack config. Each returns a
 * description of what was expected when the value is wrong, or undefined when
 * it is fine, so `config.ts` can collect every problem in one pass.
 */
import * as net from "net";

export type Check<T> = (value: T) => string | undefined;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A lowercase DNS name of two or more labels, or `localhost` and its subdomains. */
export const checkDomain: Check<string> = (value) => {
    const expected = "a lowercase DNS name such as freshtrack.example.com";
    if (value.length === 0 || value.length > 253) return expected;
    const labels = value.split(".");
    if (!labels.every((l) => DNS_LABEL.test(l))) return expected;
    if (labels.length < 2 && value !== "localhost") return expected;
    if (/^[0-9]+$/.test(labels[labels.length - 1] ?? "")) return `${expected} (not an IP address)`;
    return undefined;
};

/** Names that cannot get a publicly trusted certificate, so ACME would fail. */
export function isLocalOnlyDomain(domain: string): boolean {
    return domain === "localhost" || domain.endsWith(".localhost") || domain.endsWith(".local") || domain.endsWith(".internal") || domain.endsWith(".test");
}

export const checkEmail: Check<string> = (value) =>
    /^[^\s@]+@[^\s@]+\.[^\s@.]+$/.test(value) ? undefined : "an email address such as ops@example.com";

/** An IPv4 or IPv6 network in CIDR notation with a prefix length that fits the family. */
export const checkCidr: Check<string> = (value) => {
    const expected = "a CIDR such as 203.0.113.7/32 or 2001:db8::/48";
    const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
    if (!match) return expected;
    const family = net.isIP(match[1] ?? "");
    const prefix = Number(match[2]);
    if (family === 4 && prefix <= 32) return undefined;
    if (family === 6 && prefix <= 128) return undefined;
    if (family === 0) return `${expected} (the address part is not an IP address)`;
    return `${expected} (an IPv${family} prefix is at most ${family === 4 ? 32 : 128})`;
};

/** True when a CIDR admits every address of its family. */
export function isWorldCidr(cidr: string): boolean {
    return cidr === "0.0.0.0/0" || /^::(0)?\/0$/.test(cidr) || /^0:0:0:0:0:0:0:0\/0$/.test(cidr);
}

/** A parsed `registry/repository[:tag][@sha256:digest]` reference. */
export interface ImageRef {
    /** Everything before the tag: registry host (optional) and repository path. */
    readonly repository: string;
    readonly tag?: string;
    readonly digest?: string;
    /** The reference as Docker accepts it. */
    readonly ref: string;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const REPOSITORY = /^([a-z0-9.-]+(:[0-9]+)?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** A tag that names one build: anything but empty and `latest`. */
export const checkPinnedTag: Check<string> = (value) => {
    if (value === "latest") return "a pinned version tag such as 1.4.2 (latest is refused: it changes under a running stack)";
    return TAG.test(value) ? undefined : "a Docker tag such as 1.4.2 (letters, digits, '.', '_', '-'; at most 128 characters)";
};

/**
 * Parses an image reference and insists that it is pinned: a tag other than
 * `latest`, or a digest. Returns the parsed reference or the expectation.
 */
export function parseImageRef(value: string): ImageRef | string {
    const expected = "an image reference registry/name:tag or name@sha256:digest";
    let rest = value;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
        if (!DIGEST.test(digest)) return `${expected} (the digest must be sha256: and 64 hex digits)`;
    }
    let tag: string | undefined;
    const lastSlash = rest.lastIndexOf("/");
    const colon = rest.lastIndexOf(":");
    if (colon > lastSlash) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
        const tagProblem = checkPinnedTag(tag);
        if (tagProblem) return tagProblem;
    }
    if (!REPOSITORY.test(rest)) return `${expected} (the name may use lowercase letters, digits and . _ - /)`;
    if (tag === undefined && digest === undefined) return `${expected} (untagged images are refused: they mean latest)`;
    return {
        repository: rest,
        ...(tag !== undefined ? { tag } : {}),
        ...(digest !== undefined ? { digest } : {}),
        ref: value,
    };
}

const CRON_FIELDS: ReadonlyArray<{ name: string; min: number; max: number }> = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12 },
    { name: "day of week", min: 0, max: 7 },
];

/**
 * A five-field cron expression with numeric fields (`*`, values, ranges,
 * lists and steps), the dialect every cron the backup job may run under accepts.
 */
export const checkCron: Check<string> = (value) => {
    const expected = "a five-field cron expression such as '15 3 * * *' (minute hour day-of-month month day-of-week)";
    const fields = value.trim().split(/\s+/);
    if (fields.length !== CRON_FIELDS.length) return `${expected}; got ${fields.length} field(s)`;
    for (const [i, field] of fields.entries()) {
        const spec = CRON_FIELDS[i]!;
        for (const part of field.split(",")) {
            const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
            if (!m) return `${expected}; the ${spec.name} field '${field}' is not numeric`;
            const numbers = [m[2], m[3]].filter((n): n is string => n !== undefined).map(Number);
            if (numbers.some((n) => n < spec.min || n > spec.max)) {
                return `${expected}; the ${spec.name} field must stay within ${spec.min}-${spec.max}`;
            }
            if (numbers.length === 2 && numbers[0]! > numbers[1]!) return `${expected}; the range '${part}' runs backwards`;
            if (m[4] !== undefined && Number(m[4]) === 0) return `${expected}; a step of 0 never fires`;
        }
    }
    return undefined;
};

/** An integer within [min, max]. */
export function checkInteger(min: number, max: number): Check<unknown> {
    return (value) => (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max ? undefined : `an integer from ${min} to ${max}`);
}

/** A number within [min, max]. */
export function checkNumber(min: number, max: number): Check<unknown> {
    return (value) => (typeof value === "number" && Number.isFinite(value) && value >= min && value <= max ? undefined : `a number from ${min} to ${max}`);
}

/** `host:port` as Alertmanager's smarthost expects it. */
export const checkHostPort: Check<string> = (value) => {
    const m = /^(.+):(\d{1,5})$/.exec(value);
    const port = m ? Number(m[2]) : 0;
    return m && port > 0 && port < 65536 && (checkDomain(m[1]!) === undefined || net.isIP(m[1]!) !== 0) ? undefined : "host:port such as smtp.example.com:587";
};

/** Edit distance (insertions, deletions, substitutions, and swaps of two neighbours), case-insensitive. */
function editDistance(a: string, b: string): number {
    const s = a.toLowerCase();
    const t = b.toLowerCase();
    const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= s.length; i++) {
        for (let j = 1; j <= t.length; j++) {
            const row = d[i]!;
            const prev = d[i - 1]!;
            row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
            if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
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
    const scored = candidates.map((candidate) => ({ candidate, distance: editDistance(name, candidate) })).sort((a, b) => a.distance - b.distance);
    const [best, second] = scored;
    if (!best || best.distance > Math.max(2, Math.floor(name.length / 3))) return undefined;
    return second && second.distance === best.distance ? undefined : best.candidate;
}

/** Names reserved for documentation and testing (RFC 2606): no one can own them, no CA issues for them. */
export function isReservedExampleDomain(domain: string): boolean {
    const d = domain.toLowerCase().replace(/\.$/, "");
    return /(^|\.)example\.(com|net|org)$/.test(d) || /(^|\.)(example|test|invalid)$/.test(d);
}

/** Address ranges reserved for documentation (RFC 5737 for IPv4, RFC 3849 for IPv6): no real host or admin network is in them. */
const DOCUMENTATION_RANGES: ReadonlyArray<readonly [string, number, "ipv4" | "ipv6"]> = [
    ["192.0.2.0", 24, "ipv4"],
    ["198.51.100.0", 24, "ipv4"],
    ["203.0.113.0", 24, "ipv4"],
    ["2001:db8::", 32, "ipv6"],
];

/** Whether an address or CIDR lies inside a documentation range. */
export function isDocumentationAddress(value: string): boolean {
    const [address = "", prefixText] = value.split("/");
    const family = net.isIP(address) === 6 ? "ipv6" : net.isIP(address) === 4 ? "ipv4" : undefined;
    if (!family) return false;
    const prefix = prefixText === undefined ? (family === "ipv4" ? 32 : 128) : Number(prefixText);
    return DOCUMENTATION_RANGES.some(([base, bits, f]) => {
        if (f !== family || prefix < bits) return false;
        const list = new net.BlockList();
        list.addSubnet(base, bits, f);
        return list.check(address, f);
    });
}
