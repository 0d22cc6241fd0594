/**
 * npm run summary -- <stack> [--show-secrets]
 *
 * URLs, credentials and next steps for a deployed stack, from its outputs, read
 * through the Automation API (scripts/lib/workspace.ts; the Pulumi CLI and access
 * to the stack's state are needed), and the last restore drill of each kind, read
 * from the stack's backup container on its host as scripts/restore.ts reaches it
 * (scripts/lib/drillReport.ts). The drill part never fails the summary: what
 * stops it is one line instead.
 * Secrets are masked unless --show-secrets is given and the output is a terminal.
 */
import { readStackOutputs } from "./lib/workspace";
import { renderSummary } from "./lib/summary";
import { runCli } from "./lib/cli";
import { commandLine, CommandLineSpec } from "./lib/commandLine";
import { DRILL_STALE_HOURS, lastDrill, renderLastDrill } from "./lib/drillReport";
import { dockerOn } from "./lib/hostDocker";
import { loadStackConfigFor } from "./lib/stackFiles";

/** The command line, read by commandLine and explained by --help (test/scriptsHelp.servers.test.ts reads it too). */
export const COMMAND_LINE = {
    summary: "print a deployed stack's URLs, credentials, next steps and last restore drill",
    details: [
        "The outputs are read through the Automation API: the Pulumi CLI, access to the stack's state and its " +
            "passphrase are needed, even without --show-secrets (outputs are read with their secrets, which the " +
            "script then masks).",
        "It also shows the last restore drill of each kind (pitr, dump): its outcome, when it ended, how long it " +
            "took, the recovery point, why it failed, and whether it is older than the RestoreDrillStale alert's " +
            `${DRILL_STALE_HOURS} h. They are read from the stack's backup container on its host: this machine's ` +
            "Docker for a local stack, over SSH as the deploy user otherwise. When the stack's config does not load, " +
            "the host cannot be reached or the container is not running, one line says so and why, and the " +
            "summary still exits 0.",
    ],
    stack: { description: "The deployed stack to summarise." },
    options: {
        "show-secrets": {
            type: "boolean",
            description:
                "Print the credentials (passwords, the deploy key, the internal services' credentials) in clear, " +
                "but only to a terminal: when the output is redirected they stay masked, with a warning on stderr. " +
                "Without it every secret is shown as [secret].",
        },
    },
    exitCodes: [
        ["0", "the summary was printed (also when the last drill could not be read: one line says why)"],
        ["2", "a usage error, an unknown stack, or the stack's outputs could not be read"],
    ],
    examples: [
        { command: "npm run summary -- prod", what: "URLs and next steps of prod, secrets masked." },
        { command: "npm run summary -- prod --show-secrets", what: "The same with the credentials, in a terminal." },
    ],
} satisfies CommandLineSpec;

async function main(argv: string[]): Promise<number> {
    const line = commandLine("summary", argv, COMMAND_LINE);
    if ("exitCode" in line) return line.exitCode;
    const stack = line.stacks[0]!;
    const showSecrets = line.values["show-secrets"] ?? false;
    const isTty = process.stdout.isTTY === true;
    let outputs: Record<string, unknown>;
    try {
        // Secrets are kept only when they may be shown; the workspace masks the others as soon as it has read them.
        outputs = await readStackOutputs(stack, { showSecrets: showSecrets && isTty });
    } catch (err) {
        console.error(`summary: ${(err as Error).message}`);
        return 2;
    }
    // After the outputs, so a stack that cannot be read still fails as before; lastDrill itself never throws.
    const drill = await lastDrill(stack, { config: loadStackConfigFor, dockerOn });
    const { text, warning } = renderSummary(outputs, {
        stack,
        showSecrets,
        isTty,
        lastDrill: renderLastDrill(drill, new Date()),
    });
    if (warning) console.error(warning);
    console.log(text);
    return 0;
}

if (require.main === module) runCli("summary", main);
