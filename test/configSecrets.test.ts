/**
 * A secret's value never reaches a problem message (issue 16, item 1 leftovers; design.md, "Secrets never appear in
 * plain text"). Each secret key is read only where a setting needs it, and a check on its value may say what it got:
 * the reader scrubs the value out of whatever the check says (Source.secret, Problems.secretValue). Settings beside a
 * secret (nearSecret in the schema) are shown by their kind only. Rung 1: the pure reader (parseStackConfig) on every
 * secret key and every such setting the schema declares, with distinctive values, so a message that quotes one is
 * caught.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import {
    CONFIG_KEYS,
    CONFIG_SCHEMA,
    ConfigError,
    ConfigKey,
    parseStackConfig,
    SECRET_CONFIG_KEYS,
    SecretConfigKey,
    StackConfig,
    TARGETS,
} from "../components/config";
import type { FieldSpecs } from "../components/config/fields";
import { NESTED } from "../components/config/nestedFields";
import { SCRUBBED, withoutSecret } from "../components/config/problems";
import { rawConfigOf, StackSettings } from "../scripts/lib/stackFiles";
import { settingsWith } from "./helpers";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILSEL3mlyPpCGaUNBxcpStcsu+5bt0IiOM455EXcf9/y";

/** A valid value of each secret key (a Record over the keys, so a new secret key must be given one). */
const VALID: Record<SecretConfigKey, string> = {
    alertSmtpPassword: "smtp-password-valid",
    alertSlackWebhookUrl: "https://hooks.slack.com/services/T000/B000/valid",
    alertWebhookUrl: "https://hooks.example.net/valid",
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nvalid\n-----END OPENSSH PRIVATE KEY-----\n",
    verificationIngestToken: "ingest-token-valid",
    backupOffsiteAccessKeyId: "DO00VALIDKEYID",
    backupOffsiteSecretAccessKey: "valid-secret-access-key",
    backupOffsiteEncryptionKey: "0123456789abcdef".repeat(4),
    appRegistryPassword: "registry-token-valid",
};

/** The settings under which the reader reads each secret key: one is read only where a setting needs it. */
const NEEDED_BY: Record<SecretConfigKey, Record<string, unknown>> = {
    alertSmtpPassword: {
        "freshtrack:alerts": {
            email: {
                to: ["oncall@acme-foods.eu"],
                from: "alerts@acme-foods.eu",
                smarthost: "smtp.acme-foods.eu:587",
                username: "alerts",
            },
        },
    },
    alertSlackWebhookUrl: { "freshtrack:alerts": { slack: { channel: "#cold-chain" } } },
    alertWebhookUrl: { "freshtrack:alerts": { webhook: true } },
    sshPrivateKey: {
        "freshtrack:target": "ssh",
        "freshtrack:tlsMode": "acme",
        "freshtrack:adminCidrs": ["198.51.100.0/24"],
        "freshtrack:ssh": { host: "vm.acme-foods.eu", hostKey: HOST_KEY },
    },
    verificationIngestToken: { "freshtrack:verification": { e2e: {} } },
    backupOffsiteAccessKeyId: OFFSITE(),
    backupOffsiteSecretAccessKey: OFFSITE(),
    backupOffsiteEncryptionKey: OFFSITE(),
    appRegistryPassword: { "freshtrack:appRegistryUsername": "freshtrack-ci" },
};

function OFFSITE(): Record<string, unknown> {
    return {
        "freshtrack:backup": { offsite: { endpoint: "https://fra1.digitaloceanspaces.com", bucket: "ft-backups" } },
    };
}

/** Every secret key set to its valid value, encrypted, with `name` set to `value` (undefined: unset). */
function parseWith(name: SecretConfigKey, value: string | undefined, encrypted = true): StackConfig | ConfigError {
    const secrets: Record<string, unknown> = Object.fromEntries(
        SECRET_CONFIG_KEYS.map((key) => [`freshtrack:${key}`, key === name ? value : VALID[key]]),
    );
    const keys = SECRET_CONFIG_KEYS.filter((key) => key !== name || encrypted).map((key) => `freshtrack:${key}`);
    // A registry user, so that appRegistryPassword set beside it is not a problem of its own.
    const user = { "freshtrack:appRegistryUsername": "freshtrack-ci" };
    return parsed(settingsWith({ ...user, ...NEEDED_BY[name], ...secrets }, keys));
}

function parsed(settings: StackSettings): StackConfig | ConfigError {
    try {
        return parseStackConfig(rawConfigOf(settings));
    } catch (err) {
        if (err instanceof ConfigError) return err;
        throw err;
    }
}

/** How many secret Outputs the settings hold: a secret key that was read and kept adds one. */
function outputs(value: unknown): number {
    if (pulumi.Output.isInstance(value)) return 1;
    if (typeof value !== "object" || value === null) return 0;
    return Object.values(value).reduce((n: number, v) => n + outputs(v), 0);
}

