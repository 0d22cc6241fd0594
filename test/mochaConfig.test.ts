/**
 * Requirement (issue 17, friction 8): `npx mocha test/<file>.test.ts` runs just that file. Mocha adds a config file's
 * `spec` to the files named on the command line (mocha 11.8.0 lib/cli/run-helpers.js, the spec of the merged options),
 * so a `spec` there would run the whole suite beside the one file. Rung: unit (the config file as mocha reads it).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");

describe("mocha's config runs no file of its own (issue 17, friction 8: npx mocha <file> runs one file)", () => {
    it("no mocha config file in the repository names a spec", () => {
        const configs = fs.readdirSync(ROOT).filter((f) => /^\.mocharc(\.(json|jsonc|js|cjs|yaml|yml))?$/.test(f));
        expect(configs, "the repository's mocha config").to.deep.equal([".mocharc.json"]);
        const config = JSON.parse(fs.readFileSync(path.join(ROOT, ".mocharc.json"), "utf8")) as Record<string, unknown>;
        expect(config).to.not.have.property("spec");
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as Record<string, unknown>;
        expect(pkg, "package.json's mocha section would add its spec too").to.not.have.property("mocha");
    });
});
