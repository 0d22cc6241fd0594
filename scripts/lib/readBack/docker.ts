/**
 * What the bridged Docker provider stores in state after a create, and what its
 * diff sees on the next update: rung 2 of the ladder of proof (design.md).
 *
 * Pulumi mocks echo inputs. A real `pulumi up` stores what the provider reads back
 * (Create ends in Read), and the next update diffs the new inputs against that
 * stored state with Terraform SDKv2 rules. This module models both, per resource
 * type, so that tests, `plan` and `bench` can show which inputs drift.
 *
 * Sources, read at the exact versions (every rule below cites file:line):
 * - "kw" = kreuzwerker/terraform-provider-docker v4.5.0 (5074970c), internal/provider/.
 *   Caveat: @pulumi/docker 5.2.0 (published 2026-09-03) exposes `deviceCgroupRules` and
 *   upload `owner`/`group`, which neither v4.5.0 nor kreuzwerker HEAD 83c00e0b (2026-07-22)
 *   has, so 5.2.0 bridges a later upstream that no mirror here holds. The container, network and
 *   volume sources cited here are identical at v4.5.0 and at HEAD 83c00e0b; the later commit is unread.
 * - "sdk" = pulumi/terraform-plugin-sdk helper/schema/schema.go (fork HEAD 717b4eff; pulumi-docker
 *   pins 5525259d096b of the same fork, not mirrored): how SDKv2 diffs config against state.
 * - "bridge" = pulumi/pulumi-terraform-bridge v3.136.0 (pulumi-docker pins v3.137.0, not mirrored).
 * - "pd" = pulumi/pulumi-docker 237b7899, provider/ (resources.go, provider.go).
 * - "moby" = the Docker daemon, not pinned: the host runs Debian/Ubuntu `docker.io`, whose version
 *   the program does not fix. Daemon behaviour is cited by function; what varies by version or
 *   daemon.json is a field of DaemonFacts.
 */
import { DATA_MOUNT, renderDaemonJson } from "../../../components/host/bootstrap";
import { cpusReadBack, goDuration, nanoCpus } from "../../../components/dockerForms";
import { keepSecret, SecretValue, UNKNOWN, unwrapSecrets } from "../values";

export interface ResourceModel {
    /** State after create (Create, then Read), in Pulumi camelCase property form, from the inputs the program sent. */
    readBack(inputs: Record<string, unknown>): Record<string, unknown>;
    /** Top-level input keys whose new value differs from the prior state as the provider's diff sees it. */
    changed(newInputs: Record<string, unknown>, priorState: Record<string, unknown>): string[];
    /** Whether a change of this top-level input forces replacement (ForceNew in the schema). */
    forcesReplacement(key: string): boolean;
}

/** What the daemon adds to or drops from a container spec; it differs by daemon.json and version. */
export interface DaemonFacts {
    /** daemon.json `log-driver` (moby default json-file). */
    readonly logDriver: string;
    /** daemon.json `log-opts`: merged into a container's log options when it uses the default driver. */
    readonly logOpts: Readonly<Record<string, string>>;
    /**
     * daemon.json `userland-proxy` (default true). Without it an IPv4-only container cannot publish on an IPv6 address.
     */
    readonly userlandProxy: boolean;
    /** The kernel enforces swap limits (moby sysinfo.SwapLimit); without it the daemon stores MemorySwap -1. */
    readonly swapLimit: boolean;
    /** The host can listen on IPv6 (moby netutils.IsV6Listenable), for bindings without a host address. */
    readonly ipv6Listenable: boolean;
    /**
     * The order of one container port's bindings in NetworkSettings.Ports, which the provider reads
     * back as is. "sorted": Docker 27 and later sort them, IPv4 before IPv6 (moby v27.5.1
     * libnetwork/drivers/bridge/port_mapping_linux.go:77-78, 199-249, sortAndNormPBs/cmpPortBinding).
     * "reversed": Docker 26 and older keep the order nat.SortPortMap leaves (moby v26.1.3
     * daemon/container_operations.go:97-115 and libnetwork/drivers/bridge/port_mapping_linux.go:38-81;
     * v20.10.24 daemon/container_operations.go:150 and the vendored libnetwork's port_mapping.go:37-81),
     * and its comparator answers "less" both ways for two bindings of one tcp port
     * (go-connections nat/sort.go:50-54 as vendored there), so Go's insertion sort (slices of up to
     * 12 entries) hands them back in reverse. Seen on 20.10.24: -p 0.0.0.0:8080:80
     * -p [::]:8080:80 inspects as [::, 0.0.0.0], and the other way round.
     */
    readonly portBindingOrder: "sorted" | "reversed";
    /**
     * daemon.json `ip6tables`: the daemon writes NAT rules for IPv6 port bindings. Default true from
     * 27.0 (moby v27.5.1 cmd/dockerd/config_unix.go:31), false before (v26.1.3 :31), and before 27.0
     * refused without `experimental` (v26.1.3 daemon/daemon_unix.go:743-745). Without it a `::`
     * binding to an IPv6 container is reserved and reported but forwards nothing; the state is the same.
     */
    readonly ip6tables: boolean;
    /** Names of the Docker networks created with IPv6; a container on one has an IPv6 address. */
    readonly ipv6Networks: readonly string[];
    /** daemon.json `data-root`, where named volumes live. */
    readonly dataRoot: string;
}

/** What a pinned image itself defines, which the daemon merges into the container config. */
export interface ImageFacts {
    readonly user?: string;
    readonly cmd?: readonly string[];
    readonly entrypoint?: readonly string[];
    readonly workingDir?: string;
    /** Durations as Go duration strings, as in `docker image inspect` converted by time.Duration.String(). */
    readonly healthcheck?: {
        readonly tests?: readonly string[];
        readonly interval?: string;
        readonly timeout?: string;
        readonly startPeriod?: string;
        readonly startInterval?: string;
        readonly retries?: number;
    };
}

