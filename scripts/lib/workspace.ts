/**
 * The one way the operator scripts reach a deployed stack: the Pulumi Automation API (@pulumi/pulumi/automation),
 * over the project in the repository root. It selects stacks, reads their outputs, config, update history and state,
 * and runs `up` and `preview`. No script runs the `pulumi` CLI itself; the Automation API does, as a child process
 * (automation/cmd.js:71-81 finds it on PATH with `pulumi version`, 140-157 runs every command non-interactively), so a
 * missing CLI, a backend not logged in or a passphrase not set still fail here, each with one line.
 *
 * `up` and `preview` always carry the policy pack and the pack config of the stack's environment
 * (scripts/lib/policyRun.ts, policyUpOptions): the Automation API's Stack never leaves this module, and the options
 * the scripts may pass leave out the pack, its config, an inline program and another config file, which are filled in
 * here, last, on every call. The one config value a script may change is the app version (rollback's): a script
 * cannot set freshtrack:environment, or anything else that would choose another pack config, before an update.
 */
import {
    ConfigMap,
    Deployment,
    LocalWorkspace,
    PreviewOptions,
    PulumiCommand,
    PreviewResult,
    Stack,
    UpdateSummary,
    UpOptions,
    UpResult,
} from "@pulumi/pulumi/automation";
import { SemVer } from "semver";
import { isMissingCli, pulumiFailure } from "./cli";
import { checkPinnedTag } from "../../components/validation";
import { MIN_PULUMI_CLI_VERSION } from "../../components/config";
import { forkInstant } from "../../components/config/nestedFields";
import type { ForkConfigSetting } from "../../components/platform/managedDatabase";
import { policyUpOptions } from "./policyRun";
import { REPO_ROOT } from "./stackFiles";

/**
 * Options this module sets itself: the pack and its config (UpOptions, PreviewOptions: automation/stack.d.ts:573-577,
 * 670-674), and nothing that would run another program (`program`, :613, :698) or read another config file than the
 * stack's, from which the environment and so the pack config were chosen (`configFile`, GlobalOpts).
 */
type SetHere = "policyPacks" | "policyPackConfigs" | "program" | "configFile";
/**
 * What a script may pass to `up`: the options its preview takes as well (both in automation/stack.d.ts), so the
 * preview `up` runs first sees the same update; refresh, exclude and the like, which the scripts do not use, are left
 * out rather than previewed differently.
 */
export type StackUpOptions = Pick<
    UpOptions,
    "onOutput" | "replace" | "target" | "targetDependents" | "parallel" | "color" | "message"
>;
export type StackPreviewOptions = Omit<PreviewOptions, SetHere>;

/** A stack selected in the repository's project, with what the operator scripts do with it. */
export interface OperatorStack {
    readonly name: string;
    /** Its outputs as plain values; secret ones read "[secret]" unless `showSecrets`. Throws a StackReadError. */
    outputs(opts: { showSecrets: boolean }): Promise<Record<string, unknown>>;
    /** Its config, secrets decrypted (`pulumi config --show-secrets --json`). Throws a StackReadError. */
    config(): Promise<ConfigMap>;
    /**
     * Sets freshtrack:appVersion in Pulumi.<stack>.yaml, the only config a script changes (rollback). A version the
     * program would refuse (checkPinnedTag, the check components/config/schema.ts declares for the key) is
     * refused here, before the file changes.
     */
    setAppVersion(version: string): Promise<void>;
    /**
     * Sets freshtrack:database.fork.at or .use (the restore of a managed PostgreSQL, forkSettings and forkUseSetting in
     * components/platform/managedDatabase.ts), refused here unless the value is one the program reads: a fork time
     * (forkInstant) or true. Nothing else of the stack's config, and never freshtrack:environment, which picks the
     * policy pack's config.
     */
    setDatabaseFork(setting: ForkConfigSetting): Promise<void>;
    /** The newest `pageSize` entries of its update history, newest first. Throws a StackReadError. */
    history(pageSize: number): Promise<UpdateSummary[]>;
    /** Its state, secrets in plaintext (`pulumi stack export --show-secrets`). Throws a StackReadError. */
    exportState(): Promise<Deployment>;
    /**
     * `pulumi up`, always with the policy pack and the pack config of the stack's environment, after a preview with the
     * same pack and options: a mandatory violation stops it before anything changes, as the CLI's `pulumi up` does.
     * A failed preview throws a PreviewRefused; a failed update, the Automation API's error.
     */
    up(opts?: StackUpOptions): Promise<UpResult>;
    /** `pulumi preview`, always with the policy pack and the pack config of the stack's environment. */
    preview(opts?: StackPreviewOptions): Promise<PreviewResult>;
}

