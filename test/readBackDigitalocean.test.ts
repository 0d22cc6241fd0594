/**
 * Rung 2 of the ladder (design.md, "Testing"): what the bridged DigitalOcean
 * provider stores for each input the program sets, and which changes replace,
 * each rule citing the provider source (scripts/lib/readBack/digitalocean.ts).
 * The last tests run the shipped droplet stacks under mocks twice and list every
 * DigitalOcean resource whose second `up` would not be empty.
 */
import { expect } from "chai";
import { createHash } from "crypto";
import { SecretValue } from "../scripts/lib/mockRun";
import {
    DIGITALOCEAN_MODELS,
    DigitaloceanModel,
    digitaloceanReadBackTable,
    UPSTREAM,
} from "../scripts/lib/readBack/digitalocean";

const model = (type: string): DigitaloceanModel => {
    const found = DIGITALOCEAN_MODELS[`digitalocean:index/${type}`];
    if (!found) throw new Error(`no model for ${type}`);
    return found;
};

/** What the second `up` shows for these inputs, when the first one stored their read-back form. */
const secondUp = (type: string, inputs: Record<string, unknown>) =>
    model(type).changed(inputs, model(type).readBack(inputs));

const DROPLET = "droplet:Droplet";
const DROPLET_INPUTS = {
    name: "freshtrack-staging-host",
    region: "fra1",
    size: "s-2vcpu-4gb",
    image: "ubuntu-24-04-x64",
    vpcUuid: "vpc-1",
    monitoring: true,
    backups: true,
    backupPolicy: { plan: "weekly", weekday: "SUN", hour: 4 },
    ipv6: true,
    sshKeys: ["00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"],
    volumeIds: ["vol-1"],
    userData: "#cloud-config\nusers: []\n",
    tags: ["freshtrack", "freshtrack-staging"],
};

