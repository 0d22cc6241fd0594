/**
 * The check of a container spec against the contract of its image (components/imageContracts/): its entrypoint, its
 * health check, its capabilities and the programs its scripts run (test/imageContractsScripts.ts). Shared by
 * test/imageContracts.test.ts (the check catches what it is for) and test/imageContracts.stack.test.ts (every container
 * of every shipped stack meets it).
 */
import * as path from "path";
import { ImageContract } from "../components/imageContracts";
import { missingCommands } from "./imageContractsScripts";

interface ContainerSpec {
    readonly name: string;
    readonly user?: string;
    readonly entrypoints?: string[];
    readonly command?: string[];
    readonly capabilities?: { adds?: string[] };
    readonly healthcheck?: { tests: string[] };
    /** The files the container is given (the provider's `uploads`): scripts among them are read for their commands. */
    readonly uploads?: ReadonlyArray<{ readonly file: string; readonly content?: unknown }>;
}

/**
 * Whether the image holds a binary: an absolute path, a path relative to its workdir, or a bare name found in a bin
 * directory.
 */
function hasBinary(contract: ImageContract, program: string): boolean {
    const paths = Object.keys(contract.binaries);
    if (program.startsWith("/")) return paths.includes(program);
    if (program.includes("/")) return paths.includes(path.posix.join(contract.workdir ?? "/", program));
    return paths.some((p) => path.posix.basename(p) === program && /\/s?bin\//.test(p));
}

/** Commands every POSIX shell has built in. */
const SHELL_BUILTINS = new Set([
    "printf",
    "echo",
    "exec",
    "test",
    "[",
    "cd",
    "read",
    "true",
    "false",
    "exit",
    "export",
]);

/** Shell syntax that only bash understands: Docker runs CMD-SHELL checks with the image's /bin/sh. */
const BASH_ONLY = [/\/dev\/tcp\//, /\[\[/, /<<</, /\$\{[^}]*\/\//];

/**
 * The shell scripts a container runs, each with where it comes from: the files it is given that start with `#!` and a
 * shell, its crontabs' commands (crond runs each through /bin/sh -c), and a script its argv hands to `sh -c`. Secret
 * files hold no script and are left out.
 */
export function containerScripts(spec: ContainerSpec): Array<{ readonly from: string; readonly script: string }> {
    const scripts: Array<{ from: string; script: string }> = [];
    for (const u of spec.uploads ?? []) {
        if (typeof u.content !== "string") continue;
        if (/^#!\S*\/(ba)?sh\b/.test(u.content)) scripts.push({ from: u.file, script: u.content });
        if (/^\/etc\/crontabs\//.test(u.file)) {
            // Blank lines, comments and `NAME=value` settings hold no command.
            const lines = u.content.split("\n").filter((l) => !/^\s*(#|$|[A-Za-z_][A-Za-z0-9_]*\s*=)/.test(l));
            const commands = lines.map((l) => l.trim().split(/\s+/).slice(5).join(" "));
            scripts.push({ from: u.file, script: commands.join("\n") });
        }
    }
    const argv = [...(spec.entrypoints ?? []), ...(spec.command ?? [])];
    if (/(^|\/)sh$/.test(argv[0] ?? "") && argv[1] === "-c" && argv[2] !== undefined)
        scripts.push({ from: "its argv (sh -c)", script: argv[2] });
    return scripts;
}

/**
 * What the container's scripts run that its image does not have (contract binaries) and it is not given (uploads):
 * one line per script, naming each missing program.
 */
function scriptProblems(spec: ContainerSpec, contract: ImageContract): string[] {
    const given = (spec.uploads ?? []).map((u) => u.file);
    const has = (program: string) =>
        hasBinary(contract, program) ||
        given.includes(program) ||
        (!program.includes("/") && given.some((f) => path.posix.basename(f) === program && /\/s?bin\//.test(f)));
    return containerScripts(spec).flatMap(({ from, script }) => {
        const interpreter = /^#!\s*(\S+)/.exec(script)?.[1];
        const missing = [...(interpreter && !has(interpreter) ? [interpreter] : []), ...missingCommands(script, has)];
        return missing.length === 0
            ? []
            : [`${from} runs ${missing.join(", ")}, which ${contract.image} does not have`];
    });
}

/** What a contract says is wrong with one container spec, as one line per problem. */
export function contractProblems(spec: ContainerSpec, contract: ImageContract): string[] {
    const problems: string[] = [];
    const adds = new Set(spec.capabilities?.adds ?? []);
    const tests = spec.healthcheck?.tests ?? [];
    if (tests[0] === "CMD" && tests[1] && !hasBinary(contract, tests[1]))
        problems.push(`health check calls ${tests[1]}, which ${contract.image} does not have`);
    if (tests[0] === "CMD-SHELL") {
        const sh = contract.binaries["/bin/sh"];
        if (!sh) problems.push(`a CMD-SHELL health check needs /bin/sh, which ${contract.image} does not have`);
        else if (BASH_ONLY.some((re) => re.test(tests[1] ?? "")) && !/\bbash\b/.test(sh)) {
            problems.push(
                `the CMD-SHELL health check uses bash syntax, but /bin/sh in ${contract.image} is not bash (${sh.split(/[;,(]/)[0]!.trim()})`,
            );
        }
        for (const part of (tests[1] ?? "").split(/&&|\|\||;|\|/)) {
            const word = part
                .trim()
                .split(/\s+/)
                .find((w) => !/^[A-Z_]+=/.test(w) && !/^\d*[<>]/.test(w) && w !== "exec");
            if (word && /^[a-z][\w.-]*$/.test(word) && !SHELL_BUILTINS.has(word) && !hasBinary(contract, word))
                problems.push(`the health check runs ${word}, which ${contract.image} does not have`);
        }
    }
    const entry = spec.entrypoints ?? [];
    if (entry[0] && !hasBinary(contract, entry[0])) problems.push(`entrypoint ${entry[0]} is not in ${contract.image}`);
    const asRoot = !spec.user || /^(root|0)(:|$)/.test(spec.user);
    const drop = contract.privilegeDrop;
    // The image's own entrypoint runs only when the container keeps it.
    if (drop && entry.length === 0 && (asRoot || drop.onlyAsRoot === false)) {
        const missing = drop.needs.filter((c) => !adds.has(c));
        if (missing.length > 0)
            problems.push(
                `its entrypoint (${drop.how.split(/[,;:]/)[0]}) needs ${missing.join(", ")}, which the container drops`,
            );
    }
    for (const c of contract.execNeeds ?? [])
        if (!adds.has(c)) problems.push(`${contract.image} cannot even exec its binary without ${c}`);
    problems.push(...scriptProblems(spec, contract));
    return problems;
}
