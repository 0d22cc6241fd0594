/**
 * Requirement (issue 17, friction 2): the dev stack's local file backend and empty passphrase never leak into the
 * reader's shell. Every command in README.md and docs/ that sets PULUMI_BACKEND_URL or PULUMI_CONFIG_PASSPHRASE does
 * it for one command (`VAR=value pulumi ...`, `env VAR=value ...`) or inside a subshell (`( export ...; pulumi ... )`),
 * never with an `export` or an assignment the rest of the session keeps; every command that reaches the `dev` stack
 * carries both, so a reader never has to export them to follow the docs; and the walkthrough the README leads to
 * checks the reader's shell for them before its first `pulumi` command.
 *
 * What reaches the dev stack: a `pulumi` command on it (named by --stack or `stack select`, a qualified name by its
 * last segment; else by PULUMI_STACK; else selected earlier on the page, in any shell of the reader's machine, see
 * devSettingProblems; a command in a code block with none of these is refused), and an `npm run <script> -- dev` of a
 * script that goes through the Automation API (scripts/lib/workspace.ts). The workspace gives the CLI no environment
 * of its own: it passes no `envVars` (a LocalWorkspace's only way to add some: @pulumi/pulumi 3.270.0
 * automation/localWorkspace.js:59, 77-83, 855-865), the CLI then gets only PATH and PULUMI_AUTOMATION_API on top of
 * the script's environment (cmd.js:140-157; execa 5.1.1 index.js:17-18, 37, extendEnv), so like `pulumi` it reads the
 * backend and passphrase from the reader's shell, and the docs must give them. (Were the workspace to set them for
 * dev, these commands would need none, and the check would turn round: the test below that reads workspace.ts says so
 * when it fails.)
 *
 * Rung 1 (unit): the docs' shell text, read by the shared reader (test/docsCheck/commandWords.ts) and checked by
 * test/docsCheck/devSettings.ts; the scripts' imports read with the TypeScript parser (test/sourceTree.ts).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { loadStackConfigFor, REPO_ROOT } from "../scripts/lib/stackFiles";
import { everyCommand, pageCommands } from "./docsCheck/commandWords";
import { DEV_SETTINGS, devSettingProblems } from "./docsCheck/devSettings";
import { loadRepoFacts, markdownPages } from "./docsCheck/facts";
import { SCRIPTS } from "./scriptSpecs";
import { sourceFacts } from "./sourceTree";

const WORKSPACE = "scripts/lib/workspace.ts";

/** The repository file a relative import of `from` names, when it is a .ts file here. */
function resolveImport(from: string, spec: string): string | undefined {
    if (!spec.startsWith(".")) return undefined;
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
    return [`${base}.ts`, `${base}/index.ts`].find((f) => fs.existsSync(path.join(REPO_ROOT, f)));
}

/** Every scripts/ module `file` loads, itself included, following relative imports. */
function scriptModules(file: string, seen = new Set<string>()): Set<string> {
    if (seen.has(file) || !file.startsWith("scripts/")) return seen;
    seen.add(file);
    for (const i of sourceFacts(file).imports) {
        const next = resolveImport(file, i.spec);
        if (next) scriptModules(next, seen);
    }
    return seen;
}

/** The module each npm script runs (`ts-node --transpile-only scripts/<name>.ts ...`). */
function scriptModule(script: string): string | undefined {
    return /\b(scripts\/[\w/]+\.ts)\b/.exec(SCRIPTS[script] ?? "")?.[1];
}

/**
 * Scripts that load the workspace but never reach it for a stack on the local target, which `dev` is: each with the
 * file whose `target === "local"` branch decides it.
 */
const LOCAL_NEEDS_NO_CLI: Readonly<Record<string, { file: string; why: string }>> = {
    preflight: {
        file: "scripts/preflight.ts",
        why: "returns before reading outputs: a local host has nothing to check",
    },
    ssh: { file: "scripts/ssh.ts", why: "refuses a local stack before reading outputs: there is no host to log in to" },
    restore: {
        file: "scripts/lib/hostDocker.ts",
        why: "dockerOn runs this machine's docker for a local target, reading no outputs",
    },
};

