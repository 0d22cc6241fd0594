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
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    controlPath,
    dockerSshOptions,
    dockerSshUrl,
    installDeployKey,
    SshEndpoint,
    sshProjectRoot,
    sshStackDir,
    sshStateRoot,
} from "../components/host/deployKey";
import { tmpDir } from "./sshTransportFixtures";

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

        it("leave multiplexing out when the socket path would not fit in sun_path (104 bytes on macOS), rather than break every dial", () => {
            const long = `/home/${"x".repeat(60)}/.freshtrack/ssh/production-eu`;
            expect(controlPath(long, target)).to.equal(undefined);
            expect(dockerSshOptions(long, target).join(" ")).to.not.contain("Control");
            const socket = controlPath("/Users/christopher.lastname/.freshtrack/ssh/production", target)!;
            expect(Buffer.byteLength(socket) + 17, "with ssh's temporary suffix").to.be.lessThan(104);
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
