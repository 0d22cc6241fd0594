/**
 * Mocked runs of the whole program shared by every suite of a test process (mocha loads all the files of `npm test`
 * into one): a run is the same for every caller that gives the same settings and options, so it is made once, by the
 * first suite that asks, instead of once per test. A run takes about two seconds of CPU; before the suites shared
 * them, `npm run test:stacks` made 238 runs, 68 of them of the shipped prod as it ships.
 *
 * Only a test that reads what a run registered may take a shared one. A test must run the program itself when it
 * compares two runs of the same settings (a second `up`, determinism: both runs must really happen), when it changes
 * something the program reads besides its settings (a module's table, an environment variable, the SSH directory)
 * around the run, or when it records what the program does while running in a way a shared run does not (the config
 * it reads). What a shared run printed is kept with it (`logged`), so the log checks can take one. The registrations
 * and the lines are frozen, so a test that changed them for the next would fail where it writes.
 */
import { deployStack } from "../components/stack";
import { MockOptions, MockRun, RegisteredResource, runUnderMocks } from "../scripts/lib/mockRun";
import { loadStackSettings, StackSettings } from "../scripts/lib/stackFiles";
import { URN_VARIANTS } from "./urnVariants";

/** What deployStack returns, with what the mocked run saw. */
export type StackRun = MockRun<ReturnType<typeof deployStack>> & {
    /** Every console line the run printed but the warnings and infos mockRun keeps itself (recordingConsole). */
    readonly logged: readonly string[];
};

const runs = new Map<string, Promise<StackRun>>();

function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
}

const CONSOLE_METHODS = ["log", "info", "debug", "warn", "error"] as const;

/**
 * Runs `run` with every line it prints through the console recorded: what `pulumi preview` and `pulumi up` would
 * print while the program runs, since the SDK, given no engine, writes its log lines to the console as
 * "<level>: [runtime] <message>" (@pulumi/pulumi 3.270.0 log/index.js:43-97). Those lines are kept quiet; any other
 * line still shows, as it would have without the recording.
 */
export async function recordingConsole<T>(run: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
    const lines: string[] = [];
    const saved = CONSOLE_METHODS.map((m) => [m, console[m]] as const);
    for (const [m, pass] of saved) {
        console[m] = (...args: unknown[]): void => {
            const text = args.map(String).join(" ");
            lines.push(text);
            if (!/^(debug|info|warning|error): \[runtime\]/.test(text)) pass(...args);
        };
    }
    try {
        return { value: await run(), lines };
    } finally {
        for (const [m, pass] of saved) console[m] = pass;
    }
}

/** Equal settings give equal keys whatever order their config keys and secret keys were set in. */
function keyOf(settings: StackSettings, opts: MockOptions): string {
    const config = Object.keys(settings.config)
        .sort()
        .map((k) => [k, settings.config[k]]);
    return JSON.stringify([settings.stack, config, [...new Set(settings.secretKeys)].sort(), opts]);
}

/**
 * deployStack run under the mocks with `settings` (and `opts`, as runUnderMocks takes them), once per process for
 * equal settings. The run's `result` (deployStack's outputs, resolved by then) is the one object every caller shares;
 * read it, never change it.
 */
export function sharedRun(settings: StackSettings, opts: MockOptions = {}): Promise<StackRun> {
    const key = keyOf(settings, opts);
    let run = runs.get(key);
    if (run === undefined) {
        run = recordingConsole(() => runUnderMocks(settings, deployStack, opts)).then(({ value, lines }) => {
            deepFreeze(value.resources);
            Object.freeze(value.warnings);
            Object.freeze(value.infos);
            return Object.freeze({ ...value, logged: Object.freeze(lines) });
        });
        runs.set(key, run);
    }
    return run;
}

/** A shipped stack as its Pulumi.<stack>.yaml sets it: what runStack(stack, deployStack) returns, run once. */
export function shippedRun(stack: string): Promise<StackRun> {
    return sharedRun(loadStackSettings(stack));
}

/** Every registration of the program run under the mocks with the variant's settings (URN_VARIANTS[variant]). */
export async function variantResources(variant: string): Promise<RegisteredResource[]> {
    const settingsOf = URN_VARIANTS[variant];
    if (settingsOf === undefined) throw new Error(`no variant ${JSON.stringify(variant)} in test/urnVariants.ts`);
    return (await sharedRun(settingsOf())).resources;
}
