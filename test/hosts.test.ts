import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError } from "../components/config";
import {
    APT_LOCK_WAIT_SECONDS,
    DATA_MOUNT,
    DOCKER_DATA_MOUNT_DROP_IN,
    renderBootstrapScript,
    renderDockerDataMountDropIn,
    renderDockerVersionCheck,
    renderDaemonJson,
    renderDockerUserScript,
    HOST_RULES_PATH,
} from "../components/host/bootstrap";
import { renderCloudInit, volumeDevice } from "../components/host/cloudInit";
import { inboundRules } from "../components/host/firewallRules";
import { loadStackSettings } from "../scripts/lib/stackFiles";
import { configFor, settingsWith } from "./helpers";
import { bootstrapFileOf, cloudInitOf, SAMPLE, SAMPLE_HOST_KEY, ufwRulesIn } from "./hostsFixtures";

describe("hosts: droplet, ssh and their bootstrap", () => {
    describe("cloud-init", () => {
        it("creates the deploy user with the keys, mounts the data volume and runs the bootstrap", () => {
            const text = renderCloudInit({ ...SAMPLE, volumeName: "freshtrack-prod-data", hostKey: SAMPLE_HOST_KEY });
            expect(text).to.contain("name: deploy");
            expect(text).to.contain(SAMPLE.deployKeys[0]);
            expect(text).to.contain(volumeDevice("freshtrack-prod-data"));
            expect(text).to.match(/runcmd:\n\s+- - \/usr\/local\/sbin\/freshtrack-bootstrap/);
        });
    });

    describe("bootstrap script", () => {
        const script = renderBootstrapScript({ ...SAMPLE, dataMount: "/mnt/freshtrack-data" });

        // Issue 15, finding 7, as the attack pass found it: running the droplet's copy of the bootstrap by hand
        // (operations.md) must not put back the UFW rules and keys of the first boot over those droplet-host-rules
        // applied since. Rung 3: the rendered lines run by bash, with a stand-in for the helper that records what it
        // was sent.
        it("applies the rules baked into the droplet's bootstrap only on a host that has none yet", () => {
            const script = renderBootstrapScript({
                ...SAMPLE,
                dataMount: "/mnt/freshtrack-data",
                hostRulesFirstBootOnly: true,
            });
            const guard = new RegExp(
                `^if \\[ -e "\\$\\{FRESHTRACK_UFW_STATE[^\\n]*\\n[\\s\\S]*?\\nHOST_RULES\\nfi$`,
                "m",
            ).exec(script);
            expect(guard, "the guarded apply").to.not.equal(null);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-firstboot-"));
            const stub = path.join(dir, "host-rules");
            fs.writeFileSync(stub, `#!/bin/sh\ncat > ${dir}/sent\n`, { mode: 0o755 });
            const run = () =>
                spawnSync("bash", ["-c", `log() { echo "$*"; }\n${guard![0].split(HOST_RULES_PATH).join(stub)}`], {
                    encoding: "utf8",
                    env: { ...process.env, FRESHTRACK_UFW_STATE: path.join(dir, "state") },
                });
            expect(run().status).to.equal(0);
            expect(fs.readFileSync(path.join(dir, "sent"), "utf8"), "first boot: applied").to.contain("freshtrack-ssh");
            fs.rmSync(path.join(dir, "sent"));
            fs.writeFileSync(path.join(dir, "state"), "rules of a later deploy\n");
            const later = run();
            expect(fs.existsSync(path.join(dir, "sent")), "a later run leaves them").to.equal(false);
            expect(later.stdout).to.contain("kept as the last deploy applied them");
            expect(
                renderBootstrapScript(SAMPLE),
                "the ssh target's script, rendered afresh each time, always applies",
            ).to.not.contain("kept as the last deploy");
            expect(
                renderCloudInit({ ...SAMPLE, volumeName: "v", hostKey: SAMPLE_HOST_KEY }),
                "the droplet's copy is guarded",
            ).to.contain("kept as the last deploy");
        });

        // Defect 9 of issue 14: two bindings of one port read back unchanged only from Docker 27
        // (components/service.ts, publishedPorts). Rung 3: the rendered check run by bash against a stand-in `docker`
        // reporting each version.
        it("stops a dual-stack host's bootstrap on a Docker older than 27, naming the version, and goes on with 27 or newer", () => {
            const check = (version: string) => {
                const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-dockerver-"));
                fs.writeFileSync(path.join(dir, "docker"), `#!/bin/sh\necho '${version}'\n`, { mode: 0o755 });
                return spawnSync("bash", ["-c", `set -euo pipefail\n${renderDockerVersionCheck(27)}echo went-on`], {
                    encoding: "utf8",
                    env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
                });
            };
            for (const old of ["20.10.24+dfsg1", "26.1.5+dfsg1"]) {
                const r = check(old);
                expect(r.status, old).to.equal(1);
                expect(r.stderr).to.contain(`Docker ${old} is older than 27`).and.contain("ubuntu-24-04-x64");
                expect(r.stdout).to.not.contain("went-on");
            }
            for (const ok of ["27.5.1", "28.2.2"]) expect(check(ok).stdout, ok).to.contain("went-on");
            expect(check("garbage").stderr).to.contain("cannot read Docker's version");
            const droplet = renderCloudInit({
                deployKeys: SAMPLE.deployKeys,
                adminCidrs: SAMPLE.adminCidrs,
                volumeName: "freshtrack-prod-data",
                hostKey: SAMPLE_HOST_KEY,
            });
            expect(droplet, "the droplet, whose edge is dual-stack, checks").to.contain("is older than 27");
            expect(renderBootstrapScript(SAMPLE), "a host without the setting does not").to.not.contain("docker_major");
        });

        it("configures Docker with log rotation, live-restore, no-new-privileges, no userland proxy and its data root on the volume", () => {
            expect(JSON.parse(renderDaemonJson("/mnt/freshtrack-data"))).to.deep.equal({
                "log-driver": "json-file",
                "log-opts": {
                    "max-size": "10m",
                    "max-file": "3",
                    labels: "com.freshtrack.stack,com.freshtrack.service",
                    tag: "{{.Name}}",
                },
                "live-restore": true,
                "no-new-privileges": true,
                "userland-proxy": false,
                ip6tables: true,
                experimental: true,
                "data-root": "/mnt/freshtrack-data/docker",
            });
            expect(script).to.contain(renderDaemonJson("/mnt/freshtrack-data"));
        });

        // Issue 17, docs pass: after a reboot (a resize, a Reset Root Password) nothing ordered Docker after the
        // volume, which cloud-init mounts with nofail, so a late or missing volume started Docker empty on the root
        // disk. Rung 1: the rendered scripts; test/hostsBootstrap.servers.test.ts has systemd read the drop-in.
        it("makes Docker wait for the data volume at every boot with a docker.service drop-in, on the droplet only", () => {
            const dropIn = renderDockerDataMountDropIn(DATA_MOUNT);
            // The whole file: a line more (another dependency, a [Service] override) is a change to review here.
            expect(dropIn).to.equal(
                `# Rendered by components/host/bootstrap.ts: Docker's data root is on ${DATA_MOUNT}, so dockerd` +
                    " starts only\n# once it is mounted, and not at all without it.\n" +
                    `[Unit]\nRequiresMountsFor=${DATA_MOUNT}\n`,
            );
            const block = `if write_file ${DOCKER_DATA_MOUNT_DROP_IN} 0644 <<'DATA_MOUNT_DROP_IN'\n${dropIn}DATA_MOUNT_DROP_IN\nthen systemctl daemon-reload; fi\n`;
            const droplet = cloudInitOf(
                renderCloudInit({ ...SAMPLE, volumeName: "freshtrack-prod-data", hostKey: SAMPLE_HOST_KEY }),
            );
            const bootstrap = bootstrapFileOf(droplet);
            expect(bootstrap, "the droplet's bootstrap writes it, and reloads systemd only when it changed").to.contain(
                block,
            );
            // The path it waits for is the one cloud-init mounts, and Docker's data root is under it.
            expect(droplet.mounts[0]![1]).to.equal(DATA_MOUNT);
            expect(droplet.mounts[0]![3]!.split(","), "the mount that needs it").to.include("nofail");
            const dataRoot = (JSON.parse(renderDaemonJson(DATA_MOUNT)) as Record<string, string>)["data-root"]!;
            expect(dataRoot.startsWith(`${DATA_MOUNT}/`), dataRoot).to.equal(true);
            // Written after the mount check and before docker.io is installed and started, so the first start has it.
            const at = (needle: string) => {
                const i = bootstrap.indexOf(needle);
                expect(i, needle).to.be.greaterThan(-1);
                return i;
            };
            expect(at(`if ! mountpoint -q ${DATA_MOUNT}; then`)).to.be.lessThan(at(block));
            expect(at(block)).to.be.lessThan(at("for pkg in docker.io "));
            expect(at(block)).to.be.lessThan(at("\nsystemctl start docker\n"));
            // A running Docker is not restarted for it: the dependency counts from its next start.
            expect(block).to.not.match(/restart/);
            for (const ssh of [renderBootstrapScript(SAMPLE), renderBootstrapScript({ ...SAMPLE, sshPort: 2222 })]) {
                expect(ssh, "the ssh target keeps /var/lib/docker: no drop-in").to.not.contain("docker.service.d");
                expect(ssh).to.not.contain("RequiresMountsFor");
            }
        });

        it("refuses a data mount that RequiresMountsFor= would read as several paths or a specifier", () => {
            for (const bad of ["/mnt/a b", "/mnt/%i", "relative/path", "/mnt/x\n[Service]"])
                expect(() => renderDockerDataMountDropIn(bad), bad).to.throw(/not a plain absolute path/);
        });

        it("opens in UFW exactly what the cloud firewall opens", () => {
            const ufw = ufwRulesIn(script);
            const expected = inboundRules(SAMPLE.adminCidrs, 22).flatMap((r) =>
                r.sources.map((s) => `from ${s} to any port ${r.port}`),
            );
            expect(ufw.map((l) => /from \S+ to any port \d+/.exec(l)![0])).to.deep.equal(expected);
            expect(script).to.contain("ufw default deny incoming");
        });

        it("filters published container ports in DOCKER-USER, enables the fail2ban sshd jail and unattended upgrades", () => {
            expect(renderDockerUserScript()).to.match(/--ctorigdstport 443 -j RETURN\n.*-i "\$ext_if" -j DROP/);
            // The droplet's user data holds its SSH host key: containers never reach the metadata service that serves
            // it.
            expect(renderDockerUserScript()).to.contain('"$tool" -A DOCKER-USER -d 169.254.169.254/32 -j DROP');
            expect(script).to.match(/\[sshd\]\nenabled = true/);
            expect(script).to.contain('APT::Periodic::Unattended-Upgrade "1";');
            expect(script).to.contain("systemctl enable --now unattended-upgrades");
        });

        describe("apt on a first boot, when cloud-init or unattended-upgrades hold its locks (defect 13)", () => {
            /** Every command line in the script that runs apt-get itself (comments and log text aside). */
            const aptGetCalls = (text: string) =>
                text
                    .split("\n")
                    .map((line) => line.trim())
                    .filter((line) => !line.startsWith("#") && /(^|[\s;(])apt-get\s/.test(line) && !/^log /.test(line));

            it("runs every apt-get with -o DPkg::Lock::Timeout, and installs packages only through that wrapper (rendered script, droplet and ssh)", () => {
                for (const text of [script, renderBootstrapScript(SAMPLE)]) {
                    const calls = aptGetCalls(text);
                    expect(calls, "the script runs apt-get").to.not.deep.equal([]);
                    for (const call of calls)
                        expect(call).to.contain(`apt-get -o DPkg::Lock::Timeout=${APT_LOCK_WAIT_SECONDS} `);
                    expect(text).to.match(
                        /\n {2}apt_get update -q\n {2}apt_get install -y -q --no-install-recommends /,
                    );
                }
            });
        });

        it("changes a file only when its content differs, so a second run changes nothing", () => {
            const fn = /write_file\(\) \{[\s\S]*?\n\}/.exec(script)![0];
            const target = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-wf-")), "etc", "daemon.json");
            const run = (content: string) =>
                spawnSync("bash", ["-c", `log() { :; }\n${fn}\nwrite_file "$1" 0644`, "bash", target], {
                    input: content,
                    encoding: "utf8",
                }).status;
            expect(run("{}\n"), "first run writes").to.equal(0);
            expect(run("{}\n"), "second run, same content").to.equal(1);
            expect(fs.statSync(target).mode & 0o777).to.equal(0o644);
            expect(run('{"a":1}\n'), "changed content").to.equal(0);
            expect(fs.readFileSync(target, "utf8")).to.equal('{"a":1}\n');
        });
    });

    describe("managed PostgreSQL (database.mode managed)", () => {
        it("is refused on the local target", async () => {
            let error: unknown;
            try {
                await configFor(settingsWith({ "freshtrack:database": { mode: "managed" } }));
            } catch (err) {
                error = err;
            }
            expect(error).to.be.instanceOf(ConfigError);
            expect(String((error as Error).message)).to.match(
                /freshtrack:database.mode = "managed": expected container on the local target/,
            );
        });
    });

    describe("ssh target", () => {
        it("needs the admin key as a secret", async () => {
            let error: unknown;
            try {
                await configFor(
                    settingsWith({
                        "freshtrack:target": "ssh",
                        "freshtrack:tlsMode": "acme",
                        "freshtrack:adminCidrs": ["198.51.100.0/24"],
                        "freshtrack:ssh": { host: "vm.example.net", hostKey: SAMPLE_HOST_KEY.publicKey },
                    }),
                );
            } catch (err) {
                error = err;
            }
            expect(String((error as Error).message)).to.match(
                /freshtrack:sshPrivateKey = \(not set\): expected a secret/,
            );
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
        expect((error as Error).message).to.contain(
            'freshtrack:adminCidrs = ["0.0.0.0/0"]: expected specific admin networks; SSH open to the whole internet is refused',
        );
    });
});