/**
 * The values a message must not show: the value as written, as JSON escapes it, and every run of `run` of its
 * characters (a check that quotes part of it).
 */
function tracesOf(value: string, run = 12): string[] {
    const forms = [value, JSON.stringify(value).slice(1, -1)];
    const runs = forms.flatMap((f) =>
        Array.from({ length: Math.max(0, f.length - run + 1) }, (_, i) => f.slice(i, i + run)),
    );
    return [...forms, ...runs];
}

function expectNotShown(message: string, value: string, what: string): void {
    const shown = tracesOf(value).find((trace) => message.includes(trace));
    expect(shown, `${what}: the message shows ${JSON.stringify(shown)} of the value:\n${message}`).to.equal(undefined);
}

/** A value found nowhere else: not the key's name, nor any word a message uses. */
function distinctive(name: SecretConfigKey): string {
    return `c0ffee${SECRET_CONFIG_KEYS.indexOf(name)}d34db33f5ecret`;
}

/** Distinctive wrong values for a secret key: wrong in form, and valid-looking but of the wrong type. */
function wrongValues(name: SecretConfigKey): string[] {
    const marker = distinctive(name);
    return [
        `${marker} is not what this key takes\nsecond line`,
        JSON.stringify([marker]),
        JSON.stringify({ value: marker }),
        // The valid value as a JSON string: quoted, it is text of another form.
        JSON.stringify(VALID[name] + marker),
        ` ${VALID[name]}${marker} `,
    ];
}

