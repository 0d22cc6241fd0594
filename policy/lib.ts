/**
 * Helpers shared by the rules: what kind of resource and container a policy
 * is looking at, and the shape every container rule has in common.
 *
 * Rules on one resource class are typed checks, `validateResourceOfType(cls, (props, args, report) => ...)`
 * (@pulumi/policy v1.21.0 sdk/nodejs/policy/policy.ts:547-566): props come typed from the provider's own args
 * (docker.ContainerArgs, digitalocean.DropletArgs, ...), and the check runs only when `args.isType(cls)`, else it is
 * not applicable. The props are still the server's `unknownCheckingProxy` (server.ts:308-309), so reading a value
 * unknown during preview throws UnknownValueError, reported as an advisory "can't run during preview" (347-357),
 * neither a pass nor a failure: a typed check skips unknowns as an untyped one does, with no code of its own.
 */
import * as docker from "@pulumi/docker";
import {
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    validateResourceOfType,
} from "@pulumi/policy";
import { Resource, Unwrap } from "@pulumi/pulumi";

export const TYPES = {
    container: "docker:index/container:Container",
    remoteImage: "docker:index/remoteImage:RemoteImage",
    dockerVolume: "docker:index/volume:Volume",
    droplet: "digitalocean:index/droplet:Droplet",
    firewall: "digitalocean:index/firewall:Firewall",
    doVolume: "digitalocean:index/volume:Volume",
    databaseCluster: "digitalocean:index/databaseCluster:DatabaseCluster",
    service: "freshtrack:services:Service",
} as const;

/** A container's inputs as a typed rule reads them: the Docker provider's ContainerArgs, resolved. */
export type ContainerProps = Unwrap<NonNullable<docker.ContainerArgs>>;

/** What the label helpers read; typed container props and a stack rule's untyped props both have this shape. */
type Labelled = { readonly labels?: ReadonlyArray<{ label: string; value: string }> };

/** The `com.freshtrack.*` labels of a container, by name without the prefix. */
export function labels(props: Labelled): Record<string, string> {
    const out: Record<string, string> = {};
    for (const l of props.labels ?? []) {
        if (l.label.startsWith("com.freshtrack.")) out[l.label.slice("com.freshtrack.".length)] = l.value;
    }
    return out;
}

/** The service name a container says it belongs to, or its resource name. */
export function serviceName(props: Labelled, name: string): string {
    return labels(props).service ?? name;
}

/** A one-shot container: runs to completion and is never restarted. */
export function isJob(props: Labelled & { readonly attach?: boolean; readonly restart?: string }): boolean {
    return labels(props).kind === "job" || (props.attach === true && props.restart === "no");
}

/** The host paths a container binds, from `volumes` (hostPath) and `mounts` (type bind), with whether read-only. */
export function hostBinds(
    container: Pick<ContainerProps, "volumes" | "mounts">,
): Array<{ path: string; readOnly: boolean }> {
    return [
        ...(container.volumes ?? [])
            .filter((v) => v.hostPath)
            .map((v) => ({ path: v.hostPath!, readOnly: v.readOnly === true })),
        ...(container.mounts ?? [])
            .filter((m) => m.type === "bind")
            .map((m) => ({ path: m.source ?? "", readOnly: m.readOnly === true })),
    ];
}

type SchemaProperty = PolicyConfigSchema["properties"][string];

/**
 * A rule's config schema: one property for each setting of its config type `C`, so the schema and what the check reads
 * cannot drift apart. Every property has a default, which the engine fills in (pulumi/pulumi
 * pkg/resource/analyzer/config.go), so the check sees each setting.
 */
export type ConfigSchemaOf<C> = { [K in keyof C]: SchemaProperty };

/** The `exemptServices` setting every rule on containers takes. */
export const EXEMPT_SERVICES: SchemaProperty = {
    type: "array",
    items: { type: "string" },
    default: [],
    description: "Services (com.freshtrack.service label) this rule does not apply to.",
};

