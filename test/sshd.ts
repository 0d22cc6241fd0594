/**
 * A throwaway OpenSSH server on 127.0.0.1 for the operator-script tests (rung 4 of the ladder in
 * design.md): Debian's openssh-server with its own config, host key and client key in a temp
 * directory, a throwaway login user, and a stand-in `docker` first on that user's PATH.
 *
 * The stand-in records every argv it receives byte for byte (NUL-separated, one file per call) and
 * emulates the docker subcommands the scripts use: `ps -q --filter ...` prints the backup
 * container's id, and `exec [-i] [-t] [-e K=V]... <id> <cmd...>` runs <cmd...> in a stand-in
 * container: a directory that is the command's root directory (an unprivileged user namespace
 * and chroot, `unshare --map-root-user --root`), with busybox-static as its userland, as the
 * backup service's postgres:*-alpine image has busybox. So absolute paths, globs and redirections
 * in the container's shell act on that directory, and a command that ran on the host by mistake
 * acts on the host instead, where the test can see the difference.
 *
 * Needs root (it creates the login user and starts sshd, as CI does), the Debian packages
 * openssh-server, openssh-client and busybox-static, and unprivileged user namespaces.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { SshTarget } from "../scripts/lib/hostDocker";
import { freePort } from "./localServers";

/**
 * The throwaway login user is `ftdeploy-<pid>`: one per test process, so test runs on the same
 * machine at once do not change each other's user. `stop` removes it; one left by a killed run is
 * removed by the next start.
 */
const USER_PREFIX = "ftdeploy-";
/** What `docker ps` prints for the stack's backup container. */
export const CONTAINER_ID = "5tand1nbackup";

const SSHD = "/usr/sbin/sshd";
const PRIVSEP_DIR = "/run/sshd";
/** Alpine's default PATH, as in the postgres:*-alpine image. */
const CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface Sshd {
    readonly address: string;
    readonly port: number;
    readonly user: string;
    readonly clientPrivateKey: string;
    /** known_hosts that pins this server's host key, as `[127.0.0.1]:<port>`. */
    readonly knownHostsFile: string;
    /** known_hosts naming the same `[127.0.0.1]:<port>` with another key: a host that is not the one pinned. */
    readonly wrongKnownHostsFile: string;
    /** The server's address, port, user, key and pinned host key, ignoring the operator's ssh_config. */
    target(overrides?: Partial<SshTarget>): SshTarget;
    /** Every argv the stand-in docker received since the last reset, oldest first. */
    dockerCalls(): string[][];
    /** Makes `docker <subcommand>` fail with `status` before it does anything (undefined: behave again). */
    failDocker(subcommand: "ps" | "exec", status: number | undefined): void;
    /** Whether `docker ps` finds the backup container. */
    setContainerRunning(running: boolean): void;
    /**
     * A new, empty stand-in container (busybox, /backups/postgres, the freshtrack-* stand-ins) and no recorded calls.
     */
    reset(): void;
    /** Where a path inside the stand-in container lies on this machine. */
    containerPath(p: string): string;
    writeInContainer(p: string, text: string, opts?: { mode?: number; mtime?: Date }): void;
    /**
     * Makes the container's stand-in `freshtrack-backup` or `freshtrack-restore` exit with `status` (undefined:
     * succeed).
     */
    failInContainer(command: "freshtrack-backup" | "freshtrack-restore", status: number | undefined): void;
    /**
     * The arguments the container's stand-in `freshtrack-backup` or `freshtrack-restore` got on its last run, if it
     * ran.
     */
    containerCommandArgs(command: "freshtrack-backup" | "freshtrack-restore"): string[] | undefined;
    /** The login shell sshd hands the command line to (the deploy user's is /bin/bash). */
    setLoginShell(shell: string): void;
    /** What sshd logged, for failure messages. */
    log(): string;
    stop(): Promise<void>;
}

