/**
 * Rung 1 (pure functions, no process): every script reads its command line the same way, from one spec that is also
 * its help (scripts/lib/commandLine.ts). Issue 17, friction 3: "Each script's help must explain every option and
 * argument, with an example." test/scriptsHelp.servers.test.ts runs each script's --help as npm does.
 */
import { expect } from "chai";
import {
    ArgumentSpec,
    commandLine,
    CommandLineSpec,
    helpText,
    HELP_WIDTH,
    npmScriptArgs,
    OptionSpec,
    parseCommandLine,
    shellWords,
    synopsis,
} from "../scripts/lib/commandLine";
import { shippedStacks } from "../scripts/lib/stackFiles";
import { COMMAND_LINE as ROLLBACK } from "../scripts/rollback";

/** The stacks of this checkout as the scripts list them (an operator may have added their own). */
const STACKS = shippedStacks().join(", ");
const EXIT_CODES: CommandLineSpec["exitCodes"] = [
    ["0", "done"],
    ["2", "a usage error"],
];

const restore: CommandLineSpec = {
    summary: "restore a backup",
    stack: { description: "The stack whose database is restored." },
    arguments: [{ name: "backup", description: "The dump to restore." }],
    options: { yes: { type: "boolean", description: "Restore without asking." } },
    exitCodes: EXIT_CODES,
    examples: [{ command: "npm run restore -- prod", what: "Restore prod's newest backup." }],
};
const rollback: CommandLineSpec = {
    summary: "go back a version",
    stack: { description: "The stack to roll back." },
    options: {
        to: {
            type: "string",
            value: "<version>",
            description: "The version to go back to.",
            check: (v) => (/^\d+\.\d+\.\d+$/.test(v) ? undefined : "a version such as 1.4.1"),
        },
    },
    exitCodes: EXIT_CODES,
    examples: [{ command: "npm run rollback -- prod --to 1.4.1", what: "Go back to 1.4.1." }],
};
const bench: CommandLineSpec = {
    summary: "measure",
    stack: { many: true, description: "The stacks to measure." },
    exitCodes: EXIT_CODES,
    examples: [{ command: "npm run bench", what: "Every stack." }],
};

/** Runs commandLine with console output captured. */
function parse(argv: string[], spec: CommandLineSpec) {
    const out: string[] = [];
    const err: string[] = [];
    const saved = { log: console.log, error: console.error };
    console.log = (m: string) => void out.push(m);
    console.error = (m: string) => void err.push(m);
    try {
        return { result: commandLine("restore", argv, spec), out: out.join("\n"), err: err.join("\n") };
    } finally {
        Object.assign(console, saved);
    }
}

