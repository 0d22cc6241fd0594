/**
 * Stand-ins for the `pulumi` and `docker` commands, written into a directory that goes first on PATH, and the operator
 * scripts run as npm runs them (ts-node, transpile only) against them. Neither a Pulumi backend nor a stack's Docker
 * host can be reached here, so the real scripts and the real Automation API meet these instead: rung 4 without a
 * server. Each stand-in logs every command line it is given, for a test to read back (pulumiCalls, callLines).
 * Shared by test/rollback.test.ts, test/restore.test.ts, test/workspace.servers.test.ts and
 * test/prompts.servers.test.ts. Last, a rendered shell script (the pre-flight's checks) run beside a stand-in `docker`
 * of a test's own: test/appImageCheck.servers.test.ts and test/preflightCpus.servers.test.ts.
 */
import { spawn, spawnSync, SpawnSyncOptions, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./sourceTree";

/**
 * The stand-in pulumi's switches, read from its environment. FAKE_PULUMI_VERSION: what `pulumi version` prints
 * (v3.270.0 when unset). FAKE_PULUMI_FAIL: every command but `version` fails as the CLI does, this message on stderr
 * and status 255. FAKE_PREVIEW_FAIL: `preview` alone fails so. FAKE_UP_FAIL: `up` alone fails so, after its preview
 * succeeded: a failed update, not a refused one. The number is the older CLI's `os.Exit(-1)`; pulumi v3.259.0 exits 1
 * for most failures (pkg/cmd/pulumi/cmd/exit_codes.go:63-127). Neither is read: the Automation API turns any status but
 * 0 into a CommandError with the CLI's stderr in its message (@pulumi/pulumi 3.270.0 automation/cmd.js:186-189).
 */
export const STAND_IN_SWITCHES = [
    "FAKE_PULUMI_FAIL",
    "FAKE_PREVIEW_FAIL",
    "FAKE_UP_FAIL",
    "FAKE_PULUMI_VERSION",
] as const;

/**
 * One config value as `pulumi config --json` prints it: `value` is the text (an object's is its JSON, `objectValue` the
 * object itself), and a secret's value and objectValue are left out unless --show-secrets is given (pulumi v3.259.0
 * pkg/cmd/pulumi/config/config.go:1110-1118, 1211-1236).
 */
export interface StandInConfigValue {
    readonly value: string;
    readonly secret: boolean;
    readonly objectValue?: unknown;
}

export interface StandInPulumi {
    /** The app version of each succeeded update, newest first. @default ["1.4.2", "1.4.1"] */
    readonly appVersions?: readonly string[];
    /** The stack's outputs, the same with or without --show-secrets. */
    readonly outputs?: Readonly<Record<string, unknown>>;
    /** Secret outputs: their value with --show-secrets, "[secret]" without it, as the CLI masks them. */
    readonly secretOutputs?: Readonly<Record<string, string>>;
    /**
     * The stack's config besides freshtrack:appVersion, which starts as the newest update's (the version the stack
     * runs, as its stack file would say). `config set` changes it, and standInConfig reads it back. @default none
     */
    readonly config?: Readonly<Record<string, StandInConfigValue>>;
}

/**
 * One succeeded update per version, newest first, as `pulumi stack history --json` prints them: update n (the oldest
 * is 1) started on 2026-11-(10+n) at 10:00 UTC and took five minutes. The Automation API parses this JSON and turns
 * startTime and endTime into Dates (@pulumi/pulumi 3.270.0 automation/stack.js:1206-1224).
 */
export function updateHistory(appVersions: readonly string[]): object[] {
    return appVersions.map((appVersion, i) => {
        const version = appVersions.length - i;
        const day = `2026-11-${10 + version}`;
        return {
            version,
            kind: "update",
            result: "succeeded",
            startTime: `${day}T10:00:00.000Z`,
            endTime: `${day}T10:05:00.000Z`,
            message: "",
            environment: {},
            config: { "freshtrack:appVersion": { value: appVersion, secret: false } },
        };
    });
}

/** Where the stand-in pulumi in `dir` keeps the stack's config between commands. */
const configFile = (dir: string) => path.join(dir, "pulumi.config.json");

/** The stack's config as the stand-in pulumi in `dir` holds it now, secrets shown: what `config set` left there. */
export function standInConfig(dir: string): Record<string, StandInConfigValue> {
    return JSON.parse(fs.readFileSync(configFile(dir), "utf8")) as Record<string, StandInConfigValue>;
}

/**
 * Writes a stand-in `pulumi` into `dir` that answers what scripts/lib/workspace.ts's Automation API asks the CLI: its
 * version, stack select, the stack's outputs (asked twice, masked and with --show-secrets: @pulumi/pulumi 3.270.0
 * automation/localWorkspace.js:805-823), its history, its config (`config --show-secrets --json`,
 * localWorkspace.js:462), config set (`config set <key> --stack <stack> --plaintext|--secret --non-interactive --
 * <value>`, localWorkspace.js:480-486), preview and up. The config is kept in a file of `dir`, so what a script sets
 * is what it reads next. Anything else fails with "unexpected", so a script that starts asking something new is
 * seen. Each command line is logged as JSON to `<dir>/pulumi.calls`; see STAND_IN_SWITCHES for its failures.
 */
export function writeStandInPulumi(dir: string, answers: StandInPulumi = {}): void {
    const secrets = answers.secretOutputs ?? {};
    const masked = { ...answers.outputs, ...Object.fromEntries(Object.keys(secrets).map((k) => [k, "[secret]"])) };
    const shown = { ...answers.outputs, ...secrets };
    const appVersions = answers.appVersions ?? ["1.4.2", "1.4.1"];
    const history = updateHistory(appVersions);
    const running = appVersions[0];
    fs.writeFileSync(
        configFile(dir),
        JSON.stringify({
            ...(running !== undefined ? { "freshtrack:appVersion": { value: running, secret: false } } : {}),
            ...answers.config,
        }),
    );
    const text = (value: unknown) => JSON.stringify(JSON.stringify(value));
    fs.writeFileSync(
        path.join(dir, "pulumi"),
        [
            "#!/usr/bin/env node",
            'const fs = require("fs");',
            "const args = process.argv.slice(2);",
            `fs.appendFileSync(${JSON.stringify(path.join(dir, "pulumi.calls"))}, JSON.stringify(args) + "\\n");`,
            "const is = (...words) => words.every((w, i) => args[i] === w);",
            `const configFile = ${JSON.stringify(configFile(dir))};`,
            'const readConfig = () => JSON.parse(fs.readFileSync(configFile, "utf8"));',
            "const out = (text) => { process.stdout.write(text); process.exit(0); };",
            'const fail = (message) => { process.stderr.write(message + "\\n"); process.exit(255); };',
            'if (is("version")) out((process.env.FAKE_PULUMI_VERSION || "v3.270.0") + "\\n");',
            "if (process.env.FAKE_PULUMI_FAIL) fail(process.env.FAKE_PULUMI_FAIL);",
            'if (is("stack", "select")) out("");',
            `if (is("stack", "output")) out(args.includes("--show-secrets") ? ${text(shown)} : ${text(masked)});`,
            `if (is("stack", "history")) out(${text(history)});`,
            // The value is the one word after "--"; a secret is stored as such, and masked as the CLI masks it below.
            'if (is("config", "set") && args.includes("--")) {',
            "    const config = readConfig();",
            '    config[args[2]] = { value: args[args.indexOf("--") + 1], secret: args.includes("--secret") };',
            "    fs.writeFileSync(configFile, JSON.stringify(config));",
            '    out("");',
            "}",
            'if (is("config") && args.includes("--json") && /^--/.test(args[1])) {',
            '    const shown = args.includes("--show-secrets");',
            "    const entries = Object.entries(readConfig());",
            "    const listed = entries.map(([k, v]) => [k, v.secret && !shown ? { secret: true } : v]);",
            "    out(JSON.stringify(Object.fromEntries(listed)));",
            "}",
            'if (is("preview") && process.env.FAKE_PREVIEW_FAIL) fail(process.env.FAKE_PREVIEW_FAIL);',
            'if (is("up") && process.env.FAKE_UP_FAIL) fail(process.env.FAKE_UP_FAIL);',
            'if (is("up") || is("preview")) out("done\\n");',
            'process.stderr.write("stand-in pulumi: unexpected " + args.join(" ") + "\\n");',
            "process.exit(1);",
            "",
        ].join("\n"),
        { mode: 0o755 },
    );
}

export interface StandInDocker {
    /** The id `docker ps` gives for the stack's backup container. @default "c0ffee" */
    readonly container?: string;
    /** What the backup container's backup directory lists, newest first (full paths). @default none */
    readonly dumps?: readonly string[];
    /**
     * A directory standing for the backup container's files: `exec --user <user> <id> sh -c <script> <name> <args>`
     * (scripts/lib/drillReport.ts reads the drills' summaries so) runs the script here with this machine's sh, each
     * argument that is an absolute path moved under this directory. @default none: such an exec is any other exec
     */
    readonly root?: string;
}

/** A word quoted for sh; a test fixture with a quote in it is a mistake in the test. */
function shellWord(word: string): string {
    if (word.includes("'")) throw new Error(`stand-in docker: no quotes in ${word}`);
    return `'${word}'`;
}

/**
 * Writes a stand-in `docker` into `dir` for the stack's backup container as scripts/rollback.ts and scripts/restore.ts
 * use it (scripts/lib/hostDocker.ts): `ps` finds it; freshtrack-backup says which dump it wrote; freshtrack-restore
 * restores; `exec -i` (the export script, a file written in the container) takes its stdin; any other `exec` (the
 * backup listing) prints the dumps. With `root`, an exec as a user of a `sh -c` script runs it on the files there
 * (scripts/summary.ts). Each command line is logged to `<dir>/docker.calls`.
 */
export function writeStandInDocker(dir: string, container: StandInDocker = {}): void {
    const dumps = container.dumps ?? [];
    fs.writeFileSync(
        path.join(dir, "docker"),
        [
            "#!/bin/sh",
            `printf '%s\\n' "$*" >> ${shellWord(path.join(dir, "docker.calls"))}`,
            ...(container.root === undefined
                ? []
                : [
                      'if [ "$1" = exec ] && [ "$2" = --user ] && [ "$5" = sh ] && [ "$6" = -c ]; then',
                      "  script=$7 && shift 7",
                      `  for a; do shift; case $a in /*) set -- "$@" ${shellWord(container.root)}"$a" ;; *) set -- "$@" "$a" ;; esac; done`,
                      '  exec sh -c "$script" "$@"',
                      "fi",
                  ]),
            'case "$*" in',
            `  ps*) echo ${shellWord(container.container ?? "c0ffee")} ;;`,
            "  *freshtrack-backup*) echo 'backup written: /backups/postgres/freshtrack-pre-rollback-1.dump' ;;",
            "  *freshtrack-restore*) echo restored ;;",
            '  "exec -i "*) cat > /dev/null ;;',
            `  exec*) ${dumps.length ? `printf '%s\\n' ${dumps.map(shellWord).join(" ")}` : ":"} ;;`,
            "esac",
            "",
        ].join("\n"),
        { mode: 0o755 },
    );
}

/** The command lines the stand-in pulumi in `dir` was given, in order, each as its arguments. */
export function pulumiCalls(dir: string): string[][] {
    const file = path.join(dir, "pulumi.calls");
    if (!fs.existsSync(file)) return [];
    return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as string[]);
}