/** A daemon with no daemon.json, as on an operator's machine (the local target). */
export const STOCK_DAEMON: DaemonFacts = {
    logDriver: "json-file",
    logOpts: {},
    userlandProxy: true,
    swapLimit: true,
    ipv6Listenable: true,
    portBindingOrder: "sorted",
    ip6tables: true,
    ipv6Networks: [],
    dataRoot: "/var/lib/docker",
};

/** Daemon facts from a daemon.json text, over a base for what the file does not say. */
export function daemonFacts(daemonJson: string, base: DaemonFacts = STOCK_DAEMON): DaemonFacts {
    const json = JSON.parse(daemonJson) as Record<string, unknown>;
    return {
        ...base,
        ...(typeof json["log-driver"] === "string" ? { logDriver: json["log-driver"] } : {}),
        ...(typeof json["log-opts"] === "object" && json["log-opts"] !== null
            ? { logOpts: { ...(json["log-opts"] as Record<string, string>) } }
            : {}),
        ...(typeof json["userland-proxy"] === "boolean" ? { userlandProxy: json["userland-proxy"] } : {}),
        ...(typeof json["ip6tables"] === "boolean" ? { ip6tables: json["ip6tables"] } : {}),
        ...(typeof json["data-root"] === "string" ? { dataRoot: json["data-root"] } : {}),
    };
}

/**
 * The facts of a daemon of a given version (`docker version`'s Server.Version, e.g. "20.10.24+dfsg1")
 * with the daemon.json it runs with, if any: what the real-engine tests compare against. The targets
 * themselves are modelled on Docker 27 or later (STOCK_DAEMON), which Ubuntu 24.04 carries in
 * noble-updates; see portBindingOrder for what an older daemon does differently.
 */
export function daemonFactsForVersion(serverVersion: string, daemonJson?: string): DaemonFacts {
    const major = Number(/^(\d+)\./.exec(serverVersion)?.[1] ?? "0");
    const versioned: DaemonFacts = {
        ...STOCK_DAEMON,
        portBindingOrder: major >= 27 ? "sorted" : "reversed",
        ip6tables: major >= 27,
    };
    return daemonJson === undefined ? versioned : daemonFacts(daemonJson, versioned);
}

/** The daemon a target's containers run on: the operator's own, or the one the bootstrap configures. */
export function daemonForTarget(target: "local" | "droplet" | "ssh"): DaemonFacts {
    if (target === "local") return STOCK_DAEMON;
    return daemonFacts(renderDaemonJson(target === "droplet" ? DATA_MOUNT : undefined));
}

// ---------------------------------------------------------------------------
// Values as they reach the mocks: secrets wrapped, unknowns marked.
// ---------------------------------------------------------------------------

function containsUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (value instanceof SecretValue) return containsUnknown(value.value);
    if (Array.isArray(value)) return value.some(containsUnknown);
    if (typeof value === "object" && value !== null) return Object.values(value).some(containsUnknown);
    return false;
}

function isAbsent(value: unknown): value is undefined | null {
    return value === undefined || value === null;
}

/** The zero values SDKv2 compares an omitted attribute with (sdk schema.go:1326-1328, 977, 1112, 1201). */
function isZero(value: unknown): boolean {
    if (isAbsent(value) || value === "" || value === 0 || value === false) return true;
    if (Array.isArray(value)) return value.length === 0;
    if (typeof value === "object") return Object.keys(value as object).length === 0;
    return false;
}

/** Stable text of a value: object keys sorted, so equal values compare equal. */
function canonical(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (typeof value === "object" && value !== null) {
        const entries = Object.entries(value)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
    }
    return JSON.stringify(value) ?? "null";
}

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

function isIpv6(ip: string): boolean {
    return goIpString(ip).includes(":");
}

/**
 * Bytes of an address for ordering, IPv4 first (moby cmpPortBinding: netip.Addr.Unmap().Compare sorts by bit length,
 * then value).
 */
function ipSortKey(ip: string): string {
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

// ---------------------------------------------------------------------------
// Schema and diff rules (SDKv2), shared by the bridged resources.
// ---------------------------------------------------------------------------

type AttrType = "string" | "int" | "bool" | "list" | "set" | "map" | "list1" | "set1";
type Mode = "required" | "optional" | "optionalComputed" | "computed";

interface Attr {
    /** The Terraform attribute name. */
    readonly tf: string;
    /** Line of the attribute's schema definition in the cited file. */
    readonly line: number;
    readonly type: AttrType;
    readonly mode: Mode;
    readonly forceNew: boolean;
    readonly default?: string | number | boolean;
    /** Nested attributes of a block (list/set of objects). */
    readonly elem?: Readonly<Record<string, Attr>>;
    /** A DiffSuppressFunc at this attribute (user, working_dir: "" is a no-op; ports: reorder). */
    readonly suppress?: "emptyIsNoop" | "ports";
    /**
     * Pulumi auto-names it (pd resources.go:404 SetAutonaming, bridge info/autonaming.go:43-63); an omitted value keeps
     * the prior one (bridge schema.go:790).
     */
    readonly autoNamed?: boolean;
    /** A StateFunc applied to the config value before comparing (kw container.go:515-522 for ports.ip). */
    readonly stateFunc?: (v: string) => string;
}

const a = (
    tf: string,
    line: number,
    type: AttrType,
    mode: Mode,
    forceNew: boolean,
    extra: Partial<Attr> = {},
): Attr => ({ tf, line, type, mode, forceNew, ...extra });

function zeroOf(attr: Attr): unknown {
    switch (attr.type) {
        case "string":
            return "";
        case "int":
            return 0;
        case "bool":
            return false;
        case "map":
            return {};
        case "list1":
        case "set1":
            return undefined;
        default:
            return [];
    }
}

/**
 * An element of a block as SDKv2 sees it: every nested attribute present, defaults and zero values filled, sets sorted.
 */
function normalizeBlock(value: unknown, elem: Readonly<Record<string, Attr>> | undefined): unknown {
    if (!elem || typeof value !== "object" || value === null) return value;
    const obj = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, attr] of Object.entries(elem)) {
        let v = obj[key];
        if (isAbsent(v) && attr.default === undefined && attr.mode === "optionalComputed") {
            // Left to the provider (a port's random external port): whatever the state holds.
            out[key] = "(computed)";
            continue;
        }
        if (isAbsent(v)) v = attr.default ?? zeroOf(attr);
        if (attr.stateFunc && typeof v === "string") v = attr.stateFunc(v);
        out[key] = normalizeValue(attr, v);
    }
    // Keys this model does not know (a newer SDK field, say) still take part in the comparison.
    for (const [key, v] of Object.entries(obj)) if (!(key in elem) && !isZero(v)) out[key] = v;
    return out;
}

