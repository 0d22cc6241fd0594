/**
 * Rung 3 (every script of package.json, run the way npm runs it, in a copy of the tree): issue 17, friction 3: "Each
 * script's help must explain every option and argument, with an example." For each script package.json lists (read
 * here, so a new one is covered the day it is added), its command runs through a shell with `--help` appended, as
 * `npm run <script> -- --help` does. It must exit 0 having printed, on stdout only, a one-line summary, every
 * argument and option of the spec the script reads its command line with (exported beside its main), each with its
 * description, the exit codes, and examples that parse with that same spec; within 100 columns. And --help must change
 * nothing: the copy holds a file prettier would rewrite, so a script that formats (or builds) on --help is seen.
 * Nor may it start anything: every tool a script or task starts (TOOLS) has a stand-in that only records the call,
 * first on PATH and in the copy's node_modules/.bin, where a task looks first (scripts/tasks.ts, start); the record
 * must stay empty.
 */
import { expect } from "chai";
import { ROOT, SCRIPTS, specOf } from "./scriptSpecs";
import { execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    helpText,
    HELP_WIDTH,
    npmCommand,
    npmScriptArgs,
    parseCommandLine,
    synopsis,
} from "../scripts/lib/commandLine";

/**
 * The programs a script or task may start: the tasks' tools (scripts/tasks.ts, Program) and the operator scripts' (the
 * Pulumi CLI through the Automation API, docker and ssh). Each is replaced by a stand-in while --help runs.
 */
const TOOLS = ["tsc", "mocha", "prettier", "eslint", "pulumi", "docker", "ssh"] as const;

/** A stand-in for `tool`: appends its name and arguments to `record`, one line a call, and runs nothing. */
function standIn(tool: string, record: string): string {
    return `#!/bin/sh\nprintf '%s %s\\n' '${tool}' "$*" >> '${record}'\n`;
}

/** Writes an executable stand-in for every tool into `dir`. */
function writeStandIns(dir: string, record: string): void {
    fs.mkdirSync(dir, { recursive: true });
    for (const tool of TOOLS) fs.writeFileSync(path.join(dir, tool), standIn(tool, record), { mode: 0o755 });
}

/**
 * The copy's node_modules: a link to each package of the tree's own, and a .bin of its own, where the stand-ins take
 * the tools' places and every other program (ts-node above all) links to the real one.
 */
function linkNodeModules(dir: string, record: string): void {
    const real = path.join(ROOT, "node_modules");
    const copy = path.join(dir, "node_modules");
    fs.mkdirSync(copy);
    for (const entry of fs.readdirSync(real).filter((e) => e !== ".bin"))
        fs.symlinkSync(path.join(real, entry), path.join(copy, entry));
    const bin = path.join(copy, ".bin");
    writeStandIns(bin, record);
    for (const program of fs.readdirSync(path.join(real, ".bin"))) {
        if ((TOOLS as readonly string[]).includes(program)) continue;
        fs.symlinkSync(fs.realpathSync(path.join(real, ".bin", program)), path.join(bin, program));
    }
}

/** A file prettier would rewrite (its layout is wrong on purpose), planted in the copy. */
const PROBE = "formatProbe.ts";
const PROBE_TEXT = "export const  probe = { a:1 }\n";

/** Every file of the copy (node_modules aside), with what would show a change: size, mtime, content. */
function snapshot(dir: string): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (rel: string): void => {
        for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
            const file = path.posix.join(rel, entry.name);
            if (file === "node_modules") continue;
            if (entry.isDirectory()) walk(file);
            else {
                const full = path.join(dir, file);
                const stat = fs.statSync(full);
                const hash = crypto.createHash("sha1").update(fs.readFileSync(full)).digest("hex");
                out.set(file, `${stat.size} ${stat.mtimeMs} ${hash}`);
            }
        }
    };
    walk("");
    return out;
}

/** Copies the tree as git sees it into `dir` (node_modules linked, stand-ins in its .bin), plus the probe. */
function copyTreeInto(dir: string, record: string): void {
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
        cwd: ROOT,
        encoding: "utf8",
    }).split("\0");
    // Regular files only: a deleted file is still listed until git hears of it, and a link may point anywhere.
    for (const file of files.filter(
        (f) => f !== "" && fs.lstatSync(path.join(ROOT, f), { throwIfNoEntry: false })?.isFile(),
    )) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
    }
    linkNodeModules(dir, record);
    fs.writeFileSync(path.join(dir, PROBE), PROBE_TEXT);
}