describe("secret values never reach a problem message (issue 16, item 1 leftovers)", () => {
    describe("every secret key the schema declares", () => {
        for (const name of SECRET_CONFIG_KEYS) {
            it(`${name}: read where a setting needs it, and never shown, encrypted or not, whatever its form`, () => {
                // The context reads the key: set, the settings hold its secret Output; unset, it is missed or absent.
                const valid = parseWith(name, VALID[name]);
                expect(valid, String(valid)).to.not.be.instanceOf(ConfigError);
                const unset = parseWith(name, undefined);
                if (unset instanceof ConfigError)
                    expect(unset.problems.map((p) => p.key)).to.include(`freshtrack:${name}`);
                else expect(outputs(valid)).to.equal(outputs(unset) + 1);

                for (const value of wrongValues(name)) {
                    for (const encrypted of [true, false]) {
                        const result = parseWith(name, value, encrypted);
                        if (result instanceof ConfigError) expectNotShown(result.message, value, `${name} = ${value}`);
                    }
                }
            });
        }

        it("backupOffsiteEncryptionKey's check refuses a wrong key by its form alone", () => {
            const result = parseWith("backupOffsiteEncryptionKey", distinctive("backupOffsiteEncryptionKey"));
            expect(result).to.be.instanceOf(ConfigError);
            expect((result as ConfigError).message).to.contain(
                "- freshtrack:backupOffsiteEncryptionKey = (set; the value is not shown): expected a 256-bit key as 64 hexadecimal digits",
            );
        });
    });

    describe("a check that quotes the value it got", () => {
        /** Runs `body` with `name`'s check replaced by one that says what it got, in several ways. */
        function withEchoingCheck(name: SecretConfigKey, body: () => void): void {
            const spec = CONFIG_SCHEMA[name] as { check?: (v: string) => string | undefined };
            const saved = spec.check;
            spec.check = (v) => `a good value, not '${v}' (${JSON.stringify(v)}, starting ${v.slice(0, 20)})`;
            try {
                body();
            } finally {
                if (saved === undefined) delete spec.check;
                else spec.check = saved;
            }
        }

        for (const name of SECRET_CONFIG_KEYS) {
            it(`${name}: the reader scrubs the value out of what the check says, and keeps the rest`, () => {
                withEchoingCheck(name, () => {
                    const value = `${distinctive(name)}\nwith "quotes"`;
                    const result = parseWith(name, value);
                    expect(result).to.be.instanceOf(ConfigError);
                    const { message, problems } = result as ConfigError;
                    expectNotShown(message, value, name);
                    expect(problems.map((p) => p.key)).to.deep.equal([`freshtrack:${name}`]);
                    expect(message).to.contain(
                        `freshtrack:${name} = (set; the value is not shown): expected a good value, not '${SCRUBBED}'`,
                    );
                });
            });
        }
    });

    describe("withoutSecret: the scrub itself", () => {
        const secret = "c0ffee-5ecret-d34db33f";

        it("scrubs the value whole, JSON-escaped, and any run of six of its characters", () => {
            const said = `expected hex, got '${secret}', "${JSON.stringify(secret + "\n").slice(1, -1)}", ${secret.slice(3, 10)}`;
            const scrubbed = withoutSecret(said, secret + "\n");
            expect(scrubbed).to.equal(`expected hex, got '${SCRUBBED}', "${SCRUBBED}", ${SCRUBBED}`);
        });

        it("leaves a message that quotes nothing of the value as it is, and a one- or two-character value alone", () => {
            const expected = "a 256-bit key as 64 hexadecimal digits, such as the output of openssl rand -hex 32";
            expect(withoutSecret(expected, secret)).to.equal(expected);
            expect(withoutSecret(expected, "x")).to.equal(expected);
            expect(withoutSecret("expected abc, got 'abc'", "abc")).to.equal(`expected ${SCRUBBED}, got '${SCRUBBED}'`);
        });
    });

    describe("every setting the schema marks as beside a secret (nearSecret), and every object key", () => {
        /** The paths of the settings marked nearSecret, below their key, nested settings included. */
        function nearSecretSettings(): Array<[ConfigKey, string[]]> {
            const found: Array<[ConfigKey, string[]]> = [];
            const walk = (key: ConfigKey, fields: FieldSpecs, path: string[]) => {
                for (const [name, spec] of Object.entries(fields)) {
                    if (spec.nearSecret) found.push([key, [...path, name]]);
                    if (spec.kind === "object") walk(key, spec.fields, [...path, name]);
                }
            };
            for (const key of CONFIG_KEYS) {
                const spec = CONFIG_SCHEMA[key];
                if (!("type" in spec) || spec.type !== "object") continue;
                const nested: FieldSpecs = key in NESTED ? NESTED[key as keyof typeof NESTED] : {};
                walk(key, { ...spec.fields, ...nested }, []);
            }
            return found;
        }

        const nest = (path: string[], value: unknown): unknown =>
            path.reduceRight<unknown>((inner, name) => ({ [name]: inner }), value);

        it("finds them all: the endpoint and channel beside their keys, the objects that carry them", () => {
            expect(nearSecretSettings().map(([key, path]) => [key, ...path].join("."))).to.have.members([
                "backup.offsite",
                "backup.offsite.endpoint",
                "alerts.slack",
                "alerts.slack.channel",
                "alerts.webhook",
            ]);
        });

        for (const [key, path] of nearSecretSettings()) {
            const setting = [key, ...path].join(".");
            it(`${setting}: a pasted secret is refused without being shown, as text, in a list or in an object`, () => {
                const marker = `https://k3y:c0ffee${setting.length}d34db33f5ecret@hooks.example.net/T0`;
                for (const value of [marker, [marker], { url: marker }]) {
                    const settings = settingsWith({ [`freshtrack:${key}`]: nest(path, value) });
                    let error: unknown;
                    try {
                        parseStackConfig(rawConfigOf(settings));
                    } catch (err) {
                        error = err;
                    }
                    expect(error, setting).to.be.instanceOf(ConfigError);
                    const problems = (error as ConfigError).problems.map((p) => p.key);
                    // Reported on the setting itself, or (an object where one is expected) on what it holds.
                    expect(
                        problems.some((k) => k.startsWith(`freshtrack:${setting}`)),
                        setting,
                    ).to.equal(true);
                    expectNotShown((error as ConfigError).message, marker, setting);
                }
            });
        }

        for (const key of CONFIG_KEYS.filter((k) => {
            const spec = CONFIG_SCHEMA[k];
            return "type" in spec && spec.type === "object";
        })) {
            it(`${key}: text pasted in place of its settings is refused without being shown`, () => {
                const marker = `https://hooks.example.net/c0ffee${key.length}d34db33f5ecret`;
                // The target's own settings are read on that target only.
                const target = (TARGETS as readonly string[]).includes(key)
                    ? {
                          "freshtrack:target": key,
                          "freshtrack:tlsMode": "acme",
                          "freshtrack:adminCidrs": ["198.51.100.0/24"],
                      }
                    : {};
                let error: unknown;
                try {
                    parseStackConfig(rawConfigOf(settingsWith({ ...target, [`freshtrack:${key}`]: marker })));
                } catch (err) {
                    error = err;
                }
                expect(error, key).to.be.instanceOf(ConfigError);
                expectNotShown((error as ConfigError).message, marker, key);
            });
        }
    });
});

/**
 * Attack #17: a rule on a non-secret key quoted a secret (appRegistryUsername's problem named the start of
 * appRegistryPassword, `(ghp_SECRET...)`), and no test set a secret without the settings around it. The reader scrubs
 * every problem of a parse, on whichever key, of every secret the stack sets (Problems, scrubbed()); these parse with
 * every secret distinctive and the settings around each one given, unset or empty, in every combination. Rung 1.
 */
