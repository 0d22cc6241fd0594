/**
 * Rung 3 (the real source tree, read with the TypeScript parser and a checker of each file's own scopes): only the
 * files that need a child process start one, each only the programs named for it, never through a shell; and no
 * process is handed the Pulumi CLI to run. Issue 16, item 2: "No script shells out to the CLI": the Automation API
 * in scripts/lib/workspace.ts is the one way to the CLI (test/boundaries.test.ts). Each checker is fed crafted source
 * first, so the way around it stays in the suite, then the tree.
 *
 * A program allowed to start (docker, ssh) can start the CLI in turn: `docker run pulumi/pulumi-nodejs up`, or
 * `ssh host 'pulumi up'`. So the arguments count too: no string handed to a spawn call, to a function of the same
 * file that makes one, or to the docker argv of scripts/lib/hostDocker.ts names pulumi; and no image of the CLI is
 * spelled out anywhere in production code, however it reaches a call.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import {
    bare,
    expectFindings,
    identifiersOf,
    isGlobalRef,
    isSpecifier,
    memberChain,
    moduleLoads,
    moduleName,
    nodesOf,
    outerExpression,
    Parsed,
    parseSource,
    propertyValues,
    ROOT,
    rootsOf,
    sourceFiles,
    stringsPassed,
} from "./sourceTree";

const PRODUCTION = rootsOf("program", "operator", "policy");
const stringsOf = (p: Parsed) => nodesOf(p).filter((n): n is ts.StringLiteralLike => ts.isStringLiteralLike(n));

/** Modules that start processes or threads that run any code they are given. */
const PROCESS_MODULES = new Set(["child_process", "cluster", "worker_threads", "vm"]);
/**
 * Calls whose first argument is the program. exec and execSync are none: they hand their text to a shell
 * (@types/node 20.19.43 child_process.d.ts:912-913, 1404).
 */
const SPAWNERS = new Set(["spawn", "spawnSync", "execFile", "execFileSync", "fork"]);

/** The files that may start a process, the programs each may start, and why. */
const PROCESS_ALLOWED: Readonly<Record<string, { programs: readonly string[]; why: string }>> = {
    "scripts/lib/hostDocker.ts": { programs: ["docker", "ssh"], why: "docker here, or over ssh on the stack's host" },
    "scripts/lib/pitrLab.ts": {
        programs: ["runuser", "psql", "pg_restore", "setpriv", "sh"],
        why:
            "npm run bench's point-in-time recovery lab (issue 18, item 5), shared with the servers tests: a throwaway " +
            "PostgreSQL on 127.0.0.1 run as its own user (runuser), its rows written and read (psql, pg_restore), and " +
            "the rendered scripts run as the backup container's root (setpriv), with --pitr-limits inside a control " +
            "group the shell joins first (sh)",
    },
    "scripts/preflight.ts": { programs: ["ssh"], why: "the pre-flight script, run on the host over ssh" },
    "scripts/ssh.ts": { programs: ["ssh"], why: "the operator's own login to the stack's host (npm run ssh)" },
    "scripts/tasks.ts": {
        programs: ["tsc", "mocha", "prettier", "eslint"],
        why: "npm's tool scripts (build, typecheck, test, lint, format): the local binaries their TASKS rows run",
    },
};

/**
 * Members of `process` that reach past the module system: dlopen loads native code (@types/node 20.19.43
 * process.d.ts:720-744); binding and _linkedBinding, untyped and undocumented, hand out Node's internal bindings,
 * the process spawner among them. (getBuiltinModule is read as a module load, by moduleLoads.)
 */
const PROCESS_MEMBERS = new Set(["binding", "_linkedBinding", "dlopen"]);

/**
 * Functions of scripts/lib/hostDocker.ts that other files call with the argv of one `docker` run: a HostDocker's
 * `docker(args)` and `runStep(host, step, args)`, which hands its args to it. What they are given reaches docker here
 * or on the host, where `docker run <image> up` would start the CLI.
 */
const DOCKER_ARGV_CALLS = new Set(["docker", "runStep"]);

