/**
 * Rung 3 (the real source tree): every field a component's caller fills in carries JSDoc saying what it is, where its
 * value comes from and its units (issue 16, item 3, the reviewer's leftovers), as each field of an Args interface does
 * in the model codebases (pulumi/pulumi-eks@16141a04 nodejs/eks/servicerole.ts:30-43).
 *
 * The fields checked are those of
 * - every interface and type alias named `*Args` in components/ (exported or not: CommonServiceArgs is a base),
 * - the `args` parameter of every ComponentResource constructor (an inline `{ ... }` included),
 * - what those bring in from components/, followed transitively: an interface's `extends` (MonitoringTierArgs extends
 *   MonitoringContext extends MonitoringPlatform, an alias of TierPlatform), an alias's union or intersection,
 * - and object types written inside any of those fields (`data: { endpoints; readiness }`), which a caller fills in
 *   just the same. A named type a field merely uses (`limits: ResourceLimits`) is that type's, outside this check.
 *
 * Read with the TypeScript parser and a checker over components/ (no lib, no packages: only this tree's declarations
 * resolve), which takes a field's JSDoc as editors show it: a `/**` comment before the field, on a line of its own (one
 * on the line of the `{` before it is that token's trailing comment); a `//` comment never counts, nor does a JSDoc
 * whose text (its tags aside) is under three words: `/** *\/` or `/** @default 3 *\/` says nothing of what it is.
 * Nor does one holding TODO, FIXME, TBD or XXX: a placeholder promises a doc it does not give.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { ROOT, sourceFiles } from "./sourceTree";

const MIN_WORDS = 3;
/** A placeholder, anywhere in the JSDoc (tags too): it promises a doc and gives none, however many words it has. */
const PLACEHOLDER = /\b(TODO|FIXME|TBD|XXX)\b/i;

/** The words of a node's nearest JSDoc, its tags left out; none without one, or when it holds a placeholder. */
function docWords(node: ts.Node): number {
    const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
    const doc = docs[docs.length - 1];
    if (doc !== undefined && PLACEHOLDER.test(doc.getText())) return 0;
    const text = ts.getTextOfJSDocComment(doc?.comment) ?? "";
    return text.split(/\s+/).filter((w) => /\w/.test(w)).length;
}

const isComponentResource = (c: ts.ClassDeclaration): boolean =>
    (c.heritageClauses ?? []).some((h) => h.types.some((t) => /(^|\.)ComponentResource$/.test(t.expression.getText())));

/**
 * `file:line Owner.field.nested` of each field checked (above) without JSDoc of three words, over components/ as on
 * disk, or with `override` (repository-relative path to text) in place of, or beside, the files on disk.
 */
