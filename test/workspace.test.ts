/**
 * One operator workspace over the Automation API (issue 16, item 2): scripts/lib/workspace.ts.
 *
 * - Every script reaches a deployed stack through that one module: no other file imports @pulumi/pulumi/automation,
 *   and none starts the `pulumi` CLI itself (rung 3, the source tree read with the TypeScript parser).
 * - `up` and `preview` always carry the policy pack and the pack config of the stack's environment, whatever a
 *   caller passes; rollback's update included (rung 4: the module and the real rollback script against a stand-in
 *   `pulumi` on PATH that records what the Automation API asks it, and a stand-in `docker`).
 * - The pack config follows `freshtrack:environment`, not the stack's name, and no script can change it before an
 *   update: the one config value the workspace writes is freshtrack:appVersion, through setAppVersion (rung 3).
 *   Every other spelling of the Automation API is refused in test/boundaries.test.ts.
 * - Outputs are read without selecting the stack, secrets masked unless they may be shown; a failure is one line.
 */
import { expect } from "chai";
import * as ts from "typescript";
import { nodesOf, parseSource, sourceFacts, sourceFiles } from "./sourceTree";

/** What changes a stack's config through the Automation API (@pulumi/pulumi 3.270.0 automation/stack.d.ts:132-229). */
const CONFIG_WRITERS = new Set([
    ...["setConfig", "setAllConfig", "setAllConfigJson", "removeConfig", "removeAllConfig", "refreshConfig"],
    ...["addEnvironments", "removeEnvironment", "setTag", "removeTag"],
]);

/**
 * Every config write of a file but setConfig("freshtrack:appVersion", ...), and the members of its OperatorStack that
 * would write config (any `set`, `remove`, `add` or `refresh` member but setAppVersion).
 */
function configWrites(file: string, text?: string): string[] {
    const p = parseSource(file, text);
    const found: string[] = [];
    for (const node of nodesOf(p)) {
        if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
            const method = node.expression.name.text;
            const [first] = node.arguments;
            const appVersion =
                method === "setConfig" && first && ts.isStringLiteral(first) && first.text === "freshtrack:appVersion";
            if (CONFIG_WRITERS.has(method) && !appVersion)
                found.push(`${p.at(node)} ${node.getText(p.source).slice(0, 60)}`);
        }
        if (ts.isInterfaceDeclaration(node) && node.name.text === "OperatorStack")
            for (const m of node.members) {
                const name = m.name?.getText(p.source) ?? "";
                if (/^(set|remove|add|refresh)/.test(name) && name !== "setAppVersion")
                    found.push(`${p.at(m)} OperatorStack.${name}`);
            }
    }
    return found;
}

describe("the operator workspace is the one way to a deployed stack (rung 3, the source tree)", () => {
    const files = sourceFiles(["scripts", "operator"]);

    it("no script or operator file but scripts/lib/workspace.ts loads the Automation API", () => {
        expect(files).to.include("scripts/lib/workspace.ts");
        const loading = files.flatMap((f) =>
            sourceFacts(f)
                .imports.filter((i) => /^@pulumi\/pulumi\/automation(\/|$)/.test(i.spec))
                .map((i) => i.at),
        );
        expect(loading.map((at) => at.replace(/:\d+$/, ""))).to.deep.equal(["scripts/lib/workspace.ts"]);
    });

    it("no script or operator file starts the pulumi CLI itself", () => {
        const starting = files.flatMap((f) =>
            sourceFacts(f)
                .calls.filter((c) => /^pulumi(\s|$)/.test(c.firstArg) && !/\b(log|error|warn|write)$/.test(c.callee))
                .map((c) => `${c.at} ${c.callee}("${c.firstArg}")`),
        );
        expect(starting, starting.join("\n")).to.deep.equal([]);
    });

    it("the workspace writes no config but freshtrack:appVersion, and offers scripts no other config writer", () => {
        expect(configWrites("scripts/lib/workspace.ts")).to.deep.equal([]);
        // What it offered before: any key, so a script could set freshtrack:environment (another pack config) first.
        const before = [
            "export interface OperatorStack { setConfig(key: string, value: ConfigValue): Promise<void>; }",
            "const s = { setConfig: (key, value) => selected.setConfig(key, value) };",
            'selected.setConfig("freshtrack:appVersion", { value: v }); selected.setAllConfig({});',
        ].join("\n");
        expect(configWrites("scripts/lib/workspace.ts", before).map((f) => f.split(" ")[0])).to.deep.equal(
            [1, 2, 3].map((l) => `scripts/lib/workspace.ts:${l}`),
        );
    });

    it("the checker finds a script that would (a synthetic file)", () => {
        const text = [
            'import { LocalWorkspace } from "@pulumi/pulumi/automation";',
            'execFileSync("pulumi", ["stack", "output"]);',
            'spawnSync("pulumi up --yes");',
            'console.error("pulumi up failed");',
        ].join("\n");
        const facts = sourceFacts("scripts/example.ts", text);
        expect(facts.imports.map((i) => i.spec)).to.deep.equal(["@pulumi/pulumi/automation"]);
        expect(
            facts.calls.filter((c) => /^pulumi(\s|$)/.test(c.firstArg) && !/\b(log|error|warn|write)$/.test(c.callee)),
        ).to.have.length(2);
    });
});
