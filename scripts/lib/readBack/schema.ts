/**
 * The Terraform SDKv2 attribute machinery the bridged Docker resources share: each attribute's schema entry as the
 * provider declares it (Attr), and how SDKv2 diffs a new config against the stored state with it (changedKeys),
 * which inputs force a replacement (forceNewOf) and which defaults it writes into state (withDefaults). The
 * abbreviations in the citations ("sdk", "kw", "pd", "bridge") are those of docker.ts's header.
 */
import { SecretValue, UNKNOWN, unwrapSecrets } from "../values";

// ---------------------------------------------------------------------------
// Values as they reach the mocks: secrets wrapped, unknowns marked.
// ---------------------------------------------------------------------------

export function containsUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (value instanceof SecretValue) return containsUnknown(value.value);
    if (Array.isArray(value)) return value.some(containsUnknown);
    if (typeof value === "object" && value !== null) return Object.values(value).some(containsUnknown);
    return false;
}

export function isAbsent(value: unknown): value is undefined | null {
    return value === undefined || value === null;
}

/** The zero values SDKv2 compares an omitted attribute with (sdk schema.go:1326-1328, 977, 1112, 1201). */
export function isZero(value: unknown): boolean {
    if (isAbsent(value) || value === "" || value === 0 || value === false) return true;
    if (Array.isArray(value)) return value.length === 0;
    if (typeof value === "object") return Object.keys(value as object).length === 0;
    return false;
}

/** Stable text of a value: object keys sorted, so equal values compare equal. */
export function canonical(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (typeof value === "object" && value !== null) {
        const entries = Object.entries(value)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
    }
    return JSON.stringify(value) ?? "null";
}

export function str0(v: unknown): string | undefined {
    return typeof v === "string" ? v : undefined;
}

// ---------------------------------------------------------------------------
// Schema and diff rules (SDKv2), shared by the bridged resources.
// ---------------------------------------------------------------------------

type AttrType = "string" | "int" | "bool" | "list" | "set" | "map" | "list1" | "set1";
type Mode = "required" | "optional" | "optionalComputed" | "computed";

export interface Attr {
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

export const a = (
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

export function changedKeys(
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

export function forceNewOf(schema: Readonly<Record<string, Attr>>, resource: string, key: string): boolean {
    const attr = schema[key];
    if (!attr) throw new Error(`${key} is not an attribute of ${resource} at kreuzwerker v4.5.0`);
    return attr.forceNew;
}

/** Fills the attributes that have a schema Default: SDKv2 writes them into state (kw Default: fields). */
export function withDefaults(
    schema: Readonly<Record<string, Attr>>,
    inputs: Record<string, unknown>,
): Record<string, unknown> {
    const out = { ...inputs };
    for (const [key, attr] of Object.entries(schema))
        if (isAbsent(out[key]) && attr.default !== undefined) out[key] = attr.default;
    return out;
}

// ---------------------------------------------------------------------------
// Shorthands and blocks the container, network and volume schemas share.
// ---------------------------------------------------------------------------

export const str = (tf: string, line: number, extra: Partial<Attr> = {}) =>
    a(tf, line, "string", "optional", true, extra);

/** kw helpers.go:57-76 newLabelSchema: label and value, both required (ForceNew in labelSchema, line 76). */
export const LABEL: Record<string, Attr> = {
    label: a("label", 60, "string", "required", true),
    value: a("value", 66, "string", "required", true),
};