function normalizeValue(attr: Attr, value: unknown): unknown {
    switch (attr.type) {
        case "string":
            return isAbsent(value) ? "" : String(value);
        case "int":
            return isAbsent(value) ? 0 : Number(value);
        case "bool":
            return value === true || value === "true";
        case "map":
            return Object.fromEntries(
                Object.entries((value ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
            );
        case "list1":
        case "set1":
            return normalizeBlock(value, attr.elem);
        case "list":
            return ((value ?? []) as unknown[]).map((v) => (attr.elem ? normalizeBlock(v, attr.elem) : String(v)));
        case "set": {
            // A set is compared by its members' hashes (sdk schema.go:1185-1222): order and duplicates do not count.
            const members = ((value ?? []) as unknown[]).map((v) =>
                canonical(attr.elem ? normalizeBlock(v, attr.elem) : String(v)),
            );
            return [...new Set(members)].sort();
        }
    }
}

/**
 * The ports DiffSuppressFunc (kw resource_docker_container.go:1192-1247): for each prior port it takes
 * the FIRST new port with the same internal port and requires the same external port and ip (a
 * different protocol is forgiven when another new port has the old protocol). So a reordering is no
 * change, but one internal port published twice (0.0.0.0 and ::) is never suppressed: the list is
 * then compared element by element.
 */
function portsSuppressed(oldPorts: Record<string, unknown>[], newPorts: Record<string, unknown>[]): boolean {
    if (oldPorts.length !== newPorts.length) return false;
    for (const o of oldPorts) {
        const n = newPorts.find((p) => p.internal === o.internal);
        if (!n) return false;
        if (n.protocol !== o.protocol) {
            if (newPorts.some((p) => p.internal === o.internal && p.protocol === o.protocol)) continue;
            return false;
        }
        if (n.external !== o.external && n.external !== "(computed)") return false;
        if (n.ip !== o.ip) return false;
    }
    return true;
}

/** Whether SDKv2 plans a change of one attribute from `prior` (state) to `next` (config). */
function attrChanged(attr: Attr, next: unknown, prior: unknown): boolean {
    if (attr.mode === "computed") return false;
    if (containsUnknown(next)) return true;
    let n = unwrapSecrets(next);
    let o = unwrapSecrets(prior);
    if (attr.autoNamed && isAbsent(n)) return false;
    if (attr.suppress === "emptyIsNoop" && (isAbsent(n) || n === "")) return false;
    // A prior state without a defaulted attribute comes from an echo mock; the real state holds the default.
    if (isAbsent(o) && attr.default !== undefined) o = attr.default;
    if (isAbsent(n)) {
        if (attr.default !== undefined) n = attr.default;
        // Optional+Computed and omitted: no diff (sdk schema.go:977, 1112, 1201, 1353).
        else if (attr.mode === "optionalComputed") return false;
        // Optional and omitted: compared with the zero value (sdk schema.go:1326-1328).
        else return !isZero(o);
    }
    if (attr.type === "map" && attr.mode === "optionalComputed" && isZero(n)) return false;
    const nn = normalizeValue(attr, n);
    const oo = normalizeValue(attr, isAbsent(o) ? zeroOf(attr) : o);
    if (canonical(nn) === canonical(oo)) return false;
    if (attr.suppress === "ports")
        return !portsSuppressed(oo as Record<string, unknown>[], nn as Record<string, unknown>[]);
    return true;
}

function changedKeys(
    schema: Readonly<Record<string, Attr>>,
    next: Record<string, unknown>,
    prior: Record<string, unknown>,
): string[] {
    const keys = new Set([...Object.keys(next), ...Object.keys(schema).filter((k) => k in prior)]);
    const changed: string[] = [];
    for (const key of keys) {
        const attr = schema[key];
        // A key this model does not know (a newer SDK field) is compared as a plain value.
        const differs = attr
            ? attrChanged(attr, next[key], prior[key])
            : key in next &&
              (containsUnknown(next[key]) ||
                  canonical(unwrapSecrets(next[key])) !== canonical(unwrapSecrets(prior[key])));
        if (differs) changed.push(key);
    }
    return changed.sort();
}

function forceNewOf(schema: Readonly<Record<string, Attr>>, resource: string, key: string): boolean {
    const attr = schema[key];
    if (!attr) throw new Error(`${key} is not an attribute of ${resource} at kreuzwerker v4.5.0`);
    return attr.forceNew;
}

/** Fills the attributes that have a schema Default: SDKv2 writes them into state (kw Default: fields). */
function withDefaults(
    schema: Readonly<Record<string, Attr>>,
    inputs: Record<string, unknown>,
): Record<string, unknown> {
    const out = { ...inputs };
    for (const [key, attr] of Object.entries(schema))
        if (isAbsent(out[key]) && attr.default !== undefined) out[key] = attr.default;
    return out;
}

// ---------------------------------------------------------------------------
// docker_container: kw resource_docker_container.go (schema), resource_docker_container_funcs.go (CRUD).
// ---------------------------------------------------------------------------

const str = (tf: string, line: number, extra: Partial<Attr> = {}) => a(tf, line, "string", "optional", true, extra);

/** Nested schemas of the blocks this program sets. */
const CAPABILITIES: Record<string, Attr> = {
    adds: a("add", 271, "set", "optional", true),
    drops: a("drop", 280, "set", "optional", true),
};
const HEALTHCHECK: Record<string, Attr> = {
    tests: a("test", 1053, "list", "optional", false),
    interval: a("interval", 1059, "string", "optional", false, { default: "0s" }),
    timeout: a("timeout", 1066, "string", "optional", false, { default: "0s" }),
    startPeriod: a("start_period", 1073, "string", "optional", false, { default: "0s" }),
    startInterval: a("start_interval", 1080, "string", "optional", false, { default: "0s" }),
    retries: a("retries", 1087, "int", "optional", false, { default: 0 }),
};
const PORT: Record<string, Attr> = {
    internal: a("internal", 494, "int", "required", true),
    external: a("external", 501, "int", "optionalComputed", true),
    ip: a("ip", 509, "string", "optional", true, { default: "0.0.0.0", stateFunc: (v) => (v === "" ? "0.0.0.0" : v) }),
    protocol: a("protocol", 525, "string", "optional", true, { default: "tcp" }),
};
const VOLUME: Record<string, Attr> = {
    fromContainer: str("from_container", 441),
    containerPath: str("container_path", 447),
    hostPath: str("host_path", 453),
    volumeName: str("volume_name", 460),
    readOnly: a("read_only", 466, "bool", "optional", true),
    selinuxRelabel: str("selinux_relabel", 472),
};
const UPLOAD: Record<string, Attr> = {
    content: str("content", 994),
    contentBase64: str("content_base64", 1002),
    file: a("file", 1009, "string", "required", true),
    executable: a("executable", 1015, "bool", "optional", true, { default: false }),
    permissions: str("permissions", 1022),
    source: str("source", 1029),
    sourceHash: str("source_hash", 1035),
};
const NETWORK_ATTACHMENT: Record<string, Attr> = {
    name: a("name", 916, "string", "required", true),
    aliases: a("aliases", 922, "set", "optional", true),
    ipv4Address: str("ipv4_address", 930),
    ipv6Address: str("ipv6_address", 936),
    linkLocalIps: a("link_local_ips", 942, "set", "optional", true),
    macAddress: str("mac_address", 950),
    driverOpts: a("driver_opts", 956, "set", "optional", true),
    gwPriority: a("gw_priority", 963, "int", "optional", true),
};
/** kw helpers.go:57-76 newLabelSchema: label and value, both required (ForceNew in labelSchema, line 76). */
const LABEL: Record<string, Attr> = {
    label: a("label", 60, "string", "required", true),
    value: a("value", 66, "string", "required", true),
};

/**
 * Every attribute of docker_container at kw v4.5.0, by its Pulumi name (pd resources.go:112-126 keeps
 * `command` and `networks_advanced` singular; the bridge pluralises the other lists). Line = schema line
 * in resource_docker_container.go.
 */
export const CONTAINER_SCHEMA: Readonly<Record<string, Attr>> = {
    name: a("name", 50, "string", "required", true, { autoNamed: true }),
    rm: a("rm", 57, "bool", "optional", false, { default: false }),
    readOnly: a("read_only", 64, "bool", "optional", true, { default: false }),
    start: a("start", 72, "bool", "optional", false, { default: true }),
    wait: a("wait", 79, "bool", "optional", false, { default: false }),
    waitTimeout: a("wait_timeout", 86, "int", "optional", false, { default: 60 }),
    attach: a("attach", 93, "bool", "optional", false, { default: false }),
    logs: a("logs", 100, "bool", "optional", false, { default: false }),
    mustRun: a("must_run", 122, "bool", "optional", false, { default: true }),
    exitCode: a("exit_code", 129, "int", "computed", false),
    containerLogs: a("container_logs", 135, "string", "computed", false),
    image: a("image", 141, "string", "required", true),
    hostname: a("hostname", 148, "string", "optionalComputed", true),
    domainname: a("domainname", 156, "string", "optional", true),
    command: a("command", 163, "list", "optionalComputed", true),
    entrypoints: a("entrypoint", 172, "list", "optionalComputed", true),
    user: a("user", 181, "string", "optional", true, { suppress: "emptyIsNoop" }),
    dns: a("dns", 196, "set", "optional", true),
    dnsOpts: a("dns_opts", 205, "set", "optional", true),
    dnsSearches: a("dns_search", 214, "set", "optional", true),
    publishAllPorts: a("publish_all_ports", 223, "bool", "optional", true),
    restart: a("restart", 230, "string", "optional", false, { default: "no" }),
    maxRetryCount: a("max_retry_count", 238, "int", "optional", false),
    workingDir: a("working_dir", 243, "string", "optional", true, { suppress: "emptyIsNoop" }),
    removeVolumes: a("remove_volumes", 256, "bool", "optional", false, { default: true }),
    capabilities: a("capabilities", 262, "set1", "optional", true, { elem: CAPABILITIES }),
    securityOpts: a("security_opts", 291, "set", "optionalComputed", true),
    runtime: a("runtime", 300, "string", "optionalComputed", true),
    platform: a("platform", 307, "string", "optionalComputed", true),
    stopSignal: a("stop_signal", 314, "string", "optionalComputed", true),
    stopTimeout: a("stop_timeout", 321, "int", "optionalComputed", true),
    mounts: a("mounts", 328, "set", "optional", true),
    volumes: a("volumes", 434, "set", "optional", true, { elem: VOLUME }),
    tmpfs: a("tmpfs", 482, "map", "optional", false),
    ports: a("ports", 487, "list", "optional", true, { elem: PORT, suppress: "ports" }),
    hosts: a("host", 537, "set", "optional", true),
    ulimits: a("ulimit", 561, "set", "optional", true),
    envs: a("env", 590, "set", "optionalComputed", true),
    bridge: a("bridge", 600, "string", "computed", false),
    networkDatas: a("network_data", 606, "list", "computed", false),
    privileged: a("privileged", 656, "bool", "optional", true),
    devices: a("devices", 663, "set", "optional", true),
    deviceReadBps: a("device_read_bps", 693, "set", "optional", false),
    deviceReadIops: a("device_read_iops", 713, "set", "optional", false),
    deviceWriteBps: a("device_write_bps", 733, "set", "optional", false),
    deviceWriteIops: a("device_write_iops", 753, "set", "optional", false),
    deviceRequests: a("device_requests", 774, "set", "optional", true),
    destroyGraceSeconds: a("destroy_grace_seconds", 827, "int", "optional", false),
    labels: a("labels", 833, "set", "optionalComputed", true, { elem: LABEL }),
    memory: a("memory", 842, "int", "optional", false),
    memoryReservation: a("memory_reservation", 848, "int", "optional", false, { default: 0 }),
    memorySwap: a("memory_swap", 856, "int", "optional", false),
    shmSize: a("shm_size", 863, "int", "optionalComputed", true),
    cpuShares: a("cpu_shares", 872, "int", "optional", false),
    cpuSet: a("cpu_set", 879, "string", "optional", false),
    logDriver: a("log_driver", 886, "string", "optionalComputed", true),
    logOpts: a("log_opts", 894, "map", "optional", true),
    networkMode: a("network_mode", 901, "string", "optional", true, { default: "bridge" }),
    networksAdvanced: a("networks_advanced", 909, "set", "optional", true, { elem: NETWORK_ATTACHMENT }),
    pidMode: a("pid_mode", 974, "string", "optional", true),
    usernsMode: a("userns_mode", 980, "string", "optional", true),
    uploads: a("upload", 987, "set", "optional", true, { elem: UPLOAD }),
    healthcheck: a("healthcheck", 1045, "list1", "optionalComputed", false, { elem: HEALTHCHECK }),
    // containerReadRefreshTimeoutMillisecondsDefault, kw resource_docker_container_funcs.go:34.
    containerReadRefreshTimeoutMilliseconds: a(
        "container_read_refresh_timeout_milliseconds",
        1098,
        "int",
        "optional",
        false,
        { default: 15000 },
    ),
    sysctls: a("sysctls", 1105, "map", "optional", true),
    ipcMode: a("ipc_mode", 1111, "string", "optionalComputed", true),
    groupAdds: a("group_add", 1118, "set", "optional", true),
    init: a("init", 1126, "bool", "optionalComputed", false),
    tty: a("tty", 1132, "bool", "optional", true, { default: false }),
    stdinOpen: a("stdin_open", 1139, "bool", "optional", true, { default: false }),
    storageOpts: a("storage_opts", 1146, "map", "optional", true),
    gpus: a("gpus", 1152, "string", "optional", true),
    cpus: a("cpus", 1158, "string", "optional", true),
    cpuPeriod: a("cpu_period", 1164, "int", "optional", false),
    cpuQuota: a("cpu_quota", 1170, "int", "optional", false),
    cgroupnsMode: a("cgroupns_mode", 1176, "string", "optional", true),
    cgroupParent: a("cgroup_parent", 1182, "string", "optional", true),
};

function str0(v: unknown): string | undefined {
    return typeof v === "string" ? v : undefined;
}

/** The health check as read back: Config.Healthcheck after the daemon's merge, durations printed by Go. */
function healthcheckReadBack(given: unknown, image: ImageFacts["healthcheck"]): unknown {
    if (isAbsent(given)) {
        // Read sets healthcheck only from Config.Healthcheck (kw funcs.go:960-971); with no image HEALTHCHECK
        // there is none, and the state keeps the (absent) config value.
        if (!image) return undefined;
        return healthcheckReadBack({}, image);
    }
    if (containsUnknown(given)) return given;
    return keepSecret(given, (value) => {
        const h = value as Record<string, unknown>;
        // Create sends each duration parsed (kw funcs.go:139-164), omitted ones as the schema default "0s".
        const duration = (key: "interval" | "timeout" | "startPeriod" | "startInterval") => {
            const mine = parseGoDuration(durationReadBack(String(unwrapSecrets(h[key]) ?? "0s")))!;
            // moby daemon/commit.go merge(): a zero field takes the image HEALTHCHECK's value.
            const imageValue = image?.[key];
            return formatGoDuration(
                mine === 0n && imageValue !== undefined ? parseGoDuration(durationReadBack(imageValue))! : mine,
            );
        };
        const tests = unwrapSecrets(h.tests) as string[] | undefined;
        const retries = Number(unwrapSecrets(h.retries) ?? 0);
        return {
            tests: tests && tests.length > 0 ? h.tests : image?.tests ? [...image.tests] : (h.tests ?? []),
            interval: duration("interval"),
            timeout: duration("timeout"),
            startPeriod: duration("startPeriod"),
            startInterval: duration("startInterval"),
            retries: retries === 0 && image?.retries !== undefined ? image.retries : retries,
        };
    });
}

interface PortInput {
    internal: number;
    external?: number;
    ip: string;
    protocol: string;
}

/**
 * Ports as Read sets them from NetworkSettings.Ports (kw funcs.go:800-806, structures.go:35-59):
 * grouped by container port and sorted by port number (byPortAndProtocol, structures.go:17-33, 42),
 * each binding with HostIP printed by Go (moby getEndpointPortMapInfo). Within a port the daemon's
 * order: moby 27+ sorts IPv4 before IPv6 (cmpPortBinding). A binding to an IPv6 address is silently
 * dropped when the container has no IPv6 address and the userland proxy is off ("Cannot map from
 * IPv6 to an IPv4-only container because the userland proxy is disabled", moby bridge
 * port_mapping_linux.go addPortMappings/configurePortBindingIPv6).
 */
function portsReadBack(given: PortInput[], daemon: DaemonFacts, containerHasIpv6: boolean): PortInput[] {
    const canReachV6 = containerHasIpv6 || daemon.userlandProxy;
    const bound: PortInput[] = [];
    for (const p of given) {
        // Create sends HostIP exactly as configured, default "0.0.0.0" (kw container.go:509-523,
        // structures.go:247-250).
        if (p.ip === "") {
            // No host address: the daemon binds 0.0.0.0 and, where it can, [::] as well (configurePortBindingIPv6).
            bound.push({ ...p, ip: "0.0.0.0" });
            if (daemon.ipv6Listenable && canReachV6) bound.push({ ...p, ip: "::" });
        } else if (isIpv6(p.ip)) {
            if (canReachV6) bound.push({ ...p, ip: goIpString(p.ip) });
        } else {
            bound.push({ ...p, ip: goIpString(p.ip) });
        }
    }
    const groups = new Map<string, PortInput[]>();
    for (const p of bound) {
        const key = `${p.internal}/${p.protocol}`;
        groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    const keys = [...groups.keys()].sort((x, y) => parseInt(x, 10) - parseInt(y, 10));
    return keys.flatMap((k) => {
        const list = groups.get(k)!;
        if (daemon.portBindingOrder === "reversed") {
            // nat/sort.go:53: for one tcp port every pair is "less" both ways, so insertion sort reverses them all;
            // for udp/sctp the order is by host port, larger first, and stable among equals.
            return list[0]!.protocol === "tcp"
                ? [...list].reverse()
                : [...list].sort((x, y) => (y.external ?? 0) - (x.external ?? 0));
        }
        const byIp = (x: PortInput, y: PortInput) =>
            ipSortKey(x.ip) < ipSortKey(y.ip) ? -1 : ipSortKey(x.ip) > ipSortKey(y.ip) ? 1 : 0;
        return [...list].sort((x, y) => (x.external ?? 0) - (y.external ?? 0) || byIp(x, y));
    });
}

function containerReadBack(
    inputs: Record<string, unknown>,
    daemon: DaemonFacts,
    imageFacts: (image: string) => ImageFacts | undefined,
): Record<string, unknown> {
    const out = withDefaults(CONTAINER_SCHEMA, inputs);
    const image =
        typeof unwrapSecrets(inputs.image) === "string" ? imageFacts(unwrapSecrets(inputs.image) as string) : undefined;

    // Create attaches and waits for the container to stop (kw funcs.go:631-671); a container never
    // started is not running either. Read then records the exit code and, when must_run was true,
    // sets it to false (funcs.go:815-824), which the next update turns into a ContainerStart.
    const configMustRun = unwrapSecrets(out.mustRun) !== false;
    const stopped = unwrapSecrets(out.attach) === true || unwrapSecrets(out.start) === false;
    if (stopped) {
        out.exitCode = 0; // The process's own status; the mock layer supplies a job's failure.
        if (configMustRun) out.mustRun = false;
    }

    // "name": the API prefixes "/", Read trims it (kw funcs.go:828). Echo.
    // "image": a sha256: reference reads back as container.Image, the full image ID, else as Config.Image
    // (kw funcs.go:840-845). Both equal what the program sends (RemoteImage.imageId, or a repo digest).

    // cpus (kw funcs.go:354-360 create, 946-948 read).
    if (!isAbsent(out.cpus) && !containsUnknown(out.cpus))
        out.cpus = keepSecret(out.cpus, (v) => cpusStateForm(String(v)));

    // command / entrypoint / user / working_dir: Config.* after moby daemon/commit.go merge()
    // (kw funcs.go:849-851, 869). When unset they hold the image's values; Optional+Computed (command,
    // entrypoint) or a DiffSuppressFunc for "" (user, working_dir) keep those from diffing.
    const entrypoint = unwrapSecrets(out.entrypoints) as string[] | undefined;
    if (isAbsent(out.entrypoints) || entrypoint?.length === 0) {
        if (image?.entrypoint) out.entrypoints = [...image.entrypoint];
        const command = unwrapSecrets(out.command) as string[] | undefined;
        if ((isAbsent(out.command) || command?.length === 0) && image?.cmd) out.command = [...image.cmd];
    }
    if ((isAbsent(out.user) || out.user === "") && image?.user !== undefined) out.user = image.user;
    if ((isAbsent(out.workingDir) || out.workingDir === "") && image?.workingDir !== undefined)
        out.workingDir = image.workingDir;

    // init: Create always sends Init=&false when unset (kw funcs.go:447-448); Read stores it (864-868).
    if (isAbsent(out.init)) out.init = false;

    // log driver and options: daemon default driver when unset (moby mergeAndVerifyLogConfig); the
    // options are read back only when configured (kw funcs.go:952, 983-989), then with the daemon's
    // default options merged in when the container uses the daemon's default driver.
    const logDriver = str0(unwrapSecrets(out.logDriver)) ?? daemon.logDriver;
    out.logDriver = out.logDriver ?? logDriver;
    if (!isAbsent(out.logOpts) && !containsUnknown(out.logOpts) && !isZero(unwrapSecrets(out.logOpts))) {
        if (logDriver === daemon.logDriver) {
            out.logOpts = keepSecret(out.logOpts, (v) => ({ ...daemon.logOpts, ...(v as Record<string, string>) }));
        }
    }

    // memory / memory_swap in MiB (kw funcs.go:334-348 create, 932-944 read), after the daemon:
    // MemorySwap 0 with a memory limit becomes twice the memory (moby adaptContainerSettings), and
    // without kernel swap accounting any swap limit becomes -1 (moby verifyPlatformContainerResources).
    const memory = containsUnknown(out.memory) ? 0 : Number(unwrapSecrets(out.memory) ?? 0);
    if (!containsUnknown(out.memorySwap) && memory > 0) {
        const sent = Number(unwrapSecrets(out.memorySwap) ?? 0);
        let swap = sent;
        if (swap === 0) swap = memory * 2;
        if (swap !== -1 && !daemon.swapLimit) swap = -1;
        if (swap !== sent || isAbsent(out.memorySwap)) out.memorySwap = swap;
    }

    // healthcheck (kw funcs.go:960-971).
    const health = healthcheckReadBack(out.healthcheck, image?.healthcheck);
    if (health === undefined) delete out.healthcheck;
    else out.healthcheck = health;

    // ports: re-read only when configured and the container runs or must run (kw funcs.go:800-806).
    const ports = unwrapSecrets(out.ports) as PortInput[] | undefined;
    if (ports && ports.length > 0 && !containsUnknown(out.ports) && (!stopped || configMustRun)) {
        if (stopped) {
            // An exited container has no NetworkSettings.Ports; flattenContainerPorts(nil) is [].
            out.ports = [];
        } else {
            const networks = ((unwrapSecrets(out.networksAdvanced) ?? []) as { name?: string }[]).map(
                (n) => n.name ?? "",
            );
            const withDefaultsApplied = ports.map((p) => ({
                ...p,
                ip: p.ip ?? "0.0.0.0",
                protocol: p.protocol ?? "tcp",
            }));
            out.ports = portsReadBack(
                withDefaultsApplied,
                daemon,
                networks.some((n) => daemon.ipv6Networks.includes(n)),
            );
        }
    }

    // Not read back, so the state keeps exactly what was sent:
    // - envs and labels: "We decided not to set the environment variables and labels because they are
    //   taken over from the Docker image" (kw funcs.go:893-898). docker inspect shows the image's ENV
    //   (PATH, ...) and LABELs merged in (moby merge()), the state does not.
    // - networksAdvanced: set only on import, when the configured set is empty (kw funcs.go:786-796;
    //   GetOk is false for an empty set, so in practice never). Aliases the daemon adds are not seen.
    // - volumes (no d.Set, kw funcs.go:882), uploads (funcs.go:959), wait, waitTimeout, attach, logs,
    //   start, removeVolumes, destroyGraceSeconds (funcs.go:831-835, 931).
    // - capabilities: read as given (kw funcs.go:870-878); the daemon validates but stores CapAdd/CapDrop
    //   as sent (moby daemon/container.go validateCapabilities discards the normalised list).
    // - securityOpts, tmpfs, restart, memory: as stored by the daemon, i.e. as sent (kw funcs.go:854, 883, 857, 932).
    return out;
}

function containerModel(daemon: DaemonFacts, imageFacts: (image: string) => ImageFacts | undefined): ResourceModel {
    return {
        readBack: (inputs) => containerReadBack(inputs, daemon, imageFacts),
        changed: (next, prior) => changedKeys(CONTAINER_SCHEMA, next, prior),
        forcesReplacement: (key) => forceNewOf(CONTAINER_SCHEMA, "docker_container", key),
    };
}

// ---------------------------------------------------------------------------
// docker_network: kw resource_docker_network.go (schema 24-144, no UpdateContext: lines 17-19),
// resource_docker_network_funcs.go (Create 26-82, Read 160-203).
// ---------------------------------------------------------------------------

/** kw resource_docker_network.go:106-135: one ipam_config block, every field optional, ForceNew. */
const IPAM_CONFIG: Record<string, Attr> = {
    subnet: str("subnet", 108),
    ipRange: str("ip_range", 115),
    gateway: str("gateway", 122),
    auxAddress: a("aux_address", 129, "map", "optional", true),
};

export const NETWORK_SCHEMA: Readonly<Record<string, Attr>> = {
    name: a("name", 25, "string", "required", true, { autoNamed: true }),
    labels: a("labels", 32, "set", "optional", true, { elem: LABEL }),
    driver: a("driver", 40, "string", "optionalComputed", true),
    options: a("options", 48, "map", "optionalComputed", true),
    internal: a("internal", 56, "bool", "optionalComputed", true),
    attachable: a("attachable", 64, "bool", "optional", true),
    ingress: a("ingress", 71, "bool", "optional", true),
    ipv6: a("ipv6", 78, "bool", "optional", true),
    ipamDriver: a("ipam_driver", 85, "string", "optional", true, { default: "default" }),
    ipamOptions: a("ipam_options", 92, "map", "optional", true),
    ipamConfigs: a("ipam_config", 99, "set", "optionalComputed", true, { elem: IPAM_CONFIG }),
    scope: a("scope", 139, "string", "computed", false),
};

function networkReadBack(inputs: Record<string, unknown>, daemon: DaemonFacts): Record<string, unknown> {
    const out = withDefaults(NETWORK_SCHEMA, inputs);
    // Read sets every attribute from NetworkInspect (kw network_funcs.go:175-198): labels as the daemon
    // stores them (it adds none to a network created through the API), driver "bridge" when unset
    // (the daemon's default for local networks), internal/attachable/ingress/ipv6 as booleans.
    if (isAbsent(out.driver)) out.driver = "bridge";
    for (const key of ["internal", "attachable", "ingress"]) if (isAbsent(out[key])) out[key] = false;
    if (isAbsent(out.ipv6)) {
        const name = str0(unwrapSecrets(out.name));
        out.ipv6 = name !== undefined && daemon.ipv6Networks.includes(name);
    }
    // ipam_config (kw network_funcs.go:196, structures.go:11-39): the daemon's IPAM.Config, fields it leaves empty
    // omitted. It lists each configured subnet as given (with the gateway as configured, "" when not), then, for a
    // family the config does not name, the pool the daemon chose, with its gateway (moby v27.5.1 daemon/network.go:
    // 696-755; v20.10.24 daemon/network.go:675-733). The chosen pool is not known here: DAEMON_CHOSEN stands for it.
    // A network created with ipv6 needs an IPv6 subnet before Docker 27 ("could not find an available,
    // non-overlapping IPv6 address pool", 20.10.24); from 27.0 the daemon takes one from a ULA prefix of its own
    // (v27.5.1 daemon/daemon.go:1503-1543). Either way an unconfigured family reads back as a chosen pool.
    if (!containsUnknown(out.ipamConfigs)) {
        const configured = ((unwrapSecrets(out.ipamConfigs) ?? []) as Array<Record<string, unknown>>).filter((c) =>
            str0(c.subnet),
        );
        const families = new Set<number>(configured.map((c) => (String(c.subnet).includes(":") ? 6 : 4)));
        const chosen = [4, ...(unwrapSecrets(out.ipv6) === true ? [6] : [])].filter((f) => !families.has(f));
        out.ipamConfigs = [
            ...configured.map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => !isZero(v)))),
            ...chosen.map(() => ({ subnet: DAEMON_CHOSEN, gateway: DAEMON_CHOSEN })),
        ];
    }
    out.scope = "local";
    return out;
}

