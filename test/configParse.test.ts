/**
 * parseStackConfig (issue 16, item 1): the config reader is a pure function of the stack's raw config, so scripts read
 * a stack's settings from its files without running the program under mocks. Rung 1: the program's own reader under
 * the SDK's mocks (what `pulumi up` runs) is compared with the pure parse of the same files.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { spawnSync } from "child_process";
import nodeFs, { PathOrFileDescriptor } from "fs";
import * as path from "path";
import { ConfigError, NODE_FILES, parseStackConfig, RawConfig, StackConfig } from "../components/config";
import { Source } from "../components/config/source";
import { loadStackConfigFor, loadStackSettings, rawConfigOf, REPO_ROOT } from "../scripts/lib/stackFiles";
import { configFor, settingsWith } from "./helpers";
import { URN_VARIANTS } from "./urnVariants";

/** The settings with every Output replaced by a marker and whether it is secret, so two reads can be compared. */
async function comparable(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        const secret = await (value as pulumi.Output<unknown> & { isSecret: Promise<boolean> }).isSecret;
        return { output: true, secret };
    }
    if (Array.isArray(value)) return Promise.all(value.map(comparable));
    if (typeof value === "object" && value !== null) {
        const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await comparable(v)]));
        return Object.fromEntries(entries);
    }
    return value;
}

describe("parseStackConfig: the stack's settings from its raw config, without the Pulumi runtime", () => {
    for (const [variant, settings] of Object.entries(URN_VARIANTS)) {
        it(`${variant}: reads exactly what the program reads under the SDK's mocks`, async () => {
            const viaProgram: StackConfig = await configFor(settings());
            const pure = parseStackConfig(rawConfigOf(settings()));
            expect(await comparable(pure)).to.deep.equal(await comparable(viaProgram));
            expect(Object.isFrozen(pure.backup)).to.equal(true);
        });
    }

    it("reports every problem at once, as the program does (same keys, same messages)", async () => {
        const bad = settingsWith({
            "freshtrack:target": "droplet",
            "freshtrack:tlsMode": "acme",
            "freshtrack:domain": "x",
        });
        const program = await configFor(bad).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(program).to.be.instanceOf(ConfigError);
        expect(() => parseStackConfig(rawConfigOf(bad))).to.throw(ConfigError, (program as ConfigError).message);
    });

    it("runs in a process that never started the Pulumi runtime or its mocks", function () {
        this.timeout(60_000);
        const script = [
            'const { parseStackConfig } = require("./components/config");',
            'const { loadStackSettings, rawConfigOf } = require("./scripts/lib/stackFiles");',
            'const cfg = parseStackConfig(rawConfigOf(loadStackSettings("prod")));',
            "console.log(JSON.stringify({ target: cfg.target, region: cfg.droplet.region, environment: cfg.environment }));",
        ].join("\n");
        const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
            cwd: REPO_ROOT,
            encoding: "utf8",
        });
        expect(run.status, run.stderr).to.equal(0);
        expect(JSON.parse(run.stdout)).to.deep.equal({ target: "droplet", region: "fra1", environment: "production" });
    });

    describe("nothing keys on the stack's name (freshtrack:environment says what a stack is for)", () => {
        it("a production environment gets droplet backups by default, any other environment none", () => {
            const droplet = (environment: string, stack: string) => {
                const settings = loadStackSettings("staging");
                settings.config["freshtrack:environment"] = environment;
                settings.config["freshtrack:droplet"] = JSON.stringify({ region: "fra1" });
                const cfg = parseStackConfig(rawConfigOf({ ...settings, stack }));
                return cfg.target === "droplet" ? cfg.droplet.backups : undefined;
            };
            expect(droplet("production", "eu-west-fleet")).to.equal(true);
            expect(droplet("staging", "prod")).to.equal(false);
            expect(droplet("development", "prod")).to.equal(false);
        });

        it("refuses an environment it does not know, naming the three", () => {
            const settings = settingsWith({ "freshtrack:environment": "prod" });
            expect(() => parseStackConfig(rawConfigOf(settings))).to.throw(
                ConfigError,
                'freshtrack:environment = "prod": expected one of development, staging, production',
            );
        });
    });
});

