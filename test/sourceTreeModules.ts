/**
 * Which modules a parsed file loads, however it spells the loading, and what it takes of each. Part of
 * test/sourceTree.ts.
 */
import * as ts from "typescript";
import {
    identifiersOf,
    isGlobalRef,
    isInType,
    isOwnName,
    memberOf,
    nodesOf,
    outerExpression,
    Parsed,
    symbolOf,
} from "./sourceTreeParse";

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
