/**
 * Config keys a page names (`freshtrack:<key>`, `pulumi config set|get|rm`, `config:` of a YAML stack file, a
 * `freshtrack:<key>: {...}` written inline, and a setting's path in a code span), checked against the keys Pulumi.yaml
 * declares, the settings the config schema accepts at every depth (RepoFacts.configTree: object members, each
 * service of `resources` and its limits, list items) and the provider packages' namespaces.
 */
import * as YAML from "yaml";
import type { FieldSpec, FieldSpecs } from "../../components/config/fields";
import type { KeySpec } from "../../components/config/schema";
import { closestMatch } from "../../components/validation";
import type { DocProblem, RepoFacts } from "./facts";
import { pageCommands } from "./commandWords";
import { codeSpans, fencedBlocks, lines } from "./markdown";

/**
 * What a config path may continue with below a key or one of its settings: nothing (a single value), the members of
 * an object, or a list's items. `items` is absent where the schema checks the items with a function instead of
 * declaring settings for them (rollback.exportTables, the CIDRs of adminCidrs): nothing below an item is checked.
 */
export type ConfigNode =
    | { readonly kind: "value" }
    | { readonly kind: "object"; readonly members: ReadonlyMap<string, ConfigNode> }
    | { readonly kind: "list"; readonly items?: ConfigNode };

const VALUE: ConfigNode = { kind: "value" };

function fieldNode(spec: FieldSpec<unknown>): ConfigNode {
    if (spec.kind === "object") return objectNode(spec.fields);
    if (spec.kind === "list") return { kind: "list" };
    return VALUE;
}

function objectNode(fields: FieldSpecs): ConfigNode {
    return { kind: "object", members: new Map(Object.entries(fields).map(([name, f]) => [name, fieldNode(f)])) };
}

/**
 * Every key of the schema (components/config/schema.ts) as a tree of the settings it accepts: an object key's fields
 * and the nested settings it reads beside their secrets (components/config/nestedFields.ts, NESTED), each as deep as
 * it is declared; an array key's items are single values; a secret or a scalar key has nothing below it.
 */
export function configTreeOf(
    schema: Readonly<Record<string, KeySpec>>,
    nested: Readonly<Record<string, FieldSpecs>>,
): ReadonlyMap<string, ConfigNode> {
    const tree = new Map<string, ConfigNode>();
    for (const [key, spec] of Object.entries(schema)) {
        if ("secret" in spec) tree.set(key, VALUE);
        else if (spec.type === "object") tree.set(key, objectNode({ ...spec.fields, ...(nested[key] ?? {}) }));
        else if (spec.type === "array") tree.set(key, { kind: "list", items: VALUE });
        else tree.set(key, VALUE);
    }
    return tree;
}

/** One step of a path: a setting's name, or a list index. */
type Segment = string | number;

/** One key a page names, as written: namespace, top-level key and the path below it. */
interface NamedKey {
    readonly namespace: string;
    readonly key: string;
    readonly sub: readonly Segment[];
    readonly line: number;
    readonly as: string;
    /**
     * Named in passing (a code span that could be something else, such as `database.volume` or `alerts.created_at`):
     * only a setting close to an accepted one (a misspelling) is reported.
     */
    readonly loose?: true;
}

/**
 * Splits a property path the way the CLI's --path does (pulumi/pulumi@v3.259.0
 * sdk/go/common/resource/config/map.go:330-355, strict ParsePropertyPath of sdk/go/common/resource/properties_path.go:
 * 30-56): `a.b[0].c` or `a["b.c"]` into `a`, `[b, 0, c]`.
 */
