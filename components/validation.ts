/**
 * Pure checks for the values operators put in stack config. Each returns a
 * description of what was expected when the value is wrong, or undefined when
 * it is fine, so the config reader (components/config/) can collect every problem in one pass.
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

export function isLocalOnlyDomain(domain: string): boolean {
    return (
        domain === "localhost" ||
        domain.endsWith(".localhost") ||
        domain.endsWith(".local") ||
        domain.endsWith(".internal") ||
        domain.endsWith(".test")
    );
}

/**
 * Letters, digits and `_ % + -`: the part of RFC 5322 atext real mailboxes use (plus
 * addressing included). The rest of atext (`# ! & * / = ? ^ | ~ { } $ ' \``) is syntax
 * in the Caddyfile, YAML or a shell, and no mailbox the stack needs has it.
 */
const EMAIL_ATOM = /^[A-Za-z0-9_%+-]+$/;

/** Characters refused in an email address with a reason beyond "not in an address": their name, and why. */
const EMAIL_SYNTAX: Record<string, readonly [string, string]> = {
    "{": ["a brace {", "Caddy expands {$VAR} and {env.VAR} in the Caddyfile, even inside quotes"],
    "}": ["a brace }", "Caddy expands {$VAR} and {env.VAR} in the Caddyfile, even inside quotes"],
    $: ["a dollar sign $", "Caddy expands {$VAR} in the Caddyfile, and shells expand $"],
    '"': ['a double quote "', "it ends a quoted Caddyfile token"],
    "'": ["a single quote '", "it ends a quoted shell word"],
    "`": ["a backquote `", "it starts a quoted Caddyfile token"],
    "\\": ["a backslash \\", "it escapes the next character in the Caddyfile"],
};

/**
 * A plain addr-spec, local@domain, that every file it reaches can carry: ASCII, a
 * dot-atom local part of at most 64 characters (RFC 5321 section 4.5.3.1.1) and a DNS
 * name of two or more labels. Quoted local parts, address literals and comments are
 * refused: no mailbox the stack needs has them, and each is syntax somewhere.
 */
export const checkEmail: Check<string> = (value) => {
    const expected = "an email address such as ops@example.com (local@domain, plain ASCII)";
    const odd = [...value].find((ch) => ch <= "\x20" || ch > "\x7e");
    if (odd !== undefined) return `${expected}; it contains ${odd === " " ? "a space (U+0020)" : describeChar(odd)}`;
    const syntax = [...value].find((ch) => ch in EMAIL_SYNTAX);
    if (syntax !== undefined)
        return `${expected}; it contains ${EMAIL_SYNTAX[syntax]![0]}, refused because ${EMAIL_SYNTAX[syntax]![1]}`;
    const at = value.indexOf("@");
    if (at < 0 || at !== value.lastIndexOf("@")) return `${expected}; it needs exactly one @`;
    const local = value.slice(0, at);
    const domain = value.slice(at + 1);
    if (local.length === 0 || local.length > 64 || !local.split(".").every((atom) => EMAIL_ATOM.test(atom))) {
        return `${expected}; the part before @ must be 1-64 letters, digits and _ % + -, with single dots between them`;
    }
    const lower = domain.toLowerCase();
    const tld = lower.slice(lower.lastIndexOf(".") + 1);
    if (
        value.length > 254 ||
        checkDomain(lower) !== undefined ||
        !lower.includes(".") ||
        !/^([a-z]{2,63}|xn--[a-z0-9-]+)$/.test(tld)
    ) {
        return `${expected}; the part after @ must be a DNS name such as example.com`;
    }
    return undefined;
};

/** An address as a number: 32 bits for IPv4, 128 for IPv6. */
interface IpAddress {
    readonly family: 4 | 6;
    readonly value: bigint;
}

