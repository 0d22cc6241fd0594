/** `docker` on a stack's host: this machine for the local target, over SSH as the deploy user otherwise. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readStackOutputs } from "./stackOutputs";

export interface DockerOptions {
    /** Attach the terminal (for prompts and live output). */
    readonly interactive?: boolean;
    /** Text fed to the command's stdin. */
    readonly input?: string;
}

export type Docker = (args: string[], opts?: DockerOptions) => { status: number | null; stdout: string };

function run(cmd: string, args: string[], o: DockerOptions = {}): { status: number | null; stdout: string } {
    const stdio = o.interactive ? "inherit" : ([o.input !== undefined ? "pipe" : "ignore", "pipe", "inherit"] as const);
    const result = spawnSync(cmd, args, { encoding: "utf8", stdio: stdio as never, ...(o.input !== undefined ? { input: o.input } : {}) });
    return { status: result.status, stdout: result.stdout ?? "" };
}

export function dockerOn(target: string, stack: string): { docker: Docker; cleanup: () => void } {
    if (target === "local") return { docker: (args, o) => run("docker", args, o), cleanup: () => undefined };
    const outputs = readStackOutputs(stack, { showSecrets: true });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-host-"));
    const key = path.join(dir, "deploy_key");
    fs.writeFileSync(key, String(outputs.deployPrivateKey ?? ""), { mode: 0o600 });
    const ssh = ["-i", key, "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=accept-new", `deploy@${String(outputs.publicAddress)}`];
    return {
        docker: (args, o) => run("ssh", [...(o?.interactive ? ["-t"] : []), ...ssh, "docker", ...args], o),
        cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}

/** The id of the stack's running backup container, where backups, restores and exports run. */
export function backupContainer(host: { docker: Docker }, namePrefix: string): string | undefined {
    const ps = host.docker(["ps", "-q", "--filter", `label=com.freshtrack.stack=${namePrefix}`, "--filter", "label=com.freshtrack.service=backup"]);
    const id = ps.stdout.trim().split("\n")[0];
    return ps.status === 0 && id ? id : undefined;
}