/** Any word with pulumi in it: the program (`pulumi`, `/usr/local/bin/pulumi`) or an image of it. */
const PULUMI_IN_ARGV = /pulumi/i;
/**
 * The CLI's program or an image of it as one word anywhere in the code: `pulumi`, `/usr/bin/pulumi`,
 * `pulumi/pulumi-nodejs:3.190.0`, `ghcr.io/acme/pulumi-runner`. Not an npm package (`@pulumi/pulumi`) or a type
 * token (`pulumi:providers:docker`), which name no program.
 */
const PULUMI_WORD = /(^|\/)pulumi([/:@-]|$)/;
const isNameOfNoProgram = (text: string) => /^@pulumi\//.test(text) || /^pulumi:[A-Za-z]+:/.test(text);

/** Why a spawn call may start another program than `programs`, or start a shell; undefined when it cannot. */
function spawnProblem(p: Parsed, call: ts.CallExpression, programs: readonly string[]): string | undefined {
    const [program, ...rest] = call.arguments;
    // After the program: its arguments (any array), options (an object written out here), a callback.
    for (const [i, arg] of rest.entries()) {
        if (ts.isFunctionLike(arg) || (i === 0 && !ts.isObjectLiteralExpression(bare(arg)))) continue;
        const shell = propertyValues(arg, "shell");
        if ("problem" in shell) return `its options are ${shell.problem}`;
        if (shell.values.some((v) => v.kind !== ts.SyntaxKind.FalseKeyword)) return "it sets shell";
    }
    const started = stringsPassed(p, program);
    if ("problem" in started) return `its program is ${started.problem}`;
    const other = started.values.filter((v) => !programs.includes(v));
    return other.length > 0 ? `it starts ${other.join(", ")}, not one of ${programs.join(", ")}` : undefined;
}

/** The text a call is given: string literals and template text in its arguments, through arrays and objects. */
function textsPassed(call: ts.CallExpression): Array<{ node: ts.Node; text: string }> {
    const out: Array<{ node: ts.Node; text: string }> = [];
    const visit = (n: ts.Node): void => {
        // A callback's own strings are not handed to the program.
        if (ts.isFunctionLike(n)) return;
        if (ts.isStringLiteralLike(n) || ts.isTemplateLiteralToken(n)) out.push({ node: n, text: n.text });
        ts.forEachChild(n, visit);
    };
    call.arguments.forEach(visit);
    return out;
}

/** The name of the function a node is directly inside, when the file can call it by that name. */
function enclosingFunctionName(node: ts.Node): ts.Identifier | undefined {
    for (let n = node.parent; n; n = n.parent) {
        if (!ts.isFunctionLike(n)) continue;
        if (ts.isFunctionDeclaration(n)) return n.name;
        const holder = n.parent;
        const expression = ts.isArrowFunction(n) || ts.isFunctionExpression(n);
        return expression && ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name) ? holder.name : undefined;
    }
    return undefined;
}

/** `calls`, and every call of a function of this file that makes one of them, however deep (hostDocker's `run`). */
function callsReaching(p: Parsed, calls: readonly ts.CallExpression[]): ts.CallExpression[] {
    const found = new Set(calls);
    const queue = [...calls];
    const followed = new Set<ts.Symbol>();
    for (let call = queue.pop(); call; call = queue.pop()) {
        const name = enclosingFunctionName(call);
        const symbol = name && p.checker.getSymbolAtLocation(name);
        if (!name || !symbol || followed.has(symbol)) continue;
        followed.add(symbol);
        for (const id of identifiersOf(p, name.text)) {
            const outer = outerExpression(id);
            const caller = outer.parent;
            if (id === name || p.checker.getSymbolAtLocation(id) !== symbol || !ts.isCallExpression(caller)) continue;
            if (outerExpression(caller.expression) === outer && !found.has(caller)) {
                found.add(caller);
                queue.push(caller);
            }
        }
    }
    return [...found];
}

