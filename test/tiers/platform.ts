/**
 * A platform for testing one tier alone under the SDK's mocks: a Docker provider, the networks and volumes the tier
 * asks for, and fixed stand-ins for its generated credentials. Nothing of the rest of the stack is built.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { NetworkName } from "../../components/platform/networks";
import { SecretName } from "../../components/platform/secrets";
import { VolumeName } from "../../components/platform/volumes";
import { TierPlatform } from "../../components/services/context";

export const TEST_PREFIX = "freshtrack-tier";

/** The provider every tier under test is given, and the platform part it asked for. */
export function testPlatform<N extends NetworkName, V extends VolumeName, S extends SecretName>(pick: {
    readonly networks: readonly N[];
    readonly volumes: readonly V[];
    readonly secrets: readonly S[];
}): { provider: docker.Provider; platform: TierPlatform<N, V, S> } {
    const provider = new docker.Provider("tier-docker", {});
    const opts = { provider };
    const byName = <K extends string, T>(keys: readonly K[], make: (k: K) => T) =>
        Object.fromEntries(keys.map((k) => [k, make(k)])) as Record<K, T>;
    return {
        provider,
        platform: {
            namePrefix: TEST_PREFIX,
            daemon: { ready: [] },
            networks: byName(
                pick.networks,
                (n) => new docker.Network(`net-${n}`, { name: `${TEST_PREFIX}-${n}` }, opts),
            ),
            volumes: byName(pick.volumes, (v) => new docker.Volume(`vol-${v}`, { name: `${TEST_PREFIX}-${v}` }, opts)),
            secrets: byName(pick.secrets, (s) => pulumi.secret(`test-${s}`)),
        },
    };
}
