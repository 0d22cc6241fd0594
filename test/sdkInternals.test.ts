/**
 * The contract of components/sdkInternals.ts (issue 16, item 2): every use of what the Pulumi SDKs do without promising
 * it sits in that one file, checked against the versions in PINNED.
 *
 * - An installed @pulumi/pulumi or @pulumi/policy other than the pinned one fails here first, loudly, saying what to
 *   do.
 * - Each internal is exercised against the installed SDK, so a change of behaviour fails too, by name: the config
 *   secret list, the mock monitor's registrations and their options, the wire sentinels as the SDK's own serializer
 *   writes them, the policy server's unknown-checking proxy and its type test. Rung 1 (the SDK's own code under its
 *   mocks): nothing is restated from the SDK; each answer comes from running it.
 * - No other file reaches an internal: rung 3, the source tree read with the TypeScript parser.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { sourceFacts, sourceFiles } from "./sourceTree";
import {
    isConfigSecret,
    isUnknownValueError,
    onMockRegistration,
    PINNED,
    policyIsType,
    policyProps,
    waitForRegistrations,
    WIRE,
    WireRegistration,
    wireForm,
} from "../components/sdkInternals";

const ROOT = path.resolve(__dirname, "..");

/** The version a package in node_modules says it is, without a leading "v" (@pulumi/policy writes "v1.21.0"). */
function installed(pkg: keyof typeof PINNED): string {
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as {
        version: string;
    };
    return json.version.replace(/^v/, "");
}

/** The message that says an upgrade needs the internals re-checked; undefined when the installed version is pinned. */
export function versionDrift(pkg: keyof typeof PINNED, version: string): string | undefined {
    if (version === PINNED[pkg]) return undefined;
    return `${pkg} is ${version}, the internals in components/sdkInternals.ts were checked against ${PINNED[pkg]}: re-check each of them, then update PINNED`;
}

async function mocks(preview = false): Promise<void> {
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => ({
                id: `${args.name}-id`,
                // `first` reads back an output the provider has not decided yet, as a preview sees it.
                state: args.name === "first" ? { ...args.inputs, decidedLater: WIRE.unknown } : args.inputs,
            }),
            call: (args) => args.inputs,
        },
        "sdkcontract",
        "test",
        preview,
    );
}

class Thing extends pulumi.CustomResource {
    declare readonly decidedLater: pulumi.Output<string>;
    constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
        super("sdkcontract:index:Thing", name, { decidedLater: undefined, ...props }, opts);
    }
}

describe("SDK internals: the pinned versions (components/sdkInternals.ts PINNED)", () => {
    for (const pkg of Object.keys(PINNED) as (keyof typeof PINNED)[]) {
        it(`${pkg} in node_modules is ${PINNED[pkg]}, the version every internal was checked against`, () => {
            const drift = versionDrift(pkg, installed(pkg));
            if (drift) expect.fail(drift);
        });
    }

    it("says which package moved, what was checked and what to do", () => {
        expect(versionDrift("@pulumi/pulumi", "0.0.1")).to.equal(
            `@pulumi/pulumi is 0.0.1, the internals in components/sdkInternals.ts were checked against ${PINNED["@pulumi/pulumi"]}: re-check each of them, then update PINNED`,
        );
        expect(versionDrift("@pulumi/policy", PINNED["@pulumi/policy"])).to.equal(undefined);
    });
});

