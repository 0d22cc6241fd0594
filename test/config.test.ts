import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import {
    CONFIG_KEYS,
    ConfigError,
    DEFAULT_LIMITS,
    loadStackConfig,
    placeholderValues,
    SECRET_CONFIG_KEYS,
    StackConfig,
} from "../components/config";
import { runUnderMocks } from "../scripts/lib/mockRun";
import { loadStackSettings, readProjectFile, shippedStacks } from "../scripts/lib/stackFiles";
import { configFor, MINIMAL_CONFIG, settingsWith } from "./helpers";

async function problemsFor(config: Record<string, unknown>, secretKeys: string[] = []): Promise<ConfigError> {
    try {
        await configFor(settingsWith(config, secretKeys));
    } catch (err) {
        if (err instanceof ConfigError) return err;
        throw err;
    }
    throw new Error("expected a ConfigError, but the config was accepted");
}

function keysOf(err: ConfigError): string[] {
    return err.problems.map((p) => p.key);
}

describe("config: components/config", () => {
    describe("shipped stacks", () => {
        for (const stack of shippedStacks()) {
            it(`accepts Pulumi.${stack}.yaml as it ships`, async () => {
                const cfg = await configFor(loadStackSettings(stack));
                expect(cfg.stack).to.equal(stack);
            });
        }

        it("ships dev, staging and prod", () => {
            expect(shippedStacks()).to.include.members(["dev", "staging", "prod"]);
        });

        it("prod ships with demo data off and Let's Encrypt production certificates", async () => {
            const cfg = await configFor(loadStackSettings("prod"));
            expect(cfg.demoData).to.equal(false);
            expect(cfg.tlsMode).to.equal("acme");
        });
    });

    describe("Pulumi.yaml declarations", () => {
        it("declares every key the program reads, and no other", () => {
            expect(Object.keys(readProjectFile().config).sort()).to.deep.equal([...CONFIG_KEYS].sort());
        });

        it("gives every declared key a description, and a type unless it is secret (see Pulumi.yaml: the CLI would refuse its empty default)", () => {
            for (const [key, decl] of Object.entries(readProjectFile().config)) {
                if (decl.secret) expect(decl.type, key).to.equal(undefined);
                else expect(decl.type, key).to.be.a("string");
                expect(decl.description, key).to.be.a("string").with.length.greaterThan(20);
            }
        });

        it("declares the same defaults the program falls back to", async () => {
            // With only the required keys, the program uses its own fallbacks; with Pulumi.yaml's
            // defaults added (as the CLI does), the result must be identical.
            const withoutDefaults = await configFor(settingsWith({}));
            const defaults = Object.fromEntries(
                Object.entries(readProjectFile().config)
                    .filter(([, d]) => d.default !== undefined)
                    .map(([k, d]) => [`freshtrack:${k}`, d.default]),
            );
            const withDefaults = await configFor(settingsWith(defaults));
            expect(withDefaults).to.deep.equal(withoutDefaults);
        });
    });

    describe("valid values", () => {
        it("returns a deeply frozen StackConfig", async () => {
            const cfg: StackConfig = await configFor(settingsWith({}));
            expect(Object.isFrozen(cfg)).to.equal(true);
            expect(Object.isFrozen(cfg.resources.postgres)).to.equal(true);
            expect(Object.isFrozen(cfg.app.images.backend)).to.equal(true);
        });

        it("tags every FreshTrack image with appVersion unless the image names its own tag", async () => {
            const cfg = await configFor(
                settingsWith({
                    "freshtrack:appImages": {
                        registry: "registry.example.com:5000/ft",
                        worker: "freshtrack-worker:1.4.3-hotfix",
                    },
                }),
            );
            expect(cfg.app.images.backend.ref).to.equal("registry.example.com:5000/ft/freshtrack-backend:1.4.2");
            expect(cfg.app.images.worker.ref).to.equal("registry.example.com:5000/ft/freshtrack-worker:1.4.3-hotfix");
        });

        it("applies per-service memory and CPU overrides and keeps the defaults elsewhere", async () => {
            const cfg = await configFor(settingsWith({ "freshtrack:resources": { postgres: { memoryMb: 2048 } } }));
            expect(cfg.resources.postgres).to.deep.equal({ memoryMb: 2048, cpus: DEFAULT_LIMITS.postgres.cpus });
            expect(cfg.resources.redis).to.deep.equal(DEFAULT_LIMITS.redis);
        });

        it("keeps operator-supplied alert credentials secret", async () => {
            const cfg = await configFor(
                settingsWith(
                    {
                        "freshtrack:alerts": { slack: { channel: "#cold-chain" } },
                        "freshtrack:alertSlackWebhookUrl": "https://hooks.slack.example/T/B/x",
                    },
                    ["freshtrack:alertSlackWebhookUrl"],
                ),
            );
            expect(cfg.alerts.slack?.channel).to.equal("#cold-chain");
            expect(pulumi.Output.isInstance(cfg.alerts.slack?.webhookUrl)).to.equal(true);
            expect(await pulumi.isSecret(cfg.alerts.slack!.webhookUrl)).to.equal(true);
        });

        it("accepts SSH from anywhere only with the explicit override", async () => {
            const cfg = await configFor(
                settingsWith({
                    "freshtrack:target": "droplet",
                    "freshtrack:tlsMode": "acme",
                    "freshtrack:adminCidrs": ["0.0.0.0/0"],
                    "freshtrack:allowSshFromAnywhere": true,
                    "freshtrack:droplet": { region: "fra1" },
                }),
            );
            expect(cfg.adminCidrs).to.deep.equal(["0.0.0.0/0"]);
        });
    });

    describe("invalid values: each names the key, the value and what was expected", () => {
        const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
            [
                "a domain that is not a DNS name",
                { "freshtrack:domain": "not a domain" },
                "freshtrack:domain",
                /"not a domain": expected a lowercase DNS name/,
            ],
            [
                "an admin email without a domain",
                { "freshtrack:adminEmail": "ops" },
                "freshtrack:adminEmail",
                /"ops": expected an email address/,
            ],
            [
                "a CIDR with a /33 prefix",
                {
                    "freshtrack:target": "droplet",
                    "freshtrack:tlsMode": "acme",
                    "freshtrack:adminCidrs": ["10.0.0.0/33"],
                },
                "freshtrack:adminCidrs[0]",
                /"10.0.0.0\/33": expected a CIDR.*at most 32/,
            ],
            [
                "an unknown target",
                { "freshtrack:target": "kubernetes" },
                "freshtrack:target",
                /"kubernetes": expected one of local, droplet, ssh/,
            ],
            [
                "an unknown TLS mode",
                { "freshtrack:tlsMode": "selfsigned" },
                "freshtrack:tlsMode",
                /expected one of acme, acme-staging, internal/,
            ],
            [
                "appVersion latest",
                { "freshtrack:appVersion": "latest" },
                "freshtrack:appVersion",
                /"latest": expected a pinned version tag/,
            ],
            [
                "an image override tagged latest",
                { "freshtrack:appImages": { backend: "freshtrack-backend:latest" } },
                "freshtrack:appImages.backend",
                /:latest": expected a pinned version tag/,
            ],
            [
                "a memory limit above the ceiling",
                { "freshtrack:resources": { redis: { memoryMb: 100000 } } },
                "freshtrack:resources.redis.memoryMb",
                /100000: expected an integer from 16 to 65536/,
            ],
            [
                "a limit for a service that does not exist",
                { "freshtrack:resources": { postgress: { memoryMb: 512 } } },
                "freshtrack:resources.postgress",
                /^ {2}- freshtrack:resources.postgress: set, but not a setting of freshtrack:resources; did you mean postgres\?$/m,
            ],
            [
                "a six-field cron schedule",
                { "freshtrack:backup": { schedule: "0 0 3 * * *" } },
                "freshtrack:backup.schedule",
                /five-field cron.*got 6/,
            ],
            [
                "a retention of zero days",
                { "freshtrack:backup": { retentionDays: 0 } },
                "freshtrack:backup.retentionDays",
                /expected an integer from 1 to 3650/,
            ],
            [
                "demoData as a string",
                { "freshtrack:demoData": "yes" },
                "freshtrack:demoData",
                /"yes": expected true or false/,
            ],
            [
                "a Slack destination without its webhook secret",
                { "freshtrack:alerts": { slack: { channel: "#alerts" } } },
                "freshtrack:alertSlackWebhookUrl",
                /\(not set\): expected a secret/,
            ],
            [
                "SSH open to the world without the override",
                { "freshtrack:target": "droplet", "freshtrack:tlsMode": "acme", "freshtrack:adminCidrs": ["::/0"] },
                "freshtrack:adminCidrs",
                /SSH open to the whole internet is refused/,
            ],
            [
                "a droplet without admin CIDRs",
                { "freshtrack:target": "droplet", "freshtrack:tlsMode": "acme" },
                "freshtrack:adminCidrs",
                /at least one CIDR/,
            ],
            [
                "ACME on the local target",
                { "freshtrack:tlsMode": "acme" },
                "freshtrack:tlsMode",
                /internal on the local target/,
            ],
            [
                "ACME for a .localhost domain",
                {
                    "freshtrack:target": "droplet",
                    "freshtrack:adminCidrs": ["198.51.100.0/24"],
                    "freshtrack:tlsMode": "acme",
                    "freshtrack:domain": "ft.localhost",
                },
                "freshtrack:tlsMode",
                /cannot issue a certificate for 'ft.localhost'/,
            ],
            [
                "a rollback export table that is not a plain SQL name",
                { "freshtrack:rollback": { exportTables: [{ table: "readings; drop table x", column: "at" }] } },
                "freshtrack:rollback.exportTables[0]",
                /plain lowercase SQL names/,
            ],
            [
                "standby nodes on the 1 GB database plan",
                {
                    "freshtrack:target": "droplet",
                    "freshtrack:tlsMode": "acme",
                    "freshtrack:adminCidrs": ["198.51.100.0/24"],
                    "freshtrack:database": { mode: "managed", nodeCount: 2 },
                },
                "freshtrack:database.nodeCount",
                /2: expected 1 with size db-s-1vcpu-1gb; standby nodes need db-s-1vcpu-2gb or larger/,
            ],
            [
                "rotating the Postgres password",
                { "freshtrack:secretGenerations": { postgresPassword: 2 } },
                "freshtrack:secretGenerations.postgresPassword",
                /freshtrack:secretGenerations.postgresPassword: set, but not a setting of freshtrack:secretGenerations; its settings are grafanaAdminPassword, redisPassword, minioRootPassword, appJwtSecret$/m,
            ],
            [
                "a misspelt key",
                { "freshtrack:tlsmode": "internal" },
                "freshtrack:tlsmode",
                /^ {2}- freshtrack:tlsmode: set, but not declared in Pulumi.yaml; did you mean freshtrack:tlsMode\?$/m,
            ],
            [
                "a key far from every declared one",
                { "freshtrack:colour": "blue" },
                "freshtrack:colour",
                /^ {2}- freshtrack:colour: set, but not declared in Pulumi.yaml$/m,
            ],
            [
                "a key under a misspelt namespace",
                { "frshtrack:demoData": true },
                "frshtrack:demoData",
                /^ {2}- frshtrack:demoData: set, but not declared in Pulumi.yaml; did you mean freshtrack:demoData\?$/m,
            ],
            [
                "a missing required key",
                { "freshtrack:domain": undefined },
                "freshtrack:domain",
                /\(not set\): expected a value/,
            ],
        ];
        for (const [what, config, key, message] of cases) {
            it(`refuses ${what}`, async () => {
                const err = await problemsFor(config);
                expect(keysOf(err)).to.include(key);
                expect(err.message).to.match(message);
            });
        }

        it("never prints the value of a setting it does not know, at any depth: it may be a pasted secret", async () => {
            const err = await problemsFor({
                "freshtrack:alerts": {
                    slack: { channel: "#ops", webhookUrl: "https://hooks.slack.com/services/T000/B000/SECRETTOKEN" },
                },
            });
            expect(err.message).to.not.contain("SECRETTOKEN");
            expect(err.message).to.match(
                /^ {2}- freshtrack:alerts.slack.webhookUrl: set, but not a setting of freshtrack:alerts.slack; its settings are channel$/m,
            );
        });

        it("reports ACME on the local target with a local-only domain once, with both reasons", async () => {
            const err = await problemsFor({ "freshtrack:tlsMode": "acme", "freshtrack:domain": "ft.localhost" });
            expect(err.problems.map((p) => [p.key, p.expected])).to.deep.equal([
                [
                    "freshtrack:tlsMode",
                    "internal on the local target: Let's Encrypt cannot reach a laptop's Docker daemon, nor issue a certificate for 'ft.localhost'",
                ],
            ]);
        });

        it("reports every problem at once, one line each", async () => {
            const err = await problemsFor({
                "freshtrack:domain": "not a domain",
                "freshtrack:target": "droplet",
                "freshtrack:tlsMode": "acme",
                "freshtrack:adminCidrs": ["10.0.0.0/33"],
                "freshtrack:appVersion": "latest",
                "freshtrack:droplet": { region: "fra1" },
            });
            // appVersion latest is reported once, not again for each image tagged with it.
            expect(keysOf(err)).to.have.members([
                "freshtrack:domain",
                "freshtrack:adminCidrs[0]",
                "freshtrack:appVersion",
            ]);
            expect(err.message.split("\n").filter((l) => l.startsWith("  - "))).to.have.length(err.problems.length);
            expect(err.message).to.match(
                /^Stack 'test' has 3 configuration problems \(found before any resource was touched\)/,
            );
        });

        it("is a RunError, so Pulumi prints the message without a stack trace", async () => {
            const err = await problemsFor({ "freshtrack:domain": "not a domain" });
            expect(pulumi.RunError.isInstance(err)).to.equal(true);
        });

        it("rejects a stack value whose type differs from the Pulumi.yaml declaration", () => {
            expect(() => loadStackSettingsWith("adminCidrs: 10.0.0.0/8")).to.throw(
                ConfigError,
                /freshtrack:adminCidrs = "10.0.0.0\/8": expected a value of type array/,
            );
        });

        it("names the line and column of a YAML mistake in the stack file, in one line", () => {
            expect(() => stackFileWith("config:\n  freshtrack:domain: x.example.com\n - [a\n")).to.throw(
                ConfigError,
                /^Stack 'bad' has 1 configuration problem .*:\n {2}- Pulumi.bad.yaml:3:1: not valid YAML: [^\n]+ \(line 3: - \[a\)$/,
            );
        });

        it("names the last line written, and shows it, when the parser gives up past the end (an unclosed quote)", () => {
            expect(() =>
                stackFileWith('config:\n  freshtrack:appVersion: "1.4.2"\n  freshtrack:domain: "x\n'),
            ).to.throw(
                ConfigError,
                /- Pulumi.bad.yaml:3: not valid YAML: Missing closing "quote \(line 3: freshtrack:domain: "x\)$/,
            );
        });

        it("refuses a stack file attribute Pulumi does not know, with the one it probably meant", () => {
            expect(() => stackFileWith("confg:\n  freshtrack:domain: x.example.com\n")).to.throw(
                ConfigError,
                /- Pulumi.bad.yaml: confg: not a stack file attribute; did you mean config:\?$/,
            );
            expect(() =>
                stackFileWith(
                    "secretsprovider: passphrase\nencryptionsalt: v1:abc\nconfig:\n  freshtrack:domain: x.example.com\n",
                ),
            ).to.not.throw();
        });

        it("leaves other namespaces to their providers, but not one a typo away from freshtrack", async () => {
            const err = await problemsFor({ "digitalocean:token": "x", "freshtrak:domain": "x.example.com" });
            expect(keysOf(err)).to.deep.equal(["freshtrak:domain"]);
        });
    });

    it("needs only domain, adminEmail and appVersion", () => {
        expect(Object.keys(MINIMAL_CONFIG).sort()).to.deep.equal(
            Object.entries(readProjectFile().config)
                .filter(([, d]) => d.default === undefined)
                .map(([k]) => `freshtrack:${k}`)
                .sort(),
        );
    });
});

