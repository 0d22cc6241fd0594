/**
 * The shapes engineModel.ts works on: a checkpoint's resources as `pulumi stack export` writes them, what the
 * program registers, what the provider answers, and the steps a run takes. Citations are to pulumi/pulumi v3.259.0,
 * with the paths engineModel.ts's header gives.
 */

export type Properties = Record<string, unknown>;

/**
 * One resource of a checkpoint. The field names are those of `pulumi stack export`
 * (apitype/core.go:489-523, ResourceV3), so an export's `deployment.resources` can be passed in as is.
 */
export interface StateResource {
    urn: string;
    type: string;
    id?: string;
    inputs: Properties;
    outputs: Properties;
    /** An old copy kept until its replacement's run ends; deleted then (apitype/core.go:495). */
    delete?: boolean;
    /** Deleted by a delete-before-replace whose create has not succeeded yet (apitype/core.go:523). */
    pendingReplacement?: boolean;
    /** The provider created it (it has an ID) but reported it failed to initialise (apitype/core.go:516). */
    initErrors?: string[];
    /** `pulumi state taint`: the next update replaces it (apitype/core.go:509). */
    taint?: boolean;
}

/** What the program registers for one resource in this run. */
export interface Goal {
    urn: string;
    type: string;
    inputs: Properties;
    deleteBeforeReplace?: boolean;
    ignoreChanges?: string[];
    replaceOnChanges?: string[];
    /**
     * The program's own use of the resource's outputs, e.g. Service's `exitCode.apply` that throws on a
     * failed job. A returned message is an exception in the program: the run fails there.
     */
    checkOutputs?: (outputs: Properties) => string | undefined;
}

export interface DiffResult {
    /** Input keys whose value differs from the checkpoint. */
    changed: string[];
    /** The subset of keys the provider cannot change in place. */
    replaceKeys: string[];
    /** The provider's own preference; the program's deleteBeforeReplace overrides it. */
    deleteBeforeReplace?: boolean;
}

/** An error together with an ID is a partial create: the object exists but failed to initialise. */
export interface CreateResult {
    id?: string;
    outputs?: Properties;
    error?: string;
}

/** An error together with outputs is a partial update; an error alone leaves the old state. */
export interface ProviderUpdateResult {
    outputs?: Properties;
    error?: string;
}

/** What the (bridged) provider does; the engine only ever sees these answers. */
export interface ProviderBehaviour {
    diff(type: string, oldInputs: Properties, oldOutputs: Properties, newInputs: Properties): DiffResult;
    create(type: string, urn: string, inputs: Properties): CreateResult;
    /** Defaults to "outputs are the old outputs with the new inputs laid over them". */
    update?(resource: StateResource, newInputs: Properties, changed: string[]): ProviderUpdateResult;
    /** Defaults to success. */
    delete?(resource: StateResource): { error?: string };
}

/** Operation names as the engine displays them (step.go:2236-2248). */
export type StepOp =
    | "same"
    | "create"
    | "update"
    | "replace"
    | "create-replacement"
    | "delete-replaced"
    | "delete"
    | "remove-pending-replace";

export interface Step {
    op: StepOp;
    urn: string;
    /** The provider ID the step acted on or produced. */
    id?: string;
    /** The inputs sent to the provider (create, create-replacement, update). */
    inputs?: Properties;
    /** Why a replacement happens ("id" for --replace, "#initerror" for replaceOnChanges over init errors). */
    keys?: string[];
    /** An update caused only by the old state's initialization errors (nothing changed). */
    initErrorRetry?: boolean;
    error?: string;
}

export interface RunOptions {
    /** `pulumi up --replace <urn>` (UpOptions.replace). `--target-replace` is `replace` plus `target`. */
    replace?: string[];
    /** `pulumi up --target <urn>`. */
    target?: string[];
    /** `pulumi preview`: steps are planned, the provider never creates, updates or deletes, nothing is written. */
    preview?: boolean;
}

export interface RunResult {
    steps: Step[];
    /** The checkpoint after the run (the previous one, unchanged, for a preview). */
    state: StateResource[];
    /** Set when the run failed: a provider error, or "program: ..." when the program threw. */
    failed?: string;
}
