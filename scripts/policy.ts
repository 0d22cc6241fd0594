/**
 * npm run policy -- <stack> [--all]
 *
 * Runs the policy pack over what `pulumi up` would create for a stack, with
 * policy/config/<environment>.json (the stack's freshtrack:environment), without
 * the Pulumi CLI: the program runs under the SDK's mocks as in `npm run plan`.
 * The same rules run for real with
 *   pulumi preview --policy-pack ./policy --policy-pack-config ./policy/config/<environment>.json
 * and on every `npm run deploy` and `npm run rollback` (scripts/lib/workspace.ts).
 * Mandatory violations are listed in full; advisory findings, which Pulumi reports on every preview and which block
 * nothing, one line per rule unless --all.
 * Exit codes: 0 no mandatory violation, 1 violations or invalid config, 2 usage.
 */
import * as path from "path";
import { deployStack } from "../components/stack";
import { TYPES } from "../policy/lib";
import { POLICIES } from "../policy/policies";
import { runUnderMocks } from "./lib/mockRun";
import {
    advisorySummaryLines,
    findingLines,
    fromRegistered,
    mandatory,
    memorySettingsOf,
    policyVerdict,
    packConfigFile,
    packEnvironmentOf,
    readEnvironmentPackConfig,
    runPolicies,
    stackMemory,
} from "./lib/policyRun";
import { memoryField } from "./lib/planOverview";
import { fitToWidth } from "./lib/planLayout";
import { loadStackSettings, REPO_ROOT } from "./lib/stackFiles";
import { commandLine, CommandLineSpec } from "./lib/commandLine";
import { runCli } from "./lib/cli";

/** The command line, read by commandLine and explained by --help (test/scriptsHelp.servers.test.ts reads it too). */
export const COMMAND_LINE = {
    summary: "run the policy pack over what `pulumi up` would create, without the Pulumi CLI",
    details: [
        "The program runs under the SDK's mocks as in `npm run plan`, and the pack's rules run over what it " +
            "registers, with policy/config/<environment>.json, the file of the stack's freshtrack:environment. Each " +
            "mandatory violation is listed in full; advisory findings, which never block, as a count per rule (all " +
            "of them with --all). The same rules run for real on every `npm run " +
            "deploy` and `npm run rollback`, and with `pulumi preview --policy-pack ./policy --policy-pack-config " +
            "./policy/config/<environment>.json`.",
    ],
    stack: { description: "The stack whose resources are checked." },
    options: {
        all: {
            type: "boolean",
            description:
                "List every advisory finding with its resource and reason, as mandatory violations are always " +
                "listed. Without it, each advisory rule gets one line with its count: advisory findings never block " +
                "an update and need no action unless you want to change what they describe.",
        },
    },
    exitCodes: [
        ["0", "no mandatory violation (advisory findings may be listed)"],
        ["1", "a mandatory violation, or the stack's config is invalid"],
        ["2", "a usage error, an unknown stack, or an unexpected failure"],
    ],
    examples: [{ command: "npm run policy -- prod", what: "Check the shipped prod stack against the pack." }],
} satisfies CommandLineSpec;

async function main(argv: string[]): Promise<number> {
    const line = commandLine("policy", argv, COMMAND_LINE);
    if ("exitCode" in line) return line.exitCode;
    const stack = line.stacks[0]!;
    // A config problem ends in runCli: its lines, exit 1; anything else one line, exit 2.
    const environment = packEnvironmentOf(stack);
    const packConfig = readEnvironmentPackConfig(environment);
    const run = await runUnderMocks(loadStackSettings(stack), deployStack);
    const findings = await runPolicies(POLICIES, fromRegistered(run.resources), packConfig);
    const blocking = mandatory(findings);
    const advisory = findings.filter((f) => !blocking.includes(f));
    console.log(
        `Policy pack 'freshtrack' (${POLICIES.length} rules) on stack '${stack}', config ${path.relative(REPO_ROOT, packConfigFile(environment))}`,
    );
    console.log(
        `  ${run.resources.length} resources checked: ${blocking.length} mandatory violation(s), ${advisory.length} advisory finding(s)`,
    );
    // Whether or not stack-memory-budget fails: the figures npm run plan and npm run bench print (issue 17).
    console.log(`${memoryField(stackMemory(run.resources, memorySettingsOf(environment, packConfig))).join("\n")}\n`);
    const containers = run.resources.filter((r) => r.type === TYPES.container).map((r) => r.name);
    if (blocking.length > 0) {
        console.log("Mandatory violations: pulumi preview and pulumi up fail on each");
        for (const text of findingLines(blocking, 100, containers)) console.log(fitToWidth(text));
    }
    if (advisory.length > 0) {
        // Information, shown apart from the violations: `pulumi preview` and `up` report the same findings every time
        // (docs/operations.md, "The policy pack"), and they need no action.
        if (blocking.length > 0) console.log("");
        console.log("Advisory findings, for information: they never block an update and need no action");
        const lines = line.values.all ? findingLines(advisory, 100, containers) : advisorySummaryLines(advisory);
        for (const text of lines) console.log(fitToWidth(text));
        if (advisory.some((f) => f.kind === "unknown"))
            console.log(
                "  not run: a value the rule reads is known only during the update, where a mandatory one may fail",
            );
        if (!line.values.all) console.log(`  Each with its resource and reason: npm run policy -- ${stack} --all`);
    }
    console.log(`\n${fitToWidth(policyVerdict(stack, findings))}`);
    return blocking.length > 0 ? 1 : 0;
}

if (require.main === module) runCli("policy", main);
