import { expect } from "chai";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError } from "../components/config";
import { renderBootstrapScript, renderDaemonJson, renderDockerUserScript, renderUfwRules } from "../components/host/bootstrap";
import { renderCloudInit, volumeDevice } from "../components/host/cloudInit";
import { inboundRules } from "../components/host/firewallRules";
import { recordName } from "../components/host/dropletHost";
import { deployStack } from "../components/stack";
import { RegisteredResource, SecretValue } from "../scripts/lib/mockRun";
import { loadStackSettings } from "../scripts/lib/stackFiles";
import { ALL_CONTAINERS, configFor, containers, runStack, settingsWith } from "./helpers";
import { runUnderMocks } from "../scripts/lib/mockRun";

const DO = (type: string) => `digitalocean:index/${type}`;

function tmpFile(name: string, content: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-host-"));
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
}

function one(resources: RegisteredResource[], type: string): RegisteredResource {
    const found = resources.filter((r) => r.type === type);
    expect(found, type).to.have.length(1);
    return found[0]!;
}

const SAMPLE = { deployKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMock deploy"], adminCidrs: ["203.0.113.0/28", "2001:db8:40::/48"] };

describe("hosts: droplet, ssh and their bootstrap", () => {
    describe("cloud-init", () => {
        it("passes `cloud-init schema` as rendered for the prod droplet", async () => {
            const { resources } = await runStack("prod", deployStack);
            const userData = one(resources, DO("droplet:Droplet")).inputs.userData;
            expect(userData).to.be.a("string").that.match(/^#cloud-config\n/);
            const result = spawnSync("cloud-init", ["schema", "-c", tmpFile("user-data.yaml", userData as string)], { encoding: "utf8" });
            expect(result.status, result.stdout + result.stderr).to.equal(0);
            expect(result.stdout).to.contain("Valid cloud-config");
        });

        it("is refused by `cloud-init schema` when broken, so the check above can fail", () => {
            const broken = renderCloudInit({ ...SAMPLE, volumeName: "v" }).replace("ssh_pwauth: false", "ssh_pwauth: [not, a, boolean]");
            const result = spawnSync("cloud-init", ["schema", "-c", tmpFile("broken.yaml", broken)], { encoding: "utf8" });
            expect(result.status).to.not.equal(0);
        });

        it("creates the deploy user with the keys, mounts the data volume and runs the bootstrap", () => {
            const text = renderCloudInit({ ...SAMPLE, volumeName: "freshtrack-prod-data" });
            expect(text).to.contain("name: deploy");
            expect(text).to.contain(SAMPLE.deployKeys[0]);
            expect(text).to.contain(volumeDevice("freshtrack-prod-data"));
            expect(text).to.match(/runcmd:\n\s+- - \/usr\/local\/sbin\/freshtrack-bootstrap/);
        });
    });

    describe("bootstrap script", () => {
        const script = renderBootstrapScript({ ...SAMPLE, dataMount: "/mnt/freshtrack-data" });

        it("passes shellcheck and bash -n, with and without a data volume, and so does the DOCKER-USER script", () => {
            for (const [name, text] of [
                ["bootstrap-droplet.sh", script],
                ["bootstrap-ssh.sh", renderBootstrapScript(SAMPLE)],
                ["docker-user.sh", renderDockerUserScript()],
            ] as const) {
                const file = tmpFile(name, text);
                execFileSync("bash", ["-n", file]);
                const result = spawnSync("shellcheck", ["--severity=style", file], { encoding: "utf8" });
                expect(result.status, `${name}:\n${result.stdout}`).to.equal(0);
            }
        });

        it("configures Docker with log rotation, live-restore, no-new-privileges, no userland proxy and its data root on the volume", () => {
            expect(JSON.parse(renderDaemonJson("/mnt/freshtrack-data"))).to.deep.equal({
                "log-driver": "json-file",
                "log-opts": { "max-size": "10m", "max-file": "3" },
                "live-restore": true,
                "no-new-privileges": true,
                "userland-proxy": false,
                "data-root": "/mnt/freshtrack-data/docker",
            });
            expect(script).to.contain(renderDaemonJson("/mnt/freshtrack-data"));
        });

        it("opens in UFW exactly what the cloud firewall opens", () => {
            const ufw = /apply_ufw_rules <<'UFW_RULES'\n([\s\S]*?)UFW_RULES/.exec(script)![1]!.trim().split("\n");
            const expected = inboundRules(SAMPLE.adminCidrs).flatMap((r) => r.sources.map((s) => `from ${s} to any port ${r.port}`));
            expect(ufw.map((l) => /from \S+ to any port \d+/.exec(l)![0])).to.deep.equal(expected);
            expect(script).to.contain("ufw default deny incoming");
        });

        it("keeps UFW in step with the admin CIDRs: adds new rules, removes dropped ones, and changes nothing on a re-run (real ufw, inactive)", function () {
            const status = spawnSync("ufw", ["status"], { encoding: "utf8" });
            if (process.getuid?.() !== 0 || status.status !== 0 || !/Status: inactive/.test(status.stdout)) {
                // Never touch a machine whose firewall is live; CI runs as root with ufw installed and inactive.
                this.skip();
            }
            const fn = /apply_ufw_rules\(\) \{[\s\S]*?\n\}/.exec(script)![0];
            const state = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-ufw-")), "ufw-rules");
            const applyRules = (rules: string) =>
                spawnSync("bash", ["-c", `set -euo pipefail\nlog() { echo "$*"; }\n${fn}\napply_ufw_rules`], {
                    input: rules,
                    encoding: "utf8",
                    env: { ...process.env, FRESHTRACK_UFW_STATE: state },
                });
            const apply = (cidrs: string[]) => applyRules(renderUfwRules(cidrs));
            const added = () => spawnSync("ufw", ["show", "added"], { encoding: "utf8" }).stdout;
            const userRules = () => fs.readFileSync("/etc/ufw/user.rules", "utf8") + fs.readFileSync("/etc/ufw/user6.rules", "utf8");
            try {
                expect(apply(["198.51.100.0/24"]).status).to.equal(0);
                expect(added()).to.contain("from 198.51.100.0/24 to any port 22 proto tcp comment 'freshtrack-ssh'");

                const second = apply(["192.0.2.0/24"]);
                expect(second.status, second.stderr).to.equal(0);
                expect(second.stdout).to.contain("removing ufw rule: allow proto tcp from 198.51.100.0/24 to any port 22 comment freshtrack-ssh");
                expect(added()).to.not.contain("198.51.100.0/24");
                expect(added()).to.contain("from 192.0.2.0/24 to any port 22 proto tcp comment 'freshtrack-ssh'");

                const before = userRules();
                const third = apply(["192.0.2.0/24"]);
                expect(third.stdout, "a re-run removes nothing").to.not.contain("removing");
                expect(userRules(), "a re-run changes no rule").to.equal(before);
            } finally {
                // An empty rule list removes every rule this test added.
                applyRules("");
            }
        });

        it("filters published container ports in DOCKER-USER, enables the fail2ban sshd jail and unattended upgrades", () => {
            expect(renderDockerUserScript()).to.match(/--ctorigdstport 443 -j RETURN\n.*-i "\$ext_if" -j DROP/);
            expect(script).to.match(/\[sshd\]\nenabled = true/);
            expect(script).to.contain('APT::Periodic::Unattended-Upgrade "1";');
            expect(script).to.contain("systemctl enable --now unattended-upgrades");
        });

        it("changes a file only when its content differs, so a second run changes nothing", () => {
            const fn = /write_file\(\) \{[\s\S]*?\n\}/.exec(script)![0];
            const target = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-wf-")), "etc", "daemon.json");
            const run = (content: string) =>
                spawnSync("bash", ["-c", `log() { :; }\n${fn}\nwrite_file "$1" 0644`, "bash", target], { input: content, encoding: "utf8" }).status;
            expect(run("{}\n"), "first run writes").to.equal(0);
            expect(run("{}\n"), "second run, same content").to.equal(1);
            expect(fs.statSync(target).mode & 0o777).to.equal(0o644);
            expect(run('{"a":1}\n'), "changed content").to.equal(0);
            expect(fs.readFileSync(target, "utf8")).to.equal('{"a":1}\n');
        });
    });

    describe("droplet target (stack prod)", () => {
        let resources: RegisteredResource[];
        before(async () => {
            resources = (await runStack("prod", deployStack)).resources;
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

        it("runs the droplet with monitoring, backups (prod), IPv6, its VPC, the SSH key and the data volume", () => {
            const d = one(resources, DO("droplet:Droplet")).inputs;
            expect(d).to.include({ monitoring: true, backups: true, ipv6: true, size: "s-2vcpu-4gb", region: "fra1" });
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
            const records = resources.filter((r) => r.type === DO("dnsRecord:DnsRecord")).map((r) => `${r.inputs.type} ${r.inputs.name}.${r.inputs.domain} ${r.inputs.value}`);
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
            const raw = provider.inputs.sshOpts instanceof SecretValue ? provider.inputs.sshOpts.value : provider.inputs.sshOpts;
            const opts = (typeof raw === "string" ? JSON.parse(raw) : raw) as string[];
            expect(opts).to.include.members(["IdentitiesOnly=yes", "StrictHostKeyChecking=accept-new"]);
            const keyFile = opts[opts.indexOf("-i") + 1]!;
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
            resources = (await runUnderMocks(settings, deployStack)).resources;
        });

        it("replaces the Postgres and PgBouncer containers and their volume", () => {
            expect(containers(resources).map((c) => c.name).sort()).to.deep.equal(ALL_CONTAINERS.filter((n) => !["postgres", "pgbouncer", "pgbouncer-exporter"].includes(n)));
            expect(resources.filter((r) => r.type === "docker:index/volume:Volume").map((v) => v.inputs.name)).to.not.include("freshtrack-prod-postgres-data");
        });

        it("creates a protected cluster in the droplet's region and VPC, a transaction pool, and a firewall admitting only the droplet", () => {
            const cluster = one(resources, DO("databaseCluster:DatabaseCluster"));
            expect(cluster.options.protect).to.equal(true);
            expect(cluster.inputs).to.include({ engine: "pg", region: "fra1", privateNetworkUuid: "droplet-vpc-id", size: "db-s-1vcpu-2gb" });
            expect(one(resources, DO("databaseConnectionPool:DatabaseConnectionPool")).inputs.mode).to.equal("transaction");
            expect(one(resources, DO("databaseFirewall:DatabaseFirewall")).inputs.rules).to.deep.equal([{ type: "droplet", value: "424242" }]);
        });

        it("is refused on the local target", async () => {
            let error: unknown;
            try {
                await configFor(settingsWith({ "freshtrack:database": { mode: "managed" } }));
            } catch (err) {
                error = err;
            }
            expect(error).to.be.instanceOf(ConfigError);
            expect(String((error as Error).message)).to.match(/freshtrack:database.mode = "managed": expected container on the local target/);
        });
    });

    describe("ssh target", () => {
        let resources: RegisteredResource[];
        before(async () => {
            const settings = settingsWith(
                {
                    "freshtrack:target": "ssh",
                    "freshtrack:tlsMode": "acme",
                    "freshtrack:adminCidrs": ["198.51.100.0/24"],
                    "freshtrack:ssh": { host: "vm.example.net", user: "admin" },
                    "freshtrack:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nadmin\n-----END OPENSSH PRIVATE KEY-----\n",
                },
                ["freshtrack:sshPrivateKey"],
            );
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
            expect(bootstrap.inputs.triggers).to.deep.equal([bootstrap.inputs.stdin]);
        });

        it("deploys through ssh://deploy@ the VM and creates nothing on DigitalOcean", () => {
            expect(resources.find((r) => r.type === "pulumi:providers:docker")!.inputs.host).to.equal("ssh://deploy@vm.example.net");
            expect(resources.filter((r) => r.type.startsWith("digitalocean:"))).to.deep.equal([]);
            expect(containers(resources).map((c) => c.name).sort()).to.deep.equal(ALL_CONTAINERS);
        });

        it("needs the admin key as a secret", async () => {
            let error: unknown;
            try {
                await configFor(settingsWith({ "freshtrack:target": "ssh", "freshtrack:tlsMode": "acme", "freshtrack:adminCidrs": ["198.51.100.0/24"], "freshtrack:ssh": { host: "vm.example.net" } }));
            } catch (err) {
                error = err;
            }
            expect(String((error as Error).message)).to.match(/freshtrack:sshPrivateKey = \(not set\): expected a secret/);
        });
    });

    it("refuses a prod stack with SSH open to the world, with a clear message", async () => {
        const settings = loadStackSettings("prod");
        settings.config["freshtrack:adminCidrs"] = JSON.stringify(["0.0.0.0/0"]);
        let error: unknown;
        try {
            await configFor(settings);
        } catch (err) {
            error = err;
        }
        expect(error).to.be.instanceOf(ConfigError);
        expect((error as Error).message).to.contain('freshtrack:adminCidrs = ["0.0.0.0/0"]: expected specific admin networks; SSH open to the whole internet is refused');
    });
});
