/**
 * Runs the policy pack's rules the way the policy server does
 * (@pulumi/policy server.js, makeAnalyzeRpcFun / makeAnalyzeStackRpcFun):
 * config defaults from each schema (as the engine fills them,
 * pulumi/pulumi pkg/resource/analyzer/config.go), props with secrets unpacked
 * and behind the server's unknown-checking proxy, unknown values reported as advisory
 * "can't run during preview", and notApplicable honoured. What of that is the policy SDK's own unpublished code is
 * reached through components/sdkInternals.ts.
 */
import {
    EnforcementLevel,
    Policy,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import * as fs from "fs";
import * as path from "path";
import { RegisteredResource, SecretValue, UNKNOWN } from "./mockRun";
import { loadStackConfigFor, REPO_ROOT } from "./stackFiles";
import { Environment } from "../../components/config";
import { isUnknownValueError, policyIsType, policyProps, WIRE } from "../../components/sdkInternals";
import { closestMatch } from "../../components/validation";
import { POLICIES } from "../../policy/policies";
import { MemoryFigures, memoryFigures, MemorySettings } from "../../policy/memoryFigures";
import { memoryBudget } from "../../policy/rules/stack";

/** The sentinel the policy server sees for an unknown value (components/sdkInternals.ts, WIRE). */
export const UNKNOWN_SENTINEL = WIRE.unknown;

/** The policy pack, as `pulumi up --policy-pack` takes it. */
export const POLICY_PACK_DIR = path.join(REPO_ROOT, "policy");

export interface PolicyInput {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly props: Record<string, unknown>;
    readonly opts?: { protect?: boolean; ignoreChanges?: string[]; deleteBeforeReplace?: boolean };
    readonly parent?: string;
}

export interface Finding {
    readonly policy: string;
    readonly enforcementLevel: EnforcementLevel;
    /** `violation`: the rule failed; `unknown`: it could not run because a value is unknown during preview. */
    readonly kind: "violation" | "unknown";
    readonly message: string;
    readonly urn?: string;
}

export type PackConfig = Record<
    string,
    ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>) | EnforcementLevel
>;

/**
 * The pack config of an environment: policy/config/<environment>.json. The environment is the stack's
 * `freshtrack:environment`, so a stack's name never decides which rules bind it.
 */
export function packConfigFile(environment: Environment): string {
    return path.join(POLICY_PACK_DIR, "config", `${environment}.json`);
}

/** The environment whose pack config binds `stack`: `freshtrack:environment` in its validated config. */
export function packEnvironmentOf(stack: string): Environment {
    return loadStackConfigFor(stack).environment;
}

/**
 * What `pulumi up` and `pulumi preview` through the Automation API need to run the pack (scripts/lib/workspace.ts
 * passes it on every one): the pack and the config of the stack's environment. The file is read first, so a rule
 * or a setting the pack does not have stops the update before it starts.
 */
export function policyUpOptions(stack: string): { policyPacks: [string]; policyPackConfigs: [string] } {
    const environment = packEnvironmentOf(stack);
    readEnvironmentPackConfig(environment);
    return { policyPacks: [POLICY_PACK_DIR], policyPackConfigs: [packConfigFile(environment)] };
}

/**
 * A stack's pack config: the file of its environment. A rule or a setting the pack does not have is refused, with
 * the closest name: the pack would otherwise run as if the line were not there (the newcomer pass wrote
 * "offsiteForVolume" and nothing said so).
 */
export function readPackConfig(stack: string, policies: readonly Policy[] = POLICIES): PackConfig {
    return readEnvironmentPackConfig(packEnvironmentOf(stack), policies);
}

/**
 * The pack config of an environment. Every environment ships one (policy/config/); a missing file is refused rather
 * than read as "every rule at its defaults", which would quietly lift what production requires.
 */
