/**
 * Requirement (issue 16, attack pass: "a check outside the schema that prints a secret"): nothing the program logs
 * while it runs — what `pulumi preview` and `pulumi up` print as info, warnings and errors — holds a secret: neither a
 * secret config value nor a generated password. Rung 1 (mocks): every shipped stack and variant of test/urnVariants.ts
 * runs under the mock monitor; the SDK, given no engine, writes its log lines to the console (@pulumi/pulumi 3.270.0
 * log/index.js:43-97: `debug:`, `info:`, `warning:`, `error:` with `[runtime]`), which the run records
 * (test/variantRuns.ts, recordingConsole), with every other console line it prints (attack #18: a `console.log` in
 * an apply is printed by `pulumi up` too).
 * Attack #7: a secret handed to a container in an env var whose name does not look like a credential
 * (`REDIS_ADDR=redis://:<password>@redis:6379`) lands in plain text in the container's config, readable by anyone who
 * may run `docker inspect`; so no container's `envs` may hold a secret either (secrets go in files under /run/secrets).
 */
import { expect } from "chai";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { runUnderMocks, SecretValue, type RegisteredResource } from "../scripts/lib/mockRun";
import type { StackSettings } from "../scripts/lib/stackFiles";
import { settingsWith } from "./helpers";
import { URN_VARIANTS } from "./urnVariants";
import { recordingConsole, sharedRun, variantResources } from "./variantRuns";

/** Its first 10 characters are enough to find a secret quoted whole or cut short, as a message might. */
const QUOTED = 10;

/**
 * The secret material a run handles, as tokens: each secret config value and each value registered as secret, split
 * on whitespace (a secret script holds its secret among words anyone may see), keeping the tokens of at least 8
 * characters that appear in no value registered in the clear, so the words around a secret are not mistaken for it.
 * `separators` cuts finer where a secret sits inside a URL or JSON (`{"redis://redis:6379":"<password>"}`).
 */