describe("SDK internals: what each one does with the installed SDK (components/sdkInternals.ts)", () => {
    it("isConfigSecret answers true for a key set secret through setAllConfig, false for a plain one", async () => {
        await mocks();
        pulumi.runtime.setAllConfig({ "sdkcontract:plain": "a", "sdkcontract:hidden": "b" }, ["sdkcontract:hidden"]);
        expect(isConfigSecret("sdkcontract:hidden")).to.equal(true);
        expect(isConfigSecret("sdkcontract:plain")).to.equal(false);
        expect(isConfigSecret("sdkcontract:unset")).to.equal(false);
    });

    describe("the mock monitor's registrations, and the wire format the SDK writes into them", () => {
        let seen: WireRegistration[];
        before(async () => {
            await mocks(true);
            seen = [];
            onMockRegistration((r) => seen.push(r));
            const first = new Thing(
                "first",
                { plain: "p", hidden: pulumi.secret("s") },
                {
                    protect: true,
                    deleteBeforeReplace: true,
                    ignoreChanges: ["plain"],
                    replaceOnChanges: ["hidden"],
                    retainOnDelete: true,
                    aliases: [{ name: "earlier" }, "urn:pulumi:test::sdkcontract::sdkcontract:index:Thing::older"],
                },
            );
            new Thing("second", { ref: first, later: first.decidedLater }, { dependsOn: [first] });
            await waitForRegistrations();
        });
        const named = (name: string) => {
            const r = seen.find((s) => s.name === name);
            if (!r)
                throw new Error(`no registration of ${name} was reported; saw ${seen.map((s) => s.name).join(", ")}`);
            return r;
        };

        it("reports every registration the monitor answered, with its URN, type and custom flag", () => {
            expect(seen.map((r) => [r.name, r.type, r.custom, r.urn])).to.deep.equal([
                [
                    "first",
                    "sdkcontract:index:Thing",
                    true,
                    "urn:pulumi:test::sdkcontract::sdkcontract:index:Thing::first",
                ],
                [
                    "second",
                    "sdkcontract:index:Thing",
                    true,
                    "urn:pulumi:test::sdkcontract::sdkcontract:index:Thing::second",
                ],
            ]);
        });

        it("reads the resource options from the request: protect, deleteBeforeReplace, ignore and replace lists, retain, aliases, dependencies", () => {
            const first = named("first");
            expect(first).to.deep.include({
                protect: true,
                deleteBeforeReplace: true,
                ignoreChanges: ["plain"],
                replaceOnChanges: ["hidden"],
                retainOnDelete: true,
                parent: undefined,
            });
            expect(first.aliases).to.deep.include({
                urn: "urn:pulumi:test::sdkcontract::sdkcontract:index:Thing::older",
            });
            expect(first.aliases.some((a) => "name" in a && a.name === "earlier")).to.equal(true);
            const second = named("second");
            expect(second).to.deep.include({ protect: false, deleteBeforeReplace: undefined, retainOnDelete: false });
            expect(second.dependsOn).to.include(first.urn);
        });

        it("the SDK's serializer writes a secret, a resource reference and an unknown in the forms WIRE names", () => {
            const first = named("first").object;
            const second = named("second").object;
            expect(wireForm(first.hidden)).to.deep.equal({ kind: "secret", value: "s" });
            expect(wireForm(first.plain)).to.deep.equal({ kind: "plain" });
            expect(wireForm(second.ref)).to.deep.equal({ kind: "resource", urn: named("first").urn });
            expect(wireForm(second.later)).to.deep.equal({ kind: "unknown" });
        });

        it("WIRE's sentinels are the ones the SDK exports for its wire format", () => {
            expect(WIRE).to.deep.equal({
                sigKey: pulumi.runtime.specialSigKey,
                secretSig: pulumi.runtime.specialSecretSig,
                resourceSig: pulumi.runtime.specialResourceSig,
                unknown: pulumi.runtime.unknownValue,
            });
        });
    });

    it("policyProps throws an UnknownValueError when a rule reads an unknown value, and hands everything else through", () => {
        const props = policyProps({ size: "s-2vcpu-4gb", ports: [{ internal: 80 }], ip: WIRE.unknown });
        expect(props.size).to.equal("s-2vcpu-4gb");
        expect(props.ports[0]!.internal).to.equal(80);
        let thrown: unknown;
        try {
            void props.ip;
        } catch (err) {
            thrown = err;
        }
        expect(thrown, "reading the unknown threw").to.be.instanceOf(Error);
        expect(isUnknownValueError(thrown)).to.equal(true);
        expect((thrown as Error).message)
            .to.contain(".ip")
            .and.contain("can't be known during preview");
        expect(isUnknownValueError(new Error("other"))).to.equal(false);
    });

    it("policyIsType matches a generated class by its type token, and a class without one by its isInstance", () => {
        expect(policyIsType("docker:index/container:Container", docker.Container)).to.equal(true);
        expect(policyIsType("docker:index/network:Network", docker.Container)).to.equal(false);
        const byInstance = { isInstance: (o: unknown) => (o as { __pulumiType?: string }).__pulumiType === "x:y:Z" };
        expect(policyIsType("x:y:Z", byInstance)).to.equal(true);
        expect(policyIsType("x:y:W", byInstance)).to.equal(false);
        expect(policyIsType("x:y:Z", {})).to.equal(false);
        // The type token decides when there is one, whatever isInstance would say.
        const tokenFirst = { __pulumiType: "a:b:C", isInstance: () => true };
        expect(policyIsType("x:y:Z", tokenFirst)).to.equal(false);
        expect(policyIsType("a:b:C", tokenFirst)).to.equal(true);
    });
});

