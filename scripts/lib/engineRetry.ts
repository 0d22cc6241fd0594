/**
 * The hazards of a checkpoint for a plain retry, read from `pulumi stack export` fields alone: what
 * scripts/lib/retryPlan.ts acts on before a retry. engineModel.ts shows the engine leaving such checkpoints and what
 * a plain retry then does (test/engineModel.test.ts).
 */
import type { StateResource } from "./engineTypes";

/** What a checkpoint left by a failed run means for a plain retry, read from `pulumi stack export` fields. */
export interface RetryHazards {
    /**
     * Live resources with `initErrors`: a plain retry sends them an empty update, which clears the errors
     * without creating anything (for a bridged container: without waiting for health again).
     */
    initErrors: string[];
    /** URNs with an old copy marked `delete`: a plain retry that succeeds deletes those copies at its end. */
    pendingDeletes: string[];
    /**
     * Run-to-completion containers (`attach`) whose recorded `exitCode` is not 0. Their create succeeded, so a
     * retry with the same inputs keeps them (a same step) and the program sees the old exit code again.
     */
    failedJobs: string[];
    /**
     * What to pass as `replace` (UpOptions.replace, `--replace`): the containers among `initErrors`, and
     * `failedJobs`. The retry then creates a fresh container first and deletes the failed one and any older
     * pending copy only after it succeeded. Other resource types with initErrors are left to the operator
     * (a droplet, say, is not replaced on a guess). Empty when a plain retry is safe.
     */
    replace: string[];
}

const DOCKER_CONTAINER = "docker:index/container:Container";

export function retryHazards(state: readonly StateResource[]): RetryHazards {
    const live = state.filter((r) => !r.delete);
    const initErrors = live.filter((r) => (r.initErrors ?? []).length > 0).map((r) => r.urn);
    const pendingDeletes = [...new Set(state.filter((r) => r.delete).map((r) => r.urn))];
    const failedJobs = live
        .filter((r) => r.type === DOCKER_CONTAINER && r.inputs["attach"] === true)
        .filter((r) => typeof r.outputs["exitCode"] === "number" && r.outputs["exitCode"] !== 0)
        .map((r) => r.urn);
    const containersWithInitErrors = live
        .filter((r) => r.type === DOCKER_CONTAINER && (r.initErrors ?? []).length > 0)
        .map((r) => r.urn);
    return {
        initErrors,
        pendingDeletes,
        failedJobs,
        replace: [...new Set([...containersWithInitErrors, ...failedJobs])],
    };
}