/** Stands for a subnet or gateway the daemon picks by itself, which a config can never equal. */
export const DAEMON_CHOSEN = "(chosen by the daemon)";

// ---------------------------------------------------------------------------
// docker_volume: kw resource_docker_volume.go (schema 40-152, Read 288-312, Update 388: cluster only).
// ---------------------------------------------------------------------------

export const VOLUME_SCHEMA: Readonly<Record<string, Attr>> = {
    name: a("name", 41, "string", "optionalComputed", true, { autoNamed: true }),
    labels: a("labels", 48, "set", "optional", true, { elem: LABEL }),
    driver: a("driver", 55, "string", "optionalComputed", true),
    driverOpts: a("driver_opts", 62, "map", "optional", true),
    mountpoint: a("mountpoint", 68, "string", "computed", false),
    cluster: a("cluster", 73, "list1", "optional", false),
};

function volumeReadBack(inputs: Record<string, unknown>, daemon: DaemonFacts): Record<string, unknown> {
    const out = { ...inputs };
    // Read (kw volume.go:308-312): name, labels as stored (the daemon adds labels only to anonymous
    // volumes), driver "local" when unset, driver_opts as given, mountpoint under the data root.
    if (isAbsent(out.driver)) out.driver = "local";
    const name = str0(unwrapSecrets(out.name));
    if (name !== undefined) out.mountpoint = `${daemon.dataRoot}/volumes/${name}/_data`;
    return out;
}

