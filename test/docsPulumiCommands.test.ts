/**
 * Requirement (issue 17, "done means"): every command in the walkthrough and the other docs is checked by the docs
 * test. Here: every `pulumi ...` command of README.md and docs/*.md (sh blocks and code spans) names a subcommand the
 * Pulumi CLI has, passes only flags that subcommand accepts, gives each flag that needs a value one, and no more
 * positional arguments than it takes, at the oldest CLI the project supports (MIN_PULUMI_CLI_VERSION) and at the
 * newest read. The CLI's facts come from its cobra definitions (test/fixtures/pulumiCli.json, written by
 * test/docsCheck/pulumiCliFacts.ts from github:pulumi/pulumi at each tag); the test reads only the fixture, and
 * compares it with a fresh read where a mirror of the CLI's source exists (FRESHTRACK_PULUMI_MIRROR, else the `fetch`
 * tool's place for it); without one that check alone is skipped, and says so.
 * Rung: unit (the docs' text and the CLI's Go source, read as text; no CLI is run).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { MIN_PULUMI_CLI_VERSION } from "../components/config/projectFile";
import { loadRepoFacts, markdownPages } from "./docsCheck/facts";
import type { PulumiCliFixture } from "./docsCheck/pulumiCli";
import { CobraReader } from "./docsCheck/cobraReader";
import type { GoTree } from "./docsCheck/goPackages";
import { buildFixture, FIXTURE, LazyCli, MIRROR_VARIABLE, NEWEST_TAG, pulumiMirror } from "./docsCheck/pulumiCliFacts";
import { checkPulumiCommands, pulumiInvocations } from "./docsCheck/pulumiCommands";
import { shellCommands } from "./docsCheck/shellWords";

const ROOT = path.join(__dirname, "..");
const cli = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as PulumiCliFixture;

/** Problems of one made-up line, at every version, as one string. */
function problemsOf(md: string): string {
    return checkPulumiCommands(md, "fake.md", cli)
        .map((p) => p.message)
        .join("\n");
}

describe("docs: every `pulumi ...` command names a real subcommand with flags it accepts", () => {
    const pages = markdownPages(loadRepoFacts(ROOT));

    it("reads the commands of README.md and every page under docs/", () => {
        const count = pages.reduce(
            (n, page) => n + pulumiInvocations(fs.readFileSync(path.join(ROOT, page), "utf8")).length,
            0,
        );
        expect(pages).to.include("docs/walkthrough.md");
        expect(count).to.be.greaterThan(50);
    });

    it("every command runs at the oldest supported CLI and the newest read", () => {
        const problems = pages.flatMap((page) =>
            checkPulumiCommands(fs.readFileSync(path.join(ROOT, page), "utf8"), page, cli),
        );
        expect(problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join("\n")).to.equal("");
    });

    it("the fixture is read at v<MIN_PULUMI_CLI_VERSION> and at the newest tag, each with its commit and sources", () => {
        expect(cli.versions.map((v) => v.tag)).to.deep.equal([`v${MIN_PULUMI_CLI_VERSION}`, NEWEST_TAG]);
        for (const v of cli.versions) {
            expect(v.commit).to.match(/^[0-9a-f]{40}$/);
            expect(v.sources).to.include("pkg/cmd/pulumi/pulumi.go");
            for (const c of v.commands) {
                const name = ["pulumi", ...c.path].join(" ");
                expect(c.source, name).to.match(/^pkg\/cmd\/pulumi\/\S+\.go:\d+$/);
                for (const f of c.flags) expect(f.source, `${name} --${f.name}`).to.match(/\.go:\d+$/);
            }
        }
    });

    it("the fixture is what the generator reads from the CLI's source now (where a mirror of it exists)", function () {
        const mirror = pulumiMirror();
        // A mirror asked for by name must be there; the default place is only looked in.
        if (mirror.named) expect(fs.existsSync(mirror.dir), `${MIRROR_VARIABLE}=${mirror.dir}`).to.equal(true);
        else if (!fs.existsSync(mirror.dir)) {
            console.log(
                `      skipped: no mirror of the Pulumi CLI's source at ${mirror.dir}; set ${MIRROR_VARIABLE} to a bare ` +
                    "git clone of github.com/pulumi/pulumi to compare the fixture with it",
            );
            this.skip();
        }
        this.timeout(120_000);
        const fresh = buildFixture(
            mirror.dir,
            cli.versions.map((v) => v.tag),
            ROOT,
        );
        expect(JSON.parse(JSON.stringify(fresh))).to.deep.equal(cli);
    });
});

