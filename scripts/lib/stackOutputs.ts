import { execFileSync } from "child_process";
import { pulumiFailure } from "./cli";

/**
 * A deployed stack's outputs, read with the Pulumi CLI (which must be
 * installed and logged in to the stack's backend). Throws a message that says so.
 */
export function readStackOutputs(stack: string, opts: { showSecrets: boolean }): Record<string, unknown> {
    try {
        const args = ["stack", "output", "--json", "--stack", stack, ...(opts.showSecrets ? ["--show-secrets"] : [])];
        return JSON.parse(execFileSync("pulumi", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })) as Record<string, unknown>;
    } catch (err) {
        throw new Error(`cannot read stack '${stack}' through the Pulumi CLI (installed, logged in to the stack's backend, passphrase set?): ${pulumiFailure(err)}`);
    }
}