/** Where the Pulumi CLI is handed to a process, or spelled out as a program or an image. */
function cliArgumentProblems(p: Parsed, spawnCalls: readonly ts.CallExpression[]): string[] {
    const out: string[] = [];
    const argvCalls = nodesOf(p).filter(
        (n): n is ts.CallExpression =>
            ts.isCallExpression(n) &&
            DOCKER_ARGV_CALLS.has(
                ts.isPropertyAccessExpression(n.expression) ? n.expression.name.text : n.expression.getText(p.source),
            ),
    );
    const checked = new Set([...callsReaching(p, spawnCalls), ...argvCalls]);
    for (const call of checked)
        for (const { node, text } of textsPassed(call))
            for (const word of text.split(/[\s;&|()`'"<>=]+/).filter((w) => PULUMI_IN_ARGV.test(w)))
                out.push(`${p.at(node)} hands "${word}" to ${call.expression.getText(p.source)}: the Pulumi CLI`);
    for (const n of nodesOf(p)) {
        // One word alone: prose that mentions the CLI ("run pulumi up first") is no program and no image.
        if (!(ts.isStringLiteralLike(n) || ts.isTemplateLiteralToken(n)) || isSpecifier(p, n) || /\s/.test(n.text))
            continue;
        if (PULUMI_WORD.test(n.text) && !isNameOfNoProgram(n.text))
            out.push(`${p.at(n)} spells out "${n.text}": the Pulumi CLI's program or an image of it`);
    }
    return out;
}

function processProblems(p: Parsed): string[] {
    const allowed = PROCESS_ALLOWED[p.file];
    const out: string[] = [];
    const spawnCalls: ts.CallExpression[] = [];
    for (const load of moduleLoads(p)) {
        if (load.spec === undefined || !PROCESS_MODULES.has(moduleName(load.spec)) || load.typeOnly) continue;
        const module = moduleName(load.spec);
        if (!allowed || module !== "child_process") {
            out.push(`${load.at} loads ${load.spec}: only ${Object.keys(PROCESS_ALLOWED).join(", ")} start processes`);
            continue;
        }
        for (const use of load.uses.filter((u) => !u.typeOnly)) {
            const where = p.at(use.node);
            if (use.member === undefined) out.push(`${where} takes child_process whole`);
            else if (!SPAWNERS.has(use.member)) out.push(`${where} uses ${use.member}: a shell, or not a spawn call`);
            else if (use.ref) {
                const call = outerExpression(use.node).parent;
                if (!ts.isCallExpression(call) || outerExpression(call.expression) !== outerExpression(use.node))
                    out.push(`${where} passes ${use.member} on as a value`);
                else {
                    spawnCalls.push(call);
                    const problem = spawnProblem(p, call, allowed.programs);
                    if (problem) out.push(`${where} ${use.member}: ${problem}`);
                }
            }
        }
    }
    for (const node of nodesOf(p)) {
        if (ts.isIdentifier(node) && ["eval", "Function"].includes(node.text) && isGlobalRef(p, node))
            out.push(`${p.at(node)} uses ${node.text}: text run as code escapes every check`);
        if (ts.isIdentifier(node) && node.text === "process" && isGlobalRef(p, node)) {
            const member = memberChain(node).names[0];
            if (member !== undefined && PROCESS_MEMBERS.has(member)) out.push(`${p.at(node)} uses process.${member}`);
        }
    }
    for (const s of stringsOf(p))
        if (/child_process/.test(s.text) && !isSpecifier(p, s)) out.push(`${p.at(s)} names child_process in text`);
    return [...out, ...cliArgumentProblems(p, spawnCalls)];
}

const lineOf = (f: string) => f.replace(/^.*?:/, ":");

describe("boundaries: child processes start only from the files that need them, only the programs named for each", () => {
    it("the checker finds each way to start another program (crafted source)", () => {
        const attack = [
            'import { spawnSync, execSync } from "child_process";',
            "spawnSync(`pulumi`, ['up']);",
            'spawnSync("npx", ["pulumi", "up"]);',
            'spawnSync("docker", ["ps"], { shell: true });',
            'const o = { shell: "/bin/sh" }; spawnSync("docker", [], { ...o });',
            'execSync("docker ps");',
            "const s = spawnSync; s;",
            "function run(cmd: string) { return spawnSync(cmd, []); } run('docker'); run('pulumi');",
            'process.binding("spawn_sync"); new Function("return 1"); eval("1");',
            // What hostDocker.ts does: a private function that only this file calls, each time with a program allowed.
            "function start(cmd: string) { return spawnSync(cmd, [], { ...(o ? { input: 'y' } : {}) }); }",
            "start('ssh'); start('docker');",
        ].join("\n");
        expectFindings(processProblems(parseSource("scripts/lib/hostDocker.ts", attack)).map(lineOf), [
            ":1 uses execSync",
            ":2 spawnSync: its program is not a string written out here",
            ':2 hands "pulumi" to spawnSync',
            ':2 spells out "pulumi"',
            ":3 spawnSync: it starts npx, not one of docker, ssh",
            ':3 hands "pulumi" to spawnSync',
            ':3 spells out "pulumi"',
            ":4 spawnSync: it sets shell",
            ":5 spawnSync: its options are not written out here",
            ":6 uses execSync",
            ":7 passes spawnSync on as a value",
            ":8 spawnSync: it starts pulumi, not one of docker, ssh",
            ':8 hands "pulumi" to run',
            ':8 spells out "pulumi"',
            ":9 uses process.binding",
            ":9 uses Function",
            ":9 uses eval",
        ]);
        expect(
            processProblems(parseSource("scripts/other.ts", 'import { spawnSync } from "node:child_process";')),
        ).to.have.length(1);
    });

    it("no process is handed the Pulumi CLI through an allowed program (the attack on hostDocker.ts, and others)", () => {
        // The attack: the CLI's image run through the docker that hostDocker.ts may start.
        const real = fs.readFileSync(path.join(ROOT, "scripts/lib/hostDocker.ts"), "utf8");
        const local = 'docker: (args, o) => run("docker", args, o),';
        const image = '["run", "--rm", "pulumi/pulumi-nodejs:3.190.0", "up", "--yes", "--stack", stack, ...args]';
        expect(real, "the line the attack changes").to.include(local);
        const attacked = real.replace(local, `docker: (args, o) => run("docker", ${image}, o),`);
        const found = processProblems(parseSource("scripts/lib/hostDocker.ts", attacked)).map(lineOf);
        const line = `:${attacked.split("\n").findIndex((l) => l.includes("pulumi-nodejs")) + 1}`;
        expectFindings(found, [
            `${line} hands "pulumi/pulumi-nodejs:3.190.0" to run`,
            `${line} spells out "pulumi/pulumi-nodejs:3.190.0"`,
        ]);
        const elsewhere = [
            'import { spawnSync } from "child_process";',
            'spawnSync("ssh", ["deploy@host", "--", "cd /srv && pulumi up --yes"]);',
            'const run = (args: string[]) => spawnSync("docker", args); const go = () => run(["run", "acme/deployer"]);',
            'go(); run(["run", "ghcr.io/acme/Pulumi-runner", "up"]);',
            'const IMAGE = "docker.io/pulumi/pulumi:3.190.0"; run(["run", IMAGE, "up"]);',
        ].join("\n");
        expectFindings(processProblems(parseSource("scripts/lib/hostDocker.ts", elsewhere)).map(lineOf), [
            ':2 hands "pulumi" to spawnSync',
            ':4 hands "ghcr.io/acme/Pulumi-runner" to run',
            ':5 spells out "docker.io/pulumi/pulumi:3.190.0"',
        ]);
        // Another script, through hostDocker's docker argv; prose that mentions the CLI is no argv and no image.
        const script = [
            'runStep(host, "the backup", ["exec", container, "sh", "-c", "pulumi stack output"]);',
            'host.docker(["run", image, "pulumi"]); const tip = "run `pulumi up` first, then pulumi preview";',
            'import * as pulumi from "@pulumi/pulumi"; const t = "pulumi:providers:docker"; pulumi; tip; t;',
        ].join("\n");
        expectFindings(processProblems(parseSource("scripts/rollback.ts", script)).map(lineOf), [
            ':1 hands "pulumi" to runStep',
            ':2 hands "pulumi" to host.docker',
            ':2 spells out "pulumi"',
        ]);
    });

    it("in the tree, only the allowed files load child_process, and each starts only its programs", () => {
        const files = sourceFiles(PRODUCTION);
        for (const f of Object.keys(PROCESS_ALLOWED)) expect(files).to.include(f);
        const found = files.flatMap((f) => processProblems(parseSource(f)));
        expect(found, `\n${found.join("\n")}\n`).to.be.empty;
    });
});