describe("pulumi command checker: reports what the CLI would refuse", () => {
    it("reports a flag the subcommand does not have: `pulumi stack output --stak prod`", () => {
        expect(problemsOf("`pulumi stack output --stak prod`")).to.equal(
            "`pulumi stack output --stak prod`: `pulumi stack output` has no flag --stak (did you mean --stack?)",
        );
    });

    it("reports a subcommand that does not exist: `pulumi previw`", () => {
        expect(problemsOf("```sh\npulumi previw --stack prod\n```")).to.contain(
            "`pulumi` has no subcommand 'previw' (did you mean preview?)",
        );
        expect(problemsOf("`pulumi stack ouput publicAddress`")).to.contain(
            "`pulumi stack` has no subcommand 'ouput' (did you mean output?)",
        );
    });

    it("reports a flag that needs a value and has none: `pulumi up --policy-pack`", () => {
        expect(problemsOf("`pulumi up --policy-pack`")).to.contain("--policy-pack needs a value");
        expect(problemsOf("`pulumi up --policy-pack --yes`")).to.contain(
            "--policy-pack needs a value, but the next word is --yes",
        );
        expect(problemsOf("`pulumi up -s`")).to.contain("-s (--stack) needs a value");
    });

    it("accepts values written every way pflag takes them, placeholders, and flags that take no value", () => {
        const md = [
            "```sh",
            "pulumi stack output publicAddress --stack prod",
            "pulumi stack output --stack=prod -s prod -sprod -s=prod --show-secrets hostKey",
            "pulumi up --stack <stack> --replace '<URN of the unhealthy container>' \\",
            "  --policy-pack ./policy --policy-pack-config ./policy/config/production.json -yf",
            "pulumi up --refresh --run-program --stack prod   # --refresh's value is optional: it takes no word",
            "pulumi config set --secret sshPrivateKey --stack <stack> < ~/.ssh/vm_admin_key",
            "pulumi config set --path 'secretGenerations.grafanaAdminPassword' 2 --stack prod",
            'echo "$(pulumi stack output publicAddress) $(pulumi stack output hostKey)" > known_hosts',
            "PULUMI_CONFIG_PASSPHRASE= pulumi stack select --create dev && pulumi whoami --verbose",
            "pulumi --cwd . --color never --non-interactive stack output   # the root's persistent flags",
            "```",
        ].join("\n");
        expect(problemsOf(md)).to.equal("");
    });

    it("reads the commands inside substitutions, and none in prose that only names the program", () => {
        expect(problemsOf("`ssh deploy@$(pulumi stack output publicAdress --stak prod)`")).to.contain("--stak");
        expect(problemsOf("`<script>: the pulumi command was not found on PATH`, the `pulumi` program")).to.equal("");
    });

    it("reads a code span wrapped over two lines, at the line it starts on", () => {
        const problems = checkPulumiCommands(
            "A plain\n`pulumi up\n--stak prod` stops.\n\n- `pulumi previw`",
            "x.md",
            cli,
        );
        expect(problems.map((p) => `${p.line}: ${p.message}`)).to.deep.equal([
            "2: `pulumi up --stak prod`: `pulumi up` has no flag --stak (did you mean --stack?)",
            "5: `pulumi previw`: `pulumi` has no subcommand 'previw' (did you mean preview?)",
        ]);
    });

    it("inherits only persistent flags: `pulumi stack`'s --show-urns is its own", () => {
        expect(problemsOf("`pulumi stack --show-urns`")).to.equal("");
        expect(problemsOf("`pulumi stack output --show-urns`")).to.contain(
            "`pulumi stack output` has no flag --show-urns",
        );
    });

    it("reports more positional arguments than the command takes", () => {
        expect(problemsOf("`pulumi stack select --create dev prod`")).to.contain(
            "`pulumi stack select` takes at most 1 argument, and is given 2: dev prod",
        );
        expect(problemsOf("```sh\npulumi config set --stack prod\n```")).to.contain(
            "`pulumi config set` needs at least 1 argument",
        );
        // Prose may leave the arguments to the sentence, never a flag's value.
        expect(problemsOf("set each key with `pulumi config set --secret --stack prod`")).to.equal("");
        // A flag that takes no value leaves the next word as an argument.
        expect(problemsOf("`pulumi stack output --show-secrets true hostKey`")).to.contain("takes at most 1 argument");
    });

    it("says at which version a flag is missing: --urns came after 3.186, `pulumi --version` too", () => {
        expect(problemsOf("`pulumi up --urns`")).to.equal(
            `\`pulumi up --urns\`: \`pulumi up\` has no flag --urns (at v${MIN_PULUMI_CLI_VERSION})`,
        );
        expect(problemsOf("`pulumi --version`")).to.contain(`(at v${MIN_PULUMI_CLI_VERSION})`);
    });

    it("reports deprecated, hidden and conditional flags: no interface a reader can count on", () => {
        expect(problemsOf("`pulumi up --copilot`")).to.contain("--copilot is deprecated: please use --neo instead");
        expect(problemsOf("`pulumi up --client 127.0.0.1:1234`")).to.contain(
            "--client is a hidden flag of `pulumi up`",
        );
        expect(problemsOf("`pulumi up --remote`")).to.contain("--remote exists only when");
    });

    it("lists each problem once, at the versions it holds at, with the page's line", () => {
        const problems = checkPulumiCommands("text\n\n```sh\npulumi up --stak prod\n```", "docs/x.md", cli);
        expect(problems).to.have.length(1);
        expect(problems[0]).to.deep.include({ file: "docs/x.md", line: 4, kind: "pulumi" });
    });
});

