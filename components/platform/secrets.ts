import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { RotatableSecret } from "../config";

/** Credentials the stack generates for itself; none is ever typed by a person. */
export const GENERATED_SECRETS = {
    /**
     * The self-hosted PostgreSQL's `freshtrack` role: the bootstrap superuser of a stack created before the roles
     * were split (DATABASE_ROLES.legacySuperuser), which keeps this password. Unused by a stack created since.
     */
    postgresPassword: { length: 32 },
    /** The superuser `postgres` of a self-hosted PostgreSQL created from this version on (POSTGRES_PASSWORD_FILE). */
    postgresSuperuserPassword: { length: 32 },
    /**
     * The self-hosted roles the database-grant job keeps (DATABASE_ROLES): the application, backups, the exporters, and
     * the write-ahead log receiver and base backups (replication).
     */
    databaseAppPassword: { length: 32 },
    databaseBackupPassword: { length: 32 },
    databaseMonitorPassword: { length: 32 },
    databaseReplicationPassword: { length: 32 },
    redisPassword: { length: 32 },
    minioRootPassword: { length: 40 },
    grafanaAdminPassword: { length: 24 },
    appJwtSecret: { length: 64 },
} as const;

export type SecretName = keyof typeof GENERATED_SECRETS;

export interface GeneratedSecretsArgs {
    /**
     * Generation of each rotatable credential (`freshtrack:secretGenerations`).
     * @default 1 for every credential
     */
    readonly generations?: Readonly<Partial<Record<RotatableSecret, number>>>;
}

/**
 * Random credentials kept in Pulumi state as secrets. `RandomPassword.result`
 * is secret by construction, so every value derived from it stays encrypted in
 * state and masked in outputs. Passwords are alphanumeric so they survive
 * being embedded in URLs and config files without escaping.
 *
 * Rotation: a generation above 1 becomes a `keepers` entry, and any change of
 * `keepers` makes the random provider create a new value. Generation 1 sets no
 * keepers, so stacks created before rotation existed keep their values.
 */
export class GeneratedSecrets extends pulumi.ComponentResource {
    readonly values: Readonly<Record<SecretName, pulumi.Output<string>>>;

    constructor(name: string, args: GeneratedSecretsArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:platform:GeneratedSecrets", name, {}, opts);
        const values = {} as Record<SecretName, pulumi.Output<string>>;
        for (const [key, spec] of Object.entries(GENERATED_SECRETS) as [SecretName, { length: number }][]) {
            const generation = args.generations?.[key as RotatableSecret] ?? 1;
            const password = new random.RandomPassword(
                `${name}-${key}`,
                {
                    length: spec.length,
                    special: false,
                    ...(generation > 1 ? { keepers: { generation: String(generation) } } : {}),
                },
                { parent: this },
            );
            values[key] = pulumi.secret(password.result);
        }
        this.values = values;
        this.registerOutputs({});
    }
}