/** The npm scripts that read the dev stack through the Pulumi CLI: they load the workspace and are not exempt above. */
function workspaceScripts(): Set<string> {
    return new Set(
        Object.keys(SCRIPTS).filter((s) => {
            const file = scriptModule(s);
            return file !== undefined && scriptModules(file).has(WORKSPACE) && !(s in LOCAL_NEEDS_NO_CLI);
        }),
    );
}

const NEEDS_DEV_SETTINGS = workspaceScripts();

const problemsOfText = (text: string) =>
    devSettingProblems(everyCommand(text), NEEDS_DEV_SETTINGS).map((p) => p.message);
const problemsOfPage = (md: string) => devSettingProblems(pageCommands(md), NEEDS_DEV_SETTINGS).map((p) => p.message);

describe("docs keep the dev stack's settings out of the reader's shell (issue 17, friction 2)", () => {
    it("no page exports or assigns PULUMI_BACKEND_URL or PULUMI_CONFIG_PASSPHRASE, and every dev command carries both", () => {
        const problems: string[] = [];
        for (const page of markdownPages(loadRepoFacts(REPO_ROOT))) {
            const md = fs.readFileSync(path.join(REPO_ROOT, page), "utf8");
            for (const { line, message } of devSettingProblems(pageCommands(md), NEEDS_DEV_SETTINGS))
                problems.push(`${page}:${line}: ${message}`);
        }
        expect(problems, problems.join("\n")).to.deep.equal([]);
    });

    it("catches an export at the top level, and a dev command left without the settings", () => {
        expect(
            problemsOfText('export PULUMI_BACKEND_URL="file://~" PULUMI_CONFIG_PASSPHRASE="" && pulumi up --stack dev'),
        ).to.have.length(2);
        expect(problemsOfText("pulumi config set --path appBuild.context ../app --stack dev")).to.deep.equal([
            "`pulumi config set --path appBuild.context ../app --stack dev` runs on the dev stack without PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE",
        ]);
        expect(problemsOfText('PULUMI_BACKEND_URL="file://~" pulumi stack output -s dev')).to.have.length(1);
        // The subshell's export ends with it: a dev command after the closing parenthesis has nothing.
        expect(
            problemsOfText(
                '(export PULUMI_BACKEND_URL="file://~" PULUMI_CONFIG_PASSPHRASE=""; pulumi up --stack dev)\npulumi stack output --stack dev',
            ),
        ).to.have.length(1);
        // An assignment alone stays in the shell (and changes an exported value).
        expect(problemsOfText('PULUMI_BACKEND_URL="file://~"')).to.have.length(1);
    });

    it("accepts a subshell across lines, a prefix, env's assignments, and commands on other stacks", () => {
        expect(
            problemsOfText(
                [
                    '(export PULUMI_BACKEND_URL="file://~" PULUMI_CONFIG_PASSPHRASE=""',
                    " pulumi config set --path appBuild.context ../app --stack dev  # the checkout",
                    " pulumi up --stack dev --yes)",
                ].join("\n"),
            ),
        ).to.deep.equal([]);
        expect(
            problemsOfText(
                'PULUMI_BACKEND_URL="file://~" PULUMI_CONFIG_PASSPHRASE="" pulumi stack output caCertificate --stack dev > ca.pem',
            ),
        ).to.deep.equal([]);
        expect(
            problemsOfText('env PULUMI_BACKEND_URL="file://~" PULUMI_CONFIG_PASSPHRASE="" pulumi stack select dev'),
        ).to.deep.equal([]);
        expect(problemsOfText('pulumi up --stack prod && echo "$(date)" | tee log')).to.deep.equal([]);
    });

    it("finds the dev command behind wrappers and keywords, and knows what env -i and env -u take away", () => {
        for (const text of [
            "time pulumi up --stack dev",
            "nice -n 5 pulumi preview -s dev",
            "if true; then pulumi stack select --create dev; fi",
            "echo | xargs pulumi up --stack dev",
            "watch -n 10 'pulumi stack --stack dev'",
            "echo $(pulumi stack output caCertificate --stack=dev)",
            "sh -c 'pulumi refresh --stack dev'",
        ])
            expect(problemsOfText(text), text).to.have.length(1);
        const exported = '(export PULUMI_BACKEND_URL="file://~" PULUMI_CONFIG_PASSPHRASE=""; ';
        expect(problemsOfText(`${exported}env -i PULUMI_BACKEND_URL="file://~" pulumi up --stack dev)`)).to.deep.equal([
            "`pulumi up --stack dev` runs on the dev stack without PULUMI_CONFIG_PASSPHRASE",
        ]);
        expect(problemsOfText(`${exported}env -u PULUMI_BACKEND_URL pulumi up --stack dev)`)).to.have.length(1);
        expect(problemsOfText(`${exported}unset PULUMI_BACKEND_URL; pulumi up --stack dev)`)).to.have.length(1);
        expect(problemsOfText(`${exported}(unset PULUMI_BACKEND_URL; pulumi up --stack dev))`)).to.have.length(1);
        expect(problemsOfText(`${exported}time nice pulumi up --stack dev)`)).to.deep.equal([]);
    });

    // Issue 17, attack pass 2: `--stack organization/freshtrack/dev` was not dev, and a stack-less command after
    // `pulumi stack select dev` was on no stack at all.
    const settings = 'PULUMI_BACKEND_URL="file://~" PULUMI_CONFIG_PASSPHRASE=""';

    it("reads a fully qualified stack name by its last segment, as the backend does", () => {
        for (const text of [
            "pulumi stack output --stack organization/freshtrack/dev",
            "pulumi up -s organization/dev",
            "pulumi preview --stack=freshtrack/dev",
            "pulumi stack select organization/freshtrack/dev",
        ])
            expect(problemsOfText(text), text)
                .to.have.length(1)
                .and.to.match(/runs on the dev stack without/);
        expect(problemsOfText("pulumi stack output --stack organization/freshtrack/prod")).to.deep.equal([]);
        expect(problemsOfText(`${settings} pulumi up --stack organization/freshtrack/dev`)).to.deep.equal([]);
    });

    it("runs a stack-less command on the stack selected before it, in any shell of the reader's machine", () => {
        expect(problemsOfText(`${settings} pulumi stack select dev && pulumi up --yes`)).to.deep.equal([
            "`pulumi up --yes` runs on the dev stack (selected on line 1) without PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE",
        ]);
        // The selection lives in the workspace, not the subshell: it outlasts the parentheses and the block.
        const page = [
            "```sh",
            `(export ${settings}; pulumi stack select --create organization/freshtrack/dev)`,
            "```",
            "Then:",
            "```sh",
            "pulumi stack output caCertificate",
            "```",
        ].join("\n");
        expect(problemsOfPage(page)).to.deep.equal([
            "`pulumi stack output caCertificate` runs on the dev stack (selected on line 2) without PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE",
        ]);
        for (const text of [
            `${settings} pulumi stack init dev\npulumi config set --path appBuild.context ../app`,
            `${settings} pulumi stack new dev\npulumi refresh`,
            `${settings} pulumi --cwd . stack select dev\nsh -c 'pulumi up'`,
        ])
            expect(problemsOfText(text), text)
                .to.have.length(1)
                .and.to.match(/selected on line 1/);
        expect(
            problemsOfText(`${settings} pulumi stack select dev; pulumi stack select prod; pulumi up`),
        ).to.deep.equal([]);
        expect(problemsOfText(`${settings} pulumi stack select dev\n${settings} pulumi up`)).to.deep.equal([]);
        // A selection on a host is another machine's.
        expect(problemsOfText(`ssh deploy@h '${settings} pulumi stack select dev'\npulumi up`)).to.deep.equal([
            "`pulumi up` names no stack, and none is selected before it on this page: give it --stack <name>",
        ]);
    });

    it("reads PULUMI_STACK before the selection, and --stack before both", () => {
        expect(problemsOfText("PULUMI_STACK=dev pulumi up")).to.deep.equal([
            "`pulumi up` runs on the dev stack (PULUMI_STACK) without PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE",
        ]);
        expect(problemsOfText("(export PULUMI_STACK=organization/freshtrack/dev; pulumi preview)")).to.have.length(1);
        expect(problemsOfText(`${settings} pulumi stack select dev; PULUMI_STACK=prod pulumi up`)).to.deep.equal([]);
        expect(problemsOfText("PULUMI_STACK=dev pulumi up --stack prod")).to.deep.equal([]);
        expect(problemsOfText("export PULUMI_STACK=dev; env -u PULUMI_STACK pulumi up")[0]).to.match(/names no stack/);
    });

    it("refuses a stack-less command in a code block when no stack is selected before it", () => {
        expect(problemsOfText("pulumi up --yes")).to.deep.equal([
            "`pulumi up --yes` names no stack, and none is selected before it on this page: give it --stack <name>",
        ]);
        for (const text of [
            "pulumi stack export",
            `${settings} pulumi stack init dev --no-select; pulumi up`,
            `${settings} pulumi stack select dev; pulumi stack rm --yes staging; pulumi up`,
            `${settings} pulumi stack select dev; pulumi stack unselect; pulumi up`,
        ])
            expect(problemsOfText(text), text)
                .to.have.length(1)
                .and.to.match(/names no stack/);
        // Commands on no stack, and a command named in a sentence.
        for (const text of ["pulumi login", "pulumi whoami --verbose", "pulumi version", "pulumi stack ls"])
            expect(problemsOfText(text), text).to.deep.equal([]);
        expect(problemsOfPage("Every `pulumi up` ends with the verification gate.")).to.deep.equal([]);
    });

    it("sees `$ export …` in a console block, and reads no output line as a command", () => {
        const md = [
            "```console",
            '$ export PULUMI_CONFIG_PASSPHRASE=""',
            "$ pulumi stack ls",
            "NAME  LAST UPDATE",
            "pulumi up --stack dev    (output, not a command)",
            "```",
        ].join("\n");
        expect(problemsOfPage(md)).to.deep.equal([
            "`export PULUMI_CONFIG_PASSPHRASE=` exports PULUMI_CONFIG_PASSPHRASE into the reader's shell; use a subshell or a prefix",
        ]);
        // A console block with no prompt at all is read as commands.
        expect(problemsOfPage("```console\nexport PULUMI_BACKEND_URL=file://~\n```")).to.have.length(1);
    });

    it("checks `npm run <script> -- dev` of each script that reads the stack through the Pulumi CLI", () => {
        expect([...NEEDS_DEV_SETTINGS].sort()).to.include.members(["deploy", "rollback", "summary", "verify"]);
        expect(problemsOfText("npm run deploy -- dev")).to.deep.equal([
            "`npm run deploy -- dev` reads the dev stack through the Pulumi CLI (npm run deploy: scripts/lib/workspace.ts) without PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE",
        ]);
        expect(problemsOfText("npm run -s summary -- dev --show-secrets")).to.have.length(1);
        expect(
            problemsOfText('PULUMI_BACKEND_URL="file://~" PULUMI_CONFIG_PASSPHRASE="" npm run verify -- dev'),
        ).to.deep.equal([]);
        // Scripts that read no stack through the CLI (plan, policy, bench under mocks), or none on a local host.
        for (const text of ["npm run plan -- dev", "npm run policy -- dev", "npm run bench -- dev"])
            expect(problemsOfText(text), text).to.deep.equal([]);
        for (const script of Object.keys(LOCAL_NEEDS_NO_CLI))
            expect(problemsOfText(`npm run ${script} -- dev`), script).to.deep.equal([]);
        expect(problemsOfText("npm run deploy -- prod")).to.deep.equal([]);
    });
});

