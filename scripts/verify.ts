/**
 * npm run verify -- <stack>     verify a deployed stack by hand
 * (pulumi up runs it itself with --from-env, see components/postDeploy/verification.ts)
 *
 * Runs the verification gate against the stack's public URLs and prints a
 * report: check, expected, seen, where to look. The stack's CA and admin
 * password come from the stack's outputs, read through the Automation API
 * (scripts/lib/workspace.ts; the Pulumi CLI and access to the stack's state are
 * needed for this mode).
 * Exit codes: 0 all checks passed, 1 a check failed, 2 usage or setup error.
 */
import { renderReport } from "../operator/verify/checks";
import { ADMIN_USER } from "../components/edge/caddy";
import { buildPlan, StackUrls, VerifyPlan } from "../components/verify/plan";
import { runPlan } from "../operator/verify/runPlan";
import { PLAN_ENV } from "../components/postDeploy/verification";
import { loadStackConfigFor } from "./lib/stackFiles";
import { commandLine } from "./lib/commandLine";
import { readStackOutputs } from "./lib/workspace";
import { runCli } from "./lib/cli";

async function planForStack(stack: string): Promise<VerifyPlan> {
    // The settings come from the stack config (checked first, without the CLI); the URLs and secrets from the deployed
    // stack.
    const cfg = loadStackConfigFor(stack);
    const outputs = await readStackOutputs(stack, { showSecrets: true });
    return buildPlan(
        cfg.verification,
        cfg.domain,
        outputs.urls as StackUrls,
        {
            adminUser: ADMIN_USER,
            adminPassword: String(outputs.adminPassword ?? ""),
            ...(typeof outputs.caCertificate === "string" ? { ca: outputs.caCertificate } : {}),
        },
        cfg.tlsMode === "internal" ? String(outputs.publicAddress) : undefined,
    );
}

async function main(argv: string[]): Promise<number> {
    let plan: VerifyPlan;
    if (argv[0] === "--from-env") {
        const raw = process.env[PLAN_ENV];
        if (!raw) {
            console.error(`verify: --from-env needs ${PLAN_ENV}`);
            return 2;
        }
        plan = JSON.parse(raw) as VerifyPlan;
    } else {
        const line = commandLine("verify", argv, { usage: "<stack>" });
        if ("exitCode" in line) return line.exitCode;
        plan = await planForStack(line.stacks[0]!);
    }
    const results = await runPlan(plan);
    const report = renderReport(results);
    const failed = results.some((r) => !r.ok);
    (failed ? console.error : console.log)(report);
    return failed ? 1 : 0;
}

runCli("verify", main);
