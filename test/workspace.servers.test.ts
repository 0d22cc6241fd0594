/**
 * One operator workspace over the Automation API (issue 16, item 2): scripts/lib/workspace.ts.
 *
 * - Every script reaches a deployed stack through that one module: no other file imports @pulumi/pulumi/automation,
 *   and none starts the `pulumi` CLI itself (rung 3, the source tree read with the TypeScript parser).
 * - `up` and `preview` always carry the policy pack and the pack config of the stack's environment, whatever a
 *   caller passes; rollback's update included (rung 4: the module and the real rollback script against a stand-in
 *   `pulumi` on PATH that records what the Automation API asks it, and a stand-in `docker`).
 * - The pack config follows `freshtrack:environment`, not the stack's name.
 * - Outputs are read without selecting the stack, secrets masked unless they may be shown; a failure is one line.
 */
import { withoutStandInArtefact } from "./helpers";
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readStackOutputs, selectStack, StackReadError, StackUpOptions } from "../scripts/lib/workspace";
import { ROOT } from "./sourceTree";

const POLICY_DIR = path.join(ROOT, "policy");
const packConfig = (environment: string) => path.join(POLICY_DIR, "config", `${environment}.json`);

/**
 * A stand-in `pulumi` that answers what the Automation API asks (automation/localWorkspace.js and stack.js) and logs
 * each command line as JSON to `<dir>/calls`. FAKE_PULUMI_FAIL makes every command but `version` fail as the CLI
 * does, with its message on stderr and status 255.
 */
function standInPulumi(dir: string): void {
    const history = [
        {
            version: 2,
            kind: "update",
            result: "succeeded",
            startTime: "2026-11-20T10:00:00.000Z",
            endTime: "2026-11-20T10:05:00.000Z",
            message: "",
            environment: {},
            config: { "freshtrack:appVersion": { value: "1.4.2", secret: false } },
        },
        {
            version: 1,
            kind: "update",
            result: "succeeded",
            startTime: "2026-11-19T10:00:00.000Z",
            endTime: "2026-11-19T10:05:00.000Z",
            message: "",
            environment: {},
            config: { "freshtrack:appVersion": { value: "1.4.1", secret: false } },
        },
    ];
    fs.writeFileSync(
        path.join(dir, "pulumi"),
        [
            "#!/usr/bin/env node",
            'const fs = require("fs");',
            "const args = process.argv.slice(2);",
            `fs.appendFileSync(${JSON.stringify(path.join(dir, "calls"))}, JSON.stringify(args) + "\\n");`,
            "const is = (...words) => words.every((w, i) => args[i] === w);",
            "const out = (text) => { process.stdout.write(text); process.exit(0); };",
            'if (is("version")) out((process.env.FAKE_PULUMI_VERSION || "v3.270.0") + "\\n");',
            "if (process.env.FAKE_PULUMI_FAIL) {",
            '    process.stderr.write(process.env.FAKE_PULUMI_FAIL + "\\n");',
            "    process.exit(255);",
            "}",
            'if (is("stack", "select")) out("");',
            'if (is("stack", "output")) {',
            '    const shown = args.includes("--show-secrets");',
            '    out(JSON.stringify({ publicAddress: "203.0.113.10", adminPassword: shown ? "hunter2" : "[secret]" }));',
            "}",
            `if (is("stack", "history")) out(${JSON.stringify(JSON.stringify(history))});`,
            'if (is("config", "set")) out("");',
            'if (is("config")) out("{}");',
            'if (is("preview") && process.env.FAKE_PREVIEW_FAIL) {',
            '    process.stderr.write(process.env.FAKE_PREVIEW_FAIL + "\\n");',
            "    process.exit(255);",
            "}",
            'if (is("up") || is("preview")) out("done\\n");',
            'process.stderr.write("stand-in pulumi: unexpected " + args.join(" ") + "\\n");',
            "process.exit(1);",
            "",
        ].join("\n"),
        { mode: 0o755 },
    );
}

function callsIn(dir: string): string[][] {
    const file = path.join(dir, "calls");
    if (!fs.existsSync(file)) return [];
    return fs
        .readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as string[]);
}

/** The values of every `--<flag> <value>` pair in one command line. */
function flagValues(call: readonly string[], flag: string): string[] {
    return call.flatMap((arg, i) => (arg === `--${flag}` ? [call[i + 1]!] : []));
}

