/**
 * Pre-flight, run for real on this machine: the disk, port and DNS checks see
 * the real filesystem, a real listener and the real resolver; the Docker check
 * sees a daemon that does not answer (DOCKER_HOST points at a socket that does
 * not exist), whether or not this machine runs one.
 */
import { expect } from "chai";
import { variantResources } from "./variantRuns";

describe("pre-flight", function () {
    this.timeout(20000);

    describe("in the program", () => {
        it("runs on the droplet after the bootstrap, before any container, checking every public name in ACME mode", async () => {
            const resources = await variantResources("prod");
            const pf = resources.find((r) => r.name === "droplet-preflight")!;
            const bootstrap = resources.find((r) => r.name === "droplet-bootstrap-wait")!;
            expect(pf.options.dependsOn).to.include(bootstrap.urn);
            for (const c of resources.filter((r) => r.type === "docker:index/container:Container"))
                expect(c.options.dependsOn, c.name).to.include(pf.urn);
            const script = String(pf.inputs.stdin);
            expect(script).to.contain(
                'DNS_NAMES="freshtrack.example.com grafana.freshtrack.example.com status.freshtrack.example.com prometheus.freshtrack.example.com alertmanager.freshtrack.example.com"',
            );
            expect(script).to.contain("PUBLIC_ADDRESS=203.0.113.50");
            expect(script).to.contain("DATA_PATH=/mnt/freshtrack-data");
            expect(script).to.contain("MIN_FREE_GB=5");
            expect(pf.inputs.triggers).to.deep.equal([script, "1.4.2"]);
        });

        it("on the droplet, runs only after the DNS records it checks exist (defect 13: nothing ordered them before it)", async () => {
            const resources = await variantResources("prod");
            const pf = resources.find((r) => r.name === "droplet-preflight")!;
            const records = resources.filter((r) => r.type === "digitalocean:index/dnsRecord:DnsRecord");
            expect(records).to.have.length(4);
            expect(pf.options.dependsOn).to.include.members(records.map((r) => r.urn));
        });

        it("on the ssh target, checks the names against the VM's host name as given", async () => {
            // The ssh variant of test/urnVariants.ts: the VM is given by its name, vm.example.net.
            const resources = await variantResources("an existing VM over SSH");
            const script = String(resources.find((r) => r.name === "ssh-preflight")!.inputs.stdin);
            expect(script).to.contain("\nPUBLIC_ADDRESS=vm.example.net\nPUBLIC_IS_NAME=yes\n");
        });

        it("does not run on the local target", async () => {
            const resources = await variantResources("dev");
            expect(resources.filter((r) => r.name.endsWith("-preflight"))).to.deep.equal([]);
        });
    });
});
