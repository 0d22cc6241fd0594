/**
 * The check of a container spec against the contract of its image (components/imageContracts/), shared by
 * test/imageContracts.test.ts (the check catches what it is for) and test/imageContracts.stack.test.ts (every container
 * of every shipped stack meets it).
 */
import * as path from "path";
import { ImageContract } from "../components/imageContracts";

interface ContainerSpec {
    readonly name: string;
    readonly user?: string;
    readonly entrypoints?: string[];
    readonly command?: string[];
    readonly capabilities?: { adds?: string[] };
    readonly healthcheck?: { tests: string[] };
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
    return problems;
}
