/**
 * `npm run ssh -- <stack> [-- <command>]` gets the operator onto the stack's host, even after a failed first deploy,
 * when the stack has no outputs (issue 17, the walkthrough re-read: "If something fails" sends the operator to the
 * host at exactly that moment). Rung 4: the script runs in a Node process of its own against a throwaway sshd on
 * 127.0.0.1 (test/sshd.ts), its stack read from a stand-in `pulumi` first on PATH that answers what the Automation
 * API asks (scripts/lib/workspace.ts) with the outputs or the export a test gives it, and records each command line.
 *
 * The script logs in as the deploy user on port 22 (or freshtrack:ssh.port); the throwaway sshd has its own user and
 * port, which the process hands to main() as the one override it takes, with no ssh_config read (see main()). The
 * real entry point (`ts-node scripts/ssh.ts`, what npm runs) is run where no sshd is needed: the local stack.
 * Each run has a TMPDIR of its own, so what the script leaves behind there is seen.
 */
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Sshd, startSshd } from "./sshd";
import { hostKeyOf } from "./sshOperatorFixtures";
import { dropletResources, exportOf } from "./sshLoginFixtures";

const ROOT = path.join(__dirname, "..");

/** What main() is run with: the script's own entry, with the test sshd's user and port (runCli's handling aside). */
const DRIVER = `
const { main } = require("./scripts/ssh");
const { describeFailure } = require("./scripts/lib/cli");
main(process.argv.slice(1), JSON.parse(process.env.FT_REACH)).then(
    (code) => process.exit(code),
    (err) => { console.error(describeFailure("ssh", err)); process.exit(2); },
);
`;

/** A stand-in `pulumi`: records its arguments, answers version, select, output and export from files. */
const STAND_IN_PULUMI = `#!/bin/sh
printf '%s\\n' "$*" >> "$FT_PULUMI_DIR/calls"
case "$1 $2" in
  "version "*) echo v3.270.0 ;;
  "stack select") ;;
  "stack output") cat "$FT_PULUMI_DIR/outputs.json" ;;
  "stack export") cat "$FT_PULUMI_DIR/export.json" ;;
  *) echo "stand-in pulumi: unexpected $*" >&2; exit 1 ;;
esac
`;

interface Run {
    readonly status: number | null;
    readonly signal: NodeJS.Signals | null;
    readonly stdout: string;
    readonly stderr: string;
    /** The stand-in CLI's command lines. */
    readonly calls: string[];
    /** The script's directories left in its TMPDIR afterwards. */
    readonly left: string[];
    /** The files of the script's directories, with their modes, when `stopWith` stopped it. */
    readonly whileRunning: string[];
}

interface RunOptions {
    readonly outputs?: Record<string, unknown>;
    readonly state?: unknown;
    readonly stdin?: string;
    /** Stops the script with this signal once the remote command printed `started`. */
    readonly stopWith?: NodeJS.Signals;
    /** Run the real entry (scripts/ssh.ts) instead of main() with the sshd's user and port. */
    readonly entry?: true;
}

