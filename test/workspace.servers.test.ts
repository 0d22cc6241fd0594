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
 * - A failed update is not a refused one (issue 17, attack pass 2): the module rejects it with the CLI's error, and
 *   npm run deploy announces it, once, as failed, to the stack's webhook (a receiver on 127.0.0.1 this test starts:
 *   rung 4, a real server); a refusal is announced to no one. Rollback puts the stack's version back from what the
 *   stack ran, not from a config it has just changed (the stand-in keeps the config between commands).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import {
    PreviewRefused,
    readStackOutputs,
    selectStack,
    StackReadError,
    StackUpOptions,
} from "../scripts/lib/workspace";
import { withoutStandInArtefact } from "./helpers";
import { ROOT } from "./sourceTree";
import {
    pulumiCalls,
    runScript,
    runScriptAsync,
    STAND_IN_SWITCHES,
    standInConfig,
    StandInConfigValue,
    StandInPulumi,
    standInPath,
    writeStandInDocker,
    writeStandInPulumi,
} from "./standIns";

const POLICY_DIR = path.join(ROOT, "policy");
const packConfig = (environment: string) => path.join(POLICY_DIR, "config", `${environment}.json`);

/**
 * What the stand-in pulumi (test/standIns.ts) answers here: two updates (1.4.2 runs, 1.4.1 ran before it), a public
 * address and a secret admin password among the outputs.
 */
const WORKSPACE_STACK: StandInPulumi = {
    appVersions: ["1.4.2", "1.4.1"],
    outputs: { publicAddress: "203.0.113.10" },
    secretOutputs: { adminPassword: "hunter2" },
};

/**
 * A stack whose config names one announcement destination, a webhook: alerts.webhook true and the URL as the secret
 * freshtrack:alertWebhookUrl (components/config/operations.ts:41-43), which scripts/lib/destinations.ts reads from
 * `pulumi config --show-secrets --json`. The object key is listed as the CLI lists one, its JSON as the value.
 */
function webhookConfig(url: string): Record<string, StandInConfigValue> {
    const alerts = { webhook: true };
    return {
        "freshtrack:alerts": { value: JSON.stringify(alerts), objectValue: alerts, secret: false },
        "freshtrack:alertWebhookUrl": { value: url, secret: true },
    };
}

