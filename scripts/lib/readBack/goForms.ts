/**
 * Go's string forms of the values the Docker provider parses on create and prints on read: durations
 * (time.ParseDuration, Duration.String()), CPU counts (opts.ParseCPUs) and host addresses (net.IP.String()). A value
 * the program sends in another form than Go prints it reads back changed. The abbreviations in the citations ("kw",
 * "moby") are those of docker.ts's header.
 */
import { cpusReadBack, goDuration, nanoCpus } from "../../../components/dockerForms";

// ---------------------------------------------------------------------------
// Go's time.ParseDuration and time.Duration.String(), which the provider applies
// to health check durations on create and on read.
// ---------------------------------------------------------------------------

const NS: Record<string, bigint> = {
    ns: 1n,
    us: 1_000n,
    "\u00b5s": 1_000n,
    "\u03bcs": 1_000n,
    ms: 1_000_000n,
    s: 1_000_000_000n,
    m: 60_000_000_000n,
    h: 3_600_000_000_000n,
};

/** Nanoseconds of a Go duration string, or undefined where Go's ParseDuration refuses it. */
export function parseGoDuration(text: string): bigint | undefined {
    let rest = text;
    let sign = 1n;
    if (rest.startsWith("-") || rest.startsWith("+")) {
        if (rest[0] === "-") sign = -1n;
        rest = rest.slice(1);
    }
    if (rest === "0") return 0n;
    if (rest === "") return undefined;
    let total = 0n;
    const part = /^(\d*)(?:\.(\d*))?(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/;
    while (rest.length > 0) {
        const m = part.exec(rest);
        if (!m || (m[1] === "" && (m[2] ?? "") === "")) return undefined;
        const unit = NS[m[3]!]!;
        const whole = BigInt(m[1] || "0");
        const frac = m[2] ?? "";
        // Go adds the fraction scaled by the unit and truncates (time/format.go, ParseDuration).
        total += whole * unit + (frac === "" ? 0n : (BigInt(frac) * unit) / 10n ** BigInt(frac.length));
        rest = rest.slice(m[0].length);
    }
    return sign * total;
}

/** `time.Duration(ns).String()`: whole seconds through goDuration, fractions the way Go prints them. */
export function formatGoDuration(ns: bigint): string {
    if (ns < 0n) return `-${formatGoDuration(-ns)}`;
    const second = 1_000_000_000n;
    if (ns % second === 0n) return goDuration(Number(ns / second));
    const fraction = (value: bigint, digits: number) => {
        const text = value.toString().padStart(digits, "0").replace(/0+$/, "");
        return text === "" ? "" : `.${text}`;
    };
    if (ns < 1_000n) return `${ns}ns`;
    if (ns < 1_000_000n) return `${ns / 1_000n}${fraction(ns % 1_000n, 3)}\u00b5s`;
    if (ns < second) return `${ns / 1_000_000n}${fraction(ns % 1_000_000n, 6)}ms`;
    const wholeSeconds = ns / second;
    const seconds = `${wholeSeconds % 60n}${fraction(ns % second, 9)}s`;
    const minutes = wholeSeconds / 60n;
    if (minutes === 0n) return seconds;
    const hours = minutes / 60n;
    return hours === 0n ? `${minutes}m${seconds}` : `${hours}h${minutes % 60n}m${seconds}`;
}

/**
 * A duration as the provider reads it back: parsed on create (kw funcs.go:147-158), printed by Duration.String() on
 * read (funcs.go:964-967).
 */
export function durationReadBack(text: string): string {
    const ns = parseGoDuration(text);
    // kw resource_docker_container.go:1064 validateDurationGeq0 (validators.go:92-114) refuses these before create.
    if (ns === undefined || ns < 0n)
        throw new RangeError(`'${text}' is not a valid non-negative Go duration; the provider refuses it at plan time`);
    return formatGoDuration(ns);
}

/**
 * The `cpus` string the provider reads back: opts.ParseCPUs on create (kw funcs.go:354-360),
 * nanoInt64ToDecimalString on read (funcs.go:946-948, helpers.go:133-149).
 */
export function cpusStateForm(cpus: string): string {
    const nano = nanoCpus(Number(cpus));
    // opts.ParseCPUs takes any rational; the Number() route covers the decimals this program writes.
    if (nano === undefined)
        throw new RangeError(
            `cpus "${cpus}": Create fails ("Error setting cpus", kw funcs.go:355-358), or it is no decimal this model parses`,
        );
    // Read sets cpus only when NanoCPUs > 0 (kw funcs.go:946); otherwise the state keeps what was sent.
    return nano === 0n ? cpus : cpusReadBack(nano);
}

/** How Go's net.IP.String() prints a host address (moby getEndpointPortMapInfo: HostIP: pp.HostIP.String()). */
export function goIpString(ip: string): string {
    if (/^\d+\.\d+\.\d+\.\d+$/.test(ip))
        return ip
            .split(".")
            .map((o) => String(Number(o)))
            .join(".");
    if (!ip.includes(":")) return ip;
    const host = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
    // Go prints an IPv4-mapped address in dotted form; WHATWG URL keeps it hexadecimal.
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    if (mapped) {
        const hi = parseInt(mapped[1]!, 16);
        const lo = parseInt(mapped[2]!, 16);
        return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
    }
    return host;
}

export function isIpv6(ip: string): boolean {
    return goIpString(ip).includes(":");
}

/**
 * Bytes of an address for ordering, IPv4 first (moby cmpPortBinding: netip.Addr.Unmap().Compare sorts by bit length,
 * then value).
 */
export function ipSortKey(ip: string): string {
    const text = goIpString(ip);
    if (!text.includes(":"))
        return `4:${text
            .split(".")
            .map((o) => Number(o).toString(16).padStart(2, "0"))
            .join("")}`;
    const [head = "", tail = ""] = text.split("::");
    const groups = (s: string) => (s === "" ? [] : s.split(":"));
    const h = groups(head);
    const t = groups(tail);
    const all = text.includes("::") ? [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t] : h;
    return `6:${all.map((g) => g.padStart(4, "0")).join("")}`;
}