/** Writes a throwaway project (the real Pulumi.yaml plus a stack file with this text) and loads it. */
function stackFileWith(text: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-config-"));
    fs.copyFileSync(path.join(__dirname, "..", "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), text);
    return loadStackSettings("bad", dir);
}

/** Writes a throwaway project (the real Pulumi.yaml plus one stack file) and loads it. */
function loadStackSettingsWith(line: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-config-"));
    fs.copyFileSync(path.join(__dirname, "..", "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.writeFileSync(
        path.join(dir, "Pulumi.bad.yaml"),
        `config:\n  freshtrack:domain: x.example.com\n  freshtrack:${line}\n`,
    );
    return loadStackSettings("bad", dir);
}

describe("documentation examples left in a droplet or VM stack (placeholderValues)", () => {
    it("lists every example value the shipped prod file still holds, one line each with its key", async () => {
        expect(placeholderValues(await configFor(loadStackSettings("prod")))).to.deep.equal([
            "freshtrack:domain = freshtrack.example.com",
            "freshtrack:adminEmail = ops@freshtrack.example.com",
            "freshtrack:adminCidrs[0] = 203.0.113.0/28",
            "freshtrack:adminCidrs[1] = 2001:db8:40::/48",
            "freshtrack:droplet.dnsZone = example.com",
            "freshtrack:alerts.email.to[0] = oncall@freshtrack.example.com",
            "freshtrack:alerts.email.from = alerts@freshtrack.example.com",
            "freshtrack:alerts.email.smarthost = smtp.example.com:587",
        ]);
    });

    it("finds none in a stack with real-looking values, nor on the local target", async () => {
        const own = settingsWith({
            "freshtrack:target": "droplet",
            "freshtrack:tlsMode": "acme",
            "freshtrack:domain": "cold.acme-foods.eu",
            "freshtrack:adminEmail": "ops@acme-foods.eu",
            "freshtrack:adminCidrs": ["81.2.69.0/28", "2a00:1450:4001::/48"],
            "freshtrack:droplet": { region: "fra1", dnsZone: "acme-foods.eu" },
            "freshtrack:alerts": {
                email: {
                    to: ["oncall@acme-foods.eu"],
                    from: "alerts@acme-foods.eu",
                    smarthost: "smtp.acme-foods.eu:587",
                },
            },
        });
        expect(placeholderValues(await configFor(own))).to.deep.equal([]);
        expect(placeholderValues(await configFor(loadStackSettings("dev")))).to.deep.equal([]);
    });
});

const DROPLET = {
    "freshtrack:target": "droplet",
    "freshtrack:tlsMode": "acme",
    "freshtrack:droplet": { region: "fra1" },
};

/**
 * Issue 15, finding 8 (rung 1, the program under mocks): world-open SSH spelt differently, and an
 * empty adminCidrs on a droplet (the default [] Pulumi.yaml declares always arrives), passed.
 */
describe("adminCidrs judged by the addresses they cover (issue 15, finding 8)", () => {
    const world =
        /freshtrack:adminCidrs = .*: expected specific admin networks; SSH open to the whole internet is refused unless freshtrack:allowSshFromAnywhere is true/;
    const cases: Array<[string, unknown[], RegExp[]]> = [
        [
            "0.0.0.0/1 with 128.0.0.0/1",
            ["0.0.0.0/1", "128.0.0.0/1"],
            [world, /\(together these cover every IPv4 address\)/],
        ],
        [
            "1.2.3.4/0",
            ["1.2.3.4/0"],
            [
                /freshtrack:adminCidrs\[0\] = "1\.2\.3\.4\/0": expected a network address with no host bits set: a \/0 starts at 0\.0\.0\.0\/0; for the single address write 1\.2\.3\.4\/32/,
                world,
            ],
        ],
        ["0::/0", ["0::/0"], [world, /every IPv6 address/]],
        [
            "::ffff:0.0.0.0/96",
            ["::ffff:0.0.0.0/96"],
            [
                /freshtrack:adminCidrs\[0\] = "::ffff:0\.0\.0\.0\/96": expected an IPv4 network in IPv4 form: this IPv4-mapped IPv6 network is 0\.0\.0\.0\/0/,
                world,
            ],
        ],
        ["::/80, which holds every IPv4-mapped address", ["::/80"], [world, /every IPv4 address/]],
        [
            "more than a /8 of IPv4 in total",
            ["10.0.0.0/8", "172.16.0.0/12"],
            [/expected admin networks covering at most a \/8 of IPv4 and a \/32 of IPv6 in total/],
        ],
    ];
    for (const [what, cidrs, messages] of cases) {
        it(`refuses ${what} on a droplet`, async () => {
            const err = await problemsFor({ ...DROPLET, "freshtrack:adminCidrs": cidrs });
            for (const message of messages) expect(err.message).to.match(message);
        });
    }

    it("refuses an empty list on the droplet and ssh targets, as the CLI passes it from Pulumi.yaml's default", async () => {
        expect(readProjectFile().config.adminCidrs?.default).to.deep.equal([]);
        const empty =
            /^ {2}- freshtrack:adminCidrs = \[\]: expected at least one CIDR allowed to reach SSH on the (droplet|ssh) target, such as your address as x\.x\.x\.x\/32$/m;
        expect((await problemsFor({ ...DROPLET, "freshtrack:adminCidrs": [] })).message).to.match(empty);
        const ssh = {
            "freshtrack:target": "ssh",
            "freshtrack:tlsMode": "acme",
            "freshtrack:ssh": { host: "vm.freshtrack.example.net" },
            "freshtrack:sshPrivateKey": "k",
        };
        expect(
            (await problemsFor({ ...ssh, "freshtrack:adminCidrs": [] }, ["freshtrack:sshPrivateKey"])).message,
        ).to.match(empty);
        await configFor(settingsWith({ "freshtrack:adminCidrs": [] }));
    });

    it("still accepts the shipped networks, and the whole internet only with the explicit override", async () => {
        const cfg = await configFor(
            settingsWith({
                ...DROPLET,
                "freshtrack:adminCidrs": ["0.0.0.0/1", "128.0.0.0/1"],
                "freshtrack:allowSshFromAnywhere": true,
            }),
        );
        expect(cfg.adminCidrs).to.deep.equal(["0.0.0.0/1", "128.0.0.0/1"]);
        expect((await configFor(loadStackSettings("prod"))).adminCidrs).to.deep.equal([
            "203.0.113.0/28",
            "2001:db8:40::/48",
        ]);
    });
});

/**
 * Issue 15, finding 9 (rung 1): no key was declared secret, a plain-text value for one was
 * accepted, and alerts.webhook echoed a pasted URL. Every value used below is distinctive,
 * so a message that shows it is caught.
 */
describe("secrets in plain text (issue 15, finding 9)", () => {
    for (const name of SECRET_CONFIG_KEYS) {
        it(`refuses a plain-text ${name}, naming the key and never printing the value`, async () => {
            const value = `PLAINTEXT-${name}-c0ffee`;
            const err = await problemsFor({ [`freshtrack:${name}`]: value });
            expect(keysOf(err)).to.include(`freshtrack:${name}`);
            // The command names the stack (the newcomer pass), and a key file goes in on stdin.
            const how = name === "sshPrivateKey" ? `${name} < <key file>` : `${name} <value>`;
            expect(err.message).to.contain(
                `- freshtrack:${name}: set in plain text, but it is a secret (secret: true in Pulumi.yaml); store it encrypted with pulumi config set --secret --stack test ${how}`,
            );
            expect(err.message).to.not.contain("c0ffee");
        });
    }

    it("accepts every one of them encrypted", async () => {
        const all = Object.fromEntries(SECRET_CONFIG_KEYS.map((name) => [`freshtrack:${name}`, `encrypted-${name}`]));
        await configFor(
            settingsWith(
                { ...all, "freshtrack:appRegistryUsername": "freshtrack-ci" },
                SECRET_CONFIG_KEYS.map((name) => `freshtrack:${name}`),
            ),
        );
    });

    it("declares each of them secret: true in Pulumi.yaml, and no other key", () => {
        const declared = Object.entries(readProjectFile().config)
            .filter(([, d]) => d.secret === true)
            .map(([k]) => k);
        expect(declared.sort()).to.deep.equal([...SECRET_CONFIG_KEYS].sort());
    });

    it("never prints a value pasted beside a secret: alerts.webhook, alerts.slack and its channel, backup.offsite and its endpoint", async () => {
        const err = await problemsFor({
            "freshtrack:alerts": {
                webhook: "https://hooks.example.net/T0/B0/c0ffee1",
                slack: "https://hooks.slack.com/services/c0ffee2",
            },
            "freshtrack:backup": {
                offsite: { endpoint: "https://DO00KEY:c0ffee3@fra1.digitaloceanspaces.com", bucket: "ft-backups" },
            },
        });
        expect(err.message).to.not.contain("c0ffee");
        expect(err.message).to.match(
            /^ {2}- freshtrack:alerts\.webhook: set to text that is not valid here \(not shown: it may be a pasted secret\); expected true \(the URL itself is the secret freshtrack:alertWebhookUrl\)$/m,
        );
        expect(err.message).to.match(/^ {2}- freshtrack:alerts\.slack: set to text that is not valid here/m);
        expect(err.message).to.match(
            /^ {2}- freshtrack:backup\.offsite\.endpoint: set to text that is not valid here/m,
        );
        const channel = await problemsFor({
            "freshtrack:alerts": { slack: { channel: "https://hooks.slack.com/services/c0ffee4" } },
        });
        expect(channel.message).to.not.contain("c0ffee");
        expect(channel.message).to.match(/freshtrack:alerts\.slack\.channel: set to text/);
        expect((await problemsFor({ "freshtrack:alerts": { webhook: false } })).message).to.match(
            /freshtrack:alerts\.webhook = false: expected true/,
        );
    });

    it("never prints text pasted into an object key in place of its settings (a webhook URL as freshtrack:alerts)", async () => {
        const err = await problemsFor({ "freshtrack:alerts": "https://hooks.slack.com/services/T0/B0/c0ffee6" });
        expect(err.message).to.not.contain("c0ffee");
        expect(err.message).to.match(
            /^ {2}- freshtrack:alerts: set to text that is not valid here \(not shown: it may be a pasted secret\); expected an object \(a YAML mapping\)$/m,
        );
        const stackFile = projectWith(
            `config:\n  freshtrack:domain: x.example.com\n  freshtrack:adminEmail: ops@example.com\n  freshtrack:appVersion: "1.4.2"\n  freshtrack:alerts: https://hooks.slack.com/services/T0/B0/c0ffee7\n`,
        );
        let loaderError: unknown;
        try {
            loadStackSettings("bad", stackFile);
        } catch (e) {
            loaderError = e;
        }
        expect(String((loaderError as Error).message)).to.not.contain("c0ffee");
        expect(String((loaderError as Error).message)).to.match(
            /freshtrack:alerts: set to text that is not valid here/,
        );
        expect((await problemsFor({ "freshtrack:backup": 7 })).message).to.match(
            /freshtrack:backup = 7: expected an object/,
        );
    });

    it("is refused by npm run plan's path too: the stack file loader, then the program under mocks", async () => {
        const dir = projectWith(
            `config:\n  freshtrack:domain: x.example.com\n  freshtrack:adminEmail: ops@example.com\n  freshtrack:appVersion: "1.4.2"\n  freshtrack:alertWebhookUrl: https://hooks.example.net/T0/B0/c0ffee5\n`,
        );
        const settings = loadStackSettings("bad", dir);
        let error: unknown;
        try {
            await runUnderMocks(settings, loadStackConfig);
        } catch (err) {
            error = err;
        }
        expect(error).to.be.instanceOf(ConfigError);
        expect((error as Error).message)
            .to.match(/- freshtrack:alertWebhookUrl: set in plain text, but it is a secret/)
            .and.not.contain("c0ffee");
        const encrypted = projectWith(
            `config:\n  freshtrack:domain: x.example.com\n  freshtrack:adminEmail: ops@example.com\n  freshtrack:appVersion: "1.4.2"\n  freshtrack:alertWebhookUrl:\n    secure: v1:c0ffee6\n`,
        );
        await runUnderMocks(loadStackSettings("bad", encrypted), loadStackConfig);
    });

    it("models the CLI, which checks secret: only on typed keys and applies a default as plain text: why the secret keys are untyped", () => {
        // pulumi v3.259.0 pkg/workspace/config.go:101,128 and 316-345.
        const typed = projectWith("config:\n  freshtrack:domain: x.example.com\n", (yaml) =>
            yaml.replace(
                "  alertWebhookUrl:\n    secret: true\n",
                "  alertWebhookUrl:\n    secret: true\n    type: string\n",
            ),
        );
        expect(() => loadStackSettings("bad", typed)).to.throw(
            ConfigError,
            /- freshtrack:alertWebhookUrl: must be encrypted as it is secret/,
        );
        expect(() =>
            loadStackSettings("bad", projectWith("config:\n  freshtrack:domain: x.example.com\n")),
        ).to.not.throw();
    });
});

/** Issue 15, findings 14 and 15 (rung 1): the key, and the value escaped so invisible characters show. */
describe("backup.schedule and adminEmail as they will be rendered (issue 15, findings 14 and 15)", () => {
    it("refuses a schedule with a trailing line break or a non-breaking space, showing the value escaped", async () => {
        expect((await problemsFor({ "freshtrack:backup": { schedule: "15 3 * * *\n" } })).message).to.match(
            /^ {2}- freshtrack:backup\.schedule = "15 3 \* \* \*\\n": expected .*a line break \(U\+000A\)/m,
        );
        expect((await problemsFor({ "freshtrack:backup": { schedule: "15 3\u00a0* * *" } })).message).to.match(
            /^ {2}- freshtrack:backup\.schedule = "15 3\u00a0\* \* \*": expected .*a non-breaking space \(U\+00A0\)/m,
        );
        expect((await problemsFor({ "freshtrack:backup": { schedule: "0 3 * * 7" } })).message).to.match(
            /freshtrack:backup\.schedule = "0 3 \* \* 7": expected .*busybox crond refuses 7/,
        );
    });

    it("refuses an admin email that would inject into the Caddyfile, naming the key", async () => {
        const hostile = [
            'ops@example.com"\n}\nadmin 0.0.0.0:2019\n{',
            "{$CADDY_ADMIN}@example.com",
            "ops@{env.HOME}.example.com",
            '"ops@example.com',
            "#ops@example.com",
            "`ops@example.com",
        ];
        for (const email of hostile) {
            const err = await problemsFor({ "freshtrack:adminEmail": email });
            expect(
                err.problems.map((p) => p.key),
                JSON.stringify(email),
            ).to.deep.equal(["freshtrack:adminEmail"]);
            expect(err.message).to.contain(
                `freshtrack:adminEmail = ${JSON.stringify(email)}: expected an email address such as ops@example.com (local@domain, plain ASCII)`,
            );
        }
    });
});

/** A throwaway project: the real Pulumi.yaml (changed by `edit`) and Pulumi.bad.yaml with this text. */
function projectWith(stackFile: string, edit: (yaml: string) => string = (y) => y): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-config-"));
    fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        edit(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8")),
    );
    fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), stackFile);
    return dir;
}

