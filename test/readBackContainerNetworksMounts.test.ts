/**
 * Rung 2 of the ladder (design.md, "Testing"): what the bridged Docker provider
 * (kreuzwerker/terraform-provider-docker v4.5.0) stores after a create, and what
 * its diff sees on the next update, each rule citing the provider source
 * (scripts/lib/readBack/: docker.ts and the modules it gathers). Each rule is checked both ways: the form the
 * program must send reads back unchanged, and a form that drifts is caught.
 * This file: docker_container's networks, published ports (and how the daemon orders them), volumes, uploads and
 * tmpfs. The rest of docker_container is in test/readBackContainer.test.ts.
 */
import { expect } from "chai";
import { renderDaemonJson } from "../components/host/bootstrap";
import { SecretValue } from "../scripts/lib/mockRun";
import { daemonFactsForVersion, daemonForTarget, dockerModels, STOCK_DAEMON } from "../scripts/lib/readBack/docker";
import { CONTAINER, containerReadBack, modelOf, port, replaces, secondUp, service } from "./readBackFixtures";

describe("Docker provider read-back model (rung 2: provider model, cited)", () => {
    describe("docker_container", () => {
        it("networksAdvanced is not read back, so aliases the daemon adds never drift; aliases are a set (funcs.go:786-796)", () => {
            const back = containerReadBack(service());
            expect(back.networksAdvanced).to.deep.equal([{ name: "freshtrack-dev-edge", aliases: ["frontend"] }]);
            const twoAliases = service({
                networksAdvanced: [{ name: "freshtrack-dev-edge", aliases: ["caddy", "freshtrack.localhost"] }],
            });
            const swapped = service({
                networksAdvanced: [{ name: "freshtrack-dev-edge", aliases: ["freshtrack.localhost", "caddy"] }],
            });
            expect(modelOf(CONTAINER).changed(swapped, containerReadBack(twoAliases))).to.deep.equal([]);
            expect(modelOf(CONTAINER).changed(twoAliases, back)).to.deep.equal(["networksAdvanced"]);
            expect(replaces("networksAdvanced")).to.equal(true);
        });

        it('ports: ip defaults to "0.0.0.0" and protocol to "tcp"; read back sorted by port, which the DiffSuppressFunc forgives (container.go:509-534, 1192-1247)', () => {
            const omitted = service({ ports: [{ internal: 80, external: 80 }] });
            expect(containerReadBack(omitted).ports).to.deep.equal([
                { internal: 80, external: 80, ip: "0.0.0.0", protocol: "tcp" },
            ]);
            expect(secondUp(CONTAINER, omitted)).to.deep.equal([]);
            const loopback = service({ ports: [port(443, "127.0.0.1"), port(80, "127.0.0.1")] });
            expect(
                (containerReadBack(loopback).ports as Array<{ internal: number }>).map((p) => p.internal),
            ).to.deep.equal([80, 443]);
            expect(secondUp(CONTAINER, loopback)).to.deep.equal([]);
            expect(replaces("ports")).to.equal(true);
        });

        it("ports on both 0.0.0.0 and :: read back IPv4 first; any other order replaces on every up (the suppress matches the first port only)", () => {
            const stock = dockerModels(STOCK_DAEMON);
            const v4First = service({
                ports: [port(80, "0.0.0.0"), port(80, "::"), port(443, "0.0.0.0"), port(443, "::")],
            });
            expect(secondUp(CONTAINER, v4First, stock)).to.deep.equal([]);
            const v6First = service({ ports: [port(80, "::"), port(80, "0.0.0.0")] });
            expect(secondUp(CONTAINER, v6First, stock)).to.deep.equal(["ports"]);
            const longForm = service({ ports: [port(80, "0.0.0.0"), port(80, "0:0:0:0:0:0:0:0")] });
            expect(secondUp(CONTAINER, longForm, stock), "the daemon prints :: for 0:0:0:0:0:0:0:0").to.deep.equal([
                "ports",
            ]);
            const noHost = service({ ports: [port(80, "")] });
            expect((containerReadBack(noHost, stock).ports as unknown[]).length, 'ip "" binds 0.0.0.0 and ::').to.equal(
                2,
            );
            expect(secondUp(CONTAINER, noHost, stock)).to.deep.equal(["ports"]);
        });

        it(":: is dropped on the bootstrapped host (userland-proxy false) unless the network has IPv6, and then ports replace on every up", () => {
            const v4First = service({ ports: [port(443, "0.0.0.0"), port(443, "::")] });
            const bootstrapped = daemonForTarget("droplet");
            expect(bootstrapped.userlandProxy).to.equal(false);
            expect(containerReadBack(v4First, dockerModels(bootstrapped)).ports).to.deep.equal([port(443, "0.0.0.0")]);
            expect(secondUp(CONTAINER, v4First, dockerModels(bootstrapped))).to.deep.equal(["ports"]);
            expect(
                secondUp(CONTAINER, v4First, dockerModels({ ...bootstrapped, ipv6Networks: ["freshtrack-dev-edge"] })),
            ).to.deep.equal([]);
        });

        it("Docker 26 and older give a port's bindings back reversed, so a port on both 0.0.0.0 and :: is replaced on every up there (nat.SortPortMap)", () => {
            const dualStack = service({
                ports: [port(80, "0.0.0.0"), port(80, "::"), port(443, "0.0.0.0"), port(443, "::")],
            });
            const old = dockerModels({ ...daemonFactsForVersion("26.1.3"), ipv6Networks: ["freshtrack-dev-edge"] });
            expect((containerReadBack(dualStack, old).ports as Array<{ ip: string }>).map((p) => p.ip)).to.deep.equal([
                "::",
                "0.0.0.0",
                "::",
                "0.0.0.0",
            ]);
            expect(secondUp(CONTAINER, dualStack, old)).to.deep.equal(["ports"]);
            const v6First = service({ ports: [port(80, "::"), port(80, "0.0.0.0")] });
            expect(secondUp(CONTAINER, v6First, old), "no order survives a reversal").to.deep.equal(["ports"]);
            // One binding per port is not affected: every other container publishes on 127.0.0.1 only.
            expect(
                secondUp(CONTAINER, service({ ports: [port(80, "127.0.0.1"), port(443, "127.0.0.1")] }), old),
            ).to.deep.equal([]);
            expect(daemonFactsForVersion("20.10.24+dfsg1")).to.include({
                portBindingOrder: "reversed",
                ip6tables: false,
            });
            expect(daemonFactsForVersion("27.5.1")).to.include({ portBindingOrder: "sorted", ip6tables: true });
            expect(daemonFactsForVersion("20.10.24", renderDaemonJson())).to.include({
                portBindingOrder: "reversed",
                ip6tables: true,
                userlandProxy: false,
            });
        });

        it("volumes (named and host paths) and uploads are not read back; readOnly false equals omitted (funcs.go:882, 959)", () => {
            const mounts = service({
                volumes: [
                    { volumeName: "freshtrack-dev-textfile", containerPath: "/textfile", readOnly: true },
                    { hostPath: "/", containerPath: "/host", readOnly: true },
                    { volumeName: "freshtrack-dev-data", containerPath: "/data", readOnly: false },
                ],
            });
            expect(containerReadBack(mounts).volumes).to.deep.equal(mounts.volumes);
            expect(secondUp(CONTAINER, mounts)).to.deep.equal([]);
            const noFlag = service({ volumes: [{ volumeName: "freshtrack-dev-data", containerPath: "/data" }] });
            const explicitFlag = service({
                volumes: [{ volumeName: "freshtrack-dev-data", containerPath: "/data", readOnly: false }],
            });
            expect(modelOf(CONTAINER).changed(noFlag, containerReadBack(explicitFlag))).to.deep.equal([]);
            expect(replaces("volumes")).to.equal(true);
        });

        it("uploads keep their secret wrapper in state; permissions and executable read back as sent; new content replaces (container.go:987-1043)", () => {
            const uploads = [
                { file: "/run/secrets/database_password", content: new SecretValue("s3cret"), permissions: "0444" },
                { file: "/usr/local/bin/freshtrack-backup", content: "#!/bin/sh\n", executable: true },
                { file: "/etc/crontabs/root", content: "0 3 * * * /usr/local/bin/freshtrack-backup\n" },
            ];
            const back = containerReadBack(service({ uploads }));
            const stored = back.uploads as Array<{ content: unknown }>;
            expect(stored[0]!.content).to.be.instanceOf(SecretValue);
            expect(secondUp(CONTAINER, service({ uploads }))).to.deep.equal([]);
            const rotated = uploads.map((u, i) => (i === 0 ? { ...u, content: new SecretValue("n3w") } : u));
            expect(modelOf(CONTAINER).changed(service({ uploads: rotated }), back)).to.deep.equal(["uploads"]);
            const explicitFalse = uploads.map((u, i) => (i === 2 ? { ...u, executable: false } : u));
            expect(
                modelOf(CONTAINER).changed(service({ uploads: explicitFalse }), back),
                "executable defaults to false",
            ).to.deep.equal([]);
            expect(replaces("uploads")).to.equal(true);
        });

        it("tmpfs reads back as sent (funcs.go:883)", () => {
            expect(secondUp(CONTAINER, service({ tmpfs: { "/tmp": "rw,noexec,nosuid,size=64m" } }))).to.deep.equal([]);
            expect(
                modelOf(CONTAINER).changed(
                    service({ tmpfs: { "/tmp": "size=32m" } }),
                    containerReadBack(service({ tmpfs: { "/tmp": "size=64m" } })),
                ),
            ).to.deep.equal(["tmpfs"]);
        });
    });
});