/** A webhook receiver on 127.0.0.1 that answers 200 and keeps each request's body as it came. */
async function webhookReceiver(): Promise<{ url: string; bodies: string[]; close: () => Promise<void> }> {
    const bodies: string[] = [];
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            bodies.push(Buffer.concat(chunks).toString());
            res.end("ok");
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`,
        bodies,
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
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
        writeStandInPulumi(dir, WORKSPACE_STACK);
        savedPath = process.env.PATH;
        process.env.PATH = standInPath(dir);
    });
    afterEach(() => {
        process.env.PATH = savedPath;
        // Every switch of the stand-in, so a test that times out before clearing its own leaves none to the next.
        for (const name of STAND_IN_SWITCHES) delete process.env[name];
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
        const runs = pulumiCalls(dir).filter((c) => c[0] === "up" || c[0] === "preview");
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
        const up = pulumiCalls(dir).find((c) => c[0] === "up")!;
        expect(flagValues(up, "policy-pack-config")).to.deep.equal([packConfig("production")]);
        const staging = await selectStack("staging");
        await staging.preview();
        const previews = pulumiCalls(dir).filter((c) => c[0] === "preview");
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
        const calls = pulumiCalls(dir);
        expect(calls.filter((c) => c[0] === "stack" && c[1] === "select")).to.deep.equal([]);
        expect(calls.filter((c) => c[0] === "stack").every((c) => flagValues(c, "stack")[0] === "prod")).to.equal(true);
    });

    it("up stops before the update when its preview fails (a mandatory stack-wide violation), passing --replace on", async () => {
        const stack = await selectStack("prod");
        process.env.FAKE_PREVIEW_FAIL = "error: preview failed: 1 mandatory policy violation (stack-memory-budget)";
        const failure = await stack
            .up({ replace: ["urn:pulumi:prod::freshtrack::docker:index/container:Container::backend"] })
            .catch((err: unknown) => err);
        // A refusal of its own kind: the scripts tell it from a failed update (nothing changed, nothing to page about).
        expect(failure).to.be.instanceOf(PreviewRefused);
        expect(String((failure as Error).message)).to.contain("mandatory policy violation");
        const runs = pulumiCalls(dir).filter((c) => c[0] === "up" || c[0] === "preview");
        expect(runs.map((c) => c[0])).to.deep.equal(["preview"]);
        expect(flagValues(runs[0]!, "replace")).to.deep.equal([
            "urn:pulumi:prod::freshtrack::docker:index/container:Container::backend",
        ]);
    });

    // Attack #28: with the update inside the try that wraps the preview, a failed update became a PreviewRefused, and
    // deploy said "nothing was changed" after an update that may have changed half the stack.
    it("a failed update (its preview passed) rejects with the CLI's error, not a PreviewRefused", async () => {
        const stack = await selectStack("dev");
        process.env.FAKE_UP_FAIL = "error: update failed: the backend container did not become healthy";
        const failure = await stack.up().then(
            () => undefined,
            (err: unknown) => err,
        );
        expect(failure).to.be.instanceOf(Error).and.not.to.be.instanceOf(PreviewRefused);
        expect((failure as Error).name).to.equal("CommandError");
        expect((failure as Error).message).to.contain(process.env.FAKE_UP_FAIL);
        const runs = pulumiCalls(dir).filter((c) => c[0] === "up" || c[0] === "preview");
        expect(runs.map((c) => c[0])).to.deep.equal(["preview", "up"]);
    });

    it("a CLI older than 3.186 (object-typed config keys) is refused with the version it found, before any command", async () => {
        process.env.FAKE_PULUMI_VERSION = "v3.185.2";
        const failure = await selectStack("prod").catch((err: unknown) => err);
        expect((failure as Error).message).to.equal(
            "Minimum version requirement failed. The minimum CLI version requirement is 3.186.0, your current CLI version is v3.185.2. Please update the Pulumi CLI.",
        );
        expect(pulumiCalls(dir).map((c) => c.join(" "))).to.deep.equal(["version"]);
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
        process.env.PATH = path.dirname(process.execPath);
        const missing = await readStackOutputs("prod", { showSecrets: false }).catch((err: unknown) => err);
        expect((missing as Error).message).to.equal(
            "the pulumi command was not found on PATH; install the Pulumi CLI 3.186.0 or newer (https://www.pulumi.com/docs/iac/download-install/)",
        );
    });
});

describe("npm run rollback runs its update with the policy pack, as deploy does (rung 4: the real script)", function () {
    this.timeout(120_000);
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-rollback-"));
        writeStandInPulumi(dir, WORKSPACE_STACK);
        writeStandInDocker(dir);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("passes the pack and the pack config of the stack's environment to `pulumi up`, after setting the version", () => {
        const result = runScript(dir, "scripts/rollback.ts", ["dev", "--yes"]);
        expect(withoutStandInArtefact(result.stderr)).to.equal("");
        expect(result.status).to.equal(0);
        expect(result.stdout).to.contain("rollback: dev runs 1.4.1.");
        const calls = pulumiCalls(dir);
        const setAt = calls.findIndex((c) => c[0] === "config" && c[1] === "set");
        const upAt = calls.findIndex((c) => c[0] === "up");
        expect(setAt, "the version is set before the update").to.be.greaterThan(-1).and.lessThan(upAt);
        expect(calls[setAt]).to.include("freshtrack:appVersion").and.include("1.4.1");
        expect(flagValues(calls[upAt]!, "policy-pack")).to.deep.equal([POLICY_DIR]);
        expect(flagValues(calls[upAt]!, "policy-pack-config")).to.deep.equal([packConfig("development")]);
        // The stand-in keeps the config between commands: the stack is left at the version it was rolled back to.
        expect(standInConfig(dir)["freshtrack:appVersion"]).to.deep.equal({ value: "1.4.1", secret: false });
    });

    // Issue 17 review: a refused preview changed nothing, so the stack file must not keep naming the version that
    // was refused (the next npm run deploy would ship it), and the message says nothing was rolled back. Attack #12:
    // the version put back must be the one read before the refused one was set; a config read afterwards names the
    // refused version (the stand-in's config is kept between commands, as the stack file is).
    it("puts the stack file's version back when the update's preview refuses it, and says nothing was rolled back", () => {
        const refusal = "error: preview failed: 1 mandatory policy violation (stack-memory-budget)";
        const result = runScript(dir, "scripts/rollback.ts", ["dev", "--yes"], { env: { FAKE_PREVIEW_FAIL: refusal } });
        expect(result.status).to.equal(1);
        expect(withoutStandInArtefact(result.stderr).trim()).to.equal(
            `rollback: the update's preview refused it (${refusal}); Pulumi.dev.yaml says 1.4.2 again, and the ` +
                "backup and export are kept; nothing was rolled back",
        );
        const calls = pulumiCalls(dir);
        const versions = calls.filter((c) => c[0] === "config" && c[1] === "set").map((c) => c[c.length - 1]);
        expect(
            calls.filter((c) => c[0] === "config" && c[1] === "set").every((c) => c.includes("freshtrack:appVersion")),
        ).to.equal(true);
        expect(versions).to.deep.equal(["1.4.1", "1.4.2"]);
        expect(calls.some((c) => c[0] === "up")).to.equal(false);
        expect(standInConfig(dir)["freshtrack:appVersion"]).to.deep.equal({ value: "1.4.2", secret: false });
    });
});

