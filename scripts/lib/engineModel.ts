/**
 * A pure model of what the Pulumi engine does in one `pulumi up` (or preview): the step it takes for
 * each resource the program registers, what a failure leaves in the checkpoint, and what the next run
 * does with that checkpoint. It covers what this program meets: create-before-delete and
 * delete-before-replace replacements, a create that fails with or without an ID (initialization
 * errors), pending deletes, ignoreChanges, replaceOnChanges, `--replace` / `--target` /
 * `pulumi state taint`, and a program that throws on a resource's outputs (Service's job exit-code check).
 *
 * Source: pulumi/pulumi at tag v3.259.0, the newest tag in the stored mirror (no v3.270.0 tag exists
 * there; the engine is the CLI's, whichever @pulumi/pulumi the program links). Paths in the comments:
 * step.go, step_generator.go, step_executor.go, deployment.go and deployment_executor.go are under
 * pkg/resource/deploy/; backend/snapshot.go is pkg/backend/snapshot.go; engine/update.go is
 * pkg/engine/update.go; apitype/core.go is sdk/go/common/apitype/core.go.
 *
 * Not modelled: dependency graphs (dependents of a delete-before-replace, delete ordering beyond
 * "reverse checkpoint order"), parallel steps, --continue-on-error, refresh, aliases, protect, import,
 * and ignoreChanges paths with array indices or wildcards.
 */
import { applyIgnoreChanges, clone, INIT_ERROR_KEY, pathCovers } from "./enginePaths";
import type {
    DiffResult,
    Goal,
    Properties,
    ProviderBehaviour,
    RunOptions,
    RunResult,
    StateResource,
    Step,
} from "./engineTypes";

// What importers took from this module before it was split; each lives in the module named.
export type {
    CreateResult,
    DiffResult,
    Goal,
    Properties,
    ProviderBehaviour,
    ProviderUpdateResult,
    RunOptions,
    RunResult,
    StateResource,
    Step,
    StepOp,
} from "./engineTypes";
export { applyIgnoreChanges, INIT_ERROR_KEY, pathCovers } from "./enginePaths";
export type { RetryHazards } from "./engineRetry";
export { retryHazards } from "./engineRetry";

interface Outcome {
    failed?: string;
    /** Outputs the program sees; undefined when unknown (a preview of a create or update). */
    outputs?: Properties;
}

/**
 * One `pulumi up` (or preview) of `goals` over the checkpoint `prev`. Pure: `prev` is not changed.
 * Goals are processed in order, one at a time; the first failure ends the run.
 */
