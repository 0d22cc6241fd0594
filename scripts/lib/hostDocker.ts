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
    /** Keep stderr in the result instead of passing it to the terminal. */
    readonly captureStderr?: boolean;
}

export interface DockerResult {
    /** Exit status; null when the command could not be started at all. */
    readonly status: number | null;
    readonly stdout: string;
    /** Only with `captureStderr`. */
    readonly stderr?: string;
    /** Why the command could not be started (for example ENOENT when docker or ssh is not installed). */
    readonly startError?: string;
}

export type Docker = (args: string[], opts?: DockerOptions) => DockerResult;

function run(cmd: string, args: string[], o: DockerOptions = {}): DockerResult {
    const stdio = o.interactive ? "inherit" : ([o.input !== undefined ? "pipe" : "ignore", "pipe", o.captureStderr ? "pipe" : "inherit"] as const);
    const result = spawnSync(cmd, args, { encoding: "utf8", stdio: stdio as never, ...(o.input !== undefined ? { input: o.input } : {}) });
    const startError = result.error ? `${cmd}: ${(result.error as NodeJS.ErrnoException).code === "ENOENT" ? "not installed on this machine" : result.error.message}` : undefined;
    return { status: result.status, stdout: result.stdout ?? "", ...(o.captureStderr ? { stderr: result.stderr ?? "" } : {}), ...(startError ? { startError } : {}) };
}

export interface HostDocker {
    readonly docker: Docker;
    /** Where the commands run, for messages: "this machine's Docker" or "Docker on deploy@<host address>". */
    readonly where: string;
    readonly cleanup: () => void;
}

export function dockerOn(target: string, stack: string): HostDocker {
    if (target === "local") return { docker: (args, o) => run("docker", args, o), where: "this machine's Docker", cleanup: () => undefined };
    const outputs = readStackOutputs(stack, { showSecrets: true });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-host-"));
    const key = path.join(dir, "deploy_key");
    fs.writeFileSync(key, String(outputs.deployPrivateKey ?? ""), { mode: 0o600 });
    const ssh = ["-i", key, "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=accept-new", `deploy@${String(outputs.publicAddress)}`];
    return {
        docker: (args, o) => run("ssh", [...(o?.interactive ? ["-t"] : []), ...ssh, "docker", ...args], o),
        where: `Docker on deploy@${String(outputs.publicAddress)}`,
        cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}

/**
 * The id of the stack's running backup container, where backups, restores and exports run, or one
 * line saying why there is none. "Docker is unreachable" and "the container is not running" need
 * different fixes, so they are told apart: a failed `docker ps` is never reported as a missing container.
 */
export function backupContainer(host: Pick<HostDocker, "docker" | "where">, namePrefix: string, stack: string): { id: string } | { problem: string } {
    const ps = host.docker(["ps", "-q", "--filter", `label=com.freshtrack.stack=${namePrefix}`, "--filter", "label=com.freshtrack.service=backup"], { captureStderr: true });
    if (ps.startError) return { problem: `cannot run docker: ${ps.startError}` };
    if (ps.status !== 0) {
        const reason = (ps.stderr ?? "").split("\n").map((l) => l.trim()).find((l) => l !== "") ?? `exit status ${ps.status}`;
        return { problem: `cannot reach ${host.where}: ${reason}` };
    }
    const id = ps.stdout.trim().split("\n")[0];
    if (!id) return { problem: `no running backup container for stack '${stack}' on ${host.where}; run pulumi up first` };
    return { id };
}