/** What in a module's code could hand the Pulumi CLI an environment: `envVars`, `process.env`, a dev setting's name. */
function cliEnvironmentSettings(text: string): string[] {
    const source = ts.createSourceFile(WORKSPACE, text, ts.ScriptTarget.Latest, true);
    const found: string[] = [];
    const visit = (n: ts.Node): void => {
        if (ts.isIdentifier(n) && n.text === "envVars") found.push("envVars");
        if (ts.isPropertyAccessExpression(n) && n.getText(source) === "process.env") found.push("process.env");
        if ((ts.isStringLiteralLike(n) || ts.isIdentifier(n)) && (DEV_SETTINGS as readonly string[]).includes(n.text))
            found.push(n.text);
        ts.forEachChild(n, visit);
    };
    visit(source);
    return found;
}

describe("what reaches the dev stack through the operator scripts is read from their source (issue 17, friction 2)", () => {
    it("the workspace gives the CLI no environment of its own, so the dev settings come from the reader's shell", () => {
        const found = cliEnvironmentSettings(fs.readFileSync(path.join(REPO_ROOT, WORKSPACE), "utf8"));
        expect(
            found,
            `${WORKSPACE} now sets the CLI's environment (${found.join(", ")}): if it gives dev its backend and ` +
                "passphrase, the docs' `npm run <script> -- dev` commands need none, and devStackUse (test/docsCheck/devSettings.ts) must change",
        ).to.deep.equal([]);
        const setting = 'LocalWorkspace.create({ envVars: { PULUMI_CONFIG_PASSPHRASE: "" } }); process.env.X = "";';
        expect(cliEnvironmentSettings(setting)).to.deep.equal(["envVars", "PULUMI_CONFIG_PASSPHRASE", "process.env"]);
    });

    it("dev runs on the local target, and each script exempt on it stops there before reading the stack", () => {
        expect(loadStackConfigFor("dev").target).to.equal("local");
        for (const [script, { file, why }] of Object.entries(LOCAL_NEEDS_NO_CLI)) {
            const module = scriptModule(script);
            expect(module, script).to.not.equal(undefined);
            const loaded = scriptModules(module!);
            expect(loaded.has(WORKSPACE), `${script} loads the workspace (or drop it from the list)`).to.equal(true);
            expect(loaded.has(file), `${script} loads ${file}`).to.equal(true);
            expect(fs.readFileSync(path.join(REPO_ROOT, file), "utf8"), `${file}: ${why}`).to.match(
                /target === "local"/,
            );
        }
    });
});