/**
 * `up`'s preview failed, so the update did not start and nothing changed: a mandatory policy violation, a program
 * error, a provider refusing the plan. The message is the CLI's one-line reason; the preview's own output, streamed
 * to onOutput, has the details.
 */
export class PreviewRefused extends Error {
    override readonly name = "PreviewRefused";
    constructor(cause: unknown) {
        super(cliReason(cause), { cause });
    }
}

/** A stack could not be read through the Automation API; the message is one line saying why. */
export class StackReadError extends Error {
    override readonly name = "StackReadError";
    constructor(stack: string, cause: unknown) {
        super(stackReadFailure(stack, cause), { cause });
    }
}

/**
 * The CLI's own reason, from an error the Automation API raised: its "error: ..." line when the message has one (a
 * CommandError's message carries the CLI's stderr), else the first line.
 */
export function cliReason(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    const said = /^\s*(?:stderr:\s*)?(error: .*\S)\s*$/m.exec(message)?.[1];
    return said ?? pulumiFailure(err);
}

/** One line on why a stack could not be read through the Automation API and the Pulumi CLI it runs. */
export function stackReadFailure(stack: string, err: unknown): string {
    // A missing CLI says so itself; otherwise the usual causes are the backend login and the passphrase.
    if (isMissingCli(err)) return pulumiFailure(err);
    // An old CLI is not a login or passphrase problem: say only that (the Automation API's own sentence, cmd.js:243).
    if (/^Minimum version requirement failed\./.test(err instanceof Error ? err.message : ""))
        return pulumiFailure(err);
    return `cannot read stack '${stack}' through the Pulumi CLI (logged in to the stack's backend? PULUMI_CONFIG_PASSPHRASE set?): ${cliReason(err)}`;
}

async function reading<T>(stack: string, read: () => Promise<T>): Promise<T> {
    try {
        return await read();
    } catch (err) {
        throw err instanceof StackReadError ? err : new StackReadError(stack, err);
    }
}

/**
 * Outputs as the scripts read them. The Automation API reads each output's value and whether it is secret
 * (localWorkspace.js:805-824, stackOutputs: `pulumi stack output --json` and again with `--show-secrets`); a secret
 * one is masked here as `pulumi stack output --json` prints it, unless it may be shown.
 */
function plainOutputs(
    outputs: Record<string, { value: unknown; secret: boolean }>,
    showSecrets: boolean,
): Record<string, unknown> {
    return Object.fromEntries(
        Object.entries(outputs).map(([key, o]) => [key, o.secret && !showSecrets ? "[secret]" : o.value]),
    );
}

/** Drops what a caller may not set, even through a cast; this module's own settings follow. */
function withoutSetHere<T extends object>(opts: T): Omit<T, SetHere> {
    const {
        policyPacks: _packs,
        policyPackConfigs: _configs,
        program: _program,
        configFile: _configFile,
        ...rest
    } = opts as T & Partial<Record<SetHere, unknown>>;
    return rest;
}

