/**
 * What the pages are checked against, read once from the repository (package.json, Pulumi.yaml, the stack files,
 * index.ts, the file tree), and the shape of a problem the checks report.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import type { ConfigNode } from "./configKeys";

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
    /**
     * What each key accepts below it, at every depth, from the config schema (configKeys.ts, configTreeOf); a key
     * missing here has nothing below it checked.
     */
    readonly configTree: ReadonlyMap<string, ConfigNode>;
    /** Config namespaces of the provider packages in package.json (`digitalocean`, `docker`, ...). */
    readonly providerNamespaces: ReadonlySet<string>;
    /** Stacks that ship with the repository (Pulumi.<stack>.yaml). */
    readonly stacks: ReadonlySet<string>;
    /** Every file and directory of the repository, relative and with `/`, outside node_modules and .git. */
    readonly files: ReadonlySet<string>;
    /** Stack outputs: the `export const`s of index.ts. */
    readonly outputs: ReadonlySet<string>;
}

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
 * Reads the facts from a repository checkout. `configTree` comes from the caller, who imports the config schema.
 */
export function loadRepoFacts(root: string, configTree: ReadonlyMap<string, ConfigNode> = new Map()): RepoFacts {
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
        configTree,
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