/** The stand-in `docker`: POSIX sh, run by the login user. `@STATE@` is replaced by its state directory. */
const STAND_IN_DOCKER = `#!/bin/sh
# Stand-in docker for test/sshd.ts. Records its argv, then emulates ps and exec.
state=@STATE@
n=$(ls "$state/calls" | wc -l)
printf '%s\\0' "$@" > "$state/calls/$(printf %05d $((n + 1)))"
sub=$1
[ $# -gt 0 ] && shift
if [ -f "$state/exit-$sub" ]; then
  echo "stand-in docker: $sub fails as the test asked" >&2
  exit "$(cat "$state/exit-$sub")"
fi
id=$(cat "$state/container-id")
case $sub in
ps)
  [ -n "$id" ] && echo "$id"
  exit 0 ;;
exec)
  # Rotate the arguments: options are consumed, -e values and the command stay, in order.
  interactive=no; target=; envs=0; count=$#
  while [ "$count" -gt 0 ]; do
    arg=$1; shift; count=$((count - 1))
    if [ -n "$target" ]; then set -- "$@" "$arg"; continue; fi
    case $arg in
      -i|--interactive) interactive=yes ;;
      -t|--tty) ;;
      -e|--env)
        case $1 in *=*) ;; *) echo "stand-in docker: -e without K=V is not emulated" >&2; exit 125 ;; esac
        set -- "$@" "$1"; shift; count=$((count - 1)); envs=$((envs + 1)) ;;
      -*) echo "stand-in docker: exec option $arg is not emulated" >&2; exit 125 ;;
      *) target=$arg ;;
    esac
  done
  if [ -z "$id" ] || [ "$target" != "$id" ]; then
    echo "Error response from daemon: No such container: $target" >&2
    exit 1
  fi
  if [ $# -le "$envs" ]; then echo "stand-in docker: exec needs a command" >&2; exit 125; fi
  # Without -i docker gives the command no stdin.
  [ "$interactive" = yes ] || exec </dev/null
  exec unshare --map-root-user --root="$state/root" --wd=/ /bin/env -i PATH=${CONTAINER_PATH} HOME=/root "$@" ;;
*)
  echo "stand-in docker: '$sub' is not emulated" >&2
  exit 125 ;;
esac
`;

/**
 * Stand-ins for the backup image's scripts: record their arguments, then act like the real ones enough for the callers.
 */
const STAND_IN_BACKUP = `#!/bin/sh
printf '%s\\0' "$@" > /tmp/freshtrack-backup.args
if [ -f /etc/stand-in/freshtrack-backup.exit ]; then
  echo "freshtrack-backup: failing as the test asked" >&2
  exit "$(cat /etc/stand-in/freshtrack-backup.exit)"
fi
file=/backups/postgres/freshtrack-\${1:-manual}-$(date -u +%Y%m%dT%H%M%SZ).dump
echo "stand-in dump" > "$file"
echo "backup written: $file ($(wc -c <"$file") bytes)"
`;
const STAND_IN_RESTORE = `#!/bin/sh
printf '%s\\0' "$@" > /tmp/freshtrack-restore.args
if [ -f /etc/stand-in/freshtrack-restore.exit ]; then
  echo "freshtrack-restore: failing as the test asked" >&2
  exit "$(cat /etc/stand-in/freshtrack-restore.exit)"
fi
[ -r "$1" ] || { echo "freshtrack-restore: no backup to restore (looked for $1)" >&2; exit 1; }
echo "restored $1"
`;

function shQuote(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

function userIds(user: string): { uid: number; gid: number } | undefined {
    const uid = spawnSync("id", ["-u", user], { encoding: "utf8" });
    if (uid.status !== 0) return undefined;
    return {
        uid: Number(uid.stdout.trim()),
        gid: Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim()),
    };
}

function removeAbandonedUsers(): void {
    for (const line of fs.readFileSync("/etc/passwd", "utf8").split("\n")) {
        const pid = new RegExp(`^${USER_PREFIX}(\\d+):`).exec(line)?.[1];
        if (pid === undefined || Number(pid) === process.pid) continue;
        try {
            process.kill(Number(pid), 0);
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code === "ESRCH") spawnSync("userdel", [`${USER_PREFIX}${pid}`]);
        }
    }
}

function keygen(file: string, comment: string): void {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
}

