/**
 * Reads cobra commands from the Pulumi CLI's Go source (test/docsCheck/goPackages.ts): the `&cobra.Command{...}`
 * literal a constructor builds (Use, Aliases, Hidden, Deprecated, Args), and everything the constructor does to it
 * while building it: flags registered on `cmd.Flags()` / `cmd.PersistentFlags()` and changed afterwards (MarkHidden,
 * MarkDeprecated, `.NoOptDefVal = ...`, MarkFlagRequired), constrictor.AttachArguments, AddCommand and
 * `[]*cobra.Command{...}` lists of subcommands, following each helper handed `cmd` or a flag set
 * (`remoteArgs.ApplyFlags(cmd)`, `outputflag.Var(cmd.Flags(), ...)`). Code inside function literals (RunE) runs
 * later and is not read. The conditions around a registration (`if env.Experimental.Value()`) are recorded.
 */
import {
    conditionsAt,
    findFunction,
    functionLiterals,
    goFile,
    GoFunction,
    matchClose,
    Span,
    splitTopLevel,
} from "./goSource";
import { GoPackages } from "./goPackages";
import type { CliArgs, CliFlag, FlagValue } from "./pulumiCli";

/** The root command's constructor. */
const ROOT = { file: "pkg/cmd/pulumi/pulumi.go", func: "NewPulumiCmd" };

/**
 * Constructors whose command is built outside this repository, by name: a word may resolve to them, but their flags
 * are not read. `pulumi env` is the first command of github.com/pulumi/esc's CLI (`escCLI.Commands()[0]`), with the
 * alias `esc` appended in pkg/cmd/pulumi/env/env.go.
 */
const EXTERNAL_COMMANDS: Readonly<Record<string, { name: string; aliases: string[] }>> = {
    "pkg/cmd/pulumi/env/env.go#NewEnvCmd": { name: "env", aliases: ["esc"] },
};

/** Something the command tree hands a constructor or helper: the command itself, or one of its flag sets. */
type Receiver = { kind: "cmd"; name: string } | { kind: "flags"; name: string; persistent: boolean };

/** Changes to flags made after they are registered, applied once the whole command is read. */
export interface FlagOp {
    readonly op: "hidden" | "deprecated" | "noOptDefVal" | "required";
    readonly flag: string;
    readonly value?: string;
}

/** What reading one command's constructor collects. */
export interface Collected {
    flags: CliFlag[];
    ops: FlagOp[];
    args: CliArgs[];
    /** The expressions that build the subcommands, with the function they sit in. */
    children: Array<{ fn: GoFunction; span: Span }>;
}

/** The head of a command: what its parent needs to resolve a word to it. */
export interface Head {
    readonly fn: GoFunction;
    readonly name: string;
    readonly aliases: string[];
    readonly hidden?: true;
    readonly deprecated?: string;
    readonly source: string;
    /** The variable the literal is assigned to, undefined when it is returned directly. */
    readonly varName: string | undefined;
    /** Inside the literal's braces. */
    readonly literal: Span;
    readonly args: CliArgs[];
    /** Conditions around the parent's registration of it. */
    readonly when?: string;
}

const REGISTRATION =
    /^(?:(Bool|BoolSlice|Count|String|StringSlice|StringArray|StringToString|StringToInt|StringToInt64|Int|Int8|Int16|Int32|Int64|IntSlice|Int32Slice|Int64Slice|Uint|Uint8|Uint16|Uint32|Uint64|UintSlice|Float32|Float64|Float32Slice|Float64Slice|Duration|DurationSlice|IP|IPSlice|IPMask|IPNet|BytesHex|BytesBase64|Func|BoolFunc|Text|Time)(Var)?(P)?|Var|VarP|VarPF)$/;
