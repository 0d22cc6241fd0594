/**
 * A configurable health check command must be able to fail (issue 16, attack #21: a workerHealthcheck default of
 * `pnpm --silent worker:healthcheck || true` passed every guard). Docker judges a container by the exit status of its
 * CMD-SHELL check alone (components/config/commands.ts cites moby), and the rollout waits for healthy containers, so a
 * check forced to exit 0 lets a broken worker replace a working one. The schema's check refuses the shapes that force
 * status 0, with a message naming the key, the value and what was expected. Rung 1: the schema's checks, and the
 * config reader under mocks as configErrors.test.ts runs it. Rung 4 (test/catalogHealthHttp.servers.test.ts) runs the
 * configured command under /bin/sh.
 */
import { expect } from "chai";
import { SERVICE_SPECS } from "../components/catalog";
import { CONFIG_KEYS, CONFIG_SCHEMA } from "../components/config";
import type { FieldSpec, FieldSpecs } from "../components/config/fields";
import { cannotFail } from "../components/config/commands";
import { keysOf, problemsFor } from "./configFixtures";
import { configFor, settingsWith } from "./helpers";

/** A setting's spec by its dotted path below `freshtrack:` (appCommands.workerHealthcheck). */
function settingSpec(path: string): FieldSpec<unknown> | undefined {
    const [key, ...fields] = path.split(".");
    const spec = CONFIG_SCHEMA[key as (typeof CONFIG_KEYS)[number]];
    if (spec === undefined || !("type" in spec) || spec.type !== "object") return undefined;
    let found: FieldSpec<unknown> | undefined;
    let within: FieldSpecs = spec.fields;
    for (const name of fields) {
        found = within[name];
        if (found === undefined) return undefined;
        within = found.kind === "object" ? found.fields : {};
    }
    return found;
}

/**
 * Every health check command a stack can set: the settings the catalog's specs take their check from, and any object
 * setting named for health, so that a new one is found either way.
 */
function healthCommandSettings(): { fromCatalog: string[]; byName: string[] } {
    const fromCatalog = SERVICE_SPECS.flatMap((s) =>
        typeof s.health === "object" && "fromConfig" in s.health
            ? [s.health.fromConfig.replace(/^freshtrack:/, "")]
            : [],
    );
    const byName: string[] = [];
    const walk = (prefix: string, fields: FieldSpecs) => {
        for (const [name, spec] of Object.entries(fields)) {
            if (spec.kind === "object") walk(`${prefix}.${name}`, spec.fields);
            else if (/health/i.test(name)) byName.push(`${prefix}.${name}`);
        }
    };
    for (const key of CONFIG_KEYS) {
        const spec = CONFIG_SCHEMA[key];
        if ("type" in spec && spec.type === "object") walk(key, spec.fields);
    }
    return { fromCatalog: fromCatalog.sort(), byName: byName.sort() };
}

/** Commands whose exit status is 0 whatever the check found: the attack's, and each shape beside it. */
const CANNOT_FAIL: ReadonlyArray<[string, string]> = [
    ["pnpm --silent worker:healthcheck || true", "|| true"],
    ["pnpm --silent worker:healthcheck ||true", "|| true"],
    ["pnpm --silent worker:healthcheck || /bin/true", "|| true"],
    ["pnpm --silent worker:healthcheck || :", "|| true"],
    ["pnpm --silent worker:healthcheck || true; echo checked", "|| true"],
    ["pnpm --silent worker:healthcheck || exit 0", "|| exit 0"],
    ["pnpm --silent worker:healthcheck; exit 0", "; exit 0"],
    ["pnpm --silent worker:healthcheck; exit 0; echo unreachable", "; exit 0"],
    ["pnpm --silent worker:healthcheck; true", "; true"],
    ["pnpm --silent worker:healthcheck ; : ;", "; true"],
];

/** Commands that still say unhealthy when the check fails: none may be refused. */
const CAN_FAIL = [
    "pnpm --silent worker:healthcheck",
    "curl -fsS http://localhost:9464/metrics || exit 1",
    "test -f /tmp/worker-alive || exit 1",
    "pnpm --silent worker:healthcheck && test -s /tmp/heartbeat",
    "node healthcheck.js || exit 10",
    "true && pnpm --silent worker:healthcheck",
];

describe("config: a configurable health check command can fail (issue 16, attack #21)", () => {
    it("finds every configurable health check: the catalog's (worker) and any setting named for health", () => {
        const { fromCatalog, byName } = healthCommandSettings();
        expect(fromCatalog).to.deep.equal(["appCommands.workerHealthcheck"]);
        expect(byName).to.deep.equal(fromCatalog);
    });

    for (const path of healthCommandSettings().fromCatalog) {
        describe(path, () => {
            const spec = settingSpec(path);
            const [key, field] = [path.slice(0, path.indexOf(".")), path.slice(path.indexOf(".") + 1)];
            const setting = (value: string) => ({ [`freshtrack:${key}`]: { [field]: value } });

            it("has a default, and the default is a command that can fail", async () => {
                if (spec === undefined || spec.kind !== undefined) throw new Error(`${path}: not a value setting`);
                expect(spec.default, path).to.be.a("string");
                const dflt = spec.default as string;
                expect(cannotFail(dflt), dflt).to.equal(undefined);
                expect(spec.check(dflt, {}), dflt).to.equal(undefined);
                const cfg = await configFor(settingsWith({}));
                expect(cfg.app.commands.workerHealthcheck).to.equal(dflt);
            });

            for (const [command, reads] of CANNOT_FAIL) {
                it(`refuses ${JSON.stringify(command)}, naming the key, the value and what was expected`, async () => {
                    const err = await problemsFor(setting(command));
                    expect(keysOf(err)).to.deep.equal([`freshtrack:${path}`]);
                    expect(err.message).to.contain(
                        `  - freshtrack:${path} = ${JSON.stringify(command)}: expected a health check command that ` +
                            `exits non-zero when the service is unhealthy; \`${reads}\` makes it exit 0 whatever ` +
                            "happens, so a broken service would pass its health check and the rollout would go on",
                    );
                });
            }

            it("accepts commands whose status can still be non-zero", async () => {
                for (const command of CAN_FAIL) {
                    expect(cannotFail(command), command).to.equal(undefined);
                    const cfg = await configFor(settingsWith(setting(command)));
                    expect(cfg.app.commands.workerHealthcheck).to.equal(command);
                }
            });

            it("still says a one-line shell command first, as before, for an empty or multi-line one", async () => {
                const err = await problemsFor(setting("pnpm worker:healthcheck\n|| true"));
                expect(err.message).to.contain(
                    `  - freshtrack:${path} = "pnpm worker:healthcheck\\n|| true": expected a one-line shell command`,
                );
            });
        });
    }

    it("leaves the commands that are not health checks as they were (migrate, seed: one line of shell)", async () => {
        const cfg = await configFor(settingsWith({ "freshtrack:appCommands": { migrate: "pnpm db:migrate || true" } }));
        expect(cfg.app.commands.migrate).to.equal("pnpm db:migrate || true");
        const err = await problemsFor({ "freshtrack:appCommands": { seed: " " } });
        expect(err.message).to.contain(`  - freshtrack:appCommands.seed = " ": expected a one-line shell command`);
    });
});
