/**
 * The source files of this repository, where each kind lives, and a quick read of what one file imports, calls and
 * spells out. Part of test/sourceTree.ts, which the structural tests import.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

export const ROOT = path.resolve(__dirname, "..");

/** Repository-relative paths of the .ts files under `entries` (folders, or files named directly). */
export function sourceFiles(entries: readonly string[]): string[] {
    const out: string[] = [];
    const walk = (rel: string): void => {
        const abs = path.join(ROOT, rel);
        if (!fs.existsSync(abs)) return;
        if (fs.statSync(abs).isFile()) {
            if (rel.endsWith(".ts")) out.push(rel);
            return;
        }
        for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
            if (entry.name === "node_modules" || entry.name === "bin") continue;
            walk(path.posix.join(rel, entry.name));
        }
    };
    for (const e of entries) walk(e.replace(/\/$/, ""));
    return out.sort();
}

export interface SourceFacts {
    /** Modules loaded: import and export declarations, require() and import(), with the names taken from each. */
    readonly imports: ReadonlyArray<{ readonly spec: string; readonly names: readonly string[]; readonly at: string }>;
    /** Calls whose first argument is a string: the callee as written, and that string. */
    readonly calls: ReadonlyArray<{ readonly callee: string; readonly firstArg: string; readonly at: string }>;
    /** String literals and template text. */
    readonly strings: ReadonlyArray<{ readonly text: string; readonly at: string }>;
    /** Names read as a property (`x.name`). */
    readonly properties: ReadonlyArray<{ readonly name: string; readonly at: string }>;
}

/** The facts of one file; `file` is its repository-relative path, used in each `at` (`file:line`). */
export function sourceFacts(file: string, text = fs.readFileSync(path.join(ROOT, file), "utf8")): SourceFacts {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const at = (node: ts.Node) => `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    const imports: SourceFacts["imports"][number][] = [];
    const calls: SourceFacts["calls"][number][] = [];
    const strings: SourceFacts["strings"][number][] = [];
    const properties: SourceFacts["properties"][number][] = [];
    const visit = (node: ts.Node): void => {
        if (
            (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
            node.moduleSpecifier &&
            ts.isStringLiteral(node.moduleSpecifier)
        ) {
            const bindings = ts.isImportDeclaration(node) ? node.importClause?.namedBindings : node.exportClause;
            const names =
                bindings && (ts.isNamedImports(bindings) || ts.isNamedExports(bindings))
                    ? bindings.elements.map((e) => (e.propertyName ?? e.name).text)
                    : [];
            imports.push({ spec: node.moduleSpecifier.text, names, at: at(node) });
        } else if (ts.isCallExpression(node)) {
            const [arg] = node.arguments;
            const callee = node.expression.getText(source);
            if (arg && ts.isStringLiteralLike(arg)) {
                if (node.expression.kind === ts.SyntaxKind.ImportKeyword || callee === "require")
                    imports.push({ spec: arg.text, names: [], at: at(node) });
                else calls.push({ callee, firstArg: arg.text, at: at(node) });
            }
        } else if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) {
            strings.push({ text: node.text, at: at(node) });
        } else if (ts.isPropertyAccessExpression(node)) {
            properties.push({ name: node.name.text, at: at(node) });
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return { imports, calls, strings, properties };
}

/** Each expected finding (the start of one: `file:line what`) is among those found, and nothing else is. */
export function expectFindings(found: readonly string[], expected: readonly string[]): void {
    const missing = expected.filter((e) => !found.some((f) => f.startsWith(e)));
    const unexpected = found.filter((f) => !expected.some((e) => f.startsWith(e)));
    expect({ missing, unexpected }, `found:\n${found.join("\n")}`).to.deep.equal({ missing: [], unexpected: [] });
}

/**
 * Where each kind of source lives, and which structural rules cover it. Every tracked source file sits under one of
 * these, and tsconfig.json's `include` covers each (test/layout.test.ts), so no folder escapes the typecheck, the
 * line limit or the I/O rule by being new.
 */
export const SOURCE_ROOTS = [
    { root: "index.ts", kind: "program" },
    { root: "components", kind: "program" },
    { root: "operator", kind: "operator" },
    { root: "scripts", kind: "operator" },
    { root: "policy", kind: "policy" },
    { root: "test", kind: "test" },
] as const;
export type SourceKind = (typeof SOURCE_ROOTS)[number]["kind"];

/** The roots of these kinds, as sourceFiles takes them. */
export function rootsOf(...kinds: readonly SourceKind[]): string[] {
    return SOURCE_ROOTS.filter((r) => kinds.includes(r.kind)).map((r) => r.root);
}

/** The module a specifier names: `node:dns/promises` is dns, `@scope/pkg/x` is @scope/pkg. */
export function moduleName(spec: string): string {
    const bare = spec.replace(/^node:/, "");
    const parts = bare.split("/");
    return bare.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}
