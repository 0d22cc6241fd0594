/**
 * `npm run restore -- <stack> --to-time <time>` on a managed PostgreSQL (issue 18, item 3): the steps, with the
 * workspace and the question passed in, so that their order and their refusals are tested without a backend.
 */
import type { StackConfig } from "../../components/config";
import {
    FORK_USE_DESCRIPTION,
    forkAlreadySet,
    forkClusterName,
    forkMonthlyUsd,
    forkSettings,
    forkTimeProblem,
    forkTimestamp,
    forkUseSetting,
    liveClusterName,
} from "../../components/platform/managedDatabase";
import { cliReason, OperatorStack, PreviewRefused } from "./workspace";

/** What forkManaged needs from its caller: the stack, its workspace, and the question (true: go ahead). */
export interface ForkIo {
    readonly stack: string;
    workspace(): Promise<Pick<OperatorStack, "setDatabaseFork" | "up">>;
    confirm(question: string): Promise<boolean>;
}

/**
 * A managed PostgreSQL restored to a point in time: DigitalOcean forks the live cluster as it was then into a new one
 * (freshtrack:database.fork.at, then `pulumi up` with the policy pack), the live one untouched; then, once the operator
 * types the stack's name (or with --yes), the stack is pointed at the fork (database.fork.use, another `up`). Refused
 * before anything changes: a time to come or older than DigitalOcean keeps, or a stack that already holds another fork
 * (components/platform/managedDatabase.ts).
 */
export async function forkManaged(
    database: Extract<StackConfig["database"], { mode: "managed" }>,
    namePrefix: string,
    at: Date,
    io: ForkIo,
): Promise<number> {
    const { stack } = io;
    const problem = forkTimeProblem(at, new Date()) ?? forkAlreadySet(database.fork, at);
    if (problem) {
        console.error(`restore: ${problem}; nothing was changed`);
        return 1;
    }
    const fork = forkClusterName(namePrefix, at);
    console.log(
        `restore: forking ${liveClusterName(namePrefix)} as it was at ${forkTimestamp(at)} into a new cluster ${fork} ` +
            `($${forkMonthlyUsd(database.size, database.nodeCount).toFixed(2)} a month until you remove it); ` +
            "the live cluster is not touched",
    );
    const onOutput = (out: string) => process.stdout.write(out);
    // A fork is billed from the moment it exists: asked first, as the switch is.
    if (!(await io.confirm(`Create ${fork}, a copy of the database as it was at ${forkTimestamp(at)}?`))) {
        console.error("restore: not confirmed; nothing was created or changed");
        return 1;
    }
    try {
        const ws = await io.workspace();
        await ws.setDatabaseFork(forkSettings(at));
        await ws.up({ onOutput });
        console.log(`restore: ${fork} is ready. ${FORK_USE_DESCRIPTION}`);
        const question = `Point stack '${stack}' at ${fork}, the database as it was at ${forkTimestamp(at)}?`;
        if (!(await io.confirm(question))) {
            console.error(
                `restore: not switched; the stack still uses ${liveClusterName(namePrefix)}, and ${fork} is kept ` +
                    `(switch later with: npm run restore -- ${stack} --to-time ${forkTimestamp(at)})`,
            );
            return 1;
        }
        await ws.setDatabaseFork(forkUseSetting());
        await ws.up({ onOutput });
        console.log(`restore: stack '${stack}' now uses ${fork}; ${liveClusterName(namePrefix)} is kept, protected`);
        console.log(`restore: commit Pulumi.${stack}.yaml (database.fork), so that every deploy keeps the fork`);
        return 0;
    } catch (err) {
        const refused = err instanceof PreviewRefused;
        console.error(
            `restore: ${refused ? `the preview refused the update, so nothing was deployed: ${err.message}` : cliReason(err)}`,
        );
        console.error(
            `restore: Pulumi.${stack}.yaml keeps the fork setting it was given; run the same command again once the ` +
                `cause is fixed, or take the setting out: pulumi config rm --stack ${stack} --path freshtrack:database.fork`,
        );
        return 1;
    }
}
