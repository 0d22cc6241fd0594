/**
 * The building blocks of the config schema: a field is what it accepts (its check, or its items' check, or its own
 * fields), its default and what a missing value should have been, declared once (components/config/schema.ts and
 * ./nestedFields.ts); `readFields` reads an object key's fields from them, reporting every problem at once with the
 * key, the value and what was expected.
 */
import { closestMatch } from "../validation";
import { Problems } from "./problems";

/** The fields of the same object read before this one, as read: a check may name them (ssh.hostKey names host). */
export type Before = Readonly<Record<string, unknown>>;

/** Says what was expected when a value is wrong; undefined when it is valid. */
export type Check = (value: unknown, before: Before) => string | undefined;

interface FieldBase<T> {
    /** The value of an unset field. None: the field is optional (undefined) unless `required` says otherwise. */
    readonly default?: T;
    /** What an unset field should have been: set, the field must be given. */
    readonly required?: string | ((before: Before) => string);
    /**
     * Wrong values are described by their kind only, never shown: a secret is easily pasted into this setting
     * (an endpoint, a channel), so the value could be one.
     */
    readonly nearSecret?: boolean;
    /** Shown in the description of Pulumi.yaml's default block? Defaults appear unless this is false. */
    readonly inProjectDefault?: boolean;
    /** Stated in the generated description of its key? Scalar defaults are, unless this is false. */
    readonly inDescription?: boolean;
}

/** One value: text, a number or a boolean. */
export interface ValueField<T> extends FieldBase<T> {
    readonly kind?: undefined;
    readonly check: Check;
}

/** A list whose items are checked one by one; the valid ones are kept. */
export interface ListField<T> extends FieldBase<T> {
    readonly kind: "list";
    readonly item: Check;
    /** What a value that is not a list should have been. */
    readonly notAList: string;
    /** Set: a list that keeps no valid item is reported with this expectation. */
    readonly atLeastOne?: string;
}

/** An object of fields of its own. */
export interface ObjectField<T> extends FieldBase<T> {
    readonly kind: "object";
    readonly fields: FieldSpecs;
    /** What a value that is not an object should have been. */
    readonly notAnObject: string;
    /** `false` reads as unset (verification.e2e: false turns the check off). */
    readonly falseIsUnset?: boolean;
}

export type FieldSpec<T> = ValueField<T> | ListField<T> | ObjectField<T>;

type Given = { default: unknown } | { required: unknown };

/** The type a field reads as. */
export type FieldValue<F> = F extends FieldSpec<infer T> ? T : never;

/** An object key's fields as read: those with a default or required always present, the others optional. */
export type FieldValues<F> = {
    -readonly [K in keyof F as F[K] extends Given ? K : never]: FieldValue<F[K]>;
} & {
    -readonly [K in keyof F as F[K] extends Given ? never : K]?: FieldValue<F[K]>;
};

export type FieldSpecs = Readonly<Record<string, FieldSpec<unknown>>>;

/** What a value that should be a list of strings and is not was expected to be. */
export const A_YAML_LIST = "a list (a YAML sequence)";

/** A check that first wants a string. */
export function text(check: (s: string) => string | undefined = () => undefined): Check {
    return (v) => (typeof v === "string" ? check(v) : "a string");
}

export const nonEmptyText = text((s) => (s.trim().length > 0 ? undefined : "a non-empty string"));

export const bool: Check = (v) => (typeof v === "boolean" ? undefined : "true or false");

export function oneOfText(values: readonly string[], expected = `one of ${values.join(", ")}`): Check {
    return text((s) => (values.includes(s) ? undefined : expected));
}

type Extra = Pick<FieldBase<unknown>, "nearSecret" | "inProjectDefault" | "inDescription">;

/** A field with a default. */
export function defaulted<T>(check: Check, value: T, extra: Extra = {}): ValueField<T> & { readonly default: T } {
    return { check, default: value, ...extra };
}

/** A field the stack must set; `expected` says what it should have been. */
export function required<T>(
    check: Check,
    expected: string | ((before: Before) => string),
    extra: Extra = {},
): ValueField<T> & { readonly required: string | ((before: Before) => string) } {
    return { check, required: expected, ...extra };
}

/** A field that may be left unset: it then reads as undefined. */
export function optional<T>(check: Check, extra: Extra = {}): ValueField<T> {
    return { check, ...extra };
}

/** A list of items that each pass `item`; unset, it reads as `value`. */
export function listOf<T>(
    item: Check,
    value: readonly T[],
    options: { notAList: string; atLeastOne?: string } & Extra,
): ListField<readonly T[]> & { readonly default: readonly T[] } {
    return { kind: "list", item, default: value, ...options };
}

type ObjectOptions = { notAnObject: string; falseIsUnset?: boolean } & Extra;

