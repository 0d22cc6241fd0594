/**
 * npm run plan -- <stack>
 *
 * Shows what `pulumi up` would create for a stack, without the Pulumi CLI, a
 * cloud account or the stack's passphrase: the program runs under the SDK's
 * mocks with the config from Pulumi.yaml and Pulumi.<stack>.yaml.
 * Exit codes: 0 shown, 1 invalid config, 2 usage or unexpected failure.
 */
import { planText } from "./lib/planReport";
import { loadStackSettings } from "./lib/stackFiles";
import { commandLine, CommandLineSpec } from "./lib/commandLine";
import { runCli } from "./lib/cli";

/** The command line, read by commandLine and explained by --help (test/scriptsHelp.servers.test.ts reads it too). */
export const COMMAND_LINE = {
    summary: "show what `pulumi up` would create, without the Pulumi CLI or any credentials",
    details: [
        "The program runs under the Pulumi SDK's mocks with the config of Pulumi.yaml and Pulumi.<stack>.yaml. The " +
            "plan shows the resource tree, the DigitalOcean resources, the order containers start in, and each " +
            "container's image, limits, user, root filesystem, health check, networks, ports, volumes and files. " +
            "Encrypted values (secure: lines) are read as set and shown masked, without the passphrase.",
    ],
    stack: { description: "The stack to plan." },
    exitCodes: [
        ["0", "the plan was printed"],
        ["1", "the stack's config is invalid (one line per problem)"],
        ["2", "a usage error, an unknown stack, or an unexpected failure"],
    ],
    examples: [{ command: "npm run plan -- prod", what: "What the shipped prod stack would create." }],
} satisfies CommandLineSpec;

async function main(argv: string[]): Promise<number> {
    const line = commandLine("plan", argv, COMMAND_LINE);
    if ("exitCode" in line) return line.exitCode;
    const stack = line.stacks[0]!;
    // A config problem ends in runCli: its lines, exit 1; anything else one line, exit 2.
    console.log(await planText(loadStackSettings(stack)));
    return 0;
}

if (require.main === module) runCli("plan", main);
