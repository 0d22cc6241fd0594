/**
 * The raw config of one stack, as the Pulumi CLI hands it to the program (fully qualified keys, structured values as
 * JSON text, the keys whose values arrived encrypted), and the reads every key's reader shares. Pure: the program
 * builds it from `pulumi.runtime` (components/config/index.ts), scripts from the stack files.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    A_YAML_LIST,
    FieldSpec,
    FieldSpecs,
    FieldValue,
    FieldValues,
    isRecord,
    listOf,
    readEach,
    readField,
    text,
    unknownKeys,
} from "./fields";
import { NESTED, NestedKey } from "./nestedFields";
import { Problems } from "./problems";
import {
    CONFIG_KEYS,
    CONFIG_SCHEMA,
    ConfigKey,
    KeyValue,
    ObjectConfigKey,
    PROJECT,
    SECRET_CONFIG_KEYS,
    SecretConfigKey,
    secretKey,
    TypedConfigKey,
    typedKey,
} from "./schema";

/**
 * What the parser may ask of the machine the stack is deployed from, given to it so that it stays a function of its
 * input: where a path resolves (relative to the working directory) and what exists there. Read only for
 * freshtrack:appBuild's build context.
 */
export interface LocalFiles {
    resolve(...segments: string[]): string;
    isDirectory(path: string): boolean;
    isFile(path: string): boolean;
}

export interface RawConfig {
    readonly stack: string;
    /** The Pulumi project, as the CLI names it (Pulumi.yaml's `name`). */
    readonly project: string;
    /** Fully qualified keys (`freshtrack:domain`) to the text the program receives. */
    readonly values: Readonly<Record<string, string>>;
    /** Fully qualified keys whose values arrived encrypted (`secure:` in the stack file). */
    readonly encrypted: ReadonlySet<string>;
    readonly files: LocalFiles;
}

/**
 * Stands for a value the scripts cannot decrypt: `npm run plan`, `policy` and `bench` read the stack file without the
 * passphrase and hand this text over for every `secure:` value (scripts/lib/stackFiles.ts). A secret's form can only
 * be checked where it arrives decrypted, in `pulumi preview` and `up`.
 */
export const MASKED_SECURE_VALUE = "[secure value, encrypted in the stack file]";

