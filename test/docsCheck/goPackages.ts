/**
 * Go packages of one tag of github:pulumi/pulumi, read as text (test/docsCheck/goSource.ts): files by folder, the
 * function a call names, the values a variable is assigned, string literals and constants, and cobra's declarations
 * of positional arguments. test/docsCheck/cobraReader.ts reads the commands with it. What it cannot read stops it
 * with the file and line.
 */
import * as path from "path";
import {
    conditionsAt,
    findFunction,
    goFile,
    GoFile,
    GoFunction,
    imports,
    lineAt,
    matchClose,
    Span,
    splitTopLevel,
    stringValue,
} from "./goSource";
import type { CliArgs } from "./pulumiCli";

/** Go module paths of the repository's modules, and their folders. */
const MODULES: ReadonlyArray<readonly [string, string]> = [
    ["github.com/pulumi/pulumi/pkg/v3/", "pkg/"],
    ["github.com/pulumi/pulumi/sdk/v3/", "sdk/"],
];

/** Reads the files of one tag. */
export interface GoTree {
    /** The file's text, or undefined when the tag has no such file. */
    read(file: string): string | undefined;
    /** Paths of the files directly in a folder. */
    list(dir: string): string[];
}

/** Reads Go packages from one tag of the CLI's source. */
export class GoPackages {
    protected readonly files = new Map<string, GoFile | undefined>();
    protected readonly dirs = new Map<string, GoFile[]>();
    readonly sources = new Set<string>();

    constructor(private readonly tree: GoTree) {}

    file(p: string): GoFile | undefined {
        if (!this.files.has(p)) {
            const text = this.tree.read(p);
            this.files.set(p, text === undefined ? undefined : goFile(p, text));
        }
        return this.files.get(p);
    }

    protected packageFiles(dir: string): GoFile[] {
        if (!this.dirs.has(dir)) {
            const names = this.tree.list(dir).filter((f) => f.endsWith(".go") && !f.endsWith("_test.go"));
            this.dirs.set(
                dir,
                names.map((f) => this.file(f)).filter((f): f is GoFile => f !== undefined),
            );
        }
        return this.dirs.get(dir)!;
    }

    protected where(file: GoFile, offset: number): string {
        return `${file.path}:${lineAt(file, offset)}`;
    }

    protected fail(file: GoFile, offset: number, what: string): never {
        throw new Error(`${this.where(file, offset)}: ${what}`);
    }

    protected use(fn: GoFunction): GoFunction {
        this.sources.add(fn.file.path);
        return fn;
    }

    /** The function `name` of a package folder; `receiverType` for a method. */
    protected inPackage(dir: string, name: string, receiverType?: string): GoFunction | undefined {
        for (const f of this.packageFiles(dir)) {
            const fn = receiverType === undefined ? findFunction(f, name) : findFunction(f, name, true, receiverType);
            if (fn) return this.use(fn);
        }
        return undefined;
    }

    protected importDir(file: GoFile, alias: string): string | undefined {
        const importPath = imports(file).get(alias);
        if (importPath === undefined) return undefined;
        for (const [prefix, dir] of MODULES)
            if (importPath.startsWith(prefix)) return dir + importPath.slice(prefix.length);
        return undefined;
    }

    /** The function a call in `caller` names: `f`, `pkg.F`, or `x.M` with x's type declared in the caller. */
    resolve(caller: GoFunction, callee: string, at: number): GoFunction {
        const file = caller.file;
        const dir = path.posix.dirname(file.path);
        const dot = callee.indexOf(".");
        let found: GoFunction | undefined;
        if (dot < 0) {
            found = this.inPackage(dir, callee);
        } else {
            const [head, member] = [callee.slice(0, dot), callee.slice(dot + 1)];
            const pkgDir = this.importDir(file, head);
            if (pkgDir !== undefined) {
                found = this.inPackage(pkgDir, member);
            } else {
                const type = this.typeOf(caller, head);
                if (type) {
                    const typeDir = type.pkg === undefined ? dir : this.importDir(file, type.pkg);
                    if (typeDir !== undefined) found = this.inPackage(typeDir, member, type.name);
                }
            }
        }
        return found ?? this.fail(file, at, `cannot find the function ${callee}`);
    }

