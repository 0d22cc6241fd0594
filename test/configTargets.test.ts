/**
 * Config for the droplet and ssh targets (design.md, "No way in through the edges" and "Only 80 and 443 are
 * public"): documentation examples left in a stack, admin CIDRs judged by the addresses they cover, the VM's host
 * key, and the droplet image. Rung 1: the config reader under mocks; each describe names its finding.
 */
import { expect } from "chai";
import { placeholderValues } from "../components/config";
import { loadStackSettings, readProjectFile } from "../scripts/lib/stackFiles";
import { keysOf, problemsFor } from "./configFixtures";
import { configFor, settingsWith } from "./helpers";

describe("documentation examples left in a droplet or VM stack (placeholderValues)", () => {
    it("lists every example value the shipped prod file still holds, one line each with its key", async () => {
        expect(placeholderValues(await configFor(loadStackSettings("prod")))).to.deep.equal([
            "freshtrack:domain = freshtrack.example.com",
            "freshtrack:adminEmail = ops@freshtrack.example.com",
            "freshtrack:adminCidrs[0] = 203.0.113.0/28",
            "freshtrack:adminCidrs[1] = 2001:db8:40::/48",
            "freshtrack:droplet.dnsZone = example.com",
            "freshtrack:alerts.email.to[0] = oncall@freshtrack.example.com",
            "freshtrack:alerts.email.from = alerts@freshtrack.example.com",
            "freshtrack:alerts.email.smarthost = smtp.example.com:587",
        ]);
    });

    it("finds none in a stack with real-looking values, nor on the local target", async () => {
        const own = settingsWith({
            "freshtrack:target": "droplet",
            "freshtrack:tlsMode": "acme",
            "freshtrack:domain": "cold.acme-foods.eu",
            "freshtrack:adminEmail": "ops@acme-foods.eu",
            "freshtrack:adminCidrs": ["81.2.69.0/28", "2a00:1450:4001::/48"],
            "freshtrack:droplet": { region: "fra1", dnsZone: "acme-foods.eu" },
            "freshtrack:alerts": {
                email: {
                    to: ["oncall@acme-foods.eu"],
                    from: "alerts@acme-foods.eu",
                    smarthost: "smtp.acme-foods.eu:587",
                },
            },
        });
        expect(placeholderValues(await configFor(own))).to.deep.equal([]);
        expect(placeholderValues(await configFor(loadStackSettings("dev")))).to.deep.equal([]);
    });
});

const DROPLET = {
    "freshtrack:target": "droplet",
    "freshtrack:tlsMode": "acme",
    "freshtrack:droplet": { region: "fra1" },
};

/**
 * Issue 15, finding 8 (rung 1, the program under mocks): world-open SSH spelt differently, and an
 * empty adminCidrs on a droplet (the default [] Pulumi.yaml declares always arrives), passed.
 */
describe("adminCidrs judged by the addresses they cover (issue 15, finding 8)", () => {
    const world =
        /freshtrack:adminCidrs = .*: expected specific admin networks; SSH open to the whole internet is refused unless freshtrack:allowSshFromAnywhere is true/;
    const cases: Array<[string, unknown[], RegExp[]]> = [
        [
            "0.0.0.0/1 with 128.0.0.0/1",
            ["0.0.0.0/1", "128.0.0.0/1"],
            [world, /\(together these cover every IPv4 address\)/],
        ],
        [
            "1.2.3.4/0",
            ["1.2.3.4/0"],
            [
                /freshtrack:adminCidrs\[0\] = "1\.2\.3\.4\/0": expected a network address with no host bits set: a \/0 starts at 0\.0\.0\.0\/0; for the single address write 1\.2\.3\.4\/32/,
                world,
            ],
        ],
        ["0::/0", ["0::/0"], [world, /every IPv6 address/]],
        [
            "::ffff:0.0.0.0/96",
            ["::ffff:0.0.0.0/96"],
            [
                /freshtrack:adminCidrs\[0\] = "::ffff:0\.0\.0\.0\/96": expected an IPv4 network in IPv4 form: this IPv4-mapped IPv6 network is 0\.0\.0\.0\/0/,
                world,
            ],
        ],
        ["::/80, which holds every IPv4-mapped address", ["::/80"], [world, /every IPv4 address/]],
        [
            "more than a /8 of IPv4 in total",
            ["10.0.0.0/8", "172.16.0.0/12"],
            [/expected admin networks covering at most a \/8 of IPv4 and a \/32 of IPv6 in total/],
        ],
    ];
    for (const [what, cidrs, messages] of cases) {
        it(`refuses ${what} on a droplet`, async () => {
            const err = await problemsFor({ ...DROPLET, "freshtrack:adminCidrs": cidrs });
            for (const message of messages) expect(err.message).to.match(message);
        });
    }

    it("refuses an empty list on the droplet and ssh targets, as the CLI passes it from Pulumi.yaml's default", async () => {
        expect(readProjectFile().config.adminCidrs?.default).to.deep.equal([]);
        const empty =
            /^ {2}- freshtrack:adminCidrs = \[\]: expected at least one CIDR allowed to reach SSH on the (droplet|ssh) target, such as your address as x\.x\.x\.x\/32$/m;
        expect((await problemsFor({ ...DROPLET, "freshtrack:adminCidrs": [] })).message).to.match(empty);
        const ssh = {
            "freshtrack:target": "ssh",
            "freshtrack:tlsMode": "acme",
            "freshtrack:ssh": { host: "vm.freshtrack.example.net" },
            "freshtrack:sshPrivateKey": "k",
        };
        expect(
            (await problemsFor({ ...ssh, "freshtrack:adminCidrs": [] }, ["freshtrack:sshPrivateKey"])).message,
        ).to.match(empty);
        await configFor(settingsWith({ "freshtrack:adminCidrs": [] }));
    });

    it("still accepts the shipped networks, and the whole internet only with the explicit override", async () => {
        const cfg = await configFor(
            settingsWith({
                ...DROPLET,
                "freshtrack:adminCidrs": ["0.0.0.0/1", "128.0.0.0/1"],
                "freshtrack:allowSshFromAnywhere": true,
            }),
        );
        expect(cfg.adminCidrs).to.deep.equal(["0.0.0.0/1", "128.0.0.0/1"]);
        expect((await configFor(loadStackSettings("prod"))).adminCidrs).to.deep.equal([
            "203.0.113.0/28",
            "2001:db8:40::/48",
        ]);
    });
});

