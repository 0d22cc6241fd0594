/**
 * Pre-flight, run for real on this machine: the disk, port and DNS checks see
 * the real filesystem, a real listener and the real resolver; the Docker check
 * sees a daemon that does not answer (DOCKER_HOST points at a socket that does
 * not exist), whether or not this machine runs one.
 */
import { expect } from "chai";
import { deployStack } from "../components/stack";
import { runUnderMocks } from "../scripts/lib/mockRun";
import { runStack, settingsWith } from "./helpers";

describe("pre-flight", function () {
    this.timeout(20000);

    describe("in the program", () => {
        it("runs on the droplet after the bootstrap, before any container, checking every public name in ACME mode", async () => {
            const { resources } = await runStack("prod", deployStack);
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
            const { resources } = await runStack("prod", deployStack);
            const pf = resources.find((r) => r.name === "droplet-preflight")!;
            const records = resources.filter((r) => r.type === "digitalocean:index/dnsRecord:DnsRecord");
            expect(records).to.have.length(4);
            expect(pf.options.dependsOn).to.include.members(records.map((r) => r.urn));
        });

        it("on the ssh target, checks the names against the VM's host name as given", async () => {
            const settings = settingsWith(
                {
                    "freshtrack:target": "ssh",
                    "freshtrack:tlsMode": "acme",
                    "freshtrack:adminCidrs": ["198.51.100.0/24"],
                    "freshtrack:ssh": {
                        host: "vm.example.net",
                        user: "admin",
                        hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILSEL3mlyPpCGaUNBxcpStcsu+5bt0IiOM455EXcf9/y",
                    },
                    "freshtrack:sshPrivateKey":
                        "-----BEGIN OPENSSH PRIVATE KEY-----\nadmin\n-----END OPENSSH PRIVATE KEY-----\n",
                },
                ["freshtrack:sshPrivateKey"],
            );
            const { resources } = await runUnderMocks(settings, deployStack);
            const script = String(resources.find((r) => r.name === "ssh-preflight")!.inputs.stdin);
            expect(script).to.contain("\nPUBLIC_ADDRESS=vm.example.net\nPUBLIC_IS_NAME=yes\n");
        });

        it("does not run on the local target", async () => {
            const { resources } = await runStack("dev", deployStack);
            expect(resources.filter((r) => r.name.endsWith("-preflight"))).to.deep.equal([]);
        });
    });
});
