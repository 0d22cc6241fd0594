/**
 * Config problems: collected while the whole config is read, then reported together in one ConfigError, each
 * with the key, the value given (never a secret's) and what was expected.
 */
import * as pulumi from "@pulumi/pulumi";

/** One invalid value: the key, what was given and what was expected. */
export interface ConfigProblem {
    readonly key: string;
    readonly value: unknown;
    readonly expected: string;
    /**
     * The value is left out of the message, and `expected` is printed as the whole reason: for a key the program
     * does not know, whose value may be a secret.
     */
    readonly valueHidden?: boolean;
}

/** The value of a problem on a secret key that is set: shown as set, never as itself. */
export const HIDDEN_SECRET: unique symbol = Symbol("a secret's value, not shown");

function describe(value: unknown): string {
    if (value === undefined) return "(not set)";
    if (value === HIDDEN_SECRET) return "(set; the value is not shown)";
    return JSON.stringify(value);
}

/**
 * All the problems found in a stack's config. A RunError, so `pulumi up` and `npm run plan` print the message
 * alone, without a stack trace.
 */
export class ConfigError extends pulumi.RunError {
    constructor(
        readonly stack: string,
        readonly problems: readonly ConfigProblem[],
    ) {
        const count = `${problems.length} configuration problem${problems.length === 1 ? "" : "s"}`;
        const line = (p: ConfigProblem) =>
            p.valueHidden
                ? `  - ${p.key}: ${p.expected}`
                : `  - ${p.key} = ${describe(p.value)}: expected ${p.expected}`;
        // Config is read before any resource is registered, so this stops preview, up, plan and policy alike with
        // nothing touched.
        super(
            `Stack '${stack}' has ${count} (found before any resource was touched):\n${problems.map(line).join("\n")}`,
        );
        this.name = "ConfigError";
    }
}

/** Collects problems; a secret key's value is never recorded, whatever is wrong with it. */
export class Problems {
    readonly list: ConfigProblem[] = [];

    constructor(private readonly secretKeys: ReadonlySet<string>) {}

    add(key: string, value: unknown, expected: string): void {
        if (this.secretKeys.has(key) && value !== undefined) {
            this.list.push({
                key,
                value: HIDDEN_SECRET,
                expected: `${expected} (the value is not shown: it is a secret)`,
            });
        } else {
            this.list.push({ key, value, expected });
        }
    }

    /** The whole reason, without the value (an undeclared key's value may be a secret). */
    hidden(key: string, reason: string): void {
        this.list.push({ key, value: undefined, expected: reason, valueHidden: true });
    }

    /** A secret's value in the wrong form: shown as set, `expected` as given. */
    secretValue(key: string, expected: string): void {
        this.list.push({ key, value: HIDDEN_SECRET, expected });
    }

    /**
     * A problem with a setting beside a secret, where a secret may be pasted by mistake (a webhook URL for
     * alerts.webhook): booleans and numbers are shown, text and objects not.
     */
    nearSecret(key: string, value: unknown, expected: string): void {
        if (typeof value === "boolean" || typeof value === "number" || value === null) {
            this.add(key, value, expected);
            return;
        }
        const kind = Array.isArray(value) ? "a list" : typeof value === "string" ? "text" : "an object";
        this.hidden(
            key,
            `set to ${kind} that is not valid here (not shown: it may be a pasted secret); expected ${expected}`,
        );
    }
}
