/**
 * A rule's validateResource called directly on one resource, the way the compliance-policies tests do it
 * (pulumi/compliance-policies unit-test-helpers: createResourceValidationArgs, then assert on the violations).
 *
 * The args are those @pulumi/policy's server builds (v1.21.0 sdk/nodejs/policy/server.ts:306-333): props behind
 * `unknownCheckingProxy`, `isType`/`asType` answering by the class's `__pulumiType` (server.ts:641-660, so
 * validateResourceOfType runs the check: policy.ts:547-566), and the `stackTags` and `notApplicable` that 1.21.0's
 * ResourceValidationArgs requires (the compliance-policies helper lacks them: TS2739; pulumi-policy's own
 * tests/policy.spec.ts:70-82 sets them). The rule's config is its schema defaults under the pack config, as the engine
 * fills them (scripts/lib/policyRun.ts settingsFor).
 */
import { Policy, PolicyResourceOptions, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
import { PackConfig, settingsFor } from "../../scripts/lib/policyRun";

/** One resource as a rule sees it. */
export interface TestResource {
    readonly type: string;
    readonly name: string;
    readonly props: Record<string, unknown>;
    readonly opts?: Partial<PolicyResourceOptions>;
}

/** What one rule made of one resource. */
export interface Outcome {
    /** The messages it reported. */
    readonly violations: string[];
    /** How many of its checks ran (a rule may hold one typed check per class; the others are not applicable). */
    readonly ran: number;
    /** Why its checks did not apply, one reason per check that did not. */
    readonly notApplicable: string[];
    /** The unknown values that kept a check from running, as "can't run during preview" would name them. */
    readonly unknown: string[];
}

/**
 * The type token a generated resource class registers with, which the engine sends as the resource's type (its
 * `__pulumiType`: marked internal, so the SDKs' typings leave it out).
 */
export function typeOf(resourceClass: abstract new (...args: never[]) => unknown): string {
    const type = (resourceClass as unknown as { __pulumiType?: unknown }).__pulumiType;
    if (typeof type !== "string" || type === "") throw new Error(`${resourceClass.name} has no __pulumiType`);
    return type;
}

class NotApplicable extends Error {}

function isTypeOf(type: string, resourceClass: unknown): boolean {
    return (resourceClass as { __pulumiType?: unknown }).__pulumiType === type;
}

/** Runs each of a rule's resource checks on `resource`, as the server does, and collects what they report. */
export async function validate(policy: Policy, resource: TestResource, packConfig: PackConfig = {}): Promise<Outcome> {
    const outcome = { violations: [] as string[], ran: 0, notApplicable: [] as string[], unknown: [] as string[] };
    const checks = (policy as ResourceValidationPolicy).validateResource;
    if (checks === undefined) return outcome;
    const { config } = settingsFor(policy, packConfig);
    const props = unknownCheckingProxy(resource.props);
    for (const check of Array.isArray(checks) ? checks : [checks]) {
        const args: ResourceValidationArgs = {
            type: resource.type,
            name: resource.name,
            urn: `urn:pulumi:test::freshtrack::${resource.type}::${resource.name}`,
            props,
            opts: {
                protect: false,
                ignoreChanges: [],
                aliases: [],
                additionalSecretOutputs: [],
                customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
                ...resource.opts,
            },
            stackTags: new Map(),
            isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
            asType: (resourceClass) => (isTypeOf(resource.type, resourceClass) ? props : undefined) as never,
            getConfig: <T extends object>() => config as T,
            notApplicable: (reason?: string): never => {
                throw new NotApplicable(reason ?? "");
            },
        };
        try {
            await check(args, (message) => outcome.violations.push(message));
            outcome.ran++;
        } catch (err) {
            if (err instanceof NotApplicable) outcome.notApplicable.push(err.message);
            else if (err instanceof UnknownValueError) outcome.unknown.push((err as Error).message);
            else throw err;
        }
    }
    return outcome;
}
