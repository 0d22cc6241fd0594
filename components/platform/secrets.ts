import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** Credentials the stack generates for itself; none is ever typed by a person. */
export const GENERATED_SECRETS = {
    postgresPassword: { length: 32 },
    redisPassword: { length: 32 },
    minioRootPassword: { length: 40 },
    grafanaAdminPassword: { length: 24 },
    appJwtSecret: { length: 64 },
} as const;

export type SecretName = keyof typeof GENERATED_SECRETS;

/**
 * Random credentials kept in Pulumi state as secrets. `RandomPassword.result`
 * is secret by construction, so every value derived from it stays encrypted in
 * state and masked in outputs. Passwords are alphanumeric so they survive
 * being embedded in URLs and config files without escaping.
 */
export class GeneratedSecrets extends pulumi.ComponentResource {
    readonly values: Readonly<Record<SecretName, pulumi.Output<string>>>;

    constructor(name: string, args: Record<string, never> = {}, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:platform:GeneratedSecrets", name, args, opts);
        const values = {} as Record<SecretName, pulumi.Output<string>>;
        for (const [key, spec] of Object.entries(GENERATED_SECRETS) as [SecretName, { length: number }][]) {
            const password = new random.RandomPassword(`${name}-${key}`, { length: spec.length, special: false }, { parent: this });
            values[key] = pulumi.secret(password.result);
        }
        this.values = values;
        this.registerOutputs({});
    }
}
