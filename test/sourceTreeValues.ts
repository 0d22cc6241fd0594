/**
 * What a parsed file's values can be and what it compares them with: strings passed to a parameter, an object's
 * property, comparisons, and the types a type names. Part of test/sourceTree.ts.
 */
import * as ts from "typescript";
import { bare, identifiersOf, nodesOf, outerExpression, Parsed } from "./sourceTreeParse";

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