describe("shell words: the commands of the docs' shell text", () => {
    it("splits commands, drops quotes, comments and redirections, and keeps placeholders whole", () => {
        const words = shellCommands(
            "a --x '<that URN>' 2>&1 | b > out; (c <key with spaces> < in) && d \"q $(e f)\" # note\ng \\\n  h",
        ).map((c) => `${c.line}:${c.words.join(" ")}`);
        expect(words).to.deep.equal([
            "1:a --x <that URN>",
            "1:b",
            "1:c <key with spaces>",
            "1:e f",
            "1:d q $(…)",
            "2:g h",
        ]);
    });
});

/** An in-memory tree of Go files, for the reader's crafted cases. */
function tree(files: Record<string, string>): GoTree & { commit: string } {
    return {
        commit: "0".repeat(40),
        read: (f) => files[f],
        list: (dir) => Object.keys(files).filter((f) => path.posix.dirname(f) === dir.replace(/\/$/, "")),
    };
}

const ROOT_GO = `package main

import (
	"github.com/spf13/cobra"
	"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/widget"
)

func NewPulumiCmd() (*cobra.Command, func()) {
	var cwd string
	cmd := &cobra.Command{
		Use: "pulumi",
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.Flags().String("inside-run", "", "registered when the command runs, not when it is built")
			return nil
		},
	}
	cmd.PersistentFlags().StringVarP(&cwd, "cwd", "C", "", "Run as if started elsewhere")
	cmd.AddCommand(widget.NewWidgetCmd())
	return cmd, nil
}
`;

const WIDGET_GO = `package widget

import (
	"github.com/spf13/cobra"
	"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/constrictor"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
)

const sizeFlag = "size"

func NewWidgetCmd() *cobra.Command {
	var yes bool
	var refresh string
	cmd := &cobra.Command{
		Use:     "widget <name>",
		Aliases: []string{"wd"},
		Args:    cmdutil.ExactArgs(1),
	}
	constrictor.AttachArguments(cmd, &constrictor.Arguments{
		Arguments: []constrictor.Argument{{Name: "name"}, {Name: "more"}},
		Required:  1,
	})
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "Skip confirmation")
	cmd.PersistentFlags().StringVar(&refresh, "refresh", "", "Refresh first")
	cmd.PersistentFlags().Lookup("refresh").NoOptDefVal = "true"
	cmd.Flags().Int(sizeFlag, 0, "Size")
	_ = cmd.Flags().MarkHidden(sizeFlag)
	addSecret(cmd.PersistentFlags())
	if experimental() {
		cmd.Flags().Bool("beta", false, "Only with PULUMI_EXPERIMENTAL")
	}
	return cmd
}

func addSecret(flags *pflag.FlagSet) {
	f := flags.VarPF(&secretValue{}, "secret", "", "A secret")
	f.NoOptDefVal = "true"
}
`;

