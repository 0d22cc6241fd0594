/**
 * npm run <task> [-- <arguments>]: the project's tool commands (build, typecheck, test, test:*, lint, format), each a
 * row of TASKS: what it does, the commands it runs in order (argv arrays, no shell), which of them receives the
 * arguments given after `--` and which of those are useful, and examples. `--help` explains a task and runs nothing.
 * The first command that fails ends the task with its exit code, or with the signal that ended it.
 * test/lintEscapes.test.ts pins the gate's commands here word for word: CI runs `npm run lint` and `npm test`.
 */
import { spawn } from "child_process";
import * as os from "os";
import * as path from "path";
import { ArgumentSpec, commandLine, CommandLineSpec, Example } from "./lib/commandLine";
import { REPO_ROOT } from "./lib/stackFiles";
import { runCli } from "./lib/cli";

/** The programs a task may run, each from node_modules/.bin. */
type Program = "tsc" | "mocha" | "prettier" | "eslint";

export interface Step {
    readonly program: Program;
    readonly args: readonly string[];
    /** This step receives the arguments given after `--`; the useful ones. At most one step of a task has it. */
    readonly passOn?: readonly ArgumentSpec[];
}

export interface Task {
    /** What the task does, in one line of its help. */
    readonly summary: string;
    /** What else the help should say: when to use it, what it needs. */
    readonly details?: string;
    readonly steps: readonly [Step, ...Step[]];
    readonly examples: readonly [Example, ...Example[]];
}

/** Arguments mocha takes that are useful on a test task (mocha 11.8.0 `mocha --help`). */
const MOCHA_ARGUMENTS: readonly ArgumentSpec[] = [
    { name: "--grep <pattern>", description: "Run only the tests whose full title matches (a regexp)." },
    { name: "--invert", description: "With --grep: run only the tests that do not match." },
    { name: "--bail", description: "Stop at the first failing test." },
    { name: "--reporter dot", description: "One dot per test instead of the spec tree." },
    { name: "--dry-run", description: "List the tests without running them." },
];
/** For one file, mocha is run directly: a file named to a task would run beside the task's whole glob. */
const ONE_FILE = "To run one file instead: `npx mocha test/<file>.test.ts`.";

/** Arguments tsc takes that are useful on a task that compiles (tsc 5.9 `tsc --help`). */
const TSC_ARGUMENTS: readonly ArgumentSpec[] = [
    { name: "--watch", description: "Compile again on every change, until interrupted." },
    { name: "--pretty false", description: "Plain messages, one per line, for a log or an editor." },
];

const UNIT_IGNORES = ["stack", "servers", "ssh", "real"].flatMap((kind) => ["--ignore", `test/**/*.${kind}.test.ts`]);

/** A test task: mocha over the files of one kind, with mocha's arguments passed on. */
function mochaOver(files: string, ...args: string[]): Step {
    return { program: "mocha", args: [files, ...args], passOn: MOCHA_ARGUMENTS };
}

