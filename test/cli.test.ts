import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../components/config";
import { describeFailure } from "../scripts/lib/cli";

const ROOT = path.resolve(__dirname, "..");

describe("npm scripts fail with one clear line (scripts/lib/cli.ts)", () => {
    it("prints a config problem as the ConfigError's own lines", () => {
        const err = new ConfigError("tmp", [{ key: "freshtrack:appVersion", value: "latest", expected: "a pinned version tag" }]);
        expect(describeFailure("deploy", err)).to.equal(err.message);
        expect(err.message).to.contain('freshtrack:appVersion = "latest": expected a pinned version tag');
    });

    it("says the Pulumi CLI is missing, with where to get it, instead of an ENOENT", () => {
        const err = Object.assign(new Error("spawnSync pulumi ENOENT"), { code: "ENOENT" });
        expect(describeFailure("summary", err)).to.equal("summary: the pulumi command was not found on PATH; install the Pulumi CLI (https://www.pulumi.com/docs/iac/download-install/)");
        expect(describeFailure("deploy", new Error("first line\n    at stack frame"))).to.equal("deploy: first line");
    });

    const script = (name: string, ...args: string[]) =>
        spawnSync(path.join(ROOT, "node_modules", ".bin", "ts-node"), ["--transpile-only", `scripts/${name}.ts`, ...args], { cwd: ROOT, encoding: "utf8" });

    it("turns a thrown ConfigError into its lines and exit 1, not a dumped object; a misspelt key gets a did-you-mean", () => {
        // A stack file of its own, removed afterwards: restore reads the config before it touches any host.
        const file = path.join(ROOT, "Pulumi.clitest.yaml");
        fs.writeFileSync(file, fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8").replace(/^config:\n/m, "config:\n  freshtrack:appVersoin: \"1.4.2\"\n"));
        try {
            const result = script("restore", "clitest");
            expect(result.status, result.stderr).to.equal(1);
            expect(result.stderr).to.match(/^Stack 'clitest' has 1 configuration problem \(found before any resource was touched\):\n {2}- freshtrack:appVersoin \(set\): expected a declared key; did you mean freshtrack:appVersion\?\n$/);
            expect(result.stderr).to.not.contain("__pulumiRunError");
        } finally {
            fs.rmSync(file, { force: true });
        }
    });

    for (const name of ["summary", "verify", "restore", "plan"]) {
        it(`${name} refuses a stack that has no Pulumi.<stack>.yaml in one line, naming the nearest, before asking the Pulumi CLI`, () => {
            const result = script(name, "prd");
            expect(result.status).to.equal(2);
            expect(result.stderr).to.equal(`${name}: there is no stack 'prd' (no Pulumi.prd.yaml); did you mean prod? Stacks: dev, prod, staging\n`);
        });
    }
});
