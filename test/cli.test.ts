import { expect } from "chai";
import { shippedStacks } from "../scripts/lib/stackFiles";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../components/config";
import { describeFailure } from "../scripts/lib/cli";

const ROOT = path.resolve(__dirname, "..");
/** The stacks of this checkout as the scripts list them (an operator may have added their own). */
const STACKS = shippedStacks().join(", ");

describe("npm scripts fail with one clear line (scripts/lib/cli.ts)", () => {
    it("prints a config problem as the ConfigError's own lines", () => {
        const err = new ConfigError("tmp", [
            { key: "freshtrack:appVersion", value: "latest", expected: "a pinned version tag" },
        ]);
        expect(describeFailure("deploy", err)).to.equal(err.message);
        expect(err.message).to.contain('freshtrack:appVersion = "latest": expected a pinned version tag');
    });

    it("says the Pulumi CLI is missing, with where to get it, instead of an ENOENT", () => {
        const err = Object.assign(new Error("spawnSync pulumi ENOENT"), { code: "ENOENT" });
        expect(describeFailure("summary", err)).to.equal(
            "summary: the pulumi command was not found on PATH; install the Pulumi CLI 3.186.0 or newer (https://www.pulumi.com/docs/iac/download-install/)",
        );
        expect(describeFailure("deploy", new Error("first line\n    at stack frame"))).to.equal("deploy: first line");
    });

    const script = (name: string, ...args: string[]) =>
        spawnSync(
            path.join(ROOT, "node_modules", ".bin", "ts-node"),
            ["--transpile-only", `scripts/${name}.ts`, ...args],
            { cwd: ROOT, encoding: "utf8" },
        );

    it("turns a thrown ConfigError into its lines and exit 1, not a dumped object; a misspelt key gets a did-you-mean", () => {
        // A stack file of its own, removed afterwards: restore reads the config before it touches any host.
        const file = path.join(ROOT, "Pulumi.clitest.yaml");
        fs.writeFileSync(
            file,
            fs
                .readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")
                .replace(/^config:\n/m, 'config:\n  freshtrack:appVersoin: "1.4.2"\n'),
        );
        try {
            const result = script("restore", "clitest");
            expect(result.status, result.stderr).to.equal(1);
            expect(result.stderr).to.match(
                /^Stack 'clitest' has 1 configuration problem \(found before any resource was touched\):\n {2}- freshtrack:appVersoin: set, but not declared in Pulumi.yaml; did you mean freshtrack:appVersion\?\n$/,
            );
            expect(result.stderr).to.not.contain("__pulumiRunError");
        } finally {
            fs.rmSync(file, { force: true });
        }
    });

    // Issue 17, second newcomer pass: bench stopped at the first invalid stack file, after measuring those before it.
    it("bench checks every stack's config before it measures any, and names each refused stack (exit 2)", () => {
        const files = ["benchbad1", "benchbad2"].map((stack) => path.join(ROOT, `Pulumi.${stack}.yaml`));
        for (const file of files)
            fs.writeFileSync(
                file,
                fs
                    .readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")
                    .replace(/^config:\n/m, 'config:\n  freshtrack:appVersoin: "1.4.2"\n'),
            );
        try {
            const result = script("bench", "dev", "benchbad1", "benchbad2", "--runs", "1");
            expect(result.status, result.stderr).to.equal(2);
            const problem = (stack: string) =>
                `Stack '${stack}' has 1 configuration problem (found before any resource was touched):\n` +
                "  - freshtrack:appVersoin: set, but not declared in Pulumi.yaml; did you mean freshtrack:appVersion?";
            // Nothing else: no progress line of dev's measurement, which comes first on the command line.
            expect(result.stderr).to.equal(
                `${problem("benchbad1")}\n${problem("benchbad2")}\n` +
                    "bench: nothing was measured; 2 of 3 stack(s) refused above\n",
            );
            expect(result.stdout).to.equal("");
        } finally {
            for (const file of files) fs.rmSync(file, { force: true });
        }
    });

    for (const name of ["summary", "verify", "restore", "plan"]) {
        it(`${name} refuses a stack that has no Pulumi.<stack>.yaml in one line, naming the nearest, before asking the Pulumi CLI`, () => {
            const result = script(name, "prd");
            expect(result.status).to.equal(2);
            expect(result.stderr).to.equal(
                `${name}: there is no stack 'prd' (no Pulumi.prd.yaml); did you mean prod? Stacks: ${STACKS}\n`,
            );
        });
    }
});

describe("scripts that read a deployed stack say plainly when the Pulumi CLI is missing", () => {
    it("summary prints one line with where to get the CLI, not a list of guesses", () => {
        // PATH holds only node, so no pulumi can be found whatever this machine has installed.
        const result = spawnSync(
            process.execPath,
            [
                path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js"),
                "--transpile-only",
                "scripts/summary.ts",
                "dev",
            ],
            {
                cwd: ROOT,
                encoding: "utf8",
                env: { ...process.env, PATH: path.dirname(process.execPath) },
            },
        );
        expect(result.status).to.equal(2);
        expect(result.stderr).to.equal(
            "summary: the pulumi command was not found on PATH; install the Pulumi CLI 3.186.0 or newer (https://www.pulumi.com/docs/iac/download-install/)\n",
        );
    });
});

describe("npm run deploy refuses the shipped documentation examples before touching anything", () => {
    const deploy = (...args: string[]) =>
        spawnSync(
            process.execPath,
            [
                path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js"),
                "--transpile-only",
                "scripts/deploy.ts",
                ...args,
            ],
            {
                cwd: ROOT,
                encoding: "utf8",
                env: { ...process.env, PATH: path.dirname(process.execPath) },
            },
        );

    it("lists the example values still in Pulumi.prod.yaml and exits 1, without calling the Pulumi CLI", () => {
        const result = deploy("prod");
        expect(result.status).to.equal(1);
        const lines = result.stderr.trimEnd().split("\n");
        expect(lines[0]).to.equal(
            "deploy: Pulumi.prod.yaml still has documentation example values; set your own (docs/walkthrough.md, step 4), nothing was deployed:",
        );
        expect(lines).to.include("  freshtrack:adminCidrs[0] = 203.0.113.0/28");
        expect(result.stderr).to.not.contain("pulumi command");
    });

    it("goes on to the Pulumi CLI with --allow-examples", () => {
        const result = deploy("prod", "--allow-examples");
        expect(result.status).to.equal(2);
        expect(result.stderr).to.equal(
            "deploy: the pulumi command was not found on PATH; install the Pulumi CLI 3.186.0 or newer (https://www.pulumi.com/docs/iac/download-install/)\n",
        );
    });
});
