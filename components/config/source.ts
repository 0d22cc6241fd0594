/**
 * The raw config of one stack, as the Pulumi CLI hands it to the program (fully qualified keys, structured values as
 * JSON text, the keys whose values arrived encrypted), and the reads every key's reader shares. Pure: the program
 * builds it from `pulumi.runtime` (components/config/index.ts), scripts from the stack files.
 */
import * as pulumi from "@pulumi/pulumi";
import { isRecord, readField, FieldSpec, FieldSpecs, FieldValues, readFields } from "./fields";
import { Problems } from "./problems";
import { PROJECT, SECRET_CONFIG_KEYS, SecretConfigKey } from "./schema";

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

/** Reads the raw values of one stack and records the problems found, every one of them. */
export class Source {
    readonly problems = new Problems(new Set(SECRET_CONFIG_KEYS.map(qualified)));

    constructor(readonly raw: RawConfig) {}

    key(name: string): string {
        return qualified(name);
    }

    text(name: string): string | undefined {
        return this.raw.values[qualified(name)];
    }

    /** The raw value: structured values arrive as JSON text and are parsed here. */
    value(name: string): unknown {
        const text = this.text(name);
        return text === undefined ? undefined : parsedOrText(text);
    }

    /** A string key; unset and without a default, it is reported. */
    string(name: string, fallback?: string): string {
        const text = this.text(name);
        if (text !== undefined) return text;
        if (fallback !== undefined) return fallback;
        this.problems.add(this.key(name), undefined, "a value (it has no default)");
        return "";
    }

    /** A required string that must also pass `check`; reported once whether missing or wrong. */
    checkedString(name: string, check: (s: string) => string | undefined): { value: string; valid: boolean } {
        const before = this.problems.list.length;
        const value = this.string(name);
        if (this.problems.list.length > before) return { value, valid: false };
        const problem = check(value);
        if (problem) this.problems.add(this.key(name), value, problem);
        return { value, valid: problem === undefined };
    }

    oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
        const value = this.string(name, fallback);
        if ((allowed as readonly string[]).includes(value)) return value as T;
        this.problems.add(this.key(name), value, `one of ${allowed.join(", ")}`);
        return fallback;
    }

    boolean(name: string, fallback: boolean): boolean {
        const value = this.value(name);
        if (value === undefined) return fallback;
        if (typeof value === "boolean") return value;
        this.problems.add(this.key(name), value, "true or false");
        return fallback;
    }

    private readonly notObjects = new Set<string>();

    /** An object key's value; anything else is reported (once, however often it is read) and read as empty. */
    object(name: string): Record<string, unknown> {
        const value = this.value(name);
        if (value === undefined) return {};
        if (isRecord(value)) return value;
        // Text here may be a credential pasted into the wrong key (a webhook URL into alerts): shown only by its kind.
        if (!this.notObjects.has(name)) this.problems.nearSecret(this.key(name), value, "an object (a YAML mapping)");
        this.notObjects.add(name);
        return {};
    }

    /** An object key read field by field from its schema; `nested` names the settings the caller reads itself. */
    fields<F extends FieldSpecs>(name: string, fields: F, nested: readonly string[] = []): FieldValues<F> {
        return readFields(this.problems, this.key(name), this.object(name), fields, nested);
    }

    field<T>(key: string, value: unknown, spec: FieldSpec<T>): T {
        return readField(this.problems, key, value, spec);
    }

    /** Keys declared secret whose value is set in plain text; the value itself is never read out. */
    plainTextSecrets(): SecretConfigKey[] {
        return SECRET_CONFIG_KEYS.filter(
            (name) => (this.text(name) ?? "") !== "" && !this.raw.encrypted.has(qualified(name)),
        );
    }

    /** An operator-supplied secret that may be left unset. */
    optionalSecret(name: SecretConfigKey): pulumi.Output<string> | undefined {
        const value = this.text(name);
        return value ? pulumi.secret(value) : undefined;
    }

    /**
     * An operator-supplied secret. Missing ones are recorded, not thrown, so every problem is reported at once.
     * `check` judges the value's form; its answer is the expectation, and the value itself is never shown.
     */
    secret(
        name: SecretConfigKey,
        neededFor: string,
        check?: (value: string) => string | undefined,
    ): pulumi.Output<string> | undefined {
        // Optional secrets are declared untyped with an empty default (components/config/schema.ts, SecretKey), so
        // empty means unset. The value itself leaves this function only as a secret Output.
        const value = this.text(name);
        if (!value) {
            const how = `pulumi config set --secret ${name} ...`;
            this.problems.add(this.key(name), undefined, `a secret (${how}) because ${neededFor}`);
            return undefined;
        }
        const wrong = value === MASKED_SECURE_VALUE ? undefined : check?.(value);
        if (wrong !== undefined) {
            this.problems.secretValue(this.key(name), wrong);
            return undefined;
        }
        return pulumi.secret(value);
    }
}
