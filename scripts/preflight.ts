/**
 * npm run preflight -- <stack>
 *
 * Runs the pre-flight checks on a stack's host by hand, over SSH as the deploy
 * user: the same script `pulumi up` runs before any container is created. The
 * address, deploy key and pinned host key come from the stack's outputs, read
 * through the Automation API (scripts/lib/workspace.ts; the Pulumi CLI and access
 * to the stack's state are needed); the script comes from the program. The ssh
 * target's port comes from its config.
 * Exit codes: 0 all checks passed, 1 a check failed, 2 usage or setup error.
 */
import { spawnSync } from "child_process";
import { preflightScriptFor } from "../components/preflight/preflight";
import { loadStackConfigFor } from "./lib/stackFiles";
import { commandLine, CommandLineSpec } from "./lib/commandLine";
import { readStackOutputs } from "./lib/workspace";
import { openSsh, SshSession, sshTargetFromOutputs } from "./lib/hostDocker";
import { runCli } from "./lib/cli";
import { DNS_BY_HAND_WAIT_SECONDS } from "../components/preflight/preflight";

/** The command line, read by commandLine and explained by --help (test/scriptsHelp.servers.test.ts reads it too). */
export const COMMAND_LINE = {
    summary: "run the pre-flight checks on a stack's host over SSH, as `pulumi up` does",
    details: [
        "The same script `pulumi up` runs before any container is created, run by hand as the deploy user: Docker " +
            "reachable, free disk on the data volume (freshtrack:preflight.minFreeGb), ports 80 and 443 free or " +
            "held by this stack's Caddy, every FreshTrack image the host pulls to be had from its registry " +
            "(nothing is pulled), on an ssh VM no container limited to more CPUs than it has, and in the ACME " +
            "modes every public name resolving to the host; with DNS at another provider it waits up to " +
            `${DNS_BY_HAND_WAIT_SECONDS / 60} minutes for the records. The ` +
            "address, deploy key and pinned host key come from the stack's outputs, so the Pulumi CLI and access " +
            "to the stack's state are needed. A local stack has nothing to check.",
    ],
    stack: { description: "The stack whose host is checked." },
    exitCodes: [
        ["0", "every check passed, or the stack is local"],
        ["1", "a check failed, or the stack's config is invalid"],
        ["2", "a usage error, an unknown stack, the outputs not read, or the host not reached over ssh"],
    ],
    examples: [{ command: "npm run preflight -- prod", what: "Check prod's droplet before an update." }],
} satisfies CommandLineSpec;

async function main(argv: string[]): Promise<number> {
    const line = commandLine("preflight", argv, COMMAND_LINE);
    if ("exitCode" in line) return line.exitCode;
    const stack = line.stacks[0]!;
    const cfg = loadStackConfigFor(stack);
    if (cfg.target === "local") {
        console.log("preflight: the local target has nothing to check (Docker on this machine is the host)");
        return 0;
    }
    let outputs: Record<string, unknown>;
    try {
        outputs = await readStackOutputs(stack, { showSecrets: true });
    } catch (err) {
        console.error(`preflight: ${(err as Error).message}`);
        return 2;
    }
    const address = String(outputs.publicAddress ?? "");
    // A droplet's IPv6 address: its AAAA records are checked as `pulumi up` checks them, and with DNS at another
    // provider the script prints the records to create when the DNS check fails.
    const ipv6 = typeof outputs.publicIpv6 === "string" && outputs.publicIpv6 !== "" ? outputs.publicIpv6 : undefined;
    const script = preflightScriptFor(cfg, address, ipv6);
    let session: SshSession;
    try {
        // The deploy key and the pinned host key go to a private directory that is removed on exit and on signals.
        session = openSsh({ ...sshTargetFromOutputs(stack, outputs), ...(cfg.ssh ? { port: cfg.ssh.port } : {}) });
    } catch (err) {
        console.error(`preflight: ${(err as Error).message}`);
        return 2;
    }
    try {
        const result = spawnSync("ssh", session.argv("sh -s"), {
            input: script,
            stdio: ["pipe", "inherit", "inherit"],
        });
        const sshError = result.status === 255 ? session.sshError() : undefined;
        if (sshError !== undefined) {
            console.error(`preflight: could not reach ${session.where} over ssh: ${sshError}`);
            return 2;
        }
        return result.status === 0 ? 0 : 1;
    } finally {
        session.cleanup();
    }
}

if (require.main === module) runCli("preflight", main);