export async function startSshd(): Promise<Sshd> {
    if (process.getuid?.() !== 0)
        throw new Error("test/sshd.ts needs root: it creates a login user and starts sshd (CI runs as root)");
    for (const [file, pkg] of [
        [SSHD, "openssh-server"],
        ["/usr/bin/ssh", "openssh-client"],
        ["/bin/busybox", "busybox-static"],
    ] as const) {
        if (!fs.existsSync(file)) throw new Error(`${file} is missing; install Debian's ${pkg}`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-sshd-"));
    // The login user walks through it to its home and the stand-in's state.
    fs.chmodSync(dir, 0o711);
    const home = path.join(dir, "home");
    const state = path.join(dir, "state");
    const bin = path.join(dir, "bin");
    const root = path.join(state, "root");

    removeAbandonedUsers();
    const user = `${USER_PREFIX}${process.pid}`;
    let child: ChildProcess | undefined;
    let sshdLog = "";
    let createdUser = false;
    const cleanup = () => {
        if (createdUser) spawnSync("userdel", [user]);
        fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        // '*' rather than useradd's locked '!': without PAM, sshd refuses a locked account even for a key.
        execFileSync("useradd", [
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            home,
            "--shell",
            "/bin/bash",
            "--password",
            "*",
            user,
        ]);
        createdUser = true;
        const ids = userIds(user)!;
        // sshd refuses to start without its privilege-separation directory; Debian's service unit makes it at boot.
        // It is left in place: another sshd (a concurrent test run, or the system's) may be using it.
        fs.mkdirSync(PRIVSEP_DIR, { recursive: true, mode: 0o755 });
        fs.mkdirSync(path.join(home, ".ssh"), { recursive: true, mode: 0o700 });
        fs.mkdirSync(bin, { mode: 0o755 });
        fs.mkdirSync(path.join(state, "calls"), { recursive: true });
        const hostKey = path.join(dir, "ssh_host_ed25519_key");
        const clientKey = path.join(dir, "client_key");
        const otherKey = path.join(dir, "other_host_key");
        keygen(hostKey, "freshtrack test sshd");
        keygen(clientKey, "freshtrack test client");
        keygen(otherKey, "some other host");
        fs.copyFileSync(`${clientKey}.pub`, path.join(home, ".ssh", "authorized_keys"));
        fs.chmodSync(path.join(home, ".ssh", "authorized_keys"), 0o600);
        fs.chmodSync(home, 0o755);
        execFileSync("chown", ["-R", `${ids.uid}:${ids.gid}`, home, state]);
        fs.writeFileSync(path.join(bin, "docker"), STAND_IN_DOCKER.replace("@STATE@", shQuote(state)), { mode: 0o755 });
        fs.copyFileSync("/bin/busybox", path.join(dir, "busybox"));
        fs.chmodSync(path.join(dir, "busybox"), 0o755);
        const applets = execFileSync("/bin/busybox", ["--list"], { encoding: "utf8" })
            .split("\n")
            .filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== "busybox");

        const port = await freePort();
        const config = [
            `Port ${port}`,
            "ListenAddress 127.0.0.1",
            `HostKey ${hostKey}`,
            "PidFile none",
            "UsePAM no",
            "AuthenticationMethods publickey",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin no",
            `AllowUsers ${user}`,
            "AuthorizedKeysFile .ssh/authorized_keys",
            "StrictModes yes",
            // Overrides sshd's built-in PATH for the session (sshd_config(5), SetEnv), so the stand-in comes first.
            `SetEnv PATH=${bin}:/usr/local/bin:/usr/bin:/bin`,
            "PrintMotd no",
            "X11Forwarding no",
            "AllowTcpForwarding no",
            "AllowAgentForwarding no",
        ].join("\n");
        const configFile = path.join(dir, "sshd_config");
        fs.writeFileSync(configFile, `${config}\n`, { mode: 0o600 });
        const hostLine = (keyFile: string) => `[127.0.0.1]:${port} ${fs.readFileSync(keyFile, "utf8").trim()}\n`;
        const knownHostsFile = path.join(dir, "known_hosts");
        const wrongKnownHostsFile = path.join(dir, "wrong_known_hosts");
        fs.writeFileSync(knownHostsFile, hostLine(`${hostKey}.pub`));
        fs.writeFileSync(wrongKnownHostsFile, hostLine(`${otherKey}.pub`));

        // -D: stay in the foreground, so stopping this child stops the server; -e: log to stderr, kept for messages.
        child = spawn(SSHD, ["-D", "-e", "-f", configFile], { stdio: ["ignore", "ignore", "pipe"] });
        const started = child;
        await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(
                () => reject(new Error(`sshd did not listen on 127.0.0.1:${port} within 5 s:\n${sshdLog}`)),
                5000,
            );
            started.stderr!.on("data", (chunk: Buffer) => {
                sshdLog += chunk.toString();
                if (sshdLog.includes(`Server listening on 127.0.0.1 port ${port}`)) {
                    clearTimeout(timer);
                    resolve();
                }
            });
            started.once("exit", (code) => {
                clearTimeout(timer);
                reject(new Error(`sshd exited with status ${code} before listening:\n${sshdLog}`));
            });
        });

        const stateFile = (name: string) => path.join(state, name);
        const containerPath = (p: string) => path.join(root, path.posix.normalize(`/${p}`));
        const writeOwned = (file: string, text: string, mode = 0o644) => {
            // The container's root is the login user, so what the test makes there must be that user's.
            const madeDir = fs.mkdirSync(path.dirname(file), { recursive: true });
            if (madeDir) execFileSync("chown", ["-R", `${ids.uid}:${ids.gid}`, madeDir]);
            fs.writeFileSync(file, text, { mode });
            fs.chmodSync(file, mode);
            fs.chownSync(file, ids.uid, ids.gid);
        };
        const server: Sshd = {
            address: "127.0.0.1",
            port,
            user,
            clientPrivateKey: fs.readFileSync(clientKey, "utf8"),
            knownHostsFile,
            wrongKnownHostsFile,
            target: (overrides = {}) => ({
                address: "127.0.0.1",
                port,
                user,
                privateKey: fs.readFileSync(clientKey, "utf8"),
                knownHostsFile,
                configFile: "/dev/null",
                connectTimeoutSeconds: 5,
                ...overrides,
            }),
            dockerCalls: () =>
                fs
                    .readdirSync(path.join(state, "calls"))
                    .sort()
                    .map((f) =>
                        fs
                            .readFileSync(path.join(state, "calls", f), "utf8")
                            .split("\0")
                            .slice(0, -1),
                    ),
            failDocker: (sub, status) => {
                if (status === undefined) fs.rmSync(stateFile(`exit-${sub}`), { force: true });
                else writeOwned(stateFile(`exit-${sub}`), `${status}\n`);
            },
            setContainerRunning: (running) => writeOwned(stateFile("container-id"), running ? CONTAINER_ID : ""),
            reset: () => {
                fs.rmSync(path.join(state, "calls"), { recursive: true, force: true });
                fs.mkdirSync(path.join(state, "calls"));
                for (const f of fs.readdirSync(state).filter((n) => n.startsWith("exit-"))) fs.rmSync(stateFile(f));
                fs.rmSync(root, { recursive: true, force: true });
                for (const d of ["bin", "tmp", "root", "etc/stand-in", "usr/local/bin", "backups/postgres"]) {
                    fs.mkdirSync(path.join(root, d), { recursive: true });
                }
                fs.linkSync(path.join(dir, "busybox"), path.join(root, "bin", "busybox"));
                for (const applet of applets) fs.symlinkSync("busybox", path.join(root, "bin", applet));
                fs.writeFileSync(path.join(root, "usr/local/bin/freshtrack-backup"), STAND_IN_BACKUP, { mode: 0o755 });
                fs.writeFileSync(path.join(root, "usr/local/bin/freshtrack-restore"), STAND_IN_RESTORE, {
                    mode: 0o755,
                });
                fs.chmodSync(path.join(root, "tmp"), 0o1777);
                execFileSync("chown", ["-R", "-h", `${ids.uid}:${ids.gid}`, state]);
                writeOwned(stateFile("container-id"), CONTAINER_ID);
            },
            containerPath,
            writeInContainer: (p, text, opts = {}) => {
                const file = containerPath(p);
                writeOwned(file, text, opts.mode);
                if (opts.mtime) fs.utimesSync(file, opts.mtime, opts.mtime);
            },
            failInContainer: (command, status) => {
                const file = containerPath(`/etc/stand-in/${command}.exit`);
                if (status === undefined) fs.rmSync(file, { force: true });
                else writeOwned(file, `${status}\n`);
            },
            containerCommandArgs: (command) => {
                const file = containerPath(`/tmp/${command}.args`);
                return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\0").slice(0, -1) : undefined;
            },
            setLoginShell: (shell) => execFileSync("usermod", ["--shell", shell, user]),
            log: () => sshdLog,
            stop: async () => {
                const running = child;
                child = undefined;
                if (running && running.exitCode === null && running.signalCode === null) {
                    await new Promise<void>((resolve) => {
                        running.once("exit", () => resolve());
                        running.kill("SIGTERM");
                    });
                }
                cleanup();
            },
        };

        server.reset();
        // Fail here, with the reason, rather than in every test: the container needs user namespaces and
        // busybox-static.
        const probe = spawnSync(
            "runuser",
            ["-u", user, "--", path.join(bin, "docker"), "exec", CONTAINER_ID, "sh", "-c", "ls /backups"],
            { encoding: "utf8" },
        );
        if (probe.status !== 0) {
            const why = "unshare --map-root-user --root needs unprivileged user namespaces";
            throw new Error(`the stand-in container cannot run commands (${why}): ${probe.stderr.trim()}`);
        }
        server.reset();
        return server;
    } catch (err) {
        if (child && child.exitCode === null) {
            const running = child;
            await new Promise<void>((resolve) => {
                running.once("exit", () => resolve());
                running.kill("SIGTERM");
            });
        }
        cleanup();
        throw err;
    }
}
