/**
 * The SSH transport of the Docker provider on droplet and ssh targets: where the deploy key lives
 * on the operator's machine (defect 7) and the ssh options that multiplex every Docker API
 * connection over one SSH connection (defect 12).
 *
 * The provider hands its sshOpts to the docker CLI's connection helper, which runs
 * `ssh -l <user> -p <port> <sshOpts...> -T -- <host> docker system dial-stdio` for every API
 * connection (docker/cli v28.5.2 cli/connhelper/connhelper.go:38-65 and 89-98,
 * cli/connhelper/ssh/ssh.go:103-135; called from kreuzwerker/terraform-provider-docker v4.5.0
 * internal/provider/config.go:168). The tests below run the real `ssh` the same way.
 */
import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { dockerSshOptions, installDeployKey, installKnownHosts, SshEndpoint } from "../components/host/deployKey";
import { Sshd, startSshd } from "./sshd";
import { tmpDir } from "./sshTransportFixtures";

/** The `type base64` key of a known_hosts line written by test/sshd.ts (`[127.0.0.1]:port type key comment`). */
function hostKeyOf(knownHostsFile: string): string {
    return fs.readFileSync(knownHostsFile, "utf8").trim().split(/\s+/).slice(1, 3).join(" ");
}

describe("Docker over SSH: the deploy key file and the ssh options (defects 7 and 12)", () => {
    /**
     * Rung 4: the real OpenSSH client against a real sshd on 127.0.0.1 (test/sshd.ts), dialled the
     * way the docker CLI dials. sshd logs one "Accepted publickey" per authenticated connection.
     */
    describe("against a real sshd (rung 4)", function () {
        this.timeout(60000);
        let server: Sshd;
        let dir: string;
        let target: SshEndpoint;

        before(async () => {
            server = await startSshd();
            // A home directory with a space and a percent sign, which ssh would split or expand if the options did not
            // escape them.
            dir = path.join(tmpDir("freshtrack-mux-"), "Jo Doe 100%", "stack");
            installDeployKey(dir, server.clientPrivateKey);
            target = { user: server.user, host: "127.0.0.1", port: server.port };
            installKnownHosts(dir, target, hostKeyOf(server.knownHostsFile));
        });
        after(async () => {
            await server?.stop();
        });
        afterEach(() => {
            // Stop this test's master, so the next test starts without one.
            spawnSync("ssh", ["-O", "exit", ...dialArgs(dockerSshOptions(dir, target))], { encoding: "utf8" });
        });

        const accepted = () => (server.log().match(/Accepted publickey for /g) ?? []).length;
        /** The argv the docker CLI's connection helper gives ssh, before the remote command. */
        const dialArgs = (options: string[]) => [
            "-l",
            target.user,
            "-p",
            String(target.port),
            ...options,
            "-T",
            "--",
            target.host,
        ];
        const dial = (options: string[], command: string) =>
            new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
                const child = spawn("ssh", [...dialArgs(options), command], { stdio: ["ignore", "pipe", "pipe"] });
                let stdout = "";
                let stderr = "";
                child.stdout.on("data", (d) => (stdout += d));
                child.stderr.on("data", (d) => (stderr += d));
                child.on("close", (status) => resolve({ status, stdout, stderr }));
            });
        const burst = (options: string[], n: number, seconds: number) =>
            Promise.all(Array.from({ length: n }, (_, i) => dial(options, `sleep ${seconds}; echo dial-${i}`)));

        it("serves a burst of parallel dials over one authenticated connection, the master that the first dial left", async () => {
            const options = dockerSshOptions(dir, target);
            const before = accepted();
            const first = await dial(options, "echo first");
            expect(first.status, first.stderr).to.equal(0);
            const check = spawnSync("ssh", ["-O", "check", ...dialArgs(options)], { encoding: "utf8" });
            expect(check.status, check.stderr).to.equal(0);
            expect(check.stderr).to.match(/^Master running \(pid=\d+\)/);

            const dials = await burst(options, 8, 1);
            dials.forEach((d, i) => expect(`${d.status} ${d.stdout.trim()}`, d.stderr).to.equal(`0 dial-${i}`));
            expect(accepted() - before, "SSH connections sshd authenticated for nine dials").to.equal(1);
        });

        it("without the multiplexing options (the program before this fix) each dial is a connection of its own, so the check above can fail", async () => {
            const options = dockerSshOptions(dir, target);
            const plain = options.filter(
                (o, i) => !/^Control/.test(o) && !(o === "-o" && /^Control/.test(options[i + 1] ?? "")),
            );
            expect(plain.join(" ")).to.not.contain("Control");
            const before = accepted();
            const dials = await burst(plain, 4, 0);
            dials.forEach((d) => expect(d.status, d.stderr).to.equal(0));
            expect(accepted() - before).to.equal(4);
        });

        /**
         * Issue 15, finding 3: the provider's ssh connects only to the host whose key the program
         * pinned. Before, it ran with StrictHostKeyChecking=accept-new and a known_hosts it filled
         * itself, so the first host to answer was trusted.
         */
        it("connects with the host key the program pinned, written as [host]:port in the stack's known_hosts", async () => {
            expect(fs.readFileSync(path.join(dir, "known_hosts"), "utf8")).to.equal(
                `[127.0.0.1]:${server.port} ${hostKeyOf(server.knownHostsFile)}\n`,
            );
            expect(fs.statSync(path.join(dir, "known_hosts")).mode & 0o777).to.equal(0o600);
            const ok = await dial(dockerSshOptions(dir, target), "echo pinned");
            expect(`${ok.status} ${ok.stdout.trim()}`, ok.stderr).to.equal("0 pinned");
        });

        it("refuses a host that shows another key than the pinned one, or any key when none is pinned, before logging in (exit 255)", async () => {
            const other = path.join(tmpDir("freshtrack-impostor-"), "stack");
            installDeployKey(other, server.clientPrivateKey);
            const before = accepted();
            // Another host's key pinned for this address: what a machine-in-the-middle looks like from here.
            installKnownHosts(other, target, hostKeyOf(server.wrongKnownHostsFile));
            const changed = await dial(dockerSshOptions(other, target), "echo should-not-run");
            expect(changed.status).to.equal(255);
            expect(changed.stderr).to.contain("REMOTE HOST IDENTIFICATION HAS CHANGED");
            expect(changed.stderr).to.contain("Host key verification failed.");
            // Nothing pinned: accept-new would have trusted the host and written its key; yes refuses it.
            fs.writeFileSync(path.join(other, "known_hosts"), "");
            const unknown = await dial(dockerSshOptions(other, target), "echo should-not-run");
            expect(unknown.status).to.equal(255);
            expect(unknown.stderr).to.contain("Host key verification failed.");
            expect(fs.readFileSync(path.join(other, "known_hosts"), "utf8"), "ssh added no key").to.equal("");
            expect(changed.stdout + unknown.stdout).to.equal("");
            expect(accepted() - before, "no login reached sshd").to.equal(0);
        });

        it("falls back to extra connections, not failures, past sshd's MaxSessions of 10 sessions per connection", async () => {
            const options = dockerSshOptions(dir, target);
            expect((await dial(options, "true")).status).to.equal(0);
            const before = accepted();
            const dials = await burst(options, 13, 2);
            dials.forEach((d, i) => expect(`${d.status} ${d.stdout.trim()}`, d.stderr).to.equal(`0 dial-${i}`));
            // Ten sessions fit on the master (DEFAULT_SESSIONS_MAX, openssh-portable V_9_2_P1 servconf.h:47); the rest
            // dial directly.
            expect(accepted() - before).to.equal(3);
            expect(server.log()).to.contain("no more sessions");
        });
    });
});