/**
 * Issue 15, finding 3: the ssh target's host key comes from config, never from whichever host
 * answers first. Rung 1: the config reader alone, on the values an operator would write.
 */
describe("ssh target: the VM's host key is required config (issue 15, finding 3)", () => {
    const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILSEL3mlyPpCGaUNBxcpStcsu+5bt0IiOM455EXcf9/y";
    const SSH = {
        "freshtrack:target": "ssh",
        "freshtrack:tlsMode": "acme",
        "freshtrack:adminCidrs": ["198.51.100.0/24"],
        "freshtrack:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----\n",
    };
    const withSsh = (ssh: Record<string, unknown>) =>
        problemsFor({ ...SSH, "freshtrack:ssh": ssh }, ["freshtrack:sshPrivateKey"]);

    it("refuses a stack without ssh.hostKey, naming the key, the ssh-keyscan line to run and the out-of-band check", async () => {
        const err = await withSsh({ host: "vm.freshtrack.example.net", port: 2222 });
        expect(keysOf(err)).to.deep.equal(["freshtrack:ssh.hostKey"]);
        const line = err.message.split("\n").find((l) => l.includes("freshtrack:ssh.hostKey"))!;
        expect(line).to.match(/^ {2}- freshtrack:ssh\.hostKey = \(not set\): expected the VM's SSH host key/);
        expect(line).to.contain("`ssh-keyscan -p 2222 -t ed25519 vm.freshtrack.example.net`");
        expect(line).to.contain("ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub");
        expect(line).to.contain("console");
    });

    it("refuses a key that is not one ed25519 public key line, and reports it with every other problem at once", async () => {
        const rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCsB78MUyL8EpVtLJYydUvq";
        const cases: Array<[string, RegExp]> = [
            [rsa, /this is a ssh-rsa key/],
            ["ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQCsB78MUyL8EpVtLJYydUvq", /the key data is not an ed25519 key/],
            [`[vm.example.net]:22 ${HOST_KEY}`, /expected one ed25519 public key line/],
            [`${HOST_KEY}\nssh-ed25519 AAAA`, /expected one ed25519 public key line/],
            ["", /expected one ed25519 public key line/],
        ];
        for (const [hostKey, reason] of cases) {
            const err = await withSsh({ host: "203.0.113.9", hostKey, port: 70000 });
            expect(keysOf(err).sort(), JSON.stringify(hostKey)).to.deep.equal([
                "freshtrack:ssh.hostKey",
                "freshtrack:ssh.port",
            ]);
            const line = err.message.split("\n").find((l) => l.includes("freshtrack:ssh.hostKey"))!;
            expect(line, JSON.stringify(hostKey)).to.match(reason);
            expect(line).to.contain("ssh-keyscan -p 22 -t ed25519 203.0.113.9");
        }
    });

    it("accepts the line ssh-keyscan prints (host name first) only without the host name, and keeps the key without its comment", async () => {
        const cfg = await configFor(
            settingsWith(
                { ...SSH, "freshtrack:ssh": { host: "vm.freshtrack.example.net", hostKey: `${HOST_KEY} root@vm` } },
                ["freshtrack:sshPrivateKey"],
            ),
        );
        expect(cfg.ssh!.hostKey).to.equal(HOST_KEY);
    });

    it("is described in Pulumi.yaml, with the ssh-keyscan line", () => {
        const description = String(readProjectFile().config.ssh?.description ?? "");
        expect(description).to.contain("hostKey");
        expect(description).to.contain("ssh-keyscan");
    });
});

// The attack pass: a Debian droplet passed config, was created, and then stopped in its bootstrap on Docker 20.10
// (components/host/bootstrap.ts, renderDockerVersionCheck). Rung 1: refused before any resource is registered.
describe("droplet.image: only Ubuntu, whose docker.io can publish Caddy on IPv4 and IPv6", () => {
    it("refuses a Debian image, saying why, and accepts the Ubuntu ones", async () => {
        const err = await problemsFor({
            ...DROPLET,
            "freshtrack:adminCidrs": ["203.0.113.0/28"],
            "freshtrack:droplet": { region: "fra1", image: "debian-12-x64" },
        });
        expect(err.message).to.match(
            /freshtrack:droplet\.image = "debian-12-x64": expected an Ubuntu image slug such as ubuntu-24-04-x64: Debian's docker\.io is older than the Docker 27/,
        );
        const cfg = await configFor(
            settingsWith({
                ...DROPLET,
                "freshtrack:adminCidrs": ["203.0.113.0/28"],
                "freshtrack:droplet": { region: "fra1", image: "ubuntu-24-04-x64" },
            }),
        );
        expect(cfg.droplet!.image).to.equal("ubuntu-24-04-x64");
    });
});
