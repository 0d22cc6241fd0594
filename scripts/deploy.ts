/**
 * npm run deploy -- <stack> [--allow-examples] [--no-auto-replace]
 *
 * `pulumi up` for a stack through the Automation API (scripts/lib/workspace.ts),
 * with the policy pack and the pack config of the stack's environment, so that
 * a failed update is announced too: the program itself announces only
 * verified, completed updates. A failure to announce never changes the result.
 * A droplet or VM stack that still has the shipped documentation examples
 * (example.com, 203.0.113.0/24, ...) is refused before anything is touched,
 * unless --allow-examples says that is meant (a throwaway test with internal TLS).
 * Before the update, the stack's state is read (`pulumi stack export`): a container
 * whose create an earlier update left unfinished (a failed health wait) and a job that
 * exited non-zero are passed as `--replace`, each with one line saying why
 * (scripts/lib/retryPlan.ts), because a plain retry would keep them as they are.
 * --no-auto-replace leaves that to `pulumi up` and the operator.
 * The update is previewed first (scripts/lib/workspace.ts): a preview that fails, a mandatory policy violation
 * included, stops it with nothing changed, and is not announced.
 * Exit codes: 0 deployed, 1 the update failed or was refused, or examples refused, 2 usage or setup error.
 */
import { placeholderValues } from "../components/config";
import { notify } from "../operator/notify";
import { destinationsFromConfig } from "./lib/destinations";
import { loadStackConfigFor } from "./lib/stackFiles";
import { commandLine, CommandLineSpec } from "./lib/commandLine";
import { runCli } from "./lib/cli";
import { cliReason, OperatorStack, PreviewRefused, selectStack } from "./lib/workspace";
import { retryPlan, RetryPlan } from "./lib/retryPlan";

/** The command line, read by commandLine and explained by --help (test/scriptsHelp.servers.test.ts reads it too). */
export const COMMAND_LINE = {
    summary: "`pulumi up` a stack with the policy pack, and announce the update if it fails",
    details: [
        "The update runs through the Automation API (the Pulumi CLI and access to the stack's state are needed), " +
            "with the policy pack and policy/config/<environment>.json of the stack's freshtrack:environment. The " +
            "program announces a completed update itself; this script announces a failed one to the configured " +
            "destinations, and a failed announcement never changes the result. The update is previewed first, with " +
            "the same pack: when the preview fails (a mandatory policy violation, say) nothing is changed and " +
            "nothing is announced.",
    ],
    stack: { description: "The stack to deploy." },
    options: {
        "allow-examples": {
            type: "boolean",
            description:
                "Deploy a droplet or VM stack that still has the shipped documentation examples (example.com, " +
                "203.0.113.0/24, ...), for a throwaway test with internal TLS. Without it such a stack is refused " +
                "before anything is touched, each example listed.",
        },
        "no-auto-replace": {
            type: "boolean",
            description:
                "Leave failed containers and jobs to `pulumi up` and to you. Without it the stack's state is read " +
                "first, and a container an earlier update left unfinished (a failed health wait) or a job that " +
                "exited non-zero is passed as --replace, with a line saying why: a plain retry would keep it.",
        },
    },
    exitCodes: [
        ["0", "deployed"],
        [
            "1",
            "the update failed or its preview refused it, the stack still has the documentation examples, or its " +
                "config is invalid",
        ],
        ["2", "a usage error, an unknown stack, no Pulumi CLI or state, or an interrupted update to clear first"],
    ],
    examples: [
        {
            command: "npm run deploy -- prod",
            what: "Deploy prod, once `npm run plan` and `npm run policy` look right.",
        },
        {
            command: "npm run deploy -- prod --no-auto-replace",
            what: "Retry after a failed update, leaving what failed as it is.",
        },
    ],
} satisfies CommandLineSpec;

async function main(argv: string[]): Promise<number> {
    const line = commandLine("deploy", argv, COMMAND_LINE);
    if ("exitCode" in line) return line.exitCode;
    const stack = line.stacks[0]!;
    const cfg = loadStackConfigFor(stack);
    const examples = placeholderValues(cfg);
    if (examples.length > 0 && !line.values["allow-examples"]) {
        console.error(
            [
                `deploy: Pulumi.${stack}.yaml still has documentation example values; set your own (docs/walkthrough.md, step 4), nothing was deployed:`,
                ...examples.map((e) => `  ${e}`),
            ].join("\n"),
        );
        return 1;
    }
    const started = Date.now();
    let workspaceStack: OperatorStack;
    try {
        workspaceStack = await selectStack(stack);
    } catch (err) {
        console.error(`deploy: ${(err as Error).message}`);
        return 2;
    }
    let replace: string[] = [];
    if (!line.values["no-auto-replace"]) {
        let exported: unknown;
        try {
            exported = await workspaceStack.exportState();
        } catch (err) {
            console.error(`deploy: ${(err as Error).message}`);
            return 2;
        }
        let plan: RetryPlan;
        try {
            plan = retryPlan(exported);
        } catch (err) {
            console.error(
                `deploy: cannot judge the state of '${stack}' before the update: ${(err as Error).message}; --no-auto-replace skips this check`,
            );
            return 2;
        }
        if (plan.blockers.length > 0) {
            for (const b of plan.blockers) console.error(`deploy: unfinished: ${b}`);
            console.error(
                `deploy: '${stack}' has ${plan.blockers.length} operation(s) an interrupted update left unfinished; clear them as above, then deploy again (docs/troubleshooting.md, "An interrupted update")`,
            );
            return 2;
        }
        for (const r of plan.replace) console.log(`deploy: --replace '${r.urn}': ${r.why}`);
        for (const note of plan.notes) console.log(`deploy: note: ${note}`);
        replace = plan.replace.map((r) => r.urn);
    }
    const previous = (await workspaceStack.history(20)).find((h) => h.kind === "update" && h.result === "succeeded")
        ?.config?.["freshtrack:appVersion"]?.value;
    try {
        const up = await workspaceStack.up({
            onOutput: (out) => process.stdout.write(out),
            ...(replace.length > 0 ? { replace } : {}),
        });
        if (up.summary.result !== "succeeded") throw new Error(`the update ended with ${up.summary.result}`);
        return 0;
    } catch (err) {
        if (err instanceof PreviewRefused) {
            // Nothing changed, so nothing is announced: the stack runs as before, and the reason is above.
            console.error(
                `deploy: the preview of '${stack}' refused the update, so nothing was changed: ${err.message}; see the output above and docs/troubleshooting.md`,
            );
            return 1;
        }
        // The CLI's own "error: ..." line: the Automation API's message wraps it in code, stdout and stderr.
        const detail = cliReason(err);
        const destinations = destinationsFromConfig(await workspaceStack.config().catch(() => ({})));
        for (const d of await notify(
            {
                kind: "update",
                result: "failed",
                stack,
                domain: cfg.domain,
                version: cfg.app.version,
                ...(previous ? { previousVersion: previous } : {}),
                durationSeconds: (Date.now() - started) / 1000,
                detail,
            },
            destinations,
        )) {
            console.error(
                `deploy: failure announcement to ${d.destination}: ${d.ok ? "sent" : `not delivered (${d.detail})`}`,
            );
        }
        console.error(`deploy: the update of '${stack}' failed; see the output above and docs/troubleshooting.md`);
        return 1;
    }
}

if (require.main === module) runCli("deploy", main);
