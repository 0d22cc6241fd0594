/**
 * Reads the Pulumi CLI's cobra command definitions from its Go source and writes test/fixtures/pulumiCli.json, the
 * facts test/docsCheck/pulumiCommands.ts checks the docs' `pulumi ...` commands against. CI has no copy of the CLI's
 * source, so the fixture is committed and the docs test reads only it; run this where a mirror of github:pulumi/pulumi
 * exists (a bare git clone holding the tags; FRESHTRACK_PULUMI_MIRROR names it, else the one the `fetch` tool puts at
 * /work/.mirror/pulumi+pulumi/repo is read):
 *
 *     npx ts-node --transpile-only test/docsCheck/pulumiCliFacts.ts [<mirror git dir>] [<tag> ...]
 *
 * It starts at the root command (pkg/cmd/pulumi/pulumi.go, NewPulumiCmd), lists every subcommand the root adds, and
 * reads in full each command a `pulumi ...` line of README.md or docs/ reaches, with its ancestors: the Use name and
 * aliases of the `&cobra.Command{...}` literal, its positional-argument declaration (`Args:` or
 * constrictor.AttachArguments), and every flag registered on `cmd.Flags()` / `cmd.PersistentFlags()`, following the
 * helpers the constructor hands `cmd` or a flag set to (`remoteArgs.ApplyFlags(cmd)`, `outputflag.Var(...)`). What
 * it cannot read (a flag name that is no string literal, a flag-set method it does not know) stops it with the file
 * and line, so nothing is guessed; conditions around a registration (`if env.Experimental.Value()`) are recorded.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { MIN_PULUMI_CLI_VERSION } from "../../components/config/projectFile";
import { CobraReader, FlagOp, Head } from "./cobraReader";
import { loadRepoFacts, markdownPages } from "./facts";
import type { GoTree } from "./goPackages";
import { conditionsAt, lineAt } from "./goSource";
import type { CliChild, CliCommand, CliFlag, CliVersion, PulumiCliFixture } from "./pulumiCli";
import { commandPaths, pulumiInvocations } from "./pulumiCommands";

/** The newest tag of github:pulumi/pulumi the mirror holds; the oldest supported one comes from the project. */
export const NEWEST_TAG = "v3.259.0";
export const TAGS = [`v${MIN_PULUMI_CLI_VERSION}`, NEWEST_TAG];
export const FIXTURE = path.join(__dirname, "..", "fixtures", "pulumiCli.json");

/** The environment variable that names a mirror of the CLI's source: a bare git clone of github:pulumi/pulumi. */
export const MIRROR_VARIABLE = "FRESHTRACK_PULUMI_MIRROR";
const DEFAULT_MIRROR = "/work/.mirror/pulumi+pulumi/repo";

/** Where the mirror is: the variable's value when set, else where the `fetch` tool puts one. */
export function pulumiMirror(env: NodeJS.ProcessEnv = process.env): { dir: string; named: boolean } {
    const named = env[MIRROR_VARIABLE];
    return named ? { dir: named, named: true } : { dir: DEFAULT_MIRROR, named: false };
}

/**
 * Flags cobra adds while it runs a command: `--help`/`-h` on every command (InitDefaultHelpFlag), and `--version` on a
 * command that sets Version, with `-v` only when no flag has that shorthand (InitDefaultVersionFlag). Lines read at
 * each cobra version the CLI's pkg/go.mod requires.
 */
const COBRA_DEFAULT_FLAGS: Readonly<Record<string, { help: string; version: string }>> = {
    "v1.8.0": { help: "spf13/cobra@v1.8.0 command.go:1195", version: "spf13/cobra@v1.8.0 command.go:1218-1220" },
    "v1.10.2": { help: "spf13/cobra@v1.10.2 command.go:1229", version: "spf13/cobra@v1.10.2 command.go:1251-1254" },
};