export function readEnvironmentPackConfig(
    environment: Environment,
    policies: readonly Policy[] = POLICIES,
): PackConfig {
    const file = packConfigFile(environment);
    if (!fs.existsSync(file))
        throw new Error(
            `${path.relative(REPO_ROOT, file)} does not exist; every environment's pack config lives in policy/config/<environment>.json; nothing was run`,
        );
    const config = JSON.parse(fs.readFileSync(file, "utf8")) as PackConfig;
    const problems = packConfigProblems(config, policies);
    if (problems.length > 0)
        throw new Error(
            `${path.relative(REPO_ROOT, file)} has ${problems.length} problem(s); nothing was run:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
        );
    return config;
}

/** What in a pack config no rule reads: unknown rule names and unknown settings, each with a did-you-mean. */
export function packConfigProblems(config: PackConfig, policies: readonly Policy[]): string[] {
    const problems: string[] = [];
    const names = policies.map((p) => p.name);
    const levels = ["mandatory", "advisory", "remediate", "disabled"];
    for (const [name, settings] of Object.entries(config)) {
        const policy = policies.find((p) => p.name === name);
        if (!policy) {
            const near = closestMatch(name, names);
            problems.push(`"${name}": no rule of that name${near ? ` (did you mean "${near}"?)` : ""}`);
            continue;
        }
        if (typeof settings === "string") {
            if (!levels.includes(settings))
                problems.push(`"${name}": "${settings}" is not an enforcement level (${levels.join(", ")})`);
            continue;
        }
        const known = ["enforcementLevel", ...Object.keys(policy.configSchema?.properties ?? {})];
        for (const key of Object.keys(settings ?? {})) {
            if (known.includes(key)) continue;
            const near = closestMatch(key, known);
            problems.push(
                `"${name}".${key}: the rule has no such setting${near ? ` (did you mean ${near}?)` : ""}; it has ${known.join(", ")}`,
            );
        }
    }
    return problems;
}

class NotApplicable extends Error {}

/** Plain data as the policy server gives it: secrets unpacked, unknowns as sentinels. */
export function toPolicyProps(value: unknown): unknown {
    if (value instanceof SecretValue) return toPolicyProps(value.value);
    if (value === UNKNOWN) return UNKNOWN_SENTINEL;
    if (Array.isArray(value)) return value.map(toPolicyProps);
    if (typeof value === "object" && value !== null)
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPolicyProps(v)]));
    return value;
}

export function fromRegistered(resources: RegisteredResource[]): PolicyInput[] {
    return resources.map((r) => ({
        type: r.type,
        name: r.name,
        urn: r.urn,
        props: toPolicyProps(r.inputs) as Record<string, unknown>,
        opts: {
            protect: r.options.protect,
            ignoreChanges: r.options.ignoreChanges,
            ...(r.options.deleteBeforeReplace !== undefined
                ? { deleteBeforeReplace: r.options.deleteBeforeReplace }
                : {}),
        },
        ...(r.parent ? { parent: r.parent } : {}),
    }));
}

/**
 * The memory-budget settings (headroom, hostMemoryMb) of an environment: its pack config, the file `npm run policy`
 * and `pulumi up --policy-pack` read, with the rule's defaults under it.
 */
export function memorySettingsOf(
    environment: Environment,
    packConfig = readEnvironmentPackConfig(environment),
): MemorySettings {
    const { headroom, hostMemoryMb } = settingsFor(memoryBudget, packConfig).config as {
        headroom: number;
        hostMemoryMb: number;
    };
    return { headroom, hostMemoryMb };
}

/** A mocked run's memory figures, read from what the pack would see (policy/memoryFigures.ts). */
export function stackMemory(resources: RegisteredResource[], settings: MemorySettings): MemoryFigures {
    return memoryFigures(fromRegistered(resources), settings);
}

/** A rule's enforcement level and config as the engine hands them over: schema defaults under the pack config. */
export function settingsFor(
    policy: Policy,
    packConfig: PackConfig,
): { level: EnforcementLevel; config: Record<string, unknown> } {
    const given = packConfig[policy.name];
    const defaults = Object.fromEntries(
        Object.entries(policy.configSchema?.properties ?? {})
            .filter(([, schema]) => (schema as { default?: unknown }).default !== undefined)
            .map(([k, schema]) => [k, (schema as { default?: unknown }).default]),
    );
    if (typeof given === "string") return { level: given, config: defaults };
    const { enforcementLevel, ...rest } = given ?? {};
    return { level: enforcementLevel ?? policy.enforcementLevel ?? "advisory", config: { ...defaults, ...rest } };
}

function options(input: PolicyInput): PolicyResourceOptions {
    return {
        protect: input.opts?.protect ?? false,
        ignoreChanges: input.opts?.ignoreChanges ?? [],
        ...(input.opts?.deleteBeforeReplace !== undefined
            ? { deleteBeforeReplace: input.opts.deleteBeforeReplace }
            : {}),
        aliases: [],
        additionalSecretOutputs: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    };
}

const notApplicable = (reason?: string): never => {
    throw new NotApplicable(reason);
};

/** Runs every policy over the resources; returns the findings, in policy order. */
export async function runPolicies(
    policies: readonly Policy[],
    inputs: readonly PolicyInput[],
    packConfig: PackConfig = {},
): Promise<Finding[]> {
    const findings: Finding[] = [];
    const stackResources = new Map<string, PolicyResource>();
    for (const input of inputs) {
        const props = policyProps(input.props);
        const resource: PolicyResource = {
            type: input.type,
            name: input.name,
            urn: input.urn,
            props,
            opts: options(input),
            dependencies: [],
            propertyDependencies: {},
            isType: (resourceClass) => policyIsType(input.type, resourceClass),
            asType: (resourceClass) => (policyIsType(input.type, resourceClass) ? props : undefined) as never,
        };
        stackResources.set(input.urn, resource);
    }
    for (const input of inputs) {
        const parent = input.parent ? stackResources.get(input.parent) : undefined;
        if (parent) (stackResources.get(input.urn) as { parent?: PolicyResource }).parent = parent;
    }

    for (const policy of policies) {
        const { level, config } = settingsFor(policy, packConfig);
        if (level === "disabled") continue;
        const record = (kind: Finding["kind"], message: string, urn?: string) =>
            findings.push({
                policy: policy.name,
                enforcementLevel: kind === "unknown" ? "advisory" : level,
                kind,
                message,
                ...(urn ? { urn } : {}),
            });
        const guard = async (fn: () => unknown, urn?: string) => {
            try {
                await fn();
            } catch (err) {
                if (isUnknownValueError(err))
                    record("unknown", `can't run during preview: ${(err as Error).message}`, urn);
                else if (!(err instanceof NotApplicable)) throw err;
            }
        };
        const validateResource = (policy as ResourceValidationPolicy).validateResource;
        if (validateResource) {
            const validations = Array.isArray(validateResource) ? validateResource : [validateResource];
            for (const input of inputs) {
                const props = policyProps(input.props);
                for (const validate of validations) {
                    await guard(
                        () =>
                            validate(
                                {
                                    type: input.type,
                                    props,
                                    urn: input.urn,
                                    name: input.name,
                                    opts: options(input),
                                    stackTags: new Map(),
                                    isType: (resourceClass) => policyIsType(input.type, resourceClass),
                                    asType: (resourceClass) =>
                                        (policyIsType(input.type, resourceClass) ? props : undefined) as never,
                                    getConfig: <T extends object>() => config as T,
                                    notApplicable,
                                },
                                (message: string) => record("violation", message, input.urn),
                            ),
                        input.urn,
                    );
                }
            }
        }
        const validateStack = (policy as StackValidationPolicy).validateStack;
        if (validateStack) {
            await guard(() =>
                validateStack(
                    {
                        resources: [...stackResources.values()],
                        stackTags: new Map(),
                        getConfig: <T extends object>() => config as T,
                        notApplicable,
                    },
                    (message: string, urn?: string) => record("violation", message, urn),
                ),
            );
        }
    }
    return findings;
}