/** A config value as Pulumi hands it to the program: structured values arrive as JSON text. */
function parsedOrText(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

export function qualified(name: string): string {
    return `${PROJECT}:${name}`;
}

/**
 * The secrets a problem must never quote: every declared secret key's value and every value that arrived encrypted
 * (a provider's token too), unset or masked ones aside; the masked text is the scripts' own and no secret.
 */
function secretValuesOf(raw: RawConfig): string[] {
    const keys = new Set([...SECRET_CONFIG_KEYS.map(qualified), ...raw.encrypted]);
    const values = [...keys].map((key) => raw.values[key] ?? "");
    return [...new Set(values)].filter((value) => value !== "" && value !== MASKED_SECURE_VALUE);
}

type Fields<K extends ObjectConfigKey> = (typeof CONFIG_SCHEMA)[K]["fields"];
type Nested<K extends NestedKey> = (typeof NESTED)[K];

/**
 * Reads the raw values of one stack as the schema (./schema.ts) declares them, and records the problems found, every
 * one of them. It reads declared keys only: a name the schema does not declare is a type error.
 */
export class Source {
    readonly problems: Problems;
    /** Each key's value, parsed from its JSON text once however often it is read. */
    private readonly parsed = new Map<ConfigKey, unknown>();
    private readonly notObjects = new Set<ObjectConfigKey>();

    constructor(readonly raw: RawConfig) {
        const names = CONFIG_KEYS.flatMap((key) => [qualified(key), key]);
        this.problems = new Problems(new Set(SECRET_CONFIG_KEYS.map(qualified)), {
            secrets: secretValuesOf(raw),
            names,
        });
    }

    key(name: ConfigKey): string {
        return qualified(name);
    }

    text(name: ConfigKey): string | undefined {
        return this.raw.values[qualified(name)];
    }

    /** The raw value: structured values arrive as JSON text and are parsed here, once. */
    value(name: ConfigKey): unknown {
        if (!this.parsed.has(name)) {
            const text = this.text(name);
            this.parsed.set(name, text === undefined ? undefined : parsedOrText(text));
        }
        return this.parsed.get(name);
    }

    /**
     * A string, boolean or array key, read as its spec says; `valid` is false when a problem was recorded. A string
     * arrives as the text itself; a wrong one reads as the key's default, or as given where it has none.
     */
    read<K extends TypedConfigKey>(name: K): { value: KeyValue<K>; valid: boolean } {
        const spec = typedKey(name);
        const key = this.key(name);
        const result = (value: unknown, valid: boolean) => ({ value: value as KeyValue<K>, valid });
        if (spec.type === "boolean") {
            const value = this.value(name);
            if (value === undefined) return result(spec.default, true);
            if (typeof value === "boolean") return result(value, true);
            this.problems.add(key, value, "true or false");
            return result(spec.default, false);
        }
        if (spec.type === "array") {
            const before = this.problems.list.length;
            const list = listOf<string>(text(spec.item), spec.default, { notAList: A_YAML_LIST });
            const value = readField(this.problems, key, this.value(name), list);
            return result(value, this.problems.list.length === before);
        }
        const given = this.text(name);
        if (given === undefined) {
            if (spec.default !== undefined) return result(spec.default, true);
            this.problems.add(key, undefined, "a value (it has no default)");
            return result("", false);
        }
        const problem =
            spec.oneOf !== undefined && !spec.oneOf.includes(given)
                ? `one of ${spec.oneOf.join(", ")}`
                : spec.check?.(given);
        if (problem === undefined) return result(given, true);
        this.problems.add(key, spec.shown ? spec.shown(given) : given, problem);
        return result(spec.default ?? given, false);
    }

    /** An object key's value; anything else is reported (once, however often it is read) and read as empty. */
    object(name: ObjectConfigKey): Record<string, unknown> {
        const value = this.value(name);
        if (value === undefined) return {};
        if (isRecord(value)) return value;
        // Text here may be a credential pasted into the wrong key (a webhook URL into alerts): shown only by its kind.
        if (!this.notObjects.has(name)) this.problems.nearSecret(this.key(name), value, "an object (a YAML mapping)");
        this.notObjects.add(name);
        return {};
    }

    /**
     * An object key read field by field from its schema, after reporting the settings it does not declare. `only`
     * reads just those fields (database reads its managed settings only when it is managed).
     */
    fields<K extends ObjectConfigKey, N extends keyof Fields<K> & string = keyof Fields<K> & string>(
        name: K,
        only?: readonly N[],
    ): FieldValues<Pick<Fields<K>, N>> {
        const spec = CONFIG_SCHEMA[name];
        const all: FieldSpecs = spec.fields;
        const obj = this.object(name);
        unknownKeys(this.problems, this.key(name), obj, [
            ...Object.keys(all),
            ...("nested" in spec ? spec.nested : []),
        ]);
        const read = only ? Object.fromEntries(only.map((field) => [field, all[field]!])) : all;
        return readEach(this.problems, this.key(name), obj, read) as FieldValues<Pick<Fields<K>, N>>;
    }

    /** One field of an object key, read from its schema; the key's unknown settings are `fields`' to report. */
    field<K extends ObjectConfigKey, N extends keyof Fields<K> & string>(name: K, field: N): FieldValue<Fields<K>[N]> {
        const spec = (CONFIG_SCHEMA[name].fields as FieldSpecs)[field] as FieldSpec<unknown>;
        return readField(this.problems, `${this.key(name)}.${field}`, this.object(name)[field], spec) as FieldValue<
            Fields<K>[N]
        >;
    }

    /** A nested setting of an object key, read from its spec in ./nestedFields.ts; undefined when unset or wrong. */
    nested<K extends NestedKey, N extends keyof Nested<K> & string>(
        name: K,
        setting: N,
    ): FieldValue<Nested<K>[N]> | undefined {
        const spec = NESTED[name][setting] as FieldSpec<unknown>;
        const value = this.object(name)[setting];
        return readField(this.problems, `${this.key(name)}.${setting}`, value, spec) as FieldValue<Nested<K>[N]>;
    }

    /** Keys declared secret whose value is set in plain text; the value itself is never read out. */
    plainTextSecrets(): SecretConfigKey[] {
        return SECRET_CONFIG_KEYS.filter(
            (name) => (this.text(name) ?? "") !== "" && !this.raw.encrypted.has(qualified(name)),
        );
    }

    /** An operator-supplied secret that may be left unset; a set one is checked as `secret` checks it. */
    optionalSecret(name: SecretConfigKey): pulumi.Output<string> | undefined {
        const value = this.text(name);
        return value ? this.checkedSecret(name, value) : undefined;
    }

    /**
     * An operator-supplied secret. Missing ones are recorded, not thrown, so every problem is reported at once.
     * The schema's check judges the value's form; its answer is the expectation, and the value itself is never shown.
     */
    secret(name: SecretConfigKey, neededFor: string): pulumi.Output<string> | undefined {
        // Optional secrets are declared untyped with an empty default (components/config/schema.ts, SecretKey), so
        // empty means unset. The value itself leaves this function only as a secret Output.
        const value = this.text(name);
        if (!value) {
            const how = `pulumi config set --secret ${name} ... --stack ${this.raw.stack}`;
            this.problems.add(this.key(name), undefined, `a secret (${how}) because ${neededFor}`);
            return undefined;
        }
        return this.checkedSecret(name, value);
    }

    /**
     * A set secret, checked where it arrives decrypted (a masked one cannot be). The check may quote what it got, so
     * its answer is recorded with the value scrubbed out of it (Problems.secretValue).
     */
    private checkedSecret(name: SecretConfigKey, value: string): pulumi.Output<string> | undefined {
        const wrong = value === MASKED_SECURE_VALUE ? undefined : secretKey(name).check?.(value);
        if (wrong !== undefined) {
            this.problems.secretValue(this.key(name), value, wrong);
            return undefined;
        }
        return pulumi.secret(value);
    }
}
