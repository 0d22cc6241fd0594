/**
 * A service catalog entry: what one container is, before any resource exists. The builders in components/services,
 * components/edge and components/monitoring take their image, default limits, capabilities and port from here; the
 * config's DEFAULT_LIMITS, the endpoint table and the tests' list of containers are derived from the catalog. The
 * policy pack keeps its own allowlists (an independent control), compared with these specs by test/catalog.test.ts.
 */
import type { ResourceLimits } from "../config/limits";
import type { PublicImage } from "../images";
import type { NetworkName } from "../platform/networks";

export type Tier = "data" | "app" | "edge" | "monitoring";

/** A setting of the stack that decides whether it runs a service, or whether a service joins a network. */
export type StackCondition =
    | "with a self-hosted PostgreSQL"
    | "with a managed PostgreSQL"
    | "with freshtrack:demoData"
    | "with freshtrack:backup.offsite"
    /** A self-hosted PostgreSQL with point-in-time recovery on (the default). */
    | "with freshtrack:backup.pointInTime";

/**
 * `LimitsOwner` is what `limits.sameAs` may name: any string while a spec is written (its file cannot import the
 * catalog's names without a cycle), and the catalog's services with limits of their own once index.ts has them.
 */
export interface ServiceSpec<LimitsOwner extends string = string> {
    /** The service's name: its container's network alias, its key in freshtrack:resources, its label. */
    readonly name: string;
    readonly tier: Tier;
    readonly kind: "stateful" | "stateless" | "job";
    /**
     * A pinned public image (components/images.ts, each with its contract in components/imageContracts/), or the
     * FreshTrack image it runs.
     */
    readonly image: { readonly public: PublicImage } | { readonly app: "backend" | "worker" | "frontend" };
    /** The port peers call it on inside the Docker networks (`<name>:<port>`); none for what nothing calls. */
    readonly port?: number;
    /**
     * Its limits unless freshtrack:resources overrides them; or the service whose limits it shares, by its catalog
     * name: components/catalog/index.ts refuses to compile a name that is not a service with limits of its own.
     */
    readonly limits: ResourceLimits | { readonly sameAs: LimitsOwner };
    /** Capabilities added back after dropping ALL. */
    readonly capabilities: readonly string[];
    /** The networks it joins on every stack. */
    readonly networks: readonly NetworkName[];
    /** The networks it joins only on some stacks: each exactly when its condition holds, and why it needs it then. */
    readonly extraNetworks?: Readonly<
        Partial<Record<NetworkName, { readonly when: StackCondition; readonly why: string }>>
    >;
    /**
     * What its health check proves: an HTTP GET of a path on its port answering 2xx (with whatever client its image
     * has), a command that exits 0 (its arguments, as the check runs them), a command the stack's config gives, or
     * none for a job, which runs to completion instead. test/catalog.stack.test.ts compares it with each container's
     * check.
     */
    readonly health:
        | { readonly get: string }
        | { readonly command: readonly string[] }
        | { readonly fromConfig: string }
        | "none: a job runs to completion";
    /** When the stack runs it: always, or only with a setting. */
    readonly runs: "always" | StackCondition;
}

/** A spec, its literals kept (`const`), so index.ts can check what `limits.sameAs` names. */
export function defineService<const S extends ServiceSpec>(spec: S): S {
    return spec;
}
