/**
 * Several files parsed into one program, so that the checker follows a name from file to file: an import, however it
 * is renamed or re-exported, to the declaration it names. A per-file checker (sourceTreeParse.ts) sees an imported name
 * only as an import, and a guard comparing names is passed by `import { X as Y }`. Modules outside the files given
 * (the Pulumi SDK, Node's) stay unresolved: their names resolve to nothing. Part of test/sourceTree.ts.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { ROOT } from "./sourceTreeFiles";
import type { Parsed } from "./sourceTreeParse";

/**
 * `files` of the tree (repository-relative), and `texts` given as files' sources (the checkers' own cases, which may
 * replace a file of the tree or add one), parsed into one program that shares one checker.
 */
export function parseProgram(files: readonly string[], texts: Readonly<Record<string, string>> = {}): Parsed[] {
    const text = new Map<string, string>();
    for (const f of files) text.set(`/${f}`, texts[f] ?? fs.readFileSync(path.join(ROOT, f), "utf8"));
    for (const [f, t] of Object.entries(texts)) text.set(`/${f}`, t);
    const folders = new Set(
        [...text.keys()].flatMap((f) => f.split("/").map((_, i, all) => all.slice(0, i).join("/"))),
    );
    const host: ts.CompilerHost = {
        getSourceFile: (f) => {
            const t = text.get(f);
            return t === undefined ? undefined : ts.createSourceFile(f, t, ts.ScriptTarget.Latest, true);
        },
        getDefaultLibFileName: () => "/lib.d.ts",
        writeFile: () => undefined,
        getCurrentDirectory: () => "/",
        getCanonicalFileName: (f) => f,
        useCaseSensitiveFileNames: () => true,
        getNewLine: () => "\n",
        fileExists: (f) => text.has(f),
        readFile: (f) => text.get(f),
        directoryExists: (d) => folders.has(d.replace(/\/$/, "")),
    };
    // Relative imports resolve among the files (./x to x.ts or x/index.ts, as the project's `node` resolution does).
    const options: ts.CompilerOptions = {
        noLib: true,
        types: [],
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.Node10,
    };
    const program = ts.createProgram({ rootNames: [...text.keys()], options, host });
    const checker = program.getTypeChecker();
    return [...text.keys()].map((name) => {
        const source = program.getSourceFile(name)!;
        const file = name.slice(1);
        const at = (node: ts.Node) => `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
        return { file, source, checker, at };
    });
}

/** The declaration's symbol a name resolves to, through imports and re-exports, however renamed. */
export function resolvedSymbol(checker: ts.TypeChecker, name: ts.Node): ts.Symbol | undefined {
    const symbol = checker.getSymbolAtLocation(name);
    return symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** A declaration a type names, resolved: `symbol.name` is its own name, `node` the reference as spelled. */
export interface ResolvedReference {
    readonly trail: string;
    readonly symbol: ts.Symbol;
    readonly node: ts.Node;
}

/** The name a type node refers by: a reference, a heritage clause, `typeof x` (its value) or `import("m").X`. */
function referredName(node: ts.Node): ts.Node | undefined {
    const name = ts.isTypeReferenceNode(node)
        ? node.typeName
        : ts.isExpressionWithTypeArguments(node)
          ? node.expression
          : ts.isTypeQueryNode(node)
            ? node.exprName
            : ts.isImportTypeNode(node)
              ? node.qualifier
              : undefined;
    if (!name) return undefined;
    if (ts.isQualifiedName(name)) return name.right;
    return ts.isPropertyAccessExpression(name) ? name.name : name;
}

/**
 * Every declaration a type names, resolved by the checker, with the trail of properties and declarations that leads
 * to it (`EdgeArgs(EdgePlatform).limits`), through what each resolved name is built from (once each): an interface or
 * a type alias; what `typeof` names, as its value is typed (a variable's or a property's type, a function's return
 * type as written). `enter` says whether to follow a declaration.
 */
export function resolvedTypeReferences(
    checker: ts.TypeChecker,
    root: ts.Node,
    trail: string,
    enter: (symbol: ts.Symbol) => boolean,
): ResolvedReference[] {
    const out: ResolvedReference[] = [];
    const seen = new Set<ts.Node>();
    const follow = (symbol: ts.Symbol, at: string): void => {
        if (!enter(symbol)) return;
        for (const d of symbol.declarations ?? []) {
            const shape =
                ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d)
                    ? d
                    : ts.isVariableDeclaration(d) ||
                        ts.isParameter(d) ||
                        ts.isPropertyDeclaration(d) ||
                        ts.isPropertySignature(d) ||
                        ts.isFunctionLike(d)
                      ? d.type
                      : undefined;
            if (shape && !seen.has(shape)) {
                seen.add(shape);
                visit(shape, `${at}(${symbol.name})`);
            }
        }
    };
    const visit = (node: ts.Node, at: string): void => {
        if ((ts.isPropertySignature(node) || ts.isPropertyDeclaration(node)) && node.type)
            return visit(node.type, `${at}.${node.name.getText()}`);
        const name = referredName(node);
        const symbol = name && resolvedSymbol(checker, name);
        if (symbol && symbol.declarations?.length) {
            out.push({ trail: at, symbol, node });
            follow(symbol, at);
        }
        ts.forEachChild(node, (c) => visit(c, at));
    };
    visit(root, trail);
    return out;
}
