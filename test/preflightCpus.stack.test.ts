/**
 * The ssh VM's CPU check through the program's own glue (issue 17, attack pass 2: renderHostPreflight stopped passing
 * cpuLimits on, and the check vanished from the VM's pre-flight while every test of the check's own renderer still
 * passed). test/preflightCpus.servers.test.ts runs the check as renderPreflightScript renders it from limits a test
 * hands it; here the limits come from a stack's freshtrack:resources, through parseStackConfig, hostPreflight and
 * renderHostPreflight, into the script the ssh host registers.
 *
 * Rung 1 (the whole program under mocks): the ssh stack's pre-flight command carries the CPU line. Rung 4 as far as it
 * reaches: the script rendered from the same settings, run by `sh` with a stand-in `docker` first on PATH that counts
 * the CPUs a test gives it (the Docker daemon refuses a container whose NanoCPUs exceed its count: moby v27.5.1
 * daemon/daemon_unix.go:494-498; `docker info` reports that count as NCPU: daemon/info.go:68).
 */
import { expect } from "chai";
import { parseStackConfig } from "../components/config";
import { hostPreflight, preflightScriptFor, renderHostPreflight } from "../components/preflight/preflight";
import { rawConfigOf, StackSettings } from "../scripts/lib/stackFiles";
import { runWithStandInDocker } from "./standIns";
import { URN_VARIANTS } from "./urnVariants";
import { sharedRun } from "./variantRuns";

/** The VM as the ssh variant of test/urnVariants.ts names it (freshtrack:ssh.host). */
const VM = "vm.example.net";

/** The ssh variant of test/urnVariants.ts with postgres limited to 4 CPUs, and anything else `more` sets. */
function sshWithFourCpus(more: Readonly<Record<string, string>> = {}): StackSettings {
    const settings = URN_VARIANTS["an existing VM over SSH"]!();
    settings.config["freshtrack:resources"] = JSON.stringify({ postgres: { cpus: 4 } });
    Object.assign(settings.config, more);
    return settings;
}

/**
 * The line the check's renderer writes for postgres at 4 CPUs (components/preflight/cpuCheck.ts renderCpuLines:
 * service:cpus:NanoCPUs, the NanoCPUs as the provider sends them).
 */
const POSTGRES_LIMIT_LINE = '\nCPU_LIMITS="postgres:4:4000000000"\n';

/**
 * The stand-in: `docker info` answers a server version and STANDIN_NCPU, and every FreshTrack image is on the daemon,
 * so the image check passes; anything else (the port check's `docker ps`) is refused, which only that check minds.
 */
const STANDIN_DOCKER = `#!/bin/sh
printf '%s\\n' "$*" >> "$STANDIN_LOG"
case "$*" in
  "info --format {{.ServerVersion}}") echo 27.5.1; exit 0 ;;
  "info --format {{.NCPU}}") echo "$STANDIN_NCPU"; exit 0 ;;
  "image inspect "*) exit 0 ;;
esac
echo "stand-in docker: unexpected call: $*" >&2
exit 99
`;

describe("pre-flight on an ssh VM with postgres at 4 CPUs: the CPU check reaches the VM (attack pass 2)", function () {
    this.timeout(60_000);

    it("the ssh host registers a pre-flight command whose script holds postgres's CPU limit (rung 1, mocks)", async () => {
        const settings = sshWithFourCpus();
        const run = await sharedRun(settings);
        const preflight = run.resources.find((r) => r.name === "ssh-preflight");
        expect(preflight, "no ssh-preflight command").to.not.equal(undefined);
        const script = String(preflight!.inputs.stdin);
        expect(script).to.contain(POSTGRES_LIMIT_LINE);
        // What the command runs is exactly the pre-flight of the stack's config: no other way in for the limits.
        expect(script).to.equal(preflightScriptFor(parseStackConfig(rawConfigOf(settings)), VM));
    });

    describe("the script rendered from the config, run beside a stand-in docker (rung 4 as far as it reaches)", () => {
        // In the ACME modes the script would look the public names up (getent), which must not leave 127.0.0.1 here;
        // with an internal CA it checks no name, and the CPU check is the same.
        const script = () =>
            renderHostPreflight(
                hostPreflight(parseStackConfig(rawConfigOf(sshWithFourCpus({ "freshtrack:tlsMode": "internal" })))),
                VM,
            );
        const runOn = (ncpu: string) => runWithStandInDocker(script(), STANDIN_DOCKER, () => ({ STANDIN_NCPU: ncpu }));

        it("holds the same CPU line as the registered script", () => {
            expect(script()).to.contain(POSTGRES_LIMIT_LINE);
        });

        it("on a VM with 2 CPUs: fails, naming postgres and its 4 CPUs", () => {
            const out = runOn("2");
            expect(out.status).to.equal(1);
            expect(out.calls).to.include("info --format {{.NCPU}}");
            expect(out.stderr).to.contain(
                "preflight FAILED: CPU limits within the 2 CPUs Docker counts here\n  saw: cpus above 2: postgres (4)\n",
            );
        });

        it("on a VM with 4 CPUs: the CPU check passes", () => {
            const out = runOn("4");
            expect(out.stdout).to.contain("preflight ok: CPU limits (every one within the 4 CPUs Docker counts here)");
            expect(out.stderr).to.not.contain("CPU limits");
        });
    });
});
