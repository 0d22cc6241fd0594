/**
 * Rung 3 (the real source tree, read with the TypeScript parser and a checker of each file's own scopes): config is
 * read in one place, components/config/. No other file constructs a pulumi.Config, calls the runtime's config readers
 * or a provider's config module (issue 16, item 1: one declarative config schema, read by one parser).
 *
 * Moved unchanged from test/layout.test.ts, which passed 400 lines.
 */
import { expect } from "chai";
import * as ts from "typescript";
import {
    expectFindings,
    memberChain,
    moduleLoads,
    moduleName,
    nodesOf,
    Parsed,
    parseSource,
    rootsOf,
    sourceFiles,
} from "./sourceTree";

function isUnder(rel: string, dir: string): boolean {
    return rel === dir || rel.startsWith(`${dir}/`);
}

/** The one place that reads the stack's config: loadStackConfig, through the runtime's allConfig. */
const CONFIG_HOME = "components/config";
/** @pulumi/pulumi 3.270.0 runtime/config.js:23 (PULUMI_CONFIG, the config the CLI hands over), 33-38, 62-66. */
const RUNTIME_READERS = new Set(["allConfig", "getConfig"]);

function configProblems(p: Parsed): string[] {
    if (isUnder(p.file, CONFIG_HOME)) return [];
    const out: string[] = [];
    for (const load of moduleLoads(p)) {
        if (load.spec === undefined || !load.spec.replace(/^node:/, "").startsWith("@pulumi/")) continue;
        const sub = load.spec.slice(moduleName(load.spec).length);
        for (const use of load.uses) {
            const chain = [
                ...(sub ? sub.split("/").filter(Boolean) : []),
                ...(use.member !== undefined ? [use.member] : []),
                ...(use.ref ? memberChain(use.node).names : []),
            ];
            const pulumi = moduleName(load.spec) === "@pulumi/pulumi";
            // A provider's config module reads its keys from the stack (@pulumi/digitalocean 4.80.1 config/vars.js:30).
            const reads = pulumi
                ? ["Config", "config"].includes(chain[0]!) ||
                  (chain[0] === "runtime" && chain.some((m) => RUNTIME_READERS.has(m)))
                : chain[0] === "config";
            if (reads) out.push(`${p.at(use.node)} reads config: ${load.spec} ${chain.join(".")}`);
        }
    }
    for (const node of nodesOf(p)) {
        if (ts.isNewExpression(node) && /(^|\.)Config$/.test(node.expression.getText(p.source)))
            out.push(`${p.at(node)} constructs ${node.expression.getText(p.source)}`);
        if ((ts.isIdentifier(node) || ts.isStringLiteralLike(node)) && node.text === "PULUMI_CONFIG")
            out.push(`${p.at(node)} names PULUMI_CONFIG, the config the CLI hands the program`);
    }
    return out;
}

describe("layout: config is read in one place, components/config/", () => {
    it("the checker finds pulumi.Config, new Config(, the runtime's readers and a provider's config (crafted)", () => {
        const attack = [
            'import * as pulumi from "@pulumi/pulumi";',
            'import { Config as C, runtime } from "@pulumi/pulumi";',
            'import * as docker from "@pulumi/docker";',
            'const a = new pulumi.Config("freshtrack").require("environment");',
            'const b = new C(); const c = runtime.allConfig(); const d = (pulumi.runtime as any)["getConfig"]("x");',
            'const e = docker.config.host; const f = process.env["PULUMI_CONFIG"];',
        ].join("\n");
        expectFindings(
            configProblems(parseSource("components/services/attack.ts", attack)).map((f) => f.replace(/^.*?:/, ":")),
            [
                ":2 reads config: @pulumi/pulumi Config",
                ":4 reads config: @pulumi/pulumi Config",
                ":4 constructs pulumi.Config",
                ":5 reads config: @pulumi/pulumi Config",
                ":5 reads config: @pulumi/pulumi runtime.allConfig",
                ":5 reads config: @pulumi/pulumi runtime.getConfig",
                ":6 reads config: @pulumi/docker config.host",
                ":6 names PULUMI_CONFIG",
            ],
        );
        expect(configProblems(parseSource("components/config/index.ts", attack))).to.be.empty;
        const setsMocks = 'import * as pulumi from "@pulumi/pulumi";\npulumi.runtime.setAllConfig({});';
        expect(configProblems(parseSource("scripts/lib/mockRun.ts", setsMocks))).to.be.empty;
    });

    it("no program, script, operator or policy file outside components/config/ reads config", () => {
        const found = sourceFiles(rootsOf("program", "operator", "policy")).flatMap((f) =>
            configProblems(parseSource(f)),
        );
        expect(found, `\n${found.join("\n")}\n`).to.be.empty;
    });
});