function operatorStack(stack: string, selected: Stack): OperatorStack {
    return {
        name: stack,
        outputs: ({ showSecrets }) => reading(stack, async () => plainOutputs(await selected.outputs(), showSecrets)),
        config: () => reading(stack, () => selected.getAllConfig()),
        setAppVersion: async (version) => {
            const problem = checkPinnedTag(version);
            if (problem) throw new Error(`freshtrack:appVersion ${JSON.stringify(version)}: expected ${problem}`);
            await selected.setConfig("freshtrack:appVersion", { value: version });
        },
        setDatabaseFork: async (setting) => {
            if (setting.key === "freshtrack:database.fork.at") {
                if (forkInstant(setting.value) === undefined)
                    throw new Error(`freshtrack:database.fork.at ${JSON.stringify(setting.value)}: not a fork time`);
                await selected.setConfig("freshtrack:database.fork.at", { value: setting.value }, true);
            } else if (setting.key === "freshtrack:database.fork.use" && setting.value === "true") {
                await selected.setConfig("freshtrack:database.fork.use", { value: "true" }, true);
            } else {
                throw new Error(`setDatabaseFork: ${setting.key} = ${setting.value} is not a fork setting`);
            }
        },
        // The Automation API asks for the secrets too (stack.js:1206-1222, showSecrets defaults to true) so that each
        // entry's config reads as set; the scripts read only freshtrack:appVersion from it.
        history: (pageSize) => reading(stack, () => selected.history(pageSize)),
        exportState: () => reading(stack, () => selected.exportStack()),
        // The pack options come last, and are read when the update starts: rollback sets the app version just before.
        // A preview runs first, as the CLI's `pulumi up` does unless told --skip-preview (pulumi v3.259.0
        // pkg/backend/apply.go:291): the Automation API's up always skips it (automation/stack.js:179), and the engine
        // runs the stack-wide rules (stack-memory-budget, stack-backups-and-monitoring) only after every step of an
        // update has run (pkg/resource/deploy/deployment_executor.go:405-417), so without the preview a mandatory
        // violation of theirs would fail the update after it had changed everything. A failed preview throws a
        // PreviewRefused, and nothing is changed.
        up: async (opts = {}) => {
            const chosen = withoutSetHere(opts);
            try {
                await selected.preview({ ...chosen, ...policyUpOptions(stack) });
            } catch (err) {
                throw new PreviewRefused(err);
            }
            return selected.up({ ...chosen, ...policyUpOptions(stack) });
        },
        preview: (opts = {}) => selected.preview({ ...withoutSetHere(opts), ...policyUpOptions(stack) }),
    };
}

/**
 * The Pulumi CLI on PATH, refused when older than MIN_PULUMI_CLI_VERSION: PulumiCommand.get runs `pulumi version` and
 * throws "Minimum version requirement failed. The minimum CLI version requirement is ..., your current CLI version is
 * ..." (@pulumi/pulumi 3.270.0 automation/cmd.js:73-80, 231-245), unless PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK is
 * set. A workspace given it runs no version check of its own (localWorkspace.js:85-87).
 */
function pulumiCli(): Promise<PulumiCommand> {
    return PulumiCommand.get({ version: new SemVer(MIN_PULUMI_CLI_VERSION) });
}

/**
 * Selects `stack` of the project in the repository root (LocalWorkspace.selectStack, localWorkspace.js:159-166, runs
 * `pulumi stack select --stack <stack>`, 345-354). Every later command names the stack itself (stack.js:1326-1327,
 * `--stack`), so nothing depends on which stack the CLI has selected. Throws a StackReadError.
 */
export async function selectStack(stack: string): Promise<OperatorStack> {
    const selected = await reading(stack, async () =>
        LocalWorkspace.selectStack({ stackName: stack, workDir: REPO_ROOT }, { pulumiCommand: await pulumiCli() }),
    );
    return operatorStack(stack, selected);
}

/**
 * A deployed stack's outputs, for the scripts that only read them (summary, verify, preflight, and restore and rollback
 * on a remote host). The workspace's stackOutputs names the stack (localWorkspace.js:805-815) without selecting it, so
 * reading leaves the operator's selected stack as it was. Throws a StackReadError.
 */
export async function readStackOutputs(
    stack: string,
    opts: { showSecrets: boolean },
): Promise<Record<string, unknown>> {
    return reading(stack, async () => {
        const workspace = await LocalWorkspace.create({ workDir: REPO_ROOT, pulumiCommand: await pulumiCli() });
        return plainOutputs(await workspace.stackOutputs(stack), opts.showSecrets);
    });
}