// ---------------------------------------------------------------------------
// docker_image, Pulumi RemoteImage: kw resource_docker_image.go (schema 30-97),
// resource_docker_image_funcs.go (Create 34-56, Read 103-132, Update 134-148: re-pull and Read).
// ---------------------------------------------------------------------------

export const REMOTE_IMAGE_SCHEMA: Readonly<Record<string, Attr>> = {
    // pd resources.go:127-131 maps `name` explicitly, so SetAutonaming skips it (bridge info/autonaming.go:57):
    // required.
    name: a("name", 36, "string", "required", true),
    imageId: a("image_id", 43, "string", "computed", false),
    repoDigest: a("repo_digest", 49, "string", "computed", false),
    keepLocally: a("keep_locally", 55, "bool", "optional", false),
    pullTriggers: a("pull_triggers", 61, "set", "optional", true),
    forceRemove: a("force_remove", 70, "bool", "optional", false),
    build: a("build", 76, "set1", "optional", false),
    triggers: a("triggers", 84, "map", "optional", true),
    platform: a("platform", 90, "string", "optional", true, { default: "" }),
};

// ---------------------------------------------------------------------------
// docker:index/image:Image is pulumi-docker's own provider, not bridged (pd provider.go).
// ---------------------------------------------------------------------------

/**
 * Diff compares the OLD INPUTS stored in state (`__inputs`) with the new checked inputs (pd
 * provider.go:271-328), not outputs; a changed `registry` counts only through `server`
 * (provider.go:330-348). No key is ever a replacement: the response sets no Replaces. Check adds
 * `buildOnPreview` and the build's `dockerfile`, `context`, `platform` and `contextDigest` (a hash
 * of the build context, provider.go:128-268), which this model cannot compute from inputs.
 */
