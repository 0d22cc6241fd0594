/**
 * The config error messages (design.md, layer 1 "config": every bad value fails before any resource is registered,
 * with a message naming the key, the value and what was expected). Each message is matched as an operator reads
 * it: every problem at once, one line each, a did-you-mean for a misspelt key, a YAML mistake by line and column,
 * and a value escaped so invisible characters show. Rung 1: the config reader under mocks, and the stack file
 * loader on throwaway projects.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../components/config";
import { loadStackSettings } from "../scripts/lib/stackFiles";
import { keysOf, problemsFor } from "./configFixtures";

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

describe("config: components/config", () => {
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

        it("reports one mistake in a list once: a scalar where the list of alert recipients belongs (issue 17)", async () => {
            const alerts = (to: unknown) => ({
                "freshtrack:alerts": { email: { to, from: "a@b.example.org", smarthost: "smtp.example.org:587" } },
            });
            const scalar = await problemsFor(alerts("oncall@b.example.org"));
            expect(scalar.problems.map((p) => [p.key, p.expected])).to.deep.equal([
                ["freshtrack:alerts.email.to", "a list of at least one email address (a YAML sequence)"],
            ]);
            // Every item refused: each item says why, and no extra "at least one" line repeats it.
            const refused = await problemsFor(alerts(["not an address"]));
            expect(refused.problems.map((p) => p.key)).to.deep.equal(["freshtrack:alerts.email.to[0]"]);
            // An empty list is the one case "at least one" describes.
            const empty = await problemsFor(alerts([]));
            expect(empty.problems.map((p) => [p.key, p.expected])).to.deep.equal([
                ["freshtrack:alerts.email.to", "a list of at least one email address"],
            ]);
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

        it("says how to write a quoted boolean or whole number (issue 17 newcomer pass)", () => {
            expect(() =>
                stackFileWith('config:\n  freshtrack:domain: x.example.com\n  freshtrack:demoData: "true"\n'),
            ).to.throw(
                ConfigError,
                / {2}- freshtrack:demoData = "true": expected a value of type boolean \(declared in Pulumi.yaml\); write it unquoted in the stack file, or set it with pulumi config set --stack bad --type bool demoData <value>$/m,
            );
        });

        it("says to quote a number where text belongs, and to write a list where a list belongs (issue 17 newcomer pass)", () => {
            expect(() =>
                stackFileWith("config:\n  freshtrack:domain: x.example.com\n  freshtrack:appVersion: 2.0\n"),
            ).to.throw(
                ConfigError,
                / {2}- freshtrack:appVersion = 2: expected a value of type string \(declared in Pulumi.yaml\); YAML read the unquoted value as a number: quote it in the stack file \(freshtrack:appVersion: "<value>"\)$/m,
            );
            expect(() => loadStackSettingsWith("adminCidrs: 10.0.0.0/8")).to.throw(
                ConfigError,
                /freshtrack:adminCidrs = "10.0.0.0\/8": expected a value of type array \(declared in Pulumi.yaml\); write a YAML list, one item per line under the key \("- <item>"\), even for one item$/m,
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
