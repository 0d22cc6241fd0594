/**
 * Hosts (droplet and ssh target) and their bootstrap, checked by the real tools (rung 3): cloud-init's schema,
 * shellcheck and bash, systemd-analyze, ufw, apt-get, fail2ban; and the ssh target on a port other than 22, under
 * mocks (rung 1). Pinned host keys, re-applied host rules, sshd and sudo are in test/hostsAccess.servers.test.ts.
 */
import { expect } from "chai";
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    IMAGE_PRUNE_AGE_HOURS,
    IMAGE_PRUNE_SERVICE,
    IMAGE_PRUNE_TIMER,
    renderBootstrapScript,
    renderDockerUserScript,
    renderFail2banJail,
    renderUfwRules,
} from "../components/host/bootstrap";
import { renderCloudInit } from "../components/host/cloudInit";
import { deployStack } from "../components/stack";
import { RegisteredResource, SecretValue } from "../scripts/lib/mockRun";
import { runStack } from "./helpers";
import { runUnderMocks } from "../scripts/lib/mockRun";
import { DO, one, SAMPLE, SAMPLE_HOST_KEY, tmpFile, ufwRulesIn, revealed, sshTargetSettings } from "./hostsFixtures";

describe("hosts: droplet, ssh and their bootstrap", () => {
    describe("cloud-init", () => {
        it("passes `cloud-init schema` as rendered for the prod droplet", async () => {
            const { resources } = await runStack("prod", deployStack);
            const userData = revealed(one(resources, DO("droplet:Droplet")).inputs.userData);
            expect(userData)
                .to.be.a("string")
                .that.match(/^#cloud-config\n/);
            const result = spawnSync("cloud-init", ["schema", "-c", tmpFile("user-data.yaml", userData as string)], {
                encoding: "utf8",
            });
            expect(result.status, result.stdout + result.stderr).to.equal(0);
            expect(result.stdout).to.contain("Valid cloud-config");
        });

        it("is refused by `cloud-init schema` when broken, so the check above can fail", () => {
            const broken = renderCloudInit({ ...SAMPLE, volumeName: "v", hostKey: SAMPLE_HOST_KEY }).replace(
                "ssh_pwauth: false",
                "ssh_pwauth: [not, a, boolean]",
            );
            const result = spawnSync("cloud-init", ["schema", "-c", tmpFile("broken.yaml", broken)], {
                encoding: "utf8",
            });
            expect(result.status).to.not.equal(0);
        });
    });

    describe("bootstrap script", () => {
        const script = renderBootstrapScript({ ...SAMPLE, dataMount: "/mnt/freshtrack-data" });

        it("passes shellcheck and bash -n, with and without a data volume, and so does the DOCKER-USER script", () => {
            for (const [name, text] of [
                ["bootstrap-droplet.sh", script],
                [
                    "bootstrap-droplet-dualstack.sh",
                    renderBootstrapScript({ ...SAMPLE, dataMount: "/mnt/freshtrack-data", minDockerMajor: 27 }),
                ],
                ["bootstrap-ssh.sh", renderBootstrapScript(SAMPLE)],
                ["bootstrap-ssh-2222.sh", renderBootstrapScript({ ...SAMPLE, sshPort: 2222 })],
                ["docker-user.sh", renderDockerUserScript()],
            ] as const) {
                const file = tmpFile(name, text);
                execFileSync("bash", ["-n", file]);
                const result = spawnSync("shellcheck", ["--severity=style", file], { encoding: "utf8" });
                expect(result.status, `${name}:\n${result.stdout}`).to.equal(0);
            }
        });

        // Defect 13 of issue 14 (keepLocally never prunes). Rung 3: systemd's own checker reads the units the script
        // installs.
        it("installs a daily prune of images no container uses, as units systemd accepts", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-units-"));
            const service = path.join(dir, "freshtrack-image-prune.service");
            const timer = path.join(dir, "freshtrack-image-prune.timer");
            fs.writeFileSync(service, IMAGE_PRUNE_SERVICE);
            fs.writeFileSync(timer, IMAGE_PRUNE_TIMER);
            const verify = spawnSync("systemd-analyze", ["verify", "--man=no", service, timer], { encoding: "utf8" });
            // systemd-analyze also reports on units the files refer to that this machine lacks (docker.service); only
            // lines about ours count.
            const ours = `${verify.stdout}${verify.stderr}`
                .split("\n")
                .filter((l) => l.includes("freshtrack-image-prune"));
            expect(ours, verify.stderr).to.deep.equal([]);
            expect(IMAGE_PRUNE_SERVICE).to.match(
                new RegExp(
                    `^ExecStart=/usr/bin/docker image prune --all --force --filter until=${IMAGE_PRUNE_AGE_HOURS}h$`,
                    "m",
                ),
            );
            for (const unit of ["freshtrack-image-prune.service", "freshtrack-image-prune.timer"])
                expect(script).to.contain(`/etc/systemd/system/${unit}`);
            expect(script).to.match(/^systemctl enable --now freshtrack-image-prune\.timer/m);
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
            const apply = (cidrs: string[], sshPort = 22) => applyRules(renderUfwRules(cidrs, sshPort));
            const added = () => spawnSync("ufw", ["show", "added"], { encoding: "utf8" }).stdout;
            const userRules = () =>
                fs.readFileSync("/etc/ufw/user.rules", "utf8") + fs.readFileSync("/etc/ufw/user6.rules", "utf8");
            try {
                expect(apply(["198.51.100.0/24"]).status).to.equal(0);
                expect(added()).to.contain("from 198.51.100.0/24 to any port 22 proto tcp comment 'freshtrack-ssh'");

                const second = apply(["192.0.2.0/24"]);
                expect(second.status, second.stderr).to.equal(0);
                expect(second.stdout).to.contain(
                    "removing ufw rule: allow proto tcp from 198.51.100.0/24 to any port 22 comment freshtrack-ssh",
                );
                expect(added()).to.not.contain("198.51.100.0/24");
                expect(added()).to.contain("from 192.0.2.0/24 to any port 22 proto tcp comment 'freshtrack-ssh'");

                const before = userRules();
                const third = apply(["192.0.2.0/24"]);
                expect(third.stdout, "a re-run removes nothing").to.not.contain("removing");
                expect(userRules(), "a re-run changes no rule").to.equal(before);

                // Defect 4: an ssh target whose sshd moves to 2222 gets 2222 opened and 22 closed.
                const moved = apply(["192.0.2.0/24"], 2222);
                expect(moved.status, moved.stderr).to.equal(0);
                expect(moved.stdout).to.contain(
                    "removing ufw rule: allow proto tcp from 192.0.2.0/24 to any port 22 comment freshtrack-ssh",
                );
                expect(added()).to.contain("from 192.0.2.0/24 to any port 2222 proto tcp comment 'freshtrack-ssh'");
                expect(added()).to.not.match(/to any port 22 /);
            } finally {
                // An empty rule list removes every rule this test added.
                applyRules("");
            }
        });

        describe("apt on a first boot, when cloud-init or unattended-upgrades hold its locks (defect 13)", () => {
            /**
             * Rung 3, the real apt-get of this machine against locks a test process holds (fcntl, as
             * apt's GetLock takes them) in a private apt state directory, through the script's own
             * apt_get function: the dpkg lock is waited for by apt itself, the lists lock of
             * `apt-get update` only by the function's retry (apt has no wait for it:
             * Debian/apt@2.6.1 apt-pkg/update.cc:30, apt-pkg/acquire.cc:178).
             */
            it("waits for a held dpkg lock and a held package-lists lock, and fails at once on anything else (real apt-get)", async function () {
                this.timeout(60000);
                const fn = /apt_get\(\) \{[\s\S]*?\n\}/.exec(script)![0];
                const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-apt-"));
                for (const d of [
                    "state",
                    "lists/partial",
                    "cache/archives/partial",
                    "etc/sources.list.d",
                    "etc/preferences.d",
                ])
                    fs.mkdirSync(path.join(dir, d), { recursive: true });
                fs.writeFileSync(path.join(dir, "state/status"), "");
                fs.writeFileSync(path.join(dir, "etc/sources.list"), "");
                // A private apt: its own state, lists, cache and (empty) sources, so nothing is fetched and the host's
                // apt is untouched.
                const sandbox = [
                    `Dir::State::status=${dir}/state/status`,
                    `Dir::State::Lists=${dir}/lists`,
                    `Dir::Cache=${dir}/cache`,
                    `Dir::Etc::SourceList=${dir}/etc/sources.list`,
                    `Dir::Etc::SourceParts=${dir}/etc/sources.list.d`,
                    `Dir::Etc::PreferencesParts=${dir}/etc/preferences.d`,
                ].flatMap((o) => ["-o", o]);
                const holdLock = (file: string, seconds: number) =>
                    new Promise<ReturnType<typeof spawn>>((resolve, reject) => {
                        const holder = spawn("python3", [
                            "-c",
                            "import fcntl,sys,time\nf=open(sys.argv[1],'w')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('held',flush=True)\ntime.sleep(float(sys.argv[2]))",
                            file,
                            String(seconds),
                        ]);
                        holder.stdout!.once("data", () => resolve(holder));
                        holder.once("error", reject);
                    });
                const aptGet = (...args: string[]) =>
                    new Promise<{ status: number | null; stdout: string; stderr: string; seconds: number }>(
                        (resolve) => {
                            const started = Date.now();
                            const child = spawn(
                                "bash",
                                ["-c", `set -euo pipefail\nlog() { echo "$*"; }\n${fn}\napt_get "$@"`, "bash", ...args],
                                {
                                    env: { ...process.env, FRESHTRACK_APT_RETRY_SECONDS: "1", LC_ALL: "C" },
                                },
                            );
                            let stdout = "";
                            let stderr = "";
                            child.stdout.on("data", (d) => (stdout += d));
                            child.stderr.on("data", (d) => (stderr += d));
                            child.on("close", (status) =>
                                resolve({ status, stdout, stderr, seconds: (Date.now() - started) / 1000 }),
                            );
                        },
                    );

                // Without the option apt-get gives up on the dpkg lock at once (so the check below can fail).
                let holder = await holdLock(path.join(dir, "state/lock-frontend"), 3);
                const bare = spawnSync("apt-get", [...sandbox, "check"], {
                    encoding: "utf8",
                    env: { ...process.env, LC_ALL: "C" },
                });
                expect(bare.status).to.not.equal(0);
                expect(bare.stderr).to.contain("Could not get lock");
                const dpkg = await aptGet("check", ...sandbox);
                holder.kill();
                expect(dpkg.status, dpkg.stderr).to.equal(0);
                expect(dpkg.seconds, "apt waited for the lock").to.be.greaterThan(1.5);

                holder = await holdLock(path.join(dir, "lists/lock"), 3);
                const lists = await aptGet("update", ...sandbox);
                holder.kill();
                expect(lists.status, lists.stderr).to.equal(0);
                expect(lists.stderr, "apt-get update does not wait by itself").to.contain("Could not get lock");
                expect(lists.stdout).to.contain(
                    "apt is busy: another process holds its lock; apt-get update again in 1 s",
                );

                const other = await aptGet("no-such-command", ...sandbox);
                expect(other.status).to.equal(1);
                expect(other.stdout, "no retry for a failure that is not a lock").to.not.contain("apt is busy");
            });
        });

        /**
         * Rung 3, the real fail2ban-client of Debian's fail2ban (1.0.2-2 in bookworm): Debian's own
         * configuration with the rendered jail added, dumped as the server would load it. Debian's
         * jail.conf says `port = ssh` (fail2ban/fail2ban@1.0.2 config/jail.conf:280), and the ban
         * action blocks only the jail's ports (jail.conf:212), so on sshd at 2222 the jail must say so.
         */
        it("makes fail2ban's sshd jail ban on the port sshd listens on (real fail2ban-client reads the rendered jail)", () => {
            expect(fs.existsSync("/usr/bin/fail2ban-client"), "install Debian's fail2ban (.ci/run)").to.equal(true);
            const jailIn = (text: string) =>
                /write_file \/etc\/fail2ban\/jail\.d\/freshtrack\.local 0644 <<'JAIL'\n([\s\S]*?\n)JAIL\n/.exec(
                    text,
                )![1]!;
            const banPorts = (jail: string) => {
                const conf = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-f2b-"));
                execFileSync("cp", ["-r", "/etc/fail2ban/.", conf]);
                fs.writeFileSync(path.join(conf, "jail.d", "freshtrack.local"), jail);
                const dump = spawnSync("fail2ban-client", ["-c", conf, "-d"], { encoding: "utf8" });
                expect(dump.status, dump.stderr).to.equal(0);
                const actions = dump.stdout.split("\n").filter((l) => l.startsWith("['multi-set', 'sshd', 'action',"));
                expect(actions, dump.stdout).to.have.length.greaterThan(0);
                return actions.map((l) => /\['port', '([^']*)'\]/.exec(l)![1]);
            };
            expect(banPorts(jailIn(renderBootstrapScript({ ...SAMPLE, sshPort: 2222 })))).to.deep.equal(["2222"]);
            expect(banPorts(jailIn(script)), "droplets keep 22").to.deep.equal(["22"]);
            expect(renderFail2banJail(2222)).to.match(/^\[sshd\]\nenabled = true\n/);
        });

        /**
         * Rung 3, the attack pass: fail2ban-client -d only dumps the config; the jail's systemd backend needs
         * python3-systemd, which Debian's fail2ban only recommends. The real server, with Debian's configuration
         * and the rendered jail, must run the jail, and the bootstrap must install what its backend needs.
         */
        it("installs what the jail's backend needs, and the real fail2ban-server runs the rendered jail", function () {
            this.timeout(30_000);
            const recommends =
                spawnSync("apt-cache", ["show", "fail2ban"], { encoding: "utf8" }).stdout.match(
                    /^Recommends: (.*)$/m,
                )?.[1] ?? "";
            expect(recommends, "Debian only recommends it, so --no-install-recommends leaves it out").to.contain(
                "python3-systemd",
            );
            expect(renderFail2banJail(22)).to.match(/^backend = systemd$/m);
            const packages = /^for pkg in (.*); do$/m.exec(renderBootstrapScript(SAMPLE))![1]!.split(" ");
            expect(packages).to.include("python3-systemd");
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-f2b-server-"));
            const conf = path.join(dir, "conf");
            execFileSync("cp", ["-r", "/etc/fail2ban/.", conf]);
            for (const f of fs.readdirSync(path.join(conf, "jail.d"))) fs.rmSync(path.join(conf, "jail.d", f));
            fs.writeFileSync(path.join(conf, "jail.d", "freshtrack.local"), renderFail2banJail(2222));
            fs.writeFileSync(
                path.join(conf, "fail2ban.local"),
                `[Definition]\nlogtarget = ${dir}/f2b.log\nsocket = ${dir}/f2b.sock\npidfile = ${dir}/f2b.pid\ndbfile = :memory:\n`,
            );
            const client = (...args: string[]) =>
                spawnSync("fail2ban-client", ["-c", conf, "-s", `${dir}/f2b.sock`, ...args], { encoding: "utf8" });
            const started = spawnSync(
                "fail2ban-server",
                ["-c", conf, "-s", `${dir}/f2b.sock`, "-p", `${dir}/f2b.pid`, "-b", "-x"],
                { encoding: "utf8", timeout: 20_000 },
            );
            try {
                expect(started.status, started.stderr).to.equal(0);
                let status = client("status", "sshd");
                for (let i = 0; i < 20 && status.status !== 0; i++) {
                    execFileSync("sleep", ["0.5"]);
                    status = client("status", "sshd");
                }
                const log = fs.existsSync(`${dir}/f2b.log`) ? fs.readFileSync(`${dir}/f2b.log`, "utf8") : "";
                expect(status.status, `${status.stderr}\n${log}`).to.equal(0);
                expect(status.stdout).to.contain("Journal matches");
            } finally {
                client("stop");
            }
        });
    });

    describe("ssh target with ssh.port 2222 (defect 4: the firewall rules followed 22 and locked everyone out)", () => {
        let resources: RegisteredResource[];
        before(async () => {
            const settings = sshTargetSettings({ port: 2222, hostKey: SAMPLE_HOST_KEY.publicKey });
            resources = (await runUnderMocks(settings, deployStack)).resources;
        });

        it("opens 2222 and not 22 in UFW, and has fail2ban watch 2222, in the bootstrap the VM runs", () => {
            const stdin = String(resources.find((r) => r.name === "ssh-bootstrap")!.inputs.stdin);
            const ufw = ufwRulesIn(stdin);
            expect(ufw.filter((l) => l.endsWith("comment freshtrack-ssh"))).to.deep.equal([
                "allow proto tcp from 198.51.100.0/24 to any port 2222 comment freshtrack-ssh",
            ]);
            expect(
                ufw.filter((l) => / port 22 /.test(l)),
                "no rule for 22",
            ).to.deep.equal([]);
            const jail = /<<'JAIL'\n([\s\S]*?)JAIL\n/.exec(stdin)![1]!;
            expect(jail).to.contain("\nport = 2222\n");
            const result = spawnSync("shellcheck", ["--severity=style", tmpFile("bootstrap-2222.sh", stdin)], {
                encoding: "utf8",
            });
            expect(result.status, result.stdout).to.equal(0);
        });

        it("reaches the VM on 2222 for the bootstrap, the commands and Docker", () => {
            const bootstrap = resources.find((r) => r.name === "ssh-bootstrap")!;
            expect(((bootstrap.inputs.connection as SecretValue).value as Record<string, unknown>).port).to.equal(2222);
            const preflight = resources.find((r) => r.name === "ssh-preflight")!;
            expect(((preflight.inputs.connection as SecretValue).value as Record<string, unknown>).port).to.equal(2222);
            expect(resources.find((r) => r.type === "pulumi:providers:docker")!.inputs.host).to.equal(
                "ssh://deploy@vm.example.net:2222",
            );
        });
    });
});
