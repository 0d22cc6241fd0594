/** `docker` on a stack's host: this machine for the local target, over SSH as the deploy user otherwise. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEPLOY_USER } from "../../components/host/bootstrap";
import { BACKUP_DIR } from "../../components/services/backupScripts";
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
    /** Exit status; null when the command could not be started at all, or was ended by a signal. */
    readonly status: number | null;
    readonly stdout: string;
    /** Only with `captureStderr`. */
    readonly stderr?: string;
    /** Why the command could not be started (for example ENOENT when docker or ssh is not installed). */
    readonly startError?: string;
    /** The signal that ended the command, when one did. */
    readonly signal?: string;
    /**
     * Set when ssh itself failed (no connection, host key refused, login refused, connection lost),
     * with ssh's own reason. ssh exits 255 then, and so may the remote command: this is what tells them apart.
     */
    readonly sshError?: string;
}

export type Docker = (args: string[], opts?: DockerOptions) => DockerResult;

function run(cmd: string, args: string[], o: DockerOptions = {}): DockerResult {
    const stdio = o.interactive ? "inherit" : ([o.input !== undefined ? "pipe" : "ignore", "pipe", o.captureStderr ? "pipe" : "inherit"] as const);
    const result = spawnSync(cmd, args, { encoding: "utf8", stdio: stdio as never, ...(o.input !== undefined ? { input: o.input } : {}) });
    const startError = result.error ? `${cmd}: ${(result.error as NodeJS.ErrnoException).code === "ENOENT" ? "not installed on this machine" : result.error.message}` : undefined;
    return {
        status: result.status,
        stdout: result.stdout ?? "",
        ...(o.captureStderr ? { stderr: result.stderr ?? "" } : {}),
        ...(startError ? { startError } : {}),
        ...(result.signal ? { signal: result.signal } : {}),
    };
}

export interface HostDocker {
    readonly docker: Docker;
    /** Where the commands run, for messages: "this machine's Docker" or "Docker on deploy@<host address>". */
    readonly where: string;
    readonly cleanup: () => void;
}

/**
 * One argument as a word of a POSIX shell command line that the shell turns back into exactly
 * that argument. Inside single quotes every byte is literal except `'` itself, which is closed,
 * escaped and reopened (POSIX.1-2017 XCU 2.2.3, "Single-Quotes"). Plain words stay bare so the
 * command line reads well in logs; `~` and a leading `=` are not plain (tilde and zsh's `=cmd` expansion).
 */
