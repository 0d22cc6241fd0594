/**
 * Names a page gives that must exist in the repository: npm scripts, relative links and their anchors, repository
 * paths, shipped stacks passed to the npm scripts, and stack outputs.
 */
import * as fs from "fs";
import * as path from "path";
import type { DocProblem, RepoFacts } from "./facts";
import { anchors, codeSpans, githubSlug, lines } from "./markdown";

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
        for (const m of l.text.matchAll(/\bpulumi\s+stack\s+output\b([^`|&;>)]*)/g)) {
            const name = outputName(m[1]!.trim().split(/\s+/));
            if (name !== undefined && !facts.outputs.has(name)) {
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

/** Flags of `pulumi stack output` (and the global ones) that take the next word as their value. */
const OUTPUT_VALUE_FLAGS = new Set(["--stack", "-s", "--cwd", "-C", "--color", "--config-file", "--tracing"]);

/** The output a `pulumi stack output` command line reads: its first word that is neither a flag nor a flag's value. */
function outputName(words: readonly string[]): string | undefined {
    for (let i = 0; i < words.length; i++) {
        const word = words[i]!;
        if (word.startsWith("-")) {
            if (OUTPUT_VALUE_FLAGS.has(word)) i++;
            continue;
        }
        return /^[A-Za-z_$][\w$]*$/.test(word) ? word : undefined;
    }
    return undefined;
}

/**
 * The repository's Markdown page a citation names: relative to the citing file, from the root, or (a bare name such
 * as `troubleshooting.md`) the one page of that name; undefined when none, or several, match.
 */
export function citedPage(cited: string, file: string, facts: Pick<RepoFacts, "files">): string | undefined {
    const relative = path.posix.normalize(path.posix.join(path.posix.dirname(file), cited));
    for (const candidate of [relative, path.posix.normalize(cited)])
        if (!candidate.startsWith("..") && facts.files.has(candidate)) return candidate;
    if (cited.includes("/")) return undefined;
    const named = [...facts.files].filter((f) => path.posix.basename(f) === cited);
    return named.length === 1 ? named[0] : undefined;
}

/** Between a page's name and what follows it: a comma or colon, spaces, and a comment's line breaks (` * `, `// `). */
const GAP = String.raw`(?:[ \t]|\n[ \t]*(?:\*(?!/)|//)?[ \t]*)`;
/**
 * A heading cited by name after its page: `docs/operations.md, "Host access"`, `docs/operations.md ("How long a
 * preview takes")` (quotes may be escaped or curly).
 */
const HEADING_CITATION = new RegExp(
    String.raw`([\w./-]*[\w-]\.md)(?:[,:]${GAP}*|${GAP}+)\(?\\?["“]([^"”\\\n]+(?:\n[ \t]*(?:\*|//)?[ \t]*[^"”\\\n]+)?)\\?["”]`,
    "g",
);
/**
 * The heading first, then its page: `see "Going back a version" in docs/operations.md`, `the "Host access" section
 * of [operations.md](operations.md#host-access)` (issue 17, attack pass 2: this order was not read).
 */
const HEADING_THEN_PAGE = new RegExp(
    String.raw`\\?["“]([^"”\\\n]+(?:\n[ \t]*(?:\*|//)?[ \t]*[^"”\\\n]+)?)\\?["”]` +
        String.raw`(?:${GAP}+(?:section|heading))?${GAP}+(?:in|of|on)${GAP}+\[?([\w./-]*[\w-]\.md)\b`,
    "g",
);
/** Unquoted, in parentheses: `(docs/operations.md, Offsite copies)`; a heading in sentence case, up to `)` or `;`. */
const PARENTHESISED_CITATION = /([\w./-]*[\w-]\.md), ([A-Z][a-z][^()\n;"]*?)(?=[);])/g;
/** An anchor of a page named outside a Markdown link: `docs/troubleshooting.md#target-down` in a source file. */
const PAGE_ANCHOR = /([\w./-]*[\w-]\.md)#([\w-]+)/g;

/**
 * Headings cited by name (`docs/operations.md, "How long a preview takes"`, `see troubleshooting.md "Resizing the
 * droplet"`, `see "Going back a version" in docs/operations.md`) and, in files other than Markdown,
 * `<page>.md#<anchor>`: the page must exist and have that heading (the heading's GitHub anchor is among the page's),
 * so renaming a heading cannot leave a citation pointing at nothing.
 * In Markdown, links with anchors are checkLinks's. `outside` names pages kept outside the repository (not checked).
 */
export function checkHeadingCitations(
    text: string,
    file: string,
    facts: Pick<RepoFacts, "root" | "files">,
    outside: ReadonlySet<string> = new Set(),
    readPage: (rel: string) => string = (rel) => fs.readFileSync(path.join(facts.root, rel), "utf8"),
): DocProblem[] {
    const problems: DocProblem[] = [];
    const lineOf = (index: number) => text.slice(0, index).split("\n").length;
    const check = (index: number, cited: string, anchor: string, as: string): void => {
        if (outside.has(path.posix.basename(cited))) return;
        const page = citedPage(cited, file, facts);
        const problem = (message: string) => problems.push({ file, line: lineOf(index), kind: "link", message });
        if (page === undefined) problem(`${as}: no page ${cited} in the repository`);
        else if (!anchors(page === file ? text : readPage(page)).has(anchor.toLowerCase()))
            problem(`${as}: ${page} has no heading with the anchor #${anchor}`);
    };
    const citations = [
        ...[...text.matchAll(HEADING_CITATION), ...text.matchAll(PARENTHESISED_CITATION)].map((m) => ({
            index: m.index,
            page: m[1]!,
            heading: m[2]!,
        })),
        ...[...text.matchAll(HEADING_THEN_PAGE)].map((m) => ({ index: m.index, page: m[2]!, heading: m[1]! })),
    ];
    for (const c of citations) {
        const heading = c.heading.replace(/\s*\n[ \t]*(?:\*|\/\/)?[ \t]*/g, " ").trim();
        check(c.index, c.page, githubSlug(heading), `${c.page} "${heading}"`);
    }
    if (!file.endsWith(".md")) for (const m of text.matchAll(PAGE_ANCHOR)) check(m.index, m[1]!, m[2]!, m[0]);
    return problems;
}

/** The header of README's table of npm scripts. */
const SCRIPTS_TABLE_HEADER = /^\|\s*script\s*\|\s*what it does\s*\|\s*$/;

/**
 * README's table of npm scripts (`| script | what it does |`): one row per script of package.json, named by the
 * command in its first cell (`npm run plan -- <stack>`, `npm test`), and no row for a script that does not exist or a
 * second row for one that does.
 */
export function checkScriptsTable(md: string, file: string, facts: Pick<RepoFacts, "scripts">): DocProblem[] {
    const all = lines(md);
    const header = all.findIndex((l) => !l.fenced && SCRIPTS_TABLE_HEADER.test(l.text));
    const problem = (line: number, message: string): DocProblem => ({ file, line, kind: "script", message });
    if (header < 0) return [problem(1, "has no table of npm scripts (a `| script | what it does |` header)")];
    const problems: DocProblem[] = [];
    const rows = new Map<string, number>();
    for (const l of all.slice(header + 2)) {
        if (l.fenced || !/^\s*\|/.test(l.text)) break;
        const first = l.text.split("|")[1] ?? "";
        const command = /`(npm\s[^`]*)`/.exec(first)?.[1];
        const m = command && /^npm\s+(?:(?:run|run-script)\s+(?:-\S+\s+)*([^\s[\]]+)|(test|t|tst)\b)/.exec(command);
        const script = m ? (m[1] ?? "test") : undefined;
        if (script === undefined) problems.push(problem(l.n, `the row '${first.trim()}' names no npm script`));
        else if (!facts.scripts.has(script))
            problems.push(problem(l.n, `a row for '${script}', which package.json does not define`));
        else if (rows.has(script))
            problems.push(problem(l.n, `a second row for '${script}' (the first is line ${rows.get(script)})`));
        else rows.set(script, l.n);
    }
    for (const script of facts.scripts)
        if (!rows.has(script))
            problems.push(problem(all[header]!.n, `no row for the npm script '${script}' of package.json`));
    return problems;
}

/** The page whose numbered headings (`## 4. Describe your environment in ...`) code and docs cite as steps. */
export const WALKTHROUGH = "docs/walkthrough.md";

/** A page's headings numbered as steps, outside code blocks: `## 4. Describe your environment` as 4 and its text. */
export function numberedHeadings(md: string): Map<number, string> {
    const out = new Map<number, string>();
    for (const l of lines(md)) {
        const m = !l.fenced && /^\s{0,3}#{1,6}\s+(\d+)[.)]\s+(.*?)\s*#*\s*$/.exec(l.text);
        if (m && !out.has(Number(m[1]))) out.set(Number(m[1]), m[2]!);
    }
    return out;
}

/** A step of the walkthrough a text cites, with the text around it (its lines joined) to tell citations apart. */
export interface StepCitation {
    readonly file: string;
    readonly line: number;
    readonly step: number;
    readonly context: string;
}

/** Between the words of a step citation: spaces, and a line break with a comment's marker (` * `, `// `, `# `). */
const STEP_GAP = String.raw`(?:[ \t]|\n[ \t]*(?:\*(?!/)|//|#)?[ \t]*)`;
/** `step 4`, `steps 3 and 4`, `steps 1 to 3`: the numbers of a step reference, as groups 1 and 2. */
const STEP_NUMBERS = String.raw`[Ss]teps?${STEP_GAP}+(\d+)(?:${STEP_GAP}+(?:and|to|or)${STEP_GAP}+(\d+))?\b`;
/**
 * The walkthrough named, then its step: `docs/walkthrough.md, step 4`, `walkthrough (step 4)`, `the walkthrough's step
 * 4`, `walkthrough, step\n4`, `[walkthrough.md](walkthrough.md#6-deploy), step 6`.
 */
const WALKTHROUGH_THEN_STEP = new RegExp(
    String.raw`\b[Ww]alkthrough(?:\.md)?(?:\]\([^)\s]*\))?(?:'s)?[,:]?${STEP_GAP}*\(?${STEP_GAP}*` + STEP_NUMBERS,
    "gd",
);
/** The step, then the walkthrough: `step 4 of the walkthrough`. */
const STEP_THEN_WALKTHROUGH = new RegExp(
    String.raw`\b${STEP_NUMBERS}${STEP_GAP}+of${STEP_GAP}+(?:the${STEP_GAP}+)?[Ww]alkthrough\b`,
    "gd",
);
/** Any step reference: in the walkthrough itself, `as step 6 shows` is its own step. */
const ANY_STEP = new RegExp(String.raw`\b${STEP_NUMBERS}`, "gd");
/** A page named right before a step reference (`[operations.md, ...](operations.md#offsite-copies), steps 1 to 3`). */
const PAGE_BEFORE = /([\w./-]*[\w-]\.md)(?:#[\w-]*)?\)?[,:]?\s*\(?\s*$/;

/**
 * Every step of the walkthrough `text` cites (issue 17, attack pass 2: swapping two steps left each "(docs/
 * walkthrough.md, step 4)" pointing at the wrong one, as only headings cited by name were checked): after the
 * walkthrough's name, before `of the walkthrough`, and, in the walkthrough itself, any `step N` that follows no other
 * page's name. Each number of `steps 3 and 4` is a citation of its own.
 */
export function walkthroughStepCitations(text: string, file: string): StepCitation[] {
    const found = new Map<number, StepCitation>();
    const flat = (from: number, to: number) =>
        text
            .slice(Math.max(0, from), to)
            .replace(/\n[ \t]*(?:\*(?!\/)|\/\/|#)?[ \t]*/g, " ")
            .replace(/\s+/g, " ");
    const add = (m: RegExpMatchArray): void => {
        for (const group of [1, 2]) {
            const at = m.indices?.[group];
            if (at === undefined || found.has(at[0])) continue;
            found.set(at[0], {
                file,
                line: text.slice(0, at[0]).split("\n").length,
                step: Number(m[group]),
                context: flat(at[0] - 200, at[1] + 100),
            });
        }
    };
    for (const m of text.matchAll(WALKTHROUGH_THEN_STEP)) add(m);
    for (const m of text.matchAll(STEP_THEN_WALKTHROUGH)) add(m);
    if (file === WALKTHROUGH)
        for (const m of text.matchAll(ANY_STEP)) {
            const page = PAGE_BEFORE.exec(text.slice(Math.max(0, m.index - 120), m.index))?.[1];
            if (page === undefined || path.posix.basename(page) === path.posix.basename(WALKTHROUGH)) add(m);
        }
    return [...found.entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
}