export function mandatory(findings: readonly Finding[]): Finding[] {
    return findings.filter((f) => f.kind === "violation" && f.enforcementLevel === "mandatory");
}

/** A name such as `backend` or `freshtrack-prod-host` at the start of a message, before ": ". */
const SUBJECT = /^([\w.-]+): (.*)$/s;

/**
 * The findings as a readable report: one heading per rule, and findings that say
 * the same thing about several resources folded into one line listing them,
 * so 26 containers with the same advisory take two lines, not 26.
 */
export function findingLines(findings: readonly Finding[], width = 100, containers: readonly string[] = []): string[] {
    const everyContainer = new Set(containers);
    const lines: string[] = [];
    const byRule = new Map<string, Finding[]>();
    for (const f of findings) {
        const heading = findingHeading(f);
        byRule.set(heading, [...(byRule.get(heading) ?? []), f]);
    }
    for (const [heading, ruleFindings] of byRule) {
        lines.push(`  ${heading} (${ruleFindings.length})`);
        const subjectsBySaying = new Map<string, string[]>();
        for (const f of ruleFindings) {
            const [, subject, saying = f.message] = SUBJECT.exec(f.message) ?? [];
            subjectsBySaying.set(saying, [
                ...(subjectsBySaying.get(saying) ?? []),
                ...(subject !== undefined ? [subject] : []),
            ]);
        }
        for (const [saying, subjects] of subjectsBySaying) {
            if (subjects.length <= 1) lines.push(`      ${subjects.map((s) => `${s}: `).join("")}${saying}`);
            else if (
                everyContainer.size > 1 &&
                subjects.length === everyContainer.size &&
                subjects.every((s) => everyContainer.has(s))
            ) {
                // The same finding on every container says something about the stack, not about a list of names.
                lines.push(`      all ${subjects.length} containers: ${saying}`);
            } else {
                lines.push(`      ${subjects.length} resources: ${saying}`);
                let line = "        ";
                for (const name of [...subjects].sort()) {
                    const piece = `${name}, `;
                    if (line.length + piece.length > width && line.trim() !== "") {
                        lines.push(line.trimEnd());
                        line = "        ";
                    }
                    line += piece;
                }
                lines.push(line.replace(/,\s*$/, ""));
            }
        }
    }
    return lines;
}