/** The `## ` sections of a page: heading and line range. */
function sections(md: string): Array<{ heading: string; from: number; to: number }> {
    const out: Array<{ heading: string; from: number; to: number }> = [];
    md.split("\n").forEach((text, i) => {
        const h = /^##\s+(.*)$/.exec(text);
        if (!h) return;
        if (out.length > 0) out[out.length - 1]!.to = i;
        out.push({ heading: h[1]!, from: i + 1, to: Infinity });
    });
    return out;
}

/** The pattern of a `grep -E <pattern>` (or `-qE`, `--extended-regexp`), or undefined when it is no such command. */
function extendedGrepPattern(words: readonly string[]): string | undefined {
    if (words[0] !== "grep") return undefined;
    const options = words.slice(1).filter((w) => w.startsWith("-"));
    const extended = options.some((o) => o === "--extended-regexp" || /^-[a-zA-Z]*E/.test(o));
    return extended ? words.slice(1).find((w) => !w.startsWith("-")) : undefined;
}

/**
 * Why a walkthrough does not check the shell for the dev settings before its first `pulumi` command, in that
 * command's step: `env` (which prints the environment when given no command: coreutils v9.1 src/env.c:862-868) piped
 * to `grep -E` with a pattern that finds both settings and nothing else, and `unset` of both in the same step.
 */
