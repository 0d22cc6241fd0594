/**
 * Pre-flight, run for real on this machine: the disk, port and DNS checks see
 * the real filesystem, a real listener and the real resolver; the Docker check
 * sees a daemon that does not answer (DOCKER_HOST points at a socket that does
 * not exist), whether or not this machine runs one.
 */
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { deployStack } from "../components/stack";
import { ASSIGNED_ADDRESSES, MockRun, RegisteredResource, runUnderMocks } from "../scripts/lib/mockRun";
import { planText } from "../scripts/lib/planReport";
import { prodWithoutDnsZone } from "./helpers";
import { shippedRun, variantResources } from "./variantRuns";

/** An output's value once a mocked run has finished; undefined for no output. */
function valueOf<T>(output: pulumi.Output<T> | undefined): Promise<T | undefined> {
    return new Promise((resolve) => (output === undefined ? resolve(undefined) : output.apply((v) => resolve(v))));
}

const DNS_RECORD = "digitalocean:index/dnsRecord:DnsRecord";

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

        // Issue 17, friction 6: with DNS at another provider the first `up` failed its own pre-flight, since the
        // records could not exist before it made the addresses they point at. Rung 1 (mocks, which assign the
        // addresses of ASSIGNED_ADDRESSES).
        describe("on a droplet whose DNS is kept at another provider (no dnsZone)", () => {
            const ipv4 = ASSIGNED_ADDRESSES.reservedIp.mock;
            const ipv6 = ASSIGNED_ADDRESSES.dropletIpv6.mock;
            // Without an engine the SDK writes each `pulumi.log.info` as `info: [runtime] <message>` with console.log
            // (@pulumi/pulumi 3.270.0 log/index.js:60-69); the mocked run keeps those lines (its `infos`) instead.
            let elsewhere: MockRun<ReturnType<typeof deployStack>>;
            let zone: MockRun<ReturnType<typeof deployStack>>;
            before(async () => {
                elsewhere = await runUnderMocks(prodWithoutDnsZone(), deployStack);
                zone = await shippedRun("prod");
            });

            it("logs the records to create as soon as the reserved IP and the droplet's IPv6 address are known, and exports them as dnsRecords", async () => {
                const notice = "DNS is kept at another provider (freshtrack:droplet.dnsZone is unset): create";
                expect(elsewhere.infos.filter((l) => l.startsWith("DNS is kept"))).to.deep.equal([
                    `${notice} freshtrack.example.com A ${ipv4} and *.freshtrack.example.com A ${ipv4} there; the pre-flight waits for them`,
                    `${notice} freshtrack.example.com AAAA ${ipv6} and *.freshtrack.example.com AAAA ${ipv6} there, or no AAAA record at all; the pre-flight waits for them`,
                ]);
                expect(await valueOf(elsewhere.result.dnsRecords)).to.deep.equal([
                    { name: "freshtrack.example.com", type: "A", value: ipv4 },
                    { name: "*.freshtrack.example.com", type: "A", value: ipv4 },
                    { name: "freshtrack.example.com", type: "AAAA", value: ipv6 },
                    { name: "*.freshtrack.example.com", type: "AAAA", value: ipv6 },
                ]);
            });

            it("creates no DNS record; its pre-flight waits 15 minutes, lists the records and names the command to run next", () => {
                expect(elsewhere.resources.filter((r) => r.type === DNS_RECORD)).to.deep.equal([]);
                const pf = elsewhere.resources.find((r) => r.name === "droplet-preflight")!;
                const script = String(pf.inputs.stdin);
                expect(script).to.contain("\nDNS_WAIT_SECONDS=900\n");
                expect(script).to.contain(
                    `printf '  %s\\n' 'freshtrack.example.com A ${ipv4}' '*.freshtrack.example.com A ${ipv4}' ` +
                        `'freshtrack.example.com AAAA ${ipv6} (or no AAAA record)' '*.freshtrack.example.com AAAA ${ipv6} (or no AAAA record)'\n`,
                );
                expect(script).to.contain('echo "then run npm run deploy -- prod again" >&2');
            });

            it("registers everything else as the stack with the zone does: only the records and the pre-flight's script differ", () => {
                const byUrn = (rs: RegisteredResource[]) => new Map(rs.map((r) => [r.urn, r]));
                const [a, b] = [byUrn(zone.resources), byUrn(elsewhere.resources)];
                expect([...b.keys()].filter((u) => !a.has(u))).to.deep.equal([]);
                expect([...a.values()].filter((r) => !b.has(r.urn)).map((r) => `${r.type} ${r.name}`)).to.have.members([
                    `${DNS_RECORD} droplet-dns-apex-a`,
                    `${DNS_RECORD} droplet-dns-apex-aaaa`,
                    `${DNS_RECORD} droplet-dns-wildcard-a`,
                    `${DNS_RECORD} droplet-dns-wildcard-aaaa`,
                ]);
                const changed = [...b.values()]
                    .filter((r) => JSON.stringify(r.inputs) !== JSON.stringify(a.get(r.urn)!.inputs))
                    .map((r) => r.name);
                expect(changed).to.deep.equal(["droplet-preflight"]);
            });

            it("npm run plan shows the records to create by their labels, never the mocks' stand-in addresses (issue 17 newcomer pass)", async () => {
                // What the script would print besides the plan: nothing (a notice there broke bench --json).
                const printed: string[] = [];
                const log = console.log;
                console.log = (...args: unknown[]) => void printed.push(args.map(String).join(" "));
                let text: string;
                try {
                    text = await planText(prodWithoutDnsZone());
                } finally {
                    console.log = log;
                }
                expect(printed).to.deep.equal([]);
                expect(text).to.contain(
                    "dns       at your DNS provider (droplet.dnsZone unset): A freshtrack.example.com and *.freshtrack.example.com ->",
                );
                expect(text)
                    .to.contain(ASSIGNED_ADDRESSES.reservedIp.label)
                    .and.contain(ASSIGNED_ADDRESSES.dropletIpv6.label);
                expect(text).to.not.contain(ipv4).and.not.contain(ipv6).and.not.contain("info: [runtime]");
                // The program's notice was kept by the mocked run, not printed: the plan's first line is its own.
                expect(text.split("\n")[0]).to.match(/^FreshTrack plan for stack 'prod'/);
            });

            // Issue 17 review: the program logs and exports the records whatever the TLS mode; the plan said nothing
            // of them with internal TLS.
            it("with internal TLS the plan still lists the records to create, and says nothing waits for them", async () => {
                const settings = prodWithoutDnsZone();
                settings.config["freshtrack:tlsMode"] = "internal";
                const text = await planText(settings);
                expect(text).to.contain("dns       at your DNS provider (droplet.dnsZone unset)");
                expect(text).to.contain("with internal TLS nothing waits for them");
                expect(text).to.not.contain("the pre-flight waits for the records");
            });

            it("leaves the stack with a DigitalOcean zone as it was: no notice, no dnsRecords output, a 5-minute wait", async () => {
                expect(zone.infos.filter((l) => l.includes("DNS is kept"))).to.deep.equal([]);
                expect(zone.result.dnsRecords).to.equal(undefined);
                const script = String(zone.resources.find((r) => r.name === "droplet-preflight")!.inputs.stdin);
                expect(script).to.contain("\nDNS_WAIT_SECONDS=300\n");
                expect(script).to.not.contain("records_by_hand");
                expect(zone.resources.filter((r) => r.type === DNS_RECORD)).to.have.length(4);
            });
        });

        it("does not run on the local target", async () => {
            const resources = await variantResources("dev");
            expect(resources.filter((r) => r.name.endsWith("-preflight"))).to.deep.equal([]);
        });
    });
});