function undocumentedArgsFields(override: Readonly<Record<string, string>> = {}): string[] {
    const files = [...new Set([...sourceFiles(["components"]), ...Object.keys(override)])];
    const abs = (f: string) => path.join(ROOT, f);
    const texts = new Map(Object.entries(override).map(([f, t]) => [abs(f), t]));
    const options: ts.CompilerOptions = { noLib: true, noResolve: true, types: [], module: ts.ModuleKind.CommonJS };
    const host = ts.createCompilerHost(options, true);
    const read = host.readFile.bind(host);
    const exists = host.fileExists.bind(host);
    host.readFile = (f) => texts.get(f) ?? read(f);
    host.fileExists = (f) => texts.has(f) || exists(f);
    host.getSourceFile = (f, lang) => {
        const text = host.readFile(f);
        return text === undefined ? undefined : ts.createSourceFile(f, text, lang, true);
    };
    const program = ts.createProgram({ rootNames: files.map(abs), options, host });
    const checker = program.getTypeChecker();
    const inTree = (d: ts.Node) => files.includes(path.relative(ROOT, d.getSourceFile().fileName));
    const at = (node: ts.Node) => {
        const source = node.getSourceFile();
        return `${path.relative(ROOT, source.fileName)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    };

    const found = new Set<string>();
    const seen = new Set<ts.Node>();
    const members = (list: ts.NodeArray<ts.TypeElement>, owner: string): void => {
        for (const member of list) {
            const name = member.name ? member.name.getText() : "[index]";
            if (docWords(member) < MIN_WORDS) found.add(`${at(member)} ${owner}.${name}`);
            if (ts.isPropertySignature(member) && member.type) literals(member.type, `${owner}.${name}`);
        }
    };
    // Object types written inside a field's type, however it wraps them (unions, arrays, Readonly<...>).
    const literals = (type: ts.Node, owner: string): void => {
        if (ts.isTypeLiteralNode(type)) members(type.members, owner);
        else type.forEachChild((child) => literals(child, owner));
    };
    // A declaration of the tree a caller's fields come from: its own fields, then what it brings in.
    const declaration = (d: ts.Declaration): void => {
        if (seen.has(d) || !inTree(d)) return;
        seen.add(d);
        if (ts.isInterfaceDeclaration(d)) {
            members(d.members, d.name.text);
            for (const h of d.heritageClauses ?? []) for (const t of h.types) named(t.expression);
        } else if (ts.isTypeAliasDeclaration(d)) given(d.type, d.name.text);
    };
    // The type of an args parameter or an alias: literals are fields; a name is followed to its declaration.
    const given = (type: ts.TypeNode, owner: string): void => {
        if (ts.isUnionTypeNode(type) || ts.isIntersectionTypeNode(type)) type.types.forEach((t) => given(t, owner));
        else if (ts.isParenthesizedTypeNode(type)) given(type.type, owner);
        else if (ts.isTypeReferenceNode(type)) named(type.typeName);
        else literals(type, owner);
    };
    const named = (name: ts.Node): void => {
        let symbol = checker.getSymbolAtLocation(name);
        if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
        for (const d of symbol?.declarations ?? []) declaration(d);
    };

    for (const file of files) {
        program.getSourceFile(abs(file))?.forEachChild((node) => {
            if ((ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) && node.name.text.endsWith("Args"))
                declaration(node);
            if (ts.isClassDeclaration(node) && isComponentResource(node))
                for (const m of node.members)
                    if (ts.isConstructorDeclaration(m)) {
                        const args = m.parameters.find((p) => p.name.getText() === "args")?.type;
                        if (args) given(args, `${node.name?.text ?? "default"}(args)`);
                    }
        });
    }
    return [...found].sort();
}

describe("Args document every field a caller fills in (rung 3, the source tree)", () => {
    it("has JSDoc of three words or more on every field of components/' Args, their bases and constructor args", () => {
        expect(undocumentedArgsFields(), "fields without JSDoc").to.deep.equal([]);
    });

    it("finds an undocumented field: own, nested in an object type, or in an unexported base", () => {
        const text = [
            "interface BaseArgs { readonly a: string; }",
            "export interface FooArgs extends BaseArgs {",
            "    /** Documented in full. */ readonly b: number;",
            "    // Not JSDoc.",
            "    readonly c: number;",
            "    /** Documented in full. */ readonly d: { readonly e: string } | ReadonlyArray<{",
            "        /** Documented in full. */ readonly f: 1;",
            "    }>;",
            "}",
            "export interface Other { readonly g: string; }",
        ].join("\n");
        expect(
            undocumentedArgsFields({ "components/x.ts": text }).filter((f) => f.startsWith("components/x")),
        ).to.deep.equal([
            "components/x.ts:1 BaseArgs.a",
            "components/x.ts:5 FooArgs.c",
            "components/x.ts:6 FooArgs.d.e",
        ]);
    });

    // The second attack pass on issue 16's guards (#24-#26): each was a realistic change the check did not see.
    it("attack #24: an undocumented field in MonitoringContext, which MonitoringTierArgs extends from another file", () => {
        const file = "components/monitoring/context.ts";
        const real = fs.readFileSync(path.join(ROOT, file), "utf8");
        const anchor = "    readonly dockerDataRoot: string;\n";
        expect(real, "the attack's anchor").to.include(anchor);
        const attacked = real.replace(anchor, `${anchor}    readonly scrapeIntervalSeconds?: number;\n`);
        const line = real.slice(0, real.indexOf(anchor)).split("\n").length + 1;
        expect(undocumentedArgsFields({ [file]: attacked })).to.deep.equal([
            `${file}:${line} MonitoringContext.scrapeIntervalSeconds`,
        ]);
    });

    it("attack #25: an Args field whose JSDoc is empty, or only a tag", () => {
        const text = [
            "export interface FooArgs {",
            "    /** */",
            "    readonly a: string;",
            "    /** @default 3 */",
            "    readonly b?: number;",
            "    /** Two words. */",
            "    readonly c: number;",
            "}",
        ].join("\n");
        expect(undocumentedArgsFields({ "components/x.ts": text })).to.deep.equal([
            "components/x.ts:3 FooArgs.a",
            "components/x.ts:5 FooArgs.b",
            "components/x.ts:7 FooArgs.c",
        ]);
    });

    it("attack #26: a new component's `type StackLabelsArgs = { ... }`, and a constructor's inline args", () => {
        const labels = "export type StackLabelsArgs = { readonly owner: string; readonly costCentre: string };";
        const inline = [
            'import * as pulumi from "@pulumi/pulumi";',
            "export class Labels extends pulumi.ComponentResource {",
            "    constructor(name: string, args: { readonly owner: string }, opts?: pulumi.ComponentResourceOptions) {",
            '        super("freshtrack:platform:Labels", name, args, opts);',
            "    }",
            "}",
        ].join("\n");
        expect(
            undocumentedArgsFields({ "components/platform/labels.ts": labels, "components/platform/tags.ts": inline }),
        ).to.deep.equal([
            "components/platform/labels.ts:1 StackLabelsArgs.costCentre",
            "components/platform/labels.ts:1 StackLabelsArgs.owner",
            "components/platform/tags.ts:3 Labels(args).owner",
        ]);
    });

    it("attack #12: an Args field documented as a placeholder (TODO, FIXME, TBD, XXX), in the text or a tag", () => {
        const text = [
            "export interface FooArgs {",
            "    /** TODO: document this field. */",
            "    readonly a: string;",
            "    /** FIXME say what this holds and its units. */",
            "    readonly b: string;",
            "    /** Retention of the backups, in days. @default tbd */",
            "    readonly c: number;",
            "    /** The port, XXX check this against the catalog. */",
            "    readonly d: number;",
            "    /** The todolist service's port, in the catalog. */",
            "    readonly e: number;",
            "}",
        ].join("\n");
        expect(undocumentedArgsFields({ "components/x.ts": text })).to.deep.equal([
            "components/x.ts:3 FooArgs.a",
            "components/x.ts:5 FooArgs.b",
            "components/x.ts:7 FooArgs.c",
            "components/x.ts:9 FooArgs.d",
        ]);
    });
});