/**
 * A typed rule's check: the resource's typed props, `report` (which names the resource), the rule's own settings (their
 * type `C` is taken from this parameter's annotation), and the validation args (name, options).
 */
export type TypedCheck<P, C> = (
    props: P,
    report: (message: string) => void,
    config: C,
    args: ResourceValidationArgs,
) => void;

interface PolicyHead {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
}

export interface ContainerPolicyArgs<C extends object> extends PolicyHead {
    /** Extra config properties, with defaults (`exemptServices` is added to every container rule). */
    config?: ConfigSchemaOf<NoInfer<C>>;
    /** Skip one-shot jobs. */
    longRunningOnly?: boolean;
    check: TypedCheck<ContainerProps, C>;
}

/**
 * A typed rule on docker.Container. Every container rule takes `exemptServices`, so a stack can exempt a service by
 * name without editing the rule; its messages start with the service's name.
 */
export function containerPolicy<C extends object = Record<never, never>>(
    p: ContainerPolicyArgs<C>,
): ResourceValidationPolicy {
    return {
        name: p.name,
        description: p.description,
        enforcementLevel: p.enforcementLevel,
        configSchema: {
            properties: {
                exemptServices: EXEMPT_SERVICES,
                ...(p.config ?? {}),
            },
        },
        validateResource: validateResourceOfType(docker.Container, (container, args, reportViolation) => {
            const config = args.getConfig<C & { exemptServices?: string[] }>();
            const service = serviceName(container, args.name);
            if ((config.exemptServices ?? []).includes(service))
                args.notApplicable(`service ${service} is exempt in this stack's policy config`);
            if (p.longRunningOnly && isJob(container)) args.notApplicable("one-shot job");
            p.check(container, (message) => reportViolation(`${service}: ${message}`), config, args);
        }),
    };
}

/** A resource class as validateResourceOfType takes it (its second constructor parameter gives the props' type). */
export type ResourceClass<TResource extends Resource, TArgs> = {
    new (name: string, args: TArgs, ...rest: any[]): TResource;
};

/**
 * One typed check of a resource class whose messages start with the resource's name: one entry of a rule's
 * `validateResource`, which may hold several (a rule on volumes of two providers).
 */
export function typedCheck<TResource extends Resource, TArgs, C extends object>(
    resourceClass: ResourceClass<TResource, TArgs>,
    check: TypedCheck<Unwrap<NonNullable<TArgs>>, C>,
): ResourceValidation {
    return validateResourceOfType(resourceClass, (props, args, reportViolation) =>
        check(props, (message) => reportViolation(`${args.name}: ${message}`), args.getConfig<C>(), args),
    );
}

/** A typed rule on one resource class other than containers. */
export function resourcePolicy<TResource extends Resource, TArgs, C extends object = Record<never, never>>(
    p: PolicyHead & {
        config?: ConfigSchemaOf<NoInfer<C>>;
        resourceClass: ResourceClass<TResource, TArgs>;
        check: TypedCheck<Unwrap<NonNullable<TArgs>>, C>;
    },
): ResourceValidationPolicy {
    return {
        name: p.name,
        description: p.description,
        enforcementLevel: p.enforcementLevel,
        configSchema: { properties: { ...(p.config ?? {}) } },
        validateResource: typedCheck(p.resourceClass, p.check),
    };
}

/**
 * An untyped rule on resources of the given type tokens: for a type no class can name to validateResourceOfType
 * (a provider: hostKeys.ts says why).
 */
export function typePolicy<C extends object = Record<never, never>>(
    p: PolicyHead & {
        config?: ConfigSchemaOf<NoInfer<C>>;
        types: readonly string[];
        check: TypedCheck<Record<string, any>, C>;
    },
): ResourceValidationPolicy {
    return {
        name: p.name,
        description: p.description,
        enforcementLevel: p.enforcementLevel,
        configSchema: { properties: { ...(p.config ?? {}) } },
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            if (!p.types.includes(args.type)) return;
            p.check(args.props, (message) => reportViolation(`${args.name}: ${message}`), args.getConfig<C>(), args);
        },
    };
}
