/**
 * What a source file of this repository imports, calls and spells out, read with the TypeScript parser (comments and
 * the text of rendered scripts are not code), for the tests that check where a kind of code may live
 * (test/sdkInternals.test.ts, test/workspace.test.ts, test/layout.test.ts, test/boundaries.test.ts).
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
    // Tests are typechecked but not held to the line limit: tables of cases and fixtures run long, and none ships.
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

/** Names that are a property or member's own name, not a reference to a binding of that name. */
export function isOwnName(node: ts.Identifier): boolean {
    const p = node.parent;
    return (
        ((ts.isPropertyAccessExpression(p) || ts.isQualifiedName(p)) &&
            node !== (ts.isQualifiedName(p) ? p.left : p.expression)) ||
        ((ts.isPropertyAssignment(p) ||
            ts.isPropertyDeclaration(p) ||
            ts.isPropertySignature(p) ||
            ts.isMethodDeclaration(p) ||
            ts.isMethodSignature(p) ||
            ts.isGetAccessor(p) ||
            ts.isSetAccessor(p) ||
            ts.isEnumMember(p)) &&
            p.name === node) ||
        ((ts.isBindingElement(p) || ts.isImportSpecifier(p) || ts.isExportSpecifier(p)) && p.propertyName === node)
    );
}

/**
 * One file with a type checker of its own: no lib and no other file, so a name that resolves to no declaration in
 * the file is a global (`fetch`, `process`), however a local of the same name elsewhere in the file is spelled.
 */
export interface Parsed {
    readonly file: string;
    readonly source: ts.SourceFile;
    readonly checker: ts.TypeChecker;
    /** `file:line` of a node. */
    at(node: ts.Node): string;
}

const PARSED = new Map<string, Parsed>();

/** A file of the tree (read once per run), or `text` given as the file's source (the checkers' own cases). */
export function parseSource(file: string, text?: string): Parsed {
    if (text !== undefined) return parseText(file, text);
    const known = PARSED.get(file);
    if (known) return known;
    const parsed = parseText(file, fs.readFileSync(path.join(ROOT, file), "utf8"));
    PARSED.set(file, parsed);
    return parsed;
}

