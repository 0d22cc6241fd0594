/**
 * How values of the Pulumi wire format are held once read: secrets keep their
 * mark, and a preview's unknowns are one symbol. Shared by the mocked run, the
 * provider read-back models and the tests, without a cycle between them.
 */

/** A value that reached the engine marked secret. */
export class SecretValue {
    constructor(readonly value: unknown) {}
}

/** Removes the SecretValue wrappers anywhere in a value: what the provider sees, and what compares. */
export function unwrapSecrets(value: unknown): unknown {
    if (value instanceof SecretValue) return unwrapSecrets(value.value);
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (typeof value === "object" && value !== null)
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    return value;
}

/**
 * Applies `fn` to the plain value and wraps the result again when the input was secret, as Pulumi keeps an output
 * secret.
 */
export function keepSecret(value: unknown, fn: (plain: unknown) => unknown): unknown {
    return value instanceof SecretValue ? new SecretValue(keepSecret(value.value, fn)) : fn(value);
}

/** A value still unknown at this point of a preview. */
export const UNKNOWN = Symbol("unknown");
