/**
 * Secret keys set in plain text, and values pasted beside a secret (design.md, "Secrets never appear in plain
 * text"), as an operator meets them: through the program, the stack file loader and npm run plan's path.
 * test/configSecrets.test.ts checks the pure reader on every secret key and nearby setting the schema declares.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { ConfigError, loadStackConfig, SECRET_CONFIG_KEYS } from "../components/config";
import { runUnderMocks } from "../scripts/lib/mockRun";
import { loadStackSettings, readProjectFile } from "../scripts/lib/stackFiles";
import { keysOf, problemsFor } from "./configFixtures";
import { configFor, settingsWith } from "./helpers";

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
            // The fix names the stack, as every config hint does (a fresh shell may have another stack selected).
            /- freshtrack:alertWebhookUrl: must be encrypted as it is secret \(the Pulumi CLI refuses it too\): pulumi config set --stack bad --secret alertWebhookUrl <value>/,
        );
        expect(() =>
            loadStackSettings("bad", projectWith("config:\n  freshtrack:domain: x.example.com\n")),
        ).to.not.throw();
    });
});
