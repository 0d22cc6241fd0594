/**
 * The read-back models that apply to one stack's resources: the Docker models
 * for the daemon its target runs on (the operator's own, or the bootstrapped
 * host's daemon.json), with the stack's IPv6 networks, and the DigitalOcean
 * models. What `plan`, `bench` and the tests use to see a second `up` as the
 * providers would see it.
 */
import type { RegisteredResource } from "../mockRun";
import { DIGITALOCEAN_MODELS, DigitaloceanModel } from "./digitalocean";
import { daemonForTarget, dockerModels, ResourceModel } from "./docker";

export type Target = "local" | "droplet" | "ssh";

const NETWORK = "docker:index/network:Network";

export function readBackModels(
    target: Target,
    resources: readonly RegisteredResource[],
): Readonly<Record<string, ResourceModel>> {
    // A container on a network created with ipv6: true has an IPv6 address to publish ports to.
    const ipv6Networks = resources
        .filter((r) => r.type === NETWORK && r.inputs.ipv6 === true)
        .map((r) => String(r.inputs.name));
    return { ...dockerModels({ ...daemonForTarget(target), ipv6Networks }), ...DIGITALOCEAN_MODELS };
}

/** Whether changing `key` from `prior` to `next` replaces the resource, by the provider's own rule. */
export function modelReplaces(model: ResourceModel, key: string, prior: unknown, next: unknown): boolean {
    const conditional = (model as Partial<DigitaloceanModel>).replaces;
    return conditional ? conditional.call(model, key, prior, next) : model.forcesReplacement(key);
}
