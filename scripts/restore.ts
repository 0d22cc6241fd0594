/**
 * npm run restore -- <stack> [backup | --to-time <ISO 8601> | --latest | --window] [--yes]
 *
 * Restores a database backup (the newest by default) on a stack's host, after
 * the operator types the stack name (or passes --yes). It runs
 * `freshtrack-restore` in the stack's backup container, which checks the whole
 * dump before touching anything and keeps the replaced database
 * (docs/operations.md, Backups and restore). With --to-time or --latest, a
 * self-hosted PostgreSQL's archive is first replayed to that point by
 * `freshtrack-pitr-restore` into a throwaway server and dumped, and that dump is
 * what is swapped in (docs/operations.md, "Restore to a point in time"); --window only prints what the archive
 * can reach. Droplet and ssh targets are reached over SSH with the deploy key from the stack's outputs (read through
 * the Automation API, scripts/lib/workspace.ts).
 * Exit codes: 0 restored, 1 refused (an answer other than the stack name, or
 * no answer: end of input) or failed, 2 usage or setup error, or the host not
 * reached over ssh (ssh's own message is shown).
 */
import { DATABASE } from "../components/services/context";
import { askForStackName } from "./lib/confirm";
import {
    chooseBackup,
    confirmationText,
    parseTargetTime,
    pitrConfirmationText,
    pitrRestoreReport,
} from "./lib/restorePlan";
import { PITR_EXIT } from "../components/services/pitrRestoreScript";
import { loadStackConfigFor } from "./lib/stackFiles";
import { commandLine, CommandLineSpec } from "./lib/commandLine";
import {
    backupContainer,
    dockerOn,
    exitStatusFor,
    HostDocker,
    HostUnreachable,
    listBackups,
    runStep,
    stepFailure,
} from "./lib/hostDocker";
import { runCli } from "./lib/cli";
import { selectStack } from "./lib/workspace";
import { forkManaged } from "./lib/restoreFork";
import { FORK_WINDOW_DAYS, forkTimestamp } from "../components/platform/managedDatabase";

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
        "to-time": {
            type: "string",
            value: "<ISO 8601 time>",
            description:
                "Restore the database as it was at this time, such as 2026-11-26T10:00:00Z (a zone is required): a " +
                "self-hosted PostgreSQL replays its newest base backup before that time and the log after it into a " +
                "throwaway server, checks and dumps the result, then swaps it in as a dump restore does. A time " +
                "outside what the archive covers is refused, naming every range it can reach (--window shows them). A managed " +
                "PostgreSQL is forked at that time into a new cluster (billed until removed), and the stack is " +
                "pointed at the fork once you type the stack's name.",
            check: (v) => (typeof parseTargetTime(v) === "string" ? "an ISO 8601 time with its zone" : undefined),
        },
        latest: {
            type: "boolean",
            description:
                "Restore to the last transaction the archive holds (after losing the database, not the backups " +
                "volume): as --to-time, to the end of the log.",
        },
        window: {
            type: "boolean",
            description:
                "Change nothing: print what a point-in-time restore can reach, one line per range of the archive " +
                "(from a base backup's end to the last commit after it), and the earliest and latest times. On a " +
                "managed PostgreSQL, the times DigitalOcean can fork at.",
        },
        yes: {
            type: "boolean",
            description:
                "Restore without asking. Without it the script says what will happen and asks you to type the " +
                "stack's name; any other answer, or the end of input, refuses.",
        },
    },
    exitCodes: [
        ["0", "restored"],
        [
            "1",
            "refused (not confirmed, or a time the archive does not cover), no such backup, the restore failed, or " +
                "the stack's config is invalid",
        ],
        ["2", "a usage error, an unknown stack, no backup container, or the host not reached over ssh"],
    ],
    examples: [
        { command: "npm run restore -- prod", what: "Restore prod's newest backup, after you type prod." },
        {
            command: "npm run restore -- prod --to-time 2026-11-26T09:59:00Z",
            what: "Replay prod's archive to 09:59 UTC, check it, then swap it in after you type prod.",
        },
        { command: "npm run restore -- prod --latest", what: "Replay prod's archive to its last transaction." },
        { command: "npm run restore -- prod --window", what: "Show the times prod's archive can reach." },
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
    const toTime = line.values["to-time"];
    const latest = line.values.latest ?? false;
    const window = line.values.window ?? false;
    if ([requested !== undefined, toTime !== undefined, latest, window].filter(Boolean).length > 1) {
        console.error("restore: give one of a dump's name, --to-time, --latest and --window");
        return 2;
    }
    const target = toTime === undefined ? undefined : parseTargetTime(toTime);
    if (typeof target === "string") {
        console.error(`restore: --to-time ${target}`);
        return 2;
    }
    const cfg = loadStackConfigFor(stack);
    const pointInTime = target !== undefined || latest || window;
    if (window && cfg.database.mode === "managed") {
        const now = Date.now();
        const earliest = new Date(now - FORK_WINDOW_DAYS * 24 * 3600 * 1000);
        console.log(`earliest reachable: ${forkTimestamp(earliest)} (DigitalOcean keeps ${FORK_WINDOW_DAYS} days)`);
        console.log(`latest reachable: now, ${forkTimestamp(new Date(now))}`);
        return 0;
    }
    if (pointInTime && cfg.database.mode === "managed") {
        // DigitalOcean's newest point is the present; a second is left for the clock between here and its API.
        const at = target?.date ?? new Date(Date.now() - 1000);
        return forkManaged(cfg.database, cfg.namePrefix, at, {
            stack,
            workspace: () => selectStack(stack),
            confirm: (question) => (yes ? Promise.resolve(true) : askForStackName(stack, question)),
        });
    }
    if (pointInTime && !cfg.backup.pointInTime) {
        console.error(
            `restore: stack '${stack}' keeps no archive for a point-in-time restore (freshtrack:backup.pointInTime is false); restore a dump instead`,
        );
        return 2;
    }
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
        if (pointInTime) {
            // --window reads what the archive covers and stops there: the same script, step and failures.
            const args = window ? ["--window"] : target ? ["--to-time", target.utc] : ["--latest"];
            if (!window)
                console.log(
                    `restore: replaying ${stack}'s archive ${target ? `to ${target.utc} UTC` : "to its end"}...`,
                );
            const replay = host.docker(["exec", container, "freshtrack-pitr-restore", ...args]);
            process.stdout.write(replay.stdout);
            if (replay.status === PITR_EXIT.refused) {
                if (!window) console.error("restore: refused (the reason is above); nothing was changed");
                return 1;
            }
            const failure = stepFailure(host, `freshtrack-pitr-restore${window ? " --window" : ""}`, replay);
            if (failure) {
                if (replay.sshError !== undefined) throw new HostUnreachable(failure);
                console.error(`restore: ${failure}${window ? "" : "; nothing was changed"}`);
                return 1;
            }
            if (window) return 0;
            const report = pitrRestoreReport(replay.stdout);
            if (!report.dump || !report.recoveryPoint) {
                console.error("restore: freshtrack-pitr-restore did not say which dump it wrote; nothing was changed");
                return 1;
            }
            const text = pitrConfirmationText(stack, DATABASE.name, report.recoveryPoint, report.dump);
            if (!yes && !(await askForStackName(stack, text))) {
                console.error(`restore: not confirmed; nothing was changed (the checked dump stays: ${report.dump})`);
                return 1;
            }
            runStep(host, "freshtrack-restore", ["exec", "-i", container, "freshtrack-restore", report.dump], {
                interactive: true,
            });
            return 0;
        }
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
