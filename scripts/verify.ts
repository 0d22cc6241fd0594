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
import { commandLine, CommandLineSpec } from "./lib/commandLine";
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

/** The command line, read by commandLine and explained by --help (test/scriptsHelp.servers.test.ts reads it too). */
export const COMMAND_LINE = {
    summary: "run the verification gate against a deployed stack and report what failed",
    details: [
        "The checks: every health endpoint passing as many times in a row as freshtrack:verification asks (3 by " +
            "default), the TLS certificate, the end-to-end sensor alert where configured, Prometheus targets and " +
            "Grafana. The report gives each check, what was expected, what was seen and where to look. The " +
            "settings come from Pulumi.<stack>.yaml; the URLs, the CA and the admin password from the stack's " +
            "outputs, read through the Automation API, so the Pulumi CLI and access to the stack's state are " +
            "needed. `pulumi up` runs the same gate as its last step (`scripts/verify.ts --from-env`, not for operators).",
    ],
    stack: { description: "The deployed stack to verify." },
    exitCodes: [
        ["0", "every check passed"],
        ["1", "a check failed, or the stack's config is invalid"],
        ["2", "a usage error, an unknown stack, or the stack's outputs could not be read"],
    ],
    examples: [{ command: "npm run verify -- prod", what: "Verify prod by hand, after an incident or a fix." }],
} satisfies CommandLineSpec;

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
        const line = commandLine("verify", argv, COMMAND_LINE);
        if ("exitCode" in line) return line.exitCode;
        plan = await planForStack(line.stacks[0]!);
    }
    const results = await runPlan(plan);
    const report = renderReport(results);
    const failed = results.some((r) => !r.ok);
    (failed ? console.error : console.log)(report);
    return failed ? 1 : 0;
}

if (require.main === module) runCli("verify", main);
