/**
 * npm run ssh -- <stack> [-- <command>]
 *
 * Logs the operator in to a droplet or VM stack's host as the deploy user, with the stack's deploy key, accepting only
 * the host key the stack pinned: an interactive shell, or the command after `--`. The address and keys come from the
 * stack's outputs, or from its state when it has none (a first deploy that failed: scripts/lib/hostLogin.ts), read
 * through the Automation API (scripts/lib/workspace.ts). The key and a known_hosts line go to a private directory
 * (scripts/lib/hostDocker.ts, openSsh) that is removed when ssh ends, and on SIGINT, SIGTERM and SIGHUP.
 * Exit codes: ssh's own (the shell's or the command's status, 255 when ssh failed); 2 usage or setup error.
 */
import { spawn } from "child_process";
import { constants } from "os";
import { runCli } from "./lib/cli";
import { commandLine, CommandLineSpec } from "./lib/commandLine";
import { openSsh, SshOptions, SshSession } from "./lib/hostDocker";
import { HostLogin, LoginConfig, loginFromOutputs, loginFromState } from "./lib/hostLogin";
import { loadStackConfigFor } from "./lib/stackFiles";
import { readStackOutputs, selectStack } from "./lib/workspace";

/** The command line, read by commandLine and explained by --help (test/scriptsHelp.servers.test.ts reads it too). */
export const COMMAND_LINE = {
    summary: "log in to a stack's host as deploy, with the stack's deploy key and pinned host key",
    details: [
        "Underneath it runs ssh -i <deploy_key> -o StrictHostKeyChecking=yes -o UserKnownHostsFile=<known_hosts> " +
            "deploy@<address>, the key and a known_hosts line holding the stack's host key written to a private " +
            "temporary directory (0700, files 0600) that is removed when ssh ends or the script is stopped. So ssh " +
            "refuses any other machine answering at that address. The address, deploy key and host key come from " +
            "the stack's outputs, or, when it has none (after a first deploy that failed), from the resources in " +
            "its state; an ssh target's address, port and host key come from freshtrack:ssh. The Pulumi CLI and " +
            "the stack's passphrase are needed. A local stack has no host to log in to: use docker directly.",
    ],
    stack: { description: "The stack whose host you log in to (a droplet or ssh target)." },
    arguments: [
        {
            name: "-- <command>",
            description:
                "Run this on the host instead of an interactive shell: the words after `--`, joined with spaces " +
                "as ssh joins them, for the deploy user's login shell (bash) there. Quote the command as one word " +
                "to keep a pipe, a redirection or a `;` for the host's shell. Without a command, ssh allocates a " +
                "terminal when yours is one.",
        },
    ],
    exitCodes: [
        ["0", "the shell or the command ended with status 0"],
        [
            "1-254",
            "the status the shell or the command on the host ended with, which ssh passes on (1 also: the " +
                "stack's config is invalid; 128 + N: signal N stopped the script)",
        ],
        [
            "2",
            "also before ssh ran: a usage error, an unknown or local stack, the stack not read, or no address or " +
                "key in its outputs or state",
        ],
        ["255", "ssh failed: the host not reached, a host key other than the pinned one, or the key refused"],
    ],
    examples: [
        { command: "npm run ssh -- prod", what: "An interactive shell on prod's droplet, as deploy." },
        {
            command: "npm run ssh -- prod -- 'sudo cat /var/log/cloud-init-output.log'",
            what: "Read the bootstrap's log, for example after droplet-bootstrap-wait failed on a first deploy.",
        },
        { command: "npm run ssh -- staging -- 'docker ps'", what: "List staging's containers." },
    ],
} satisfies CommandLineSpec;

/** Where to log in: from the outputs when they say, from the state otherwise. Throws a StackReadError. */
async function findLogin(stack: string, cfg: LoginConfig): Promise<HostLogin | { problem: string }> {
    const outputs = await readStackOutputs(stack, { showSecrets: true });
    const fromOutputs = loginFromOutputs(cfg, outputs);
    if (fromOutputs) return fromOutputs;
    return loginFromState(stack, cfg, await (await selectStack(stack)).exportState());
}

/** Signals that stop the script: passed on to ssh, which then ends (clientloop.c below) and the script after it. */
const PASSED_ON: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

interface SshRun {
    readonly status: number | null;
    readonly signal: NodeJS.Signals | null;
    /** A signal the script received and passed on to ssh. */
    readonly received?: NodeJS.Signals;
    readonly startError?: string;
}

