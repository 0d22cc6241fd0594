/**
 * Issue 15, findings 3 and 11: the operator scripts pin the host key from the stack's `hostKey`
 * output, and keep the deploy key in a private directory that is gone when they end, however they end.
 *
 * They run against a real OpenSSH server on 127.0.0.1 with a stand-in docker on the far side (test/sshd.ts); the
 * steps the scripts run over it are tested in test/sshOperatorSteps.ssh.test.ts.
 */
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { backupContainer, openSsh, sshDocker, sshTargetFromOutputs, writePrivateFile } from "../scripts/lib/hostDocker";
import { CONTAINER_ID, Sshd, startSshd } from "./sshd";
import { hostKeyOf } from "./sshOperatorFixtures";

describe("Operator scripts: pinned host key and key files that do not outlive the script (issue 15, findings 3 and 11)", function () {
    this.timeout(60000);
    let server: Sshd;
    before(async () => {
        server = await startSshd();
    });
    after(async () => {
        await server?.stop();
    });

    it("connects to the host that shows the stack's hostKey, refuses one that shows another, and refuses to run without a key to check (rung 4)", () => {
        const pinned = sshDocker(
            server.target({ knownHostsFile: undefined, hostKey: hostKeyOf(server.knownHostsFile) }),
        );
        const impostor = sshDocker(
            server.target({ knownHostsFile: undefined, hostKey: hostKeyOf(server.wrongKnownHostsFile) }),
        );
        try {
            expect(backupContainer(pinned, "freshtrack-vm", "vm")).to.deep.equal({ id: CONTAINER_ID });
            const refused = impostor.docker(["ps", "-q"], { captureStderr: true });
            expect(refused.status).to.equal(255);
            expect(refused.sshError).to.equal("Host key verification failed.");
            expect(server.dockerCalls(), "only the pinned connection ran docker").to.have.length(1);
        } finally {
            pinned.cleanup();
            impostor.cleanup();
        }
        // Before, a target without a known_hosts fell back to StrictHostKeyChecking=accept-new and trusted the first
        // answer.
        expect(() => sshDocker(server.target({ knownHostsFile: undefined }))).to.throw(
            /no host key to check 127\.0\.0\.1 against; refusing to trust whichever host answers/,
        );
        expect(() =>
            sshTargetFromOutputs("vm", { publicAddress: "127.0.0.1", deployPrivateKey: server.clientPrivateKey }),
        ).to.throw(
            /^stack 'vm' has no hostKey output, so its host's SSH key cannot be checked; run `pulumi up` for the stack first/,
        );
        expect(
            sshTargetFromOutputs("vm", {
                publicAddress: "127.0.0.1",
                deployPrivateKey: "k",
                hostKey: "ssh-ed25519 AAAA",
            }),
        ).to.deep.equal({ address: "127.0.0.1", privateKey: "k", hostKey: "ssh-ed25519 AAAA" });
    });

    it("writes the key and known_hosts 0600, created exclusively, in a new 0700 directory that cleanup removes (rung 1)", () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-tmpdir-"));
        const saved = process.env.TMPDIR;
        process.env.TMPDIR = tmp;
        try {
            const session = openSsh(
                server.target({ knownHostsFile: undefined, hostKey: hostKeyOf(server.knownHostsFile) }),
            );
            const [dir] = fs.readdirSync(tmp).map((d) => path.join(tmp, d));
            expect(fs.statSync(dir!).mode & 0o777).to.equal(0o700);
            for (const f of ["deploy_key", "known_hosts", "ssh.log"])
                expect(fs.statSync(path.join(dir!, f)).mode & 0o777, f).to.equal(0o600);
            expect(fs.readFileSync(path.join(dir!, "known_hosts"), "utf8")).to.equal(
                `[127.0.0.1]:${server.port} ${hostKeyOf(server.knownHostsFile)}\n`,
            );
            // O_EXCL: a file (or a planted link) already at the name is never written through.
            expect(() => writePrivateFile(dir!, "deploy_key", "other")).to.throw(/EEXIST/);
            session.cleanup();
            expect(fs.readdirSync(tmp)).to.deep.equal([]);
        } finally {
            if (saved === undefined) delete process.env.TMPDIR;
            else process.env.TMPDIR = saved;
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    /**
     * Rung 4: a separate Node process opens the connection the scripts open (sshDocker, through a
     * real docker call over the real sshd), then waits as a script does at its confirmation prompt;
     * the test ends it the ways an operator does. Its TMPDIR is private, so what it left is visible.
     */
    const child = `
const { sshDocker } = require("./scripts/lib/hostDocker");
const host = sshDocker(JSON.parse(process.env.FT_TARGET));
const result = host.docker(["ps", "-q"], { captureStderr: true });
process.stdout.write("ready " + result.status + "\\n");
if (process.env.FT_EXIT === "1") process.exit(0);
setInterval(() => undefined, 1000);
`;
    /** The scripts' directories in a TMPDIR (ts-node keeps a compile cache there too). */
    const ours = (tmp: string) => fs.readdirSync(tmp).filter((d) => d.startsWith("freshtrack-"));
    const runChild = (signal: NodeJS.Signals | undefined) =>
        new Promise<{
            code: number | null;
            signal: NodeJS.Signals | null;
            stdout: string;
            stderr: string;
            left: string[];
        }>((resolve, reject) => {
            const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-signal-"));
            const target = server.target({ knownHostsFile: undefined, hostKey: hostKeyOf(server.knownHostsFile) });
            const proc = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", child], {
                cwd: path.join(__dirname, ".."),
                env: { ...process.env, TMPDIR: tmp, FT_TARGET: JSON.stringify(target), FT_EXIT: signal ? "0" : "1" },
                stdio: ["ignore", "pipe", "pipe"],
            });
            let stdout = "";
            let stderr = "";
            let keyWhileRunning: string[] = [];
            proc.stderr.on("data", (d) => (stderr += d));
            proc.stdout.on("data", (d) => {
                stdout += d;
                if (signal && stdout.includes("ready")) {
                    keyWhileRunning = ours(tmp).flatMap((d2) => fs.readdirSync(path.join(tmp, d2)));
                    proc.kill(signal);
                }
            });
            proc.on("error", reject);
            proc.on("close", (code, sig) => {
                const left = ours(tmp);
                fs.rmSync(tmp, { recursive: true, force: true });
                resolve({
                    code,
                    signal: sig,
                    stdout,
                    stderr: `${stderr}\nwhile running: ${keyWhileRunning.join(",")}`,
                    left,
                });
            });
        });

    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
        it(`removes the deploy key when the script is ended by ${signal}, and still ends by that signal`, async () => {
            const result = await runChild(signal);
            expect(result.stdout, result.stderr).to.equal("ready 0\n");
            expect(result.stderr, "the key existed while the script ran").to.contain("deploy_key");
            expect(result.left, "what the script left in its temporary directory").to.deep.equal([]);
            expect(result.signal, result.stderr).to.equal(signal);
        });
    }

    it("removes the deploy key when the script exits without calling cleanup", async () => {
        const result = await runChild(undefined);
        expect(result.stdout, result.stderr).to.equal("ready 0\n");
        expect(result.code).to.equal(0);
        expect(result.left).to.deep.equal([]);
    });
});
