/** IP addresses and CIDRs: parsing, what a list of them covers, and the ranges reserved for documentation. */
import * as net from "net";
import type { Check } from "./check";

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