/** A parsed network: family, first address and prefix length. */
export interface Cidr {
    readonly family: 4 | 6;
    readonly network: bigint;
    readonly prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

/** ::ffff:0:0/96, where IPv6 writes IPv4 addresses (RFC 4291 section 2.5.5.2). */
const IPV4_MAPPED = 0xffffn << 32n;

/**
 * An IPv4 or IPv6 address in exact text form. `net.isIP` decides what is valid (it refuses
 * IPv4 parts with leading zeros, which some parsers read as octal); zone ids (`fe80::1%eth0`)
 * are refused, as no firewall takes them.
 */
function parseIp(text: string): IpAddress | undefined {
    const family = net.isIP(text);
    if (family === 4) return { family, value: text.split(".").reduce((acc, part) => (acc << 8n) | BigInt(part), 0n) };
    if (family !== 6 || text.includes("%")) return undefined;
    // A trailing dotted quad stands for the last two groups.
    let rest = text;
    const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(rest);
    if (dotted) {
        const v4 = parseIp(dotted[1]!)!.value;
        rest = `${rest.slice(0, -dotted[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
    }
    const [head = "", tail] = rest.split("::");
    const groups = (s: string) => (s === "" ? [] : s.split(":"));
    const left = groups(head);
    const right = tail === undefined ? [] : groups(tail);
    const all =
        tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
    return { family: 6, value: all.reduce((acc, g) => (acc << 16n) | BigInt(`0x${g}`), 0n) };
}

function formatIp(family: 4 | 6, value: bigint): string {
    if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
    const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((value >> shift) & 0xffffn).toString(16));
    // RFC 5952: the longest run of two or more zero groups (the first of equals) becomes ::.
    let best = { start: -1, length: 1 };
    for (let i = 0; i < 8;) {
        let j = i;
        while (j < 8 && groups[j] === "0") j++;
        if (j - i > best.length) best = { start: i, length: j - i };
        i = j === i ? i + 1 : j;
    }
    if (best.start < 0) return groups.join(":");
    return `${groups.slice(0, best.start).join(":")}::${groups.slice(best.start + best.length).join(":")}`;
}

function hostMask(family: 4 | 6, prefix: number): bigint {
    return (1n << BigInt(BITS[family] - prefix)) - 1n;
}

/**
 * A CIDR parsed exactly, or what was expected. Host bits must be zero; IPv4 written as IPv6 is refused in favour of its
 * IPv4 form.
 */
export function parseCidr(value: string): Cidr | string {
    const expected = "a CIDR such as 203.0.113.7/32 or 2001:db8::/48";
    const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
    if (!match) return expected;
    const address = parseIp(match[1]!);
    if (!address) return `${expected} (the address part is not an IP address)`;
    const prefix = Number(match[2]);
    const bits = BITS[address.family];
    if (prefix > bits) return `${expected} (an IPv${address.family} prefix is at most ${bits})`;
    const network = address.value & ~hostMask(address.family, prefix);
    if (network !== address.value) {
        // Firewalls disagree on such a value: some widen it to its network, some refuse it; neither is what was meant.
        const single = `${formatIp(address.family, address.value)}/${bits}`;
        const start = `${formatIp(address.family, network)}/${prefix}`;
        return `a network address with no host bits set: a /${prefix} starts at ${start}; for the single address write ${single}`;
    }
    if (address.family === 6 && prefix >= 96 && network >> 32n === IPV4_MAPPED >> 32n) {
        // IPv4 packets reach the DigitalOcean firewall and UFW as IPv4; an IPv4-mapped IPv6 source matches none of
        // them, or all of them.
        return `an IPv4 network in IPv4 form: this IPv4-mapped IPv6 network is ${formatIp(4, network & 0xffffffffn)}/${prefix - 96}`;
    }
    return { family: address.family, network, prefix };
}

/** An IPv4 or IPv6 network in CIDR notation: a network address that fits its prefix, IPv4 in IPv4 form. */
export const checkCidr: Check<string> = (value) => {
    const parsed = parseCidr(value);
    return typeof parsed === "string" ? parsed : undefined;
};

/**
 * How many addresses of each family a set of networks covers, overlaps counted once. IPv4-mapped IPv6 (::ffff:0:0/96)
 * counts as IPv4.
 */
export interface Coverage {
    readonly ipv4: bigint;
    readonly ipv6: bigint;
}

/** First and last address of a network. */
function range(cidr: Cidr): readonly [bigint, bigint] {
    const mask = hostMask(cidr.family, cidr.prefix);
    return [cidr.network, cidr.network | mask];
}

function unionSize(ranges: Array<readonly [bigint, bigint]>): bigint {
    const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let total = 0n;
    let current: [bigint, bigint] | undefined;
    for (const [low, high] of sorted) {
        if (current && low <= current[1] + 1n) {
            if (high > current[1]) current[1] = high;
            continue;
        }
        if (current) total += current[1] - current[0] + 1n;
        current = [low, high];
    }
    if (current) total += current[1] - current[0] + 1n;
    return total;
}

/**
 * The addresses a list of CIDRs covers. Entries that do not parse are skipped, and
 * IPv4-mapped ones count as IPv4 here (the policy pack judges firewalls written by
 * hand, where nothing refused them first): `::ffff:0.0.0.0/96` is every IPv4 address.
 */
export function coverage(cidrs: readonly string[]): Coverage {
    const v4: Array<readonly [bigint, bigint]> = [];
    const v6: Array<readonly [bigint, bigint]> = [];
    for (const text of cidrs) {
        const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
        const address = match ? parseIp(match[1]!) : undefined;
        if (!match || !address || Number(match[2]) > BITS[address.family]) continue;
        // Host bits are ignored, as a firewall that accepts such a value widens it to its network.
        const prefix = Number(match[2]);
        const [low, high] = range({
            family: address.family,
            network: address.value & ~hostMask(address.family, prefix),
            prefix,
        });
        if (address.family === 4) {
            v4.push([low, high]);
            continue;
        }
        v6.push([low, high]);
        const mappedLow = IPV4_MAPPED;
        const mappedHigh = IPV4_MAPPED | 0xffffffffn;
        if (low <= mappedHigh && high >= mappedLow) {
            v4.push([
                (low > mappedLow ? low : mappedLow) - mappedLow,
                (high < mappedHigh ? high : mappedHigh) - mappedLow,
            ]);
        }
    }
    return { ipv4: unionSize(v4), ipv6: unionSize(v6) };
}

export const ALL_IPV4 = 1n << 32n;
export const ALL_IPV6 = 1n << 128n;

/**
 * The widest admin networks, in total per family, before SSH counts as open to
 * "unknown" addresses. DigitalOcean's droplet hardening guide and CIS both say to
 * allow SSH from known addresses only; no single organisation's admin network is
 * wider than a whole ISP. IPv4: a /8 (16,777,216 addresses), the largest block ever
 * assigned to one organisation and the size of 10.0.0.0/8, which an ssh target on
 * a private network may list. IPv6: a /32, the minimum an RIR allocates to a whole
 * ISP (RIPE's IPv6 address policy, section 5.1.2); a site gets a /48 and a home a /56.
 */
export const WIDEST_ADMIN_IPV4 = 1n << 24n;
export const WIDEST_ADMIN_IPV6 = 1n << 96n;

/** The prefix length of a network as wide as `count` addresses, rounded up to the next wider one. */
function asWideAs(count: bigint, bits: number): number {
    let prefix = bits;
    while (prefix > 0 && 1n << BigInt(bits - prefix) < count) prefix--;
    return prefix;
}

/**
 * Judges the admin networks by the addresses they cover, together: `0.0.0.0/1` plus
 * `128.0.0.0/1` is the whole internet as surely as `0.0.0.0/0`. Returns what was
 * expected, or undefined. `allowWorld` (freshtrack:allowSshFromAnywhere) lifts both limits.
 */
export function checkAdminCidrs(cidrs: readonly string[], allowWorld: boolean): string | undefined {
    if (allowWorld) return undefined;
    const covered = coverage(cidrs);
    const world = [
        covered.ipv4 >= ALL_IPV4 ? "every IPv4 address" : undefined,
        covered.ipv6 >= ALL_IPV6 ? "every IPv6 address" : undefined,
    ].filter(Boolean);
    if (world.length > 0) {
        return (
            "specific admin networks; SSH open to the whole internet is refused unless freshtrack:allowSshFromAnywhere is true " +
            `(together these cover ${world.join(" and ")})`
        );
    }
    const wide: string[] = [];
    if (covered.ipv4 > WIDEST_ADMIN_IPV4)
        wide.push(`${covered.ipv4} IPv4 addresses (as many as a /${asWideAs(covered.ipv4, 32)})`);
    if (covered.ipv6 > WIDEST_ADMIN_IPV6) wide.push(`as many IPv6 addresses as a /${asWideAs(covered.ipv6, 128)}`);
    if (wide.length > 0) {
        return (
            `admin networks covering at most a /8 of IPv4 and a /32 of IPv6 in total (SSH only from known addresses); these cover ${wide.join(" and ")}. ` +
            "List your own networks, or set freshtrack:allowSshFromAnywhere: true to open SSH that wide"
        );
    }
    return undefined;
}

/** True when a CIDR admits every address of its family, however it is spelt (`0::/0`, `::ffff:0.0.0.0/96`). */
export function isWorldCidr(cidr: string): boolean {
    const covered = coverage([cidr]);
    return covered.ipv4 >= ALL_IPV4 || covered.ipv6 >= ALL_IPV6;
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
    if (value === "latest")
        return "a pinned version tag such as 1.4.2 (latest is refused: it changes under a running stack)";
    return TAG.test(value)
        ? undefined
        : "a Docker tag such as 1.4.2 (letters, digits, '.', '_', '-'; at most 128 characters)";
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

/**
 * The fields of a crontab line as busybox crond reads them: the backup service runs
 * the crond of the postgres alpine image, which is BusyBox's (miscutils/crond.c,
 * ParseField, unchanged from 1_35_0 to the 1.37 development head of mirror/busybox).
 * Names are three letters, any case, and only in the month and day-of-week fields
 * (crond.c MonAry, DowAry, strncasecmp of 3 characters). Day of week is 0-6: crond.c
 * counts it modulo 7, so a 7 never ends its fill loop and is logged as a parse error.
 */
const CRON_FIELDS: ReadonlyArray<{ name: string; min: number; max: number; names?: readonly string[] }> = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    {
        name: "month",
        min: 1,
        max: 12,
        names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    },
    { name: "day of week", min: 0, max: 6, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

/** A character made visible: its code point and, for the usual suspects, a name. */
function describeChar(ch: string): string {
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

/**
 * A five-field cron schedule exactly as it is written into the crontab, followed by a
 * space and the command: fields of printable ASCII separated by single spaces. busybox
 * crond splits a line on spaces and tabs only (crond.c load_crontab, config_read with
 * "# \t") and drops a line of fewer than six tokens without a word, so a trailing line
 * break or a non-breaking space would leave the backup unscheduled, silently. Steps
 * follow `*` or a range only: busybox reads `5/10` as 5, other crons as 5-59/10. A range
 * may not run backwards: busybox wraps it around, other crons refuse it.
 */
export const checkCron: Check<string> = (value) => {
    const expected = "a five-field cron expression such as '15 3 * * *' (minute hour day-of-month month day-of-week)";
    const odd = [...value].find((ch) => ch < "\x20" || ch > "\x7e");
    if (odd !== undefined && odd !== "\t")
        return `${expected}, in plain ASCII; it contains ${describeChar(odd)}, which would break the crontab line`;
    if (odd !== undefined || /^ | $| {2}/.test(value))
        return `${expected}, its fields separated by single spaces with none before or after`;
    const fields = value.split(" ");
    if (fields.length !== CRON_FIELDS.length) return `${expected}; got ${fields.length} field(s)`;
    for (const [i, field] of fields.entries()) {
        const spec = CRON_FIELDS[i]!;
        const names = spec.names ? ` or the names ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : "";
        const allowed = `numbers ${spec.min}-${spec.max}${names}, '*', ranges a-b, steps */n or a-b/n, and lists joined by ','`;
        const number = (text: string): number | undefined => {
            if (/^\d{1,2}$/.test(text)) return Number(text);
            const index = spec.names?.indexOf(text.toLowerCase()) ?? -1;
            return index < 0 ? undefined : index + spec.min;
        };
        for (const part of field.split(",")) {
            const m = /^(?:(\*)|([a-zA-Z]{3}|\d{1,2})(?:-([a-zA-Z]{3}|\d{1,2}))?)(?:\/(\d{1,2}))?$/.exec(part);
            const low = m?.[2] !== undefined ? number(m[2]) : undefined;
            const high = m?.[3] !== undefined ? number(m[3]) : undefined;
            if (!m || (m[2] !== undefined && low === undefined) || (m[3] !== undefined && high === undefined)) {
                return `${expected}; the ${spec.name} field '${field}' is not one busybox crond reads: ${allowed}`;
            }
            if ([low, high].some((n) => n !== undefined && (n < spec.min || n > spec.max))) {
                const sunday = spec.name === "day of week" ? " (Sunday is 0; busybox crond refuses 7)" : "";
                return `${expected}; the ${spec.name} field must stay within ${spec.min}-${spec.max}${sunday}`;
            }
            if (low !== undefined && high !== undefined && low > high)
                return `${expected}; the range '${part}' runs backwards`;
            if (m[4] !== undefined && Number(m[4]) === 0) return `${expected}; a step of 0 never fires`;
            if (m[4] !== undefined && m[2] !== undefined && m[3] === undefined) {
                const meant = `${m[2]}-${spec.max}/${m[4]} or */${m[4]}`;
                return `${expected}; the step in '${part}' follows a single value, which busybox crond reads as ${m[2]} alone: write ${meant}`;
            }
        }
    }
    return undefined;
};

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

/** `host:port` as Alertmanager's smarthost expects it. */
export const checkHostPort: Check<string> = (value) => {
    const m = /^(.+):(\d{1,5})$/.exec(value);
    const port = m ? Number(m[2]) : 0;
    return m && port > 0 && port < 65536 && (checkDomain(m[1]!) === undefined || net.isIP(m[1]!) !== 0)
        ? undefined
        : "host:port such as smtp.example.com:587";
};

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

/** Names reserved for documentation and testing (RFC 2606): no one can own them, no CA issues for them. */
export function isReservedExampleDomain(domain: string): boolean {
    const d = domain.toLowerCase().replace(/\.$/, "");
    return /(^|\.)example\.(com|net|org)$/.test(d) || /(^|\.)(example|test|invalid)$/.test(d);
}

/**
 * Address ranges reserved for documentation (RFC 5737 for IPv4, RFC 3849 for IPv6): no real host or admin network is in
 * them.
 */
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

/** An IPv4 or IPv6 address, as `net.isIP` judges one. */
export function isIpAddress(value: string): boolean {
    return net.isIP(value) !== 0;
}
