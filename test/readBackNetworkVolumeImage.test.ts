/**
 * Rung 2 of the ladder (design.md, "Testing"): what the bridged Docker provider
 * (kreuzwerker/terraform-provider-docker v4.5.0) stores after a create, and what
 * its diff sees on the next update, each rule citing the provider source
 * (scripts/lib/readBack/: docker.ts and the modules it gathers). Each rule is checked both ways: the form the
 * program must send reads back unchanged, and a form that drifts is caught.
 * This file: docker_network, docker_volume, docker_image (RemoteImage) and pulumi-docker's own Image.
 */
import { expect } from "chai";
import { SecretValue } from "../scripts/lib/mockRun";
import { DAEMON_CHOSEN } from "../scripts/lib/readBack/docker";
import { IMAGE, modelOf, NETWORK, REMOTE_IMAGE, secondUp, VOLUME } from "./readBackFixtures";

describe("Docker provider read-back model (rung 2: provider model, cited)", () => {
    describe("docker_network, docker_volume, docker_image (RemoteImage), Image", () => {
        const network = {
            name: "freshtrack-dev-edge",
            driver: "bridge",
            internal: false,
            labels: [{ label: "com.freshtrack.network", value: "edge" }],
        };
        const volume = {
            name: "freshtrack-dev-postgres-data",
            labels: [{ label: "com.freshtrack.volume", value: "postgres-data" }],
        };

        it("a network reads back as sent (network_funcs.go:175-198); every change replaces, it has no Update (network.go:17-19)", () => {
            expect(secondUp(NETWORK, network)).to.deep.equal([]);
            const back = modelOf(NETWORK).readBack(network);
            expect(back).to.include({ driver: "bridge", internal: false, ipv6: false, ipamDriver: "default" });
            expect(modelOf(NETWORK).changed({ ...network, internal: true }, back)).to.deep.equal(["internal"]);
            expect(modelOf(NETWORK).changed({ ...network, labels: [] }, back)).to.deep.equal(["labels"]);
            expect(modelOf(NETWORK).changed({ ...network, ipv6: true }, back)).to.deep.equal(["ipv6"]);
            for (const key of ["name", "labels", "driver", "internal", "ipv6", "options"])
                expect(modelOf(NETWORK).forcesReplacement(key), key).to.equal(true);
        });

        // kw network_funcs.go:196 and structures.go:11-39; moby v27.5.1 daemon/network.go:696-755 (buildIPAMResources).
        it("ipam_config reads back as configured plus a daemon-chosen pool for each family left out: only both families stay", () => {
            const v4 = { subnet: "172.16.54.0/24" };
            const v6 = { subnet: "fd21:ee36:65ca::/64" };
            const both = { ...network, ipv6: true, ipamConfigs: [v4, v6] };
            expect(modelOf(NETWORK).readBack(both).ipamConfigs).to.deep.equal([v4, v6]);
            expect(secondUp(NETWORK, both)).to.deep.equal([]);
            const reordered = { ...both, ipamConfigs: [v6, { ...v4, gateway: "", auxAddress: {} }] };
            expect(secondUp(NETWORK, reordered), "a set, and empty fields are omitted").to.deep.equal([]);
            const v6Only = { ...network, ipv6: true, ipamConfigs: [v6] };
            expect(modelOf(NETWORK).readBack(v6Only).ipamConfigs).to.deep.equal([
                v6,
                { subnet: DAEMON_CHOSEN, gateway: DAEMON_CHOSEN },
            ]);
            expect(
                secondUp(NETWORK, v6Only),
                "the chosen IPv4 pool reads back, and ipam_config forces a new network",
            ).to.deep.equal(["ipamConfigs"]);
            expect(modelOf(NETWORK).forcesReplacement("ipamConfigs")).to.equal(true);
            const moved = { ...both, ipamConfigs: [v4, { subnet: "fd21:ee36:65cb::/64" }] };
            expect(
                modelOf(NETWORK).changed(moved, modelOf(NETWORK).readBack(both)),
                "a subnet is compared, not only counted",
            ).to.deep.equal(["ipamConfigs"]);
            // Left out entirely, the daemon's pools are Optional+Computed state and never diff (sdk schema.go:977,
            // 1112).
            expect(modelOf(NETWORK).readBack(network).ipamConfigs).to.deep.equal([
                { subnet: DAEMON_CHOSEN, gateway: DAEMON_CHOSEN },
            ]);
            expect(secondUp(NETWORK, { ...network, ipv6: true })).to.deep.equal([]);
        });

        it("a volume reads back as sent with driver local (volume.go:308-312); a label change replaces", () => {
            expect(secondUp(VOLUME, volume)).to.deep.equal([]);
            const back = modelOf(VOLUME).readBack(volume);
            expect(back).to.include({
                driver: "local",
                mountpoint: "/mnt/freshtrack-data/docker/volumes/freshtrack-dev-postgres-data/_data",
            });
            expect(
                modelOf(VOLUME).changed({ ...volume, labels: [{ label: "com.freshtrack.volume", value: "x" }] }, back),
            ).to.deep.equal(["labels"]);
            expect(modelOf(VOLUME).forcesReplacement("labels")).to.equal(true);
        });

        it("a RemoteImage keeps name and keepLocally as sent (image_funcs.go:128-130); a new name replaces, keepLocally does not", () => {
            const image = { name: "edoburu/pgbouncer:v1.23.1-p3", keepLocally: true };
            expect(secondUp(REMOTE_IMAGE, image)).to.deep.equal([]);
            expect(
                modelOf(REMOTE_IMAGE).changed(
                    { ...image, name: "edoburu/pgbouncer:v1.24.0" },
                    modelOf(REMOTE_IMAGE).readBack(image),
                ),
            ).to.deep.equal(["name"]);
            expect(modelOf(REMOTE_IMAGE).forcesReplacement("name")).to.equal(true);
            expect(modelOf(REMOTE_IMAGE).forcesReplacement("keepLocally")).to.equal(false);
        });

        it("an Image diffs old inputs against new ones, ignores registry credentials, and never replaces (pulumi-docker provider.go:271-348)", () => {
            const built = {
                imageName: "registry.example.com/freshtrack/backend:1.4.2",
                build: { context: "/src", target: "backend" },
                skipPush: false,
                registry: { server: "registry.example.com", username: "u", password: new SecretValue("p") },
            };
            expect(secondUp(IMAGE, built)).to.deep.equal([]);
            const rotated = { ...built, registry: { ...built.registry, password: new SecretValue("q") } };
            expect(modelOf(IMAGE).changed(rotated, modelOf(IMAGE).readBack(built))).to.deep.equal([]);
            expect(
                modelOf(IMAGE).changed(
                    { ...built, build: { ...built.build, target: "worker" } },
                    modelOf(IMAGE).readBack(built),
                ),
            ).to.deep.equal(["build"]);
            expect(modelOf(IMAGE).forcesReplacement("build")).to.equal(false);
        });
    });
});
