/**
 * Rung 3 (the real source tree, read with the TypeScript parser and a checker of each file's own scopes): the program
 * (index.ts and components/) calls no provider function while it is evaluated. Issue 16, item 5: components/ holds
 * only Pulumi components and pure renderers.
 *
 * A resource is planned and shown by preview before it changes anything; a provider function (an invoke) runs as the
 * program is evaluated, in preview too, and hands its result to the program. `command.local.runOutput` runs a shell
 * command on this machine then (@pulumi/command 1.2.1 local/run.d.ts:3-7: "executed unconditionally ... on any
 * preview or deployment"; run.js:14 and 33 call pulumi.runtime.invoke and invokeOutput with "command:local:run"); a
 * provider's get* reaches its service or the Docker daemon (@pulumi/docker 5.2.0 getNetwork.js:47 and 68,
 * pulumi.runtime.invoke and invokeOutput); a resource class's static `get` reads an existing resource; a provider's
 * `terraformConfig()` is a call (docker provider.js:77-81, pulumi.runtime.call). So a program file uses of a
 * @pulumi/* package only resources, and calls no invoke, no call and no get of a provider, but those named below.
 * test/layout.test.ts's allow-list of modules lets every @pulumi/* package in; this is what it may take of each.
 */
import { expect } from "chai";
import * as ts from "typescript";
import {
    expectFindings,
    memberChain,
    moduleLoads,
    moduleName,
    nodesOf,
    outerExpression,
    Parsed,
    parseSource,
    sourceFiles,
} from "./sourceTree";

/** The Pulumi SDK's own invokes and calls (@pulumi/pulumi 3.270.0 runtime/invoke.d.ts:42-64), and dynamic providers. */
const SDK_INVOKES = new Set(["invoke", "invokeOutput", "invokeSingle", "invokeSingleOutput", "call", "callSingle"]);
/** What a provider package's functions are named: `run`, `runOutput`, `get*` and `get*Output`, a class's `get`. */
const PROVIDER_FUNCTION = /^(run|runOutput|invoke\w*|call\w*|get([A-Z0-9]\w*)?)$/;
/** Members of a resource that are calls to its provider (`provider.terraformConfig()`), whatever holds the resource. */
const PROVIDER_METHODS = new Set(["terraformConfig"]);
/**
 * A StackReference reads another stack's outputs from the backend while the program is evaluated (@pulumi/pulumi
 * 3.270.0 stackReference.js:41-45, a resource given an `id`, so read and not created; :133-136): the stack would then
 * depend on a stack outside this repository, which no test here can build or check. Refused in any spelling.
 */
const SDK_READS = new Set(["StackReference"]);
/** @pulumi/command: its resources only; the local.run and local.runOutput invokes run a command at evaluation. */
const COMMAND_ALLOWED = ["local.Command", "remote.Command"];

/** Provider functions the program calls today: the file, the member chain, and why it may. */
const INVOKES_ALLOWED: ReadonlyArray<readonly [file: string, chain: string, why: string]> = [
    [
        "components/platform/managedDatabase.ts",
        "@pulumi/digitalocean getDatabaseCaOutput",
        "the managed cluster's CA certificate, read from DigitalOcean by the engine's provider: clients verify the " +
            "server with it (no resource exposes it: @pulumi/digitalocean 4.80.1 getDatabaseCa.d.ts)",
    ],
];

/** The members read of a module use, and the node that ends them (`command.local.runOutput`: local, runOutput). */
function chainOf(load: { spec: string }, use: { member?: string; node: ts.Node; ref: boolean }) {
    const sub = load.spec.slice(moduleName(load.spec).length).split("/").filter(Boolean);
    const read = use.ref ? memberChain(use.node) : { names: [], end: use.node };
    const names = [...sub, ...(use.member !== undefined ? [use.member] : []), ...read.names];
    // `const { runOutput } = command.local` reads runOutput too.
    const outer = outerExpression(read.end);
    const parent = outer.parent;
    const destructured =
        use.ref &&
        ts.isVariableDeclaration(parent) &&
        parent.initializer === outer &&
        ts.isObjectBindingPattern(parent.name)
            ? parent.name.elements.map((e) => {
                  const key = e.propertyName ?? e.name;
                  return e.dotDotDotToken || !ts.isIdentifier(key) ? undefined : key.text;
              })
            : undefined;
    return { names, end: outer, destructured };
}