export const TASKS: Readonly<Record<string, Task>> = {
    build: {
        summary: "compile the TypeScript to bin/ (Pulumi itself runs index.ts directly)",
        steps: [{ program: "tsc", args: ["-p", "."], passOn: TSC_ARGUMENTS }],
        examples: [{ command: "npm run build", what: "Compile everything with tsconfig.json." }],
    },
    typecheck: {
        summary: "type-check every TypeScript file, writing nothing",
        steps: [{ program: "tsc", args: ["--noEmit", "-p", "."], passOn: TSC_ARGUMENTS }],
        examples: [{ command: "npm run typecheck -- --watch", what: "Type-check again on every change." }],
    },
    test: {
        summary: "type-check, then run every test file of every kind, as CI does",
        details:
            "The suites are told apart by their files' names; the other test tasks run one kind each. The servers, " +
            "ssh and engine kinds need the Debian packages .ci/run installs, some of them root. " +
            ONE_FILE,
        steps: [{ program: "tsc", args: ["--noEmit", "-p", "."] }, mochaOver("test/**/*.test.ts")],
        examples: [
            { command: "npm test", what: "Everything CI runs after `npm run lint`." },
            { command: "npm test -- --grep policy --bail", what: "Only tests with policy in their title." },
        ],
    },
    "test:unit": {
        summary: "run every test file but the stack, servers, ssh and engine kinds: Node only",
        details:
            "Leaves out *.stack.test.ts, *.servers.test.ts, *.ssh.test.ts and *.real.test.ts: what remains is the " +
            "renderers, the config, each component and tier under the SDK's mocks, and the checks of the docs and " +
            `the source tree. ${ONE_FILE}`,
        steps: [mochaOver("test/**/*.test.ts", ...UNIT_IGNORES)],
        examples: [{ command: "npm run test:unit -- --grep docs", what: "Only the unit tests about the docs." }],
    },
    "test:stacks": {
        summary: "build every shipped stack and its variants whole under mocks",
        details: `Nothing but Node; a few minutes. ${ONE_FILE}`,
        steps: [mochaOver("test/**/*.stack.test.ts")],
        examples: [{ command: "npm run test:stacks -- --reporter dot", what: "The stack tests, one dot each." }],
    },
    "test:servers": {
        summary: "run the generated files through real tools and servers on 127.0.0.1",
        details: `Needs the Debian packages .ci/run installs; some tests run only as root. ${ONE_FILE}`,
        steps: [mochaOver("test/**/*.servers.test.ts")],
        examples: [{ command: "npm run test:servers -- --grep PgBouncer", what: "Only the PgBouncer tests." }],
    },
    "test:ssh": {
        summary: "run the operator scripts against a throwaway sshd on 127.0.0.1 (*.ssh.test.ts)",
        details: `Needs root, openssh-server, openssh-client and busybox-static. ${ONE_FILE}`,
        steps: [mochaOver("test/**/*.ssh.test.ts")],
        examples: [{ command: "npm run test:ssh -- --bail", what: "The ssh tests, up to the first failure." }],
    },
    "test:engine": {
        summary: "apply every stack's containers to a running Docker daemon (*.real.test.ts)",
        details:
            "Skips without a daemon, unless FRESHTRACK_ENGINE_TESTS=required, as in CI; .ci/run starts the " +
            `daemon with the bootstrap's daemon.json. ${ONE_FILE}`,
        steps: [mochaOver("test/**/*.real.test.ts")],
        examples: [{ command: "npm run test:engine -- --dry-run", what: "List the engine tests." }],
    },
    lint: {
        summary: "check the layout with prettier and lint the TypeScript with ESLint, as CI does first",
        details:
            "Every file prettier reads must be in its layout (120 columns), and ESLint must report no error and no " +
            "warning. It takes no arguments: to check some files only, run `npx prettier --check <files>` and " +
            "`npx eslint <files>`; `npm run format` fixes what can be fixed.",
        steps: [
            { program: "prettier", args: ["--check", "."] },
            { program: "eslint", args: ["--max-warnings", "0", "."] },
        ],
        examples: [{ command: "npm run lint", what: "The lint gate, as .ci/run runs it." }],
    },
    format: {
        summary: "rewrite every file in prettier's layout, then apply ESLint's automatic fixes",
        details:
            "It changes files in place. It takes no arguments: for some files only, run " +
            "`npx prettier --write <files>` and `npx eslint --fix <files>`.",
        steps: [
            { program: "prettier", args: ["--write", "."] },
            { program: "eslint", args: ["--fix", "."] },
        ],
        examples: [{ command: "npm run format", what: "Format everything, then check with `npm run lint`." }],
    },
};

/** One line of a command as the help shows it: the globs quoted, as a shell would need them. */
function shown(step: Step): string {
    return [step.program, ...step.args.map((a) => (/[*?]/.test(a) ? `'${a}'` : a))].join(" ");
}

