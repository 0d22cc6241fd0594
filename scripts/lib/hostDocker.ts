/** `docker` on a stack's host: this machine for the local target, over SSH as the deploy user otherwise. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEPLOY_USER } from "../../components/host/bootstrap";
import { checkHostKeyLine, knownHostsLine } from "../../components/host/hostKey";
import { BACKUP_DIR } from "../../components/services/backupScripts";
import { readStackOutputs } from "./workspace";

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
    const stdio = o.interactive
        ? "inherit"
        : ([o.input !== undefined ? "pipe" : "ignore", "pipe", o.captureStderr ? "pipe" : "inherit"] as const);
    const result = spawnSync(cmd, args, {
        encoding: "utf8",
        stdio: stdio as never,
        ...(o.input !== undefined ? { input: o.input } : {}),
    });
    const startError = result.error
        ? `${cmd}: ${(result.error as NodeJS.ErrnoException).code === "ENOENT" ? "not installed on this machine" : result.error.message}`
        : undefined;
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
     * The host's key line (`ssh-ed25519 AAAA...`, the stack's `hostKey` output): it is written to a
     * known_hosts file in the connection's private directory, and the connection is refused unless
     * the host shows that key, as the program's own connections are (components/host/deployKey.ts).
     */
    readonly hostKey?: string;
    /**
     * A known_hosts file to check the host against instead of `hostKey` (the tests' servers). One of the two is
     * required.
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
 * Directories of this process that hold key material, removed when it exits and when SIGINT,
 * SIGTERM or SIGHUP ends it. A signal's default action ends a Node process without running
 * `finally` blocks or 'exit' listeners, so without these handlers a script stopped by Ctrl-C, by
 * `kill` or by a closed terminal would leave the deploy key behind.
 */
const privateDirs = new Set<string>();
const CLEANUP_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function removePrivateDirs(): void {
    for (const dir of privateDirs) fs.rmSync(dir, { recursive: true, force: true });
    privateDirs.clear();
    uninstallCleanupHooks();
}

function onCleanupSignal(signal: NodeJS.Signals): void {
    removePrivateDirs();
    // Then end as the signal would have (a shell sees 128 + its number), unless another part of the script handles it.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function uninstallCleanupHooks(): void {
    process.removeListener("exit", removePrivateDirs);
    for (const signal of CLEANUP_SIGNALS) process.removeListener(signal, onCleanupSignal);
}

/**
 * A new private directory for key material: made by mkdtemp, which creates it exclusively (a
 * name that exists already is never reused) with mode 0700 (POSIX.1-2017 mkdtemp(); Node's
 * fs.mkdtempSync calls it through libuv). Removed by removePrivateDir, or when the process ends.
 */
export function makePrivateDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    if (privateDirs.size === 0) {
        process.on("exit", removePrivateDirs);
        for (const signal of CLEANUP_SIGNALS) process.on(signal, onCleanupSignal);
    }
    privateDirs.add(dir);
    return dir;
}

export function removePrivateDir(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
    privateDirs.delete(dir);
    if (privateDirs.size === 0) uninstallCleanupHooks();
}

/**
 * Writes `text` as a new file (O_EXCL: never through a file or link that is already there), mode 0600 from its
 * creation.
 */
export function writePrivateFile(dir: string, name: string, text: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text, { mode: 0o600, flag: "wx" });
    return file;
}

/** An SSH connection's settings, files and messages, for one host; the argv of each `ssh` run over it. */
export interface SshSession {
    /** The user, host and port, for messages: `deploy@203.0.113.10` or `deploy@[2001:db8::1]:2222`. */
    readonly where: string;
    /** The ssh argv (without "ssh") that runs `remoteCommand`, a shell command line, on the host. */
    argv(remoteCommand: string, opts?: { tty?: boolean }): string[];
    /** Empties ssh's log before a run. */
    resetLog(): void;
    /** ssh's own last message since resetLog, when it logged one (it exits 255 then). */
    sshError(): string | undefined;
    readonly cleanup: () => void;
}

/**
 * One host reached as `target.user` with the key in `target.privateKey`, pinned to the host key.
 * The key, the known_hosts file and ssh's log live in a private directory (makePrivateDir) that
 * cleanup, the process's exit or a signal removes.
 *
 * ssh's own messages go to a log file (`-E`) at level ERROR, so a 255 with a logged reason is ssh
 * failing and a 255 without one is the remote command's own status.
 */
