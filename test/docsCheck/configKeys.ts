/**
 * Config keys a page names (`freshtrack:<key>`, `pulumi config set`, `config:` of a YAML stack file), checked against
 * the keys Pulumi.yaml declares, the sub-keys the config schema accepts and the provider packages' namespaces.
 */
import * as YAML from "yaml";
import type { DocProblem, RepoFacts } from "./facts";
import { fencedBlocks, lines } from "./markdown";

/** One key a page names, as written: namespace, top-level key and the path below it. */
interface NamedKey {
    readonly namespace: string;
    readonly key: string;
    readonly sub: readonly string[];
    readonly line: number;
    readonly as: string;
}

/** Splits `a.b[0].c` or `a["b"]` into `a`, `[b, c]`. */
function splitKeyPath(keyPath: string): { key: string; sub: string[] } {
    const parts: string[] = [];
    const re = /([^.[\]]+)|\[(?:"([^"]*)"|(\d+))\]/g;
    for (const m of keyPath.matchAll(re)) {
        if (m[1] !== undefined) parts.push(m[1]);
        else if (m[2] !== undefined) parts.push(m[2]);
        // [n]: an array index, not a key
    }
    return { key: parts[0] ?? "", sub: parts.slice(1) };
}

function checkKey(
    named: NamedKey,
    file: string,
    facts: Pick<RepoFacts, "project" | "configKeys" | "subKeys" | "providerNamespaces">,
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
    const accepted = facts.subKeys.get(named.key);
    const sub = named.sub[0];
    if (accepted && sub !== undefined && !accepted.includes(sub)) {
        return problem(`'${named.key}' has no setting '${sub}' (accepted: ${accepted.join(", ")})`);
    }
    return undefined;
}

const KEY = "[A-Za-z_][A-Za-z0-9_]*";

/**
 * Keys named as `freshtrack:<key>[.<sub>]`, in `pulumi config set` commands, and in `config:` of fenced YAML stack
 * files.
 */
export function namedConfigKeys(
    md: string,
    project: string,
): { keys: NamedKey[]; problems: Array<{ line: number; message: string }> } {
    const keys: NamedKey[] = [];
    const problems: Array<{ line: number; message: string }> = [];
    const prefixed = new RegExp(
        `(?<![\\w.:/-])${project}:(${KEY})((?:\\.[A-Za-z_][\\w-]*|\\[\\d+\\]|\\["[^"]*"\\])*)(?![\\w-]|:[A-Za-z])`,
        "g",
    );
    for (const l of lines(md)) {
        for (const m of l.text.matchAll(prefixed)) {
            const { sub } = splitKeyPath(`x${m[2] ?? ""}`);
            keys.push({ namespace: project, key: m[1]!, sub, line: l.n, as: m[0] });
        }
        for (const m of l.text.matchAll(/\bpulumi\s+config\s+set\b([^`\n|;&)]*)/g)) {
            const tokens = (m[1] ?? "")
                .trim()
                .split(/\s+/)
                .filter((t) => t !== "");
            let withPath = false;
            let keyToken: string | undefined;
            for (let i = 0; i < tokens.length; i++) {
                const t = tokens[i]!;
                if (t === "--path") withPath = true;
                else if (["--stack", "-s", "--config-file", "--cwd", "-C"].includes(t)) i++;
                else if (t.startsWith("-")) continue;
                else {
                    keyToken = t;
                    break;
                }
            }
            if (keyToken === undefined || keyToken.startsWith("<") || keyToken === "...") continue;
            const colon = /^([a-z][a-z0-9-]*):(.+)$/.exec(keyToken);
            const namespace = colon ? colon[1]! : project;
            const keyPath = colon ? colon[2]! : keyToken;
            if (!new RegExp(`^${KEY}`).test(keyPath)) continue;
            if (!withPath && /[.[]/.test(keyPath)) {
                problems.push({
                    line: l.n,
                    message: `\`pulumi config set ${keyToken}\` sets a key literally named '${keyPath}'; a nested key needs --path`,
                });
            }
            const { key, sub } = withPath ? splitKeyPath(keyPath) : { key: keyPath, sub: [] };
            keys.push({ namespace, key, sub, line: l.n, as: `pulumi config set ${keyToken}` });
        }
    }
    for (const block of fencedBlocks(md)) {
        if (!["yaml", "yml"].includes(block.lang)) continue;
        let doc: unknown;
        try {
            doc = YAML.parse(block.body);
        } catch {
            continue; // a fragment; its freshtrack: keys were still read line by line above
        }
        const config = (doc as { config?: unknown } | null)?.config;
        if (typeof config !== "object" || config === null) continue;
        for (const [qualified, value] of Object.entries(config as Record<string, unknown>)) {
            const colon = qualified.indexOf(":");
            const namespace = colon < 0 ? project : qualified.slice(0, colon);
            const keyPath = colon < 0 ? qualified : qualified.slice(colon + 1);
            const sub = typeof value === "object" && value !== null && !Array.isArray(value) ? Object.keys(value) : [];
            // One entry per sub-key, so each is checked; the top level alone when there are none.
            for (const s of sub.length > 0 ? sub : [undefined]) {
                keys.push({
                    namespace,
                    key: keyPath,
                    sub: s === undefined ? [] : [s],
                    line: block.line,
                    as: s === undefined ? qualified : `${qualified} > ${s}`,
                });
            }
        }
    }
    return { keys, problems };
}

export function checkConfigKeys(
    md: string,
    file: string,
    facts: Pick<RepoFacts, "project" | "configKeys" | "subKeys" | "providerNamespaces">,
): DocProblem[] {
    const { keys, problems } = namedConfigKeys(md, facts.project);
    return [
        ...problems.map((p) => ({ file, line: p.line, kind: "config" as const, message: p.message })),
        ...keys.map((k) => checkKey(k, file, facts)).filter((p): p is DocProblem => p !== undefined),
    ];
}