describe("scripts/lib/workspace.ts against a stand-in pulumi CLI (rung 4)", function () {
    this.timeout(60_000);
    let dir: string;
    let savedPath: string | undefined;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-workspace-"));
        standInPulumi(dir);
        savedPath = process.env.PATH;
        process.env.PATH = `${dir}${path.delimiter}${path.dirname(process.execPath)}`;
    });
    afterEach(() => {
        process.env.PATH = savedPath;
        delete process.env.FAKE_PULUMI_FAIL;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("up and preview carry the policy pack and the pack config of the stack's environment, whatever the caller passes", async () => {
        const stack = await selectStack("dev");
        // A caller that tries to drop the pack, run another program or read another config file, through a cast.
        const sneaky = {
            policyPacks: [],
            policyPackConfigs: ["/tmp/lenient.json"],
            program: () => ({}),
            configFile: "/tmp/other.yaml",
            message: "kept",
        } as StackUpOptions;
        await stack.up(sneaky);
        await stack.preview(sneaky);
        const runs = callsIn(dir).filter((c) => c[0] === "up" || c[0] === "preview");
        // up previews first, with the same pack (the CLI's pulumi up does too; scripts/lib/workspace.ts says why).
        expect(runs.map((c) => c[0])).to.deep.equal(["preview", "up", "preview"]);
        for (const run of runs) {
            expect(flagValues(run, "policy-pack"), run[0]).to.deep.equal([POLICY_DIR]);
            expect(flagValues(run, "policy-pack-config"), run[0]).to.deep.equal([packConfig("development")]);
            expect(flagValues(run, "stack"), run[0]).to.deep.equal(["dev"]);
            expect(flagValues(run, "config-file"), run[0]).to.deep.equal([]);
            expect(
                run.some((a) => a.startsWith("--client")),
                `${run[0]} runs the project's program`,
            ).to.equal(false);
            expect(flagValues(run, "message"), run[0]).to.deep.equal(["kept"]);
        }
    });

    it("the pack config follows freshtrack:environment, not the stack's name", async () => {
        // A stack named like a development one whose config says production; a file of its own, removed afterwards.
        const name = `wsdev${process.pid}`;
        const file = path.join(ROOT, `Pulumi.${name}.yaml`);
        const dev = fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
        expect(dev).to.match(/^ {2}freshtrack:environment: development$/m);
        fs.writeFileSync(file, dev.replace(/^( {2}freshtrack:environment:) development$/m, "$1 production"));
        try {
            await (await selectStack(name)).up();
        } finally {
            fs.rmSync(file, { force: true });
        }
        const up = callsIn(dir).find((c) => c[0] === "up")!;
        expect(flagValues(up, "policy-pack-config")).to.deep.equal([packConfig("production")]);
        const staging = await selectStack("staging");
        await staging.preview();
        const previews = callsIn(dir).filter((c) => c[0] === "preview");
        // The first preview is the one up ran before its update, on the production-configured stack.
        expect(flagValues(previews[0]!, "policy-pack-config")).to.deep.equal([packConfig("production")]);
        expect(flagValues(previews[previews.length - 1]!, "policy-pack-config")).to.deep.equal([packConfig("staging")]);
    });

    it("reads outputs without selecting the stack, secrets masked unless they may be shown", async () => {
        expect(await readStackOutputs("prod", { showSecrets: false })).to.deep.equal({
            publicAddress: "203.0.113.10",
            adminPassword: "[secret]",
        });
        expect((await readStackOutputs("prod", { showSecrets: true })).adminPassword).to.equal("hunter2");
        const calls = callsIn(dir);
        expect(calls.filter((c) => c[0] === "stack" && c[1] === "select")).to.deep.equal([]);
        expect(calls.filter((c) => c[0] === "stack").every((c) => flagValues(c, "stack")[0] === "prod")).to.equal(true);
    });

    it("up stops before the update when its preview fails (a mandatory stack-wide violation), passing --replace on", async () => {
        const stack = await selectStack("prod");
        process.env.FAKE_PREVIEW_FAIL = "error: preview failed: 1 mandatory policy violation (stack-memory-budget)";
        const failure = await stack
            .up({ replace: ["urn:pulumi:prod::freshtrack::docker:index/container:Container::backend"] })
            .catch((err: unknown) => err);
        delete process.env.FAKE_PREVIEW_FAIL;
        expect(String((failure as Error).message)).to.contain("mandatory policy violation");
        const runs = callsIn(dir).filter((c) => c[0] === "up" || c[0] === "preview");
        expect(runs.map((c) => c[0])).to.deep.equal(["preview"]);
        expect(flagValues(runs[0]!, "replace")).to.deep.equal([
            "urn:pulumi:prod::freshtrack::docker:index/container:Container::backend",
        ]);
    });

    it("a CLI older than 3.186 (object-typed config keys) is refused with the version it found, before any command", async () => {
        process.env.FAKE_PULUMI_VERSION = "v3.185.2";
        const failure = await selectStack("prod").catch((err: unknown) => err);
        delete process.env.FAKE_PULUMI_VERSION;
        expect((failure as Error).message).to.equal(
            "Minimum version requirement failed. The minimum CLI version requirement is 3.186.0, your current CLI version is v3.185.2. Please update the Pulumi CLI.",
        );
        expect(callsIn(dir).map((c) => c.join(" "))).to.deep.equal(["version"]);
    });

    it("a stack the CLI cannot read is one line with the CLI's own reason; a missing CLI says where to get it", async () => {
        process.env.FAKE_PULUMI_FAIL = "error: no stack named 'prod' found";
        const failure = await selectStack("prod").then(
            () => undefined,
            (err: unknown) => err,
        );
        expect(failure).to.be.instanceOf(StackReadError);
        expect((failure as Error).message).to.equal(
            "cannot read stack 'prod' through the Pulumi CLI (logged in to the stack's backend? PULUMI_CONFIG_PASSPHRASE set?): error: no stack named 'prod' found",
        );
        delete process.env.FAKE_PULUMI_VERSION;
        process.env.PATH = path.dirname(process.execPath);
        const missing = await readStackOutputs("prod", { showSecrets: false }).catch((err: unknown) => err);
        expect((missing as Error).message).to.equal(
            "the pulumi command was not found on PATH; install the Pulumi CLI 3.186.0 or newer (https://www.pulumi.com/docs/iac/download-install/)",
        );
    });
});

