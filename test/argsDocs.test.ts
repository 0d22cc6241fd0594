/**
 * Rung 3 (the real source tree): every field of every Args interface in components/ carries JSDoc saying what it is,
 * where its value comes from and its units (issue 16, item 3, the reviewer's leftovers), as each field of an Args
 * interface does in the model codebases (pulumi/pulumi-eks@16141a04 nodejs/eks/servicerole.ts:30-43).
 *
 * An Args interface is one named `*Args`: the exported ones a component takes, and an unexported base they extend
 * (CommonServiceArgs). Its fields are its own members and the members of object types written inside them
 * (`data: { endpoints; readiness }`), which are fields a caller fills in just the same. Fields a named type brings in
 * (`extends TierPlatform`, `limits: ResourceLimits`) are that type's, outside this check.
 *
 * Read with the TypeScript parser, which takes a field's JSDoc as editors show it: a `/**` comment before the field, on
 * a line of its own (one on the line of the `{` before it is that token's trailing comment); a `//` comment never
 * counts.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { ROOT, sourceFiles } from "./sourceTree";

/** `Interface.field.nested` of each field without JSDoc in one file's Args interfaces, with its line. */
function undocumentedArgsFields(file: string, text: string): string[] {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const found: string[] = [];
    const line = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    const members = (list: ts.NodeArray<ts.TypeElement>, owner: string): void => {
        for (const member of list) {
            const name = member.name ? member.name.getText(source) : "[index]";
            if (ts.getJSDocCommentsAndTags(member).length === 0) found.push(`${file}:${line(member)} ${owner}.${name}`);
            if (ts.isPropertySignature(member) && member.type) literals(member.type, `${owner}.${name}`);
        }
    };
    // Object types written inside a field's type, however it wraps them (unions, arrays, Readonly<...>).
    const literals = (type: ts.Node, owner: string): void => {
        if (ts.isTypeLiteralNode(type)) members(type.members, owner);
        else type.forEachChild((child) => literals(child, owner));
    };
    source.forEachChild((node) => {
        if (ts.isInterfaceDeclaration(node) && node.name.text.endsWith("Args")) members(node.members, node.name.text);
    });
    return found;
}

describe("Args interfaces document every field", () => {
    it("has JSDoc on every field of every Args interface in components/, nested object fields included", () => {
        const missing = sourceFiles(["components"]).flatMap((file) =>
            undocumentedArgsFields(file, fs.readFileSync(path.join(ROOT, file), "utf8")),
        );
        expect(missing, "fields without JSDoc").to.deep.equal([]);
    });

    it("finds an undocumented field: own, nested in an object type, or in an unexported base", () => {
        const text = [
            "interface BaseArgs { readonly a: string; }",
            "export interface FooArgs extends BaseArgs {",
            "    /** Documented. */ readonly b: number;",
            "    // Not JSDoc.",
            "    readonly c: number;",
            "    /** Documented. */ readonly d: { readonly e: string } | ReadonlyArray<{",
            "        /** Documented. */ readonly f: 1;",
            "    }>;",
            "}",
            "export interface Other { readonly g: string; }",
        ].join("\n");
        expect(undocumentedArgsFields("x.ts", text)).to.deep.equal([
            "x.ts:1 BaseArgs.a",
            "x.ts:5 FooArgs.c",
            "x.ts:6 FooArgs.d.e",
        ]);
    });
});
