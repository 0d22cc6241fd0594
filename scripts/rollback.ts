/**
 * npm run rollback -- <stack> [--to <version>] [--yes]
 *
 * Redeploys the previous (or named) app version through the Automation API
 * (scripts/lib/workspace.ts: with the policy pack and the pack config of the
 * stack's environment), using the stack's update history. Before it: a
 * database backup, a CSV export of the rows written since the version being
 * rolled back went live, and a manifest of what was done, all in the backups
 * volume (mirrored to MinIO). Without --yes it shows the plan and asks for the
 * stack name. Migrations are not undone (docs/operations.md, Going back a
 * version).
 * Exit codes: 0 rolled back, 1 refused (an answer other than the stack name,
 * or no answer: end of input) or failed, 2 usage or setup error, or the host
 * not reached over ssh (ssh's own message is shown).
 */
import { notify } from "../operator/notify";
import { HistoryEntry, planRollback, renderExportScript, renderManifest, RollbackPlan } from "../operator/rollbackPlan";
import { BACKUP_DIR } from "../components/services/backupScripts";
import { askForStackName } from "./lib/confirm";
import { destinationsFromConfig } from "./lib/destinations";
import {
    backupContainer,
    dockerOn,
    exitStatusFor,
    HostDocker,
    HostUnreachable,
    runStep,
    stepFailure,
    writeFileInContainer,
} from "./lib/hostDocker";
import { loadStackConfigFor } from "./lib/stackFiles";
import { commandLine, CommandLineSpec } from "./lib/commandLine";
import { runCli } from "./lib/cli";
import { OperatorStack, PreviewRefused, selectStack } from "./lib/workspace";
import { checkPinnedTag } from "../components/validation";

function describePlan(stack: string, plan: RollbackPlan, tables: readonly { table: string }[]): string {
    return [
        `Rollback of stack '${stack}': ${plan.from} → ${plan.to}`,
        `  1. back up the database (freshtrack-pre-rollback-…dump in ${BACKUP_DIR})`,
        `  2. export rows written since ${plan.since.toISOString()} (when ${plan.from} went live): ${tables.map((t) => t.table).join(", ")}`,
        "  3. write a manifest of versions, backup and export beside the export",
        `  4. pulumi up with freshtrack:appVersion ${plan.to} (pre-flight, verification gate as usual)`,
        `  Not undone: migrations applied by ${plan.from}. If ${plan.to} cannot run on the newer schema, restore the`,
        `  pre-migration dump of ${plan.from} afterwards (npm run restore), then re-import the export if needed.`,
    ].join("\n");
}

/** The command line, read by commandLine and explained by --help (test/scriptsHelp.servers.test.ts reads it too). */
export const COMMAND_LINE = {
    summary: "go back to the previous (or a named) app version, after a backup and an export",
    details: [
        "It reads the stack's update history, shows the plan and asks for the stack's name. Then it takes a " +
            "database backup, a CSV export of the rows written since the current version went live and a " +
            "manifest, all in the backups volume; sets freshtrack:appVersion in Pulumi.<stack>.yaml; and runs " +
            "`pulumi up` with the policy pack, as `npm run deploy` does (without its replacement of failed containers " +
            "and jobs). That update is previewed first: when the preview refuses it (a mandatory policy violation, " +
            "say), nothing is changed, Pulumi.<stack>.yaml is set back to the version the stack runs, and the backup " +
            "and export are kept. Migrations are not undone (docs/operations.md, Going back a version). The Pulumi CLI and " +
            "access to the stack's state are needed.",
    ],
    stack: { description: "The stack to roll back." },
    options: {
        to: {
            type: "string",
            value: "<version>",
            description:
                "The app version to go back to: a version tag that ran on the stack before the current one. " +
                "Default: the version that ran just before the current one.",
            check: checkPinnedTag,
        },
        yes: {
            type: "boolean",
            description:
                "Go ahead without asking. Without it the script prints its plan and asks you to type the stack's " +
                "name; any other answer, or the end of input, refuses.",
        },
    },
    exitCodes: [
        ["0", "rolled back"],
        [
            "1",
            "refused (not confirmed), no version to go back to, a step or the update failed, the update's preview " +
                "refused it, or an invalid config",
        ],
        ["2", "a usage error, an unknown stack, no Pulumi CLI or state, or the host not reached over ssh"],
    ],
    examples: [
        { command: "npm run rollback -- prod", what: "Go back to the version that ran before, after you type prod." },
        { command: "npm run rollback -- prod --to 1.4.1 --yes", what: "Go back to 1.4.1 without the question." },
    ],
} satisfies CommandLineSpec;