/** An object of `fields`; unset, it reads as `options.default`, or as undefined without one. */
export function objectOf<F extends FieldSpecs>(
    fields: F,
    options: ObjectOptions & { default: FieldValues<F> },
): ObjectField<FieldValues<F>> & { readonly default: FieldValues<F> };
export function objectOf<F extends FieldSpecs>(fields: F, options: ObjectOptions): ObjectField<FieldValues<F>>;
export function objectOf<F extends FieldSpecs>(
    fields: F,
    options: ObjectOptions & { default?: FieldValues<F> },
): ObjectField<FieldValues<F>> {
    return { kind: "object", fields, ...options };
}

/** The defaults of `fields`, as an object with no setting given reads. */
export function defaultsOf<F extends FieldSpecs>(fields: F): FieldValues<F> {
    const result: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(fields)) if (spec.default !== undefined) result[name] = spec.default;
    return result as FieldValues<F>;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reports the settings of `obj` that are not among `allowed`, with the nearest known one; values are not shown. */
export function unknownKeys(p: Problems, key: string, obj: Record<string, unknown>, allowed: readonly string[]): void {
    for (const k of Object.keys(obj)) {
        if (allowed.includes(k)) continue;
        const near = closestMatch(k, allowed);
        // As for an undeclared key, the value is not shown: a pasted webhook URL or password would land in logs.
        const reason = `set, but not a setting of ${key}; ${near ? `did you mean ${near}?` : `its settings are ${allowed.join(", ")}`}`;
        p.hidden(`${key}.${k}`, reason);
    }
}

function report(p: Problems, key: string, value: unknown, expected: string, nearSecret: boolean | undefined): void {
    if (nearSecret) p.nearSecret(key, value, expected);
    else p.add(key, value, expected);
}

/**
 * One field's value as its spec says: checked (a list item by item, an object field by field), or its default (a
 * required one: `fallback`) with the problem recorded.
 */
export function readField<T>(
    p: Problems,
    key: string,
    value: unknown,
    spec: FieldSpec<T>,
    fallback?: T,
    before: Before = {},
): T {
    const dflt = (spec.default ?? fallback) as T;
    const unset = value === undefined || (spec.kind === "object" && spec.falseIsUnset === true && value === false);
    if (unset && spec.required !== undefined) {
        p.add(key, undefined, typeof spec.required === "string" ? spec.required : spec.required(before));
    }
    if (spec.kind === "list") return readList(p, key, unset ? undefined : value, spec, dflt as readonly unknown[]) as T;
    if (unset) return dflt;
    if (spec.kind === "object") {
        if (isRecord(value)) return readFields(p, key, value, spec.fields) as T;
        report(p, key, value, spec.notAnObject, spec.nearSecret);
        return dflt;
    }
    const problem = spec.check(value, before);
    if (problem === undefined) return value as T;
    report(p, key, value, problem, spec.nearSecret);
    return dflt;
}

function readList(
    p: Problems,
    key: string,
    value: unknown,
    spec: ListField<unknown>,
    dflt: readonly unknown[],
): readonly unknown[] {
    // One mistake, one line: a scalar where a list belongs says what the list must hold, and a list whose every item
    // was refused has said so item by item; "at least one" is added only for a list that is missing or empty.
    if (value !== undefined && !Array.isArray(value)) {
        const expected = spec.atLeastOne !== undefined ? `${spec.atLeastOne} (a YAML sequence)` : spec.notAList;
        report(p, key, value, expected, spec.nearSecret);
        return dflt;
    }
    const kept =
        value === undefined
            ? dflt
            : value.filter((item, i) => {
                  const problem = spec.item(item, {});
                  if (problem) report(p, `${key}[${i}]`, item, problem, spec.nearSecret);
                  return problem === undefined;
              });
    if (spec.atLeastOne !== undefined && (value ?? dflt).length === 0) p.add(key, value, spec.atLeastOne);
    return kept;
}

/**
 * Reads the listed fields of an object key in the order they are declared, after reporting the settings it does
 * not know (`extra` names settings the caller reads itself, such as a nested object).
 */
export function readFields<Fields extends FieldSpecs>(
    p: Problems,
    key: string,
    obj: Record<string, unknown>,
    fields: Fields,
    extra: readonly string[] = [],
): FieldValues<Fields> {
    unknownKeys(p, key, obj, [...Object.keys(fields), ...extra]);
    return readEach(p, key, obj, fields);
}

/** Reads the listed fields of an object key in the order they are declared; other settings are not looked at. */
export function readEach<Fields extends FieldSpecs>(
    p: Problems,
    key: string,
    obj: Record<string, unknown>,
    fields: Fields,
): FieldValues<Fields> {
    const result: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(fields)) {
        const fallback = spec.required !== undefined && spec.default === undefined ? "" : undefined;
        const value = readField(p, `${key}.${name}`, obj[name], spec, fallback, result);
        if (value !== undefined) result[name] = value;
    }
    return result as FieldValues<Fields>;
}
