/**
 * Checks Markdown pages against the code they describe: npm scripts named in
 * package.json, config keys declared in Pulumi.yaml, relative links and their
 * anchors, repository paths named in code spans, and stack names passed to the
 * npm scripts. Every check is a pure function of a page's text and the facts
 * read from the repository, so each one can be tested with a made-up page.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

export type ProblemKind = "script" | "config" | "link" | "path" | "stack" | "output";

/** One thing a page names that does not exist. */
export interface DocProblem {
    readonly file: string;
    readonly line: number;
    readonly kind: ProblemKind;
    readonly message: string;
}

/** What the pages are checked against, read once from the repository. */
export interface RepoFacts {
    readonly root: string;
    readonly project: string;
    /** `scripts` of package.json. */
    readonly scripts: ReadonlySet<string>;
    /** Top-level keys under `config:` in Pulumi.yaml. */
    readonly configKeys: ReadonlySet<string>;
    /** Accepted sub-keys of object-typed keys, from the config schema (test/docs.test.ts, SUB_KEYS). */
    readonly subKeys: ReadonlyMap<string, readonly string[]>;
    /** Config namespaces of the provider packages in package.json (`digitalocean`, `docker`, ...). */
    readonly providerNamespaces: ReadonlySet<string>;
    /** Stacks that ship with the repository (Pulumi.<stack>.yaml). */
    readonly stacks: ReadonlySet<string>;
    /** Every file and directory of the repository, relative and with `/`, outside node_modules and .git. */
    readonly files: ReadonlySet<string>;
    /** Stack outputs: the `export const`s of index.ts. */
    readonly outputs: ReadonlySet<string>;
}

/** npm commands that run a script from package.json, and those npm provides itself. */
const LIFECYCLE_COMMANDS: Record<string, string> = {
    test: "test",
    t: "test",
    tst: "test",
    start: "start",
    stop: "stop",
    restart: "restart",
};

/** Top-level files a page may name by their bare name. */
const TOP_LEVEL_FILE =
    /^(Pulumi(\.[^/\s]+)?\.yaml|index\.ts|package(-lock)?\.json|tsconfig\.json|README\.md|\.mocharc\.json|\.gitignore)$/;
/** Folders whose paths a page may name. */
const REPO_PREFIXES = ["components/", "operator/", "scripts/", "policy/", "test/", "docs/", ".ci/"];

const SKIPPED_DIRS = new Set(["node_modules", ".git", "bin"]);

function listFiles(root: string): Set<string> {
    const out = new Set<string>();
    const walk = (dir: string, rel: string): void => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            if (SKIPPED_DIRS.has(entry.name)) continue;
            const relPath = rel ? `${rel}/${entry.name}` : entry.name;
            out.add(relPath);
            if (entry.isDirectory()) walk(path.join(dir, entry.name), relPath);
        }
    };
    walk(root, "");
    return out;
}

/**
 * Reads the facts from a repository checkout. `subKeys` come from the caller, who imports the code's exported lists.
 */
export function loadRepoFacts(root: string, subKeys: ReadonlyMap<string, readonly string[]> = new Map()): RepoFacts {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
        scripts?: Record<string, string>;
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
    };
    const project = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
        name: string;
        config?: Record<string, unknown>;
    };
    const deps = Object.keys({ ...(pkg.dependencies ?? {}), ...(pkg.devDependencies ?? {}) });
    const providerNamespaces = new Set(
        deps
            .map((d) => /^@pulumi\/([a-z0-9-]+)$/.exec(d)?.[1])
            .filter((n): n is string => n !== undefined && !["pulumi", "policy"].includes(n)),
    );
    const files = listFiles(root);
    const stacks = new Set(
        [...files].map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => s !== undefined),
    );
    const entry = fs.existsSync(path.join(root, "index.ts"))
        ? fs.readFileSync(path.join(root, "index.ts"), "utf8")
        : "";
    const outputs = new Set(
        [...entry.matchAll(/^export\s+(?:const|let|var)\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]!),
    );
    return {
        root,
        project: project.name,
        scripts: new Set(Object.keys(pkg.scripts ?? {})),
        configKeys: new Set(Object.keys(project.config ?? {})),
        subKeys,
        providerNamespaces,
        stacks,
        files,
        outputs,
    };
}

