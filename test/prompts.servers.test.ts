/**
 * Issue 15, finding 13: prompts and exits of the operator scripts, run as the operator runs them (the real
 * scripts under ts-node), with a stand-in `docker` and `pulumi` on PATH and, for the unreachable host, the real
 * OpenSSH client against a closed port on 127.0.0.1 (rung 4: real programs on 127.0.0.1).
 *
 * - End of input at the confirmation means "no": exit 1, nothing changed (before: the script exited 0).
 * - A host ssh cannot reach: exit 2, with ssh's own message.
 */
import { expect } from "chai";
import { execFileSync, SpawnSyncOptions } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { freePort } from "./localServers";
import { callLines, runScript, writeStandInDocker, writeStandInPulumi } from "./standIns";

const ROOT = path.resolve(__dirname, "..");
const CONTAINER = "c0ffee0ddba11";
const DUMP = "/backups/postgres/freshtrack-scheduled-20261123T031500Z.dump";

/**
 * Stand-ins that log every call (test/standIns.ts): docker (the backup container and one dump) and pulumi (two updates,
 * 1.4.2 after 1.4.1, and the outputs).
 */
function standIns(outputs: Record<string, unknown> = {}): {
    bin: string;
    calls: (tool: "docker" | "pulumi") => string[];
} {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-prompts-"));
    writeStandInDocker(bin, { container: CONTAINER, dumps: [DUMP] });
    writeStandInPulumi(bin, { appVersions: ["1.4.2", "1.4.1"], outputs });
    return { bin, calls: (tool) => callLines(bin, tool) };
}

/** This machine's PATH follows the stand-ins: the unreachable host needs the real OpenSSH client. */
function script(name: "restore" | "rollback", args: string[], bin: string, stdin: SpawnSyncOptions["stdio"] | string) {
    return runScript(bin, `scripts/${name}.ts`, args, { stdin, machinePath: true });
}

describe("operator scripts: end of input at a confirmation is a no (issue 15, finding 13; rung 4)", function () {
    this.timeout(120_000);
    let tools: ReturnType<typeof standIns>;
    beforeEach(() => {
        tools = standIns();
    });
    afterEach(() => fs.rmSync(tools.bin, { recursive: true, force: true }));

    it("restore with stdin at end of input (an empty pipe, /dev/null) exits 1 and restores nothing", () => {
        for (const stdin of ["", ["ignore", "pipe", "pipe"] as SpawnSyncOptions["stdio"]]) {
            const result = script("restore", ["dev"], tools.bin, stdin);
            expect(result.stdout, result.stderr).to.contain("Type the stack name (dev) to go ahead: ");
            expect(result.stderr).to.equal("restore: not confirmed; nothing was changed\n");
            expect(result.status).to.equal(1);
        }
        expect(tools.calls("docker").filter((c) => c.includes("freshtrack-restore"))).to.deep.equal([]);
    });

    it("restore goes ahead when the stack name is typed, so the stand-ins above would have seen a restore", () => {
        const result = script("restore", ["dev"], tools.bin, "dev\n");
        expect(result.status, result.stderr).to.equal(0);
        expect(tools.calls("docker").filter((c) => c.includes("freshtrack-restore"))).to.deep.equal([
            `exec -i ${CONTAINER} freshtrack-restore ${DUMP}`,
        ]);
    });

    it("rollback with stdin at end of input exits 1 and changes neither the config nor the host", () => {
        const result = script("rollback", ["dev"], tools.bin, "");
        expect(result.stdout, result.stderr).to.contain("Rollback of stack 'dev': 1.4.2 → 1.4.1");
        expect(result.stderr).to.equal("rollback: not confirmed; nothing was changed\n");
        expect(result.status).to.equal(1);
        expect(tools.calls("pulumi").filter((c) => /^(config set|up)\b/.test(c))).to.deep.equal([]);
        expect(tools.calls("docker")).to.deep.equal([]);
    });
});

describe("operator scripts: a host ssh cannot reach exits 2 with ssh's own error (issue 15, finding 13; rung 4)", function () {
    this.timeout(120_000);
    const stack = `unreach${process.pid}`;
    const stackFile = path.join(ROOT, `Pulumi.${stack}.yaml`);
    let tools: ReturnType<typeof standIns>;
    let closed: number;

    before(async () => {
        closed = await freePort();
        const keys = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-prompts-keys-"));
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(keys, "id")]);
        const privateKey = fs.readFileSync(path.join(keys, "id"), "utf8");
        const hostKey = fs.readFileSync(path.join(keys, "id.pub"), "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
        fs.rmSync(keys, { recursive: true, force: true });
        tools = standIns({ publicAddress: "127.0.0.1", deployPrivateKey: privateKey, hostKey });
        // An ssh target on a closed port of this machine. A stack file of its own, removed afterwards (as
        // test/cli.test.ts does).
        fs.writeFileSync(
            stackFile,
            [
                "config:",
                "  freshtrack:target: ssh",
                "  freshtrack:domain: freshtrack.example.com",
                "  freshtrack:adminEmail: ops@example.com",
                "  freshtrack:tlsMode: acme",
                '  freshtrack:appVersion: "1.4.2"',
                "  freshtrack:adminCidrs: [198.51.100.0/24]",
                `  freshtrack:ssh: { host: 127.0.0.1, port: ${closed}, hostKey: "${hostKey}" }`,
                "  freshtrack:sshPrivateKey: { secure: v1:AAAA }",
                "",
            ].join("\n"),
        );
    });
    after(() => {
        fs.rmSync(stackFile, { force: true });
        if (tools) fs.rmSync(tools.bin, { recursive: true, force: true });
    });

    const refused = () => `ssh: connect to host 127.0.0.1 port ${closed}: Connection refused`;

    it("restore exits 2 and prints ssh's message", () => {
        const result = script("restore", [stack, "--yes"], tools.bin, "");
        expect(result.stderr).to.contain(refused());
        expect(result.stderr.split("\n")[0]).to.match(
            /^restore: cannot reach Docker on deploy@127\.0\.0\.1:\d+: ssh: connect to host/,
        );
        expect(result.status, result.stderr).to.equal(2);
    });

    it("rollback exits 2 and prints ssh's message, having changed nothing", () => {
        const result = script("rollback", [stack, "--yes"], tools.bin, "");
        expect(result.stderr).to.contain(refused());
        expect(result.stderr).to.contain("nothing was rolled back");
        expect(result.status, result.stderr).to.equal(2);
        expect(tools.calls("pulumi").filter((c) => /^(config set|up)\b/.test(c))).to.deep.equal([]);
    });
});