/** pflag types that set NoOptDefVal themselves (spf13/pflag@v1.0.10 bool.go:56,68; count.go:57; bool_func.go). */
const NO_VALUE_TYPES = new Set(["Bool", "Count", "BoolFunc"]);
/** Flag-set methods that only read, or change nothing a caller of the CLI sees. */
const FLAGSET_READERS = new Set([
    "VisitAll",
    "Visit",
    "Lookup",
    "ShorthandLookup",
    "Changed",
    "Set",
    "SetAnnotation",
    "HasFlags",
    "HasAvailableFlags",
    "FlagUsages",
    "FlagUsagesWrapped",
    "SetNormalizeFunc",
    "SetOutput",
    "SetInterspersed",
    "Parse",
    "Parsed",
    "Args",
    "NArg",
    "NFlag",
    "Arg",
    "GetBool",
    "GetString",
    "GetStringSlice",
    "GetStringArray",
    "GetInt",
    "GetInt32",
]);
/**
 * Calls handed a command that add no flag and no subcommand, or that are read separately. rattler.Install (v3.259.0
 * pkg/cmd/pulumi/rattler/rattler.go:45-91) patches the Args of every command with subcommands after the tree is
 * built, so that a positional word past the command's declaration is an unknown command: the checker applies that
 * rule itself (test/docsCheck/pulumiCommands.ts), so the patch is not read as a declaration.
 */
const IGNORED_CALLEES =
    /^(constrictor\.AttachArguments|cobra\.MarkFlagRequired|rattler\.Install|contract\.\w+|fmt\.\w+|errors\.\w+)$/;
const GO_KEYWORDS = new Set(["if", "for", "switch", "func", "return", "go", "defer", "select", "case", "range"]);
const BUILTINS = new Set(["make", "append", "len", "cap", "new", "panic", "copy", "delete", "string", "int"]);