/** README.md and every Markdown page under docs/, relative to the root. */
export function markdownPages(facts: Pick<RepoFacts, "files">): string[] {
    return [...facts.files].filter((f) => f === "README.md" || (f.startsWith("docs/") && f.endsWith(".md"))).sort();
}

// ---------------------------------------------------------------------------
// Markdown structure

interface Line {
    readonly n: number;
    readonly text: string;
    /** Inside a fenced code block (the fence lines themselves included). */
    readonly fenced: boolean;
    /** The info string of the fence this line is in, e.g. `yaml`. */
    readonly lang: string;
}

function lines(md: string): Line[] {
    const out: Line[] = [];
    let fence: { marker: string; lang: string } | undefined;
    md.split("\n").forEach((text, i) => {
        const open = /^\s{0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(text);
        if (fence === undefined && open) {
            fence = { marker: open[1]!, lang: open[2]!.toLowerCase() };
            out.push({ n: i + 1, text, fenced: true, lang: fence.lang });
            return;
        }
        if (fence !== undefined) {
            const lang = fence.lang;
            const marker = fence.marker;
            if (new RegExp(`^\\s{0,3}${marker[0] === "`" ? "`" : "~"}{${marker.length},}\\s*$`).test(text))
                fence = undefined;
            out.push({ n: i + 1, text, fenced: true, lang });
            return;
        }
        out.push({ n: i + 1, text, fenced: false, lang: "" });
    });
    return out;
}

/** The contents of inline code spans on a line outside code blocks. */
function codeSpans(text: string): string[] {
    const out: string[] = [];
    const re = /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g;
    for (const m of text.matchAll(re)) out.push(m[2]!.trim());
    return out;
}

/** Fenced code blocks with their language and first line number. */
function fencedBlocks(md: string): Array<{ lang: string; line: number; body: string }> {
    const blocks: Array<{ lang: string; line: number; body: string[] }> = [];
    let current: { lang: string; line: number; body: string[] } | undefined;
    let previousFenced = false;
    for (const l of lines(md)) {
        if (l.fenced && !previousFenced) {
            current = { lang: l.lang, line: l.n + 1, body: [] };
            blocks.push(current);
        } else if (l.fenced && current && !/^\s{0,3}(`{3,}|~{3,})\s*$/.test(l.text)) {
            current.body.push(l.text);
        }
        previousFenced = l.fenced;
        if (!l.fenced) current = undefined;
    }
    return blocks.map((b) => ({ lang: b.lang, line: b.line, body: b.body.join("\n") }));
}

/**
 * GitHub's anchor for a heading: inline markup removed, lowercased, every
 * character but letters, digits, spaces, hyphens and underscores dropped,
 * spaces turned into hyphens.
 */
export function githubSlug(heading: string): string {
    return heading
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
        .replace(/<[^>]+>/g, "")
        .replace(/[`*~]/g, "")
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

/** Every anchor a page offers: heading slugs (duplicates numbered as GitHub does) and HTML ids/names. */
export function anchors(md: string): Set<string> {
    const out = new Set<string>();
    const seen = new Map<string, number>();
    const all = lines(md);
    all.forEach((l, i) => {
        if (l.fenced) return;
        let heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(l.text)?.[1];
        const next = all[i + 1];
        if (
            heading === undefined &&
            next &&
            !next.fenced &&
            /^\s{0,3}(=+|-+)\s*$/.test(next.text) &&
            l.text.trim() !== "" &&
            !/^\s*[-*|]/.test(l.text)
        ) {
            heading = l.text.trim();
        }
        if (heading !== undefined) {
            const base = githubSlug(heading);
            const count = seen.get(base) ?? 0;
            seen.set(base, count + 1);
            out.add(count === 0 ? base : `${base}-${count}`);
        }
        for (const m of l.text.matchAll(/<a\s[^>]*(?:name|id)="([^"]+)"/g)) out.add(m[1]!);
    });
    return out;
}

// ---------------------------------------------------------------------------
// Checks

/**
 * `npm run <x>`, `npm test`, `npm start`...: the script must be in package.json. `npm ci`, `npm install` and the like
 * are npm's own.
 */
export function checkScripts(md: string, file: string, facts: Pick<RepoFacts, "scripts">): DocProblem[] {
    const problems: DocProblem[] = [];
    for (const l of lines(md)) {
        for (const m of l.text.matchAll(
            /\bnpm\s+(run-script|run|rum|urn|test|tst|t|start|stop|restart)\b(?:\s+([^\s`'"|&;)<>\]]+))?/g,
        )) {
            const command = m[1]!;
            const lifecycle = LIFECYCLE_COMMANDS[command];
            const name = lifecycle ?? m[2]?.replace(/[.,:;]+$/, "");
            if (name === undefined || name.startsWith("-") || name.startsWith("<")) continue;
            if (!facts.scripts.has(name)) {
                problems.push({
                    file,
                    line: l.n,
                    kind: "script",
                    message: `\`${m[0].trim()}\` names the npm script '${name}', which package.json does not define`,
                });
            }
        }
    }
    return problems;
}

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

/**
 * Relative links `[text](path#anchor)` and reference definitions: the file must exist, and the anchor be a heading in
 * it.
 */
export function checkLinks(
    md: string,
    file: string,
    facts: Pick<RepoFacts, "root" | "files">,
    readPage: (rel: string) => string = (rel) => fs.readFileSync(path.join(facts.root, rel), "utf8"),
): DocProblem[] {
    const problems: DocProblem[] = [];
    const targets: Array<{ line: number; target: string }> = [];
    for (const l of lines(md)) {
        if (l.fenced) continue;
        const text = l.text.replace(/(`+)[\s\S]*?\1/g, "");
        for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+"[^"]*")?\s*\)/g))
            targets.push({ line: l.n, target: m[1]!.replace(/^<|>$/g, "") });
        const ref = /^\s{0,3}\[[^\]]+\]:\s*(\S+)/.exec(text);
        if (ref) targets.push({ line: l.n, target: ref[1]! });
    }
    for (const { line, target } of targets) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) continue; // https:, mailto: ...
        const hash = target.indexOf("#");
        const pathPart = decodeURI(hash < 0 ? target : target.slice(0, hash)).replace(/\?.*$/, "");
        const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
        const resolved =
            pathPart === ""
                ? file
                : path.posix.normalize(path.posix.join(path.posix.dirname(file), pathPart)).replace(/\/$/, "");
        if (pathPart !== "" && (resolved.startsWith("..") || !facts.files.has(resolved))) {
            problems.push({ file, line, kind: "link", message: `link to '${target}': ${resolved} does not exist` });
            continue;
        }
        if (anchor === undefined || anchor === "") continue;
        if (!resolved.endsWith(".md")) continue; // line anchors of source files (#L10) are not checked
        const offered = anchors(resolved === file ? md : readPage(resolved));
        if (!offered.has(anchor.toLowerCase())) {
            problems.push({
                file,
                line,
                kind: "link",
                message: `link to '${target}': ${resolved} has no heading with the anchor #${anchor}`,
            });
        }
    }
    return problems;
}

/** A path with `<placeholder>` segments or globs, as a pattern over the repository's files. */
function pathPattern(p: string): RegExp {
    const escaped = p
        .split(/(<[^>]+>|\*\*|\*|\?)/)
        .map((part) => {
            if (/^<[^>]+>$/.test(part) || part === "*") return "[^/]+";
            if (part === "**") return ".*";
            if (part === "?") return "[^/]";
            return part.replace(/[.+^${}()|[\]\\]/g, "\\$&");
        })
        .join("");
    return new RegExp(`^${escaped}$`);
}

function looksLikeRepoPath(p: string): boolean {
    return (
        REPO_PREFIXES.some((prefix) => p.startsWith(prefix)) ||
        TOP_LEVEL_FILE.test(p) ||
        /^[A-Za-z0-9_.-]+\.ts$/.test(p)
    );
}

/**
 * Repository paths in code spans (and in code blocks, as command arguments):
 * `components/...`, `scripts/...`, `policy/...`, `test/...`, `docs/...`,
 * `.ci/...`, top-level files such as `Pulumi.prod.yaml`, and bare `*.ts` names,
 * which must exist somewhere in the repository. `<placeholder>` segments and
 * globs match any name.
 */
export function checkPaths(md: string, file: string, facts: Pick<RepoFacts, "files">): DocProblem[] {
    const problems: DocProblem[] = [];
    const files = [...facts.files];
    const check = (line: number, raw: string): void => {
        const p = raw.replace(/^\.\//, "").replace(/[.,:;]+$/, "");
        if (!looksLikeRepoPath(p)) return;
        const dirless = !p.includes("/") && !TOP_LEVEL_FILE.test(p);
        const pattern = pathPattern(p.replace(/\/$/, ""));
        const found = dirless
            ? files.some((f) => pattern.test(path.posix.basename(f)))
            : files.some((f) => pattern.test(f));
        if (!found)
            problems.push({
                file,
                line,
                kind: "path",
                message: `\`${raw}\` names a path that does not exist in the repository`,
            });
    };
    // In a command, only arguments under the repository's folders are taken as paths.
    const checkArguments = (line: number, command: string): void => {
        for (const token of command.split(/[\s=]+/)) {
            const t = token.replace(/^\.\//, "");
            if (REPO_PREFIXES.some((prefix) => t.startsWith(prefix))) check(line, token);
        }
    };
    for (const l of lines(md)) {
        if (l.fenced) {
            checkArguments(l.n, l.text);
            continue;
        }
        for (const span of codeSpans(l.text)) {
            if (/\s/.test(span)) checkArguments(l.n, span);
            else check(l.n, span);
        }
    }
    return problems;
}

/** `npm run <script> -- <stack>`: the stack must ship with the repository, or be a placeholder such as `<stack>`. */
export function checkStackArgs(md: string, file: string, facts: Pick<RepoFacts, "stacks">): DocProblem[] {
    const problems: DocProblem[] = [];
    for (const l of lines(md)) {
        for (const m of l.text.matchAll(/\bnpm\s+run\s+([^\s`]+)\s+--\s+([^\s`|&;)]+)/g)) {
            const stack = m[2]!;
            if (stack.startsWith("<") || stack.startsWith("-") || stack.startsWith("$")) continue;
            if (!facts.stacks.has(stack)) {
                problems.push({
                    file,
                    line: l.n,
                    kind: "stack",
                    message: `\`${m[0]}\` names the stack '${stack}'; the shipped stacks are ${[...facts.stacks].join(", ")}`,
                });
            }
        }
    }
    return problems;
}

/** `pulumi stack output <name>`: the name must be an output that index.ts exports. */
export function checkStackOutputs(md: string, file: string, facts: Pick<RepoFacts, "outputs">): DocProblem[] {
    const problems: DocProblem[] = [];
    for (const l of lines(md)) {
        for (const m of l.text.matchAll(
            /\bpulumi\s+stack\s+output((?:\s+--?[\w-]+(?:=\S+)?)*)\s+([A-Za-z_$][\w$]*)/g,
        )) {
            const name = m[2]!;
            if (!facts.outputs.has(name)) {
                problems.push({
                    file,
                    line: l.n,
                    kind: "output",
                    message: `\`${m[0].trim()}\` names the stack output '${name}', which index.ts does not export`,
                });
            }
        }
    }
    return problems;
}

/** Every check on one page. */
export function checkPage(md: string, file: string, facts: RepoFacts): DocProblem[] {
    return [
        ...checkScripts(md, file, facts),
        ...checkConfigKeys(md, file, facts),
        ...checkLinks(md, file, facts),
        ...checkPaths(md, file, facts),
        ...checkStackArgs(md, file, facts),
        ...checkStackOutputs(md, file, facts),
    ];
}

export function formatProblems(problems: readonly DocProblem[]): string {
    return problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join("\n");
}
