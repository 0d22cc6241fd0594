/**
 * Host access, issue 15, findings 3, 7 and 11, checked by the real tools (rung 3): cloud-init's schema on the pinned
 * host key, the host-rules helper run by bash, sshd -t and -T, visudo and sudo -l. The bootstrap itself is in
 * test/hostsBootstrap.servers.test.ts.
 */
import { expect } from "chai";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    renderBootstrapScript,
    renderHostRules,
    renderHostRulesScript,
    renderSshdHardening,
    renderSudoers,
    HOST_RULES_PATH,
    SSHD_DROP_IN,
    SUDOERS_PATH,
} from "../components/host/bootstrap";
import { renderCloudInit } from "../components/host/cloudInit";
import { mockSshDir } from "../scripts/lib/mockRun";
import { cloudInitOf, SAMPLE, SAMPLE_HOST_KEY, tmpFile } from "./hostsFixtures";

/**
 * Issue 15, findings 3, 7 and 11: every SSH connection pins the host's key, the host firewall and
 * the deploy user's keys follow config on every deploy, and the deploy user reaches root only
 * through explicit sudo rules, with sshd taking keys only.
 */
describe("host access: pinned host keys, re-applied host rules, sshd and sudo (issue 15, findings 3, 7, 11)", () => {
    mockSshDir();
    const HOST_KEY = SAMPLE_HOST_KEY.publicKey;

    describe("the droplet's host key, made by the program and installed by cloud-init (finding 3; rungs 1 and 3)", () => {
        it("installs the key with cloud-init's ssh module: the image's keys deleted, no other type generated, and `cloud-init schema` accepts it", () => {
            const text = renderCloudInit({ ...SAMPLE, volumeName: "v", hostKey: SAMPLE_HOST_KEY });
            const parsed = cloudInitOf(text);
            expect(parsed.ssh_deletekeys).to.equal(true);
            expect(parsed.ssh_genkeytypes).to.deep.equal(["ed25519"]);
            expect(parsed.ssh_keys).to.deep.equal({
                ed25519_private: SAMPLE_HOST_KEY.privateKey,
                ed25519_public: HOST_KEY,
            });
            const result = spawnSync("cloud-init", ["schema", "-c", tmpFile("host-key.yaml", text)], {
                encoding: "utf8",
            });
            expect(result.status, result.stdout + result.stderr).to.equal(0);
            // So the check above can fail: the schema knows these keys (an empty ssh_genkeytypes, or an unknown key
            // type, is refused).
            for (const broken of [
                text.replace("ssh_genkeytypes:\n  - ed25519", "ssh_genkeytypes: []"),
                text.replace("ed25519_public:", "ed448_public:"),
            ]) {
                expect(
                    spawnSync("cloud-init", ["schema", "-c", tmpFile("broken-host-key.yaml", broken)], {
                        encoding: "utf8",
                    }).status,
                ).to.not.equal(0);
            }
        });
    });

    describe("the droplet's UFW rules and deploy keys follow config on every deploy (finding 7)", () => {
        /**
         * Rung 3: the helper as rendered, run by the real bash, with a stand-in `ufw` that records
         * its arguments (the real ufw test in test/hostsBootstrap.servers.test.ts runs apply_ufw_rules
         * against the real ufw) and a private home for the key file.
         */
        describe("the host-rules helper, run for real", () => {
            let dir: string;
            let helper: string;
            let home: string;
            const ufwCalls = () =>
                fs.existsSync(path.join(dir, "ufw.log"))
                    ? fs
                          .readFileSync(path.join(dir, "ufw.log"), "utf8")
                          .trim()
                          .split("\n")
                          .filter((l) => l !== "")
                    : [];
            const run = (stdin: string) =>
                spawnSync("bash", [helper], {
                    input: stdin,
                    encoding: "utf8",
                    env: {
                        PATH: `${path.join(dir, "bin")}:/usr/sbin:/usr/bin:/sbin:/bin`,
                        FRESHTRACK_UFW_STATE: path.join(dir, "ufw-state"),
                        FRESHTRACK_DEPLOY_USER: "root",
                        FRESHTRACK_DEPLOY_HOME: home,
                    },
                });
            beforeEach(function () {
                // It chowns the key file to its user, as root does on the host (CI runs as root).
                if (process.getuid?.() !== 0) this.skip();
                dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-host-rules-"));
                home = path.join(dir, "home");
                fs.mkdirSync(path.join(dir, "bin"));
                fs.writeFileSync(path.join(dir, "bin", "ufw"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${dir}/ufw.log'\n`, {
                    mode: 0o755,
                });
                helper = path.join(dir, "freshtrack-host-rules");
                fs.writeFileSync(helper, renderHostRulesScript(), { mode: 0o755 });
            });

            it("passes shellcheck, then moves the SSH rule from the old admin network to the new one and rewrites the deploy user's keys", () => {
                const check = spawnSync("shellcheck", ["--severity=style", helper], { encoding: "utf8" });
                expect(check.status, check.stdout).to.equal(0);
                const first = run(
                    renderHostRules({ adminCidrs: ["198.51.100.0/24"], sshPort: 22, deployKeys: SAMPLE.deployKeys }),
                );
                expect(first.status, first.stderr).to.equal(0);
                expect(ufwCalls()).to.include(
                    "allow proto tcp from 198.51.100.0/24 to any port 22 comment freshtrack-ssh",
                );
                expect(ufwCalls()).to.include("--force enable");
                const keys = path.join(home, ".ssh", "authorized_keys");
                expect(fs.readFileSync(keys, "utf8")).to.equal(`${SAMPLE.deployKeys[0]}\n`);
                expect(fs.statSync(keys).mode & 0o777).to.equal(0o600);
                expect(fs.statSync(path.dirname(keys)).mode & 0o777).to.equal(0o700);

                fs.rmSync(path.join(dir, "ufw.log"));
                const operator = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorKeyForTheTest operator@laptop";
                const second = run(
                    renderHostRules({
                        adminCidrs: ["192.0.2.0/24"],
                        sshPort: 22,
                        deployKeys: [...SAMPLE.deployKeys, operator],
                    }),
                );
                expect(second.status, second.stderr).to.equal(0);
                expect(ufwCalls()).to.include(
                    "delete allow proto tcp from 198.51.100.0/24 to any port 22 comment freshtrack-ssh",
                );
                expect(ufwCalls()).to.include(
                    "allow proto tcp from 192.0.2.0/24 to any port 22 comment freshtrack-ssh",
                );
                expect(fs.readFileSync(keys, "utf8")).to.equal(`${SAMPLE.deployKeys[0]}\n${operator}\n`);
            });

            it("refuses anything but FreshTrack UFW rules and plain public keys, and a list that would lock everyone out, before changing anything", () => {
                const good = renderHostRules({
                    adminCidrs: ["198.51.100.0/24"],
                    sshPort: 22,
                    deployKeys: SAMPLE.deployKeys,
                });
                const hostile: Array<[string, RegExp]> = [
                    [
                        good.replace("comment freshtrack-ssh", "comment freshtrack-ssh; touch /tmp/pwned"),
                        /not a FreshTrack UFW rule/,
                    ],
                    [
                        good.replace("allow proto tcp from 198.51.100.0/24", "allow proto tcp from any"),
                        /not a FreshTrack UFW rule/,
                    ],
                    [good.replace("[ufw]\n", "[ufw]\ndisable\n"), /not a FreshTrack UFW rule/],
                    [good.replace(SAMPLE.deployKeys[0]!, `command="sh" ${SAMPLE.deployKeys[0]}`), /not one public key/],
                    [
                        good.replace(SAMPLE.deployKeys[0]!, `${SAMPLE.deployKeys[0]}\nfrom="*" ssh-rsa AAAA`),
                        /not one public key/,
                    ],
                    [
                        `allow proto tcp from 198.51.100.0/24 to any port 22 comment freshtrack-ssh\n${good}`,
                        /a line before \[ufw\]/,
                    ],
                    [good.replace(/^allow .* comment freshtrack-ssh\n/m, ""), /no SSH rule/],
                    [`${good.split("[authorized_keys]")[0]}[authorized_keys]\n`, /no key for root/],
                ];
                for (const [stdin, reason] of hostile) {
                    const result = run(stdin);
                    expect(result.status, stdin).to.equal(1);
                    expect(result.stderr, stdin).to.match(reason);
                    expect(ufwCalls(), stdin).to.deep.equal([]);
                    expect(fs.existsSync(path.join(home, ".ssh", "authorized_keys")), stdin).to.equal(false);
                }
            });
        });
    });

    /**
     * Rung 3: the real sshd of Debian's openssh-server 9.2p1 reads a config laid out as Debian's
     * and Ubuntu's are (Include of sshd_config.d/*.conf at the top), with cloud-init's drop-in
     * beside ours, and prints what it would use (`sshd -T`).
     */
    describe("sshd takes keys only, and no root login (finding 11; real sshd -t and -T)", () => {
        const effective = (dropIn: string | undefined) => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-sshd-config-"));
            fs.mkdirSync(path.join(dir, "sshd_config.d"));
            execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "host_key")]);
            if (dropIn !== undefined)
                fs.writeFileSync(path.join(dir, "sshd_config.d", path.basename(SSHD_DROP_IN)), dropIn);
            // What cloud-init writes when a password login is asked for, and a main file that allows root.
            fs.writeFileSync(path.join(dir, "sshd_config.d", "50-cloud-init.conf"), "PasswordAuthentication yes\n");
            const main = path.join(dir, "sshd_config");
            fs.writeFileSync(
                main,
                `Include ${dir}/sshd_config.d/*.conf\nHostKey ${dir}/host_key\nPermitRootLogin yes\nKbdInteractiveAuthentication yes\nUsePAM no\n`,
            );
            fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
            const test = spawnSync("/usr/sbin/sshd", ["-t", "-f", main], { encoding: "utf8" });
            expect(test.status, test.stderr).to.equal(0);
            const dump = spawnSync("/usr/sbin/sshd", ["-T", "-f", main], { encoding: "utf8" });
            expect(dump.status, dump.stderr).to.equal(0);
            return dump.stdout.split("\n");
        };
        const dropInOf = (script: string) => /<<'SSHD'\n([\s\S]*?)SSHD\n/.exec(script)?.[1];

        it("applies the bootstrap's drop-in ahead of cloud-init's and the main file, for droplets and for an ssh target administered as root", function () {
            // sshd -T reads the host key and the privilege separation directory as root (CI runs as root).
            if (process.getuid?.() !== 0) this.skip();
            expect(SSHD_DROP_IN).to.equal("/etc/ssh/sshd_config.d/00-freshtrack.conf");
            const droplet = dropInOf(renderBootstrapScript({ ...SAMPLE, dataMount: "/mnt/freshtrack-data" }));
            expect(droplet, "the bootstrap writes an sshd drop-in").to.be.a("string");
            expect(effective(droplet)).to.include.members([
                "permitrootlogin no",
                "passwordauthentication no",
                "kbdinteractiveauthentication no",
                "permitemptypasswords no",
            ]);
            const rootAdmin = dropInOf(renderBootstrapScript({ ...SAMPLE, permitRootLogin: "prohibit-password" }));
            expect(effective(rootAdmin)).to.include.members([
                "permitrootlogin without-password",
                "passwordauthentication no",
            ]);
            // Without the drop-in the same layout lets passwords and root in, so the check can fail.
            expect(effective(undefined)).to.include.members(["permitrootlogin yes", "passwordauthentication yes"]);
            expect(renderSshdHardening("no")).to.equal(dropInOf(renderBootstrapScript(SAMPLE)));
        });

        it("makes the bootstrap check with sshd -T that the settings really apply, and fail where sshd_config does not include the drop-in", () => {
            const script = renderBootstrapScript(SAMPLE);
            expect(script).to.contain("sshd_effective=$(sshd -T)");
            expect(script).to.match(
                /for setting in "permitrootlogin no" "passwordauthentication no" "kbdinteractiveauthentication no"; do/,
            );
            expect(script).to.match(/if ! sshd -t; then\n\s+rm -f \/etc\/ssh\/sshd_config\.d\/00-freshtrack\.conf/);
        });
    });

    /**
     * Rung 3: the real sudo 1.9 of Debian (visudo, and `sudo -l -U` evaluating the rules for a
     * throwaway user, through a drop-in in /etc/sudoers.d that the test removes again).
     */
    describe("the deploy user's sudo rules allow exactly what the runbooks ask for (finding 11; real visudo and sudo)", () => {
        const DEVICE = "/dev/disk/by-id/scsi-0DO_Volume_freshtrack-prod-data";
        /** Every `sudo ...` command quoted in the runbooks, with the droplet's device name filled in. */
        const runbookSudoCommands = () =>
            ["operations.md", "troubleshooting.md", "walkthrough.md"].flatMap((doc) =>
                [...fs.readFileSync(path.join(__dirname, "..", "docs", doc), "utf8").matchAll(/`sudo ([^`]+)`/g)].map(
                    (m) => ({
                        doc,
                        argv: m[1]!.replace("freshtrack-<stack>-data", "freshtrack-prod-data").trim().split(/\s+/),
                    }),
                ),
            );

        it("renders rules visudo accepts, with no wildcard, the bootstrap installs them only after visudo accepted them, and sudo is installed", () => {
            expect(fs.existsSync("/usr/sbin/visudo"), "install Debian's sudo (.ci/run)").to.equal(true);
            const rules = renderSudoers("deploy", DEVICE);
            const check = spawnSync("visudo", ["-cf", tmpFile("freshtrack-deploy", rules)], { encoding: "utf8" });
            expect(check.status, check.stdout + check.stderr).to.equal(0);
            expect(rules).to.not.match(/[*?]/);
            expect(
                spawnSync("visudo", ["-cf", tmpFile("broken", rules.replace("NOPASSWD:", "NOPASSWD"))], {
                    encoding: "utf8",
                }).status,
                "visudo can refuse",
            ).to.not.equal(0);
            const script = renderBootstrapScript({ ...SAMPLE, dataMount: "/mnt/freshtrack-data", dataDevice: DEVICE });
            expect(script).to.contain(rules);
            expect(script).to.match(
                /if ! visudo -cqf "\$sudoers_new"; then[\s\S]*?write_file \/etc\/sudoers\.d\/freshtrack-deploy 0440 <"\$sudoers_new"/,
            );
            expect(script).to.match(/for pkg in docker\.io ufw fail2ban python3-systemd unattended-upgrades sudo; do/);
            expect(path.basename(SUDOERS_PATH)).to.not.match(
                /[.~]/,
                "sudo skips files in sudoers.d whose name has a dot or ends in ~",
            );
        });

        it("lets the deploy user run every sudo command of the runbooks, and nothing near them (real sudo -l)", function () {
            if (process.getuid?.() !== 0 || !fs.existsSync("/usr/bin/sudo")) this.skip(); // needs root to add a user and a sudoers drop-in (CI runs as root)
            const user = `ftsudo${process.pid}`;
            const dropIn = `/etc/sudoers.d/freshtrack-test-${process.pid}`;
            // sudo -l resolves the command first ("command not found" otherwise): stand-ins where the host's helpers
            // live, removed after.
            const standIns = ["/usr/local/sbin/freshtrack-bootstrap", HOST_RULES_PATH].filter((f) => !fs.existsSync(f));
            execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/bin/bash", user]);
            try {
                for (const f of standIns) fs.writeFileSync(f, "#!/bin/sh\nexit 1\n", { mode: 0o755 });
                fs.writeFileSync(dropIn, renderSudoers(user, DEVICE), { mode: 0o440 });
                const allowed = (argv: string[]) =>
                    spawnSync("sudo", ["-n", "-l", "-U", user, ...argv], { encoding: "utf8" }).status === 0;
                const commands = runbookSudoCommands();
                expect(
                    commands.map((c) => c.argv[0]),
                    "the runbooks' sudo commands",
                ).to.include.members([
                    "/usr/local/sbin/freshtrack-bootstrap",
                    "ufw",
                    "ss",
                    "systemctl",
                    "resize2fs",
                    "cat",
                ]);
                for (const c of commands) expect(allowed(c.argv), `${c.doc}: sudo ${c.argv.join(" ")}`).to.equal(true);
                expect(allowed(["/usr/local/sbin/freshtrack-host-rules"]), "the deploy's re-apply step").to.equal(true);
                const denied = [
                    ["/usr/local/sbin/freshtrack-bootstrap", "--anything"],
                    ["/usr/local/sbin/freshtrack-host-rules", "/etc/shadow"],
                    ["ufw", "disable"],
                    ["ufw", "allow", "22"],
                    ["ss", "-ltnp", "-K"],
                    ["systemctl", "stop", "docker"],
                    ["cat", "/etc/shadow"],
                    ["resize2fs", "/dev/sda1"],
                    ["bash"],
                    ["sudoedit", "/etc/sudoers"],
                ];
                for (const argv of denied) expect(allowed(argv), `sudo ${argv.join(" ")}`).to.equal(false);
            } finally {
                fs.rmSync(dropIn, { force: true });
                for (const f of standIns) fs.rmSync(f, { force: true });
                spawnSync("userdel", [user]);
            }
        });
    });
});
