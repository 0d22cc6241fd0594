/**
 * URNs stay put (issue 16, item 6). A resource whose URN changes is, to the engine, a new
 * resource plus a deleted one: for a container that is a replacement, and for a volume or the
 * database cluster it is data loss (only `protect` stops it). test/fixtures/urns.json holds every
 * URN each shipped stack (and each target, database and image-build variant of them) registered
 * before the redesign, in the engine's form; every one must still be taken over by a registration,
 * by its own URN or by an alias, and no two registrations may claim one.
 *
 * Rung 1 (mocks) for what each stack registers; its engine URN comes from the chain of parents
 * as the engine computes it (pulumi v3.259.0 pkg/resource/deploy/deployment.go:794-805), not
 * from the mock monitor's (@pulumi/pulumi 3.270.0 runtime/mocks.js:37-43). Rung 2 for the
 * matching: `matchUrns` models the step generator (pulumi v3.259.0
 * pkg/resource/deploy/step_generator.go:545-710; test/urnStability.test.ts checks the model).
 *
 * The net only holds where a variant reaches: a resource that no recorded variant registers can be
 * renamed unseen (the second attack pass renamed the app image builds, which only freshtrack:appBuild
 * creates). So every type of resource the program's source constructs must be registered by some
 * variant, and every type a variant registers must have URNs in the fixture.
 *
 * A URN may leave the fixture only with the change that removes the resource on purpose, named in
 * the commit; a new resource needs no entry, but a new type needs a variant that registers it.
 */
import { expect } from "chai";
import * as path from "path";
import * as ts from "typescript";
import { RegisteredResource } from "../scripts/lib/mockRun";
import {
    memberChain,
    moduleLoads,
    nodesOf,
    outerExpression,
    Parsed,
    parseSource,
    rootsOf,
    sourceFiles,
} from "./sourceTree";
import { URN_VARIANTS } from "./urnVariants";
import { variantResources } from "./variantRuns";
import { FIXTURE, matchUrns, parseUrn, readFixture } from "./urnStabilityFixtures";

/** A component's type token as `super()` spells it (`freshtrack:services:Service`). */
const COMPONENT_TOKEN = /^[a-z][A-Za-z0-9]*:[A-Za-z0-9]+:[A-Z][A-Za-z0-9]*$/;

/**
 * The resource types a source file constructs, with where: each `new` of a class of a @pulumi package that has a
 * type token (`__pulumiType`, which the SDK registers under: @pulumi/pulumi 3.270.0 resource.js, CustomResource;
 * a provider's type is `pulumi:providers:<package>`, ProviderResource), and each component's `super("<token>", ...)`.
 * A `new` whose class cannot be read, or a component whose token is not a literal, is reported as a problem.
 */
function constructedTypes(p: Parsed): { types: Array<{ type: string; at: string }>; problems: string[] } {
    // Loaded here: the packages' classes carry the tokens the source does not spell.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const types: Array<{ type: string; at: string }> = [];
    const problems: string[] = [];
    for (const load of moduleLoads(p)) {
        if (!load.spec?.startsWith("@pulumi/")) continue;
        for (const use of load.uses.filter((u) => u.ref && !u.typeOnly && u.member !== undefined)) {
            const chain = memberChain(use.node);
            const made = outerExpression(chain.end);
            if (!ts.isNewExpression(made.parent) || made.parent.expression !== made) continue;
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            let value: unknown = require(load.spec);
            for (const name of [use.member!, ...chain.names]) value = (value as Record<string, unknown>)?.[name];
            if (typeof value !== "function") {
                problems.push(`${p.at(made)}: new ${made.getText(p.source)}, which ${load.spec} does not export`);
                continue;
            }
            const token = (value as { __pulumiType?: unknown }).__pulumiType;
            if (typeof token !== "string") continue; // not a resource (ResourceError, Config)
            const provider = (value as { prototype: unknown }).prototype instanceof pulumi.ProviderResource;
            types.push({ type: provider ? `pulumi:providers:${token}` : token, at: p.at(made) });
        }
    }
    for (const node of nodesOf(p)) {
        if (!ts.isCallExpression(node) || node.expression.kind !== ts.SyntaxKind.SuperKeyword) continue;
        const cls = ts.findAncestor(node, ts.isClassLike);
        const base = cls?.heritageClauses?.[0]?.types[0]?.expression.getText(p.source) ?? "";
        if (!/\bComponentResource$/.test(base)) continue;
        const [first] = node.arguments;
        if (first && ts.isStringLiteralLike(first) && COMPONENT_TOKEN.test(first.text))
            types.push({ type: first.text, at: p.at(node) });
        else problems.push(`${p.at(node)}: a component whose type token is not a literal the source spells`);
    }
    return { types, problems };
}