export function runUpdate(
    prev: readonly StateResource[],
    goals: readonly Goal[],
    provider: ProviderBehaviour,
    opts: RunOptions = {},
): RunResult {
    const preview = opts.preview === true;
    // The engine mutates the base checkpoint's states in place (the Delete flag: backend/snapshot.go:449-457);
    // working on copies keeps this function pure.
    const base = prev.map(copyResource);
    // Old copies marked for deletion are not candidates for the new registration of their URN
    // (deployment.go:564-569): the live copy is the one the program's goal is compared with.
    const olds = new Map<string, StateResource>();
    for (const r of base) if (!r.delete) olds.set(r.urn, r);

    // The new checkpoint is every state this run produced, then every old state no step retired
    // (backend/snapshot.go:729-741, Snap).
    const news: StateResource[] = [];
    const retired = new Set<StateResource>();
    const steps: Step[] = [];
    const registered = new Set<string>();

    const isTargeted = (urn: string): boolean => opts.target === undefined || opts.target.includes(urn);
    // --replace names it, or `pulumi state taint` marked it (step_generator.go:216-223).
    const isTargetedReplace = (urn: string, old: StateResource): boolean =>
        (opts.replace ?? []).includes(urn) || old.taint === true;

    const finish = (failed?: string): RunResult => {
        // A preview writes no checkpoint.
        const state = preview
            ? prev.map(copyResource)
            : [...news.filter((r) => !retired.has(r)), ...base.filter((r) => !retired.has(r))];
        return failed === undefined ? { steps, state } : { steps, state, failed };
    };

    /** A create (or the create half of a replacement). */
    const create = (
        goal: Goal,
        inputs: Properties,
        op: "create" | "create-replacement",
        keys?: string[],
    ): Outcome & { created?: StateResource } => {
        if (preview) {
            steps.push({ op, urn: goal.urn, inputs, ...(keys ? { keys } : {}) });
            return {};
        }
        const result = provider.create(goal.type, goal.urn, inputs);
        if (result.error !== undefined && !result.id) {
            // A plain failure: the step returns before touching any state (step.go:439-441), and the snapshot
            // records nothing for an unsuccessful create (backend/snapshot.go:443-468, End(successful=false)).
            steps.push({ op, urn: goal.urn, inputs, error: result.error, ...(keys ? { keys } : {}) });
            return { failed: result.error };
        }
        if (result.error === undefined && !result.id) {
            // step.go:448-450
            steps.push({
                op,
                urn: goal.urn,
                inputs,
                error: "provider did not return an ID from Create",
                ...(keys ? { keys } : {}),
            });
            return { failed: "provider did not return an ID from Create" };
        }
        // Success, or a partial failure: an error that carries an ID is an initialization error
        // (pkg/resource/plugin/provider_plugin.go:1477-1484, 2556-2562). The engine keeps the ID and outputs and
        // records the reasons as InitErrors (step.go:383-393, 443-459), and the snapshot counts it as written
        // (engine/update.go:1419-1420, End(err == nil || status == StatusPartialFailure); backend/snapshot.go:458).
        const created: StateResource = {
            urn: goal.urn,
            type: goal.type,
            id: result.id!,
            inputs: clone(inputs),
            outputs: clone(result.outputs ?? {}),
            ...(result.error !== undefined ? { initErrors: [result.error] } : {}),
        };
        news.push(created);
        steps.push({
            op,
            urn: goal.urn,
            id: created.id!,
            inputs,
            ...(keys ? { keys } : {}),
            ...(result.error !== undefined ? { error: result.error } : {}),
        });
        return result.error !== undefined ? { failed: result.error, created } : { outputs: created.outputs, created };
    };

    const deleteOld = (old: StateResource, op: "delete" | "delete-replaced"): Outcome => {
        if (preview) {
            steps.push({ op, urn: old.urn, ...(old.id ? { id: old.id } : {}) });
            return {};
        }
        const result = provider.delete ? provider.delete(old) : {};
        steps.push({
            op,
            urn: old.urn,
            ...(old.id ? { id: old.id } : {}),
            ...(result.error !== undefined ? { error: result.error } : {}),
        });
        return result.error !== undefined ? { failed: result.error } : {};
    };

    const replaceResource = (
        goal: Goal,
        old: StateResource,
        keys: string[],
        providerPrefersDbr: boolean | undefined,
    ): Outcome => {
        // A replacement is created from the program's inputs, checked afresh, whatever ignoreChanges says:
        // `--replace` and taint check goal.Properties with no old inputs (step_generator.go:1321-1332), and a
        // diff-driven replacement re-checks goal.Properties (step_generator.go:2005-2023). ignoreChanges only
        // shapes the diff and in-place updates.
        const inputs = clone(goal.inputs);
        // The program's deleteBeforeReplace overrides the provider's preference (step_generator.go:2044-2047).
        const deleteBeforeReplace = goal.deleteBeforeReplace ?? providerPrefersDbr ?? false;
        if (deleteBeforeReplace) {
            // Delete first, unless an earlier run already did (step_generator.go:2140-2146).
            if (!old.pendingReplacement) {
                const deleted = deleteOld(old, "delete-replaced");
                if (deleted.failed !== undefined) return deleted;
                // The deleted old copy stays in the checkpoint, marked pendingReplacement, until its replacement
                // exists (step.go:767-784; backend/snapshot.go:532-534 keeps it).
                if (!preview) old.pendingReplacement = true;
            }
            steps.push({ op: "replace", urn: goal.urn, keys });
            const made = create(goal, inputs, "create-replacement", keys);
            // Any written create retires the pending-replacement copy, partial ones included
            // (backend/snapshot.go:460-464).
            if (made.created) retired.add(old);
            return made;
        }
        // Create-before-delete: create, then the logical replace; the old copy is deleted after every
        // registration has been stepped (step_generator.go:2157-2163).
        const made = create(goal, inputs, "create-replacement", keys);
        if (made.created) {
            // The old copy is marked Delete as soon as the create is written, even when it was a partial
            // failure: the marking (step.go:467-473) precedes the error return (step.go:477-481).
            old.delete = true;
        }
        if (made.failed !== undefined) return made;
        steps.push({ op: "replace", urn: goal.urn, keys });
        return made;
    };

    const update = (
        goal: Goal,
        old: StateResource,
        inputs: Properties,
        changed: string[],
        initErrorRetry: boolean,
    ): Outcome => {
        if (preview) {
            steps.push({
                op: "update",
                urn: goal.urn,
                id: old.id!,
                inputs,
                ...(initErrorRetry ? { initErrorRetry } : {}),
            });
            return {};
        }
        const result = provider.update
            ? provider.update(old, inputs, changed)
            : { outputs: { ...old.outputs, ...inputs } };
        const step: Step = {
            op: "update",
            urn: goal.urn,
            id: old.id!,
            inputs,
            ...(initErrorRetry ? { initErrorRetry } : {}),
        };
        if (result.error !== undefined && result.outputs === undefined) {
            // A plain failure leaves the old state as it was (step.go:1086-1088; backend/snapshot.go:487-498).
            steps.push({ ...step, error: result.error });
            return { failed: result.error };
        }
        // The new state starts from the goal, which carries no InitErrors (step_generator.go:819), so a
        // successful update clears the old ones; a partial update keeps the old inputs with the new outputs
        // (engine/update.go:1404-1413) and records its own reasons (step.go:1030-1039).
        const updated: StateResource = {
            urn: goal.urn,
            type: goal.type,
            id: old.id!,
            inputs: clone(result.error !== undefined ? old.inputs : inputs),
            outputs: clone(result.outputs ?? {}),
            ...(result.error !== undefined ? { initErrors: [result.error] } : {}),
        };
        retired.add(old);
        news.push(updated);
        steps.push(result.error !== undefined ? { ...step, error: result.error } : step);
        return result.error !== undefined ? { failed: result.error } : { outputs: updated.outputs };
    };

    const same = (goal: Goal, old: StateResource, inputs: Properties): Outcome => {
        // A same step keeps the old ID and outputs (step.go:177-179) on a state built from the goal, so with no
        // taint or init errors (step_generator.go:806-819); the snapshot retires the old state and writes the new
        // one (backend/snapshot.go:397-408).
        const kept: StateResource = {
            urn: goal.urn,
            type: goal.type,
            id: old.id!,
            inputs: clone(inputs),
            outputs: clone(old.outputs),
        };
        steps.push({ op: "same", urn: goal.urn, id: old.id! });
        retired.add(old);
        news.push(kept);
        return { outputs: kept.outputs };
    };

    const stepExisting = (goal: Goal, old: StateResource): Outcome => {
        if (!isTargeted(goal.urn)) {
            // Not targeted: a same step with the old inputs, no Check and no Diff (step_generator.go:1313-1319, 1555).
            return same(goal, old, old.inputs);
        }
        const targetedReplace = isTargetedReplace(goal.urn, old);
        // Ignored paths take their old values before Check and Diff (step_generator.go:1264-1269, 3026-3048).
        const inputs = targetedReplace
            ? clone(goal.inputs)
            : applyIgnoreChanges(goal.inputs, old.inputs, goal.ignoreChanges ?? []);

        let diff: DiffResult;
        if (targetedReplace) {
            // A replace that blames the ID, without asking the provider (step_generator.go:2888-2891).
            diff = { changed: ["id"], replaceKeys: ["id"] };
        } else {
            diff = provider.diff(goal.type, old.inputs, old.outputs, inputs);
        }

        // replaceOnChanges turns changed keys under its paths into replacements, and the old state's
        // initialization errors into a replacement when a path covers "#initerror", which "*" does
        // (step_generator.go:1944-1950, 3118-3208; the SDK documents "*" in sdk/nodejs/resource.ts:788-791).
        const hasInitErrors = (old.initErrors ?? []).length > 0;
        const patterns = goal.replaceOnChanges ?? [];
        const replaceKeys = new Set(diff.replaceKeys);
        for (const key of diff.changed) if (patterns.some((p) => pathCovers(p, key))) replaceKeys.add(key);
        let hasChanges = diff.changed.length > 0 || replaceKeys.size > 0;
        if (hasInitErrors && patterns.some((p) => pathCovers(p, INIT_ERROR_KEY))) {
            replaceKeys.add(INIT_ERROR_KEY);
            hasChanges = true;
        }

        if (hasChanges || old.pendingReplacement) {
            // A pending replacement is always finished by a replacement (step_generator.go:1953-1954).
            if (replaceKeys.size > 0 || old.pendingReplacement) {
                return replaceResource(goal, old, [...replaceKeys], diff.deleteBeforeReplace);
            }
            return update(goal, old, inputs, diff.changed, false);
        }
        if (hasInitErrors) {
            // Nothing changed but the old state has initialization errors: an empty update "continues"
            // awaiting initialization (step_generator.go:2178-2195).
            return update(goal, old, inputs, [], true);
        }
        return same(goal, old, inputs);
    };

    for (const goal of goals) {
        registered.add(goal.urn);
        const old = olds.get(goal.urn);
        let outcome: Outcome;
        if (old) {
            outcome = stepExisting(goal, old);
        } else if (!isTargeted(goal.urn)) {
            // An untargeted create is skipped and never written (step_generator.go:1778-1782;
            // backend/snapshot.go:401-406).
            steps.push({ op: "same", urn: goal.urn });
            outcome = {};
        } else {
            outcome = create(goal, clone(goal.inputs), "create");
        }
        // A failed step cancels the run (step_executor.go:404-431, 459-461): no later step executes
        // (step_executor.go:407-412) and no delete is generated (deployment_executor.go:318-323 returns before
        // performPostSteps).
        if (outcome.failed !== undefined) return finish(outcome.failed);
        // An exception in the program fails the source; the executor cancels the same way
        // (deployment_executor.go:296-303).
        if (outcome.outputs !== undefined && goal.checkOutputs) {
            const thrown = goal.checkOutputs(outcome.outputs);
            if (thrown !== undefined) return finish(`program: ${thrown}`);
        }
    }

    // Only after every registration: old copies marked Delete, and old resources the program no longer
    // registers, are deleted (deployment_executor.go:329-332, 446-499; step_generator.go:2326-2432). Pending
    // deletes are not run first (they were until pulumi/pulumi a3128e50be, 2022-10-14). The engine orders
    // deletes by the dependency graph (step_generator.go:2745); the model uses reverse checkpoint order.
    for (const r of [...base].reverse()) {
        if (!isTargeted(r.urn)) continue;
        if (r.delete) {
            const deleted = deleteOld(r, "delete-replaced");
            if (deleted.failed !== undefined) return finish(deleted.failed);
            if (!preview) retired.add(r);
        } else if (!registered.has(r.urn) && !retired.has(r)) {
            if (r.pendingReplacement) {
                // Already deleted; only the checkpoint entry goes (backend/snapshot.go:618-627).
                steps.push({ op: "remove-pending-replace", urn: r.urn });
                if (!preview) retired.add(r);
            } else {
                const deleted = deleteOld(r, "delete");
                if (deleted.failed !== undefined) return finish(deleted.failed);
                if (!preview) retired.add(r);
            }
        }
    }
    return finish();
}

function copyResource(r: StateResource): StateResource {
    return clone(r);
}
