/**
 * Rung 3 (every script of package.json, run the way npm runs it, in a copy of the tree): issue 17, friction 3: "Each
 * script's help must explain every option and argument, with an example." For each script package.json lists (read
 * here, so a new one is covered the day it is added), its command runs through a shell with `--help` appended, as
 * `npm run <script> -- --help` does. It must exit 0 having printed, on stdout only, a one-line summary, every
 * argument and option of the spec the script reads its command line with (exported beside its main), each with its
 * description, the exit codes, and examples that parse with that same spec; within 100 columns. And --help must change
 * nothing: the copy holds a file prettier would rewrite, so a script that formats (or builds) on --help is seen.
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

/** Copies the tree as git sees it into `dir` (node_modules linked), plus the probe. */
function copyTreeInto(dir: string): void {
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
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    fs.writeFileSync(path.join(dir, PROBE), PROBE_TEXT);
}

interface Run {
    readonly status: number | null;
    readonly signal: string | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** `npm run <script> -- --help`, as npm runs it: the command through sh, `--help` appended, .bin first on PATH. */
function runHelp(dir: string, command: string): Promise<Run> {
    return new Promise((resolve) => {
        const env = {
            ...process.env,
            PATH: `${path.join(dir, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}`,
        };
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
    let dir: string;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-help-"));
        copyTreeInto(dir);
        filesBefore = snapshot(dir);
        const queue = Object.keys(SCRIPTS);
        // Two at a time: each is a Node process that loads its module tree.
        const worker = async () => {
            for (let name = queue.shift(); name !== undefined; name = queue.shift())
                runs.set(name, await runHelp(dir, SCRIPTS[name]!));
        };
        await Promise.all([worker(), worker()]);
        filesAfter = snapshot(dir);
    });

    after(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
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

    it("no --help changed, added or removed a file (a formatter or a build would change the probe, or add bin/)", () => {
        expect(filesBefore.get(PROBE), "the probe was planted").to.be.a("string");
        const files = new Set([...filesBefore.keys(), ...filesAfter.keys()]);
        const changed = [...files].filter((f) => filesBefore.get(f) !== filesAfter.get(f));
        expect(changed).to.deep.equal([]);
    });
});
