/**
 * npm run summary -- <stack> [--show-secrets]
 *
 * URLs, credentials and next steps for a deployed stack, from its outputs, read
 * through the Automation API (scripts/lib/workspace.ts; the Pulumi CLI and access
 * to the stack's state are needed).
 * Secrets are masked unless --show-secrets is given and the output is a terminal.
 */
import { readStackOutputs } from "./lib/workspace";
import { renderSummary } from "./lib/summary";
import { runCli } from "./lib/cli";
import { commandLine } from "./lib/commandLine";

async function main(argv: string[]): Promise<number> {
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
        // Secrets are kept only when they may be shown; the workspace masks the others as soon as it has read them.
        outputs = await readStackOutputs(stack, { showSecrets: showSecrets && isTty });
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
