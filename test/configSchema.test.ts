/**
 * One config schema (issue 16, item 1): Pulumi.yaml's `config:` block is generated from
 * components/config/schema.ts, and the reader takes its key lists and defaults from the same table.
 * Rung 3 (the real file): the committed Pulumi.yaml is compared with what the schema renders.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { CONFIG_KEYS, CONFIG_SCHEMA, renderProjectConfig, SECRET_CONFIG_KEYS } from "../components/config";
import { GENERATED_MARKER, projectFileWithSchema } from "../scripts/generate";
import { readProjectFile, REPO_ROOT } from "../scripts/lib/stackFiles";

const PROJECT_FILE = path.join(REPO_ROOT, "Pulumi.yaml");

describe("config schema: Pulumi.yaml's config block is generated from components/config/schema.ts", () => {
    it("the committed Pulumi.yaml is what the schema renders (run npm run generate after changing the schema)", () => {
        const current = fs.readFileSync(PROJECT_FILE, "utf8");
        expect(current, "Pulumi.yaml is stale: run npm run generate").to.equal(projectFileWithSchema(current));
    });

    it("keeps the project's own head (name, runtime) above the generated block", () => {
        const doc = YAML.parse(fs.readFileSync(PROJECT_FILE, "utf8")) as { name: string; runtime: { name: string } };
        expect(doc.name).to.equal("freshtrack");
        expect(doc.runtime.name).to.equal("nodejs");
    });

    it("declares every schema key, secrets untyped with an empty default, object keys with their fields' defaults", () => {
        const declared = readProjectFile().config;
        expect(Object.keys(declared)).to.deep.equal(CONFIG_KEYS);
        for (const key of SECRET_CONFIG_KEYS) expect(declared[key], key).to.deep.include({ secret: true, default: "" });
        expect(declared.backup?.default).to.deep.equal({ schedule: "15 3 * * *", retentionDays: 14 });
        expect(declared.backup?.description).to.equal(CONFIG_SCHEMA.backup.description);
        expect(declared.domain).to.not.have.property("default");
    });

    it("renders a block that parses back to the schema (a description with ': ' in it stays one string)", () => {
        const parsed = YAML.parse(renderProjectConfig()) as { config: Record<string, { description: string }> };
        for (const key of CONFIG_KEYS)
            expect(parsed.config[key]?.description, key).to.equal(CONFIG_SCHEMA[key].description);
    });

    describe("npm run generate", () => {
        const script = path.join(REPO_ROOT, "scripts", "generate.ts");
        const runIn = (dir: string, ...args: string[]) =>
            spawnSync(
                process.execPath,
                ["-r", "ts-node/register/transpile-only", script, "--file", path.join(dir, "Pulumi.yaml"), ...args],
                { cwd: REPO_ROOT, encoding: "utf8" },
            );

        it("--check exits 1 on a hand-edited block and changes nothing; without it, rewrites the block", function () {
            this.timeout(60_000);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-generate-"));
            const stale = fs.readFileSync(PROJECT_FILE, "utf8").replace("default: local", "default: droplet");
            fs.writeFileSync(path.join(dir, "Pulumi.yaml"), stale);
            const check = runIn(dir, "--check");
            expect(check.status, check.stderr).to.equal(1);
            expect(check.stderr).to.match(/differs from components\/config\/schema.ts; run npm run generate/);
            expect(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")).to.equal(stale);
            const write = runIn(dir);
            expect(write.status, write.stderr).to.equal(0);
            expect(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")).to.equal(
                fs.readFileSync(PROJECT_FILE, "utf8"),
            );
        });

        it("refuses a Pulumi.yaml without the marker line, rather than guess where the block goes", () => {
            expect(() => projectFileWithSchema("name: freshtrack\nconfig: {}\n")).to.throw(GENERATED_MARKER);
        });
    });
});
