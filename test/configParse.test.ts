/**
 * parseStackConfig (issue 16, item 1): the config reader is a pure function of the stack's raw config, so scripts read
 * a stack's settings from its files without running the program under mocks. Rung 1: the program's own reader under
 * the SDK's mocks (what `pulumi up` runs) is compared with the pure parse of the same files.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { spawnSync } from "child_process";
import { ConfigError, parseStackConfig, StackConfig } from "../components/config";
import { loadStackSettings, rawConfigOf, REPO_ROOT } from "../scripts/lib/stackFiles";
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
