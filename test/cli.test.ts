import { expect } from "chai";
import { spawnSync } from "child_process";
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

    it("turns a thrown ConfigError into its lines and exit 1, not a dumped object", () => {
        const result = spawnSync(path.join(ROOT, "node_modules", ".bin", "ts-node"), ["--transpile-only", "scripts/restore.ts", "nosuchstack"], { cwd: ROOT, encoding: "utf8" });
        expect(result.status).to.equal(1);
        expect(result.stderr).to.match(/^Stack 'nosuchstack' has 1 configuration problem/);
        expect(result.stderr).to.not.contain("__pulumiRunError");
    });
});