function leakCheckProblems(md: string): string[] {
    const commands = pageCommands(md);
    // The first one the reader runs: in a code block (a span in a sentence may only name one, "at `pulumi up`").
    const first = commands.find((c) => c.inBlock && c.words[0] === "pulumi" && c.words.length > 1);
    if (!first) return ["no `pulumi` command at all"];
    const step = sections(md).find((s) => s.from <= first.line && first.line < s.to);
    if (!step) return [`its first pulumi command (line ${first.line}) is in no step`];
    const inStep = commands.filter((c) => step.from <= c.line && c.line < step.to);
    const problems: string[] = [];
    const found = inStep.findIndex((c, k) => {
        const grep = inStep[k + 1];
        const pattern = grep && extendedGrepPattern(grep.words);
        if (c.words.join(" ") !== "env" || !c.piped || pattern === undefined || c.line > first.line) return false;
        const re = new RegExp(pattern);
        return (
            re.test("PULUMI_BACKEND_URL=file://~") &&
            re.test("PULUMI_CONFIG_PASSPHRASE=") &&
            !re.test("PULUMI_ACCESS_TOKEN=pul-0123") &&
            !re.test("MY_PULUMI_BACKEND_URL=x")
        );
    });
    if (found < 0)
        problems.push(
            `step "${step.heading}" does not run \`env | grep -E '^PULUMI_(BACKEND_URL|CONFIG_PASSPHRASE)='\` before \`${first.words.join(" ")}\` (line ${first.line})`,
        );
    const unsets = inStep.some(
        (c) => c.words[0] === "unset" && DEV_SETTINGS.every((name) => c.words.slice(1).includes(name)),
    );
    if (!unsets) problems.push(`step "${step.heading}" does not say to \`unset ${DEV_SETTINGS.join(" ")}\``);
    return problems;
}

