/**
 * npm run policy -- <stack>
 *
 * Runs the policy pack over what `pulumi up` would create for a stack, with
 * policy/config/<environment>.json (the stack's freshtrack:environment), without
 * the Pulumi CLI: the program runs under the SDK's mocks as in `npm run plan`.
 * The same rules run for real with
 *   pulumi preview --policy-pack ./policy --policy-pack-config ./policy/config/<environment>.json
 * and on every `npm run deploy` and `npm run rollback` (scripts/lib/workspace.ts).
 * Exit codes: 0 no mandatory violation, 1 violations or invalid config, 2 usage.
 */
import * as path from "path";
import { deployStack } from "../components/stack";
import { TYPES } from "../policy/lib";
import { POLICIES } from "../policy/policies";
import { runUnderMocks } from "./lib/mockRun";
import {
    findingLines,
    fromRegistered,
    mandatory,
    policyVerdict,
    packConfigFile,
    packEnvironmentOf,
    readEnvironmentPackConfig,
    runPolicies,
} from "./lib/policyRun";
import { loadStackSettings, REPO_ROOT } from "./lib/stackFiles";
import { commandLine } from "./lib/commandLine";
import { runCli } from "./lib/cli";

async function main(argv: string[]): Promise<number> {
    const line = commandLine("policy", argv, { usage: "<stack>" });
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
        `  ${run.resources.length} resources checked: ${blocking.length} mandatory violation(s), ${advisory.length} advisory finding(s)\n`,
    );
    const containers = run.resources.filter((r) => r.type === TYPES.container).map((r) => r.name);
    for (const text of findingLines([...blocking, ...advisory], 100, containers)) console.log(text);
    console.log(`\n${policyVerdict(stack, findings)}`);
    return blocking.length > 0 ? 1 : 0;
}

runCli("policy", main);