/** The types `registered` holds that no URN of `fixture` has: renames of those resources would go unseen. */
function typesWithoutUrns(registered: Iterable<string>, fixture: Readonly<Record<string, string[]>>): string[] {
    const recorded = new Set(
        Object.values(fixture).flatMap((urns) => urns.map((u) => parseUrn(u).qualifiedType.split("$").pop()!)),
    );
    return [...new Set(registered)].filter((t) => !recorded.has(t)).sort();
}

describe("URN stability: every resource a shipped stack had keeps its URN or carries an alias (issue 16)", function () {
    this.timeout(120_000);
    const recorded = readFixture().variants;
    const runs = new Map<string, RegisteredResource[]>();
    before(async () => {
        for (const variant of Object.keys(URN_VARIANTS)) runs.set(variant, await variantResources(variant));
    });
    const registeredTypes = () => new Set([...runs.values()].flatMap((resources) => resources.map((r) => r.type)));

    for (const variant of Object.keys(URN_VARIANTS)) {
        it(`${variant}: every recorded URN is taken over, none claimed twice`, () => {
            const { lost, refused } = matchUrns(recorded[variant]!, runs.get(variant)!);
            expect(refused, "the engine would refuse the update").to.deep.equal([]);
            expect(
                lost,
                `URNs no resource answers to any more (give the resource an alias, or remove the URN from ${path.relative(process.cwd(), FIXTURE)} with the change that deletes it on purpose)`,
            ).to.deep.equal([]);
        });
    }

    describe("what the net covers", () => {
        it("has URNs of every resource type any variant registers", () => {
            expect(
                typesWithoutUrns(registeredTypes(), recorded),
                "types no recorded URN has: add a variant that registers them to test/urnVariants.ts and record it",
            ).to.deep.equal([]);
        });

        it("refuses a fixture without the appBuild variants (the second attack pass: a build renamed unseen)", () => {
            const withoutBuilds = Object.fromEntries(Object.entries(recorded).filter(([v]) => !/\bbuilding\b/.test(v)));
            expect(typesWithoutUrns(registeredTypes(), withoutBuilds)).to.deep.equal([
                "docker:index/image:Image",
                "freshtrack:services:AppImageBuilds",
            ]);
        });

        it("registers, in some variant, every resource type the program's source constructs", () => {
            const found = sourceFiles(rootsOf("program")).map((file) => constructedTypes(parseSource(file)));
            expect(found.flatMap((f) => f.problems)).to.deep.equal([]);
            const registered = registeredTypes();
            expect(
                found
                    .flatMap((f) => f.types)
                    .filter((t) => !registered.has(t.type))
                    .map((t) => `${t.type} (${t.at})`),
                "constructed by the source, registered by no variant of test/urnVariants.ts: add one that reaches it",
            ).to.deep.equal([]);
        });

        it("reads the types a source constructs, a provider's and a component's included", () => {
            const crafted = [
                'import * as docker from "@pulumi/docker";',
                'import { remote } from "@pulumi/command";',
                'import * as pulumi from "@pulumi/pulumi";',
                "class Builds extends pulumi.ComponentResource {",
                '    constructor() { super("freshtrack:services:AppImageBuilds", "b", {}); }',
                "}",
                'new docker.Image("backend-image", {} as never);',
                'new docker.Provider("local", {});',
                'new remote.Command("c", {} as never);',
                'throw new pulumi.ResourceError("not a resource", undefined);',
            ].join("\n");
            expect(
                constructedTypes(parseSource("crafted.ts", crafted))
                    .types.map((t) => t.type)
                    .sort(),
            ).to.deep.equal([
                "command:remote:Command",
                "docker:index/image:Image",
                "freshtrack:services:AppImageBuilds",
                "pulumi:providers:docker",
            ]);
        });
    });
});