export function openSsh(target: SshTarget): SshSession {
    const port = target.port ?? 22;
    const user = target.user ?? DEPLOY_USER;
    if (target.hostKey === undefined && target.knownHostsFile === undefined) {
        throw new Error(`no host key to check ${target.address} against; refusing to trust whichever host answers`);
    }
    if (target.hostKey !== undefined) {
        const problem = checkHostKeyLine(target.hostKey);
        if (problem) throw new Error(`the host key given for ${target.address} is not usable: expected ${problem}`);
    }
    const dir = makePrivateDir("freshtrack-host-");
    try {
        const key = writePrivateFile(
            dir,
            "deploy_key",
            target.privateKey.endsWith("\n") ? target.privateKey : `${target.privateKey}\n`,
        );
        const knownHosts =
            target.knownHostsFile ??
            writePrivateFile(dir, "known_hosts", knownHostsLine([target.address], port, target.hostKey!));
        const log = writePrivateFile(dir, "ssh.log", "");
        const ssh = [
            ...(target.configFile ? ["-F", target.configFile] : []),
            "-i",
            key,
            "-p",
            String(port),
            "-E",
            log,
            "-o",
            "LogLevel=ERROR",
            "-o",
            "IdentitiesOnly=yes",
            // Never stop to ask for a password or passphrase: a script waiting on a hidden prompt looks hung.
            "-o",
            "BatchMode=yes",
            "-o",
            `ConnectTimeout=${target.connectTimeoutSeconds ?? 20}`,
            // The pinned key and no other, as for the program's own connections (components/host/deployKey.ts,
            // dockerSshOptions).
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            `UserKnownHostsFile=${knownHosts}`,
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "UpdateHostKeys=no",
        ];
        const shownHost = port !== 22 && target.address.includes(":") ? `[${target.address}]` : target.address;
        return {
            where: `${user}@${shownHost}${port !== 22 ? `:${port}` : ""}`,
            argv: (remoteCommand, o) => [
                ...(o?.tty ? ["-t"] : []),
                ...ssh,
                "--",
                `${user}@${target.address}`,
                remoteCommand,
            ],
            resetLog: () => fs.writeFileSync(log, ""),
            sshError: () => {
                const logged = fs.existsSync(log)
                    ? fs
                          .readFileSync(log, "utf8")
                          .split("\n")
                          .map((l) => l.trim())
                          .filter((l) => l !== "")
                    : [];
                // ssh ends its explanation with the decisive line ("Host key verification failed.").
                return logged.length > 0 ? logged[logged.length - 1]! : undefined;
            },
            cleanup: () => removePrivateDir(dir),
        };
    } catch (err) {
        removePrivateDir(dir);
        throw err;
    }
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
 */
export function sshDocker(target: SshTarget): HostDocker {
    const session = openSsh(target);
    return {
        docker: (args, o) => {
            session.resetLog();
            const command = ["docker", ...args].map(shellWord).join(" ");
            const result = run("ssh", session.argv(command, { tty: o?.interactive === true }), o);
            const sshError = result.status === 255 ? session.sshError() : undefined;
            return sshError !== undefined ? { ...result, sshError } : result;
        },
        where: `Docker on ${session.where}`,
        cleanup: session.cleanup,
    };
}

/**
 * `docker` on a stack's host. For droplet and ssh targets the address and deploy key come from the
 * stack's outputs (scripts/lib/workspace.ts); `ssh` carries what the outputs do not say (the ssh target's port).
 */
export async function dockerOn(target: string, stack: string, ssh: SshOptions = {}): Promise<HostDocker> {
    if (target === "local")
        return {
            docker: (args, o) => run("docker", args, o),
            where: "this machine's Docker",
            cleanup: () => undefined,
        };
    const outputs = await readStackOutputs(stack, { showSecrets: true });
    return sshDocker({ ...sshTargetFromOutputs(stack, outputs), ...ssh });
}

/**
 * The address, deploy key and pinned host key of a stack's host, from its outputs. A stack last
 * deployed by a version without the `hostKey` output is refused: its host's key is not known, and
 * trusting whichever host answers is what the pin exists to prevent.
 */
export function sshTargetFromOutputs(stack: string, outputs: Record<string, unknown>): SshTarget {
    const hostKey = outputs.hostKey;
    if (typeof hostKey !== "string" || hostKey === "") {
        throw new Error(
            `stack '${stack}' has no hostKey output, so its host's SSH key cannot be checked; run \`pulumi up\` for the stack first (docs/operations.md, "SSH host keys")`,
        );
    }
    return { address: String(outputs.publicAddress), privateKey: String(outputs.deployPrivateKey ?? ""), hostKey };
}

/** Why a docker command failed, in one line naming `step`; undefined when it succeeded. */
export function stepFailure(host: Pick<HostDocker, "where">, step: string, result: DockerResult): string | undefined {
    if (result.startError) return `${step}: cannot run ${result.startError}`;
    if (result.sshError) return `${step}: could not reach ${host.where} over ssh (exit status 255): ${result.sshError}`;
    if (result.status === 0) return undefined;
    const how =
        result.status === null
            ? `was ended by ${result.signal ?? "a signal"}`
            : `failed with exit status ${result.status}`;
    const reason = (result.stderr ?? "")
        .split("\n")
        .map((l) => l.trim())
        .find((l) => l !== "");
    return `${step} ${how} on ${host.where}${reason ? `: ${reason}` : ""}`;
}

/**
 * ssh itself failed (exit status 255 with ssh's own reason logged): the host was not reached, or the
 * connection was lost, so the step may not have run at all. The scripts exit 2 on it, as on any other
 * setup error, with ssh's message (issue 15, finding 13); a step that ran and failed exits 1.
 */
export class HostUnreachable extends Error {
    override readonly name = "HostUnreachable";
}

/**
 * Exit status of an operator script for an error from its remote steps: 2 when ssh did not get through, 1 otherwise.
 */
export function exitStatusFor(err: unknown): 1 | 2 {
    return err instanceof HostUnreachable ? 2 : 1;
}

/** Runs one step of an operator script; a failure throws one line naming the step and the status. */
export function runStep(
    host: Pick<HostDocker, "docker" | "where">,
    step: string,
    args: string[],
    opts?: DockerOptions,
): DockerResult {
    const result = host.docker(args, opts);
    const failure = stepFailure(host, step, result);
    if (failure) throw result.sshError !== undefined ? new HostUnreachable(failure) : new Error(failure);
    return result;
}

/**
 * The dumps in the backup container's backup directory, newest first, as full paths. The glob is
 * expanded by the container's shell; the directory is passed as an argument, not spliced into the
 * script. No dump (or no directory yet) is an empty list; any other failure of `ls` is an error.
 */
export function listBackups(host: Pick<HostDocker, "docker" | "where">, container: string, dir = BACKUP_DIR): string[] {
    const script = 'set -- "$1"/freshtrack-*.dump; [ -e "$1" ] || exit 0; exec ls -1t -- "$@"';
    const result = runStep(host, "listing the backups", ["exec", container, "sh", "-c", script, "sh", dir], {
        captureStderr: true,
    });
    return result.stdout.split("\n").filter((l) => l !== "");
}

/**
 * Writes `text` to `file` in the container (its directory must exist); the path is an argument, not part of the script.
 */
export function writeFileInContainer(
    host: Pick<HostDocker, "docker" | "where">,
    container: string,
    file: string,
    text: string,
    step = `writing ${file}`,
): void {
    runStep(host, step, ["exec", "-i", container, "sh", "-c", 'cat > "$1"', "sh", file], {
        input: text,
        captureStderr: true,
    });
}

/**
 * The id of the stack's running backup container, where backups, restores and exports run, or one
 * line saying why there is none. "Docker is unreachable" and "the container is not running" need
 * different fixes, so they are told apart: a failed `docker ps` is never reported as a missing container.
 */
export function backupContainer(
    host: Pick<HostDocker, "docker" | "where">,
    namePrefix: string,
    stack: string,
): { id: string } | { problem: string; sshFailed?: true } {
    const ps = host.docker(
        [
            "ps",
            "-q",
            "--filter",
            `label=com.freshtrack.stack=${namePrefix}`,
            "--filter",
            "label=com.freshtrack.service=backup",
        ],
        { captureStderr: true },
    );
    if (ps.startError) return { problem: `cannot run docker: ${ps.startError}` };
    if (ps.sshError) return { problem: `cannot reach ${host.where}: ${ps.sshError}`, sshFailed: true };
    if (ps.status !== 0) {
        const reason =
            (ps.stderr ?? "")
                .split("\n")
                .map((l) => l.trim())
                .find((l) => l !== "") ?? `exit status ${ps.status}`;
        return { problem: `cannot reach ${host.where}: ${reason}` };
    }
    const id = ps.stdout.trim().split("\n")[0];
    if (!id)
        return { problem: `no running backup container for stack '${stack}' on ${host.where}; run pulumi up first` };
    return { id };
}
