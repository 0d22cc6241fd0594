/**
 * How the DigitalOcean read-back models (digitalocean.ts) describe one input of a resource, and how a model built
 * from those descriptions reads back and diffs, for the models in digitaloceanDroplet.ts, digitaloceanNetwork.ts
 * and digitaloceanDatabase.ts.
 *
 * Which upstream: pulumi-digitalocean builds from the `upstream` submodule
 * (provider/go.mod: `terraform-provider-digitalocean => ../upstream`). Its tag
 * v4.80.1 is not among the stored copies (the newest is v4.76.0 = upstream
 * v2.96.0), so the pinned commit cannot be read here. The installed SDK has
 * every input of v2.99.1 (401992a1, the newest upstream commit stored) that these
 * types use, and one more: the firewall rules' `action`
 * (node_modules/@pulumi/digitalocean/types/input.d.ts, FirewallInboundRule),
 * added upstream after v2.99.1 by digitalocean/terraform-provider-digitalocean#1602
 * together with godo v1.207.0, the godo version the stored pulumi-digitalocean
 * provider/go.mod lists. So every rule cites v2.99.1 except `action`, which
 * cites the pull request.
 *
 * The Terraform SDK runs a StateFunc over the configured value when it plans as
 * well as when it stores, and compares the two under the DiffSuppressFunc; what
 * Read takes from the API lands in state only. So a value the API returns in
 * another form than the one sent (and no StateFunc or DiffSuppressFunc covers)
 * shows a diff on the next `up`, and a replacement where the field is ForceNew.
 */
import { keepSecret, UNKNOWN, unwrapSecrets } from "../values";
import type { ResourceModel } from "./resourceModel";

/** The upstream commit every rule of the DigitalOcean models is read at (see the header for why this one). */
export const UPSTREAM = "digitalocean/terraform-provider-digitalocean@401992a1";
export const at = (fileAndLines: string) => `${UPSTREAM} ${fileAndLines}`;

export type Inputs = Readonly<Record<string, unknown>>;

interface Attribute {
    /** The schema's StateFunc: applied to the configured value both when stored and when planned. */
    readonly stateFunc?: (value: unknown, inputs: Inputs) => unknown;
    /** What Read takes back from the API on top of the StateFunc: lands in state only. */
    readonly fromApi?: (value: unknown, inputs: Inputs) => unknown;
    /** The form two values are compared in: set order, and what a DiffSuppressFunc or set hash ignores. */
    readonly comparable?: (value: unknown, inputs: Inputs) => unknown;
    /** Optional + Computed: left out of the program, the provider keeps what it stored. */
    readonly computed?: boolean;
    /** Written into state by the provider even when the program leaves the input out. */
    readonly storedWhenAbsent?: (inputs: Inputs) => unknown;
    readonly forceNew: boolean;
    /** Replaces only on some changes (a CustomizeDiff ForceNewIfChange). */
    readonly forceNewIf?: (prior: unknown, next: unknown) => boolean;
    /** For the report table: the form the value comes back in. */
    readonly readBackNote: string;
    readonly source: string;
}

/** Terraform's SDK treats an unset string, list or block the same as an empty one. */
export function isAbsent(value: unknown): boolean {
    return value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);
}

/** JSON with object keys sorted, so equal values print equal. */
function stableJson(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
    if (typeof value === "object" && value !== null) {
        const entries = Object.entries(value)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
    }
    if (typeof value === "symbol") return "<unknown>";
    return JSON.stringify(value ?? null);
}

/** A TypeSet compared as a set: element order never shows as a diff. */
export function asSet(value: unknown, element: (e: unknown) => unknown = (e) => e): unknown {
    if (isAbsent(value)) return undefined;
    const items = (value as unknown[]).map(element).map(stableJson);
    return [...new Set(items)].sort();
}

export const str = (v: unknown) => (typeof v === "string" ? v : String(v));
export const lower = (v: unknown) => str(v).toLowerCase();

/**
 * Tags are a set hashed without regard to case (tag.TagsSchema), so "Prod" and
 * "prod" are one element and never a diff.
 */
export const TAGS: Attribute = {
    comparable: (v) => asSet(v, lower),
    forceNew: false,
    readBackNote: "set, compared without regard to case",
    source: at("digitalocean/tag/tags.go:16-26, digitalocean/util/hash.go:18-21"),
};

export class ProviderModel implements ResourceModel {
    constructor(
        readonly type: string,
        readonly attributes: Readonly<Record<string, Attribute>>,
    ) {}

    private attribute(key: string): Attribute {
        const found = this.attributes[key];
        if (!found) {
            throw new Error(
                `${this.type}: the read-back model has no rule for input '${key}'; read the provider at ${UPSTREAM} and add one`,
            );
        }
        return found;
    }

    readBack(inputs: Record<string, unknown>): Record<string, unknown> {
        const plain = unwrapSecrets(inputs) as Inputs;
        const out: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(inputs)) {
            const attr = this.attribute(key);
            out[key] =
                value === UNKNOWN || isAbsent(value) ? value : keepSecret(value, (v) => this.stored(attr, v, plain));
        }
        for (const [key, attr] of Object.entries(this.attributes)) {
            if (isAbsent(inputs[key]) && attr.storedWhenAbsent) out[key] = attr.storedWhenAbsent(plain);
        }
        return out;
    }

    private stored(attr: Attribute, value: unknown, inputs: Inputs): unknown {
        const state = attr.stateFunc ? attr.stateFunc(value, inputs) : value;
        return attr.fromApi ? attr.fromApi(state, inputs) : state;
    }

    private comparable(attr: Attribute, value: unknown, inputs: Inputs): string {
        if (isAbsent(value)) return stableJson(undefined);
        return stableJson(attr.comparable ? attr.comparable(value, inputs) : value);
    }

    changed(newInputs: Record<string, unknown>, priorState: Record<string, unknown>): string[] {
        const next = unwrapSecrets(newInputs) as Inputs;
        const prior = unwrapSecrets(priorState) as Inputs;
        // Keys only in the prior state are computed outputs unless the model knows them as inputs.
        const keys = new Set([...Object.keys(next), ...Object.keys(prior).filter((k) => k in this.attributes)]);
        const changed: string[] = [];
        for (const key of keys) {
            const attr = this.attribute(key);
            const value = next[key];
            if (value === UNKNOWN) {
                changed.push(key);
                continue;
            }
            if (isAbsent(value) && attr.computed) continue;
            const planned = isAbsent(value) ? undefined : attr.stateFunc ? attr.stateFunc(value, next) : value;
            if (this.comparable(attr, planned, next) !== this.comparable(attr, prior[key], next)) changed.push(key);
        }
        return changed.sort();
    }

    forcesReplacement(key: string): boolean {
        return this.attributes[key]?.forceNew ?? false;
    }

    /** Whether this particular change replaces the resource: ForceNew, or a ForceNewIfChange that holds. */
    replaces(key: string, prior: unknown, next: unknown): boolean {
        const attr = this.attributes[key];
        if (!attr) return false;
        return attr.forceNew || (attr.forceNewIf?.(unwrapSecrets(prior), unwrapSecrets(next)) ?? false);
    }

    /** The keys of `changed` whose change replaces the resource. */
    replacements(newInputs: Record<string, unknown>, priorState: Record<string, unknown>): string[] {
        return this.changed(newInputs, priorState).filter((k) => this.replaces(k, priorState[k], newInputs[k]));
    }
}
