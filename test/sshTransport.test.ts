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
import * as os from "os";
import * as path from "path";
import {
    CONTROL_PERSIST_SECONDS,
    controlPath,
    dockerSshOptions,
    dockerSshUrl,
    installDeployKey,
    installKnownHosts,
    SshEndpoint,
    sshProjectRoot,
    sshStackDir,
    sshStateRoot,
} from "../components/host/deployKey";
import { Sshd, startSshd } from "./sshd";

function tmpDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The `type base64` key of a known_hosts line written by test/sshd.ts (`[127.0.0.1]:port type key comment`). */
function hostKeyOf(knownHostsFile: string): string {
    return fs.readFileSync(knownHostsFile, "utf8").trim().split(/\s+/).slice(1, 3).join(" ");
}

/** `ssh -G`: the configuration ssh would use for these arguments, parsed by ssh itself, without connecting. */
function sshConfig(args: string[]): Map<string, string[]> {
    const result = spawnSync("ssh", ["-G", "-F", "/dev/null", ...args], { encoding: "utf8" });
    expect(result.status, result.stderr).to.equal(0);
    const config = new Map<string, string[]>();
    for (const line of result.stdout.split("\n")) {
        const m = /^(\S+) (.*)$/.exec(line);
        if (m) config.set(m[1]!, [...(config.get(m[1]!) ?? []), m[2]!]);
    }
    return config;
}