/**
 * ssh with the operator's terminal, run asynchronously so that the script hears a signal while ssh runs. The key's
 * directory is removed on the signal by openSsh's own handlers (hostDocker.ts, makePrivateDir), which leave the
 * process alone when another listener is there, as this one is; this one hands the signal to ssh. ssh ends on SIGINT,
 * SIGTERM and SIGHUP (openssh-portable V_9_2_P1 clientloop.c:1343-1350 traps them, 1483-1486 exits 255).
 */
function runSsh(args: string[]): Promise<SshRun> {
    return new Promise((resolve) => {
        const child = spawn("ssh", args, { stdio: "inherit" });
        let received: NodeJS.Signals | undefined;
        let settled = false;
        const passOn = (signal: NodeJS.Signals) => {
            received = signal;
            child.kill(signal);
        };
        for (const signal of PASSED_ON) process.on(signal, passOn);
        const settle = (run: SshRun) => {
            if (settled) return;
            settled = true;
            for (const signal of PASSED_ON) process.removeListener(signal, passOn);
            resolve({ ...run, ...(received ? { received } : {}) });
        };
        child.once("error", (err: NodeJS.ErrnoException) =>
            settle({
                status: null,
                signal: null,
                startError: err.code === "ENOENT" ? "not installed on this machine (openssh-client)" : err.message,
            }),
        );
        child.once("exit", (status, signal) => settle({ status, signal }));
    });
}

/** The script's exit status for how ssh ended, as a shell reports it: 128 + N for signal N. */
function exitStatus(session: SshSession, run: SshRun): number {
    if (run.startError !== undefined) {
        console.error(`ssh: cannot run ssh: ${run.startError}`);
        return 2;
    }
    const signal = run.received ?? run.signal;
    if (signal) return 128 + constants.signals[signal];
    const sshError = run.status === 255 ? session.sshError() : undefined;
    if (sshError !== undefined) console.error(`ssh: could not reach ${session.where} over ssh: ${sshError}`);
    return run.status ?? 255;
}

/**
 * The script. `reach` overrides how the host is reached: the tests' throwaway sshd needs its own user and port and
 * none of the operator's ssh_config (test/sshLogin.ssh.test.ts); `npm run ssh` passes nothing.
 */
export async function main(argv: string[], reach: SshOptions = {}): Promise<number> {
    // npm keeps every `--` after its own first one. Whatever follows the next is the host's: split off before the
    // command line is read, so that a `-h` of the remote command (`df -h`) is not taken for this script's --help.
    const dashes = argv.indexOf("--");
    const line = commandLine("ssh", dashes < 0 ? argv : argv.slice(0, dashes), COMMAND_LINE);
    if ("exitCode" in line) return line.exitCode;
    const stack = line.stacks[0]!;
    if (line.extra.length > 0) {
        // `npm run ssh -- prod docker ps` would run `docker` alone (a second word is refused), or a quoted word
        // silently: only what follows the second `--` is the host's.
        console.error(
            `ssh: '${line.extra.join(" ")}' is not an argument of this script; put the host's command after --: npm run ssh -- ${stack} -- '${line.extra.join(" ")}'`,
        );
        return 2;
    }
    // ssh joins its command's words with spaces (openssh-portable V_9_2_P1 ssh.c:1122-1136); an empty one asks for a
    // shell on a terminal (ssh.c:1353-1354, clientloop.c:2618-2642), as ssh without a command does.
    const command = (dashes < 0 ? [] : argv.slice(dashes + 1)).join(" ");
    const cfg = loadStackConfigFor(stack);
    if (cfg.target === "local") {
        console.error(`ssh: '${stack}' runs on this machine's Docker (target local): no host to log in to; use docker`);
        return 2;
    }
    let login: HostLogin | { problem: string };
    try {
        login = await findLogin(stack, cfg.target === "ssh" ? { target: "ssh", ssh: cfg.ssh } : { target: "droplet" });
    } catch (err) {
        console.error(`ssh: ${(err as Error).message}`);
        return 2;
    }
    if ("problem" in login) {
        console.error(`ssh: ${login.problem}`);
        return 2;
    }
    if (login.from === "state")
        console.error(
            `ssh: '${stack}' has no outputs to log in with (a failed first deploy leaves none): using its state`,
        );
    if (login.note) console.error(`ssh: ${login.note}`);
    let session: SshSession;
    try {
        session = openSsh({ ...login.target, ...reach });
    } catch (err) {
        console.error(`ssh: ${(err as Error).message}`);
        return 2;
    }
    try {
        return exitStatus(session, await runSsh(session.argv(command)));
    } finally {
        session.cleanup();
    }
}

if (require.main === module) runCli("ssh", (argv) => main(argv));
