/**
 * The CPU check of an ssh VM's pre-flight: no container limited to more CPUs than the VM has. The Docker daemon refuses
 * to create (and to start) a container whose NanoCPUs exceed the CPUs it counts, runtime.NumCPU() (moby v27.5.1
 * daemon/daemon_unix.go:494-498, called from daemon/create.go:79 and daemon/start.go:63), so `pulumi up` would stop
 * at that container mid-deploy. `docker info` reports the same count as NCPU (daemon/info.go:68), which the check
 * compares with every limit before any container is created.
 *
 * Only the ssh target needs it: a droplet's vCPUs are its size's, and the config refuses a cpus above them before any
 * resource (components/config/parse.ts); the local target runs no pre-flight, and its first such container fails with
 * Docker's own message, which names the count.
 */
import type { Target } from "../config";
import type { ResourceLimits } from "../config/limits";
import { nanoCpus } from "../dockerForms";

/** A container's CPU limit, as freshtrack:resources sets it, for the pre-flight to compare with the host's CPUs. */
export interface CpuLimit {
    /** The service, as freshtrack:resources names it. */
    readonly service: string;
    readonly cpus: number;
}

/**
 * The CPU limits an ssh VM must have the CPUs for: every service's cpus above 1. Any host has one CPU, so the defaults
 * (1 at most) never need the check, and a stack that raises none renders its pre-flight as before.
 */
export function cpuLimitsToCheck(
    target: Target,
    resources: Readonly<Record<string, ResourceLimits>>,
): { cpuLimits?: readonly CpuLimit[] } {
    if (target !== "ssh") return {};
    const above = Object.entries(resources)
        .filter(([, limits]) => limits.cpus > 1)
        .map(([service, limits]) => ({ service, cpus: limits.cpus }));
    return above.length > 0 ? { cpuLimits: above } : {};
}

function word(value: string): string {
    // Service names come from the catalog and cpus from a checked number; this only keeps the script's quoting sound.
    if (!/^[A-Za-z0-9_.-]+$/.test(value)) throw new Error(`cpu check: refusing to render '${value}' into a script`);
    return value;
}

/**
 * The check as lines of POSIX sh, for the pre-flight, which defines `ok WHAT SAW` and `fail WHAT SAW FIX`. Each limit
 * is compared in NanoCPUs, as the daemon compares it (nanoCpus: the value the provider sends). When Docker does not
 * answer, the pre-flight's Docker check has failed already, and this one adds nothing.
 */
export function renderCpuLines(limits: readonly CpuLimit[]): string {
    const entries = limits.map(({ service, cpus }) => {
        const nano = nanoCpus(cpus);
        if (nano === undefined) throw new Error(`cpu check: no NanoCPUs for ${service}'s cpus ${cpus}`);
        return `${word(service)}:${word(String(cpus))}:${nano}`;
    });
    return `# CPU limits above one CPU (components/preflight/cpuCheck.ts), as service:cpus:NanoCPUs: Docker refuses a
# container limited to more CPUs than it counts.
CPU_LIMITS="${entries.join(" ")}"
ncpu=$(docker info --format '{{.NCPU}}' 2>/dev/null)
case "$ncpu" in
  ''|*[!0-9]*) ;;
  *)
    cpus_over=""
    for limit in $CPU_LIMITS; do
      service=\${limit%%:*}
      rest=\${limit#*:}
      if [ "\${rest#*:}" -gt $((ncpu * 1000000000)) ]; then
        cpus_over="$cpus_over $service (\${rest%%:*})"
      fi
    done
    if [ -z "$cpus_over" ]; then
      ok "CPU limits" "every one within the $ncpu CPUs Docker counts here"
    else
      fail "CPU limits within the $ncpu CPUs Docker counts here" "cpus above $ncpu:$cpus_over" "lower freshtrack:resources.<service>.cpus to at most $ncpu, or give the VM more CPUs; Docker refuses to create a container limited to more CPUs than its host has"
    fi
    ;;
esac
`;
}
