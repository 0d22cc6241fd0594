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
import { commandLine, CommandLineSpec } from "./lib/commandLine";
import { backupContainer, dockerOn, exitStatusFor, HostDocker, listBackups, runStep } from "./lib/hostDocker";
import { runCli } from "./lib/cli";

/** The command line, read by commandLine and explained by --help (test/scriptsHelp.servers.test.ts reads it too). */
export const COMMAND_LINE = {
    summary: "restore a database backup on a stack's host, after you type the stack's name",
    details: [
        "It runs freshtrack-restore in the stack's backup container, which checks the whole dump before it " +
            "touches anything, restores into a new database, and swaps it in, keeping the replaced one as " +
            "<database>_before_restore_<time> (docs/operations.md, Backups and restore). Droplet and ssh targets " +
            "are reached over SSH with the deploy key from the stack's outputs, so the Pulumi CLI and access to " +
            "the stack's state are needed.",
    ],
    stack: { description: "The stack whose database is restored." },
    arguments: [
        {
            name: "backup",
            description:
                "The dump to restore, by its file name in /backups/postgres on the host, such as " +
                "freshtrack-scheduled-20261123T031500Z.dump. Default: the newest. A name that is not there is " +
                "refused, and the five newest are listed.",
        },
    ],
    options: {
        yes: {
            type: "boolean",
            description:
                "Restore without asking. Without it the script says what will happen and asks you to type the " +
                "stack's name; any other answer, or the end of input, refuses.",
        },
    },
    exitCodes: [
        ["0", "restored"],
        ["1", "refused (not confirmed), no such backup, the restore failed, or the stack's config is invalid"],
        ["2", "a usage error, an unknown stack, no backup container, or the host not reached over ssh"],
    ],
    examples: [
        { command: "npm run restore -- prod", what: "Restore prod's newest backup, after you type prod." },
        {
            command: "npm run restore -- prod freshtrack-scheduled-20261123T031500Z.dump --yes",
            what: "Restore a named dump without the question.",
        },
    ],
} satisfies CommandLineSpec;

async function main(argv: string[]): Promise<number> {
    const line = commandLine("restore", argv, COMMAND_LINE);
    if ("exitCode" in line) return line.exitCode;
    const stack = line.stacks[0]!;
    const yes = line.values.yes ?? false;
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

if (require.main === module) runCli("restore", main);