/** The command lines a stand-in in `dir` was given, in order, each its arguments joined by spaces (sh's "$*"). */
export function callLines(dir: string, tool: "pulumi" | "docker"): string[] {
    if (tool === "pulumi") return pulumiCalls(dir).map((args) => args.join(" "));
    const file = path.join(dir, "docker.calls");
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/** PATH with the stand-ins of `dir` first and, after them, node alone: no real pulumi or docker can answer. */
export function standInPath(dir: string): string {
    return `${dir}${path.delimiter}${path.dirname(process.execPath)}`;
}

export interface ScriptRun {
    /** More environment: the stand-in pulumi's switches (STAND_IN_SWITCHES). */
    readonly env?: Readonly<Record<string, string>>;
    /** The script's stdin: this text, or stdio as spawnSync takes it. @default an empty pipe */
    readonly stdin?: string | SpawnSyncOptions["stdio"];
    /** This machine's PATH after the stand-ins instead of node alone, for the real OpenSSH client. */
    readonly machinePath?: boolean;
}

/** The node arguments and environment that run `script` as npm runs it, beside the stand-ins of `dir`. */
function scriptProcess(
    dir: string,
    script: string,
    args: readonly string[],
    run: Omit<ScriptRun, "stdin">,
): { argv: string[]; env: NodeJS.ProcessEnv } {
    const PATH = run.machinePath ? `${dir}${path.delimiter}${process.env.PATH ?? ""}` : standInPath(dir);
    return {
        argv: [path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js"), "--transpile-only", script, ...args],
        env: { ...process.env, ...run.env, PATH, HOME: dir },
    };
}

/**
 * Runs an operator script (`scripts/<name>.ts`) from the repository root as npm runs it, with the stand-ins of `dir`
 * first on PATH and `dir` as HOME, so nothing of this machine's user is read.
 */
export function runScript(
    dir: string,
    script: string,
    args: readonly string[],
    run: ScriptRun = {},
): SpawnSyncReturns<string> {
    const { argv, env } = scriptProcess(dir, script, args, run);
    const io = typeof run.stdin === "string" ? { input: run.stdin } : run.stdin ? { stdio: run.stdin } : {};
    return spawnSync(process.execPath, argv, { cwd: ROOT, encoding: "utf8", env, timeout: 100_000, ...io });
}

/** How a script run by runScriptAsync ended. */
export interface ScriptResult {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/**
 * runScript without blocking this process: for a test whose own server (a webhook receiver on 127.0.0.1) must answer
 * the script while it runs, which spawnSync would hold up until the script gave up on it. Stdin is an empty pipe.
 */
export function runScriptAsync(
    dir: string,
    script: string,
    args: readonly string[],
    run: Omit<ScriptRun, "stdin"> = {},
): Promise<ScriptResult> {
    const { argv, env } = scriptProcess(dir, script, args, run);
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, argv, { cwd: ROOT, env, timeout: 100_000 });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
        child.stdin.end();
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}

/** What a shell script did beside a stand-in `docker`: its exit, its output, and each call the stand-in received. */
export interface StandInDockerRun {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    /** Each call, its arguments on one line, as the stand-in logged them to $STANDIN_LOG. */
    readonly calls: string[];
}

/**
 * Runs a rendered script with `sh -s`, `docker` (the text of a stand-in that logs each call to $STANDIN_LOG) first on
 * PATH, in a scratch directory removed afterwards. The script sees PATH, STANDIN_LOG and what `env` gives for that
 * directory, nothing else of this process's environment.
 */
export function runWithStandInDocker(
    script: string,
    docker: string,
    env: (dir: string) => Readonly<Record<string, string>> = () => ({}),
): StandInDockerRun {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-standin-docker-"));
    try {
        fs.writeFileSync(path.join(dir, "docker"), docker, { mode: 0o755 });
        const log = path.join(dir, "calls.log");
        fs.writeFileSync(log, "");
        const result = spawnSync("sh", ["-s"], {
            input: script,
            encoding: "utf8",
            env: { PATH: `${dir}:${process.env.PATH}`, STANDIN_LOG: log, ...env(dir) },
        });
        const calls = fs.readFileSync(log, "utf8").split("\n").filter(Boolean);
        return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