/**
 * Where a file reaches an SDK internal by itself: a deep import of @pulumi/pulumi's runtime or proto modules or of
 * @pulumi/policy's files, the policy SDK's unpublished proxy, a property that only the runtime's internals have, or a
 * wire sentinel spelt out.
 */
function internalUses(file: string, text?: string): string[] {
    const facts = sourceFacts(file, text);
    const sentinels = new Set<string>(Object.values(WIRE));
    return [
        ...facts.imports
            .filter((i) => /^@pulumi\/pulumi\/(runtime|proto)(\/|$)|^@pulumi\/policy\/./.test(i.spec))
            .map((i) => `${i.at} imports ${i.spec}`),
        ...facts.imports
            .filter((i) => i.spec === "@pulumi/policy")
            .flatMap((i) => i.names.filter((n) => ["unknownCheckingProxy", "UnknownValueError"].includes(n)))
            .map((n) => `${file} imports ${n} from @pulumi/policy`),
        ...facts.properties
            .filter((p) => ["isConfigSecret", "waitForRPCs", "getMonitor", "setMockOptions"].includes(p.name))
            .map((p) => `${p.at} reads .${p.name}`),
        ...facts.strings.filter((s) => sentinels.has(s.text)).map((s) => `${s.at} spells out a wire sentinel`),
    ];
}

/**
 * Test files that still reach an internal by themselves, each with the reason; a file may leave this list, never
 * join it. The checkpoint envelope in retryPlan.test.ts is the state file's format, stated independently on purpose.
 */
const KNOWN_TEST_USES: Readonly<Record<string, string>> = {
    "test/appEdge.stack.test.ts": "unknownValue from @pulumi/pulumi/runtime/rpc (WIRE.unknown is the same value)",
    "test/minioUsersApp.stack.test.ts": "unknownValue from @pulumi/pulumi/runtime/rpc (WIRE.unknown is the same value)",
    "test/policy/resourceArgs.ts": "unknownCheckingProxy and UnknownValueError (policyProps, isUnknownValueError)",
    "test/retryPlan.test.ts": "a checkpoint's secret envelope, written out as sig.go defines it",
};

describe("SDK internals: reached only through components/sdkInternals.ts (rung 3, the source tree)", () => {
    it("the checker finds each way of reaching an internal (a synthetic file)", () => {
        const found = internalUses(
            "scripts/example.ts",
            [
                'import { unknownValue } from "@pulumi/pulumi/runtime/rpc";',
                'import { unknownCheckingProxy } from "@pulumi/policy";',
                'const settings = require("@pulumi/pulumi/runtime/settings");',
                "pulumi.runtime.waitForRPCs();",
                `const sig = "${WIRE.sigKey}";`,
                "// a comment naming pulumi.runtime.isConfigSecret is no use of it",
            ].join("\n"),
        );
        expect(found).to.deep.equal([
            "scripts/example.ts:1 imports @pulumi/pulumi/runtime/rpc",
            "scripts/example.ts:3 imports @pulumi/pulumi/runtime/settings",
            "scripts/example.ts imports unknownCheckingProxy from @pulumi/policy",
            "scripts/example.ts:4 reads .waitForRPCs",
            "scripts/example.ts:5 spells out a wire sentinel",
        ]);
    });

    it("no file of the program, the scripts, operator/ or the policy pack reaches one by itself", () => {
        const files = sourceFiles(["index.ts", "components", "scripts", "operator", "policy"]).filter(
            (f) => f !== "components/sdkInternals.ts",
        );
        expect(files.length, "files found").to.be.greaterThan(50);
        const uses = files.flatMap((f) => internalUses(f));
        expect(uses, `\n${uses.join("\n")}\n`).to.deep.equal([]);
    });

    it("no test file reaches one by itself, but those listed while they move over", () => {
        const files = sourceFiles(["test"]).filter((f) => f !== "test/sdkInternals.test.ts");
        const reaching = files.filter((f) => internalUses(f).length > 0);
        expect(reaching).to.deep.equal(Object.keys(KNOWN_TEST_USES).filter((f) => files.includes(f)));
    });
});
