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
import { commandLine } from "./lib/commandLine";
import { readStackOutputs } from "./lib/workspace";
import { openSsh, SshSession, sshTargetFromOutputs } from "./lib/hostDocker";
import { runCli } from "./lib/cli";

async function main(argv: string[]): Promise<number> {
    const line = commandLine("preflight", argv, { usage: "<stack>" });
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
    const script = preflightScriptFor(cfg, address);
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

runCli("preflight", main);