describe("Docker over SSH: the deploy key file and the ssh options (defects 7 and 12)", () => {
    describe("where the deploy key lives (defect 7: under /tmp, gone when destroy or refresh needs it)", () => {
        it("keeps each stack's files under the user's home, never under os.tmpdir(), at a path that depends only on the stack", () => {
            expect(sshStateRoot({}, "/home/operator")).to.equal("/home/operator/.freshtrack/ssh");
            expect(sshStackDir("prod", "/home/operator/.freshtrack/ssh")).to.equal(
                "/home/operator/.freshtrack/ssh/prod",
            );
            // The default: the real home directory, whatever this process's temp directory is.
            const dir = sshStackDir("prod", sshStateRoot({}));
            expect(dir).to.equal(path.join(os.homedir(), ".freshtrack", "ssh", "prod"));
            expect(dir.startsWith(os.tmpdir() + path.sep), `${dir} is under ${os.tmpdir()}`).to.equal(false);
            expect(sshStackDir("prod", sshStateRoot({})), "the same on every run").to.equal(dir);
            expect(sshStateRoot({ FRESHTRACK_SSH_DIR: "/srv/keys" }, "/home/operator")).to.equal("/srv/keys");
        });

        it("refuses a stack name that is not a plain directory name", () => {
            for (const bad of ["..", ".", "a/b", "", "prod\n"])
                expect(() => sshStackDir(bad, "/r"), JSON.stringify(bad)).to.throw(/cannot name a directory/);
        });

        it("writes the key 0600 in a 0700 directory, repairs loosened modes, and leaves an unchanged key alone", () => {
            const dir = path.join(tmpDir("freshtrack-key-"), "nested", "prod");
            const file = installDeployKey(
                dir,
                "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----",
            );
            expect(file).to.equal(path.join(dir, "deploy_key"));
            expect(fs.readFileSync(file, "utf8")).to.match(/-----END OPENSSH PRIVATE KEY-----\n$/);
            expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
            expect(fs.statSync(dir).mode & 0o777).to.equal(0o700);
            fs.chmodSync(file, 0o644);
            fs.chmodSync(dir, 0o755);
            const inode = fs.statSync(file).ino;
            installDeployKey(dir, "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----\n");
            expect(fs.statSync(file).ino, "not rewritten").to.equal(inode);
            expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
            expect(fs.statSync(dir).mode & 0o777).to.equal(0o700);
            installDeployKey(dir, "another key\n");
            expect(fs.readFileSync(file, "utf8")).to.equal("another key\n");
        });
    });

    describe("the options, as ssh itself reads them (rung 3: real ssh -G)", () => {
        const target: SshEndpoint = { user: "deploy", host: "203.0.113.50", port: 2222 };

        it("name the stack's key and known_hosts, and multiplex over one socket per stack and host", () => {
            // ssh -G lists an identity file only when it exists.
            const dir = path.join(tmpDir("freshtrack-opts-"), "prod");
            installDeployKey(dir, "key\n");
            const config = sshConfig([
                "-l",
                "deploy",
                "-p",
                "2222",
                ...dockerSshOptions(dir, target),
                "--",
                "203.0.113.50",
            ]);
            expect(config.get("identityfile")).to.include(`${dir}/deploy_key`);
            expect(config.get("identitiesonly")).to.deep.equal(["yes"]);
            expect(config.get("userknownhostsfile")).to.deep.equal([`${dir}/known_hosts`]);
            // Issue 15, finding 3: only the pinned key (ssh -G prints yes as true).
            expect(config.get("stricthostkeychecking")).to.deep.equal(["true"]);
            expect(config.get("globalknownhostsfile")).to.deep.equal(["/dev/null"]);
            expect(config.get("updatehostkeys")).to.deep.equal(["false"]);
            expect(config.get("controlmaster")).to.deep.equal(["auto"]);
            expect(config.get("controlpersist")).to.deep.equal([String(CONTROL_PERSIST_SECONDS)]);
            expect(config.get("controlpath")).to.deep.equal([controlPath(dir, target)]);
            expect(controlPath(dir, target)).to.equal(path.join(dir, controlPath(dir, target)!.slice(dir.length + 1)));
            expect(path.basename(controlPath(dir, target)!)).to.match(/^cm-[0-9a-f]{16}$/);
            expect(controlPath(dir, { ...target, host: "203.0.113.51" }), "another host, another master").to.not.equal(
                controlPath(dir, target),
            );
        });

        it("survive a home directory with spaces and a percent sign, which ssh would otherwise split or expand", () => {
            const dir = path.join(tmpDir("freshtrack-opts-"), "Jo Doe", "100%", "prod");
            // ssh expands these two as it reads them; the key file only after it connects (the dials below use such a
            // path).
            const config = sshConfig(["-l", "deploy", ...dockerSshOptions(dir, target), "--", "203.0.113.50"]);
            expect(config.get("userknownhostsfile")).to.deep.equal([`${dir}/known_hosts`]);
            expect(config.get("controlpath")).to.deep.equal([controlPath(dir, target)]);
        });

        it("leave multiplexing out when the socket path would not fit in sun_path (104 bytes on macOS), rather than break every dial", () => {
            const long = `/home/${"x".repeat(60)}/.freshtrack/ssh/production-eu`;
            expect(controlPath(long, target)).to.equal(undefined);
            expect(dockerSshOptions(long, target).join(" ")).to.not.contain("Control");
            const socket = controlPath("/Users/christopher.lastname/.freshtrack/ssh/production", target)!;
            expect(Buffer.byteLength(socket) + 17, "with ssh's temporary suffix").to.be.lessThan(104);
        });
    });

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

describe("the Docker provider's ssh:// URL (dockerSshUrl)", () => {
    it("brackets an IPv6 address, as Go's url.Parse in the docker CLI's connection helper requires, and adds a port other than 22", () => {
        expect(dockerSshUrl("203.0.113.10")).to.equal("ssh://deploy@203.0.113.10");
        expect(dockerSshUrl("vm.example.com", 2222)).to.equal("ssh://deploy@vm.example.com:2222");
        expect(dockerSshUrl("2001:db8::10")).to.equal("ssh://deploy@[2001:db8::10]");
        expect(dockerSshUrl("2001:db8::10", 2222)).to.equal("ssh://deploy@[2001:db8::10]:2222");
        // WHATWG URL parses the host part as Go does here: the host without brackets, the port apart.
        const parsed = new URL(dockerSshUrl("2001:db8::10", 2222));
        expect([parsed.hostname, parsed.port, parsed.username]).to.deep.equal(["[2001:db8::10]", "2222", "deploy"]);
    });
});

describe("the SSH files' directory per organization, project and stack (sshProjectRoot)", () => {
    it("keeps two organizations' `prod` stacks apart, and the file backend's in 'organization'", async () => {
        const pulumi = await import("@pulumi/pulumi");
        const roots: string[] = [];
        for (const org of ["acme-foods", "nordic-cold", undefined]) {
            await pulumi.runtime.setMocks(
                { newResource: (a) => ({ id: a.name, state: a.inputs }), call: (a) => a.inputs },
                "freshtrack",
                "prod",
                false,
                org,
            );
            roots.push(sshStackDir("prod", sshProjectRoot("/r")));
        }
        expect(roots).to.deep.equal([
            "/r/acme-foods/freshtrack/prod",
            "/r/nordic-cold/freshtrack/prod",
            "/r/organization/freshtrack/prod",
        ]);
    });
});
