/**
 * Stand-ins for the `pulumi` and `docker` commands, written into a directory that goes first on PATH, and the operator
 * scripts run as npm runs them (ts-node, transpile only) against them. Neither a Pulumi backend nor a stack's Docker
 * host can be reached here, so the real scripts and the real Automation API meet these instead: rung 4 without a
 * server. Each stand-in logs every command line it is given, for a test to read back (pulumiCalls, callLines).
 * Shared by test/rollback.test.ts, test/restore.test.ts, test/workspace.servers.test.ts and
 * test/prompts.servers.test.ts. Last, a rendered shell script (the pre-flight's checks) run beside a stand-in `docker`
 * of a test's own: test/appImageCheck.servers.test.ts and test/preflightCpus.servers.test.ts.
 */
import { spawnSync, SpawnSyncOptions, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./sourceTree";

/**
 * The stand-in pulumi's switches, read from its environment. FAKE_PULUMI_VERSION: what `pulumi version` prints
 * (v3.270.0 when unset). FAKE_PULUMI_FAIL: every command but `version` fails as the CLI does, this message on stderr
 * and status 255. FAKE_PREVIEW_FAIL: `preview` alone fails so.
 */
export const STAND_IN_SWITCHES = ["FAKE_PULUMI_FAIL", "FAKE_PREVIEW_FAIL", "FAKE_PULUMI_VERSION"] as const;

export interface StandInPulumi {
    /** The app version of each succeeded update, newest first. @default ["1.4.2", "1.4.1"] */
    readonly appVersions?: readonly string[];
    /** The stack's outputs, the same with or without --show-secrets. */
    readonly outputs?: Readonly<Record<string, unknown>>;
    /** Secret outputs: their value with --show-secrets, "[secret]" without it, as the CLI masks them. */
    readonly secretOutputs?: Readonly<Record<string, string>>;
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

/**
 * Writes a stand-in `pulumi` into `dir` that answers what scripts/lib/workspace.ts's Automation API asks the CLI: its
 * version, stack select, the stack's outputs (asked twice, masked and with --show-secrets: @pulumi/pulumi 3.270.0
 * automation/localWorkspace.js:805-823), its history, its config (`config --json`, localWorkspace.js:462), config set,
 * preview and up. Anything else fails with "unexpected", so a script that starts asking something new is seen. Each
 * command line is logged as JSON to `<dir>/pulumi.calls`; see STAND_IN_SWITCHES for its failures.
 */
export function writeStandInPulumi(dir: string, answers: StandInPulumi = {}): void {
    const secrets = answers.secretOutputs ?? {};
    const masked = { ...answers.outputs, ...Object.fromEntries(Object.keys(secrets).map((k) => [k, "[secret]"])) };
    const shown = { ...answers.outputs, ...secrets };
    const history = updateHistory(answers.appVersions ?? ["1.4.2", "1.4.1"]);
    const text = (value: unknown) => JSON.stringify(JSON.stringify(value));
    fs.writeFileSync(
        path.join(dir, "pulumi"),
        [
            "#!/usr/bin/env node",
            'const fs = require("fs");',
            "const args = process.argv.slice(2);",
            `fs.appendFileSync(${JSON.stringify(path.join(dir, "pulumi.calls"))}, JSON.stringify(args) + "\\n");`,
            "const is = (...words) => words.every((w, i) => args[i] === w);",
            "const out = (text) => { process.stdout.write(text); process.exit(0); };",
            'const fail = (message) => { process.stderr.write(message + "\\n"); process.exit(255); };',
            'if (is("version")) out((process.env.FAKE_PULUMI_VERSION || "v3.270.0") + "\\n");',
            "if (process.env.FAKE_PULUMI_FAIL) fail(process.env.FAKE_PULUMI_FAIL);",
            'if (is("stack", "select")) out("");',
            `if (is("stack", "output")) out(args.includes("--show-secrets") ? ${text(shown)} : ${text(masked)});`,
            `if (is("stack", "history")) out(${text(history)});`,
            'if (is("config", "set")) out("");',
            'if (is("config")) out("{}");',
            'if (is("preview") && process.env.FAKE_PREVIEW_FAIL) fail(process.env.FAKE_PREVIEW_FAIL);',
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
 * backup listing) prints the dumps. Each command line is logged to `<dir>/docker.calls`.
 */
export function writeStandInDocker(dir: string, container: StandInDocker = {}): void {
    const dumps = container.dumps ?? [];
    fs.writeFileSync(
        path.join(dir, "docker"),
        [
            "#!/bin/sh",
            `printf '%s\\n' "$*" >> ${shellWord(path.join(dir, "docker.calls"))}`,
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
    const PATH = run.machinePath ? `${dir}${path.delimiter}${process.env.PATH ?? ""}` : standInPath(dir);
    const io = typeof run.stdin === "string" ? { input: run.stdin } : run.stdin ? { stdio: run.stdin } : {};
    return spawnSync(
        process.execPath,
        [path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js"), "--transpile-only", script, ...args],
        { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...run.env, PATH, HOME: dir }, timeout: 100_000, ...io },
    );
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
