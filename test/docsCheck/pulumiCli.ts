/**
 * The shape of test/fixtures/pulumiCli.json: the Pulumi CLI's commands and flags as its cobra definitions declare
 * them, at each CLI version the docs must work with. Written by test/docsCheck/pulumiCliFacts.ts from the CLI's
 * source; read by test/docsCheck/pulumiCommands.ts.
 */

/**
 * How a flag treats the word after it. pflag's parser (spf13/pflag@v1.0.10 flag.go:1013-1025 for `--name`,
 * 1079-1090 for `-n`) takes `--name=value` always; without `=` it takes the next word only when the flag has no
 * NoOptDefVal. Bool and count flags set one (bool.go:56,68; count.go:57), and so does a command that writes
 * `.NoOptDefVal = ...` itself (`--refresh` of `pulumi up`).
 */
export type FlagValue = "required" | "optional" | "none";

export interface CliFlag {
    readonly name: string;
    readonly short?: string;
    readonly value: FlagValue;
    /** Registered on PersistentFlags(): subcommands inherit it. */
    readonly persistent: boolean;
    readonly hidden?: true;
    readonly deprecated?: string;
    /** MarkFlagRequired / MarkPersistentFlagRequired. */
    readonly required?: true;
    /** The Go conditions the registration runs under (`env.Experimental.Value()`); absent when it always runs. */
    readonly when?: string;
    /** Where it is registered, `path:line` at the version's tag. */
    readonly source: string;
}

/** One way the command's positional arguments are declared (cobra `Args:` or constrictor.AttachArguments). */
export interface CliArgs {
    readonly min: number;
    /** null: no upper bound. */
    readonly max: number | null;
    readonly when?: string;
    readonly source: string;
}

/** A subcommand as its parent lists it: enough to resolve a word to it. */
export interface CliChild {
    readonly name: string;
    readonly aliases: readonly string[];
    readonly hidden?: true;
    readonly deprecated?: string;
    readonly when?: string;
    readonly source: string;
}

export interface CliCommand {
    /** The words after the program's name: [] for the root, ["stack", "output"] for `pulumi stack output`. */
    readonly path: readonly string[];
    readonly source: string;
    /** Every declaration found; none means cobra's default (any number for a leaf, none for a group). */
    readonly args: readonly CliArgs[];
    /** The command's own flags, local and persistent; the inherited ones are its ancestors' persistent flags. */
    readonly flags: readonly CliFlag[];
    readonly children: readonly CliChild[];
}

export interface CliVersion {
    readonly tag: string;
    readonly commit: string;
    /** The cobra and pflag versions the CLI's pkg/go.mod requires at the tag. */
    readonly cobra: string;
    readonly pflag: string;
    /** Every file the facts were read from. */
    readonly sources: readonly string[];
    /** Flags cobra adds itself: `--help` on every command, `--version` on a root that sets Version. */
    readonly implicitFlags: {
        readonly everyCommand: readonly CliFlag[];
        readonly root: readonly CliFlag[];
    };
    /** The root and every command the docs reach, with the ancestors on the way. */
    readonly commands: readonly CliCommand[];
}

export interface PulumiCliFixture {
    readonly about: string;
    readonly repository: string;
    readonly generator: string;
    readonly method: string;
    readonly versions: readonly CliVersion[];
}
