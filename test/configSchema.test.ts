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
import {
    CONFIG_KEYS,
    CONFIG_SCHEMA,
    projectDescription,
    renderProjectConfig,
    SECRET_CONFIG_KEYS,
} from "../components/config";
import type { ConfigKey } from "../components/config";
import type { FieldSpecs } from "../components/config/fields";
import { NESTED } from "../components/config/nestedFields";
import type { KeySpec } from "../components/config/schema";
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
        expect(declared.backup?.default).to.deep.equal({
            schedule: "15 3 * * *",
            retentionDays: 14,
            pointInTime: true,
            pointInTimeDays: 7,
            synchronousWal: false,
            walKeepMb: 4096,
            drillSchedule: "45 4 * * *",
        });
        expect(declared.backup?.description).to.equal(projectDescription("backup"));
        expect(declared.domain).to.not.have.property("default");
    });

    it("renders a block that parses back to the schema (a description with ': ' in it stays one string)", () => {
        const parsed = YAML.parse(renderProjectConfig()) as { config: Record<string, { description: string }> };
        for (const key of CONFIG_KEYS) expect(parsed.config[key]?.description, key).to.equal(projectDescription(key));
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

/**
 * Issue 16, item 1 (leftovers): a default is declared once, on its field, and the generator states it in the key's
 * description; prose that restated it ("port (22)", "default root") drifted from the field. Besides those phrases, a
 * default may not stand in its key's prose as a token at all (attack #15: "keeps 14 days of dumps unless set" passed
 * the phrases). Rung 1: the schema and the rendered descriptions, as Pulumi.yaml carries them.
 */
describe("config schema: each default is stated by the generator from its field, never in the prose", () => {
    interface Stated {
        readonly key: ConfigKey;
        /** Dotted below the key, as the description names it (e2e.celsius); the key itself for a typed key. */
        readonly path: string;
        readonly name: string;
        readonly value: string | number | boolean;
        /** Whether the generated description states it (resources' catalog limits are not). */
        readonly described: boolean;
    }

    /** Every setting with a scalar default, at any depth, nested settings (./nestedFields.ts) included. */
    function scalarDefaults(): Stated[] {
        const found: Stated[] = [];
        const walk = (key: ConfigKey, fields: FieldSpecs, prefix: string, described: boolean) => {
            for (const [name, spec] of Object.entries(fields)) {
                const shown = described && spec.inDescription !== false;
                if (spec.kind === "object") walk(key, spec.fields, `${prefix}${name}.`, shown);
                const value = spec.default;
                if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
                    found.push({ key, path: `${prefix}${name}`, name, value, described: shown });
            }
        };
        for (const key of CONFIG_KEYS) {
            const spec: KeySpec = CONFIG_SCHEMA[key];
            if ("secret" in spec) continue;
            if (spec.type === "object") {
                const nested: FieldSpecs = key in NESTED ? NESTED[key as keyof typeof NESTED] : {};
                walk(key, { ...spec.fields, ...nested }, "", true);
            } else if (typeof spec.default === "string" || typeof spec.default === "boolean") {
                // A typed key's default is Pulumi.yaml's own `default:`, beside the description.
                if (spec.default !== "")
                    found.push({ key, path: key, name: key, value: spec.default, described: false });
            }
        }
        return found;
    }

    const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    /** The value standing alone: not part of a longer word, number, path or slug. */
    const alone = (value: string) => `(?<![\\w./-])${escaped(value)}(?![\\w./-])`;

    /** The phrases in which prose restates a setting's default; what each one catches is in its comment. */
    function restatements(name: string, value: string): RegExp[] {
        const v = alone(value);
        const n = `\\b${escaped(name)}\\b`;
        return [
            new RegExp(`\\bdefault:?\\s+${v}`, "i"), // "default root", "default: 7"
            new RegExp(`${v}\\s*\\(default\\)`, "i"), // "container (default)"
            new RegExp(`${v}\\s+(is\\s+)?(the\\s+)?default\\b|${v}\\s+by default`, "i"), // "50 by default"
            new RegExp(`${n}\\s*\\([^()]*${v}[^()]*\\)`), // "port (22)", "volumeSizeGb (block volume, 50)"
            new RegExp(`\\([^()]*${n}[^()]*${v}[^()]*\\)`), // "(Prometheus, metricsRetentionDays, 15)"
            new RegExp(`${n}:\\s*${v}`), // "dockerfile: Dockerfile"
        ];
    }

    it("finds the defaults of every kind of setting, nested ones included", () => {
        const paths = scalarDefaults().map((s) => `${s.key}.${s.path}`);
        expect(paths).to.include.members([
            "target.target",
            "ssh.port",
            "droplet.size",
            "verification.e2e.celsius",
            "appBuild.targets.backend",
            "resources.postgres.memoryMb",
        ]);
    });

    it("no description's prose restates a default of its own key's settings", () => {
        const found: string[] = [];
        for (const { key, path, name, value } of scalarDefaults()) {
            const prose = CONFIG_SCHEMA[key].description;
            for (const phrase of restatements(name, String(value))) {
                const m = phrase.exec(prose);
                if (m) found.push(`${key}: "${m[0]}" restates ${path}'s default ${String(value)}`);
            }
        }
        expect(found).to.deep.equal([]);
    });

    /**
     * A default standing alone in prose, however it is phrased: a number not part of a longer number, a version, a
     * path or a slug ("keeps 14 days", "14."), or any value in quotes or backticks. An unquoted word is left to the
     * phrases above: "mode container or managed" names a choice.
     */
    function asToken(value: string | number | boolean): RegExp[] {
        const text = String(value);
        const v = escaped(text);
        const tokens = [new RegExp(`["'\`\u201c\u2018]${v}["'\`\u201d\u2019]`)];
        if (/^-?\d+(\.\d+)?$/.test(text)) tokens.push(new RegExp(`(?<![\\w./:-])${v}(?![\\w/:-]|\\.\\d)`));
        return tokens;
    }

    /** Each default of a key's settings that its prose carries as a token; `prose` gives a key's prose. */
    function defaultsAsTokens(prose: (key: ConfigKey) => string): string[] {
        const found: string[] = [];
        for (const { key, path, value } of scalarDefaults()) {
            for (const token of asToken(value)) {
                const m = token.exec(prose(key));
                if (m) found.push(`${key}: "${m[0]}" carries ${path}'s default ${String(value)}`);
            }
        }
        return found;
    }

    it("no description's prose carries a default of its own key's settings as a standalone token", () => {
        // No exceptions today: every number and quoted text in the prose is an example or a limit, not a default.
        expect(defaultsAsTokens((key) => CONFIG_SCHEMA[key].description)).to.deep.equal([]);
    });

    it("catches a default restated in passing (attack #15: backup's prose says retentionDays keeps 14 days)", () => {
        const attacked = CONFIG_SCHEMA.backup.description.replace(
            "retentionDays,",
            "retentionDays, which keeps 14 days of dumps unless set,",
        );
        expect(attacked).to.not.equal(CONFIG_SCHEMA.backup.description);
        // The phrases above miss it; the token check does not.
        expect(restatements("retentionDays", "14").some((phrase) => phrase.test(attacked))).to.equal(false);
        expect(defaultsAsTokens((key) => (key === "backup" ? attacked : CONFIG_SCHEMA[key].description))).to.deep.equal(
            [`backup: "14" carries retentionDays's default 14`],
        );
        const caught = (value: string | number, prose: string) => asToken(value).some((token) => token.test(prose));
        expect(caught(14, "logs are kept 14.")).to.equal(true);
        expect(caught("root", "user (with sudo; `root` unless set)")).to.equal(true);
        expect(caught("16", "version (PostgreSQL 16 unless set)")).to.equal(true);
        expect(caught("15 3 * * *", 'schedule, "15 3 * * *" unless set')).to.equal(true);
        // Part of a longer number, a version, a range, a path or a slug, or an unquoted word, is not the default.
        expect(caught(14, "1.14.2, 14-day, 140, 10/14, 14/28, fra14, x.x.x.14/32")).to.equal(false);
        expect(caught("container", "PostgreSQL: mode container or managed")).to.equal(false);
    });

    it("catches the restatements the prose used to carry (the check itself can fail)", () => {
        const caught = (name: string, value: string, prose: string) =>
            restatements(name, value).some((phrase) => phrase.test(prose));
        expect(caught("user", "root", "user (with sudo, default root), port")).to.equal(true);
        expect(caught("port", "22", "user (with sudo), port (22), hostKey")).to.equal(true);
        expect(caught("mode", "container", "PostgreSQL: mode container (default) or managed")).to.equal(true);
        expect(caught("metricsRetentionDays", "15", "metrics (Prometheus, metricsRetentionDays, 15)")).to.equal(true);
        expect(caught("volumeSizeGb", "50", "volumeSizeGb (block volume for all data, 50)")).to.equal(true);
        expect(caught("dockerfile", "Dockerfile", "{context: ../x, dockerfile: Dockerfile}")).to.equal(true);
        // Naming a choice is not restating it: "mode container or managed" lists what mode accepts.
        expect(caught("mode", "container", "PostgreSQL: mode container or managed")).to.equal(false);
    });

    it("the generated description states every default of an object key's settings, rendered from the field", () => {
        for (const { key, path, value, described } of scalarDefaults()) {
            if (!described) continue;
            const description = projectDescription(key);
            const stated = new RegExp(`(Defaults: |, )${escaped(path)} "?${escaped(String(value))}"?(, |\\.$)`);
            expect(description, `${key}.${path}`).to.match(stated);
            expect(description.startsWith(CONFIG_SCHEMA[key].description), key).to.equal(true);
        }
        expect(projectDescription("ssh")).to.match(/ Defaults: user root, port 22\.$/);
        expect(projectDescription("backup")).to.match(
            / Defaults: schedule "15 3 \* \* \*", retentionDays 14, pointInTime true, pointInTimeDays 7, synchronousWal false, walKeepMb 4096, drillSchedule "45 4 \* \* \*"\.$/,
        );
    });

    it("leaves out what Pulumi.yaml's default states and what is too large for a sentence", () => {
        expect(projectDescription("target")).to.equal(CONFIG_SCHEMA.target.description);
        expect(projectDescription("resources")).to.equal(CONFIG_SCHEMA.resources.description);
        expect(projectDescription("resources")).to.contain("components/catalog");
    });
});