function invokeProblems(p: Parsed, allowed = INVOKES_ALLOWED): string[] {
    const out = new Set<string>();
    for (const load of moduleLoads(p)) {
        if (load.spec === undefined || load.typeOnly || !moduleName(load.spec).startsWith("@pulumi/")) continue;
        const pkg = moduleName(load.spec);
        if (pkg === "@pulumi/policy") continue;
        const provider = pkg !== "@pulumi/pulumi";
        for (const use of load.uses.filter((u) => !u.typeOnly)) {
            const { names, end, destructured } = chainOf({ spec: load.spec }, use);
            const chains = destructured
                ? destructured.map((d) => (d === undefined ? undefined : [...names, d]))
                : [names];
            const at = p.at(use.node);
            for (const chain of chains) {
                if (chain === undefined) {
                    out.add(`${at} takes the rest of ${pkg} ${names.join(".")}: what it calls cannot be read`);
                    continue;
                }
                const text = [pkg, chain.join(".")].filter(Boolean).join(" ");
                if (allowed.some(([f, c]) => f === p.file && c === text)) continue;
                const called = ts.isCallExpression(end.parent) && outerExpression(end.parent.expression) === end;
                const built = ts.isNewExpression(end.parent) && outerExpression(end.parent.expression) === end;
                // Passed on, not used here: what is done with it later cannot be read.
                const loose = use.ref && !destructured && !called && !built;
                const last = chain[chain.length - 1] ?? "";
                if (provider && chain.some((m) => PROVIDER_FUNCTION.test(m)))
                    out.add(`${at} uses ${text}: a provider function, run while the program is evaluated`);
                else if (!provider && chain.some((m) => SDK_READS.has(m)))
                    out.add(`${at} uses ${text}: reads another stack's outputs while the program is evaluated`);
                else if (!provider && (chain.some((m) => SDK_INVOKES.has(m)) || chain[0] === "dynamic"))
                    out.add(`${at} uses ${text}: a call the engine answers while the program is evaluated`);
                else if (chain.length === 0) out.add(`${at} takes ${pkg} whole: what it calls cannot be read`);
                else if (pkg === "@pulumi/command" && use.ref && !COMMAND_ALLOWED.includes(chain.join(".")))
                    out.add(`${at} uses ${text}: of @pulumi/command only ${COMMAND_ALLOWED.join(" and ")}`);
                else if (
                    loose &&
                    (provider ? chain.length === 1 || /^[a-z]/.test(last) : chain.join(".") === "runtime")
                )
                    out.add(`${at} passes ${text} on as a value: what it calls cannot be read`);
            }
        }
    }
    for (const node of nodesOf(p))
        if (ts.isPropertyAccessExpression(node) && PROVIDER_METHODS.has(node.name.text))
            out.add(`${p.at(node)} uses ${node.name.text}: a call to the resource's provider`);
    return [...out];
}

const PROGRAM = ["index.ts", "components"];