async function main(argv: string[]): Promise<number> {
    const line = commandLine("rollback", argv, COMMAND_LINE);
    if ("exitCode" in line) return line.exitCode;
    const stack = line.stacks[0]!;
    const yes = line.values.yes ?? false;
    // The spec's check refused a --to that is no version tag.
    const requested = line.values.to;
    const started = Date.now();
    const cfg = loadStackConfigFor(stack);

    let workspaceStack: OperatorStack;
    let history: HistoryEntry[];
    try {
        workspaceStack = await selectStack(stack);
        history = (await workspaceStack.history(100)).map((h) => {
            const version = h.config?.["freshtrack:appVersion"]?.value;
            return {
                kind: h.kind,
                result: h.result,
                startTime: new Date(h.startTime),
                version: h.version,
                ...(version !== undefined ? { appVersion: version } : {}),
            };
        });
    } catch (err) {
        console.error(`rollback: ${(err as Error).message}`);
        return 2;
    }
    const plan = planRollback(history, requested);
    if (typeof plan === "string") {
        console.error(`rollback: ${plan}`);
        return 1;
    }
    if (yes) console.log(describePlan(stack, plan, cfg.rollback.exportTables));
    else if (!(await askForStackName(stack, describePlan(stack, plan, cfg.rollback.exportTables)))) {
        console.error("rollback: not confirmed; nothing was changed");
        return 1;
    }

    let host: HostDocker;
    try {
        host = await dockerOn(cfg.target, stack, cfg.ssh ? { port: cfg.ssh.port } : {});
    } catch (err) {
        console.error(`rollback: ${(err as Error).message}; nothing was rolled back`);
        return 2;
    }
    const stackConfig = await workspaceStack.config();
    const destinations = destinationsFromConfig(stackConfig);
    const announce = async (result: "succeeded" | "failed", detail: string) => {
        for (const d of await notify(
            {
                kind: "rollback",
                result,
                stack,
                domain: cfg.domain,
                version: plan.to,
                previousVersion: plan.from,
                durationSeconds: (Date.now() - started) / 1000,
                detail,
            },
            destinations,
        )) {
            if (!d.ok) console.error(`rollback: the announcement to ${d.destination} was not delivered (${d.detail})`);
        }
    };
    // Until the stack's config changes, a failed step has left the running version alone; the message says so.
    let versionChanging = false;
    try {
        const found = backupContainer(host, cfg.namePrefix, stack);
        if ("problem" in found) throw found.sshFailed ? new HostUnreachable(found.problem) : new Error(found.problem);
        const container = found.id;
        const backup = runStep(host, "the pre-rollback backup", [
            "exec",
            container,
            "freshtrack-backup",
            "pre-rollback",
        ]);
        const backupFile = /backup written: (\S+)/.exec(backup.stdout)?.[1];
        if (!backupFile) throw new Error(`the pre-rollback backup on ${host.where} did not say which file it wrote`);
        console.log(`rollback: backup ${backupFile}`);

        const exportDir = `${BACKUP_DIR}/rollback-${plan.from}-to-${plan.to}-${new Date().toISOString().replace(/[:.]/g, "")}`;
        const exportArgs = [
            "exec",
            "-i",
            "-e",
            `SINCE=${plan.since.toISOString()}`,
            "-e",
            `EXPORT_DIR=${exportDir}`,
            container,
            "sh",
            "-s",
        ];
        // The CSVs are customer records: created 0600 (the backup just made their directory 0700 as well).
        const exported = host.docker(exportArgs, { input: renderExportScript(cfg.rollback.exportTables) });
        process.stdout.write(exported.stdout);
        const exportFailure = stepFailure(host, "the export of new rows", exported);
        if (exportFailure)
            throw exported.sshError !== undefined ? new HostUnreachable(exportFailure) : new Error(exportFailure);
        const manifest = renderManifest({
            plan,
            stack,
            backup: backupFile,
            exportDir,
            tables: cfg.rollback.exportTables,
            at: new Date(started),
        });
        writeFileInContainer(host, container, `${exportDir}/manifest.json`, manifest, "writing the rollback manifest");
        console.log(`rollback: export and manifest in ${exportDir}`);

        versionChanging = true;
        await workspaceStack.setAppVersion(plan.to);
        // With the policy pack (the workspace adds it), as npm run deploy: going back passes the rules forward does.
        const up = await workspaceStack.up({ onOutput: (out) => process.stdout.write(out) }).catch(async (err) => {
            if (!(err instanceof PreviewRefused)) throw err;
            // Refused before any change: the stack file goes back to the version the stack runs, so the next deploy
            // does not ship the one that was refused.
            const runs = stackConfig["freshtrack:appVersion"]?.value ?? plan.from;
            await workspaceStack.setAppVersion(runs);
            versionChanging = false;
            throw new Error(
                `the update's preview refused it (${err.message}); Pulumi.${stack}.yaml says ${runs} again, and the backup and export are kept`,
            );
        });
        if (up.summary.result !== "succeeded") throw new Error(`pulumi up ended with ${up.summary.result}`);
        await announce("succeeded", `backup ${backupFile}; export ${exportDir}`);
        console.log(`rollback: ${stack} runs ${plan.to}. Pulumi.${stack}.yaml now says so; commit it.`);
        return 0;
    } catch (err) {
        const message = versionChanging ? (err as Error).message : `${(err as Error).message}; nothing was rolled back`;
        console.error(`rollback: ${message}`);
        await announce("failed", message);
        return exitStatusFor(err);
    } finally {
        host.cleanup();
    }
}

if (require.main === module) runCli("rollback", main);
