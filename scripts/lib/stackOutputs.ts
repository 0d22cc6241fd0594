import { execFileSync } from "child_process";
import { isMissingCli, pulumiFailure } from "./cli";

/**
 * A deployed stack's outputs, read with the Pulumi CLI (which must be
 * installed and logged in to the stack's backend). Throws a message that says so.
 */
export function readStackOutputs(stack: string, opts: { showSecrets: boolean }): Record<string, unknown> {
    try {
        const args = ["stack", "output", "--json", "--stack", stack, ...(opts.showSecrets ? ["--show-secrets"] : [])];
        return JSON.parse(
            execFileSync("pulumi", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
        ) as Record<string, unknown>;
    } catch (err) {
        throw new Error(stackReadFailure(stack, err), { cause: err });
    }
}

/** One line on why a stack could not be read through the Pulumi CLI. */
export function stackReadFailure(stack: string, err: unknown): string {
    const reason = pulumiFailure(err);
    // A missing CLI says so itself; otherwise the usual causes are the backend login and the passphrase.
    if (isMissingCli(err)) return reason;
    return `cannot read stack '${stack}' through the Pulumi CLI (logged in to the stack's backend? PULUMI_CONFIG_PASSPHRASE set?): ${reason}`;
}