function parseText(file: string, text: string): Parsed {
    const name = `/${file}`;
    const source = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
    const host: ts.CompilerHost = {
        getSourceFile: (f) => (f === name ? source : undefined),
        getDefaultLibFileName: () => "/lib.d.ts",
        writeFile: () => undefined,
        getCurrentDirectory: () => "/",
        getCanonicalFileName: (f) => f,
        useCaseSensitiveFileNames: () => true,
        getNewLine: () => "\n",
        fileExists: (f) => f === name,
        readFile: (f) => (f === name ? text : undefined),
    };
    const options = { noLib: true, noResolve: true, types: [] };
    const checker = ts.createProgram({ rootNames: [name], options, host }).getTypeChecker();
    const at = (node: ts.Node) => `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    return { file, source, checker, at };
}

const NODES = new WeakMap<ts.SourceFile, { all: ts.Node[]; byName: Map<string, ts.Identifier[]> }>();

function indexOf(p: Parsed): { all: ts.Node[]; byName: Map<string, ts.Identifier[]> } {
    const known = NODES.get(p.source);
    if (known) return known;
    const all: ts.Node[] = [];
    const byName = new Map<string, ts.Identifier[]>();
    const visit = (node: ts.Node): void => {
        all.push(node);
        if (ts.isIdentifier(node)) byName.set(node.text, [...(byName.get(node.text) ?? []), node]);
        ts.forEachChild(node, visit);
    };
    visit(p.source);
    const index = { all, byName };
    NODES.set(p.source, index);
    return index;
}

/** Every node of the file, depth first. */
export function nodesOf(p: Parsed): readonly ts.Node[] {
    return indexOf(p).all;
}

/** The identifiers of the file spelled `name`. */
export function identifiersOf(p: Parsed, name: string): readonly ts.Identifier[] {
    return indexOf(p).byName.get(name) ?? [];
}

/** The binding a reference resolves to (a shorthand `{ x }` refers to the variable, not to the new property). */
function symbolOf(p: Parsed, id: ts.Identifier): ts.Symbol | undefined {
    return ts.isShorthandPropertyAssignment(id.parent)
        ? p.checker.getShorthandAssignmentValueSymbol(id.parent)
        : p.checker.getSymbolAtLocation(id);
}

/** A reference to a global: not a member's own name, and declared nowhere in the file. */
export function isGlobalRef(p: Parsed, id: ts.Identifier): boolean {
    if (isOwnName(id)) return false;
    return !(symbolOf(p, id)?.declarations ?? []).some((d) => d.getSourceFile() === p.source);
}

/** Inside a type, which compilation erases (a class's `extends` clause is a value). */
export function isInType(node: ts.Node): boolean {
    for (let n: ts.Node = node; n.parent; n = n.parent) {
        if (ts.isExpressionWithTypeArguments(n) && ts.isHeritageClause(n.parent) && ts.isClassLike(n.parent.parent))
            return n.parent.token === ts.SyntaxKind.ImplementsKeyword;
        if (ts.isTypeNode(n)) return true;
    }
    return false;
}

/** The expression a value flows on through unchanged: parentheses, `as`, `!`, `satisfies`. */
export function outerExpression(node: ts.Node): ts.Node {
    let n = node;
    while (
        ts.isParenthesizedExpression(n.parent) ||
        ts.isAsExpression(n.parent) ||
        ts.isNonNullExpression(n.parent) ||
        ts.isSatisfiesExpression(n.parent) ||
        ts.isTypeAssertionExpression(n.parent)
    )
        n = n.parent;
    return n;
}

/** The member a property access or an element access with a literal key reads from `node`, and that access. */
export function memberOf(node: ts.Node): { name: string; access: ts.Expression } | undefined {
    const n = outerExpression(node);
    const p = n.parent;
    if (ts.isPropertyAccessExpression(p) && p.expression === n) return { name: p.name.text, access: p };
    if (ts.isElementAccessExpression(p) && p.expression === n && ts.isStringLiteralLike(p.argumentExpression))
        return { name: p.argumentExpression.text, access: p };
    return undefined;
}

/** The chain of members read from `node` (`pulumi.runtime.allConfig` from `pulumi`: runtime, allConfig). */
export function memberChain(node: ts.Node): { names: string[]; end: ts.Node } {
    const names: string[] = [];
    let end = node;
    for (let m = memberOf(end); m; m = memberOf(end)) {
        names.push(m.name);
        end = m.access;
    }
    return { names, end };
}

/** One use of a loaded module: a member (`undefined`: the module as a whole value) read at `node`. */
export interface ModuleUse {
    readonly member: string | undefined;
    readonly node: ts.Node;
    readonly typeOnly: boolean;
    /** A reference in code (its parent says how it is used), not the import or export clause that names it. */
    readonly ref: boolean;
}

/** A module the file loads, however it is spelled; `spec` undefined when its name is computed at run time. */
export interface ModuleLoad {
    readonly spec: string | undefined;
    readonly at: string;
    readonly typeOnly: boolean;
    readonly uses: readonly ModuleUse[];
}

/** Calls that load a module by name: require, import(), process.getBuiltinModule, module.require, createRequire(). */
function isLoaderCall(p: Parsed, call: ts.CallExpression): boolean {
    const callee = call.expression;
    if (callee.kind === ts.SyntaxKind.ImportKeyword) return true;
    if (ts.isIdentifier(callee)) return callee.text === "require" && isGlobalRef(p, callee);
    if (ts.isPropertyAccessExpression(callee))
        return (
            callee.name.text === "getBuiltinModule" ||
            (callee.name.text === "require" && callee.expression.getText(p.source) === "module")
        );
    return ts.isCallExpression(callee) && /createRequire$/.test(callee.expression.getText(p.source));
}

/** The references to a binding, each as the member it reads (`undefined` when the binding itself is used). */
function bindingUses(p: Parsed, binding: ts.Identifier, member: string | undefined, typeOnly: boolean): ModuleUse[] {
    const target = p.checker.getSymbolAtLocation(binding);
    if (!target) return [];
    return identifiersOf(p, binding.text)
        .filter((id) => id !== binding && !isOwnName(id) && symbolOf(p, id) === target)
        .map((id) => {
            const inType = typeOnly || isInType(id);
            if (member !== undefined) return { member, node: id, typeOnly: inType, ref: true };
            const q = id.parent;
            if (ts.isQualifiedName(q) && q.left === id)
                return { member: q.right.text, node: q, typeOnly: true, ref: true };
            const read = memberOf(id);
            return { member: read?.name, node: read?.access ?? id, typeOnly: inType, ref: true };
        });
}

/** What is done with the value of a require() or an awaited import(). */
function resultUses(p: Parsed, call: ts.CallExpression): ModuleUse[] {
    let n: ts.Node = outerExpression(call);
    if (call.expression.kind === ts.SyntaxKind.ImportKeyword) {
        // A promise: only its awaited value holds the members.
        if (ts.isExpressionStatement(n.parent)) return [];
        if (!ts.isAwaitExpression(n.parent)) return [{ member: undefined, node: n, typeOnly: false, ref: true }];
        n = outerExpression(n.parent);
    }
    const parent = n.parent;
    if (ts.isExpressionStatement(parent)) return [];
    const read = memberOf(n);
    if (read) return [{ member: read.name, node: read.access, typeOnly: false, ref: true }];
    if (ts.isVariableDeclaration(parent) && parent.initializer === n) {
        if (ts.isIdentifier(parent.name)) return bindingUses(p, parent.name, undefined, false);
        if (ts.isObjectBindingPattern(parent.name))
            return parent.name.elements.flatMap((e): ModuleUse[] => {
                const key = e.propertyName ?? e.name;
                const member = e.dotDotDotToken || !ts.isIdentifier(key) ? undefined : key.text;
                const clause = { member, node: e, typeOnly: false, ref: false };
                return ts.isIdentifier(e.name) ? [clause, ...bindingUses(p, e.name, member, false)] : [clause];
            });
    }
    return [{ member: undefined, node: n, typeOnly: false, ref: true }];
}

/** Every module the file loads, with what it takes of each. */
export function moduleLoads(p: Parsed): ModuleLoad[] {
    const loads: ModuleLoad[] = [];
    for (const node of nodesOf(p)) {
        if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
            const clause = node.importClause;
            const typeOnly = clause?.isTypeOnly ?? false;
            const bindings = clause?.namedBindings;
            const uses: ModuleUse[] = [];
            if (clause?.name) uses.push(...bindingUses(p, clause.name, undefined, typeOnly));
            if (bindings && ts.isNamespaceImport(bindings))
                uses.push(...bindingUses(p, bindings.name, undefined, typeOnly));
            if (bindings && ts.isNamedImports(bindings))
                for (const e of bindings.elements) {
                    const member = (e.propertyName ?? e.name).text;
                    uses.push({ member, node: e, typeOnly: typeOnly || e.isTypeOnly, ref: false });
                    uses.push(...bindingUses(p, e.name, member, typeOnly || e.isTypeOnly));
                }
            loads.push({ spec: node.moduleSpecifier.text, at: p.at(node), typeOnly, uses });
        } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
            const ref = node.moduleReference.expression;
            const uses = bindingUses(p, node.name, undefined, node.isTypeOnly);
            loads.push({
                spec: ts.isStringLiteral(ref) ? ref.text : undefined,
                at: p.at(node),
                typeOnly: node.isTypeOnly,
                uses,
            });
        } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
            const clause = node.exportClause;
            const uses: ModuleUse[] =
                clause && ts.isNamedExports(clause)
                    ? clause.elements.map((e) => ({
                          member: (e.propertyName ?? e.name).text,
                          node: e,
                          typeOnly: node.isTypeOnly || e.isTypeOnly,
                          ref: false,
                      }))
                    : [{ member: undefined, node, typeOnly: node.isTypeOnly, ref: false }];
            loads.push({ spec: node.moduleSpecifier.text, at: p.at(node), typeOnly: node.isTypeOnly, uses });
        } else if (ts.isCallExpression(node) && isLoaderCall(p, node)) {
            const [arg] = node.arguments;
            const spec = arg && ts.isStringLiteralLike(arg) ? arg.text : undefined;
            loads.push({ spec, at: p.at(node), typeOnly: false, uses: resultUses(p, node) });
        } else if (ts.isIdentifier(node) && node.text === "require" && isGlobalRef(p, node)) {
            // `require` passed on or called through another name loads what it is given; `require.main` loads nothing.
            const call = outerExpression(node).parent;
            const called = ts.isCallExpression(call) && outerExpression(call.expression) === outerExpression(node);
            if (!called && memberOf(node)?.name !== "main")
                loads.push({ spec: undefined, at: p.at(node), typeOnly: false, uses: [] });
        }
    }
    return loads;
}

/** A module's name as an import, an export or a loader call spells it. */
export function isSpecifier(p: Parsed, s: ts.Node): boolean {
    const parent = s.parent;
    return (
        ts.isImportDeclaration(parent) ||
        ts.isExportDeclaration(parent) ||
        ts.isExternalModuleReference(parent) ||
        (ts.isCallExpression(parent) && parent.arguments[0] === s && isLoaderCall(p, parent))
    );
}

/** The expression inside parentheses, `as`, `!` and `satisfies`. */
export function bare(node: ts.Node): ts.Node {
    return ts.isParenthesizedExpression(node) ||
        ts.isAsExpression(node) ||
        ts.isNonNullExpression(node) ||
        ts.isSatisfiesExpression(node)
        ? bare(node.expression)
        : node;
}

/**
 * The strings an argument can be, as far as the file says: a string literal, or a parameter of a function that only
 * this file calls (neither exported nor passed on), that never assigns it, each call passing a literal. Otherwise why
 * not.
 */
export function stringsPassed(p: Parsed, arg: ts.Node | undefined): { values: string[] } | { problem: string } {
    const e = arg && bare(arg);
    if (e && ts.isStringLiteral(e)) return { values: [e.text] };
    const declaration = e && ts.isIdentifier(e) ? p.checker.getSymbolAtLocation(e)?.valueDeclaration : undefined;
    if (!declaration || !ts.isParameter(declaration) || !ts.isIdentifier(declaration.name))
        return { problem: "not a string written out here" };
    const fn = declaration.parent;
    const owner = ts.isFunctionDeclaration(fn) ? fn : ts.isVariableDeclaration(fn.parent) ? fn.parent : undefined;
    if (!owner?.name || !ts.isIdentifier(owner.name) || ts.getCombinedModifierFlags(owner) & ts.ModifierFlags.Export)
        return { problem: "a parameter of a function other files may call" };
    if (declaration.initializer) return { problem: "a parameter with a default" };
    const refsTo = (id: ts.Identifier) => {
        const target = p.checker.getSymbolAtLocation(id);
        return identifiersOf(p, id.text).filter((r) => r !== id && p.checker.getSymbolAtLocation(r) === target);
    };
    for (const ref of refsTo(declaration.name)) {
        const op = ts.isBinaryExpression(ref.parent) && ref.parent.left === ref ? ref.parent.operatorToken.kind : 0;
        if (op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment)
            return { problem: `a parameter assigned at ${p.at(ref)}` };
    }
    const values: string[] = [];
    for (const ref of refsTo(owner.name)) {
        const call = outerExpression(ref).parent;
        if (!ts.isCallExpression(call) || call.expression !== outerExpression(ref))
            return { problem: `${owner.name.text} is passed on at ${p.at(ref)}` };
        const passed = call.arguments[fn.parameters.indexOf(declaration)];
        if (!passed || !ts.isStringLiteral(bare(passed)))
            return { problem: `${p.at(call)} calls ${owner.name.text} with ${passed?.getText() ?? "nothing"}` };
        values.push((bare(passed) as ts.StringLiteral).text);
    }
    return { values };
}

/**
 * What an object literal may set `key` to, through spreads of object literals and conditionals; why not, when the
 * object is not written out here or a key is computed.
 */
export function propertyValues(node: ts.Node, key: string): { values: ts.Expression[] } | { problem: string } {
    const e = bare(node);
    if (ts.isConditionalExpression(e)) {
        const [a, b] = [propertyValues(e.whenTrue, key), propertyValues(e.whenFalse, key)];
        return "problem" in a ? a : "problem" in b ? b : { values: [...a.values, ...b.values] };
    }
    if (!ts.isObjectLiteralExpression(e)) return { problem: "not written out here" };
    const values: ts.Expression[] = [];
    for (const prop of e.properties) {
        if (ts.isSpreadAssignment(prop)) {
            const spread = propertyValues(prop.expression, key);
            if ("problem" in spread) return spread;
            values.push(...spread.values);
        } else if (!prop.name || ts.isComputedPropertyName(prop.name)) return { problem: "a key is computed" };
        else if ((ts.isIdentifier(prop.name) || ts.isStringLiteralLike(prop.name)) && prop.name.text === key)
            values.push(ts.isPropertyAssignment(prop) ? prop.initializer : (prop.name as ts.Expression));
    }
    return { values };
}

/** What the code compares: equality, `in`, a switch's cases, a comparing method's call, a lookup by key. */
export interface Comparison {
    readonly node: ts.Node;
    readonly how: "compares" | "switches on" | "matches" | "looks up";
    /** The values compared; for a method, its receiver first; for a lookup, the table first. */
    readonly sides: readonly ts.Node[];
}

const EQUALITY = [
    ts.SyntaxKind.EqualsEqualsEqualsToken,
    ts.SyntaxKind.ExclamationEqualsEqualsToken,
    ts.SyntaxKind.EqualsEqualsToken,
    ts.SyntaxKind.ExclamationEqualsToken,
];
const COMPARING_METHODS = new Set([
    ...["includes", "startsWith", "endsWith", "match", "matchAll", "indexOf", "lastIndexOf"],
    ...["search", "test", "localeCompare", "has", "get"],
]);

export function comparisons(p: Parsed): Comparison[] {
    const out: Comparison[] = [];
    for (const node of nodesOf(p)) {
        if (ts.isBinaryExpression(node) && EQUALITY.includes(node.operatorToken.kind))
            out.push({ node, how: "compares", sides: [bare(node.left), bare(node.right)] });
        else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.InKeyword)
            out.push({ node, how: "looks up", sides: [bare(node.right), bare(node.left)] });
        else if (ts.isCaseClause(node))
            out.push({ node, how: "switches on", sides: [bare(node.parent.parent.expression), bare(node.expression)] });
        else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
            if (COMPARING_METHODS.has(node.expression.name.text))
                out.push({ node, how: "matches", sides: [node.expression.expression, ...node.arguments].map(bare) });
        } else if (ts.isElementAccessExpression(node))
            out.push({ node, how: "looks up", sides: [bare(node.expression), bare(node.argumentExpression)] });
    }
    return out;
}

/** The interfaces and type aliases of `files`, by name. */
export function typeDeclarations(files: readonly Parsed[]): Map<string, ts.Node[]> {
    const declared = new Map<string, ts.Node[]>();
    for (const p of files)
        for (const node of p.source.statements)
            if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node))
                declared.set(node.name.text, [...(declared.get(node.name.text) ?? []), node]);
    return declared;
}

/** The last name of a type or class reference (`pulumi.ComponentResource` is ComponentResource). */
export function referenceName(n: ts.EntityName | ts.Expression): string {
    if (ts.isIdentifier(n)) return n.text;
    if (ts.isQualifiedName(n)) return n.right.text;
    return ts.isPropertyAccessExpression(n) ? n.name.text : n.getText();
}

/**
 * Every type a type names, through the declarations of `declared` it reaches (once each), with the trail of
 * properties and declarations that leads to it (`EdgeArgs(EdgePlatform).limits`). `enter` says whether to follow a
 * declared name.
 */
export function typeReferences(
    root: ts.Node,
    trail: string,
    declared: ReadonlyMap<string, readonly ts.Node[]>,
    enter: (name: string, reference: ts.Node) => boolean,
): Array<{ trail: string; name: string; node: ts.Node }> {
    const out: Array<{ trail: string; name: string; node: ts.Node }> = [];
    const seen = new Set<ts.Node>();
    const visit = (node: ts.Node, at: string): void => {
        if (ts.isPropertySignature(node) && node.type) return visit(node.type, `${at}.${node.name.getText()}`);
        const ref = ts.isTypeReferenceNode(node)
            ? node.typeName
            : ts.isExpressionWithTypeArguments(node)
              ? node.expression
              : undefined;
        if (ref) {
            const name = referenceName(ref);
            out.push({ trail: at, name, node });
            for (const d of enter(name, node) ? (declared.get(name) ?? []) : [])
                if (!seen.has(d)) {
                    seen.add(d);
                    visit(d, `${at}(${name})`);
                }
        }
        ts.forEachChild(node, (c) => visit(c, at));
    };
    visit(root, trail);
    return out;
}