describe("every script reads its command line the same way (scripts/lib/commandLine.ts)", () => {
    it("reads the stack, options and allowed extra arguments", () => {
        expect(parse(["prod", "freshtrack-x.dump", "--yes"], restore).result).to.deep.equal({
            stacks: ["prod"],
            values: { yes: true },
            extra: ["freshtrack-x.dump"],
        });
        expect(parse(["prod", "--to=1.4.1"], rollback).result).to.deep.equal({
            stacks: ["prod"],
            values: { to: "1.4.1" },
            extra: [],
        });
    });

    it("--help prints the help on stdout and stops with exit 0, before anything else is read", () => {
        const { result, out, err } = parse(["nosuchstack", "--bogus", "--help"], restore);
        expect(result).to.deep.equal({ exitCode: 0 });
        expect(out).to.equal(helpText("restore", restore));
        expect(out.split("\n")[0]).to.equal("npm run restore: restore a backup");
        expect(out).to.contain("usage: npm run restore -- <stack> [backup] [--yes]");
        expect(err).to.equal("");
        expect(parse(["-h"], restore).result).to.deep.equal({ exitCode: 0 });
    });

    it("an unknown option is named, with the option it probably meant, then the usage; exit 2", () => {
        const { result, err } = parse(["prod", "-y"], restore);
        expect(result).to.deep.equal({ exitCode: 2 });
        expect(err.split("\n")).to.deep.equal([
            "restore: unknown option -y; did you mean --yes?",
            "usage: npm run restore -- <stack> [backup] [--yes]",
            `  stacks: ${STACKS}`,
            "  npm run restore -- --help explains each argument and option",
        ]);
        expect(parse(["prod", "--force"], restore).err.split("\n")[0]).to.equal("restore: unknown option --force");
    });

    it("an option given a value it does not take, and a mistyped --help, are named as such", () => {
        expect(parse(["prod", "--yes=1"], restore).err.split("\n")[0]).to.equal("restore: option --yes takes no value");
        expect(parse(["prod", "--hepl"], restore).err.split("\n")[0]).to.equal(
            "restore: unknown option --hepl; did you mean --help?",
        );
    });

    it("an option without its value, a value its check refuses, and an argument too many, are each named", () => {
        expect(parse(["prod", "--to"], rollback).err.split("\n")[0]).to.equal("restore: option --to needs a value");
        const refused = parse(["prod", "--to", "latest"], rollback);
        expect(refused.result).to.deep.equal({ exitCode: 2 });
        expect(refused.err.split("\n")[0]).to.equal("restore: --to = latest: expected a version such as 1.4.1");
        expect(parse(["prod", "a.dump", "b.dump"], restore).err.split("\n")[0]).to.equal(
            "restore: unexpected argument 'b.dump'",
        );
    });

    it("no stack says so, then the usage; several stacks only where the script takes several; a wrong one in one line", () => {
        expect(parse([], restore)).to.deep.include({
            result: { exitCode: 2 },
            err: `restore: missing <stack>, the stack to act on\nusage: npm run restore -- <stack> [backup] [--yes]\n  stacks: ${STACKS}\n  npm run restore -- --help explains each argument and option`,
        });
        expect(parse(["dev", "prod"], bench).result).to.deep.equal({ stacks: ["dev", "prod"], values: {}, extra: [] });
        expect(parse([], bench).result).to.deep.equal({ stacks: [], values: {}, extra: [] });
        expect(parse(["dev", "prod"], rollback).err.split("\n")[0]).to.equal("restore: unexpected argument 'prod'");
        expect(parse(["prd"], rollback).err).to.equal(
            `restore: there is no stack 'prd' (no Pulumi.prd.yaml); did you mean prod? Stacks: ${STACKS}`,
        );
    });

    it("a script that takes no stack refuses one; a task passes everything but --help on, unread", () => {
        const generate: CommandLineSpec = { summary: "write", exitCodes: EXIT_CODES, examples: bench.examples };
        expect(parse(["prod"], generate).err.split("\n")[0]).to.equal("restore: unexpected argument 'prod'");
        const task: CommandLineSpec = {
            summary: "run tests",
            passOn: { program: "mocha", useful: [{ name: "--grep <pattern>", description: "Only these." }] },
            exitCodes: EXIT_CODES,
            examples: [{ command: "npm test -- --grep x", what: "Some." }],
        };
        expect(parseCommandLine(task, ["--grep", "a b", "x.ts"])).to.deep.equal({
            kind: "line",
            line: { stacks: [], values: {}, extra: ["--grep", "a b", "x.ts"] },
        });
        expect(parseCommandLine(task, ["--grep", "x", "--help"])).to.deep.equal({ kind: "help" });
        expect(synopsis(task)).to.equal("[-- <mocha arguments>]");
    });

    it("placeholders stand for a stack and a value, which are then neither looked up nor checked", () => {
        const placeholder = (w: string) => /^<.*>$/.test(w);
        expect(parseCommandLine(rollback, ["<stack>", "--to", "<version>"], placeholder).kind).to.equal("line");
        expect(parseCommandLine(rollback, ["<stack>", "--to", "<version>"]).kind).to.equal("problem");
        expect(parseCommandLine(rollback, ["<stack>", "--too", "<version>"], placeholder)).to.deep.include({
            problem: "unknown option --too; did you mean --to?",
        });
    });
});