describe("cobra reader: the Go source of a command, read as the CLI builds it (crafted source)", () => {
    it("reads names, aliases, arguments, flags with their values, inherited helpers, and conditions", () => {
        const reader = new CobraReader(
            tree({ "pkg/cmd/pulumi/pulumi.go": ROOT_GO, "pkg/cmd/pulumi/widget/widget.go": WIDGET_GO }),
        );
        const lazy = new LazyCli(reader);
        const root = lazy.command("pulumi")!;
        expect(root.children).to.deep.equal([
            { name: "widget", aliases: ["wd"], source: "pkg/cmd/pulumi/widget/widget.go:14" },
        ]);
        expect(root.flags.map((f) => f.name)).to.deep.equal(["cwd"]);
        const widget = lazy.command("pulumi widget")!;
        expect(widget.args.map((a) => [a.min, a.max])).to.deep.equal([
            [1, 1],
            [1, 2],
        ]);
        const flags = Object.fromEntries(widget.flags.map((f) => [f.name, f]));
        expect(flags.yes).to.deep.include({ short: "y", value: "none", persistent: false });
        expect(flags.refresh).to.deep.include({ value: "optional", persistent: true });
        expect(flags.size).to.deep.include({ value: "required", hidden: true });
        expect(flags.secret).to.deep.include({ value: "optional", persistent: true });
        expect(flags.beta).to.deep.include({ when: "experimental()" });
        expect(flags.refresh!.source).to.equal("pkg/cmd/pulumi/widget/widget.go:24");
        expect(lazy.command("pulumi nosuch")).to.equal(undefined);
    });

    it("stops with the file and line at what it cannot read, instead of guessing", () => {
        const unreadable = WIDGET_GO.replace(
            'cmd.Flags().Int(sizeFlag, 0, "Size")',
            'cmd.Flags().Int(names[0], 0, "Size")',
        );
        const reader = new CobraReader(
            tree({ "pkg/cmd/pulumi/pulumi.go": ROOT_GO, "pkg/cmd/pulumi/widget/widget.go": unreadable }),
        );
        expect(() => new LazyCli(reader).command("pulumi widget")).to.throw(
            "pkg/cmd/pulumi/widget/widget.go:26: cannot read the string names[0]",
        );
        const added = WIDGET_GO.replace("addSecret(cmd.PersistentFlags())", "cmd.Flags().AddFlagSet(other)");
        const reader2 = new CobraReader(
            tree({ "pkg/cmd/pulumi/pulumi.go": ROOT_GO, "pkg/cmd/pulumi/widget/widget.go": added }),
        );
        expect(() => new LazyCli(reader2).command("pulumi widget")).to.throw("unknown flag-set method AddFlagSet");
    });

    it("the real fixture's facts match a few the CLI's source states plainly", () => {
        const newest = cli.versions.find((v) => v.tag === NEWEST_TAG)!;
        const up = newest.commands.find((c) => c.path.join(" ") === "up")!;
        const flag = (name: string) => up.flags.find((f) => f.name === name);
        // v3.259.0 pkg/cmd/pulumi/operations/up.go:833-835, 857-861, 922-924, 586-587.
        expect(flag("policy-pack")).to.deep.include({ value: "required", persistent: true });
        expect(flag("refresh")).to.deep.include({ short: "r", value: "optional" });
        expect(flag("yes")).to.deep.include({ short: "y", value: "none" });
        const root = newest.commands.find((c) => c.path.length === 0)!;
        expect(root.children.find((c) => c.name === "up")!.aliases).to.deep.equal(["update"]);
        expect(root.flags.find((f) => f.name === "stack")).to.equal(undefined);
    });
});
