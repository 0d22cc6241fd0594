/**
 * What the real-engine suite (test/engine/shippedStacks.real.test.ts) hands the checks it runs on each shipped stack
 * (test/engine/containerChecks.ts, networkChecks.ts and readBackChecks.ts).
 */
import type { RegisteredResource } from "../../scripts/lib/mockRun";
import type { dockerModels } from "../../scripts/lib/readBack/docker";
import type { RunningDaemon } from "./daemonConfig";
import type { AppliedStack } from "./stackOnEngine";

/** Set by .ci/run: fail, never skip, when no daemon answers or it lacks the bootstrap's settings. */
export const REQUIRED = process.env.FRESHTRACK_ENGINE_TESTS === "required";

/**
 * One shipped stack on the engine. The stack's describe fills it in its `before` and each check reads it when it runs
 * (mocha's "shared behaviours", https://mochajs.org/api/tutorial-shared-behaviours): applying a stack takes about
 * 20 s, so it is applied once for every check, not once per file of checks.
 */
export interface StackUnderTest {
    readonly stack: string;
    /** The stand-in image every container runs (test/engine/standin.ts). */
    image: string;
    daemon: RunningDaemon;
    /** The stack's target: local, droplet or ssh. */
    target: string;
    /** What the program registered under mocks. */
    resources: readonly RegisteredResource[];
    applied: AppliedStack;
    /** The read-back models of the daemon these containers run on, with this stack's IPv6 networks. */
    models: ReturnType<typeof dockerModels>;
}
