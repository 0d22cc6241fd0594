/**
 * What a read-back model answers for one resource type: the contract of the Docker models (docker.ts) and the
 * DigitalOcean models (digitalocean.ts), which `plan`, `bench` and the tests look up by type token.
 */
export interface ResourceModel {
    /** State after create (Create, then Read), in Pulumi camelCase property form, from the inputs the program sent. */
    readBack(inputs: Record<string, unknown>): Record<string, unknown>;
    /** Top-level input keys whose new value differs from the prior state as the provider's diff sees it. */
    changed(newInputs: Record<string, unknown>, priorState: Record<string, unknown>): string[];
    /** Whether a change of this top-level input forces replacement (ForceNew in the schema). */
    forcesReplacement(key: string): boolean;
}