describe("layout: the program calls no provider function while it is evaluated", () => {
    it("the checker finds each spelling of an invoke (the attack: command.local.runOutput in appImages.ts)", () => {
        const attack = [
            'import * as command from "@pulumi/command";',
            'const head = command.local.runOutput({ command: "git rev-parse HEAD" }).stdout;',
            'import { local } from "@pulumi/command"; local.run({ command: "id" });',
            'import { runOutput as r } from "@pulumi/command/local"; r({ command: "id" });',
            "const { runOutput } = command.local; const l = command.local; const c = command;",
            'import * as docker from "@pulumi/docker"; docker.getNetworkOutput({ name: "bridge" });',
            'docker.Container.get("c", "id"); const C = docker.Container; docker["getRemoteImage"]({ name: "x" });',
            'import * as pulumi from "@pulumi/pulumi"; pulumi.runtime.invoke("docker:index/getNetwork:getNetwork", {});',
            "pulumi.runtime.call('t', {}); const rt = pulumi.runtime; new pulumi.dynamic.Resource(p, 'x', {});",
            'import * as tls from "@pulumi/tls"; tls.getCertificateOutput({ url: "https://x" }); provider.terraformConfig();',
            'new command.local.Command("ok", {}); new command.remote.Command("ok", {}); new docker.Container("ok", {});',
            "pulumi.getStack(); pulumi.runtime.isDryRun(); pulumi.output(1); head; runOutput; l; c; C; rt;",
            'import type { types } from "@pulumi/command"; let t: types.input.remote.ConnectionArgs;',
        ].join("\n");
        const found = invokeProblems(parseSource("components/services/appImages.ts", attack));
        expectFindings(
            found.map((f) => f.replace(/^.*?:/, ":")),
            [
                ":2 uses @pulumi/command local.runOutput",
                ":3 uses @pulumi/command local.run",
                ":4 uses @pulumi/command local.runOutput",
                ":5 uses @pulumi/command local.runOutput",
                ":5 uses @pulumi/command local: of @pulumi/command only",
                ":5 takes @pulumi/command whole",
                ":6 uses @pulumi/docker getNetworkOutput",
                ":7 uses @pulumi/docker Container.get",
                ":7 passes @pulumi/docker Container on as a value",
                ":7 uses @pulumi/docker getRemoteImage",
                ":8 uses @pulumi/pulumi runtime.invoke",
                ":9 uses @pulumi/pulumi runtime.call",
                ":9 passes @pulumi/pulumi runtime on as a value",
                ":9 uses @pulumi/pulumi dynamic.Resource",
                ":10 uses @pulumi/tls getCertificateOutput",
                ":10 uses terraformConfig",
            ],
        );
        // The exception holds in its own file only.
        const ca =
            'import * as digitalocean from "@pulumi/digitalocean";\ndigitalocean.getDatabaseCaOutput({ clusterId: "x" });';
        expect(invokeProblems(parseSource("components/platform/managedDatabase.ts", ca))).to.be.empty;
        expect(invokeProblems(parseSource("components/platform/other.ts", ca))).to.have.length(1);
    });

    it("the checker finds a StackReference in any spelling (the attack: freshtrack/shared-dns in deployStack)", () => {
        const attack = [
            'import * as pulumi from "@pulumi/pulumi";',
            'const dns = new pulumi.StackReference("freshtrack/shared-dns");',
            'import { StackReference as Ref } from "@pulumi/pulumi"; new Ref("freshtrack/shared-dns");',
            "const R = pulumi.StackReference; new R('x'); dns;",
            'import { StackReference } from "@pulumi/pulumi/stackReference"; new StackReference("x");',
        ].join("\n");
        const found = invokeProblems(parseSource("components/stack.ts", attack));
        expectFindings(
            found.map((f) => f.replace(/^.*?:/, ":")),
            [
                ":2 uses @pulumi/pulumi StackReference",
                ":3 uses @pulumi/pulumi StackReference",
                ":4 uses @pulumi/pulumi StackReference",
                ":5 uses @pulumi/pulumi stackReference.StackReference",
            ],
        );
    });

    it("no file of index.ts and components/ does, but the named exceptions, each of which is there today", () => {
        const files = sourceFiles(PROGRAM);
        expect(files.length, "program files found").to.be.greaterThan(30);
        const found = files.flatMap((f) => invokeProblems(parseSource(f)));
        expect(found, `\n${found.join("\n")}\n`).to.be.empty;
        for (const [file, chain] of INVOKES_ALLOWED)
            expect(invokeProblems(parseSource(file), []).join("\n"), file).to.include(`uses ${chain}:`);
    });
});