/** A tag of a bare git repository. */
export function gitTree(gitDir: string, tag: string): GoTree & { commit: string } {
    const git = (...args: string[]) =>
        execFileSync("git", ["--git-dir", gitDir, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return {
        commit: git("rev-parse", `${tag}^{commit}`).trim(),
        read: (file) => {
            try {
                return git("show", `${tag}:${file}`);
            } catch {
                return undefined;
            }
        },
        list: (dir) =>
            git("ls-tree", "--name-only", tag, `${dir.replace(/\/$/, "")}/`)
                .split("\n")
                .filter((f) => f !== ""),
    };
}

/** Applies the changes made after registration: hidden, deprecated, NoOptDefVal, required. */
function applyOps(flags: CliFlag[], ops: FlagOp[], where: string): CliFlag[] {
    const out = flags.map((f): { -readonly [K in keyof CliFlag]: CliFlag[K] } => ({ ...f }));
    for (const op of ops) {
        const named = out.filter((f) => f.name === op.flag);
        if (named.length === 0)
            throw new Error(`${where}: ${op.op} of a flag '${op.flag}' the command does not register`);
        for (const f of named) {
            if (op.op === "hidden") f.hidden = true;
            else if (op.op === "deprecated") f.deprecated = op.value!;
            else if (op.op === "required") f.required = true;
            else if (f.value !== "none") f.value = "optional";
        }
    }
    return out;
}

/** A lazily read command tree: each command is read the first time a path reaches it. */
export class LazyCli {
    private readonly commands = new Map<string, CliCommand>();
    private readonly childHeads = new Map<string, Head[]>();
    readonly rootVersion: boolean;

    constructor(private readonly reader: CobraReader) {
        const head = reader.head(reader.root());
        this.read("pulumi", head);
        this.rootVersion = /(^|\n)\s*Version\s*:/.test(head.fn.file.masked.slice(head.literal.start, head.literal.end));
    }

    private read(pathName: string, head: Head): CliCommand {
        const collected = this.reader.collect(head);
        const heads = collected.children.map((c) => {
            const { fn, span } = c;
            const expr = fn.file.masked.slice(span.start, span.end).trim();
            const call = /^([A-Za-z_][\w.]*)\s*\(/.exec(expr);
            if (!call) throw new Error(`${fn.file.path}:${lineAt(fn.file, span.start)}: a subcommand that is no call`);
            const childHead = this.reader.head(this.reader.resolve(fn, call[1]!, span.start));
            const when = conditionsAt(fn, span.start);
            return when.length > 0 ? { ...childHead, when: when.join(" && ") } : childHead;
        });
        this.childHeads.set(pathName, heads);
        const command: CliCommand = {
            path: pathName.split(" ").slice(1),
            source: head.source,
            args: collected.args,
            flags: applyOps(collected.flags, collected.ops, head.source),
            children: heads.map((h): CliChild => ({
                name: h.name,
                aliases: h.aliases,
                ...(h.hidden ? { hidden: true as const } : {}),
                ...(h.deprecated ? { deprecated: h.deprecated } : {}),
                ...(h.when !== undefined ? { when: h.when } : {}),
                source: h.source,
            })),
        };
        this.commands.set(pathName, command);
        return command;
    }

    /** The command at a path (`pulumi stack output`), read now if need be; undefined when no such command. */
    command(pathName: string): CliCommand | undefined {
        const known = this.commands.get(pathName);
        if (known) return known;
        const words = pathName.split(" ");
        const parentPath = words.slice(0, -1).join(" ");
        if (parentPath === "" || this.command(parentPath) === undefined) return undefined;
        const word = words[words.length - 1]!;
        const head = this.childHeads.get(parentPath)!.find((h) => h.name === word);
        return head ? this.read(pathName, head) : undefined;
    }

    all(): CliCommand[] {
        return [...this.commands.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, c]) => c);
    }
}

/** The facts of one tag: the root, and every command the docs' `pulumi ...` lines reach. */
export function readVersion(
    tree: GoTree & { commit: string },
    tag: string,
    invocations: ReadonlyArray<readonly string[]>,
): CliVersion {
    const reader = new CobraReader(tree);
    const cli = new LazyCli(reader);
    for (const words of invocations) commandPaths(words, (p) => cli.command(p));
    const goMod = tree.read("pkg/go.mod") ?? "";
    const cobra = /github\.com\/spf13\/cobra (v\S+)/.exec(goMod)?.[1] ?? "unknown";
    const pflag = /github\.com\/spf13\/pflag (v\S+)/.exec(goMod)?.[1] ?? "unknown";
    const defaults = COBRA_DEFAULT_FLAGS[cobra];
    if (!defaults) throw new Error(`${tag} requires cobra ${cobra}: read its InitDefaultHelpFlag and add it here`);
    const root = cli.command("pulumi")!;
    const vTaken = root.flags.some((f) => f.short === "v");
    return {
        tag,
        commit: tree.commit,
        cobra,
        pflag,
        sources: [...reader.sources, "pkg/go.mod"].sort(),
        implicitFlags: {
            everyCommand: [{ name: "help", short: "h", value: "none", persistent: false, source: defaults.help }],
            root: cli.rootVersion
                ? [
                      {
                          name: "version",
                          ...(vTaken ? {} : { short: "v" }),
                          value: "none",
                          persistent: false,
                          source: defaults.version,
                      },
                  ]
                : [],
        },
        commands: cli.all(),
    };
}

/** Every `pulumi ...` invocation of README.md and docs/, as words. */
export function docInvocations(root: string): Array<readonly string[]> {
    const facts = loadRepoFacts(root);
    return markdownPages(facts).flatMap((page) =>
        pulumiInvocations(fs.readFileSync(path.join(root, page), "utf8")).map((i) => i.words),
    );
}

export function buildFixture(gitDir: string, tags: readonly string[], root: string): PulumiCliFixture {
    const invocations = docInvocations(root);
    return {
        about:
            "The Pulumi CLI's commands and flags, read from its cobra definitions at each tag: the root and every " +
            "command a `pulumi ...` line of README.md or docs/ reaches. Checked against by test/docsPulumiCommands.test.ts.",
        repository: "github.com/pulumi/pulumi",
        generator: "npx ts-node --transpile-only test/docsCheck/pulumiCliFacts.ts [<mirror git dir>] [<tag> ...]",
        method:
            "parsed: a reader of the Go source (test/docsCheck/goSource.ts) follows each constructor's cobra.Command " +
            "literal, its Flags()/PersistentFlags() calls and the helpers handed cmd or a flag set. Written by hand, each " +
            "with its citation in the generator: cobra's own --help and --version, and the name of the env command, " +
            "which github.com/pulumi/esc builds",
        versions: tags.map((tag) => {
            try {
                return readVersion(gitTree(gitDir, tag), tag, invocations);
            } catch (e) {
                throw new Error(`${tag}: ${(e as Error).message}`, { cause: e });
            }
        }),
    };
}

/** Writes the fixture, laid out as prettier lays out the repository's JSON (.prettierrc.json). */
async function main(): Promise<void> {
    const [gitDir = pulumiMirror().dir, ...tagArgs] = process.argv.slice(2);
    const tags = tagArgs.length > 0 ? tagArgs : TAGS;
    const fixture = buildFixture(gitDir, tags, path.join(__dirname, "..", ".."));
    const prettier = await import("prettier");
    const options = (await prettier.resolveConfig(FIXTURE)) ?? {};
    fs.writeFileSync(FIXTURE, await prettier.format(JSON.stringify(fixture), { ...options, filepath: FIXTURE }));
    for (const v of fixture.versions) console.log(`${v.tag}: ${v.commands.length} commands read`);
}

if (require.main === module) {
    main().catch((e: unknown) => {
        console.error(e);
        process.exit(1);
    });
}