/**
 * Issue 15, finding 3: the ssh target's host key comes from config, never from whichever host
 * answers first. Rung 1: the config reader alone, on the values an operator would write.
 */
describe("ssh target: the VM's host key is required config (issue 15, finding 3)", () => {
    const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILSEL3mlyPpCGaUNBxcpStcsu+5bt0IiOM455EXcf9/y";
    const SSH = {
        "freshtrack:target": "ssh",
        "freshtrack:tlsMode": "acme",
        "freshtrack:adminCidrs": ["198.51.100.0/24"],
        "freshtrack:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----\n",
    };
    const withSsh = (ssh: Record<string, unknown>) =>
        problemsFor({ ...SSH, "freshtrack:ssh": ssh }, ["freshtrack:sshPrivateKey"]);

    it("refuses a stack without ssh.hostKey, naming the key, the ssh-keyscan line to run and the out-of-band check", async () => {
        const err = await withSsh({ host: "vm.freshtrack.example.net", port: 2222 });
        expect(keysOf(err)).to.deep.equal(["freshtrack:ssh.hostKey"]);
        const line = err.message.split("\n").find((l) => l.includes("freshtrack:ssh.hostKey"))!;
        expect(line).to.match(/^ {2}- freshtrack:ssh\.hostKey = \(not set\): expected the VM's SSH host key/);
        expect(line).to.contain("`ssh-keyscan -p 2222 -t ed25519 vm.freshtrack.example.net`");
        expect(line).to.contain("ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub");
        expect(line).to.contain("console");
    });

    it("refuses a key that is not one ed25519 public key line, and reports it with every other problem at once", async () => {
        const rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCsB78MUyL8EpVtLJYydUvq";
        const cases: Array<[string, RegExp]> = [
            [rsa, /this is a ssh-rsa key/],
            ["ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQCsB78MUyL8EpVtLJYydUvq", /the key data is not an ed25519 key/],
            [`[vm.example.net]:22 ${HOST_KEY}`, /expected one ed25519 public key line/],
            [`${HOST_KEY}\nssh-ed25519 AAAA`, /expected one ed25519 public key line/],
            ["", /expected one ed25519 public key line/],
        ];
        for (const [hostKey, reason] of cases) {
            const err = await withSsh({ host: "203.0.113.9", hostKey, port: 70000 });
            expect(keysOf(err).sort(), JSON.stringify(hostKey)).to.deep.equal([
                "freshtrack:ssh.hostKey",
                "freshtrack:ssh.port",
            ]);
            const line = err.message.split("\n").find((l) => l.includes("freshtrack:ssh.hostKey"))!;
            expect(line, JSON.stringify(hostKey)).to.match(reason);
            expect(line).to.contain("ssh-keyscan -p 22 -t ed25519 203.0.113.9");
        }
    });

    it("accepts the line ssh-keyscan prints (host name first) only without the host name, and keeps the key without its comment", async () => {
        const cfg = await configFor(
            settingsWith(
                { ...SSH, "freshtrack:ssh": { host: "vm.freshtrack.example.net", hostKey: `${HOST_KEY} root@vm` } },
                ["freshtrack:sshPrivateKey"],
            ),
        );
        expect(cfg.ssh!.hostKey).to.equal(HOST_KEY);
    });

    it("is described in Pulumi.yaml, with the ssh-keyscan line", () => {
        const description = String(readProjectFile().config.ssh?.description ?? "");
        expect(description).to.contain("hostKey");
        expect(description).to.contain("ssh-keyscan");
    });
});

// The attack pass: a Debian droplet passed config, was created, and then stopped in its bootstrap on Docker 20.10
// (components/host/bootstrap.ts, renderDockerVersionCheck). Rung 1: refused before any resource is registered.
describe("droplet.image: only Ubuntu, whose docker.io can publish Caddy on IPv4 and IPv6", () => {
    it("refuses a Debian image, saying why, and accepts the Ubuntu ones", async () => {
        const err = await problemsFor({
            ...DROPLET,
            "freshtrack:adminCidrs": ["203.0.113.0/28"],
            "freshtrack:droplet": { region: "fra1", image: "debian-12-x64" },
        });
        expect(err.message).to.match(
            /freshtrack:droplet\.image = "debian-12-x64": expected an Ubuntu image slug such as ubuntu-24-04-x64: Debian's docker\.io is older than the Docker 27/,
        );
        const cfg = await configFor(
            settingsWith({
                ...DROPLET,
                "freshtrack:adminCidrs": ["203.0.113.0/28"],
                "freshtrack:droplet": { region: "fra1", image: "ubuntu-24-04-x64" },
            }),
        );
        expect(cfg.droplet!.image).to.equal("ubuntu-24-04-x64");
    });
});
