/**
 * Rung 6 of the ladder (shared design, "Testing"): every Service checked
 * against the contract of the image it runs (components/imageContracts/),
 * which cites the image's own Dockerfile and entrypoint at the pinned tag.
 * This is where an entrypoint that needs a dropped capability, or a health
 * check that calls a binary the image lacks, is caught before a real `up`.
 */
import { expect } from "chai";
import * as path from "path";
import { ImageContract, contractFor, IMAGE_CONTRACTS, imagesWithoutContract } from "../components/imageContracts";
import { PUBLIC_IMAGES } from "../components/images";
import { deployStack } from "../components/stack";
import { shippedStacks } from "../scripts/lib/stackFiles";
import { RegisteredResource } from "../scripts/lib/mockRun";
import { containers, runStack } from "./helpers";

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

function imageOf(resources: RegisteredResource[], container: RegisteredResource): string | undefined {
    const pull = resources.find(
        (r) => r.type === "docker:index/remoteImage:RemoteImage" && r.name === `${container.name}-image`,
    );
    return pull ? String(pull.inputs.name) : undefined;
}

describe("Image contracts: every Service against its pinned image (rung 6: image contracts, cited)", function () {
    this.timeout(60_000);

    it("every pinned public image has exactly one contract, and every contract is for a pinned image", () => {
        expect(imagesWithoutContract()).to.deep.equal([]);
        const pinned = new Set<string>(Object.values(PUBLIC_IMAGES));
        expect(IMAGE_CONTRACTS.map((c) => c.image).filter((i) => !pinned.has(i))).to.deep.equal([]);
        expect(new Set(IMAGE_CONTRACTS.map((c) => c.image)).size).to.equal(IMAGE_CONTRACTS.length);
    });

    it("every contract cites its source for the user, the privilege drop and each binary", () => {
        const uncited = IMAGE_CONTRACTS.flatMap((c) => [
            ...(c.runsAs.source.trim() === "" ? [`${c.image}: runsAs`] : []),
            ...(c.privilegeDrop && c.privilegeDrop.source.trim() === "" ? [`${c.image}: privilegeDrop`] : []),
            ...Object.entries(c.binaries)
                .filter(([, s]) => s.trim() === "")
                .map(([b]) => `${c.image}: ${b}`),
        ]);
        expect(uncited).to.deep.equal([]);
    });

    describe("the checks catch what they are for", () => {
        const kuma = contractFor(PUBLIC_IMAGES.uptimeKuma)!;
        const promtail = contractFor(PUBLIC_IMAGES.promtail)!;
        it("an entrypoint that drops privileges without the capability it needs (Uptime Kuma's setpriv without SETGID)", () => {
            expect(
                contractProblems(
                    {
                        name: "uptime-kuma",
                        capabilities: { adds: [] },
                        healthcheck: { tests: ["CMD", "extra/healthcheck"] },
                    },
                    kuma,
                ),
            ).to.have.length(1);
        });
        it("a CMD-SHELL health check with bash syntax in an image whose /bin/sh is dash (promtail's /dev/tcp probe)", () => {
            const spec = {
                name: "promtail",
                healthcheck: { tests: ["CMD-SHELL", "exec 3<>/dev/tcp/127.0.0.1/9080 && grep -q ' 200 ' <&3"] },
            };
            expect(contractProblems(spec, promtail).join("\n")).to.match(/bash syntax/);
        });
        it("a health check binary the image does not have (curl in promtail)", () => {
            expect(
                contractProblems(
                    { name: "promtail", healthcheck: { tests: ["CMD", "curl", "-f", "http://127.0.0.1:9080/ready"] } },
                    promtail,
                ),
            ).to.have.length(1);
        });
    });

    for (const stack of shippedStacks()) {
        it(`stack ${stack}: every container meets the contract of its image`, async () => {
            const run = await runStack(stack, () => deployStack());
            const problems: string[] = [];
            let checked = 0;
            for (const c of containers(run.resources)) {
                const image = imageOf(run.resources, c);
                const contract = image ? contractFor(image) : undefined;
                if (!contract) continue; // the FreshTrack images come from config and have no public Dockerfile here
                checked++;
                for (const p of contractProblems({ name: c.name, ...(c.inputs as object) }, contract))
                    problems.push(`${c.name}: ${p}`);
            }
            expect(problems).to.deep.equal([]);
            expect(checked).to.be.greaterThan(15);
        });
    }
});
