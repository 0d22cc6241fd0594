import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    DATA_MOUNT,
    DOCKER_DATA_MOUNT_DROP_IN,
    renderDockerDataMountDropIn,
    renderHostRules,
} from "../components/host/bootstrap";
import { inboundRules } from "../components/host/firewallRules";
import { recordName } from "../components/host/dropletHost";
import { deployStack } from "../components/stack";
import { ASSIGNED_ADDRESSES, mockSshDir, RegisteredResource, runUnderMocks, SecretValue } from "../scripts/lib/mockRun";
import { loadStackSettings } from "../scripts/lib/stackFiles";
import { ALL_CONTAINERS, containers } from "./helpers";
import {
    bootstrapFileOf,
    cloudInitOf,
    DO,
    one,
    SAMPLE_HOST_KEY,
    ufwRulesIn,
    revealed,
    sshTargetSettings,
} from "./hostsFixtures";
import { sharedRun, shippedRun } from "./variantRuns";

/** An output's value once a mocked run has finished. */
function valueOf<T>(output: pulumi.Output<T> | undefined): Promise<T | undefined> {
    return new Promise((resolve) => {
        if (output === undefined) resolve(undefined);
        else output.apply((v) => (resolve(v), v));
    });
}

describe("hosts: droplet, ssh and their bootstrap", () => {
    // Under mocks the program writes the deploy key under a private directory of the test process (mockSshDir), never
    // ~/.freshtrack.
    const sshDir = mockSshDir();

    describe("droplet target (stack prod)", () => {
        let resources: RegisteredResource[];
        before(async () => {
            resources = (await shippedRun("prod")).resources;
        });

        it("opens 80 and 443 to all of IPv4 and IPv6, 22 only to the admin CIDRs, and nothing else", () => {
            const fw = one(resources, DO("firewall:Firewall"));
            expect(fw.inputs.inboundRules).to.deep.equal([
                { protocol: "tcp", portRange: "80", sourceAddresses: ["0.0.0.0/0", "::/0"] },
                { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0", "::/0"] },
                { protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.0/28", "2001:db8:40::/48"] },
            ]);
            expect(fw.inputs.dropletIds).to.deep.equal([424242]);
        });

        it("never replaces the droplet for userData, sshKeys or image changes", () => {
            const droplet = one(resources, DO("droplet:Droplet"));
            expect(droplet.options.ignoreChanges).to.include.members(["userData", "sshKeys"]);
            expect(droplet.options.ignoreChanges).to.include("image");
            // A deliberate rebuild frees the volume before the new droplet asks for it.
            expect(droplet.options.deleteBeforeReplace).to.equal(true);
        });

        // Issue 17, docs pass: Docker's data root is on the volume, which cloud-init mounts with nofail; without the
        // drop-in a reboot with a late or missing volume started Docker empty on the root disk. Rung 1: what the prod
        // stack registers.
        it("makes Docker wait for the data volume at every boot: the drop-in is in the droplet's bootstrap", () => {
            const userData = cloudInitOf(one(resources, DO("droplet:Droplet")).inputs.userData);
            expect(userData.mounts.map((m) => m[1])).to.deep.equal([DATA_MOUNT]);
            expect(bootstrapFileOf(userData)).to.contain(
                `if write_file ${DOCKER_DATA_MOUNT_DROP_IN} 0644 <<'DATA_MOUNT_DROP_IN'\n` +
                    `${renderDockerDataMountDropIn(DATA_MOUNT)}DATA_MOUNT_DROP_IN\nthen systemctl daemon-reload; fi\n`,
            );
        });

        it("runs the droplet with monitoring, backups (prod), IPv6, its VPC, the SSH key and the data volume", () => {
            const d = one(resources, DO("droplet:Droplet")).inputs;
            expect(d).to.include({ monitoring: true, backups: true, ipv6: true, size: "s-4vcpu-8gb", region: "fra1" });
            // A resize keeps the droplet's own disk, so a later resize can go back to the smaller size (issue 17).
            expect(d.resizeDisk).to.equal(false);
            expect(d.vpcUuid).to.equal("droplet-vpc-id");
            expect(d.sshKeys).to.deep.equal(["00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"]);
            expect(d.volumeIds).to.deep.equal(["droplet-data-id"]);
        });

        it("keeps all persistent data on a protected block volume", () => {
            const volume = one(resources, DO("volume:Volume"));
            expect(volume.options.protect).to.equal(true);
            expect(volume.inputs).to.include({ size: 100, initialFilesystemType: "ext4", region: "fra1" });
        });

        it("points A records at the reserved IP and AAAA at the droplet, for the domain and its subdomains", () => {
            const records = resources
                .filter((r) => r.type === DO("dnsRecord:DnsRecord"))
                .map((r) => `${r.inputs.type} ${r.inputs.name}.${r.inputs.domain} ${r.inputs.value}`);
            expect(records.sort()).to.deep.equal([
                "A *.freshtrack.example.com 203.0.113.50",
                "A freshtrack.example.com 203.0.113.50",
                "AAAA *.freshtrack.example.com 2001:db8::10",
                "AAAA freshtrack.example.com 2001:db8::10",
            ]);
            expect(recordName("example.com", "example.com")).to.equal("@");
        });

        it("groups droplet and volume in a Production project, without the reserved IP, whose URN does not read back", () => {
            const project = one(resources, DO("project:Project"));
            expect(project.inputs.environment).to.equal("Production");
            expect(project.inputs.resources).to.have.length(2);
            expect(String(project.inputs.resources)).to.not.match(/floatingip|reservedip/);
        });

        it("waits for the bootstrap before Docker is used, and reaches Docker as ssh://deploy@ with the generated key", () => {
            const wait = resources.find((r) => r.name === "droplet-bootstrap-wait")!;
            expect(wait.inputs.create).to.contain("/var/lib/freshtrack/bootstrap.done");
            // The private key makes the whole connection secret in state.
            expect(wait.inputs.connection).to.be.instanceOf(SecretValue);
            const connection = (wait.inputs.connection as SecretValue).value as Record<string, unknown>;
            expect(connection.user).to.equal("deploy");
            expect(connection.privateKey).to.contain("BEGIN OPENSSH PRIVATE KEY");
            const provider = resources.find((r) => r.type === "pulumi:providers:docker")!;
            expect(provider.inputs.host).to.equal("ssh://deploy@192.0.2.10");
            // Derived from the secret key, so marked secret too; provider config arrays arrive JSON-encoded.
            const raw =
                provider.inputs.sshOpts instanceof SecretValue
                    ? provider.inputs.sshOpts.value
                    : provider.inputs.sshOpts;
            const opts = (typeof raw === "string" ? JSON.parse(raw) : raw) as string[];
            // Issue 15, finding 3: the pinned host key and no other (test/sshTransport.ssh.test.ts runs these against
            // a real sshd).
            expect(opts).to.include.members([
                "IdentitiesOnly=yes",
                "StrictHostKeyChecking=yes",
                "GlobalKnownHostsFile=/dev/null",
                "UpdateHostKeys=no",
            ]);
            expect(opts.join(" ")).to.not.contain("accept-new");
            const knownHosts = opts
                .find((o) => o.startsWith("UserKnownHostsFile="))!
                .slice("UserKnownHostsFile=".length);
            // Per organization and project too (the attack pass: two customers' `prod` stacks shared one directory).
            expect(knownHosts).to.equal(path.join(sshDir, "organization", "freshtrack", "prod", "known_hosts"));
            const hostKey = resources.find((r) => r.name === "droplet-host-key-ed25519");
            expect(hostKey?.type, "the droplet's host key is made by the program").to.equal(
                "tls:index/privateKey:PrivateKey",
            );
            expect(hostKey!.inputs).to.deep.equal({ algorithm: "ED25519" });
            expect(fs.readFileSync(knownHosts, "utf8")).to.match(
                /^192\.0\.2\.10 ssh-ed25519 AAAAmockdroplethostkeyed25519\n$/,
            );
            const keyFile = opts.find((o) => o.startsWith("IdentityFile="))!.slice("IdentityFile=".length);
            // Defect 7: a stable per-user place (FRESHTRACK_SSH_DIR, which mocked runs point at mockSshDir()), never
            // ~/.freshtrack under mocks.
            expect(keyFile).to.equal(path.join(sshDir, "organization", "freshtrack", "prod", "deploy_key"));
            // Defect 12: one multiplexed SSH connection per stack (test/sshTransport.ssh.test.ts runs these against a
            // real sshd).
            expect(opts).to.include.members(["ControlMaster=auto", "ControlPersist=60"]);
            expect(opts.find((o) => o.startsWith("ControlPath="))).to.match(
                new RegExp(`^ControlPath=${sshDir}/organization/freshtrack/prod/cm-[0-9a-f]{16}$`),
            );
            expect(fs.statSync(keyFile).mode & 0o777).to.equal(0o600);
            expect(fs.readFileSync(keyFile, "utf8")).to.contain("BEGIN OPENSSH PRIVATE KEY");
            for (const c of containers(resources)) expect(c.options.dependsOn, c.name).to.include(wait.urn);
        });
    });

    describe("managed PostgreSQL (database.mode managed)", () => {
        let resources: RegisteredResource[];
        before(async () => {
            const settings = loadStackSettings("prod");
            settings.config["freshtrack:database"] = JSON.stringify({ mode: "managed", size: "db-s-1vcpu-2gb" });
            resources = (await sharedRun(settings)).resources;
        });

        it("replaces the Postgres and PgBouncer containers and their volume", () => {
            // database-grant stays: the cluster's admin grants the app role CREATE on schema public
            // (test/managedDatabase.stack.test.ts).
            // And the WAL receiver: a managed cluster keeps its own point-in-time backups (issue 18).
            const expected = ALL_CONTAINERS.filter(
                (n) => !["postgres", "pgbouncer", "pgbouncer-exporter", "wal-receiver"].includes(n),
            );
            expect(
                containers(resources)
                    .map((c) => c.name)
                    .sort(),
            ).to.deep.equal(expected.sort());
            expect(
                resources.filter((r) => r.type === "docker:index/volume:Volume").map((v) => v.inputs.name),
            ).to.not.include("freshtrack-prod-postgres-data");
        });

        it("creates a protected cluster in the droplet's region and VPC, a transaction pool, and a firewall admitting only the droplet", () => {
            const cluster = one(resources, DO("databaseCluster:DatabaseCluster"));
            expect(cluster.options.protect).to.equal(true);
            expect(cluster.inputs).to.include({
                engine: "pg",
                region: "fra1",
                privateNetworkUuid: "droplet-vpc-id",
                size: "db-s-1vcpu-2gb",
            });
            expect(one(resources, DO("databaseConnectionPool:DatabaseConnectionPool")).inputs.mode).to.equal(
                "transaction",
            );
            expect(one(resources, DO("databaseFirewall:DatabaseFirewall")).inputs.rules).to.deep.equal([
                { type: "droplet", value: "424242" },
            ]);
        });
    });

    describe("ssh target", () => {
        let resources: RegisteredResource[];
        before(async () => {
            const settings = sshTargetSettings({ hostKey: SAMPLE_HOST_KEY.publicKey });
            resources = (await runUnderMocks(settings, deployStack)).resources;
        });

        it("bootstraps the VM as the admin user with the same script, re-run only when it changes", () => {
            const bootstrap = resources.find((r) => r.name === "ssh-bootstrap")!;
            expect(bootstrap.inputs.connection).to.be.instanceOf(SecretValue);
            const connection = (bootstrap.inputs.connection as SecretValue).value as Record<string, unknown>;
            expect(connection).to.include({ host: "vm.example.net", user: "admin", port: 22 });
            expect(connection.privateKey).to.contain("admin");
            expect(bootstrap.inputs.create).to.contain("sudo -n bash -s");
            expect(bootstrap.inputs.stdin).to.contain("freshtrack-bootstrap must run as root");
            expect(bootstrap.inputs.stdin).to.not.contain("/mnt/freshtrack-data");
            expect(bootstrap.inputs.stdin, "its Docker keeps /var/lib/docker").to.not.contain(
                DOCKER_DATA_MOUNT_DROP_IN,
            );
            expect(bootstrap.inputs.triggers).to.deep.equal([bootstrap.inputs.stdin]);
        });

        it("deploys through ssh://deploy@ the VM and creates nothing on DigitalOcean", () => {
            expect(resources.find((r) => r.type === "pulumi:providers:docker")!.inputs.host).to.equal(
                "ssh://deploy@vm.example.net",
            );
            expect(resources.filter((r) => r.type.startsWith("digitalocean:"))).to.deep.equal([]);
            expect(
                containers(resources)
                    .map((c) => c.name)
                    .sort(),
            ).to.deep.equal(ALL_CONTAINERS);
        });

        it("authorises only the VM's port 22 for SSH when ssh.port is left out", () => {
            const stdin = String(resources.find((r) => r.name === "ssh-bootstrap")!.inputs.stdin);
            expect(stdin).to.contain("allow proto tcp from 198.51.100.0/24 to any port 22 comment freshtrack-ssh");
            expect(stdin).to.contain("\nport = 22\n");
        });
    });
});

describe("programs run under mocks (npm run plan, bench, the tests)", () => {
    it("write the deploy key under a private directory of their own, not where FRESHTRACK_SSH_DIR or ~/.freshtrack keeps the real one", async () => {
        // A mock key written over the real one would break `pulumi destroy` and `pulumi refresh`, which reuse the path
        // in state.
        const real = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-operator-ssh-"));
        const before = process.env.FRESHTRACK_SSH_DIR;
        process.env.FRESHTRACK_SSH_DIR = real;
        try {
            await runUnderMocks(loadStackSettings("prod"), deployStack);
            expect(fs.readdirSync(real), "the operator's directory").to.deep.equal([]);
            expect(fs.existsSync(path.join(mockSshDir(), "organization", "freshtrack", "prod", "deploy_key"))).to.equal(
                true,
            );
            expect(process.env.FRESHTRACK_SSH_DIR, "the setting is put back after the run").to.equal(real);
        } finally {
            if (before === undefined) delete process.env.FRESHTRACK_SSH_DIR;
            else process.env.FRESHTRACK_SSH_DIR = before;
        }
    });
});

/**
 * Issue 15, findings 3, 7 and 11: every SSH connection pins the host's key, the host firewall and
 * the deploy user's keys follow config on every deploy, and the deploy user reaches root only
 * through explicit sudo rules, with sshd taking keys only.
 */
describe("host access: pinned host keys, re-applied host rules, sshd and sudo (issue 15, findings 3, 7, 11)", () => {
    mockSshDir();
    const HOST_KEY = SAMPLE_HOST_KEY.publicKey;
    const connectionOf = (r: RegisteredResource) => revealed(r.inputs.connection) as Record<string, unknown>;
    const byName = (resources: RegisteredResource[], name: string) => {
        const found = resources.find((r) => r.name === name);
        expect(found, name).to.not.equal(undefined);
        return found!;
    };

    describe("the droplet's host key, made by the program and installed by cloud-init (finding 3; rungs 1 and 3)", () => {
        let resources: RegisteredResource[];
        let hostKeyOutput: string | undefined;
        let ipv6Output: string | undefined;
        before(async () => {
            const run = await shippedRun("prod");
            resources = run.resources;
            hostKeyOutput = await valueOf(run.result.hostKey);
            ipv6Output = await valueOf(run.result.publicIpv6);
        });

        // The newcomer pass: AAAA records made outside DigitalOcean need the droplet's IPv6, which no output gave.
        it("exports the droplet's IPv6 address, the one its own AAAA records point at, and its pre-flight checks AAAA records against it", () => {
            expect(ipv6Output).to.equal(ASSIGNED_ADDRESSES.dropletIpv6.mock);
            expect(String(revealed(byName(resources, "droplet-preflight").inputs.stdin))).to.contain(
                `\nPUBLIC_IPV6=${ASSIGNED_ADDRESSES.dropletIpv6.mock}\n`,
            );
        });

        it("puts the program's key in the droplet's user data, as a secret, and pins that same key on every connection and in the stack output", () => {
            const droplet = one(resources, DO("droplet:Droplet"));
            expect(droplet.inputs.userData, "the user data carries the host's private key").to.be.instanceOf(
                SecretValue,
            );
            const userData = cloudInitOf(droplet.inputs.userData);
            const pinned = "ssh-ed25519 AAAAmockdroplethostkeyed25519";
            expect(userData.ssh_keys.ed25519_public).to.equal(pinned);
            expect(userData.ssh_keys.ed25519_private).to.contain("mock-droplet-host-key-ed25519");
            for (const name of ["droplet-bootstrap-wait", "droplet-host-rules", "droplet-preflight"]) {
                expect(connectionOf(byName(resources, name)).hostKey, name).to.equal(pinned);
            }
            expect(hostKeyOutput, "the stack output the operator scripts pin").to.equal(pinned);
        });
    });

    describe("the ssh target pins ssh.hostKey (finding 3; rung 1)", () => {
        const settings = (user: string, port?: number) =>
            sshTargetSettings({ user, hostKey: `${HOST_KEY} root@vm`, ...(port ? { port } : {}) });

        it("on the bootstrap as the admin user, the deploy user's commands, the Docker provider's known_hosts ([host]:port) and the stack output", async () => {
            const { resources, result } = await runUnderMocks(settings("admin", 2222), deployStack);
            expect(connectionOf(byName(resources, "ssh-bootstrap"))).to.include({
                user: "admin",
                port: 2222,
                hostKey: HOST_KEY,
            });
            expect(connectionOf(byName(resources, "ssh-preflight"))).to.include({
                user: "deploy",
                port: 2222,
                hostKey: HOST_KEY,
            });
            expect(
                fs.readFileSync(path.join(mockSshDir(), "organization", "freshtrack", "test", "known_hosts"), "utf8"),
            ).to.equal(`[vm.example.net]:2222 ${HOST_KEY}\n`);
            expect(await valueOf(result.hostKey)).to.equal(HOST_KEY);
        });

        it("turns root login off in sshd, unless root is the admin user, whose key login the next bootstrap needs", async () => {
            const sshdIn = (r: RegisteredResource) => /<<'SSHD'\n([\s\S]*?)SSHD\n/.exec(String(r.inputs.stdin))![1]!;
            const asAdmin = (await runUnderMocks(settings("admin"), deployStack)).resources;
            expect(sshdIn(byName(asAdmin, "ssh-bootstrap"))).to.match(/^PermitRootLogin no$/m);
            const asRoot = (await runUnderMocks(settings("root"), deployStack)).resources;
            expect(sshdIn(byName(asRoot, "ssh-bootstrap"))).to.match(/^PermitRootLogin prohibit-password$/m);
            for (const r of [byName(asAdmin, "ssh-bootstrap"), byName(asRoot, "ssh-bootstrap")]) {
                expect(sshdIn(r)).to.match(/^PasswordAuthentication no$/m);
                expect(sshdIn(r)).to.match(/^KbdInteractiveAuthentication no$/m);
            }
        });
    });

    describe("the droplet's UFW rules and deploy keys follow config on every deploy (finding 7)", () => {
        const withConfig = async (over: Record<string, unknown>) => {
            const settings = loadStackSettings("prod");
            // As the CLI hands them over: structured values as JSON text, strings as they are.
            for (const [k, v] of Object.entries(over))
                settings.config[k] = typeof v === "string" ? v : JSON.stringify(v);
            // With nothing changed, the prod run the suites share (test/variantRuns.ts).
            return (await sharedRun(settings)).resources;
        };

        it("re-applies the rules as the deploy user through sudo, on the pinned connection, before the pre-flight and every container (rung 1)", async () => {
            const resources = (await shippedRun("prod")).resources;
            const apply = byName(resources, "droplet-host-rules");
            expect(apply.inputs.create).to.equal("sudo -n /usr/local/sbin/freshtrack-host-rules");
            expect(connectionOf(apply)).to.include({ user: "deploy", port: 22 });
            expect(apply.options.dependsOn).to.include(byName(resources, "droplet-bootstrap-wait").urn);
            expect(byName(resources, "droplet-preflight").options.dependsOn).to.include(apply.urn);
            const stdin = String(apply.inputs.stdin);
            expect(stdin).to.equal(
                renderHostRules({
                    adminCidrs: ["203.0.113.0/28", "2001:db8:40::/48"],
                    sshPort: 22,
                    deployKeys: stdin.split("[authorized_keys]\n")[1]!.trim().split("\n"),
                }),
            );
            expect(ufwRulesIn(`<<'HOST_RULES'\n${stdin}`)).to.deep.equal(
                inboundRules(["203.0.113.0/28", "2001:db8:40::/48"], 22).flatMap((r) =>
                    r.sources.map((src) => `allow proto tcp from ${src} to any port ${r.port} comment ${r.name}`),
                ),
            );
            expect(apply.inputs.triggers).to.deep.equal([stdin, "424242"]);
            for (const c of containers(resources)) expect(c.options.dependsOn, c.name).to.include(apply.urn);
        });

        it("changes the trigger and the rules it runs when adminCidrs or the operator's key change, while the droplet's user data stays ignored", async () => {
            const base = byName(await withConfig({}), "droplet-host-rules");
            const moved = await withConfig({ "freshtrack:adminCidrs": ["192.0.2.0/24"] });
            const changed = byName(moved, "droplet-host-rules");
            expect(changed.inputs.triggers).to.not.deep.equal(base.inputs.triggers);
            expect(String(changed.inputs.stdin)).to.contain(
                "allow proto tcp from 192.0.2.0/24 to any port 22 comment freshtrack-ssh\n",
            );
            expect(String(changed.inputs.stdin)).to.not.contain("203.0.113.0/28");
            expect(one(moved, DO("droplet:Droplet")).options.ignoreChanges).to.include("userData");
            const operatorKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorKeyForTheTest operator@laptop";
            const keyed = byName(
                await withConfig({ "freshtrack:operatorSshPublicKey": operatorKey }),
                "droplet-host-rules",
            );
            expect(String(keyed.inputs.stdin)).to.match(
                new RegExp(
                    `\\[authorized_keys\\]\\nssh-ed25519 AAAAmock\\S+\\n${operatorKey.replace(/[+]/g, "\\+")}\\n$`,
                ),
            );
            expect(keyed.inputs.triggers).to.not.deep.equal(base.inputs.triggers);
        });
    });
});