const WORLD = ["0.0.0.0/0", "::/0"];
const FIREWALL_INPUTS = {
    name: "freshtrack-staging-firewall",
    dropletIds: [424242],
    inboundRules: [
        { protocol: "tcp", portRange: "80", sourceAddresses: WORLD },
        { protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.0/28", "2001:db8:40::/48"] },
    ],
    outboundRules: [
        { protocol: "tcp", portRange: "1-65535", destinationAddresses: WORLD },
        { protocol: "icmp", destinationAddresses: WORLD },
    ],
};

describe("DigitalOcean provider read-back model (rung 2: provider model, cited)", () => {
    describe("the model itself", () => {
        it("cites the pinned upstream commit for every rule (or the upstream pull request read back after it)", () => {
            const rows = digitaloceanReadBackTable();
            expect(rows.length).to.be.greaterThan(50);
            for (const row of rows)
                expect(row.source, `${row.type}.${row.input}`)
                    .to.contain(UPSTREAM)
                    .and.match(/\.go:\d+/);
        });

        it("refuses an input it has no rule for, so a new input cannot slip past the model", () => {
            expect(() => model(DROPLET).readBack({ ...DROPLET_INPUTS, gracefulShutdown: true })).to.throw(
                /no rule for input 'gracefulShutdown'/,
            );
            expect(() => model(DROPLET).changed({ ...DROPLET_INPUTS, gracefulShutdown: true }, {})).to.throw(
                /gracefulShutdown/,
            );
        });

        it("keeps a secret input secret in the stored form and compares what is inside", () => {
            const stored = model(DROPLET).readBack({ ...DROPLET_INPUTS, userData: new SecretValue("#cloud-config\n") });
            expect(stored.userData).to.be.instanceOf(SecretValue);
            expect((stored.userData as SecretValue).value).to.equal(
                createHash("sha1").update("#cloud-config\n").digest("hex"),
            );
            expect(model(DROPLET).changed({ ...DROPLET_INPUTS, userData: "#cloud-config\n" }, stored)).to.deep.equal(
                [],
            );
        });
    });

    describe("droplet", () => {
        it("stores user_data as its SHA-1 hex (StateFunc): the same text is no diff, new text replaces the droplet", () => {
            const stored = model(DROPLET).readBack(DROPLET_INPUTS);
            expect(stored.userData).to.equal(createHash("sha1").update(DROPLET_INPUTS.userData).digest("hex"));
            expect(model(DROPLET).changed(DROPLET_INPUTS, stored)).to.deep.equal([]);
            expect(
                model(DROPLET).changed({ ...DROPLET_INPUTS, userData: "#cloud-config\nusers: [x]\n" }, stored),
            ).to.deep.equal(["userData"]);
            expect(model(DROPLET).forcesReplacement("userData")).to.equal(true);
        });

        it("lower-cases region and size with a StateFunc, so 'FRA1' is no diff; a region change replaces, a size change resizes in place", () => {
            const upper = { ...DROPLET_INPUTS, region: "FRA1", size: "S-2VCPU-4GB" };
            expect(model(DROPLET).readBack(upper)).to.include({ region: "fra1", size: "s-2vcpu-4gb" });
            expect(secondUp(DROPLET, upper)).to.deep.equal([]);
            expect(model(DROPLET).forcesReplacement("region")).to.equal(true);
            expect(model(DROPLET).forcesReplacement("size")).to.equal(false);
        });

        it("never reads image, sshKeys or backupPolicy back: they stay as sent; image and sshKeys replace, sshKeys is a set", () => {
            const stored = model(DROPLET).readBack(DROPLET_INPUTS);
            expect(stored).to.deep.include({
                image: DROPLET_INPUTS.image,
                sshKeys: DROPLET_INPUTS.sshKeys,
                backupPolicy: DROPLET_INPUTS.backupPolicy,
            });
            expect(
                model(DROPLET).changed({ ...DROPLET_INPUTS, sshKeys: ["b", "a"] }, { ...stored, sshKeys: ["a", "b"] }),
            ).to.deep.equal([]);
            expect(model(DROPLET).replacements({ ...DROPLET_INPUTS, image: "ubuntu-26-04-x64" }, stored)).to.deep.equal(
                ["image"],
            );
            expect(model(DROPLET).forcesReplacement("sshKeys")).to.equal(true);
            expect(model(DROPLET).forcesReplacement("backupPolicy")).to.equal(false);
        });

        it("replaces the droplet when ipv6 goes from true to false, and enables it in place the other way", () => {
            const m = model(DROPLET);
            expect(m.replacements({ ...DROPLET_INPUTS, ipv6: false }, m.readBack(DROPLET_INPUTS))).to.deep.equal([
                "ipv6",
            ]);
            expect(
                m.replacements({ ...DROPLET_INPUTS, ipv6: true }, m.readBack({ ...DROPLET_INPUTS, ipv6: false })),
            ).to.deep.equal([]);
            expect(
                m.changed({ ...DROPLET_INPUTS, ipv6: true }, m.readBack({ ...DROPLET_INPUTS, ipv6: false })),
            ).to.deep.equal(["ipv6"]);
        });

        it("compares tags as a set without regard to case, and a monitoring change replaces", () => {
            const stored = model(DROPLET).readBack(DROPLET_INPUTS);
            expect(
                model(DROPLET).changed({ ...DROPLET_INPUTS, tags: ["FreshTrack-Staging", "freshtrack"] }, stored),
            ).to.deep.equal([]);
            expect(model(DROPLET).changed({ ...DROPLET_INPUTS, tags: ["freshtrack"] }, stored)).to.deep.equal(["tags"]);
            expect(model(DROPLET).forcesReplacement("monitoring")).to.equal(true);
        });

        it("keeps what the provider stored for vpcUuid and volumeIds when the program leaves them out (Optional + Computed)", () => {
            const stored = model(DROPLET).readBack(DROPLET_INPUTS);
            const { vpcUuid: _v, volumeIds: _i, ...rest } = DROPLET_INPUTS;
            expect(model(DROPLET).changed(rest, stored)).to.deep.equal([]);
            expect(model(DROPLET).forcesReplacement("vpcUuid")).to.equal(true);
        });
    });

    describe("firewall", () => {
        const FW = "firewall:Firewall";

        it("stores the rules as sets: neither the order of rules nor of addresses is a diff", () => {
            const stored = model(FW).readBack(FIREWALL_INPUTS);
            const shuffled = {
                ...FIREWALL_INPUTS,
                inboundRules: [...FIREWALL_INPUTS.inboundRules]
                    .reverse()
                    .map((r) => ({ ...r, sourceAddresses: [...r.sourceAddresses].reverse() })),
                outboundRules: [...FIREWALL_INPUTS.outboundRules].reverse(),
            };
            expect(model(FW).changed(shuffled, stored)).to.deep.equal([]);
        });

        it('reads each rule\'s action back as "allow" (#1602, Default "allow"), which is no diff against a rule that leaves it out', () => {
            const stored = model(FW).readBack(FIREWALL_INPUTS);
            for (const rule of [...(stored.inboundRules as object[]), ...(stored.outboundRules as object[])])
                expect(rule).to.include({ action: "allow" });
            expect(secondUp(FW, FIREWALL_INPUTS)).to.deep.equal([]);
            const denied = {
                ...FIREWALL_INPUTS,
                inboundRules: FIREWALL_INPUTS.inboundRules.map((r) => ({ ...r, action: "deny" })),
            };
            expect(model(FW).changed(denied, stored)).to.deep.equal(["inboundRules"]);
        });

        it('keeps port ranges as sent ("1-65535" stays, an icmp rule stays without one) and updates rules in place', () => {
            const stored = model(FW).readBack(FIREWALL_INPUTS);
            const out = stored.outboundRules as Array<Record<string, unknown>>;
            expect(out[0]).to.include({ portRange: "1-65535" });
            expect(out[1]).to.not.have.property("portRange");
            const ssh2222 = {
                ...FIREWALL_INPUTS,
                inboundRules: [
                    FIREWALL_INPUTS.inboundRules[0]!,
                    { ...FIREWALL_INPUTS.inboundRules[1]!, portRange: "2222" },
                ],
            };
            expect(model(FW).changed(ssh2222, stored)).to.deep.equal(["inboundRules"]);
            expect(model(FW).replacements(ssh2222, stored)).to.deep.equal([]);
        });
    });

    describe("volume, VPC and reserved IP", () => {
        const VOLUME = {
            name: "freshtrack-staging-data",
            region: "FRA1",
            size: 30,
            initialFilesystemType: "ext4",
            description: "FreshTrack data",
            tags: ["freshtrack"],
        };

        it("lower-cases the volume's region, keeps initialFilesystemType as sent, and replaces on name, description or filesystem", () => {
            expect(model("volume:Volume").readBack(VOLUME)).to.include({
                region: "fra1",
                initialFilesystemType: "ext4",
            });
            expect(secondUp("volume:Volume", VOLUME)).to.deep.equal([]);
            for (const key of ["name", "region", "description", "initialFilesystemType"])
                expect(model("volume:Volume").forcesReplacement(key), key).to.equal(true);
            expect(model("volume:Volume").forcesReplacement("size")).to.equal(false);
        });

        it("reads the VPC's region back as the API's lower-case slug with no StateFunc, so 'FRA1' would replace the VPC", () => {
            const inputs = { name: "freshtrack-staging-vpc", region: "FRA1", description: "FreshTrack staging" };
            expect(model("vpc:Vpc").readBack(inputs)).to.include({ region: "fra1" });
            expect(model("vpc:Vpc").replacements(inputs, model("vpc:Vpc").readBack(inputs))).to.deep.equal(["region"]);
            expect(secondUp("vpc:Vpc", { ...inputs, region: "fra1" })).to.deep.equal([]);
        });

        it("lower-cases the reserved IP's region, and replaces the assignment on either input", () => {
            expect(model("reservedIp:ReservedIp").readBack({ region: "FRA1" })).to.deep.equal({ region: "fra1" });
            expect(secondUp("reservedIp:ReservedIp", { region: "FRA1" })).to.deep.equal([]);
            const assignment = model("reservedIpAssignment:ReservedIpAssignment");
            const stored = assignment.readBack({ ipAddress: "203.0.113.50", dropletId: 2 });
            expect(assignment.replacements({ ipAddress: "203.0.113.50", dropletId: 1 }, stored)).to.deep.equal([
                "dropletId",
            ]);
        });
    });

    describe("DNS record and SSH key", () => {
        const DNS = "dnsRecord:DnsRecord";
        const RECORD = {
            domain: "example.com",
            name: "staging.freshtrack",
            type: "A",
            value: "203.0.113.50",
            ttl: 300,
        };

        it("treats '@' and 'zone.' as one name, and 'x' and 'x.zone.' as one; type and domain replace, name does not", () => {
            const apex = model(DNS).readBack({ ...RECORD, name: "@" });
            expect(model(DNS).changed({ ...RECORD, name: "example.com." }, apex)).to.deep.equal([]);
            expect(model(DNS).readBack({ ...RECORD, name: "staging.freshtrack.example.com." })).to.include({
                name: "staging.freshtrack",
            });
            expect(
                model(DNS).changed({ ...RECORD, name: "staging.freshtrack.example.com." }, model(DNS).readBack(RECORD)),
            ).to.deep.equal([]);
            expect(
                model(DNS).changed({ ...RECORD, name: "staging.freshtrack.example.com" }, model(DNS).readBack(RECORD)),
            ).to.deep.equal(["name"]);
            expect(["type", "domain", "name"].map((k) => model(DNS).forcesReplacement(k))).to.deep.equal([
                true,
                true,
                false,
            ]);
        });

        it("keeps the API's TTL when the program leaves ttl out (Optional + Computed)", () => {
            const { ttl: _ttl, ...noTtl } = RECORD;
            expect(model(DNS).changed(noTtl, { ...model(DNS).readBack(RECORD), ttl: 1800 })).to.deep.equal([]);
        });

        it("refuses record types whose value Read rewrites (CNAME gets a trailing dot), as the program sends only A and AAAA", () => {
            expect(() => model(DNS).readBack({ ...RECORD, type: "CNAME", value: "target.example.net" })).to.throw(
                /CNAME are not modelled/,
            );
        });

        it("ignores whitespace around an SSH public key (DiffSuppressFunc) and replaces the key on any other change", () => {
            const key = { name: "freshtrack-staging-deploy", publicKey: "ssh-ed25519 AAAAkey" };
            expect(
                model("sshKey:SshKey").changed(
                    { ...key, publicKey: "ssh-ed25519 AAAAkey\n" },
                    model("sshKey:SshKey").readBack(key),
                ),
            ).to.deep.equal([]);
            const other = { ...key, publicKey: "ssh-ed25519 AAAAother" };
            expect(model("sshKey:SshKey").replacements(other, model("sshKey:SshKey").readBack(key))).to.deep.equal([
                "publicKey",
            ]);
        });
    });

    describe("project", () => {
        const PROJECT = "project:Project";
        const INPUTS = {
            name: "freshtrack-staging",
            environment: "Staging",
            purpose: "Web Application",
            description: "x",
            resources: ["do:droplet:424242", "do:volume:vol-1"],
        };

        it("keeps droplet and volume URNs as sent, compares the environment without regard to case and cuts an 'Other: ' purpose prefix", () => {
            expect(secondUp(PROJECT, INPUTS)).to.deep.equal([]);
            expect(
                model(PROJECT).changed({ ...INPUTS, environment: "staging" }, model(PROJECT).readBack(INPUTS)),
            ).to.deep.equal([]);
            expect(
                model(PROJECT).changed(
                    { ...INPUTS, purpose: "Sensors" },
                    { ...model(PROJECT).readBack(INPUTS), purpose: "Other: Sensors" },
                ),
            ).to.deep.equal([]);
        });

        it("gets a reserved IP's URN back in the other form, do:reservedip or do:floatingip (#1264, #1455): a diff either way", () => {
            for (const form of ["reservedip", "floatingip"]) {
                const inputs = { ...INPUTS, resources: [...INPUTS.resources, `do:${form}:203.0.113.50`] };
                expect(secondUp(PROJECT, inputs), form).to.deep.equal(["resources"]);
            }
        });

        it("keeps every URN the project lists when the program sends no resources (Optional + Computed)", () => {
            const { resources: _r, ...rest } = INPUTS;
            expect(model(PROJECT).changed(rest, model(PROJECT).readBack(INPUTS))).to.deep.equal([]);
        });
    });

    describe("managed PostgreSQL", () => {
        const CLUSTER = {
            name: "freshtrack-staging-pg",
            engine: "pg",
            version: "16",
            size: "db-s-1vcpu-1gb",
            nodeCount: 1,
            region: "FRA1",
            privateNetworkUuid: "vpc-1",
            tags: ["freshtrack"],
        };

        it("lower-cases the cluster's region; name, engine and VPC replace the cluster, version, size, nodes and region change in place", () => {
            const cluster = model("databaseCluster:DatabaseCluster");
            expect(cluster.readBack(CLUSTER)).to.include({ region: "fra1" });
            expect(secondUp("databaseCluster:DatabaseCluster", CLUSTER)).to.deep.equal([]);
            expect(["name", "engine", "privateNetworkUuid"].every((k) => cluster.forcesReplacement(k))).to.equal(true);
            expect(["version", "size", "nodeCount", "region"].some((k) => cluster.forcesReplacement(k))).to.equal(
                false,
            );
        });

        it("stores an empty settings block for a PostgreSQL user the program gives none (#1610), so its second up is an update", () => {
            const user = { clusterId: "c", name: "freshtrack" };
            expect(model("databaseUser:DatabaseUser").readBack(user)).to.have.property("settings").that.has.length(1);
            expect(secondUp("databaseUser:DatabaseUser", user)).to.deep.equal(["settings"]);
            expect(model("databaseUser:DatabaseUser").forcesReplacement("settings")).to.equal(false);
        });

        it("replaces the connection pool on any change (no Update), a new size included", () => {
            const pool = {
                clusterId: "c",
                name: "freshtrack-pool",
                user: "freshtrack",
                mode: "transaction",
                size: 20,
                dbName: "freshtrack",
            };
            const m = model("databaseConnectionPool:DatabaseConnectionPool");
            expect(m.replacements({ ...pool, size: 25 }, m.readBack(pool))).to.deep.equal(["size"]);
        });

        it("compares database firewall rules by type and value only: the computed uuid and createdAt are outside the set hash", () => {
            const fw = { clusterId: "c", rules: [{ type: "droplet", value: "424242" }] };
            const stored = {
                ...fw,
                rules: [{ type: "droplet", value: "424242", uuid: "u-1", createdAt: "2026-01-01T00:00:00Z" }],
            };
            expect(model("databaseFirewall:DatabaseFirewall").changed(fw, stored)).to.deep.equal([]);
            expect(
                model("databaseFirewall:DatabaseFirewall").changed(
                    { ...fw, rules: [{ type: "droplet", value: "1" }] },
                    stored,
                ),
            ).to.deep.equal(["rules"]);
        });
    });
});
