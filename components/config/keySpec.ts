/**
 * What the config schema (./schema.ts) says of each kind of key: what it accepts and how the reader (./source.ts)
 * reads it.
 */
import type { FieldSpecs } from "./fields";

/** A key of a type the CLI checks (pulumi v3.259.0 pkg/workspace/config.go:101,128). */
interface TypedKeyBase {
    readonly description: string;
}

/**
 * A string key. Unset and without a default, it is reported; a value that fails its check is reported and reads as
 * the default (a key with a fixed set of values), or as given where there is none (the domain, named again by later
 * rules).
 */
export interface StringKey extends TypedKeyBase {
    readonly type: "string";
    /** What the CLI passes when the stack does not set the key; none: the stack must set it. */
    readonly default?: string;
    /** The only values it accepts; reported as "one of ...". */
    readonly oneOf?: readonly string[];
    /** What else a value must be; says what was expected, or undefined when it is valid. */
    readonly check?: (value: string) => string | undefined;
    /** How a wrong value is shown in its problem; as given unless this says otherwise. */
    readonly shown?: (value: string) => string;
}

/** A boolean key: anything but true or false is reported and reads as the default. */
export interface BooleanKey extends TypedKeyBase {
    readonly type: "boolean";
    readonly default: boolean;
}

/** A list of strings, each checked by `item`; the valid ones are kept. */
export interface ArrayKey extends TypedKeyBase {
    readonly type: "array";
    readonly default: readonly string[];
    readonly item: (value: string) => string | undefined;
}

export type TypedKey = StringKey | BooleanKey | ArrayKey;

export interface ObjectKey {
    readonly type: "object";
    readonly description: string;
    /** The fields the reader checks one by one, in the order it reports them. */
    readonly fields: FieldSpecs;
    /**
     * Settings that come with a secret key of their own, declared in ./nestedFields.ts (NESTED): the key's reader
     * reads each beside its secret. Named here for the did-you-mean.
     */
    readonly nested?: readonly string[];
}

/**
 * A secret key: declared `secret: true` and untyped, with an empty default, because the CLI applies a default as plain
 * text before it checks `secret` on a typed key (config.go:316-345), so a typed secret key with the empty default
 * every optional secret needs would fail every stack that leaves it unset. The reader refuses a plain-text value for
 * these keys itself.
 */
export interface SecretKey {
    readonly secret: true;
    readonly description: string;
    /**
     * The form its value must have, judged where the value arrives decrypted; the answer says what was expected.
     * Whatever it says, the value is scrubbed from it (components/config/source.ts, Source.secret).
     */
    readonly check?: (value: string) => string | undefined;
}

export type KeySpec = TypedKey | ObjectKey | SecretKey;