/** Reads cobra commands from one tag of the CLI's source. */
export class CobraReader extends GoPackages {
    /** A constructor's command literal, following a constructor that returns another's result. */
    head(fn: GoFunction, depth = 0): Head {
        const { file } = fn;
        const { masked } = file;
        const external = EXTERNAL_COMMANDS[`${file.path}#${fn.name}`];
        if (external) {
            const source = this.where(file, fn.at);
            return { fn: this.use(fn), ...external, source, varName: undefined, literal: fn.body, args: [] };
        }
        const literals = functionLiterals(file, fn.body);
        const outside = (k: number) => !literals.some((l) => k >= l.start && k < l.end);
        const found: Array<{ at: number; open: number; varName: string | undefined }> = [];
        const re = /&?cobra\.Command\s*\{/g;
        re.lastIndex = fn.body.start;
        for (let m = re.exec(masked); m && m.index < fn.body.end; m = re.exec(masked)) {
            if (!outside(m.index)) continue;
            const before = masked.slice(fn.body.start, m.index);
            const assigned = /(\w+)\s*:?=\s*$/.exec(before);
            const returned = /\breturn\s*$/.test(before);
            if (!assigned && !returned) continue;
            found.push({ at: m.index, open: m.index + m[0].length - 1, varName: assigned?.[1] });
        }
        if (found.length === 0) {
            const delegate = /\breturn\s+([A-Za-z_][\w.]*)\s*\(/.exec(masked.slice(fn.body.start, fn.body.end));
            if (delegate && depth < 3) {
                return this.head(this.resolve(fn, delegate[1]!, fn.body.start + delegate.index), depth + 1);
            }
            this.fail(file, fn.at, `func ${fn.name} builds no cobra.Command`);
        }
        let chosen = found[0]!;
        if (found.length > 1) {
            const returns = [...masked.slice(fn.body.start, fn.body.end).matchAll(/\breturn\s+(\w+)\s*(?:,|\n|$)/g)];
            const ret = returns.filter((r) => outside(fn.body.start + r.index)).pop();
            chosen = found.find((f) => f.varName === ret?.[1]) ?? this.fail(file, fn.at, "which command is built?");
        }
        const literal = { start: chosen.open + 1, end: matchClose(masked, chosen.open) };
        const fields = this.fields(file, literal);
        const use = fields.get("Use") ?? this.fail(file, chosen.at, "the command has no Use");
        const names = [...new Set(this.strings(fn, use).map((s) => s.value.trim().split(/\s+/)[0]!))];
        if (names.length !== 1) this.fail(file, use.start, `Use names ${names.join(" or ")}`);
        const aliases: string[] = [];
        const aliasSpan = fields.get("Aliases");
        if (aliasSpan) {
            const open = masked.indexOf("{", aliasSpan.start);
            for (const a of splitTopLevel(masked, { start: open + 1, end: matchClose(masked, open) })) {
                aliases.push(this.oneString(fn, a));
            }
        }
        const hiddenSpan = fields.get("Hidden");
        const hidden = hiddenSpan !== undefined && masked.slice(hiddenSpan.start, hiddenSpan.end).trim() === "true";
        const deprecatedSpan = fields.get("Deprecated");
        const deprecated = deprecatedSpan ? this.oneString(fn, deprecatedSpan) : undefined;
        const argsSpan = fields.get("Args");
        return {
            fn: this.use(fn),
            name: names[0]!,
            aliases,
            ...(hidden ? { hidden: true as const } : {}),
            ...(deprecated ? { deprecated } : {}),
            source: this.where(file, chosen.at),
            varName: chosen.varName,
            literal,
            args: argsSpan ? this.argsOf(fn, argsSpan, []) : [],
        };
    }

    /** Everything a constructor registers on its command. */
    collect(head: Head): Collected {
        const out: Collected = { flags: [], ops: [], args: [...head.args], children: [] };
        if (head.varName === undefined) return out;
        this.scan(head.fn, [{ kind: "cmd", name: head.varName }], [], out, [head.literal], 0);
        return out;
    }

    /**
     * Reads one function body for what it does to `receivers`: flag registrations and changes, argument
     * declarations, subcommands, and calls of helpers handed a receiver, which are read in turn.
     */
    private scan(
        fn: GoFunction,
        receivers: Receiver[],
        when: string[],
        out: Collected,
        skip: Span[],
        depth: number,
    ): void {
        if (depth > 6) this.fail(fn.file, fn.at, "helpers nested too deep");
        const { file } = fn;
        const { masked } = file;
        const excluded = [...skip, ...functionLiterals(file, fn.body)];
        const isExcluded = (k: number) => excluded.some((s) => k >= s.start && k < s.end);
        const conditions = (k: number) => [...when, ...conditionsAt(fn, k)];
        const childSpans: Span[] = [];

        // Subcommands: `[]*cobra.Command{...}` elements, and what AddCommand is given.
        const listRe = /\[\]\*cobra\.Command\s*\{/g;
        listRe.lastIndex = fn.body.start;
        for (let m = listRe.exec(masked); m && m.index < fn.body.end; m = listRe.exec(masked)) {
            if (isExcluded(m.index)) continue;
            const open = m.index + m[0].length - 1;
            const inside = { start: open + 1, end: matchClose(masked, open) };
            childSpans.push(inside);
            for (const el of splitTopLevel(masked, inside)) out.children.push({ fn, span: el });
        }

        const flagSets: Array<{ re: string; persistent: boolean | undefined }> = [];
        for (const r of receivers) {
            if (r.kind === "cmd") {
                flagSets.push({ re: String.raw`\b${r.name}\.PersistentFlags\(\)`, persistent: true });
                flagSets.push({ re: String.raw`\b${r.name}\.(?:Flags|LocalFlags)\(\)`, persistent: false });
            } else {
                flagSets.push({ re: String.raw`(?<![\w.])${r.name}(?![\w(])`, persistent: r.persistent });
            }
        }

        // Flag-set methods: registrations, Mark*, Lookup(...).NoOptDefVal.
        for (const set of flagSets) {
            const re = new RegExp(String.raw`(?:(\w+)\s*:?=\s*)?${set.re}\.(\w+)\s*\(`, "g");
            re.lastIndex = fn.body.start;
            for (let m = re.exec(masked); m && m.index < fn.body.end; m = re.exec(masked)) {
                if (isExcluded(m.index)) continue;
                const method = m[2]!;
                const open = m.index + m[0].length - 1;
                const close = matchClose(masked, open);
                const args = splitTopLevel(masked, { start: open + 1, end: close });
                const at = m.index + (m[1] ? m[0].indexOf(m[1]) + m[1].length : 0);
                const reg = REGISTRATION.exec(method);
                if (reg) {
                    const flag = this.flag(fn, reg, args, set.persistent ?? false, conditions(at), at);
                    out.flags.push(flag);
                    if (m[1]) this.flagVariable(fn, m[1], flag.name, close, out);
                } else if (method === "MarkHidden") {
                    out.ops.push({ op: "hidden", flag: this.oneString(fn, args[0]!) });
                } else if (method === "MarkDeprecated") {
                    out.ops.push({
                        op: "deprecated",
                        flag: this.oneString(fn, args[0]!),
                        value: this.oneString(fn, args[1]!),
                    });
                } else if (method === "MarkShorthandDeprecated") {
                    continue; // the shorthand still works, with a warning
                } else if (method === "Lookup") {
                    const value = this.noOptAfter(fn, close);
                    if (value !== undefined)
                        out.ops.push({ op: "noOptDefVal", flag: this.oneString(fn, args[0]!), value });
                } else if (!FLAGSET_READERS.has(method)) {
                    this.fail(file, at, `unknown flag-set method ${method}`);
                }
            }
        }

        for (const r of receivers.filter((x) => x.kind === "cmd")) {
            // cobra.Command methods and fields.
            const re = new RegExp(String.raw`\b${r.name}\.(\w+)\b`, "g");
            re.lastIndex = fn.body.start;
            for (let m = re.exec(masked); m && m.index < fn.body.end; m = re.exec(masked)) {
                if (isExcluded(m.index)) continue;
                const member = m[1]!;
                const after = m.index + m[0].length;
                const call = /^\s*\(/.exec(masked.slice(after));
                if (call) {
                    const open = after + call[0].length - 1;
                    const close = matchClose(masked, open);
                    const args = splitTopLevel(masked, { start: open + 1, end: close });
                    if (member === "Flag") {
                        const value = this.noOptAfter(fn, close);
                        if (value !== undefined)
                            out.ops.push({ op: "noOptDefVal", flag: this.oneString(fn, args[0]!), value });
                    } else if (member === "MarkFlagRequired" || member === "MarkPersistentFlagRequired") {
                        out.ops.push({ op: "required", flag: this.oneString(fn, args[0]!) });
                    } else if (member === "AddCommand") {
                        childSpans.push({ start: open + 1, end: close });
                        for (const el of args) out.children.push(...this.commandExpressions(fn, el));
                    }
                    continue;
                }
                const assign = /^\s*=(?!=)\s*/.exec(masked.slice(after));
                if (!assign) continue;
                const start = after + assign[0].length;
                const nl = masked.indexOf("\n", start);
                const value = { start, end: nl < 0 ? fn.body.end : nl };
                if (member === "Args") out.args.push(...this.argsOf(fn, value, conditions(m.index)));
            }
        }

        // constrictor.AttachArguments(cmd, ...), cobra.MarkFlagRequired(cmd.Flags(), "x"), and helpers.
        const callRe = /(?<![\w.])((?:[A-Za-z_]\w*\.)?[A-Za-z_]\w*)\s*(?:\[[^\]\n]*\])?\(/g;
        callRe.lastIndex = fn.body.start;
        for (let m = callRe.exec(masked); m && m.index < fn.body.end; m = callRe.exec(masked)) {
            const callee = m[1]!;
            if (isExcluded(m.index) || childSpans.some((s) => m!.index >= s.start && m!.index < s.end)) continue;
            if (GO_KEYWORDS.has(callee) || BUILTINS.has(callee)) continue;
            const open = m.index + m[0].length - 1;
            const close = matchClose(masked, open);
            const args = splitTopLevel(masked, { start: open + 1, end: close });
            const handed = args.map((a) => this.receiverOf(masked.slice(a.start, a.end).trim(), receivers));
            if (!handed.some((h) => h !== undefined)) continue;
            if (receivers.some((r) => callee.startsWith(`${r.name}.`))) continue; // methods, read above
            if (callee === "constrictor.AttachArguments") {
                out.args.push(...this.argsOf(fn, args[1]!, conditions(m.index)));
                continue;
            }
            if (callee === "cobra.MarkFlagRequired") {
                out.ops.push({ op: "required", flag: this.oneString(fn, args[1]!) });
                continue;
            }
            if (IGNORED_CALLEES.test(callee)) continue;
            const helper = this.resolve(fn, callee, m.index);
            const mapped: Receiver[] = [];
            handed.forEach((h, i) => {
                const param = helper.params[i];
                if (h === undefined || param === undefined || param === "_") return;
                mapped.push(h.kind === "cmd" ? { kind: "cmd", name: param } : { ...h, name: param });
            });
            this.scan(helper, mapped, conditions(m.index), out, [], depth + 1);
        }
    }

    /**
     * The constructor calls an AddCommand argument stands for: the call itself, or the calls assigned to a variable.
     * A `range` variable stands for the elements of a `[]*cobra.Command{...}` list, which are read where it is written.
     */
    private commandExpressions(fn: GoFunction, el: Span): Array<{ fn: GoFunction; span: Span }> {
        const { masked } = fn.file;
        const expr = masked.slice(el.start, el.end).trim();
        if (!/^[A-Za-z_]\w*$/.test(expr)) return [{ fn, span: el }];
        const body = masked.slice(fn.body.start, fn.body.end);
        if (new RegExp(String.raw`\b${expr}\s*:=\s*range\b`).test(body)) return [];
        const assigned = this.assignments(fn, expr);
        if (assigned.length === 0) this.fail(fn.file, el.start, `cannot tell which command ${expr} is`);
        return assigned.map((a) => ({ fn, span: a.span }));
    }

    /** What an argument expression hands a helper: the command, one of its flag sets, or nothing of them. */
    private receiverOf(expr: string, receivers: Receiver[]): Receiver | undefined {
        for (const r of receivers) {
            if (r.kind === "flags" && expr === r.name) return r;
            if (r.kind !== "cmd") continue;
            if (expr === r.name) return r;
            if (expr === `${r.name}.PersistentFlags()`) return { kind: "flags", name: expr, persistent: true };
            if (expr === `${r.name}.Flags()` || expr === `${r.name}.LocalFlags()`) {
                return { kind: "flags", name: expr, persistent: false };
            }
        }
        return undefined;
    }

    /** `.NoOptDefVal = "..."` right after a call that ends at `close`. */
    private noOptAfter(fn: GoFunction, close: number): string | undefined {
        const m = /^\s*\.NoOptDefVal\s*=\s*/.exec(fn.file.masked.slice(close + 1));
        if (!m) return undefined;
        const start = close + 1 + m[0].length;
        const nl = fn.file.masked.indexOf("\n", start);
        return this.oneString(fn, { start, end: nl < 0 ? fn.body.end : nl });
    }

    /** `f := flags.VarPF(...)` then `f.NoOptDefVal = "true"`. */
    private flagVariable(fn: GoFunction, variable: string, flag: string, from: number, out: Collected): void {
        const re = new RegExp(String.raw`\b${variable}\.NoOptDefVal\s*=\s*`, "g");
        re.lastIndex = from;
        const m = re.exec(fn.file.masked);
        if (!m || m.index >= fn.body.end) return;
        const start = m.index + m[0].length;
        const nl = fn.file.masked.indexOf("\n", start);
        out.ops.push({ op: "noOptDefVal", flag, value: this.oneString(fn, { start, end: nl }) });
    }

    private flag(
        fn: GoFunction,
        reg: RegExpExecArray,
        args: Span[],
        persistent: boolean,
        when: string[],
        at: number,
    ): CliFlag {
        const [type, isVar, isP] = [reg[1], reg[2] !== undefined, reg[3] !== undefined];
        // Typed XxxVar(&p, name, ...) and untyped Var(value, name, ...) take the name second; Xxx(name, ...) first.
        const custom = type === undefined;
        const nameIndex = custom || isVar ? 1 : 0;
        const withShort = custom ? reg[0] !== "Var" : isP;
        const name = this.oneString(fn, args[nameIndex] ?? this.fail(fn.file, at, "a flag without a name"));
        const short = withShort ? this.oneString(fn, args[nameIndex + 1]!) : "";
        const value: FlagValue = type !== undefined && NO_VALUE_TYPES.has(type) ? "none" : "required";
        return {
            name,
            ...(short !== "" ? { short } : {}),
            value,
            persistent,
            ...(when.length > 0 ? { when: when.join(" && ") } : {}),
            source: this.where(fn.file, at),
        };
    }

    /** The root command's constructor. */
    root(): GoFunction {
        const file = this.file(ROOT.file) ?? this.fail(goFile(ROOT.file, ""), 0, "no root command file");
        return this.use(findFunction(file, ROOT.func) ?? this.fail(file, 0, `no func ${ROOT.func}`));
    }
}