/**
 * A rule's heading: its level, or `not run` when a value it reads was unknown. The policy server reports such a rule as
 * advisory, whatever its level, but it is not one: a mandatory rule that could not run here runs during the update
 * and may stop it there.
 */
function findingHeading(f: Finding): string {
    return `${(f.kind === "unknown" ? "not run" : f.enforcementLevel).padEnd(9)} ${f.policy}`;
}

/**
 * Advisory findings in brief: one heading per rule with its count, in the form findingLines gives mandatory rules. An
 * advisory finding never stops an update: the engine fails a resource only on a mandatory one
 * (pulumi/pulumi@v3.259.0 pkg/resource/deploy/analyze_snapshot.go:78-83), and the shipped ones are the exceptions the
 * Services record, the same on every run, so listed at length they bury the violation that matters.
 */
export function advisorySummaryLines(findings: readonly Finding[]): string[] {
    const blocking = mandatory(findings);
    const counts = new Map<string, number>();
    for (const f of findings.filter((x) => !blocking.includes(x))) {
        const heading = findingHeading(f);
        counts.set(heading, (counts.get(heading) ?? 0) + 1);
    }
    return [...counts].map(([heading, count]) => `  ${heading} (${count})`);
}

/** The last line of `npm run policy`: the verdict, so it is the line an operator reads first. */
export function policyVerdict(stack: string, findings: readonly Finding[]): string {
    const blocking = mandatory(findings);
    const rules = (fs: readonly Finding[]) => new Set(fs.map((f) => f.policy)).size;
    const advisory = findings.length - blocking.length;
    const advice =
        advisory > 0
            ? `${advisory} advisory finding(s) in ${rules(findings.filter((f) => !blocking.includes(f)))} rule(s), which do not block`
            : "no advisory findings";
    return blocking.length > 0
        ? `policy: '${stack}' FAILS: ${blocking.length} mandatory violation(s) in ${rules(blocking)} rule(s); pulumi up with this pack stops before changing anything (${advice})`
        : `policy: '${stack}' passes: no mandatory violation (${advice})`;
}