describe("npm run rollback runs its update with the policy pack, as deploy does (rung 4: the real script)", function () {
    this.timeout(120_000);

    it("passes the pack and the pack config of the stack's environment to `pulumi up`, after setting the version", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-rollback-"));
        try {
            standInPulumi(dir);
            // A backup container that backs up, exports and takes the manifest, as freshtrack-backup and sh would.
            fs.writeFileSync(
                path.join(dir, "docker"),
                [
                    "#!/bin/sh",
                    'case "$*" in',
                    "  ps*) echo c0ffee ;;",
                    "  *freshtrack-backup*) echo 'backup written: /backups/postgres/freshtrack-pre-rollback-1.dump' ;;",
                    "  *) cat > /dev/null ;;",
                    "esac",
                    "",
                ].join("\n"),
                { mode: 0o755 },
            );
            const result = spawnSync(
                process.execPath,
                [
                    path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js"),
                    "--transpile-only",
                    "scripts/rollback.ts",
                    "dev",
                    "--yes",
                ],
                {
                    cwd: ROOT,
                    encoding: "utf8",
                    env: { ...process.env, PATH: `${dir}${path.delimiter}${path.dirname(process.execPath)}` },
                    timeout: 100_000,
                },
            );
            expect(withoutStandInArtefact(result.stderr)).to.equal("");
            expect(result.status).to.equal(0);
            expect(result.stdout).to.contain("rollback: dev runs 1.4.1.");
            const calls = callsIn(dir);
            const setAt = calls.findIndex((c) => c[0] === "config" && c[1] === "set");
            const upAt = calls.findIndex((c) => c[0] === "up");
            expect(setAt, "the version is set before the update").to.be.greaterThan(-1).and.lessThan(upAt);
            expect(calls[setAt]).to.include("freshtrack:appVersion").and.include("1.4.1");
            expect(flagValues(calls[upAt]!, "policy-pack")).to.deep.equal([POLICY_DIR]);
            expect(flagValues(calls[upAt]!, "policy-pack-config")).to.deep.equal([packConfig("development")]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