/** A task's command line, read by commandLine and explained by --help (test/scriptsHelp.servers.test.ts reads it). */
export function taskCommandLine(task: Task): CommandLineSpec {
    const receiver = task.steps.find((s) => s.passOn);
    const mocha = task.steps.some((s) => s.program === "mocha");
    return {
        summary: task.summary,
        ...(task.details ? { details: [task.details] } : {}),
        runs: task.steps.map((s) => `${shown(s)}${s === receiver ? ` <${s.program} arguments>` : ""}`),
        ...(receiver ? { passOn: { program: receiver.program, useful: receiver.passOn! } } : {}),
        exitCodes: [
            ["0", "every command succeeded"],
            [
                "1-255",
                `the exit code of the command that failed${mocha ? " (mocha's: how many tests failed, at most 255)" : ""}`,
            ],
            [
                "2",
                `also: ${receiver ? "" : "an argument given (the task takes none), or "}a command that could not start`,
            ],
            ["signal", "a command ended by a signal ends the task by the same signal"],
        ],
        examples: task.examples,
    };
}

/**
 * Starts each program, spelt out one by one: test/boundariesProcesses.test.ts reads every program a file may start
 * from the literal each call gives. The local binaries come first on PATH, as npm puts them when it runs a script:
 * Node looks the command up on `options.env.PATH` when `env` is given (@types/node 20.19.43 child_process.d.ts:30-34).
 */
const STARTERS: Readonly<Record<Program, (args: readonly string[]) => Promise<number>>> = {
    tsc: (args) => start("tsc", args),
    mocha: (args) => start("mocha", args),
    prettier: (args) => start("prettier", args),
    eslint: (args) => start("eslint", args),
};

/** Signals a terminal or a supervisor sends to stop the task: passed on to the command running. */
const PASSED_ON = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Runs one program with the terminal, and resolves to its exit code. When a signal ends it, this process ends by the
 * same signal, so that npm and the shell see what happened.
 */
function start(program: string, args: readonly string[]): Promise<number> {
    const bin = path.join(REPO_ROOT, "node_modules", ".bin");
    const child = spawn(program, [...args], {
        cwd: REPO_ROOT,
        stdio: "inherit",
        env: { ...process.env, PATH: [bin, process.env.PATH].filter(Boolean).join(path.delimiter) },
    });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    for (const signal of PASSED_ON) process.on(signal, forward);
    return new Promise((resolve) => {
        const done = (code: number) => {
            for (const signal of PASSED_ON) process.off(signal, forward);
            resolve(code);
        };
        child.on("error", (err) => {
            console.error(`tasks: could not start ${program} (${err.message}); run npm ci first`);
            done(2);
        });
        child.on("exit", (code, signal) => {
            if (signal) {
                for (const s of PASSED_ON) process.off(s, forward);
                process.kill(process.pid, signal);
                // If the signal is ignored here, the shell's convention for it.
                done(128 + (os.constants.signals[signal] ?? 0));
            } else done(code ?? 1);
        });
    });
}

async function main(argv: readonly string[]): Promise<number> {
    const [name, ...rest] = argv;
    const task = name !== undefined && Object.hasOwn(TASKS, name) ? TASKS[name] : undefined;
    if (name === undefined || task === undefined) {
        console.error(`tasks: no task '${name ?? ""}'; the tasks are ${Object.keys(TASKS).join(", ")}`);
        return 2;
    }
    // A task with no step to pass arguments on to takes none: its spec has no passOn, so parsing refuses them.
    const line = commandLine(name, rest, taskCommandLine(task));
    if ("exitCode" in line) return line.exitCode;
    for (const step of task.steps) {
        const code = await STARTERS[step.program](step.passOn ? [...step.args, ...line.extra] : step.args);
        if (code !== 0) return code;
    }
    return 0;
}

if (require.main === module) runCli("tasks", main);
