/**
 * Requirement (issue 17, "done means": every command and config key of the walkthrough and the other docs is checked by
 * the docs test): the key each `pulumi config set|get|rm` command of a page names is declared in Pulumi.yaml (or
 * belongs to a provider package), and every step of a --path is a setting the config schema accepts. The commands are
 * read by the docs' shell reader (test/docsCheck/commandWords.ts, pageCommands), as every other command check reads
 * them: whole over `\` continuations, behind wrappers, in subshells and substitutions, after a console prompt, in code
 * spans; a sentence or a line of output is no command. The keys a page names otherwise (`freshtrack:` paths in prose,
 * YAML blocks) are tested in test/docs.test.ts, which these tests left when it passed 450 lines.
 *
 * Rung 1 (unit): made-up pages checked against the repository's own facts (Pulumi.yaml, components/config/schema.ts).
 */
import { expect } from "chai";
import * as path from "path";
import { CONFIG_SCHEMA } from "../components/config";
import { NESTED } from "../components/config/nestedFields";
import { checkConfigKeys, loadRepoFacts, RepoFacts } from "./docsCheck";
import { configTreeOf } from "./docsCheck/configKeys";

describe("docs checker: the key of every `pulumi config` command of a page (issue 17)", () => {
    let facts: RepoFacts;
    before(() => {
        facts = loadRepoFacts(path.join(__dirname, ".."), configTreeOf(CONFIG_SCHEMA, NESTED));
    });
    const messagesOf = (md: string) => checkConfigKeys(md, "fake.md", facts).map((p) => p.message);

    /** A page holding `lines` as one sh block: commands to run. */
    const sh = (...lines: string[]) => ["```sh", ...lines, "```"].join("\n");

    it("reads the key of `pulumi config set`, with or without the project prefix and --path", () => {
        const md = sh(
            "pulumi config set appVersion 1.5.0 --stack prod",
            "pulumi config set --secret --stack prod sshPrivateKey < key",
            "pulumi config set --path 'droplet.size' s-4vcpu-8gb",
            "pulumi config set --path freshtrack:adminCidrs[0] 203.0.113.7/32",
            "pulumi config set <key> <value>",
        );
        expect(checkConfigKeys(md, "fake.md", facts)).to.deep.equal([]);
        expect(checkConfigKeys(sh("pulumi config set appVerison 1.5.0"), "fake.md", facts)).to.have.length(1);
        expect(checkConfigKeys("`pulumi config set --path nosuch.size x`", "fake.md", facts)).to.have.length(1);
    });

    it("reports a nested key set without --path", () => {
        const problems = checkConfigKeys(sh("pulumi config set droplet.size s-4vcpu-8gb"), "fake.md", facts);
        expect(problems.map((p) => p.message).join()).to.contain("--path");
    });

    it("allows other namespaces only for provider packages in package.json", () => {
        expect(
            checkConfigKeys(sh("pulumi config set --secret digitalocean:token dop_v1_x"), "fake.md", facts),
        ).to.deep.equal([]);
        const problems = checkConfigKeys(sh("pulumi config set --secret aws:region eu-west-1"), "fake.md", facts);
        expect(problems).to.have.length(1);
        expect(problems[0]!.message).to.contain("aws");
    });

    it("checks every step of a --path against the schema: object members, map values, quoted paths", () => {
        const good = sh(
            "pulumi config set --path backup.offsite.endpoint https://fra1.digitaloceanspaces.com --stack prod",
            "pulumi config set --path 'resources.postgres.memoryMb' 2048",
            "pulumi config set --path 'appBuild.targets.backend' backend",
            "pulumi config set --type int --path verification.timeoutSeconds 600",
            "pulumi config get --path '[\"backup\"].offsite.bucket'",
            "pulumi config rm --path 'alerts.email.to[1]'",
        );
        expect(messagesOf(good)).to.deep.equal([]);
        expect(messagesOf(sh("pulumi config set --path backup.offsite.endpointUri https://x"))).to.deep.equal([
            "`pulumi config set backup.offsite.endpointUri`: 'backup.offsite' has no setting 'endpointUri'; did you mean 'endpoint'? (accepted: endpoint, bucket)",
        ]);
        expect(messagesOf(sh("pulumi config set --path 'droplet.sise' s-8vcpu-16gb"))).to.have.length(1);
        expect(messagesOf("`pulumi config set --path resources.postgres.memoryMB 2048`")).to.have.length(1);
        expect(messagesOf(sh("pulumi config rm --path 'alerts.emial.to[1]'"))).to.have.length(1);
        expect(messagesOf(sh("pulumi config set --path droplet.size.slug x"))[0]).to.contain(
            "'droplet.size' is a single value",
        );
        expect(messagesOf(sh("pulumi config set --path 'droplet[0]' x"))[0]).to.contain("'droplet' is not a list");
    });

    // Issue 17, attack pass 2: config commands were read line by line, so a key on the line after a `\`
    // continuation, or a command behind `env`, in a subshell or after `&&`, went unchecked. They are now read from
    // the docs' shell reader (commandWords.ts, pageCommands), as every other command check reads them.
    it("reads the key of a config command wrapped over lines, behind env, in a subshell or after && (rung 1)", () => {
        const wrapped = sh("pulumi config set --stack prod --path \\", "  'droplet.sise' s-8vcpu-16gb");
        expect(messagesOf(wrapped)).to.deep.equal([
            "`pulumi config set droplet.sise`: 'droplet' has no setting 'sise'; did you mean 'size'? (accepted: region, size, image, volumeSizeGb, backups, dnsZone)",
        ]);
        expect(checkConfigKeys(wrapped, "fake.md", facts)[0]!.line, "the command's first line").to.equal(2);
        for (const md of [
            sh("env PULUMI_CONFIG_PASSPHRASE= pulumi config set --path droplet.sise x --stack dev"),
            sh("(cd . && pulumi config set --path droplet.sise x)"),
            sh("npm ci && pulumi -C . config --stack prod set --path droplet.sise x"),
            "```console\n$ pulumi config set \\\n>   --path droplet.sise x\n```",
            '`pulumi config get --path "droplet.sise"`',
        ])
            expect(messagesOf(md), md).to.have.length(1);
        // Output and prose name no command: a line of a console block that is not a command, a sentence.
        expect(messagesOf("```console\n$ pulumi stack ls\npulumi config set --path droplet.sise x\n```")).to.deep.equal(
            [],
        );
        expect(messagesOf("Then run pulumi config set --path droplet.sise x.")).to.deep.equal([]);
    });
});