/**
 * npm run deploy against a stand-in pulumi whose stack announces to a webhook, and that webhook's receiver, a real
 * HTTP server on 127.0.0.1 started here (rung 4). The script runs without blocking this process, so the receiver
 * answers while it runs; when it has exited, every POST it made has been received.
 */
describe("npm run deploy announces a failed update, never a refused one (rung 4: the real script, a real receiver)", function () {
    this.timeout(120_000);
    let dir: string;
    let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
    beforeEach(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-deploy-"));
        receiver = await webhookReceiver();
        writeStandInPulumi(dir, { ...WORKSPACE_STACK, config: webhookConfig(receiver.url) });
    });
    afterEach(async () => {
        await receiver.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    // Attacks #26 (the announcement deleted) and #28 (a failed update taken for a refusal, announced to no one).
    it("a failed update: exits 1, says the update failed, and POSTs one 'failed' announcement to the webhook", async () => {
        const failure = "error: update failed: the backend container did not become healthy";
        const result = await runScriptAsync(dir, "scripts/deploy.ts", ["dev", "--no-auto-replace"], {
            env: { FAKE_UP_FAIL: failure },
        });
        expect(result.status, result.stderr).to.equal(1);
        expect(withoutStandInArtefact(result.stderr).trim().split("\n")).to.deep.equal([
            "deploy: failure announcement to webhook: sent",
            "deploy: the update of 'dev' failed; see the output above and docs/troubleshooting.md",
        ]);
        expect(receiver.bodies).to.have.length(1);
        const announced = JSON.parse(receiver.bodies[0]!) as Record<string, unknown>;
        expect(announced).to.deep.include({
            kind: "update",
            result: "failed",
            stack: "dev",
            version: "1.4.2",
            previousVersion: "1.4.2",
        });
        expect(announced.detail, "the CLI's own error line, without the Automation API's wrapping").to.equal(failure);
        expect(
            pulumiCalls(dir)
                .filter((c) => c[0] === "up" || c[0] === "preview")
                .map((c) => c[0]),
        ).to.deep.equal(["preview", "up"]);
    });

    // Attack #13: a refusal announced as "failed". The stack names a destination, so an announcement would be seen.
    it("a refused preview: says nothing was changed, exits 1, runs no update and POSTs nothing", async () => {
        const refusal = "error: preview failed: 1 mandatory policy violation (stack-memory-budget)";
        const result = await runScriptAsync(dir, "scripts/deploy.ts", ["dev", "--no-auto-replace"], {
            env: { FAKE_PREVIEW_FAIL: refusal },
        });
        expect(result.status).to.equal(1);
        expect(withoutStandInArtefact(result.stderr).trim()).to.equal(
            `deploy: the preview of 'dev' refused the update, so nothing was changed: ${refusal}; see the output ` +
                "above and docs/troubleshooting.md",
        );
        expect(pulumiCalls(dir).some((c) => c[0] === "up")).to.equal(false);
        expect(receiver.bodies).to.deep.equal([]);
    });
});