interface Run {
    readonly status: number | null;
    readonly signal: string | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** The PATH a script runs with: the stand-ins first, then node_modules/.bin as npm puts it, then the machine's. */
function helpPath(dir: string, standIns: string): string {
    return [standIns, path.join(dir, "node_modules", ".bin"), process.env.PATH].join(path.delimiter);
}

/** `npm run <script> -- --help`, as npm runs it: the command through sh, `--help` appended, .bin early on PATH. */
function runHelp(dir: string, standIns: string, command: string): Promise<Run> {
    return new Promise((resolve) => {
        const env = { ...process.env, PATH: helpPath(dir, standIns) };
        const child = spawn("sh", ["-c", `${command} --help`], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
        const out = { stdout: "", stderr: "" };
        child.stdout.on("data", (d: Buffer) => (out.stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out.stderr += d.toString()));
        child.on("close", (status, signal) => resolve({ status, signal, ...out }));
    });
}

/** Whitespace made single spaces, so a wrapped description reads as written. */
const flat = (text: string) => text.replace(/\s+/g, " ").trim();

describe("every npm script explains itself with --help, and --help changes nothing (run as npm runs it)", function () {
    this.timeout(300_000);
    const runs = new Map<string, Run>();
    let filesBefore: Map<string, string>;
    let filesAfter: Map<string, string>;
    let scratch: string;
    let dir: string;
    let standIns: string;
    /** Where the stand-ins record their calls: outside the copy, so the snapshot never sees it. */
    let record: string;

    before(async () => {
        scratch = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-help-"));
        dir = path.join(scratch, "tree");
        standIns = path.join(scratch, "stand-ins");
        record = path.join(scratch, "calls.log");
        writeStandIns(standIns, record);
        copyTreeInto(dir, record);
        filesBefore = snapshot(dir);
        const queue = Object.keys(SCRIPTS);
        // Two at a time: each is a Node process that loads its module tree.
        const worker = async () => {
            for (let name = queue.shift(); name !== undefined; name = queue.shift())
                runs.set(name, await runHelp(dir, standIns, SCRIPTS[name]!));
        };
        await Promise.all([worker(), worker()]);
        filesAfter = snapshot(dir);
    });

    after(() => {
        if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
    });

    it("reads the scripts from package.json: the operator's scripts and the tool tasks", () => {
        for (const name of ["deploy", "restore", "bench", "generate", "test", "lint", "format"])
            expect(Object.keys(SCRIPTS)).to.include(name);
    });

    for (const name of Object.keys(SCRIPTS)) {
        it(`${npmCommand(name)} -- --help: a summary, each argument and option described, exit codes, examples`, async () => {
            const run = runs.get(name)!;
            expect({ status: run.status, signal: run.signal, stderr: run.stderr }, run.stdout).to.deep.equal({
                status: 0,
                signal: null,
                stderr: "",
            });
            const spec = await specOf(SCRIPTS[name]!);
            const help = run.stdout.trimEnd();
            const lines = help.split("\n");
            for (const line of lines)
                expect(line.length, `over ${HELP_WIDTH} columns: ${line}`).to.be.at.most(HELP_WIDTH);
            expect(lines.slice(0, 3)).to.deep.equal([
                `${npmCommand(name)}: ${spec.summary}`,
                "",
                `usage: ${`${npmCommand(name)} ${synopsis(spec)}`.trim()}`,
            ]);
            const described: Array<readonly [term: string, description: string]> = [
                ...(spec.stack
                    ? [[spec.stack.many ? "[<stack> ...]" : "<stack>", spec.stack.description] as const]
                    : []),
                ...(spec.arguments ?? []).map((a) => [`[${a.name}]`, a.description] as const),
                ...Object.entries(spec.options ?? {}).map(
                    ([o, s]) => [s.type === "string" ? `--${o} ${s.value}` : `--${o}`, s.description] as const,
                ),
                ...(spec.passOn?.useful ?? []).map((a) => [a.name, a.description] as const),
                ...spec.exitCodes,
                ["-h, --help", "Print this help"],
            ];
            for (const [term, description] of described) {
                expect(description.trim(), `${term} has no description`).to.match(/\w{2,}/);
                expect(
                    lines.some((l) => l.startsWith(`  ${term} `) || l === `  ${term}`),
                    `${term} is not named`,
                ).to.be.true;
                expect(flat(help), `${term}'s description`).to.contain(flat(description));
            }
            for (const command of spec.runs ?? []) expect(flat(help)).to.contain(flat(command));
            const examples = lines.slice(lines.indexOf("examples:") + 1).filter((l) => /^ {2}npm /.test(l));
            expect(lines, "an examples section").to.include("examples:");
            expect(examples, "an example").to.not.be.empty;
            for (const example of examples) {
                const args = npmScriptArgs(example.trim());
                expect(args?.script, example).to.equal(name);
                const parsed = parseCommandLine(spec, args!.args);
                expect(parsed.kind === "problem" ? parsed.problem : parsed.kind, example).to.equal("line");
            }
            // The help printed is the one the spec makes: the checks above hold for the spec the script reads.
            expect(help).to.equal(helpText(name, spec));
        });
    }

    it("a stand-in answers for every tool: first on the scripts' PATH, and first on a task's (its node_modules/.bin)", () => {
        const found = (PATH: string, tool: string) =>
            execFileSync("sh", ["-c", `command -v ${tool}`], {
                env: { ...process.env, PATH },
                encoding: "utf8",
            }).trim();
        // scripts/tasks.ts starts its programs with the tree's node_modules/.bin before the PATH it was given.
        const taskPath = [path.join(dir, "node_modules", ".bin"), helpPath(dir, standIns)].join(path.delimiter);
        for (const tool of TOOLS) {
            expect(found(helpPath(dir, standIns), tool), tool).to.equal(path.join(standIns, tool));
            expect(found(taskPath, tool), tool).to.equal(path.join(dir, "node_modules", ".bin", tool));
            expect(fs.readFileSync(found(taskPath, tool), "utf8"), tool).to.equal(standIn(tool, record));
        }
    });

    it("no --help started a tool: the stand-ins of tsc, mocha, prettier, eslint, pulumi, docker and ssh recorded nothing", () => {
        const calls = fs.existsSync(record) ? fs.readFileSync(record, "utf8") : "";
        expect(calls.split("\n").filter(Boolean)).to.deep.equal([]);
    });

    it("no --help changed, added or removed a file (a formatter or a build would change the probe, or add bin/)", () => {
        expect(filesBefore.get(PROBE), "the probe was planted").to.be.a("string");
        const files = new Set([...filesBefore.keys(), ...filesAfter.keys()]);
        const changed = [...files].filter((f) => filesBefore.get(f) !== filesAfter.get(f));
        expect(changed).to.deep.equal([]);
    });
});
