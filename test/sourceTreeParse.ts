/**
 * One source file parsed with a type checker of its own, and the moves along its syntax tree the structural checkers
 * share (whose binding a name is, what member an expression reads). Part of test/sourceTree.ts.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { ROOT } from "./sourceTreeFiles";

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
export function symbolOf(p: Parsed, id: ts.Identifier): ts.Symbol | undefined {
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
/** The expression inside parentheses, `as`, `!` and `satisfies`. */
export function bare(node: ts.Node): ts.Node {
    return ts.isParenthesizedExpression(node) ||
        ts.isAsExpression(node) ||
        ts.isNonNullExpression(node) ||
        ts.isSatisfiesExpression(node)
        ? bare(node.expression)
        : node;
}