describe("no problem on any key quotes a secret (attack #17)", () => {
    /** A run of six characters of a secret, as written or JSON-escaped, that `message` shows; undefined if none. */
    const leakIn = (message: string, secrets: readonly string[]) =>
        secrets.flatMap((secret) => tracesOf(secret, 6)).find((trace) => message.includes(trace));

    /** Each secret key's distinctive value, of the form its check takes (64 hex digits for the encryption key). */
    const DISTINCT = Object.fromEntries(
        SECRET_CONFIG_KEYS.map((name, i) => [
            name,
            name === "backupOffsiteEncryptionKey" ? `c0ffee${i}d34db33f`.repeat(5).slice(0, 64) : distinctive(name),
        ]),
    ) as Record<SecretConfigKey, string>;

    /** The settings each secret is read beside: its context's keys, and the secrets read in the same context. */
    function around(name: SecretConfigKey): string[] {
        const siblings = SECRET_CONFIG_KEYS.filter(
            (other) => other !== name && JSON.stringify(NEEDED_BY[other]) === JSON.stringify(NEEDED_BY[name]),
        );
        return [...Object.keys(NEEDED_BY[name]), ...siblings.map((s) => `freshtrack:${s}`)];
    }

    /** Every way of leaving each of `keys` as given, unset or empty, over the settings `given`. */
    function combinations(keys: readonly string[], given: Record<string, unknown>): Array<Record<string, unknown>> {
        return keys.reduce<Array<Record<string, unknown>>>(
            (all, key) => {
                const value = given[key];
                const empty = Array.isArray(value) ? [] : typeof value === "object" && value !== null ? {} : "";
                return all.flatMap((c) => [c, { ...c, [key]: undefined }, { ...c, [key]: empty }]);
            },
            [given],
        );
    }

    it("the leak check finds the attack's message: the start of the token behind the registry user's problem", () => {
        const token = DISTINCT.appRegistryPassword;
        const attacked = `- freshtrack:appRegistryUsername = "": expected the registry user that goes with freshtrack:appRegistryPassword (${token.slice(0, 10)}...)`;
        expect(leakIn(attacked, [token])).to.equal(token.slice(0, 6));
        expect(leakIn(withoutSecret(attacked, token), [token])).to.equal(undefined);
    });

    for (const name of SECRET_CONFIG_KEYS) {
        it(`${name}: every combination of the settings around it, given, unset or empty, quotes no secret`, () => {
            const secrets = Object.fromEntries(SECRET_CONFIG_KEYS.map((k) => [`freshtrack:${k}`, DISTINCT[k]]));
            const given = { ...secrets, ...NEEDED_BY[name] };
            let refused = 0;
            for (const config of combinations(around(name), given)) {
                const result = parsed(settingsWith(config, Object.keys(secrets)));
                if (!(result instanceof ConfigError)) continue;
                refused++;
                const leak = leakIn(result.message, Object.values(DISTINCT));
                expect(leak, `${JSON.stringify(config)} shows ${leak}:\n${result.message}`).to.equal(undefined);
            }
            // Each context has a combination the reader refuses (the secret's user or settings missing).
            expect(refused, name).to.be.greaterThan(0);
        });
    }

    it("a rule on a non-secret key that quotes a secret, or a value that is one, prints neither", () => {
        const spec = CONFIG_SCHEMA.appRegistryUsername as { check?: (v: string) => string | undefined };
        const token = DISTINCT.appRegistryPassword;
        const providerToken = "dop_v1_c0ffee99d34db33f";
        // As the attack's rule did: it names the start of a secret it was never given, here by closure.
        spec.check = () => `a user that goes with the token (${token.slice(0, 10)}..., ${providerToken.slice(0, 12)})`;
        try {
            const settings = settingsWith(
                {
                    "freshtrack:appRegistryUsername": "freshtrack-ci",
                    "freshtrack:appRegistryPassword": token,
                    "digitalocean:token": providerToken,
                    // A secret pasted into a non-secret key: its value is not shown either.
                    "freshtrack:operatorSshPublicKey": DISTINCT.alertWebhookUrl,
                    "freshtrack:alertWebhookUrl": DISTINCT.alertWebhookUrl,
                },
                ["freshtrack:appRegistryPassword", "digitalocean:token", "freshtrack:alertWebhookUrl"],
            );
            const err = parsed(settings) as ConfigError;
            expect(err).to.be.instanceOf(ConfigError);
            expect(leakIn(err.message, [token, providerToken, DISTINCT.alertWebhookUrl]), err.message).to.equal(
                undefined,
            );
            expect(err.message).to.contain(
                `- freshtrack:appRegistryUsername = "freshtrack-ci": expected a user that goes with the token (${SCRUBBED}..., ${SCRUBBED})`,
            );
            expect(err.message).to.contain(
                "- freshtrack:operatorSshPublicKey = (set; the value is not shown): expected one OpenSSH public key line",
            );
        } finally {
            delete spec.check;
        }
    });
});
