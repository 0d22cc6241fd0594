/**
 * npm run preflight -- <stack>
 *
 * Runs the pre-flight checks on a stack's host by hand, over SSH as the deploy
 * user: the same script `pulumi up` runs before any container is created. The
 * address and deploy key come from `pulumi stack output` (the Pulumi CLI and
 * access to the stack's state are needed); the script comes from the program.
 * Exit codes: 0 all checks passed, 1 a check failed, 2 usage or setup error.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { preflightScriptFor } from "../components/preflight/preflight";
import { loadStackConfigFor } from "./lib/stackFiles";
import { commandLine } from "./lib/commandLine";
import { readStackOutputs } from "./lib/stackOutputs";
import { runCli } from "./lib/cli";

async function main(argv: string[]): Promise<number> {
    const line = commandLine("preflight", argv, { usage: "<stack>" });
    if ("exitCode" in line) return line.exitCode;
    const stack = line.stacks[0]!;
    const cfg = await loadStackConfigFor(stack);
    if (cfg.target === "local") {
        console.log("preflight: the local target has nothing to check (Docker on this machine is the host)");
        return 0;
    }
    let outputs: Record<string, unknown>;
    try {
        outputs = readStackOutputs(stack, { showSecrets: true });
    } catch (err) {
        console.error(`preflight: ${(err as Error).message}`);
        return 2;
    }
    const address = String(outputs.publicAddress ?? "");
    const script = preflightScriptFor(cfg, address);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-preflight-"));
    const key = path.join(dir, "deploy_key");
    fs.writeFileSync(key, String(outputs.deployPrivateKey ?? ""), { mode: 0o600 });
    try {
        const result = spawnSync("ssh", ["-i", key, "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=accept-new", `deploy@${address}`, "sh -s"], { input: script, stdio: ["pipe", "inherit", "inherit"] });
        return result.status === 0 ? 0 : 1;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

runCli("preflight", main);