describe("the walkthrough the README leads to checks the shell for the dev settings first (issue 17, friction 2)", () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const walkthroughs = [...new Set([...readme.matchAll(/\]\((docs\/walkthrough[^)#\s]*\.md)/g)].map((m) => m[1]!))];

    it("README.md links to a walkthrough, and each one's first pulumi step runs the leak check and the unset", () => {
        expect(walkthroughs, "README.md links to docs/walkthrough*.md").to.not.be.empty;
        const problems = walkthroughs.flatMap((page) =>
            leakCheckProblems(fs.readFileSync(path.join(REPO_ROOT, page), "utf8")).map((p) => `${page}: ${p}`),
        );
        expect(problems, problems.join("\n")).to.deep.equal([]);
    });

    it("reports a step that lost the check, moved it after the first pulumi command, or greps too little (crafted)", () => {
        const check = "```sh\nenv | grep -E '^PULUMI_(BACKEND_URL|CONFIG_PASSPHRASE)='\n```";
        const unset = "Clear them: `unset PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE`.";
        const login = "```sh\npulumi login\n```";
        const page = (...body: string[]) => ["# W", "## 1. Code", "`npm ci`", "## 2. State", ...body].join("\n\n");
        expect(leakCheckProblems(page(check, unset, login))).to.deep.equal([]);
        expect(leakCheckProblems(page(unset, login))).to.have.length(1);
        expect(leakCheckProblems(page(unset, login, check))).to.have.length(1);
        expect(leakCheckProblems(page(check, login))).to.have.length(1);
        expect(leakCheckProblems(page(check.replace("-E ", ""), unset, login)), "a basic regex").to.have.length(1);
        expect(
            leakCheckProblems(page(check.replace("(BACKEND_URL|CONFIG_PASSPHRASE)", ""), unset, login)),
        ).to.have.length(1);
        expect(leakCheckProblems(page(check.replace("^", ""), unset, login)), "MY_PULUMI_…").to.have.length(1);
    });
});
