/**
 * Helpers shared by the rules: what kind of resource and container a policy
 * is looking at, and the shape every container rule has in common.
 */
import {
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    EnforcementLevel,
} from "@pulumi/policy";

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

type Props = Record<string, any>;

/** The `com.freshtrack.*` labels of a container, by name without the prefix. */
export function labels(props: Props): Record<string, string> {
    const out: Record<string, string> = {};
    for (const l of (props.labels ?? []) as Array<{ label: string; value: string }>) {
        if (l.label.startsWith("com.freshtrack.")) out[l.label.slice("com.freshtrack.".length)] = l.value;
    }
    return out;
}

/** The service name a container says it belongs to, or its resource name. */
export function serviceName(props: Props, name: string): string {
    return labels(props).service ?? name;
}

/** A one-shot container: runs to completion and is never restarted. */
export function isJob(props: Props): boolean {
    return labels(props).kind === "job" || (props.attach === true && props.restart === "no");
}

export interface ContainerPolicyArgs {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    /** Extra config properties, with defaults. */
    config?: Record<string, PolicyConfigSchema["properties"][string]>;
    /** Skip one-shot jobs. */
    longRunningOnly?: boolean;
    check: (
        props: Props,
        report: (message: string) => void,
        config: Record<string, any>,
        args: ResourceValidationArgs,
    ) => void;
}

/** The `exemptServices` setting every rule on containers takes. */
export const EXEMPT_SERVICES: PolicyConfigSchema["properties"][string] = {
    type: "array",
    items: { type: "string" },
    default: [],
    description: "Services (com.freshtrack.service label) this rule does not apply to.",
};

/**
 * A rule on docker.Container. Every container rule takes `exemptServices`,
 * so a stack can exempt a service by name without editing the rule.
 */
export function containerPolicy(p: ContainerPolicyArgs): ResourceValidationPolicy {
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
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            if (args.type !== TYPES.container) return;
            const config = args.getConfig<Record<string, any>>();
            const service = serviceName(args.props, args.name);
            if (((config.exemptServices ?? []) as string[]).includes(service))
                args.notApplicable(`service ${service} is exempt in this stack's policy config`);
            if (p.longRunningOnly && isJob(args.props)) args.notApplicable("one-shot job");
            p.check(args.props, (message) => reportViolation(`${service}: ${message}`), config, args);
        },
    };
}

/** A rule on one resource type other than containers. */
export function typePolicy(
    p: Omit<ContainerPolicyArgs, "longRunningOnly"> & { types: readonly string[] },
): ResourceValidationPolicy {
    return {
        name: p.name,
        description: p.description,
        enforcementLevel: p.enforcementLevel,
        configSchema: { properties: { ...(p.config ?? {}) } },
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            if (!p.types.includes(args.type)) return;
            p.check(
                args.props,
                (message) => reportViolation(`${args.name}: ${message}`),
                args.getConfig<Record<string, any>>(),
                args,
            );
        },
    };
}
