import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { CONFIG_SCHEMA } from "../components/config";
import { NESTED } from "../components/config/nestedFields";
import {
    anchors,
    checkConfigKeys,
    checkLinks,
    checkPaths,
    checkScripts,
    checkStackArgs,
    checkStackOutputs,
    DocProblem,
    formatProblems,
    githubSlug,
    loadRepoFacts,
    markdownPages,
    RepoFacts,
} from "./docsCheck";
import { configTreeOf } from "./docsCheck/configKeys";
import { checkScriptsTable } from "./docsCheck/references";

const ROOT = path.join(__dirname, "..");

/**
 * Every setting each key accepts, at every depth, from the schema the reader checks them with
 * (components/config/schema.ts and the nested settings of components/config/nestedFields.ts): `resources` takes each
 * service and its limits, `secretGenerations` the rotatable credentials, `backup` its fields and `offsite`'s.
 */
const CONFIG_TREE = configTreeOf(CONFIG_SCHEMA, NESTED);

function read(rel: string): string {
    return fs.readFileSync(path.join(ROOT, rel), "utf8");
}

describe("docs: every Markdown page matches the code", () => {
    let facts: RepoFacts;
    let pages: string[];
    before(() => {
        facts = loadRepoFacts(ROOT, CONFIG_TREE);
        pages = markdownPages(facts);
    });

    function problemsOf(check: (md: string, file: string) => DocProblem[]): string {
        return formatProblems(pages.flatMap((page) => check(read(page), page)));
    }

    it("checks README.md and every page under docs/", () => {
        expect(pages).to.include("README.md");
        expect(pages).to.include("docs/walkthrough.md");
        expect(pages.length).to.be.greaterThan(2);
    });

    it("names only npm scripts that package.json defines", () => {
        expect(problemsOf((md, file) => checkScripts(md, file, facts))).to.equal("");
    });

    it("names only config keys that Pulumi.yaml declares, and provider namespaces that package.json depends on", () => {
        expect(problemsOf((md, file) => checkConfigKeys(md, file, facts))).to.equal("");
    });

    it("links only to files that exist, and to headings that exist in them", () => {
        expect(problemsOf((md, file) => checkLinks(md, file, facts))).to.equal("");
    });

    it("names only repository paths that exist", () => {
        expect(problemsOf((md, file) => checkPaths(md, file, facts))).to.equal("");
    });

    it("passes only shipped stacks (or a placeholder) to the npm scripts", () => {
        expect(problemsOf((md, file) => checkStackArgs(md, file, facts))).to.equal("");
    });

    it("reads only stack outputs that index.ts exports", () => {
        expect(problemsOf((md, file) => checkStackOutputs(md, file, facts))).to.equal("");
    });

    it("lists every npm script of package.json in README's table of scripts, once, and no other", () => {
        expect(formatProblems(checkScriptsTable(read("README.md"), "README.md", facts))).to.equal("");
    });

    it("links every page under docs/ from README.md", () => {
        const readme = read("README.md");
        const unlinked = pages.filter((p) => p.startsWith("docs/") && !readme.includes(`](${p}`));
        expect(unlinked).to.deep.equal([]);
    });
});