/**
 * Issue 16, item 1 (leftovers): the reader reads only what the schema declares, and reads it once. Rung 1: the
 * reader's own types (tsc checks each `@ts-expect-error` below: one that stops being an error fails `npm test`'s
 * typecheck) and its reads of one stack's raw config.
 */
describe("Source: reads only the keys the schema declares, each parsed once", () => {
    const raw = (values: Record<string, string>): RawConfig => ({
        stack: "test",
        project: "freshtrack",
        values,
        encrypted: new Set(),
        files: NODE_FILES,
    });

    it("refuses, at compile time, a read of a key the schema does not declare, and a read of the wrong kind", () => {
        const src = new Source(raw({ "freshtrack:colour": "blue", "freshtrack:domain": "x.example.com" }));
        // Never run: the compiler is the check, and each read would look up a spec that does not exist.
        const refused = () => [
            // @ts-expect-error: colour is not a key of CONFIG_SCHEMA.
            src.text("colour"),
            // @ts-expect-error: colour is not a key of CONFIG_SCHEMA.
            src.value("colour"),
            // @ts-expect-error: colour is not a key of CONFIG_SCHEMA.
            src.key("colour"),
            // @ts-expect-error: domain is a string key, not an object key.
            src.object("domain"),
            // @ts-expect-error: domain is a string key, not a secret one.
            src.secret("domain", "it is needed"),
            // @ts-expect-error: backup is an object key, read by its fields.
            src.read("backup"),
            // @ts-expect-error: offsite is a nested setting of backup, not of alerts.
            src.nested("alerts", "offsite"),
            // @ts-expect-error: dropletSize is not a field of droplet.
            src.field("droplet", "dropletSize"),
        ];
        expect(refused).to.be.a("function");
        expect(src.read("domain")).to.deep.equal({ value: "x.example.com", valid: true });
        expect(src.problems.list).to.deep.equal([]);
    });

    it("parses an object key's JSON once, however many readers look at it", () => {
        const src = new Source(raw({ "freshtrack:backup": JSON.stringify({ schedule: "15 3 * * *" }) }));
        const first = src.value("backup");
        expect(src.value("backup")).to.equal(first);
        expect(src.object("backup")).to.equal(first);
        // The whole read of a stack whose structured values are each written differently (trailing spaces, which
        // JSON ignores), so that every parse names its key.
        const settings = loadStackSettings("prod");
        const values = Object.fromEntries(
            Object.entries(settings.config).map(([k, v], i) => [k, /^[[{]/.test(v) ? v + " ".repeat(i) : v]),
        );
        const parse = JSON.parse;
        const parsed: string[] = [];
        JSON.parse = ((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
            parsed.push(text);
            return parse(text, reviver);
        }) as typeof JSON.parse;
        try {
            parseStackConfig(rawConfigOf({ ...settings, config: values }));
        } finally {
            JSON.parse = parse;
        }
        // Scalars (true, 7) may share a text between keys; the structured ones are each their key's own.
        const twice = parsed.filter((text, i) => /^[[{]/.test(text) && parsed.indexOf(text) !== i);
        expect(parsed).to.include(values["freshtrack:backup"]);
        expect(twice, "parsed again").to.deep.equal([]);
    });

    it("loadStackConfigFor reads Pulumi.yaml once, for its settings and the project's name alike", () => {
        // The module object itself: scripts/lib/stackFiles.ts reads readFileSync from it at each call.
        const read = nodeFs.readFileSync;
        const reads: string[] = [];
        nodeFs.readFileSync = ((file: PathOrFileDescriptor, ...rest: unknown[]) => {
            reads.push(String(file));
            return (read as (...args: unknown[]) => unknown)(file, ...rest);
        }) as typeof read;
        let cfg: StackConfig;
        try {
            cfg = loadStackConfigFor("prod");
        } finally {
            nodeFs.readFileSync = read;
        }
        expect(reads.filter((f) => path.basename(f) === "Pulumi.yaml")).to.have.length(1);
        expect(cfg.project).to.equal("freshtrack");
    });
});
