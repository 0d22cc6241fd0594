/**
 * A control group with a container's memory and CPU limits, for the bench's point-in-time restores (npm run bench --
 * --pitr-limits): the restore, its throwaway server and the swap then run as tight as the backup container, which
 * Docker confines the same way (a memory limit, and a CFS quota of cpus x a 100 ms period: moby v27.5.1
 * daemon/daemon_unix.go:84-88, 135, 156-159). cgroup v2 where it is mounted at /sys/fs/cgroup, else v1's memory and cpu
 * hierarchies (Linux Documentation/admin-guide/cgroup-v1/memory.rst "memory.limit_in_bytes", scheduler/sched-bwc.rst
 * "cpu.cfs_quota_us"; cgroup-v2.rst "memory.max", "cpu.max"). Root only; nothing else on the machine is limited.
 */
import * as fs from "fs";
import * as path from "path";

export interface ContainerLimits {
    readonly memoryMb: number;
    readonly cpus: number;
}

export interface LimitedGroup {
    /** The `cgroup.procs` files a process writes its id into to join the group (one per hierarchy on v1). */
    readonly procs: readonly string[];
    /** What the group measured and how it was limited, read back from its files. */
    readonly limits: { memoryBytes: number; cpuQuotaUs: number; cpuPeriodUs: number };
    remove(): void;
}

const ROOT = "/sys/fs/cgroup";
const PERIOD_US = 100_000;

/** Why a limited group cannot be made here, or undefined when it can. */
export function cgroupUnavailable(): string | undefined {
    if (process.getuid?.() !== 0) return "limits need root (a control group of its own)";
    if (fs.existsSync(path.join(ROOT, "cgroup.controllers"))) return undefined;
    for (const hierarchy of ["memory", "cpu"])
        if (!fs.existsSync(path.join(ROOT, hierarchy, "cgroup.procs")))
            return `no cgroup v2 at ${ROOT} and no v1 ${hierarchy} hierarchy at ${path.join(ROOT, hierarchy)}`;
    return undefined;
}

/** A new group named `name` with the limits; throws with the reason when it cannot be made. */
export function makeLimitedGroup(name: string, limits: ContainerLimits): LimitedGroup {
    const problem = cgroupUnavailable();
    if (problem) throw new Error(problem);
    const memoryBytes = limits.memoryMb * 1024 * 1024;
    const quota = Math.round(limits.cpus * PERIOD_US);
    if (fs.existsSync(path.join(ROOT, "cgroup.controllers"))) {
        // v2: the controllers must be enabled for the root's children first.
        fs.writeFileSync(path.join(ROOT, "cgroup.subtree_control"), "+memory +cpu");
        const dir = path.join(ROOT, name);
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, "memory.max"), String(memoryBytes));
        fs.writeFileSync(path.join(dir, "cpu.max"), `${quota} ${PERIOD_US}`);
        const [q, p] = fs.readFileSync(path.join(dir, "cpu.max"), "utf8").trim().split(" ").map(Number);
        return {
            procs: [path.join(dir, "cgroup.procs")],
            limits: {
                memoryBytes: Number(fs.readFileSync(path.join(dir, "memory.max"), "utf8")),
                cpuQuotaUs: q!,
                cpuPeriodUs: p!,
            },
            remove: () => fs.rmdirSync(dir),
        };
    }
    const memory = path.join(ROOT, "memory", name);
    const cpu = path.join(ROOT, "cpu", name);
    fs.mkdirSync(memory);
    fs.mkdirSync(cpu);
    fs.writeFileSync(path.join(memory, "memory.limit_in_bytes"), String(memoryBytes));
    fs.writeFileSync(path.join(cpu, "cpu.cfs_period_us"), String(PERIOD_US));
    fs.writeFileSync(path.join(cpu, "cpu.cfs_quota_us"), String(quota));
    const read = (dir: string, file: string) => Number(fs.readFileSync(path.join(dir, file), "utf8"));
    return {
        procs: [path.join(memory, "cgroup.procs"), path.join(cpu, "cgroup.procs")],
        limits: {
            memoryBytes: read(memory, "memory.limit_in_bytes"),
            cpuQuotaUs: read(cpu, "cpu.cfs_quota_us"),
            cpuPeriodUs: read(cpu, "cpu.cfs_period_us"),
        },
        remove: () => {
            for (const dir of [memory, cpu]) if (fs.existsSync(dir)) fs.rmdirSync(dir);
        },
    };
}

/**
 * The arguments of `sh` that run argv inside the group: the shell writes its own id into each `cgroup.procs`, then
 * execs argv, so that argv and every process it starts (the throwaway server included) are in the group from the start.
 */
export function shInGroup(group: LimitedGroup, argv: readonly string[]): string[] {
    const join = group.procs.map((_, i) => `echo $$ >"$${i + 1}"`).join(" && ");
    const skip = group.procs.length;
    return ["-c", `${join} && shift ${skip} && exec "$@"`, "sh", ...group.procs, ...argv];
}