function secretsOf(
    settings: StackSettings,
    resources: readonly RegisteredResource[],
    separators: RegExp = /\s+/,
): Set<string> {
    const secret: string[] = [];
    const clear: string[] = [];
    const walk = (v: unknown, isSecret: boolean): void => {
        if (v instanceof SecretValue) return walk(v.value, true);
        if (typeof v === "string") (isSecret ? secret : clear).push(v);
        else if (Array.isArray(v)) v.forEach((x) => walk(x, isSecret));
        else if (v !== null && typeof v === "object") Object.values(v).forEach((x) => walk(x, isSecret));
    };
    for (const key of settings.secretKeys) walk(settings.config[key], true);
    for (const [key, value] of Object.entries(settings.config))
        if (!settings.secretKeys.includes(key)) walk(value, false);
    for (const r of resources) walk(r.inputs, false);
    const inClear = clear.join("\n");
    const tokens = new Set<string>();
    for (const text of secret)
        for (const raw of text.split(separators)) {
            const token = raw.replace(/^["'`([{]+|["'`)\]},;:.]+$/g, "");
            // Looked for by its start (QUOTED), so that start must itself be secret: `freshtrack_app'::name` in a
            // secret SQL script begins like names anyone may see.
            const secretStart = !inClear.includes(token.slice(0, QUOTED));
            if (token.length >= 8 && /[A-Za-z0-9]{6}/.test(token) && secretStart) tokens.add(token);
        }
    return tokens;
}

/** The log lines holding a secret; the secret is never shown, only where it was found. */
function leaks(lines: readonly string[], secrets: ReadonlySet<string>): string[] {
    const out: string[] = [];
    lines.forEach((line, i) => {
        const hits = [...secrets].filter((s) => line.includes(s.slice(0, QUOTED)));
        if (hits.length > 0) out.push(`log line ${i + 1} holds ${hits.length} secret(s) (${hits[0]!.length} chars)`);
    });
    return out;
}

/**
 * Runs a program under the mocks and returns, beside the run, every line the SDK logged to the console, recorded as
 * the shared runs of test/variantRuns.ts record theirs (recordingConsole): the attack cases below prove that recording.
 */
async function runLogged(
    settings: StackSettings,
    program: () => unknown,
): Promise<{ lines: string[]; resources: readonly RegisteredResource[] }> {
    const { value: run, lines } = await recordingConsole(() => runUnderMocks(settings, program));
    return { lines: loggedBy({ ...run, logged: lines }), resources: run.resources };
}

/** Every line a run logged: what it printed, and the warnings and infos mockRun keeps itself, which count too. */
function loggedBy(run: { logged: readonly string[]; warnings: readonly string[]; infos: readonly string[] }): string[] {
    return [...run.logged, ...run.warnings, ...run.infos];
}

const CONTAINER = "docker:index/container:Container";

/** The registrations with every container's `envs` left out, so an env var can be judged against the rest. */
function withoutEnvs(resources: readonly RegisteredResource[]): RegisteredResource[] {
    return resources.map((r) => {
        if (r.type !== CONTAINER) return r;
        const { envs: _envs, ...inputs } = r.inputs;
        return { ...r, inputs };
    });
}

/**
 * The containers' env vars that hold a secret or are marked secret; the secret is never shown. The secrets are found
 * in everything but the env vars themselves: an env var built from a secret is registered secret (so counting it would
 * make it its own secret), and one that is not must not hide the secret it repeats by counting as clear text.
 */
function envLeaks(settings: StackSettings, resources: readonly RegisteredResource[]): string[] {
    const secrets = [...secretsOf(settings, withoutEnvs(resources), /[\s"'`,;:=@/{}()[\]]+/)];
    const out: string[] = [];
    for (const r of resources.filter((x) => x.type === CONTAINER)) {
        const walk = (v: unknown, marked: boolean): void => {
            if (v instanceof SecretValue) return walk(v.value, true);
            if (Array.isArray(v)) return v.forEach((x) => walk(x, marked));
            const text = String(v);
            const name = text.slice(0, text.indexOf("="));
            const hits = secrets.filter((s) => text.slice(name.length + 1).includes(s.slice(0, QUOTED))).length;
            if (marked || hits > 0)
                out.push(`${r.name}: ${name}${marked ? " is marked secret" : ""} (${hits} secrets)`);
        };
        walk(r.inputs.envs ?? [], false);
    }
    return out;
}

/** A resource of a made-up type, to register a secret input as any provider's resource would. */
class Thing extends pulumi.CustomResource {
    constructor(name: string, props: pulumi.Inputs) {
        super("test:index:Thing", name, props);
    }
}

describe("no secret reaches the update's log (rung 1, mocks)", function () {
    this.timeout(240_000);

    for (const [variant, settingsOf] of Object.entries(URN_VARIANTS)) {
        it(`${variant}: nothing logged holds a secret config value or a generated password`, async () => {
            const settings = settingsOf();
            // The variant's shared run, which recorded what it printed.
            const run = await sharedRun(settings);
            const lines = loggedBy(run);
            const secrets = secretsOf(settings, run.resources);
            expect(secrets.size, "secrets found to look for").to.be.greaterThan(10);
            expect(leaks(lines, secrets)).to.deep.equal([]);
        });
    }

    for (const [variant, settingsOf] of Object.entries(URN_VARIANTS)) {
        it(`${variant}: no container's env var holds a secret (attack #7)`, async () => {
            const settings = settingsOf();
            const resources = await variantResources(variant);
            expect(resources.filter((r) => r.type === CONTAINER && r.inputs.envs !== undefined)).to.not.be.empty;
            expect(envLeaks(settings, resources)).to.deep.equal([]);
        });
    }

    it("the env check finds a password in REDIS_ADDR (attack #7), in clear text or marked secret", async () => {
        const settings = settingsWith({}, []);
        const { resources } = await runLogged(settings, () => {
            const password = pulumi.secret("generated-redis-password");
            new Thing("redis-conf", { content: pulumi.interpolate`requirepass ${password}` });
            new docker.Container("redis-exporter", {
                image: "oliver006/redis_exporter",
                envs: [pulumi.interpolate`REDIS_ADDR=redis://:${password}@redis:6379`, "REDIS_EXPORTER_LOG=txt"],
            });
            new docker.Container("leaked", {
                image: "oliver006/redis_exporter",
                envs: [pulumi.unsecret(pulumi.interpolate`REDIS_URI=redis://:${password}@redis:6379`)],
            });
        });
        const found = envLeaks(settings, resources);
        expect(found).to.have.length(2);
        expect(found[0]).to.equal("redis-exporter: REDIS_ADDR is marked secret (1 secrets)");
        expect(found[1]).to.equal("leaked: REDIS_URI (1 secrets)");
        expect(found.join("\n")).to.not.include("generated-redis");
    });

    it("the log check finds a secret a program prints with console.log (attack #18)", async () => {
        const settings = settingsWith({}, []);
        const { lines, resources } = await runLogged(settings, () => {
            const secret = pulumi.secret("generated-password-value");
            new Thing("thing", { password: secret });
            secret.apply((s) => console.log(`debugging: ${s}`));
        });
        expect(leaks(lines, secretsOf(settings, resources))).to.have.length(1);
    });

    it("the check finds a program that warns with a secret inside an apply (the attack pass's case)", async () => {
        const settings = settingsWith({ "freshtrack:sshPrivateKey": "hunter2-very-secret-key" }, [
            "freshtrack:sshPrivateKey",
        ]);
        const { lines, resources } = await runLogged(settings, () => {
            const secret = pulumi.secret("generated-password-value");
            new Thing("thing", { password: secret });
            secret.apply((s) => pulumi.log.warn(`${s.slice(0, 10)} is not what a Slack URL looks like`));
            pulumi.log.info(`key ${"hunter2-very-secret-key".slice(0, 12)}`);
        });
        const found = leaks(lines, secretsOf(settings, resources));
        expect(found).to.have.length(2);
        expect(found.join("\n")).to.not.include("generated-password");
    });
});