describe("docs checker: each check reports what does not exist", () => {
    let facts: RepoFacts;
    before(() => {
        facts = loadRepoFacts(ROOT, CONFIG_TREE);
    });

    describe("npm scripts", () => {
        it("reports `npm run` of a script package.json does not define", () => {
            const problems = checkScripts("Run `npm run deploy-everything -- prod`.", "fake.md", facts);
            expect(problems).to.have.length(1);
            expect(problems[0]!.message).to.contain("deploy-everything");
        });

        it("accepts defined scripts, npm's own commands and placeholders", () => {
            const md =
                "```sh\nnpm ci && npm test\nnpm install\nnpm run plan -- dev\nnpm run <script>\n```\nThen `npm run typecheck`.";
            expect(checkScripts(md, "fake.md", facts)).to.deep.equal([]);
        });

        it("reports `npm start` when package.json has no start script", () => {
            expect(checkScripts("npm start", "fake.md", { scripts: new Set(["test"]) })).to.have.length(1);
            expect(checkScripts("npm test", "fake.md", { scripts: new Set(["start"]) })).to.have.length(1);
        });
    });

    describe("README's table of npm scripts (issue 17, attack pass: a row could go missing)", () => {
        const table = (...rows: string[]) =>
            ["| script | what it does |", "|---|---|", ...rows, "", "after"].join("\n");
        const scripts = { scripts: new Set(["test", "plan", "bench"]) };
        const messagesOf = (md: string) => checkScriptsTable(md, "README.md", scripts).map((p) => p.message);

        it("accepts one row per script, named by its synopsis", () => {
            const md = table(
                "| `npm test` | all |",
                "| `npm run plan -- <stack>` | the plan |",
                "| `npm run bench [-- [--json] [--runs N] [<stack> ...]]` | timing |",
            );
            expect(messagesOf(md)).to.deep.equal([]);
        });

        it("reports a missing row, a row for no script, a second row and a row that names none", () => {
            expect(messagesOf(table("| `npm test` | all |", "| `npm run plan -- <stack>` | x |"))).to.deep.equal([
                "no row for the npm script 'bench' of package.json",
            ]);
            const md = table(
                "| `npm test` | all |",
                "| `npm run plan -- <stack>` | x |",
                "| `npm run -s bench` | y |",
                "| `npm run deploy -- <stack>` | z |",
                "| `npm run plan` | again |",
                "| the plan | prose |",
            );
            expect(messagesOf(md)).to.deep.equal([
                "a row for 'deploy', which package.json does not define",
                "a second row for 'plan' (the first is line 4)",
                "the row 'the plan' names no npm script",
            ]);
            expect(messagesOf("# no table")).to.have.length(1);
        });
    });

    describe("config keys", () => {
        it("reports a freshtrack: key Pulumi.yaml does not declare", () => {
            const problems = checkConfigKeys("Set `freshtrack:dropletSize` to s-2vcpu-4gb.", "fake.md", facts);
            expect(problems).to.have.length(1);
            expect(problems[0]!.message).to.contain("dropletSize");
        });

        it("checks the top-level key of a dotted key and accepts declared ones", () => {
            expect(
                checkConfigKeys(
                    "`freshtrack:droplet.dnsZone`, `freshtrack:adminCidrs[0]`, `freshtrack:target: ssh`",
                    "fake.md",
                    facts,
                ),
            ).to.deep.equal([]);
            expect(checkConfigKeys("`freshtrack:dropplet.dnsZone`", "fake.md", facts)).to.have.length(1);
        });

        it("checks sub-keys where the code exports the accepted list (resources)", () => {
            expect(checkConfigKeys("raise `freshtrack:resources.postgres.memoryMb`", "fake.md", facts)).to.deep.equal(
                [],
            );
            expect(checkConfigKeys("raise `freshtrack:resources.postgress.memoryMb`", "fake.md", facts)).to.have.length(
                1,
            );
        });

        it("ignores component type tokens such as freshtrack:host:DropletHost", () => {
            expect(checkConfigKeys("the type token is `freshtrack:host:DropletHost`", "fake.md", facts)).to.deep.equal(
                [],
            );
        });

        it("checks the keys of a Pulumi.<stack>.yaml snippet in a yaml block", () => {
            const good =
                "```yaml\nconfig:\n  digitalocean:token:\n    secure: abc\n  freshtrack:droplet:\n    size: s-2vcpu-4gb\n  freshtrack:resources:\n    postgres:\n      cpus: 2\n```";
            expect(checkConfigKeys(good, "fake.md", facts)).to.deep.equal([]);
            const bad =
                "```yaml\nconfig:\n  freshtrack:dropplet:\n    size: s-2vcpu-4gb\n  freshtrack:resources:\n    postgress:\n      cpus: 2\n  hetzner:token: x\n```";
            const messages = checkConfigKeys(bad, "fake.md", facts).map((p) => p.message);
            expect(messages.some((m) => m.includes("dropplet"))).to.equal(true);
            expect(messages.some((m) => m.includes("postgress"))).to.equal(true);
            expect(messages.some((m) => m.includes("hetzner"))).to.equal(true);
        });

        // Issue 17, attack pass: only the first setting below a key was checked, so a misspelt member of an object
        // (backup.offsite.endpointUri), a misspelt setting in a quoted --path, or a YAML value's inner keys passed.
        const messagesOf = (md: string) => checkConfigKeys(md, "fake.md", facts).map((p) => p.message);

        it("checks every step of freshtrack:<path> in prose, and a `.sibling` span after one", () => {
            const good =
                "`freshtrack:backup.offsite.endpoint`, `freshtrack:resources.caddy.cpus`, `freshtrack:secretGenerations.redisPassword`, `freshtrack:alerts.email.to`, `.from`, `.smarthost`";
            expect(messagesOf(good)).to.deep.equal([]);
            expect(messagesOf("set `freshtrack:backup.offsite.endpointUri`")).to.have.length(1);
            expect(messagesOf("raise freshtrack:resources.postgres.memoryMB")).to.have.length(1);
            expect(messagesOf("`freshtrack:secretGenerations.postgresPassword`")).to.have.length(1);
            expect(messagesOf("`freshtrack:alerts.email.to`, `.form`")).to.deep.equal([
                "`freshtrack:alerts.email.to, .form`: 'alerts.email' has no setting 'form'; did you mean 'from'? (accepted: to, from, smarthost, username)",
            ]);
        });

        it("reads a freshtrack:<key>: {...} value written inline as YAML, at every depth", () => {
            expect(
                messagesOf(
                    "`freshtrack:backup: {offsite: {endpoint: https://fra1.digitaloceanspaces.com, bucket: b}}`",
                ),
            ).to.deep.equal([]);
            expect(messagesOf("freshtrack:resources: {postgres: {memoryMb: 2048, cpus: 2}}")).to.deep.equal([]);
            const bad = messagesOf("`freshtrack:backup: {offsite: {endpointUri: https://x, bucket: b}}`");
            expect(bad).to.have.length(1);
            expect(bad[0]).to.contain("'backup.offsite' has no setting 'endpointUri'");
            expect(messagesOf("freshtrack:resources: {postgres: {memoryMB: 2048}}")).to.have.length(1);
        });

        it("checks every path of a YAML block, a stack file or a fragment of one; an encrypted value is one value", () => {
            const good = [
                "```yaml",
                "config:",
                "  freshtrack:sshPrivateKey:",
                "    secure: v1:AAAA",
                "  freshtrack:backup:",
                "    offsite:",
                "      endpoint: https://fra1.digitaloceanspaces.com",
                "      bucket: freshtrack-prod-backups",
                "  freshtrack:rollback:",
                "    exportTables:",
                "      - table: alerts",
                "        column: created_at",
                "```",
            ].join("\n");
            expect(messagesOf(good)).to.deep.equal([]);
            const deep = "```yaml\nconfig:\n  freshtrack:backup:\n    offsite:\n      endpointUri: https://x\n```";
            expect(messagesOf(deep)).to.deep.equal([
                "`freshtrack:backup > offsite > endpointUri`: 'backup.offsite' has no setting 'endpointUri'; did you mean 'endpoint'? (accepted: endpoint, bucket)",
            ]);
            const fragment = "```yaml\nfreshtrack:resources:\n  postgres:\n    memoryMB: 2048\n    cpus: 2\n```";
            expect(messagesOf(fragment)).to.have.length(1);
            expect(messagesOf("```yaml\nconfig:\n  freshtrack:droplet:\n    sise: s-2vcpu-4gb\n```")).to.have.length(1);
        });

        // Issue 17, attack pass 2: a block that did not parse was skipped, so its keys went unchecked.
        it("reports a yaml block that does not parse, at the line the parser stops on", () => {
            const block = (...body: string[]) => ["# Page", "", "```yaml", ...body, "```"].join("\n");
            const good = block("config:", "  freshtrack:droplet:", "    size: s-2vcpu-4gb");
            expect(messagesOf(good)).to.deep.equal([]);
            const ellipsis = block(
                "config:",
                "  freshtrack:droplet:",
                "    size: s-2vcpu-4gb",
                "  ...",
                "  freshtrack:appVersion: 1",
            );
            const problems = checkConfigKeys(ellipsis, "fake.md", facts);
            expect(problems.map((p) => p.line)).to.deep.equal([7]);
            expect(problems[0]!.message).to.match(
                /^this yaml block does not parse as YAML, so the keys in it are not checked: Implicit keys need to be on a single line$/,
            );
            expect(messagesOf(block("freshtrack:droplet:", "  sise: [a"))).to.have.length(1);
            // A block in another language is not read as YAML.
            expect(messagesOf("```sh\nconfig: [\n```")).to.deep.equal([]);
        });

        it("reports a setting's path in a code span only where it is a near miss (it may name something else)", () => {
            const elsewhere =
                "`database.volume`, `alerts.created_at`, `appImages.ts`, `ssh.host`, `appImages.backend`, `.worker`";
            expect(messagesOf(elsewhere)).to.deep.equal([]);
            expect(messagesOf("then `droplet.sise` grows")).to.deep.equal([
                "`droplet.sise`: 'droplet' has no setting 'sise'; did you mean 'size'? (accepted: region, size, image, volumeSizeGb, backups, dnsZone)",
            ]);
            expect(messagesOf("`appImages.backend`, `.wroker`")).to.have.length(1);
        });
    });

    describe("links", () => {
        it("reports a relative link to a file that does not exist", () => {
            const problems = checkLinks("See [the guide](docs/no-such-page.md).", "README.md", facts);
            expect(problems).to.have.length(1);
            expect(problems[0]!.message).to.contain("docs/no-such-page.md");
        });

        it("resolves links relative to the page and reports an anchor with no heading", () => {
            expect(
                checkLinks(
                    "[ops](operations.md#going-back-a-version), [pre](prerequisites.md), [up](../README.md#stacks)",
                    "docs/walkthrough.md",
                    facts,
                ),
            ).to.deep.equal([]);
            const problems = checkLinks("[ops](operations.md#going-forward-a-version)", "docs/walkthrough.md", facts);
            expect(problems).to.have.length(1);
            expect(problems[0]!.message).to.contain("#going-forward-a-version");
        });

        it("checks anchors within the same page and skips external links and code", () => {
            const md =
                "# Title\n\n## Target down\n\nsee [it](#target-down), [web](https://example.com/x.md#nope), `[no](nowhere.md)`\n```\n[no](nowhere.md)\n```";
            expect(checkLinks(md, "docs/fake.md", facts)).to.deep.equal([]);
            expect(checkLinks("# Title\n[x](#missing)", "docs/fake.md", facts)).to.have.length(1);
        });

        it("makes anchors the way GitHub does", () => {
            expect(githubSlug("Going back a version")).to.equal("going-back-a-version");
            expect(githubSlug("1. Get the code and its dependencies")).to.equal("1-get-the-code-and-its-dependencies");
            expect(githubSlug("The `npm` scripts: what's in them?")).to.equal("the-npm-scripts-whats-in-them");
            expect(githubSlug("An existing VM instead of a droplet")).to.equal("an-existing-vm-instead-of-a-droplet");
            expect([...anchors("## Notes\n\n## Notes\n```\n## not a heading\n```")]).to.deep.equal([
                "notes",
                "notes-1",
            ]);
        });
    });

    describe("repository paths", () => {
        it("reports a path in a code span that does not exist", () => {
            const problems = checkPaths(
                "Rules live in `policy/rules/nonexistent.ts` and `Pulumi.qa.yaml`.",
                "fake.md",
                facts,
            );
            expect(problems.map((p) => p.message).join("\n"))
                .to.contain("policy/rules/nonexistent.ts")
                .and.to.contain("Pulumi.qa.yaml");
        });

        it("accepts placeholders, globs, directories and bare .ts names that exist somewhere", () => {
            const md =
                "`Pulumi.<stack>.yaml`, `policy/config/<stack>.json`, `components/services/*.ts`, `components/host/`, `appEnv.ts`, `.ci/run`, `index.ts`";
            expect(checkPaths(md, "fake.md", facts)).to.deep.equal([]);
            expect(checkPaths("`noSuchModule.ts`", "fake.md", facts)).to.have.length(1);
        });

        it("checks repository paths used as arguments in code blocks", () => {
            expect(
                checkPaths(
                    "```sh\npulumi up --policy-pack-config ./policy/config/production.json\n```",
                    "fake.md",
                    facts,
                ),
            ).to.deep.equal([]);
            expect(
                checkPaths("```sh\npulumi up --policy-pack-config ./policy/config/qa.json\n```", "fake.md", facts),
            ).to.have.length(1);
            expect(
                checkPaths("run `pulumi preview --policy-pack-config ./policy/config/qa.json`", "fake.md", facts),
            ).to.have.length(1);
        });
    });

    describe("stack outputs", () => {
        it("reports `pulumi stack output` of a name index.ts does not export", () => {
            expect(
                checkStackOutputs(
                    "pulumi stack output deployPrivateKey --show-secrets > k; pulumi stack output publicAddress",
                    "fake.md",
                    facts,
                ),
            ).to.deep.equal([]);
            const problems = checkStackOutputs(
                "`pulumi stack output --show-secrets grafanaPassword`",
                "fake.md",
                facts,
            );
            expect(problems).to.have.length(1);
            expect(problems[0]!.message).to.contain("grafanaPassword");
        });

        it("reads a flag's value as the flag's, not as the output's name (issue 17: `--stack dev` before the name)", () => {
            expect(checkStackOutputs("`pulumi stack output --stack dev`", "fake.md", facts)).to.deep.equal([]);
            const problems = checkStackOutputs("`pulumi stack output -s dev caCert --show-secrets`", "fake.md", facts);
            expect(problems.map((p) => p.message)).to.deep.equal([
                "`pulumi stack output -s dev caCert --show-secrets` names the stack output 'caCert', which index.ts does not export",
            ]);
        });
    });

    describe("stack arguments", () => {
        it("reports `npm run <script> -- <stack>` with a stack that does not ship", () => {
            const problems = checkStackArgs("npm run plan -- production", "fake.md", facts);
            expect(problems).to.have.length(1);
            expect(problems[0]!.message).to.contain("production");
        });

        it("accepts shipped stacks and placeholders", () => {
            expect(
                checkStackArgs(
                    "`npm run plan -- dev`, `npm run verify -- <stack>`, npm run rollback -- prod --to 1.4.1",
                    "fake.md",
                    facts,
                ),
            ).to.deep.equal([]);
        });
    });
});
