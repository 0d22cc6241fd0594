/**
 * Rung 3 (the real source tree, read with the TypeScript parser and a checker of each file's own scopes): the
 * boundaries issue 16 draws, closed against every spelling the attack pass found around them. Each checker is fed
 * crafted source first, so the way around it stays in the suite, then the tree.
 *
 * - Only scripts/lib/workspace.ts reaches the Automation API, however it is spelled.
 * - Only the files that need a child process start one, each only the programs named for it, never through a shell:
 *   test/boundariesProcesses.test.ts.
 * - Nothing keys behaviour on the stack's name: test/boundariesStackName.test.ts.
 * - Tiers take values, not neighbours (no component's args name StackConfig or another component):
 *   test/boundariesArgs.test.ts.
 * - The config has one door (who loads it, no setting checked outside the schema, only declared keys spelled):
 *   test/boundariesConfig.test.ts.
 *
 * Where code lives is checked beside these: the program's allow-list of modules and globals and the line limit
 * (test/layout.test.ts), config read in components/config/ alone (test/layoutConfig.test.ts), every file under a root
 * tsconfig.json covers and no production import of test/ (test/layoutRoots.test.ts), no provider invoke in the program
 * (test/programInvokes.test.ts), no pulumi CLI outside the workspace (test/scriptsNoCli.test.ts) and no switched-off
 * formatter or linter (test/lintEscapes.test.ts).
 */
import { expect } from "chai";
import * as ts from "typescript";
import {
    expectFindings,
    moduleLoads,
    moduleName,
    nodesOf,
    Parsed,
    parseSource,
    rootsOf,
    sourceFiles,
} from "./sourceTree";

const PRODUCTION = rootsOf("program", "operator", "policy");
const treeProblems = (files: readonly string[], check: (p: Parsed) => string[]) =>
    files.flatMap((f) => check(parseSource(f)));

// --- The Automation API ----------------------------------------------------------------------------------------------

const WORKSPACE = "scripts/lib/workspace.ts";
const AUTOMATION_PATH = /(^|\/)@pulumi\/pulumi\/automation(\/|$)/;
/** The Automation API's entry points; @pulumi/pulumi 3.270.0 index.d.ts:10,17 also exports it as `automation`. */
const AUTOMATION_NAMES = new Set(["automation", "LocalWorkspace", "RemoteWorkspace", "PulumiCommand"]);

function automationProblems(p: Parsed): string[] {
    if (p.file === WORKSPACE) return [];
    const out: string[] = [];
    for (const load of moduleLoads(p)) {
        if (load.spec === undefined)
            out.push(`${load.at} loads a module named at run time: it could be the Automation API`);
        else if (AUTOMATION_PATH.test(load.spec)) out.push(`${load.at} loads ${load.spec}`);
        else if (moduleName(load.spec) === "@pulumi/pulumi")
            for (const use of load.uses.filter((u) => !u.typeOnly || u.member === "automation")) {
                if (use.member === "automation") out.push(`${p.at(use.node)} takes automation from ${load.spec}`);
                else if (use.member === undefined)
                    out.push(`${p.at(use.node)} takes ${load.spec} whole, automation with it`);
            }
    }
    for (const node of nodesOf(p))
        if ((ts.isIdentifier(node) || ts.isStringLiteralLike(node)) && AUTOMATION_NAMES.has(node.text))
            out.push(`${p.at(node)} names ${node.text}`);
    return out;
}

describe("boundaries: only scripts/lib/workspace.ts reaches the Automation API", () => {
    it("the checker finds every spelling of it (crafted source)", () => {
        const attack = [
            'import * as pulumi from "@pulumi/pulumi";',
            "pulumi.automation.LocalWorkspace.selectStack;",
            'import { automation as a } from "@pulumi/pulumi";',
            'const p2 = require("@pulumi/pulumi").automation;',
            'const { automation: auto } = require("@pulumi/pulumi");',
            'const p3 = await import("@pulumi/pulumi"); p3["auto" + "mation"];',
            'import("@pulumi/pulumi/automation");',
            'const name = "@pulumi/pulumi"; require(name);',
            "const whole = pulumi; a; p2; auto; whole;",
        ].join("\n");
        // Each spelling is caught by what it loads and takes; the names are a second net.
        const takes = (line: number) => [`:${line} takes automation from @pulumi/pulumi`, `:${line} names automation`];
        expectFindings(
            automationProblems(parseSource("scripts/attack.ts", attack)).map((f) => f.replace("scripts/attack.ts", "")),
            [
                ...[2, 3, 4, 5].flatMap(takes),
                ":2 names LocalWorkspace",
                ":6 takes @pulumi/pulumi whole",
                ":7 loads @pulumi/pulumi/automation",
                ":8 loads a module named at run time",
                ":9 takes @pulumi/pulumi whole",
                ":9 takes automation from @pulumi/pulumi",
            ],
        );
        expect(
            automationProblems(parseSource("scripts/ok.ts", 'import * as pulumi from "@pulumi/pulumi";\npulumi.log;')),
        ).to.be.empty;
    });

    it("no program, script, operator or policy file but scripts/lib/workspace.ts does", () => {
        const files = sourceFiles(PRODUCTION);
        expect(files).to.include(WORKSPACE);
        const found = treeProblems(files, automationProblems);
        expect(found, `\n${found.join("\n")}\n`).to.be.empty;
    });
});