/** True only when A and B are one type: mutual assignability is not enough, `any` would pass it. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Whether a spec's type still names its options (`satisfies CommandLineSpec`), or lost them (`: CommandLineSpec`). */
type NamesItsOptions<S> = S extends { readonly options?: infer O }
    ? string extends keyof NonNullable<O>
        ? false
        : true
    : true;

/**
 * Issue 17, attack pass: scripts/rollback.ts read `line.values.too` (for `to`), it compiled, and `npm run rollback --
 * prod --to 12` ignored --to. The values are typed from the spec now. Rung 1 as far as tsc goes: each
 * `@ts-expect-error` below fails `npx tsc --noEmit -p .` (which covers test/) if the line it marks compiles, and each
 * `Same<...> = true` fails it if the type is another; the runtime half checks that the parsed values carry each option.
 */
describe("a script reads only the options its spec declares, each typed by its kind (checked by tsc)", () => {
    it("rollback's --to reads as string | undefined and --yes as boolean | undefined; its misspelling does not compile", () => {
        const parsed = parseCommandLine(ROLLBACK, ["prod", "--to", "1.4.1", "--yes"]);
        if (parsed.kind !== "line") expect.fail(`not a command line: ${JSON.stringify(parsed)}`);
        const { values } = parsed.line;
        const toIsText: Same<typeof values.to, string | undefined> = true;
        const yesIsFlag: Same<typeof values.yes, boolean | undefined> = true;
        // @ts-expect-error the attack pass's typo: rollback declares --to, so `too` is no value of its command line
        const too: unknown = values.too;
        expect({ to: values.to, yes: values.yes, too }).to.deep.equal({ to: "1.4.1", yes: true, too: undefined });
        expect([toIsText, yesIsFlag]).to.deep.equal([true, true]);
    });

    it("a spec without options has no value to read; a spec typed only as CommandLineSpec reads string | boolean", () => {
        const noOptions = {
            summary: "write",
            exitCodes: EXIT_CODES,
            examples: bench.examples,
        } satisfies CommandLineSpec;
        const parsed = parseCommandLine(noOptions, []);
        if (parsed.kind !== "line") expect.fail(`not a command line: ${JSON.stringify(parsed)}`);
        // @ts-expect-error no option is declared, so none can be read
        const json: unknown = parsed.line.values.json;
        const wide = parseCommandLine(restore, ["prod", "--yes"]);
        if (wide.kind !== "line") expect.fail(`not a command line: ${JSON.stringify(wide)}`);
        const anyName: Same<typeof wide.line.values.anything, string | boolean | undefined> = true;
        expect([json, wide.line.values.yes, anyName]).to.deep.equal([undefined, true, true]);
    });

    it("every script's exported spec keeps its option names, so its reads are checked (a `: CommandLineSpec` fails)", () => {
        // Types only: `typeof import(...)` loads nothing. scripts/tasks.ts is left out: its tasks pass everything on.
        const kept: [
            NamesItsOptions<(typeof import("../scripts/bench"))["COMMAND_LINE"]>,
            NamesItsOptions<(typeof import("../scripts/deploy"))["COMMAND_LINE"]>,
            NamesItsOptions<(typeof import("../scripts/generate"))["COMMAND_LINE"]>,
            NamesItsOptions<(typeof import("../scripts/plan"))["COMMAND_LINE"]>,
            NamesItsOptions<(typeof import("../scripts/policy"))["COMMAND_LINE"]>,
            NamesItsOptions<(typeof import("../scripts/preflight"))["COMMAND_LINE"]>,
            NamesItsOptions<(typeof import("../scripts/restore"))["COMMAND_LINE"]>,
            NamesItsOptions<(typeof import("../scripts/rollback"))["COMMAND_LINE"]>,
            NamesItsOptions<(typeof import("../scripts/ssh"))["COMMAND_LINE"]>,
            NamesItsOptions<(typeof import("../scripts/summary"))["COMMAND_LINE"]>,
            NamesItsOptions<(typeof import("../scripts/verify"))["COMMAND_LINE"]>,
        ] = [true, true, true, true, true, true, true, true, true, true, true];
        // @ts-expect-error the test's own restore spec is typed `: CommandLineSpec`, so it has lost its names
        const lost: NamesItsOptions<typeof restore> = true;
        expect([...kept, lost].every(Boolean)).to.equal(true);
    });
});

