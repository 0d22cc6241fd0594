/**
 * npm run plan -- <stack>
 *
 * Shows what `pulumi up` would create for a stack, without the Pulumi CLI, a
 * cloud account or the stack's passphrase: the program runs under the SDK's
 * mocks with the config from Pulumi.yaml and Pulumi.<stack>.yaml.
 * Exit codes: 0 shown, 1 invalid config, 2 usage or unexpected failure.
 */
import { deployStack } from "../components/stack";
import { runUnderMocks } from "./lib/mockRun";
import { renderPlan } from "./lib/planReport";
import { loadStackSettings } from "./lib/stackFiles";
import { commandLine } from "./lib/commandLine";
import { runCli } from "./lib/cli";

async function main(argv: string[]): Promise<number> {
    const line = commandLine("plan", argv, { usage: "<stack>" });
    if ("exitCode" in line) return line.exitCode;
    const stack = line.stacks[0]!;
    // A config problem ends in runCli: its lines, exit 1; anything else one line, exit 2.
    const settings = loadStackSettings(stack);
    const run = await runUnderMocks(settings, deployStack);
    console.log(
        renderPlan({
            cfg: run.result.cfg,
            resources: run.resources,
            maskedKeys: settings.secretKeys,
            alertDestinations: run.result.alertDestinations,
            warnings: run.warnings,
        }),
    );
    return 0;
}

runCli("plan", main);
