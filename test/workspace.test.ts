/**
 * One operator workspace over the Automation API (issue 16, item 2): scripts/lib/workspace.ts.
 *
 * - Every script reaches a deployed stack through that one module: no other file imports @pulumi/pulumi/automation,
 *   and none starts the `pulumi` CLI itself (rung 3, the source tree read with the TypeScript parser).
 * - `up` and `preview` always carry the policy pack and the pack config of the stack's environment, whatever a
 *   caller passes; rollback's update included (rung 4: the module and the real rollback script against a stand-in
 *   `pulumi` on PATH that records what the Automation API asks it, and a stand-in `docker`).
 * - The pack config follows `freshtrack:environment`, not the stack's name.
 * - Outputs are read without selecting the stack, secrets masked unless they may be shown; a failure is one line.
 */
import { expect } from "chai";
import { sourceFacts, sourceFiles } from "./sourceTree";

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
