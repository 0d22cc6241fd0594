/**
 * The building blocks of the config schema: a field is its check, its default and what a missing value should
 * have been, declared once (components/config/schema.ts); `readFields` reads an object key's fields from them,
 * reporting every problem at once with the key, the value and what was expected.
 */
import { closestMatch } from "../validation";
import { Problems } from "./problems";

/** Says what was expected when a value is wrong; undefined when it is valid. */
export type Check = (value: unknown) => string | undefined;

export interface FieldSpec<T> {
    readonly check: Check;
    /** The value of an unset field. None: the field is optional (undefined) unless `required` says otherwise. */
    readonly default?: T;
    /** What an unset field should have been: set, the field must be given. */
    readonly required?: string;
    /**
     * Wrong values are described by their kind only, never shown: a secret is easily pasted into this setting
     * (an endpoint, a channel), so the value could be one.
     */
    readonly nearSecret?: boolean;
    /** Shown in the description of Pulumi.yaml's default block? Defaults appear unless this is false. */
    readonly inProjectDefault?: boolean;
}

type Given = { default: unknown } | { required: string };

/** The type a field reads as. */
export type FieldValue<F> = F extends FieldSpec<infer T> ? T : never;

/** An object key's fields as read: those with a default or required always present, the others optional. */
export type FieldValues<F> = {
    -readonly [K in keyof F as F[K] extends Given ? K : never]: FieldValue<F[K]>;
} & {
    -readonly [K in keyof F as F[K] extends Given ? never : K]?: FieldValue<F[K]>;
};

export type FieldSpecs = Readonly<Record<string, FieldSpec<unknown>>>;

/** A check that first wants a string. */
export function text(check: (s: string) => string | undefined = () => undefined): Check {
    return (v) => (typeof v === "string" ? check(v) : "a string");
}

export const nonEmptyText = text((s) => (s.trim().length > 0 ? undefined : "a non-empty string"));

export const bool: Check = (v) => (typeof v === "boolean" ? undefined : "true or false");

export function oneOfText(values: readonly string[], expected = `one of ${values.join(", ")}`): Check {
    return text((s) => (values.includes(s) ? undefined : expected));
}

type Extra = Pick<FieldSpec<unknown>, "nearSecret" | "inProjectDefault">;

/** A field with a default. */
export function defaulted<T>(check: Check, value: T, extra: Extra = {}): FieldSpec<T> & { readonly default: T } {
    return { check, default: value, ...extra };
}

/** A field the stack must set; `expected` says what it should have been. */
export function required<T>(check: Check, expected: string, extra: Extra = {}): FieldSpec<T> & { required: string } {
    return { check, required: expected, ...extra };
}

/** A field that may be left unset: it then reads as undefined. */
export function optional<T>(check: Check, extra: Extra = {}): FieldSpec<T> {
    return { check, ...extra };
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

/** One field's value: checked, or its default (a required one: `fallback`) with the problem recorded. */
export function readField<T>(p: Problems, key: string, value: unknown, spec: FieldSpec<T>, fallback?: T): T {
    const dflt = (spec.default ?? fallback) as T;
    if (value === undefined) {
        if (spec.required !== undefined) p.add(key, undefined, spec.required);
        return dflt;
    }
    const problem = spec.check(value);
    if (problem === undefined) return value as T;
    if (spec.nearSecret) p.nearSecret(key, value, problem);
    else p.add(key, value, problem);
    return dflt;
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
        const value = readField(p, `${key}.${name}`, obj[name], spec, fallback);
        if (value !== undefined) result[name] = value;
    }
    return result as FieldValues<Fields>;
}

/** A list of strings, each checked; the valid ones are kept. */
export function stringList(
    p: Problems,
    key: string,
    value: unknown,
    check: (s: string) => string | undefined,
): string[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
        p.add(key, value, "a list (a YAML sequence)");
        return [];
    }
    return value.filter((item, i) => {
        const problem = typeof item === "string" ? check(item) : "a string";
        if (problem) p.add(`${key}[${i}]`, item, problem);
        return problem === undefined;
    }) as string[];
}
