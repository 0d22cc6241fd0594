/**
 * Rung 2 of the ladder (design.md, "Testing"): what the bridged Docker provider
 * (kreuzwerker/terraform-provider-docker v4.5.0) stores after a create, and what
 * its diff sees on the next update, each rule citing the provider source
 * (scripts/lib/readBack/: docker.ts and the modules it gathers). Each rule is checked both ways: the form the
 * program must send reads back unchanged, and a form that drifts is caught. The
 * last test runs every shipped stack under mocks and lists every Docker resource
 * whose second `up` would not be empty.
 */
import { expect } from "chai";
import { blastRadius } from "../scripts/lib/blastRadius";
import { readBackModels } from "../scripts/lib/readBack/models";
import { shippedStacks } from "../scripts/lib/stackFiles";
import { shippedRun } from "./variantRuns";

describe("Docker provider read-back model (rung 2: provider model, cited)", () => {
    describe("every shipped stack: a second up over the read-back state", () => {
        /**
         * What the provider model finds today, to be fixed and then EMPTY. cpus and the health check
         * durations are already written in read-back form (components/service.ts, components/dockerForms.ts);
         * before that this list held backend and postgres `cpus` and uptime-kuma and backup-sync `healthcheck`.
         *
         * Caddy publishes on "::" as well on the droplet and ssh targets. That stays empty only because the edge
         * network has IPv6 (the bootstrapped daemon runs with "userland-proxy": false and skips a "::" binding to an
         * IPv4-only container, moby v27.5.1 port_mapping_linux.go:97-111), with both its subnets fixed (a family
         * left out reads back as the daemon's pool), and because the targets run Docker 27 or later, which gives a
         * port's bindings back IPv4 first; on 26 and older Caddy would be replaced on every `up` (the test above).
         */
        const KNOWN_OFFENDERS: string[] = [];

        it("replaces and updates nothing but the known offenders, on each stack's own daemon", async function () {
            this.timeout(120_000);
            const found: string[] = [];
            let checked = 0;
            for (const stack of shippedStacks()) {
                const { resources, result } = await shippedRun(stack);
                // The Docker models for this stack's daemon and IPv6 networks, as plan and bench take them.
                const models = readBackModels(result.target, resources);
                const docker = resources.filter((r) => r.custom && r.type.startsWith("docker:") && models[r.type]);
                checked += docker.length;
                // The second up of each Docker resource over the state its first up left: changed keys, minus
                // ignoreChanges.
                for (const c of blastRadius(docker, docker, models).changes) {
                    found.push(
                        ...c.changedInputs.map(
                            (key) =>
                                `${stack}/${c.name}: ${key} (${c.replacedBy.includes(key) ? "replace" : "update"})`,
                        ),
                    );
                }
            }
            expect(checked, "Docker resources checked").to.be.greaterThan(100);
            expect(found.sort()).to.deep.equal(KNOWN_OFFENDERS);
        });
    });
});
