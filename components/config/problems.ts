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

/** What stands in a message for a part of a secret it quoted. */
export const SCRUBBED = "[not shown]";

/** A run of a secret's characters this long or longer is scrubbed; a shorter value, wherever it stands whole. */
const SCRUBBED_RUN = 6;

/**
 * Shorter values are left alone: one or two characters stand in any text (the "x" in "hexadecimal"), so scrubbing them
 * would garble the message and hide nothing.
 */
const SHORTEST_SCRUBBED = 3;

/**
 * `message` with every part of `secret` it quotes replaced by SCRUBBED: each run of SCRUBBED_RUN characters of the
 * value (the whole value when it is shorter), as written or as JSON.stringify escapes it (how values are quoted in
 * problems, describe() here). A check on a secret says what was expected; this keeps one that also says what it got
 * from printing the value. A run found inside one of `names` (the declared keys, which messages name and whose
 * words they use: "encrypted" shares "ncrypt" with backupOffsiteEncryptionKey) is left: it shows nothing of a secret
 * that is not also in Pulumi.yaml, and scrubbing it would garble the messages of a stack whose secret holds a key's
 * name.
 */
export function withoutSecret(message: string, secret: string, names: readonly string[] = []): string {
    return withoutSecrets(message, [secret], names);
}

/**
 * withoutSecret for several secrets at once: each is looked for in the message as given, so that one scrubbed first
 * cannot cut a run of another in two and leave its rest shown.
 */
export function withoutSecrets(message: string, secrets: readonly string[], names: readonly string[] = []): string {
    const hidden = new Array<boolean>(message.length).fill(false);
    const forms = new Set(secrets.flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]));
    for (const form of forms) {
        if (form.length < SHORTEST_SCRUBBED) continue;
        const run = Math.min(form.length, SCRUBBED_RUN);
        for (let start = 0; start + run <= form.length; start++) {
            const piece = form.slice(start, start + run);
            if (names.some((name) => name.includes(piece))) continue;
            for (let at = message.indexOf(piece); at >= 0; at = message.indexOf(piece, at + 1)) {
                hidden.fill(true, at, at + run);
            }
        }
    }
    let result = "";
    for (let i = 0; i < message.length; i++) {
        if (!hidden[i]) result += message[i];
        else if (i === 0 || !hidden[i - 1]) result += SCRUBBED;
    }
    return result;
}

/** The secrets a stack sets, which no problem may quote, and the declared key names a message may always name. */
export interface Scrub {
    readonly secrets: readonly string[];
    readonly names: readonly string[];
}

/**
 * `problem` as it may be printed beside these secrets: every part of one that its expectation quotes scrubbed
 * (withoutSecret), and a value that would show part of one replaced by HIDDEN_SECRET. The key is left as it is: it is
 * a declared name, or a name the stack spelt (an undeclared key), never a value. Unchanged when it quotes none, so a
 * stack without secrets, or whose problems quote none, gets its messages byte for byte. A message may lose a run of
 * six characters it shares with a secret by chance (a password with "secret" in it); that costs a word, where the
 * other way round would print part of the secret.
 */
export function scrubbed(problem: ConfigProblem, { secrets, names }: Scrub): ConfigProblem {
    const expected = withoutSecrets(problem.expected, secrets, names);
    const shown = problem.value === HIDDEN_SECRET ? undefined : describe(problem.value);
    const quotesValue = shown !== undefined && withoutSecrets(shown, secrets, names) !== shown;
    if (expected === problem.expected && !quotesValue) return problem;
    return { ...problem, expected, ...(quotesValue ? { value: HIDDEN_SECRET } : {}) };
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

    /**
     * `scrub`: the value of every secret the stack sets, and the declared key names. Whatever problem is recorded,
     * on whichever key, is scrubbed of those values (scrubbed()): a rule that quotes a secret by mistake (a registry
     * user's problem that names the start of its token) prints it no more than a secret's own check does.
     */
    constructor(
        private readonly secretKeys: ReadonlySet<string>,
        private readonly scrub: Scrub = { secrets: [], names: [] },
    ) {}

    private push(problem: ConfigProblem): void {
        this.list.push(scrubbed(problem, this.scrub));
    }

    add(key: string, value: unknown, expected: string): void {
        if (this.secretKeys.has(key) && value !== undefined) {
            this.push({
                key,
                value: HIDDEN_SECRET,
                expected: `${expected} (the value is not shown: it is a secret)`,
            });
        } else {
            this.push({ key, value, expected });
        }
    }

    /** The whole reason, without the value (an undeclared key's value may be a secret). */
    hidden(key: string, reason: string): void {
        this.push({ key, value: undefined, expected: reason, valueHidden: true });
    }

    /**
     * A secret's value in the wrong form: shown as set, `expected` as its check said it, with every part of the value
     * the check quoted scrubbed out (withoutSecret).
     */
    secretValue(key: string, value: string, expected: string): void {
        this.push({ key, value: HIDDEN_SECRET, expected: withoutSecret(expected, value) });
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