describe("the help comes from the spec: every argument and option described, exit codes, examples", () => {
    const long = "A description long enough to need wrapping over several lines of the help. ".repeat(4);
    const spec: CommandLineSpec = {
        summary: "do a thing to a stack",
        details: [long],
        stack: { description: "The stack." },
        arguments: [{ name: "what", description: long }],
        options: {
            "a-rather-long-option-name": { type: "string", value: "<value>", description: long },
            short: { type: "boolean", description: "Short." },
        },
        exitCodes: EXIT_CODES,
        examples: [{ command: "npm run thing -- prod --short", what: "Do it." }],
    };
    const help = helpText("thing", spec);

    it(`names and describes each argument and option, within ${HELP_WIDTH} columns`, () => {
        for (const line of help.split("\n")) expect(line.length, line).to.be.at.most(HELP_WIDTH);
        const flat = help.replace(/\s+/g, " ");
        for (const term of ["<stack>", "[what]", "--a-rather-long-option-name <value>", "--short", "-h, --help"])
            expect(help).to.contain(`  ${term}`);
        expect(flat).to.contain(long.trim());
        expect(flat).to.contain(`The stack. The stacks are those with a Pulumi.<stack>.yaml: ${STACKS}.`);
        expect(help).to.contain("exit codes:\n  0  done\n  2  a usage error");
        expect(help).to.contain("examples:\n  # Do it.\n  npm run thing -- prod --short");
    });

    it("a spec without a description, an exit code or an example does not compile (checked by tsc)", () => {
        // @ts-expect-error an option must say what it does
        const option: OptionSpec = { type: "boolean" };
        // @ts-expect-error a value option must name its value in the help
        const valueOption: OptionSpec = { type: "string", description: "x" };
        // @ts-expect-error an argument must say what it is
        const argument: ArgumentSpec = { name: "backup" };
        // @ts-expect-error a script must have at least one example
        const noExample: CommandLineSpec = { summary: "x", exitCodes: EXIT_CODES, examples: [] };
        // @ts-expect-error a script must list its exit codes
        const noExitCodes: CommandLineSpec = { summary: "x", examples: bench.examples };
        expect([option, valueOption, argument, noExample, noExitCodes]).to.have.length(5);
    });
});

describe("command lines as a shell and npm read them (examples and docs)", () => {
    it("splits words as the shell does, up to an operator, a redirection or a comment", () => {
        expect(shellWords("npm run plan -- prod && npm run policy -- prod")).to.deep.equal([
            "npm",
            "run",
            "plan",
            "--",
            "prod",
        ]);
        expect(shellWords(`npm test -- --grep "a b" 'c d'e 2>&1`)).to.deep.equal([
            "npm",
            "test",
            "--",
            "--grep",
            "a b",
            "c de",
        ]);
        expect(shellWords("npm run rollback -- prod --to 1.4.1   # a comment")).to.have.length(7);
        expect(shellWords("npm run restore -- <stack> <dump> > out")).to.deep.equal([
            "npm",
            "run",
            "restore",
            "--",
            "<stack>",
            "<dump>",
        ]);
    });

    it("finds the script and the arguments npm hands it; npm's own flags and other commands are not a script's", () => {
        expect(npmScriptArgs("npm run -s bench -- --json > bench.json")).to.deep.equal({
            script: "bench",
            args: ["--json"],
        });
        expect(npmScriptArgs("npm test -- --grep x")).to.deep.equal({ script: "test", args: ["--grep", "x"] });
        expect(npmScriptArgs("npm run lint")).to.deep.equal({ script: "lint", args: [] });
        expect(npmScriptArgs("npm ci")).to.equal(undefined);
        expect(npmScriptArgs("npx mocha test/a.test.ts")).to.equal(undefined);
    });
});
