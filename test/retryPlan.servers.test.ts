/**
 * What `npm run deploy` replaces before `pulumi up` after a failed update (issue 14, defects 6 and 10, and
 * "What to build" item 4), read from the stack's exported state.
 *
 * The fixtures in test/fixtures/stackExport.*.json are built by hand in the shape `pulumi stack export` writes
 * (UntypedDeployment and ResourceV3: pulumi/pulumi v3.259.0 sdk/go/common/apitype/core.go:381-394, 489-564),
 * with the URNs the engine gives this program's prod stack and the states the engine leaves (engineModel.ts):
 * - failedHealthWait: a 1.4.2 -> 1.5.0 update whose new backend failed its health wait. The jobs of that update
 *   succeeded; the new backend is live with `initErrors` (the text the bridge writes: "creating <urn>: " and a
 *   go-multierror list); the old backend and the jobs' old copies are marked `delete`. Secrets are encrypted,
 *   as a plain `pulumi stack export` writes them.
 * - failedJob: the same update where migrate exited 1: the new migrate is live with exitCode 1, backend was
 *   never replaced. Secrets are plaintext envelopes, as `pulumi stack export --show-secrets` (the Automation
 *   API's exportStack, which deploy.ts uses) writes them.
 * - new: a stack that was never deployed: no resources at all.
 * They are not recordings of a real CLI: none is reachable here.
 *
 * Rungs: the plan itself is rung 2 (it rests on the engine model's cited rules, and the model is run over the
 * same fixtures); deploy.ts is run for real against a stand-in `pulumi` on PATH that answers with a fixture
 * and records the command lines the Automation API sends it (rung 4: a real script, a stand-in server).
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { withoutStandInArtefact } from "./helpers";
import { FIXTURES, BACKEND, MIGRATE, JOB_WHY } from "./retryPlanFixtures";

const ROOT = path.join(__dirname, "..");

describe("npm run deploy passes the plan to `pulumi up` (rung 4: the real script, a stand-in pulumi CLI)", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
        // Answers what the Automation API asks (LocalWorkspace and Stack in @pulumi/pulumi/automation) and records
        // every command line; the export comes from a fixture, `up` succeeds.
        fs.writeFileSync(
            path.join(dir, "pulumi"),
            [
                "#!/usr/bin/env node",
                'const fs = require("fs");',
                "const args = process.argv.slice(2);",
                'fs.appendFileSync(process.env.FAKE_PULUMI_LOG, JSON.stringify(args) + "\\n");',
                "const is = (...words) => words.every((w, i) => args[i] === w);",
                'if (is("version")) { process.stdout.write("v3.270.0\\n"); process.exit(0); }',
                'if (is("stack", "select")) process.exit(0);',
                'if (is("stack", "export")) { process.stdout.write(fs.readFileSync(process.env.FAKE_PULUMI_EXPORT, "utf8")); process.exit(0); }',
                'const update = { version: 1, kind: "update", startTime: "2026-09-14T08:00:00Z", endTime: "2026-09-14T08:05:00Z", ' +
                    'message: "", environment: {}, config: {}, result: "succeeded", resourceChanges: {} };',
                'if (is("stack", "history")) { process.stdout.write(JSON.stringify([update])); process.exit(0); }',
                'if (is("stack", "output")) { process.stdout.write("{}"); process.exit(0); }',
                'if (is("preview")) { process.stdout.write("Previewing update (prod)\\n"); process.exit(0); }',
                'if (is("up")) { process.stdout.write("Updating (prod)\\n"); process.exit(0); }',
                'process.stderr.write("fake pulumi: unexpected " + args.join(" ") + "\\n"); process.exit(1);',
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    function deploy(
        exportFixture: string,
        ...args: string[]
    ): { status: number | null; stdout: string; stderr: string; calls: string[][] } {
        const log = path.join(dir, `calls-${Date.now()}-${Math.random().toString(36).slice(2)}.log`);
        const tsNode = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
        const result = spawnSync(process.execPath, [tsNode, "--transpile-only", "scripts/deploy.ts", ...args], {
            cwd: ROOT,
            encoding: "utf8",
            // Only the stand-in and node on PATH: nothing else named pulumi can answer.
            env: {
                ...process.env,
                PATH: `${dir}${path.delimiter}${path.dirname(process.execPath)}`,
                FAKE_PULUMI_LOG: log,
                FAKE_PULUMI_EXPORT: path.join(FIXTURES, exportFixture),
            },
            timeout: 120000,
        });
        const calls = fs.existsSync(log)
            ? fs
                  .readFileSync(log, "utf8")
                  .trim()
                  .split("\n")
                  .map((l) => JSON.parse(l) as string[])
            : [];
        return { status: result.status, stdout: result.stdout, stderr: withoutStandInArtefact(result.stderr), calls };
    }

    const replacedBy = (calls: string[][]): string[] => {
        const up = calls.find((c) => c[0] === "up");
        if (!up) throw new Error("pulumi up was never called");
        return up.flatMap((arg, i) => (arg === "--replace" ? [up[i + 1]!] : []));
    };

    it("reads the state before the update, passes the failed job as --replace, and prints one line saying why", () => {
        const run = deploy("stackExport.failedJob.json", "prod", "--allow-examples");
        expect(run.stderr).to.equal("");
        expect(run.status).to.equal(0);
        const ops = run.calls.map((c) => c.slice(0, 2).join(" "));
        expect(ops.indexOf("stack export"))
            .to.be.greaterThan(-1)
            .and.lessThan(ops.findIndex((o) => o.startsWith("up ")));
        expect(replacedBy(run.calls)).to.deep.equal([MIGRATE]);
        const up = run.calls.find((c) => c[0] === "up")!;
        expect(up[up.indexOf("--policy-pack") + 1], "with the policy pack").to.equal(path.join(ROOT, "policy"));
        expect(up[up.indexOf("--policy-pack-config") + 1], "and the pack config of prod's environment").to.equal(
            path.join(ROOT, "policy", "config", "production.json"),
        );
        const lines = run.stdout.split("\n").filter((l) => l.startsWith("deploy: "));
        expect(lines).to.deep.equal([`deploy: --replace '${MIGRATE}': ${JOB_WHY}`]);
    });

    it("passes the unhealthy container of a failed health wait, and nothing for a stack never deployed", () => {
        expect(replacedBy(deploy("stackExport.failedHealthWait.json", "prod", "--allow-examples").calls)).to.deep.equal(
            [BACKEND],
        );
        const fresh = deploy("stackExport.new.json", "prod", "--allow-examples");
        expect(replacedBy(fresh.calls)).to.deep.equal([]);
        expect(fresh.stdout).to.not.contain("deploy: ");
    });

    it("stops before `pulumi up`, exit 2, when an interrupted update left an operation unfinished, saying what to do", () => {
        const run = deploy("stackExport.interrupted.json", "prod", "--allow-examples");
        expect(run.status).to.equal(2);
        expect(run.calls.map((c) => c[0])).to.not.include("up");
        expect(run.stderr).to.contain("docker rm -f backend-7f3e2d1").and.contain("An interrupted update");
    });

    it("--no-auto-replace neither reads the state nor replaces anything", () => {
        const run = deploy("stackExport.failedJob.json", "prod", "--allow-examples", "--no-auto-replace");
        expect(run.status).to.equal(0);
        expect(run.calls.map((c) => c.slice(0, 2).join(" "))).to.not.include("stack export");
        expect(replacedBy(run.calls)).to.deep.equal([]);
    });

    it("stops before the update when the export cannot be judged, naming the way around it", () => {
        const bad = path.join(dir, "bad-export.json");
        fs.writeFileSync(bad, JSON.stringify({ version: 9, deployment: {} }));
        const run = deploy(path.relative(FIXTURES, bad), "prod", "--allow-examples");
        expect(run.status).to.equal(2);
        expect(run.stderr).to.equal(
            "deploy: cannot judge the state of 'prod' before the update: the stack export has schema version 9; " +
                "this script reads versions 3 and 4; --no-auto-replace skips this check\n",
        );
        expect(run.calls.map((c) => c[0])).to.not.include("up");
    });
});