function imageChanged(next: Record<string, unknown>, prior: Record<string, unknown>): string[] {
    const changed: string[] = [];
    const priorInputs = (unwrapSecrets(prior.__inputs) as Record<string, unknown> | undefined) ?? prior;
    // Without `__inputs` (an echo mock's state), the outputs that are not inputs are left out.
    const outputsOnly = new Set(["repoDigest", "baseImageName", "context", "dockerfile", "platform", "registryServer"]);
    const priorKeys = Object.keys(priorInputs).filter((k) => !k.startsWith("__") && !outputsOnly.has(k));
    for (const key of new Set([...Object.keys(next), ...priorKeys])) {
        if (containsUnknown(next[key])) {
            changed.push(key);
            continue;
        }
        let n = unwrapSecrets(next[key]);
        let o = unwrapSecrets(priorInputs[key]);
        if (key === "registry") {
            n = (n as { server?: unknown } | undefined)?.server;
            o = (o as { server?: unknown } | undefined)?.server;
        }
        if (canonical(n) !== canonical(o)) changed.push(key);
    }
    return changed.sort();
}

// ---------------------------------------------------------------------------

/** The models for one daemon, and optionally what the pinned images define. */
export function dockerModels(
    daemon: DaemonFacts,
    imageFacts: (image: string) => ImageFacts | undefined = () => undefined,
): Readonly<Record<string, ResourceModel>> {
    return {
        "docker:index/container:Container": containerModel(daemon, imageFacts),
        "docker:index/network:Network": {
            readBack: (inputs) => networkReadBack(inputs, daemon),
            changed: (next, prior) => changedKeys(NETWORK_SCHEMA, next, prior),
            // Every input of docker_network is ForceNew: the resource has no Update (kw network.go:17-19).
            forcesReplacement: (key) => forceNewOf(NETWORK_SCHEMA, "docker_network", key),
        },
        "docker:index/volume:Volume": {
            readBack: (inputs) => volumeReadBack(inputs, daemon),
            changed: (next, prior) => changedKeys(VOLUME_SCHEMA, next, prior),
            forcesReplacement: (key) => forceNewOf(VOLUME_SCHEMA, "docker_volume", key),
        },
        "docker:index/remoteImage:RemoteImage": {
            // Read sets only image_id and repo_digest (kw image_funcs.go:128-130); name, keepLocally and the
            // rest stay as sent. image_id and repo_digest come from the daemon (the mock supplies them).
            readBack: (inputs) => withDefaults(REMOTE_IMAGE_SCHEMA, inputs),
            changed: (next, prior) => changedKeys(REMOTE_IMAGE_SCHEMA, next, prior),
            forcesReplacement: (key) => forceNewOf(REMOTE_IMAGE_SCHEMA, "docker_image", key),
        },
        "docker:index/image:Image": {
            readBack: (inputs) => ({ ...inputs }),
            changed: imageChanged,
            forcesReplacement: () => false,
        },
    };
}

/** The models for a target's daemon: the operator's own (local) or the bootstrapped host. */
export function dockerModelsForTarget(target: "local" | "droplet" | "ssh"): Readonly<Record<string, ResourceModel>> {
    return dockerModels(daemonForTarget(target));
}

/** The models for the daemon the bootstrap configures on a droplet, the production path. */
export const DOCKER_MODELS: Readonly<Record<string, ResourceModel>> = dockerModelsForTarget("droplet");
