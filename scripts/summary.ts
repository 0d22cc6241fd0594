/**
 * npm run summary -- <stack> [--show-secrets]
 *
 * URLs, credentials and next steps for a deployed stack, from `pulumi stack
 * output` (the Pulumi CLI and access to the stack's state are needed).
 * Secrets are masked unless --show-secrets is given and the output is a terminal.
 */
import { readStackOutputs } from "./lib/stackOutputs";
import { renderSummary } from "./lib/summary";
import { runCli } from "./lib/cli";
import { commandLine } from "./lib/commandLine";

function main(argv: string[]): number {
    const line = commandLine("summary", argv, {
        usage: "<stack> [--show-secrets]",
        options: { "show-secrets": { type: "boolean" } },
    });
    if ("exitCode" in line) return line.exitCode;
    const stack = line.stacks[0]!;
    const showSecrets = line.values["show-secrets"] === true;
    const isTty = process.stdout.isTTY === true;
    let outputs: Record<string, unknown>;
    try {
        // Secrets are fetched only when they may be shown.
        outputs = readStackOutputs(stack, { showSecrets: showSecrets && isTty });
    } catch (err) {
        console.error(`summary: ${(err as Error).message}`);
        return 2;
    }
    const { text, warning } = renderSummary(outputs, { stack, showSecrets, isTty });
    if (warning) console.error(warning);
    console.log(text);
    return 0;
}

runCli("summary", main);