describe("npm run ssh: a login to the stack's host, from its outputs or its state (rung 4: real sshd, real ssh)", function () {
    this.timeout(120000);
    let server: Sshd;
    let bin: string;
    before(async () => {
        server = await startSshd();
        bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
        fs.writeFileSync(path.join(bin, "pulumi"), STAND_IN_PULUMI, { mode: 0o755 });
    });
    after(async () => {
        await server?.stop();
        if (bin) fs.rmSync(bin, { recursive: true, force: true });
    });

    /** The script's own directories in a TMPDIR (ts-node may keep a cache there too). */
    const ours = (tmp: string) => fs.readdirSync(tmp).filter((d) => d.startsWith("freshtrack-"));
    const pinned = () => hostKeyOf(server.knownHostsFile);
    const deployed = () => ({
        publicAddress: "127.0.0.1",
        deployPrivateKey: server.clientPrivateKey,
        hostKey: pinned(),
        domain: "freshtrack.example.com",
    });

    function ssh(args: readonly string[], o: RunOptions = {}): Promise<Run> {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-login-tmp-"));
        fs.rmSync(path.join(bin, "calls"), { force: true });
        fs.writeFileSync(path.join(bin, "outputs.json"), JSON.stringify(o.outputs ?? {}));
        fs.writeFileSync(path.join(bin, "export.json"), JSON.stringify(o.state ?? exportOf("prod", [])));
        const reach = { user: server.user, port: server.port, configFile: "/dev/null", connectTimeoutSeconds: 5 };
        const tsNode = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
        const argv = o.entry
            ? [tsNode, "--transpile-only", "scripts/ssh.ts", ...args]
            : ["-r", "ts-node/register/transpile-only", "-e", DRIVER, "--", ...args];
        const proc = spawn(process.execPath, argv, {
            cwd: ROOT,
            env: {
                ...process.env,
                PATH: `${bin}${path.delimiter}${process.env.PATH}`,
                TMPDIR: tmp,
                FT_PULUMI_DIR: bin,
                FT_REACH: JSON.stringify(reach),
            },
            stdio: ["pipe", "pipe", "pipe"],
        });
        // Left open with stopWith, so a remote `read` waits until ssh is gone.
        if (o.stdin !== undefined) proc.stdin.end(o.stdin);
        else if (!o.stopWith) proc.stdin.end();
        let stdout = "";
        let stderr = "";
        let whileRunning: string[] = [];
        proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        proc.stdout.on("data", (d: Buffer) => {
            stdout += d.toString();
            if (o.stopWith && stdout.includes("started") && whileRunning.length === 0) {
                whileRunning = ours(tmp).flatMap((dir) => {
                    const full = path.join(tmp, dir);
                    const mode = (f: string) => (fs.statSync(f).mode & 0o777).toString(8);
                    return [
                        `${dir} ${mode(full)}`,
                        ...fs.readdirSync(full).map((f) => `${f} ${mode(path.join(full, f))}`),
                    ];
                });
                proc.kill(o.stopWith);
            }
        });
        return new Promise((resolve, reject) => {
            proc.on("error", reject);
            proc.on("close", (status, signal) => {
                const left = ours(tmp);
                fs.rmSync(tmp, { recursive: true, force: true });
                const callsFile = path.join(bin, "calls");
                const calls = fs.existsSync(callsFile) ? fs.readFileSync(callsFile, "utf8").trim().split("\n") : [];
                resolve({ status, signal, stdout, stderr, calls, left, whileRunning });
            });
        });
    }

    it("logs in with a stack that has outputs: the deploy user's shell reads the operator's input, and its status is the script's", async () => {
        const run = await ssh(["prod"], { outputs: deployed(), stdin: 'echo "shell of $(id -un)"\nexit 7\n' });
        expect(run.stdout, run.stderr).to.equal(`shell of ${server.user}\n`);
        expect(run.status, run.stderr).to.equal(7);
        expect(run.calls).to.include("stack output --json --show-secrets --stack prod --non-interactive");
        expect(run.calls.join("\n"), "the outputs were enough").to.not.contain("stack export");
        expect(run.left, "what the script left in its TMPDIR").to.deep.equal([]);
    });

    it("logs in with a stack that has only state (a failed first deploy): the reserved IP, deploy key and host key of its resources", async () => {
        // The droplet's own address is not where this sshd listens: a login through it would be refused.
        const state = exportOf(
            "prod",
            dropletResources("prod", {
                deployKey: server.clientPrivateKey,
                hostKey: pinned(),
                reservedIp: "127.0.0.1",
                dropletIp: "127.0.0.2",
            }),
        );
        const run = await ssh(["prod", "--", "echo", "in", "from", "the", "state"], { state });
        expect(run.stdout, run.stderr).to.equal("in from the state\n");
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stderr).to.contain(
            "ssh: 'prod' has no outputs to log in with (a failed first deploy leaves none): using its state",
        );
        expect(run.calls).to.include("stack export --show-secrets --stack prod --non-interactive");
        expect(run.left).to.deep.equal([]);
    });

    it("runs the words after -- as the command, for the host's shell; a -h among them is the command's, not --help", async () => {
        const run = await ssh(["prod", "--", "echo", "-h;", "exit", "4"], { outputs: deployed() });
        expect(run.stdout, run.stderr).to.equal("-h\n");
        expect(run.status, run.stderr).to.equal(4);
        const quoted = await ssh(["prod", "--", "printf '%s|' a 'b c' | tr '|' '\\n'"], { outputs: deployed() });
        expect(quoted.stdout, quoted.stderr).to.equal("a\nb c\n");
    });

    it("refuses a host that shows another key than the stack's, before any command runs: exit 255 with ssh's reason", async () => {
        const impostor = { ...deployed(), hostKey: hostKeyOf(server.wrongKnownHostsFile) };
        const run = await ssh(["prod", "--", "echo", "reached"], { outputs: impostor });
        expect(run.stdout).to.equal("");
        expect(run.status).to.equal(255);
        expect(run.stderr).to.contain(
            `ssh: could not reach ${server.user}@127.0.0.1:${server.port} over ssh: Host key verification failed.`,
        );
        expect(run.left).to.deep.equal([]);
    });

    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const)
        it(`leaves no key behind when ${signal} stops it mid-command, and exits as the shell reports that signal`, async () => {
            const run = await ssh(["prod", "--", "echo started; read line"], { outputs: deployed(), stopWith: signal });
            expect(run.whileRunning, run.stderr).to.include.members(["deploy_key 600", "known_hosts 600"]);
            expect(
                run.whileRunning.find((f) => f.startsWith("freshtrack-host-")),
                run.stderr,
            ).to.match(/ 700$/);
            expect(run.left, "what the script left in its TMPDIR").to.deep.equal([]);
            expect(run.status, run.stderr).to.equal(128 + os.constants.signals[signal]);
        });

    // Issue 17 newcomer pass: `npm run ssh -- prod docker` ran `docker` alone, and `prod docker ps` was refused.
    it("refuses a command given without the second --, saying where it goes, before anything runs", async () => {
        const run = await ssh(["prod", "docker ps"], { entry: true });
        expect(run.status).to.equal(2);
        expect(run.stderr.trim().split("\n")).to.deep.equal([
            "ssh: 'docker ps' is not an argument of this script; put the host's command after --: npm run ssh -- prod -- 'docker ps'",
        ]);
        expect(run.calls).to.deep.equal([]);
    });

    it("refuses a local stack with one line, without asking the Pulumi CLI anything (the real entry, npm's command)", async () => {
        const run = await ssh(["dev"], { entry: true });
        expect(run.status).to.equal(2);
        expect(run.stderr.trim().split("\n")).to.deep.equal([
            "ssh: 'dev' runs on this machine's Docker (target local): no host to log in to; use docker",
        ]);
        expect(run.calls).to.deep.equal([]);
    });
});
