/**
 * Issue 15, finding 13: prompts and exits of the operator scripts, run as the operator runs them (the real
 * scripts under ts-node), with a stand-in `docker` and `pulumi` on PATH and, for the unreachable host, the real
 * OpenSSH client against a closed port on 127.0.0.1 (rung 4: real programs on 127.0.0.1).
 *
 * - End of input at the confirmation means "no": exit 1, nothing changed (before: the script exited 0).
 * - A host ssh cannot reach: exit 2, with ssh's own message.
 */
import { expect } from "chai";
import { execFileSync, spawnSync, SpawnSyncOptions } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { freePort } from "./localServers";

const ROOT = path.resolve(__dirname, "..");
const TS_NODE = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
const CONTAINER = "c0ffee0ddba11";
const DUMP = "/backups/postgres/freshtrack-scheduled-20261123T031500Z.dump";

/**
 * Stand-ins that log every call: docker (the backup container and one dump) and pulumi (two updates, and the outputs).
 */
function standIns(outputs: Record<string, unknown> = {}): {
    bin: string;
    calls: (tool: "docker" | "pulumi") => string[];
} {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-prompts-"));
    fs.writeFileSync(
        path.join(bin, "docker"),
        [
            "#!/bin/sh",
            `printf '%s\\n' "$*" >> '${bin}/docker.calls'`,
            'case "$1" in',
            `  ps) echo ${CONTAINER} ;;`,
            `  exec) case "$*" in *freshtrack-restore*) echo restored ;; *) echo ${DUMP} ;; esac ;;`,
            "esac",
            "",
        ].join("\n"),
        { mode: 0o755 },
    );
    const history = [
        {
            kind: "update",
            result: "succeeded",
            startTime: "2026-11-20T10:00:00.000Z",
            version: 2,
            config: { "freshtrack:appVersion": { value: "1.4.2", secret: false } },
        },
        {
            kind: "update",
            result: "succeeded",
            startTime: "2026-11-19T10:00:00.000Z",
            version: 1,
            config: { "freshtrack:appVersion": { value: "1.4.1", secret: false } },
        },
    ];
    fs.writeFileSync(path.join(bin, "history.json"), JSON.stringify(history));
    fs.writeFileSync(path.join(bin, "outputs.json"), JSON.stringify(outputs));
    // What the Automation API (scripts/lib/workspace.ts) asks the Pulumi CLI: its version, stack select, history,
    // config, outputs.
    fs.writeFileSync(
        path.join(bin, "pulumi"),
        [
            "#!/bin/sh",
            `printf '%s\\n' "$*" >> '${bin}/pulumi.calls'`,
            'case "$*" in',
            "  version*) echo v3.270.0 ;;",
            `  *"stack history"*) cat '${bin}/history.json' ;;`,
            `  *"stack output"*) cat '${bin}/outputs.json' ;;`,
            `  config*--json*) echo '{}' ;;`,
            "esac",
            "",
        ].join("\n"),
        { mode: 0o755 },
    );
    const calls = (tool: "docker" | "pulumi") => {
        const file = path.join(bin, `${tool}.calls`);
        return fs.existsSync(file)
            ? fs
                  .readFileSync(file, "utf8")
                  .split("\n")
                  .filter((l) => l !== "")
            : [];
    };
    return { bin, calls };
}

function script(name: "restore" | "rollback", args: string[], bin: string, stdin: SpawnSyncOptions["stdio"] | string) {
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, HOME: bin };
    const io = typeof stdin === "string" ? { input: stdin } : { stdio: stdin };
    return spawnSync(process.execPath, [TS_NODE, "--transpile-only", `scripts/${name}.ts`, ...args], {
        cwd: ROOT,
        encoding: "utf8",
        env,
        timeout: 60_000,
        ...io,
    });
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