export function shellWord(arg: string): string {
    if (/^[A-Za-z0-9_./:@%+,-][A-Za-z0-9_./:=@%+,-]*$/.test(arg)) return arg;
    return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** How to reach a host's Docker over SSH, besides its address and key. */
export interface SshOptions {
    /** 22 when absent; the ssh target's `freshtrack:ssh.port`. */
    readonly port?: number;
    /** The login user; the deploy user the host bootstrap creates when absent. */
    readonly user?: string;
    /**
     * A known_hosts file that holds the host's key: the connection is refused unless the host
     * shows that key. Without it the host key is trusted on first use and kept in the operator's
     * own known_hosts (StrictHostKeyChecking=accept-new), as the Docker provider's connection does.
     */
    readonly knownHostsFile?: string;
    /** An ssh_config file read instead of the operator's (`ssh -F`); "/dev/null" reads none. */
    readonly configFile?: string;
    readonly connectTimeoutSeconds?: number;
}

export interface SshTarget extends SshOptions {
    /** Host name or IP address. */
    readonly address: string;
    /** The private key text (OpenSSH format); it is written to a private file for as long as the HostDocker lives. */
    readonly privateKey: string;
}

/**
 * `docker` run by the login shell of the user on the far side of an SSH connection.
 *
 * sshd hands the command to the user's login shell as one string (`$SHELL -c <string>`), and the
 * ssh client makes that string by joining its arguments with spaces, so without quoting a glob, a
 * redirection or a space in an argument is acted on by the host's shell instead of reaching docker.
 * Every argument is therefore quoted for a POSIX shell, which the deploy user's login shell is
 * (bash: components/host/bootstrap.ts and cloudInit.ts create it so). The other way, a script on
 * stdin, would take stdin away from the commands that need it (the manifest and export script are
 * fed on stdin, and a restore is attached to the operator's terminal).
 *
 * ssh's own messages go to a log file (`-E`) at level ERROR, so a 255 with a logged reason is ssh
 * failing and a 255 without one is the remote command's own status.
 */
export function sshDocker(target: SshTarget): HostDocker {
    const port = target.port ?? 22;
    const user = target.user ?? DEPLOY_USER;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-host-"));
    const key = path.join(dir, "deploy_key");
    fs.writeFileSync(key, target.privateKey.endsWith("\n") ? target.privateKey : `${target.privateKey}\n`, { mode: 0o600 });
    const log = path.join(dir, "ssh.log");
    const hostKeys = target.knownHostsFile
        ? ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${target.knownHostsFile}`, "-o", "GlobalKnownHostsFile=/dev/null"]
        : ["-o", "StrictHostKeyChecking=accept-new"];
    const ssh = [
        ...(target.configFile ? ["-F", target.configFile] : []),
        "-i", key,
        "-p", String(port),
        "-E", log,
        "-o", "LogLevel=ERROR",
        "-o", "IdentitiesOnly=yes",
        // Never stop to ask for a password or passphrase: a script waiting on a hidden prompt looks hung.
        "-o", "BatchMode=yes",
        "-o", `ConnectTimeout=${target.connectTimeoutSeconds ?? 20}`,
        ...hostKeys,
    ];
    const shownHost = port !== 22 && target.address.includes(":") ? `[${target.address}]` : target.address;
    const where = `Docker on ${user}@${shownHost}${port !== 22 ? `:${port}` : ""}`;
    return {
        docker: (args, o) => {
            fs.writeFileSync(log, "");
            const command = ["docker", ...args].map(shellWord).join(" ");
            const result = run("ssh", [...(o?.interactive ? ["-t"] : []), ...ssh, "--", `${user}@${target.address}`, command], o);
            const logged = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "") : [];
            // ssh ends its explanation with the decisive line ("Host key verification failed.").
            return result.status === 255 && logged.length > 0 ? { ...result, sshError: logged[logged.length - 1]! } : result;
        },
        where,
        cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}

/**
 * `docker` on a stack's host. For droplet and ssh targets the address and deploy key come from the
 * stack's outputs; `ssh` carries what the outputs do not say (the ssh target's port).
 */
export function dockerOn(target: string, stack: string, ssh: SshOptions = {}): HostDocker {
    if (target === "local") return { docker: (args, o) => run("docker", args, o), where: "this machine's Docker", cleanup: () => undefined };
    const outputs = readStackOutputs(stack, { showSecrets: true });
    return sshDocker({ ...ssh, address: String(outputs.publicAddress), privateKey: String(outputs.deployPrivateKey ?? "") });
}

/** Why a docker command failed, in one line naming `step`; undefined when it succeeded. */
export function stepFailure(host: Pick<HostDocker, "where">, step: string, result: DockerResult): string | undefined {
    if (result.startError) return `${step}: cannot run ${result.startError}`;
    if (result.sshError) return `${step}: could not reach ${host.where} over ssh (exit status 255): ${result.sshError}`;
    if (result.status === 0) return undefined;
    const how = result.status === null ? `was ended by ${result.signal ?? "a signal"}` : `failed with exit status ${result.status}`;
    const reason = (result.stderr ?? "").split("\n").map((l) => l.trim()).find((l) => l !== "");
    return `${step} ${how} on ${host.where}${reason ? `: ${reason}` : ""}`;
}

/** Runs one step of an operator script; a failure throws one line naming the step and the status. */
export function runStep(host: Pick<HostDocker, "docker" | "where">, step: string, args: string[], opts?: DockerOptions): DockerResult {
    const result = host.docker(args, opts);
    const failure = stepFailure(host, step, result);
    if (failure) throw new Error(failure);
    return result;
}

/**
 * The dumps in the backup container's backup directory, newest first, as full paths. The glob is
 * expanded by the container's shell; the directory is passed as an argument, not spliced into the
 * script. No dump (or no directory yet) is an empty list; any other failure of `ls` is an error.
 */
export function listBackups(host: Pick<HostDocker, "docker" | "where">, container: string, dir = BACKUP_DIR): string[] {
    const script = 'set -- "$1"/freshtrack-*.dump; [ -e "$1" ] || exit 0; exec ls -1t -- "$@"';
    const result = runStep(host, "listing the backups", ["exec", container, "sh", "-c", script, "sh", dir], { captureStderr: true });
    return result.stdout.split("\n").filter((l) => l !== "");
}

/** Writes `text` to `file` in the container (its directory must exist); the path is an argument, not part of the script. */
export function writeFileInContainer(
    host: Pick<HostDocker, "docker" | "where">,
    container: string,
    file: string,
    text: string,
    step = `writing ${file}`,
): void {
    runStep(host, step, ["exec", "-i", container, "sh", "-c", 'cat > "$1"', "sh", file], { input: text, captureStderr: true });
}

/**
 * The id of the stack's running backup container, where backups, restores and exports run, or one
 * line saying why there is none. "Docker is unreachable" and "the container is not running" need
 * different fixes, so they are told apart: a failed `docker ps` is never reported as a missing container.
 */
export function backupContainer(host: Pick<HostDocker, "docker" | "where">, namePrefix: string, stack: string): { id: string } | { problem: string } {
    const ps = host.docker(["ps", "-q", "--filter", `label=com.freshtrack.stack=${namePrefix}`, "--filter", "label=com.freshtrack.service=backup"], { captureStderr: true });
    if (ps.startError) return { problem: `cannot run docker: ${ps.startError}` };
    if (ps.sshError) return { problem: `cannot reach ${host.where}: ${ps.sshError}` };
    if (ps.status !== 0) {
        const reason = (ps.stderr ?? "").split("\n").map((l) => l.trim()).find((l) => l !== "") ?? `exit status ${ps.status}`;
        return { problem: `cannot reach ${host.where}: ${reason}` };
    }
    const id = ps.stdout.trim().split("\n")[0];
    if (!id) return { problem: `no running backup container for stack '${stack}' on ${host.where}; run pulumi up first` };
    return { id };
}
