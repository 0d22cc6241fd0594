/**
 * The SSH transport of the Docker provider on droplet and ssh targets: where the deploy key lives
 * on the operator's machine (defect 7) and the ssh options that multiplex every Docker API
 * connection over one SSH connection (defect 12).
 *
 * The provider hands its sshOpts to the docker CLI's connection helper, which runs
 * `ssh -l <user> -p <port> <sshOpts...> -T -- <host> docker system dial-stdio` for every API
 * connection (docker/cli v28.5.2 cli/connhelper/connhelper.go:38-65 and 89-98,
 * cli/connhelper/ssh/ssh.go:103-135; called from kreuzwerker/terraform-provider-docker v4.5.0
 * internal/provider/config.go:168). The tests below run the real `ssh` the same way.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as path from "path";
import {
    CONTROL_PERSIST_SECONDS,
    controlPath,
    dockerSshOptions,
    installDeployKey,
    SshEndpoint,
} from "../components/host/deployKey";
import { tmpDir } from "./sshTransportFixtures";

/** `ssh -G`: the configuration ssh would use for these arguments, parsed by ssh itself, without connecting. */
function sshConfig(args: string[]): Map<string, string[]> {
    const result = spawnSync("ssh", ["-G", "-F", "/dev/null", ...args], { encoding: "utf8" });
    expect(result.status, result.stderr).to.equal(0);
    const config = new Map<string, string[]>();
    for (const line of result.stdout.split("\n")) {
        const m = /^(\S+) (.*)$/.exec(line);
        if (m) config.set(m[1]!, [...(config.get(m[1]!) ?? []), m[2]!]);
    }
    return config;
}

describe("Docker over SSH: the deploy key file and the ssh options (defects 7 and 12)", () => {
    describe("the options, as ssh itself reads them (rung 3: real ssh -G)", () => {
        const target: SshEndpoint = { user: "deploy", host: "203.0.113.50", port: 2222 };

        it("name the stack's key and known_hosts, and multiplex over one socket per stack and host", () => {
            // ssh -G lists an identity file only when it exists.
            const dir = path.join(tmpDir("freshtrack-opts-"), "prod");
            installDeployKey(dir, "key\n");
            const config = sshConfig([
                "-l",
                "deploy",
                "-p",
                "2222",
                ...dockerSshOptions(dir, target),
                "--",
                "203.0.113.50",
            ]);
            expect(config.get("identityfile")).to.include(`${dir}/deploy_key`);
            expect(config.get("identitiesonly")).to.deep.equal(["yes"]);
            expect(config.get("userknownhostsfile")).to.deep.equal([`${dir}/known_hosts`]);
            // Issue 15, finding 3: only the pinned key (ssh -G prints yes as true).
            expect(config.get("stricthostkeychecking")).to.deep.equal(["true"]);
            expect(config.get("globalknownhostsfile")).to.deep.equal(["/dev/null"]);
            expect(config.get("updatehostkeys")).to.deep.equal(["false"]);
            expect(config.get("controlmaster")).to.deep.equal(["auto"]);
            expect(config.get("controlpersist")).to.deep.equal([String(CONTROL_PERSIST_SECONDS)]);
            expect(config.get("controlpath")).to.deep.equal([controlPath(dir, target)]);
            expect(controlPath(dir, target)).to.equal(path.join(dir, controlPath(dir, target)!.slice(dir.length + 1)));
            expect(path.basename(controlPath(dir, target)!)).to.match(/^cm-[0-9a-f]{16}$/);
            expect(controlPath(dir, { ...target, host: "203.0.113.51" }), "another host, another master").to.not.equal(
                controlPath(dir, target),
            );
        });

        it("survive a home directory with spaces and a percent sign, which ssh would otherwise split or expand", () => {
            const dir = path.join(tmpDir("freshtrack-opts-"), "Jo Doe", "100%", "prod");
            // ssh expands these two as it reads them; the key file only after it connects (the dials below use such a
            // path).
            const config = sshConfig(["-l", "deploy", ...dockerSshOptions(dir, target), "--", "203.0.113.50"]);
            expect(config.get("userknownhostsfile")).to.deep.equal([`${dir}/known_hosts`]);
            expect(config.get("controlpath")).to.deep.equal([controlPath(dir, target)]);
        });
    });
});
