/**
 * The ssh VM's CPUs against the containers' CPU limits (issue 17, operator pass): the daemon refuses to create a
 * container whose NanoCPUs exceed the CPUs it counts (moby v27.5.1 daemon/daemon_unix.go:494-498), and on the ssh
 * target that count is known only on the VM, so the pre-flight asks Docker for it (`docker info`'s NCPU, the same
 * runtime.NumCPU(): daemon/info.go:68) before any container is created. Rung 4 as far as it reaches: the rendered
 * script through shellcheck and `sh`, with a stand-in `docker` first on PATH that reports the CPU count a test gives
 * it. The config refuses the same values on a droplet (test/configCpus.test.ts).
 */
import { expect } from "chai";
import { parseStackConfig } from "../components/config";
import { CpuLimit } from "../components/preflight/cpuCheck";
import { hostPreflight, renderPreflightScript } from "../components/preflight/preflight";
import { loadStackSettings, rawConfigOf, shippedStacks } from "../scripts/lib/stackFiles";
import { settingsWith } from "./helpers";
import { shellcheck } from "./localServers";
import { PREFLIGHT_HERE, SSH_SECRET_KEYS, SSH_STACK } from "./preflightFixtures";
import { runWithStandInDocker } from "./standIns";

/** The stand-in: `docker info` answers the server version and STANDIN_NCPU; unset, the daemon does not answer. */
const STANDIN_DOCKER = `#!/bin/sh
printf '%s\\n' "$*" >> "$STANDIN_LOG"
if [ -z "\${STANDIN_NCPU:-}" ]; then echo "Cannot connect to the Docker daemon" >&2; exit 1; fi
case "$*" in
  "info --format {{.ServerVersion}}") echo 27.5.1; exit 0 ;;
  "info --format {{.NCPU}}") echo "$STANDIN_NCPU"; exit 0 ;;
esac
echo "stand-in docker: unexpected call: $*" >&2
exit 99
`;

/** The pre-flight with nothing but the CPU check to fail: no ports, no DNS, a little disk in the temp directory. */
function script(cpuLimits: readonly CpuLimit[]): string {
    return renderPreflightScript({ ...PREFLIGHT_HERE, cpuLimits });
}

function runWith(text: string, ncpu: string | undefined) {
    const env: Record<string, string> = ncpu ? { STANDIN_NCPU: ncpu } : {};
    return runWithStandInDocker(text, STANDIN_DOCKER, () => env);
}

const LIMITS: readonly CpuLimit[] = [
    { service: "postgres", cpus: 4 },
    { service: "backend", cpus: 1.5 },
];

describe("pre-flight on an ssh VM: the CPU limits within the CPUs Docker counts (rung 4, stand-in docker)", function () {
    this.timeout(30_000);

    it("passes shellcheck as POSIX sh", () => {
        const result = shellcheck(script(LIMITS));
        expect(result.status, result.stdout).to.equal(0);
    });

    it("fails on a 2-CPU VM, naming only the service over and what to do; no container is created", () => {
        const out = runWith(script(LIMITS), "2");
        expect(out.status).to.equal(1);
        expect(out.stderr).to.contain(
            "preflight FAILED: CPU limits within the 2 CPUs Docker counts here\n" +
                "  saw: cpus above 2: postgres (4)\n" +
                "  fix: lower freshtrack:resources.<service>.cpus to at most 2, or give the VM more CPUs; Docker " +
                "refuses to create a container limited to more CPUs than its host has\n",
        );
        expect(out.stderr).to.contain("preflight: 1 check(s) failed; no container was created or changed");
    });

    it("passes when the count equals the largest limit (the daemon refuses only NanoCPUs above it)", () => {
        const out = runWith(script(LIMITS), "4");
        expect(out.status, out.stderr).to.equal(0);
        expect(out.stdout).to.contain("preflight ok: CPU limits (every one within the 4 CPUs Docker counts here)");
    });

    it("compares fractions exactly: 1.5 is over 1 CPU", () => {
        const out = runWith(script(LIMITS), "1");
        expect(out.stderr).to.contain("  saw: cpus above 1: postgres (4) backend (1.5)\n");
    });

    it("adds nothing when Docker does not answer: the Docker check has failed already", () => {
        const out = runWith(script(LIMITS), undefined);
        expect(out.status).to.equal(1);
        expect(out.stderr).to.contain("preflight FAILED: Docker reachable");
        expect(out.stderr).to.not.contain("CPU limits");
        expect(out.stderr).to.contain("preflight: 1 check(s) failed");
    });

    it("renders no CPU check without limits above one CPU, nor with an empty list", () => {
        const without = renderPreflightScript(PREFLIGHT_HERE);
        expect(script([])).to.equal(without);
        expect(runWith(without, "1").calls).to.deep.equal(["info --format {{.ServerVersion}}"]);
    });
});

describe("pre-flight settings: which stacks get the CPU check (rung 1, the config reader)", () => {
    const parse = (config: Record<string, unknown>) =>
        parseStackConfig(rawConfigOf(settingsWith(config, SSH_SECRET_KEYS)));

    it("an ssh stack checks every cpus above 1 it sets; with the defaults (1 at most) it checks none", () => {
        const raised = parse({
            ...SSH_STACK,
            "freshtrack:resources": { postgres: { cpus: 4 }, redis: { cpus: 1 }, backend: { cpus: 1.01 } },
        });
        expect(hostPreflight(raised).cpuLimits).to.deep.equal([
            { service: "postgres", cpus: 4 },
            { service: "backend", cpus: 1.01 },
        ]);
        expect(hostPreflight(parse(SSH_STACK))).to.not.have.property("cpuLimits");
    });

    it("no droplet or local stack has it (the config refuses a droplet's; local runs no pre-flight), shipped ones included", () => {
        for (const stack of shippedStacks()) {
            const cfg = parseStackConfig(rawConfigOf(loadStackSettings(stack)));
            expect(hostPreflight(cfg), stack).to.not.have.property("cpuLimits");
        }
    });
});
