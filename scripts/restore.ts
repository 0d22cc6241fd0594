/**
 * npm run restore -- <stack> [backup] [--yes]
 *
 * Restores a database backup (the newest by default) on a stack's host, after
 * the operator types the stack name (or passes --yes). It runs
 * `freshtrack-restore` in the stack's backup container, which checks the whole
 * dump before touching anything and keeps the replaced database
 * (docs/operations.md, Backups and restore). Droplet and ssh targets are
 * reached over SSH with the deploy key from the stack's outputs (read through
 * the Automation API, scripts/lib/workspace.ts).
 * Exit codes: 0 restored, 1 refused (an answer other than the stack name, or
 * no answer: end of input) or failed, 2 usage or setup error, or the host not
 * reached over ssh (ssh's own message is shown).
 */
import { DATABASE } from "../components/services/context";
import { askForStackName } from "./lib/confirm";
import { chooseBackup, confirmationText } from "./lib/restorePlan";
import { loadStackConfigFor } from "./lib/stackFiles";
import { commandLine } from "./lib/commandLine";
import { backupContainer, dockerOn, exitStatusFor, HostDocker, listBackups, runStep } from "./lib/hostDocker";
import { runCli } from "./lib/cli";

async function main(argv: string[]): Promise<number> {
    const line = commandLine("restore", argv, {
        usage: "<stack> [backup] [--yes]",
        options: { yes: { type: "boolean" } },
        extraPositionals: 1,
    });
    if ("exitCode" in line) return line.exitCode;
    const stack = line.stacks[0]!;
    const yes = line.values.yes === true;
    const requested = line.extra[0];
    const cfg = loadStackConfigFor(stack);
    let host: HostDocker;
    try {
        host = await dockerOn(cfg.target, stack, cfg.ssh ? { port: cfg.ssh.port } : {});
    } catch (err) {
        console.error(`restore: ${(err as Error).message}`);
        return 2;
    }
    try {
        const found = backupContainer(host, cfg.namePrefix, stack);
        if ("problem" in found) {
            console.error(`restore: ${found.problem}`);
            return 2;
        }
        const container = found.id;
        const choice = chooseBackup(listBackups(host, container), requested);
        if (typeof choice === "string") {
            console.error(`restore: ${choice}`);
            return 1;
        }
        if (!yes && !(await askForStackName(stack, confirmationText(stack, DATABASE.name, choice.file)))) {
            console.error("restore: not confirmed; nothing was changed");
            return 1;
        }
        runStep(host, "freshtrack-restore", ["exec", "-i", container, "freshtrack-restore", choice.file], {
            interactive: true,
        });
        return 0;
    } catch (err) {
        console.error(`restore: ${(err as Error).message}`);
        return exitStatusFor(err);
    } finally {
        host.cleanup();
    }
}

runCli("restore", main);
