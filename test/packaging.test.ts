/**
 * Rung 3 (the real files): what package.json promises the operator about the
 * runtime agrees with what the installed Pulumi packages declare.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

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