    /** The type of a local variable, from `x := pkg.T{...}`, `x := &T{}` or `var x pkg.T`. */
    protected typeOf(fn: GoFunction, name: string): { pkg?: string; name: string } | undefined {
        const body = fn.file.masked.slice(fn.body.start, fn.body.end);
        const m =
            new RegExp(String.raw`\b${name}\s*:=\s*&?(?:(\w+)\.)?(\w+)\s*\{`).exec(body) ??
            new RegExp(String.raw`\bvar\s+${name}\s+\*?(?:(\w+)\.)?(\w+)`).exec(body);
        if (!m) return undefined;
        return m[1] === undefined ? { name: m[2]! } : { pkg: m[1], name: m[2]! };
    }

    /** Where each assignment to a local variable puts its value, with the conditions it runs under. */
    protected assignments(fn: GoFunction, name: string): Array<{ span: Span; when: string[] }> {
        const { masked } = fn.file;
        const out: Array<{ span: Span; when: string[] }> = [];
        const re = /(?:^|[\n;{])[ \t]*(?:var[ \t]+)?([A-Za-z_][\w \t,]*?)[ \t]*:?=[ \t]*/g;
        re.lastIndex = fn.body.start;
        for (let m = re.exec(masked); m && m.index < fn.body.end; m = re.exec(masked)) {
            const targets = m[1]!.split(",").map((t) => t.trim());
            const index = targets.indexOf(name);
            if (index < 0) continue;
            const start = m.index + m[0].length;
            let end = start;
            for (let depth = 0; end < fn.body.end; end++) {
                const c = masked[end]!;
                if ("([{".includes(c)) depth++;
                else if (")]}".includes(c)) depth--;
                if (depth < 0 || (depth === 0 && (c === "\n" || c === ";"))) break;
            }
            const values = splitTopLevel(masked, { start, end });
            const span = values.length === targets.length ? values[index] : undefined;
            if (span) out.push({ span, when: conditionsAt(fn, m.index) });
        }
        return out;
    }

    /** The values a string expression can have: a literal, or a variable's assigned literals. */
    protected strings(fn: GoFunction, span: Span): Array<{ value: string; when: string[] }> {
        const literal = stringValue(fn.file, span);
        if (literal !== undefined) return [{ value: literal, when: [] }];
        const id = fn.file.masked.slice(span.start, span.end).trim();
        if (/^[A-Za-z_]\w*$/.test(id)) {
            const local = this.assignments(fn, id).flatMap((a) =>
                this.strings(fn, a.span).map((s) => ({ value: s.value, when: [...a.when, ...s.when] })),
            );
            if (local.length > 0) return local;
            const constant = this.packageConstant(fn.file, id);
            if (constant !== undefined) return [{ value: constant, when: [] }];
        }
        return this.fail(fn.file, span.start, `cannot read the string ${fn.file.text.slice(span.start, span.end)}`);
    }

    /** `const name = "..."` (or a var) at the top level of a file of the same package. */
    protected packageConstant(file: GoFile, name: string): string | undefined {
        for (const f of this.packageFiles(path.posix.dirname(file.path))) {
            const m = new RegExp(String.raw`(?:^|\n)\s*(?:const\s+|var\s+)?${name}\s*(?:string\s*)?=\s*`).exec(
                f.masked,
            );
            if (!m) continue;
            const start = m.index + m[0].length;
            const end = f.masked.indexOf("\n", start);
            const value = stringValue(f, { start, end: end < 0 ? f.masked.length : end });
            if (value !== undefined) {
                this.sources.add(f.path);
                return value;
            }
        }
        return undefined;
    }

    protected oneString(fn: GoFunction, span: Span): string {
        const values = [...new Set(this.strings(fn, span).map((s) => s.value))];
        if (values.length !== 1) this.fail(fn.file, span.start, `the string has ${values.length} possible values`);
        return values[0]!;
    }

    /** The positional-argument declarations an expression stands for. */
    protected argsOf(fn: GoFunction, span: Span, when: string[]): CliArgs[] {
        const { file } = fn;
        const expr = file.masked.slice(span.start, span.end).trim();
        const source = this.where(file, span.start);
        const args = (min: number, max: number | null): CliArgs[] => [
            { min, max, ...(when.length > 0 ? { when: when.join(" && ") } : {}), source },
        ];
        let m: RegExpExecArray | null;
        if (/^(cmdutil|cobra|constrictor)\.NoArgs$/.test(expr)) return args(0, 0);
        if (/^(cobra\.ArbitraryArgs|constrictor\.UnrestrictedArgs)$/.test(expr)) return args(0, null);
        if ((m = /^(?:cmdutil|cobra)\.(MaximumNArgs|MinimumNArgs|ExactArgs)\(\s*(\d+)\s*\)$/.exec(expr))) {
            const n = Number(m[2]);
            return m[1] === "MaximumNArgs" ? args(0, n) : m[1] === "MinimumNArgs" ? args(n, null) : args(n, n);
        }
        if ((m = /^(?:cmdutil|cobra)\.RangeArgs\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(expr))) {
            return args(Number(m[1]), Number(m[2]));
        }
        if (/^cmdutil\.SpecificArgs\(\s*\[\]string\{/.test(expr)) {
            const open = file.masked.indexOf("{", span.start);
            const n = splitTopLevel(file.masked, { start: open + 1, end: matchClose(file.masked, open) }).length;
            return args(n, n);
        }
        if (/^cmdutil\.ArgsFunc\(/.test(expr)) {
            const open = file.masked.indexOf("(", span.start);
            return this.argsOf(fn, { start: open + 1, end: matchClose(file.masked, open) }, when);
        }
        if (/^&?constrictor\.Arguments\s*\{/.test(expr)) {
            const open = file.masked.indexOf("{", span.start);
            const fields = this.fields(file, { start: open + 1, end: matchClose(file.masked, open) });
            const list = fields.get("Arguments");
            let count = 0;
            if (list) {
                const listOpen = file.masked.indexOf("{", list.start);
                count = splitTopLevel(file.masked, {
                    start: listOpen + 1,
                    end: matchClose(file.masked, listOpen),
                }).length;
            }
            const required = fields.get("Required");
            const min = required ? Number(file.masked.slice(required.start, required.end).trim()) : 0;
            const variadic = fields.get("Variadic");
            const isVariadic =
                variadic !== undefined && file.masked.slice(variadic.start, variadic.end).trim() === "true";
            if (Number.isNaN(min)) this.fail(file, span.start, "Required is not a number");
            return args(min, isVariadic ? null : count);
        }
        if (/^[A-Za-z_]\w*$/.test(expr)) {
            const assigned = this.assignments(fn, expr);
            if (assigned.length > 0) return assigned.flatMap((a) => this.argsOf(fn, a.span, [...when, ...a.when]));
        }
        return this.fail(file, span.start, `cannot read the argument declaration ${expr}`);
    }

    /** `Key: value` elements of a composite literal. */
    protected fields(file: GoFile, inside: Span): Map<string, Span> {
        const out = new Map<string, Span>();
        for (const part of splitTopLevel(file.masked, inside)) {
            const m = /^(\w+)\s*:\s*/.exec(file.masked.slice(part.start, part.end));
            if (m) out.set(m[1]!, { start: part.start + m[0].length, end: part.end });
        }
        return out;
    }
}
