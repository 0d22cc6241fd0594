/**
 * Rung 3 (the real files): what package.json promises the operator about the
 * runtime agrees with what the installed Pulumi packages declare.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import * as YAML from "yaml";

const ROOT = path.resolve(__dirname, "..");

function packageJson(dir: string): { engines?: { node?: string }; dependencies?: Record<string, string> } {
    return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
}

/** The lowest major version a `>=N[.M[.P]]` range admits; anything else is refused, so a new form is looked at. */
function minimumMajor(range: string, where: string): number {
    const m = /^>=\s*(\d+)(\.\d+){0,2}$/.exec(range.trim());
    if (!m) throw new Error(`${where}: engines.node = ${range}: expected the form >=N`);
    return Number(m[1]);
}

describe("package.json: the Node.js version the project asks for", () => {
    it("is at least what every installed @pulumi package declares in its engines field", () => {
        const ours = packageJson(ROOT);
        const own = minimumMajor(ours.engines?.node ?? "", "package.json");
        const declared = Object.keys(ours.dependencies ?? {})
            .filter((name) => name.startsWith("@pulumi/"))
            .flatMap((name) => {
                const range = packageJson(path.join(ROOT, "node_modules", name)).engines?.node;
                return range ? [{ name, major: minimumMajor(range, name) }] : [];
            });
        // @pulumi/pulumi 3.270 declares >=22; a future upgrade that raises it must raise ours too.
        expect(declared.map((d) => d.name)).to.include("@pulumi/pulumi");
        for (const d of declared) expect(own, `${d.name} asks for Node ${d.major}`).to.be.at.least(d.major);
    });
});

describe("the repository's YAML files: each parses as YAML 1.2, as the Pulumi CLI's parser reads it", () => {
    // PulumiPolicy.yaml once held an unquoted "description: ... rules: ..." line, which YAML refuses
    // ("mapping values are not allowed"), so `pulumi up --policy-pack policy` could not load the pack.
    const tracked = execFileSync("git", ["ls-files", "*.yaml", "*.yml"], { cwd: ROOT, encoding: "utf8" })
        .split("\n")
        .filter((f) => f !== "");

    it("finds Pulumi.yaml, every stack file and the policy pack's", () => {
        expect(tracked).to.include.members([
            "Pulumi.yaml",
            "Pulumi.dev.yaml",
            "Pulumi.prod.yaml",
            "policy/PulumiPolicy.yaml",
        ]);
    });

    for (const file of tracked) {
        it(`${file} parses without errors or warnings`, () => {
            const doc = YAML.parseDocument(fs.readFileSync(path.join(ROOT, file), "utf8"), { strict: true });
            expect(
                doc.errors.map((e) => e.message),
                file,
            ).to.deep.equal([]);
            expect(
                doc.warnings.map((e) => e.message),
                file,
            ).to.deep.equal([]);
        });
    }
});
