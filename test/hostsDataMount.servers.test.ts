/**
 * Docker and the droplet's data volume after a reboot (issue 17, docs pass), checked by the real tools (rung 3):
 * systemd-fstab-generator and systemd-analyze of this machine's systemd, Debian's docker.io unit files, and bash
 * running the bootstrap's rendered lines. The rest of the bootstrap is in test/hostsBootstrap.servers.test.ts.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DATA_MOUNT, DOCKER_DATA_MOUNT_DROP_IN, renderBootstrapScript } from "../components/host/bootstrap";
import { renderCloudInit } from "../components/host/cloudInit";
import { bootstrapFileOf, cloudInitOf, SAMPLE, SAMPLE_HOST_KEY } from "./hostsFixtures";

describe("hosts: droplet, ssh and their bootstrap", () => {
    /**
     * Issue 17, docs pass: Docker's data root is on the volume, which cloud-init mounts with nofail, and after a
     * reboot nothing ordered Docker after it. Rung 3: this machine's systemd 252 (Debian 12) turns the fstab line
     * cloud-init writes for the rendered `mounts` entry into a mount unit (the real systemd-fstab-generator, on a
     * private fstab), and `systemd-analyze verify` builds docker.service's start transaction with the unit files
     * of Debian's docker.io and the rendered drop-in. A probe drop-in orders the mount after Docker: the
     * transaction then has a cycle exactly when Docker's start pulls the mount in and waits for it.
     */
    describe("Docker waits for the data volume at every boot (real systemd-fstab-generator and systemd-analyze)", () => {
        const MOUNT_UNIT = "mnt-freshtrack\\x2ddata.mount";
        const dropInOf = (script: string) => /<<'DATA_MOUNT_DROP_IN'\n([\s\S]*?)DATA_MOUNT_DROP_IN\n/.exec(script)?.[1];
        const droplet = cloudInitOf(renderCloudInit({ ...SAMPLE, volumeName: "v", hostKey: SAMPLE_HOST_KEY }));
        /** The fstab line cloud-init writes: the fields given, plus `comment=cloudconfig` (cc_mounts.py:578). */
        const fstabLine = (options?: string) => {
            const entry = [...droplet.mounts[0]!];
            entry[3] = `${options ?? entry[3]},comment=cloudconfig`;
            return `${entry.join("\t")}\n`;
        };
        /** The generator's units for that line, beside this machine's docker.service and docker.socket. */
        const unitDir = (line: string) => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-fstab-"));
            const out = path.join(dir, "units");
            fs.mkdirSync(out);
            fs.writeFileSync(path.join(dir, "fstab"), line);
            const generated = spawnSync("/lib/systemd/system-generators/systemd-fstab-generator", [out, out, out], {
                encoding: "utf8",
                env: { ...process.env, SYSTEMD_FSTAB: path.join(dir, "fstab") },
            });
            expect(generated.status, generated.stderr).to.equal(0);
            for (const unit of ["docker.service", "docker.socket"])
                fs.copyFileSync(path.join("/lib/systemd/system", unit), path.join(out, unit));
            return out;
        };
        const verify = (dir: string) => {
            const r = spawnSync("systemd-analyze", ["verify", "--man=no", path.join(dir, "docker.service")], {
                encoding: "utf8",
            });
            return `${r.stdout}${r.stderr}`;
        };
        const probe = (dir: string) => {
            fs.mkdirSync(path.join(dir, `${MOUNT_UNIT}.d`));
            fs.writeFileSync(path.join(dir, `${MOUNT_UNIT}.d`, "probe.conf"), "[Unit]\nAfter=docker.service\n");
        };

        it("finds the finding: with nofail the volume's mount is only wanted by local-fs.target and ordered before nothing", () => {
            expect(
                fs.existsSync("/lib/systemd/system/docker.service"),
                "install Debian's docker.io and systemd (.ci/run)",
            ).to.equal(true);
            const dir = unitDir(fstabLine());
            expect(fs.existsSync(path.join(dir, "local-fs.target.wants", MOUNT_UNIT))).to.equal(true);
            expect(fs.existsSync(path.join(dir, "local-fs.target.requires", MOUNT_UNIT))).to.equal(false);
            expect(fs.readFileSync(path.join(dir, MOUNT_UNIT), "utf8")).to.not.match(/^Before=local-fs\.target$/m);
            // So the check can fail: without nofail the line gives a required mount, ordered before the target.
            const strict = unitDir(fstabLine("defaults,discard,noatime"));
            expect(fs.existsSync(path.join(strict, "local-fs.target.requires", MOUNT_UNIT))).to.equal(true);
            expect(fs.readFileSync(path.join(strict, MOUNT_UNIT), "utf8")).to.match(/^Before=local-fs\.target$/m);
            // And Docker's own units order it after no mount: its start does not involve the volume.
            probe(dir);
            expect(verify(dir)).to.not.contain("ordering cycle");
        });

        it("pulls the mount into Docker's start and orders Docker after it, with the drop-in the droplet's bootstrap writes", () => {
            const dropIn = dropInOf(bootstrapFileOf(droplet));
            expect(dropIn, "the droplet's bootstrap writes the drop-in").to.be.a("string");
            const dir = unitDir(fstabLine());
            // At boot local-fs.target wants the mount; without that link the mount is in Docker's start transaction
            // only if Docker's own dependencies pull it in.
            fs.rmSync(path.join(dir, "local-fs.target.wants", MOUNT_UNIT));
            fs.mkdirSync(path.join(dir, "docker.service.d"));
            const file = path.join(dir, "docker.service.d", path.basename(DOCKER_DATA_MOUNT_DROP_IN));
            fs.writeFileSync(file, dropIn!);
            expect(verify(dir), "systemd reads the drop-in without a complaint").to.not.contain(
                path.basename(DOCKER_DATA_MOUNT_DROP_IN),
            );
            probe(dir);
            // systemd reports the cycle from whichever of the two units it meets first, which varies from run to run.
            // Each line of the cycle's report names the unit it is about first: the cycle is through both units.
            const cycle = verify(dir)
                .split("\n")
                .filter((l) => /: (Found ordering cycle|Found dependency) on /.test(l));
            expect(cycle.join("\n"), "an ordering cycle is reported").to.contain("Found ordering cycle on");
            const named = new Set(
                cycle.flatMap((l) => /^(\S+): Found [a-z ]+ on (\S+)\/start/.exec(l)?.slice(1) ?? []),
            );
            expect([...named], cycle.join("\n")).to.include.members(["docker.service", MOUNT_UNIT]);
            // So the check can fail: a drop-in systemd ignores (a relative path) gives no cycle, and neither does
            // one that only orders Docker after the mount without pulling it in.
            fs.writeFileSync(file, dropIn!.replace(`=${DATA_MOUNT}`, `=${DATA_MOUNT.slice(1)}`));
            const ignored = verify(dir);
            expect(ignored).to.contain("path is not absolute");
            expect(ignored).to.not.contain("ordering cycle");
            fs.writeFileSync(file, `[Unit]\nAfter=${MOUNT_UNIT}\n`);
            expect(verify(dir)).to.not.contain("ordering cycle");
        });

        it("writes the drop-in once, reloads systemd only then, and changes nothing on a re-run (bash, stand-in systemctl)", () => {
            const script = renderBootstrapScript({ ...SAMPLE, dataMount: DATA_MOUNT });
            const block = new RegExp(
                `^if write_file ${DOCKER_DATA_MOUNT_DROP_IN} 0644 <<'DATA_MOUNT_DROP_IN'\\n[\\s\\S]*?\\nthen systemctl daemon-reload; fi$`,
                "m",
            ).exec(script);
            expect(block, "the rendered write of the drop-in").to.not.equal(null);
            const fn = /write_file\(\) \{[\s\S]*?\n\}/.exec(script)![0];
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-dropin-"));
            fs.mkdirSync(path.join(dir, "bin"));
            fs.writeFileSync(path.join(dir, "bin", "systemctl"), `#!/bin/sh\necho "$*" >> '${dir}/systemctl.log'\n`, {
                mode: 0o755,
            });
            const target = path.join(dir, "etc", DOCKER_DATA_MOUNT_DROP_IN);
            const run = () =>
                spawnSync(
                    "bash",
                    [
                        "-c",
                        `set -euo pipefail\nlog() { echo "$*"; }\n${fn}\n${block![0].split(DOCKER_DATA_MOUNT_DROP_IN).join(target)}`,
                    ],
                    { encoding: "utf8", env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}` } },
                );
            const reloads = () =>
                fs.existsSync(path.join(dir, "systemctl.log"))
                    ? fs.readFileSync(path.join(dir, "systemctl.log"), "utf8").trim().split("\n")
                    : [];
            const first = run();
            expect(first.status, first.stderr).to.equal(0);
            expect(first.stdout).to.contain(`wrote ${target}`);
            expect(fs.readFileSync(target, "utf8")).to.equal(dropInOf(script));
            expect(fs.statSync(target).mode & 0o777).to.equal(0o644);
            expect(reloads()).to.deep.equal(["daemon-reload"]);
            const written = fs.statSync(target).mtimeMs;
            const second = run();
            expect(second.status, second.stderr).to.equal(0);
            expect(second.stdout, "a re-run writes nothing").to.equal("");
            expect(reloads(), "and reloads nothing").to.deep.equal(["daemon-reload"]);
            expect(fs.statSync(target).mtimeMs).to.equal(written);
            // A host with another version of the file gets this one, and one reload.
            fs.writeFileSync(target, "[Unit]\n");
            expect(run().status).to.equal(0);
            expect(fs.readFileSync(target, "utf8")).to.equal(dropInOf(script));
            expect(reloads()).to.deep.equal(["daemon-reload", "daemon-reload"]);
        });
    });
});