function splitKeyPath(keyPath: string): { key: string; sub: Segment[] } {
    const parts: Segment[] = [];
    const re = /([^.[\]]+)|\[(?:"((?:\\"|[^"])*)"|(\d+))\]/g;
    for (const m of keyPath.matchAll(re)) {
        if (m[1] !== undefined) parts.push(m[1]);
        else if (m[2] !== undefined) parts.push(m[2].replace(/\\"/g, '"'));
        else parts.push(Number(m[3]));
    }
    const [key, ...sub] = parts;
    return { key: typeof key === "string" ? key : "", sub };
}

function pathText(key: string, sub: readonly Segment[]): string {
    return key + sub.map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`)).join("");
}

/** What is wrong with the path below `key`, or undefined when the schema accepts it (or does not say). */
function pathProblem(named: NamedKey, node: ConfigNode | undefined): string | undefined {
    let current = node;
    for (let i = 0; i < named.sub.length && current !== undefined; i++) {
        const at = pathText(named.key, named.sub.slice(0, i));
        const step = named.sub[i]!;
        if (typeof step === "number") {
            if (current.kind !== "list") return `'${at}' is not a list, so it has no item [${step}]`;
            current = current.items;
        } else if (current.kind === "object") {
            const next = current.members.get(step);
            if (next === undefined) {
                const accepted = [...current.members.keys()];
                const near = closestMatch(step, accepted);
                if (named.loose && near === undefined) return undefined;
                return `'${at}' has no setting '${step}'${near ? `; did you mean '${near}'?` : ""} (accepted: ${accepted.join(", ")})`;
            }
            current = next;
        } else if (named.loose) {
            return undefined;
        } else {
            return current.kind === "list"
                ? `'${at}' is a list: its items are ${at}[0], ${at}[1], ...`
                : `'${at}' is a single value, with no setting '${step}' below it`;
        }
    }
    return undefined;
}

function checkKey(
    named: NamedKey,
    file: string,
    facts: Pick<RepoFacts, "project" | "configKeys" | "configTree" | "providerNamespaces">,
): DocProblem | undefined {
    const problem = (message: string): DocProblem => ({
        file,
        line: named.line,
        kind: "config",
        message: `\`${named.as}\`: ${message}`,
    });
    if (named.namespace !== facts.project) {
        if (named.namespace === "pulumi" || facts.providerNamespaces.has(named.namespace)) return undefined;
        return problem(
            `the namespace '${named.namespace}' is neither this project's nor a provider package in package.json (${[...facts.providerNamespaces].join(", ")})`,
        );
    }
    if (!facts.configKeys.has(named.key)) return problem(`'${named.key}' is not declared under config: in Pulumi.yaml`);
    const wrong = pathProblem(named, facts.configTree.get(named.key));
    return wrong === undefined ? undefined : problem(wrong);
}

const KEY = "[A-Za-z_][A-Za-z0-9_]*";
/** A path below a key: `.name`, `[0]` or `["name"]` steps. */
const SUB_PATH = `(?:\\.[A-Za-z_][\\w-]*|\\[\\d+\\]|\\["[^"]*"\\])*`;

/**
 * Every path to a value inside `value` (a YAML mapping as a stack file or a page writes one), below `sub`. An
 * encrypted value, `{secure: <ciphertext>}`, is one value (pulumi/pulumi@v3.259.0
 * sdk/go/common/resource/config/object.go:540-551, isSecureValue); an empty mapping or list is a path of its own.
 */
function valuePaths(value: unknown, sub: readonly Segment[]): Segment[][] {
    if (Array.isArray(value)) {
        if (value.length === 0) return [[...sub]];
        return value.flatMap((v, i) => valuePaths(v, [...sub, i]));
    }
    if (typeof value === "object" && value !== null) {
        const entries = Object.entries(value as Record<string, unknown>);
        const secure = entries.length === 1 && entries[0]![0] === "secure" && typeof entries[0]![1] === "string";
        if (secure || entries.length === 0) return [[...sub]];
        return entries.flatMap(([k, v]) => valuePaths(v, [...sub, k]));
    }
    return [[...sub]];
}

/** The `{...}` that starts at `text[start]`, up to its matching brace (quotes respected); undefined when unclosed. */
function braced(text: string, start: number): string | undefined {
    let depth = 0;
    let quote: string | undefined;
    for (let i = start; i < text.length; i++) {
        const c = text[i]!;
        if (quote !== undefined) {
            if (c === quote) quote = undefined;
        } else if (c === '"' || c === "'") quote = c;
        else if (c === "{") depth++;
        else if (c === "}" && --depth === 0) return text.slice(start, i + 1);
    }
    return undefined;
}

/** The keys of a YAML mapping of config (a stack file's `config:`), one per path to a value. */
function mappingKeys(config: Record<string, unknown>, project: string, line: number): NamedKey[] {
    const keys: NamedKey[] = [];
    for (const [qualified, value] of Object.entries(config)) {
        const colon = qualified.indexOf(":");
        const namespace = colon < 0 ? project : qualified.slice(0, colon);
        const { key, sub } = splitKeyPath(colon < 0 ? qualified : qualified.slice(colon + 1));
        for (const path of valuePaths(value, sub))
            keys.push({ namespace, key, sub: path, line, as: [qualified, ...path.slice(sub.length)].join(" > ") });
    }
    return keys;
}

/** Flags of `pulumi config set|get|rm` (and the global ones) that take the next word as their value. */
const CONFIG_VALUE_FLAGS = new Set(["--stack", "-s", "--config-file", "--cwd", "-C", "--type"]);

/**
 * The key a `pulumi config set|get|rm` command names, with its verb and whether --path reads it as a path; undefined
 * for another command, or one that leaves the key to the sentence (`pulumi config set --secret`, `<key>`). The words
 * come from the docs' shell reader (commandWords.ts, pageCommands), so a command wrapped over lines with `\`, run
 * behind `env` or in a subshell is read whole, its quotes taken off as the shell takes them. Flags may stand anywhere,
 * before `config` too (`pulumi -C dir config set ...`), as cobra and pflag read them.
 */
export function configCommandKey(
    words: readonly string[],
): { verb: string; key: string; withPath: boolean } | undefined {
    if (words[0] !== "pulumi") return undefined;
    const positional: string[] = [];
    let withPath = false;
    for (let i = 1; i < words.length; i++) {
        const w = words[i]!;
        if (w === "--") {
            positional.push(...words.slice(i + 1));
            break;
        }
        if (w === "--path" || w === "--path=true") withPath = true;
        else if (CONFIG_VALUE_FLAGS.has(w)) i++;
        else if (!w.startsWith("-") || w === "-") positional.push(w);
    }
    const [group, verb, key] = positional;
    if (group !== "config" || !["set", "get", "rm"].includes(verb ?? "")) return undefined;
    if (key === undefined || key.startsWith("<") || key === "...") return undefined;
    return { verb: verb!, key, withPath };
}

/**
 * Keys named as `freshtrack:<key>[.<sub>]` (with an inline `: {...}` value read as YAML), in `pulumi config set`,
 * `get` and `rm` commands, in `config:` of fenced YAML stack files (or a fragment of one), as `.sibling` code spans
 * after a path in the same line, and as `<objectKey>.<setting>` code spans.
 */
export function namedConfigKeys(
    md: string,
    project: string,
    objectKeys: ReadonlySet<string> = new Set(),
): { keys: NamedKey[]; problems: Array<{ line: number; message: string }> } {
    const keys: NamedKey[] = [];
    const problems: Array<{ line: number; message: string }> = [];
    const prefixed = new RegExp(`(?<![\\w.:/-])${project}:(${KEY})(${SUB_PATH})(?![\\w-]|:[A-Za-z])`, "g");
    for (const l of lines(md)) {
        for (const m of l.text.matchAll(prefixed)) {
            const { sub } = splitKeyPath(`x${m[2] ?? ""}`);
            keys.push({ namespace: project, key: m[1]!, sub, line: l.n, as: m[0] });
            const after = l.text.slice(m.index + m[0].length);
            const flow = /^:\s*(?=\{)/.exec(after);
            const body = flow ? braced(after, flow[0].length) : undefined;
            let value: unknown;
            try {
                value = body === undefined ? undefined : YAML.parse(body);
            } catch {
                value = undefined; // prose in braces, not YAML
            }
            if (typeof value === "object" && value !== null)
                for (const path of valuePaths(value, sub))
                    keys.push({ namespace: project, key: m[1]!, sub: path, line: l.n, as: `${m[0]}: ${body}` });
        }
        if (l.fenced) continue;
        // Code spans in reading order: a `.sibling` continues the last path named on the line.
        let last: NamedKey | undefined;
        for (const span of codeSpans(l.text)) {
            const own = new RegExp(`^(?:${project}:)?(${KEY})(${SUB_PATH})(?::\\s.*)?$`).exec(span);
            const sibling = /^((?:\.[A-Za-z_][\w-]*)+)$/.exec(span);
            if (own && (span.startsWith(`${project}:`) || (objectKeys.has(own[1]!) && own[2] !== ""))) {
                const { sub } = splitKeyPath(`x${own[2]}`);
                last = { namespace: project, key: own[1]!, sub, line: l.n, as: span };
                if (!span.startsWith(`${project}:`)) keys.push({ ...last, loose: true });
            } else if (sibling && last !== undefined && last.sub.length > 0) {
                const { sub } = splitKeyPath(`x${sibling[1]}`);
                const named: NamedKey = { ...last, sub: [...last.sub.slice(0, -1), ...sub], as: `${last.as}, ${span}` };
                keys.push(named);
            }
        }
    }
    for (const c of pageCommands(md)) {
        const read = configCommandKey(c.words);
        if (read === undefined) continue;
        const colon = /^([a-z][a-z0-9-]*):(.+)$/.exec(read.key);
        const namespace = colon ? colon[1]! : project;
        const keyPath = colon ? colon[2]! : read.key;
        if (!new RegExp(`^(${KEY}|\\[)`).test(keyPath)) continue;
        const command = `pulumi config ${read.verb} ${read.key}`;
        if (!read.withPath && /[.[]/.test(keyPath)) {
            problems.push({
                line: c.line,
                message: `\`${command}\` names a key literally called '${keyPath}'; a nested key needs --path`,
            });
        }
        const { key, sub } = read.withPath ? splitKeyPath(keyPath) : { key: keyPath, sub: [] };
        keys.push({ namespace, key, sub, line: c.line, as: command });
    }
    for (const block of fencedBlocks(md)) {
        if (!["yaml", "yml"].includes(block.lang)) continue;
        let doc: unknown;
        try {
            doc = YAML.parse(block.body);
        } catch (err) {
            // Issue 17, attack pass 2: a block that did not parse (a `...` line added) was skipped, so only its
            // `freshtrack:` keys written on one line were read; a reader copying it gets the parser's error instead.
            const at = (err as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line ?? 1;
            // The parser's place (YAMLError.linePos, yaml 2.9.1 dist/errors.d.ts:12) is the block's; the problem's line
            // is the page's.
            const why = (err instanceof Error ? err.message : String(err))
                .split("\n")[0]!
                .replace(/ at line \d+, column \d+:?$/, "");
            problems.push({
                line: block.line + at - 1,
                message: `this ${block.lang} block does not parse as YAML, so the keys in it are not checked: ${why}`,
            });
            continue;
        }
        if (typeof doc !== "object" || doc === null) continue;
        const config = (doc as { config?: unknown }).config;
        if (typeof config === "object" && config !== null && !Array.isArray(config))
            keys.push(...mappingKeys(config as Record<string, unknown>, project, block.line));
        else {
            // A fragment of one: only its `<namespace>:<key>` entries are config.
            const entries = Object.entries(doc as Record<string, unknown>).filter(([k]) =>
                /^[a-z][a-z0-9-]*:[A-Za-z_[]/.test(k),
            );
            keys.push(...mappingKeys(Object.fromEntries(entries), project, block.line));
        }
    }
    return { keys, problems };
}

export function checkConfigKeys(
    md: string,
    file: string,
    facts: Pick<RepoFacts, "project" | "configKeys" | "configTree" | "providerNamespaces">,
): DocProblem[] {
    const objectKeys = new Set([...facts.configTree].filter(([, n]) => n.kind === "object").map(([k]) => k));
    const { keys, problems } = namedConfigKeys(md, facts.project, objectKeys);
    const found = [
        ...problems.map((p) => ({ file, line: p.line, kind: "config" as const, message: p.message })),
        ...keys.map((k) => checkKey(k, file, facts)).filter((p): p is DocProblem => p !== undefined),
    ];
    // A path named twice on a line (a YAML value with two settings under one wrong key) is one problem.
    return found.filter((p, i) => found.findIndex((q) => q.line === p.line && q.message === p.message) === i);
}
