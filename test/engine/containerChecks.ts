/**
 * Rung 5, the checks of each container's own settings on the real engine: the daemon accepts the spec, uploaded files
 * keep their modes, the backup scripts run, and the limits and capabilities the daemon reports are the ones the
 * kernel enforces. Run on every shipped stack by test/engine/shippedStacks.real.test.ts.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import { nanoCpus } from "../../components/dockerForms";
import { renderPidsLimitScript } from "../../components/host/pidsLimit";
import { inspect, uploadMode } from "./applyLikeProvider";
import { engine, exec } from "./engineApi";
import { StackUnderTest } from "./engineFixtures";
import { TEST_PREFIX } from "./stackOnEngine";

/** The capability numbers of linux/capability.h, for reading /proc/<pid>/status masks. */
const CAPABILITY_BITS: Readonly<Record<string, number>> = {
    CHOWN: 0,
    DAC_OVERRIDE: 1,
    DAC_READ_SEARCH: 2,
    FOWNER: 3,
    FSETID: 4,
    KILL: 5,
    SETGID: 6,
    SETUID: 7,
    SETPCAP: 8,
    LINUX_IMMUTABLE: 9,
    NET_BIND_SERVICE: 10,
    NET_BROADCAST: 11,
    NET_ADMIN: 12,
    NET_RAW: 13,
    IPC_LOCK: 14,
    IPC_OWNER: 15,
    SYS_MODULE: 16,
    SYS_RAWIO: 17,
    SYS_CHROOT: 18,
    SYS_PTRACE: 19,
    SYS_PACCT: 20,
    SYS_ADMIN: 21,
    SYS_BOOT: 22,
    SYS_NICE: 23,
    SYS_RESOURCE: 24,
    SYS_TIME: 25,
    SYS_TTY_CONFIG: 26,
    MKNOD: 27,
    LEASE: 28,
    AUDIT_WRITE: 29,
    AUDIT_CONTROL: 30,
    SETFCAP: 31,
};

function capabilityMask(names: readonly string[]): bigint {
    return names.reduce((mask, name) => {
        const bit = CAPABILITY_BITS[name.replace(/^CAP_/, "")];
        if (bit === undefined) throw new Error(`unknown capability ${name}`);
        return mask | (1n << BigInt(bit));
    }, 0n);
}
/**
 * The host's directory of the pids cgroup a process is in, on cgroup v1 (the pids hierarchy) or v2 (the unified one).
 */
function pidsCgroupDir(pid: number): string {
    const lines = fs.readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n");
    const v1 = lines.find((l) => /^\d+:([^:]*,)?pids(,[^:]*)?:/.test(l));
    if (v1) return `/sys/fs/cgroup/pids${v1.split(":")[2]}`;
    const v2 = lines.find((l) => l.startsWith("0::"));
    if (!v2) throw new Error(`no pids cgroup for pid ${pid}`);
    return `/sys/fs/cgroup${v2.slice(3)}`;
}

/** Registers, inside a stack's describe, the checks of what each container is allowed and given. */
export function containerChecks(on: StackUnderTest): void {
    it("the daemon accepts every container spec, and every job exits 0 where its own command runs", function () {
        const { applied } = on;
        const refused = applied.containers.filter((c) => !c.info.Id);
        expect(refused.map((c) => c.resource.name)).to.deep.equal([]);
        const failedJobs = applied.containers
            .filter((c) => c.isJob && c.info.State.ExitCode !== 0)
            .map((c) => `${c.resource.name}: exit ${c.info.State.ExitCode}`);
        expect(failedJobs).to.deep.equal([]);
        const notRunning = applied.containers
            .filter((c) => !c.isJob && !c.info.State.Running)
            .map((c) => `${c.resource.name}: ${c.info.State.Status}`);
        expect(notRunning).to.deep.equal([]);
    });

    it("uploaded files have the modes the program intends: secrets 0444, scripts executable", async function () {
        const { applied } = on;
        const wrong: string[] = [];
        for (const c of applied.containers) {
            for (const u of c.sent.uploads ?? []) {
                const stat = await engine<undefined>(
                    "HEAD",
                    `/containers/${c.id}/archive?path=${encodeURIComponent(u.file)}`,
                ).catch((e: Error) => e);
                if (stat instanceof Error) {
                    wrong.push(`${c.resource.name} ${u.file}: ${stat.message}`);
                    continue;
                }
                const mode = uploadMode(u);
                const isScript = u.content.startsWith("#!");
                if (isScript && (mode & 0o111) === 0)
                    wrong.push(`${c.resource.name} ${u.file}: a script uploaded ${mode.toString(8)}, not executable`);
                if (!isScript && (mode & 0o111) !== 0)
                    wrong.push(`${c.resource.name} ${u.file}: executable but not a script`);
            }
        }
        expect(wrong).to.deep.equal([]);
    });

    it("the backup scripts run when called directly, as crond and the operator scripts call them", async function () {
        const { applied } = on;
        const backup = applied.containers.find((c) => c.resource.name === "backup");
        if (!backup) this.skip(); // the managed database tier has no backup container
        const run = await exec(backup!.id, ["/usr/local/bin/freshtrack-backup", "manual"]);
        expect(run.output, `freshtrack-backup exit ${run.exitCode}`).to.match(
            /backup written: \/backups\/postgres\/freshtrack-manual/,
        );
        expect(run.exitCode).to.equal(0);
        const restore = await exec(backup!.id, ["/usr/local/bin/freshtrack-restore", "/nonexistent.dump"]);
        expect(restore.output).to.match(/no backup to restore/);
        expect(restore.exitCode).to.equal(2);
    });

    it("memory, swap and CPU limits are what docker inspect reports and the container's cgroup enforces", async function () {
        const { applied } = on;
        const wrong: string[] = [];
        for (const c of applied.containers) {
            const hc = c.info.HostConfig;
            const want = {
                memory: (c.program.memory ?? 0) * 1024 * 1024,
                swap: (c.program.memorySwap ?? 0) * 1024 * 1024,
                nano: Number(nanoCpus(Number(c.program.cpus))),
            };
            if (hc.Memory !== want.memory) wrong.push(`${c.resource.name}: Memory ${hc.Memory}, want ${want.memory}`);
            if (hc.MemorySwap !== want.swap)
                wrong.push(`${c.resource.name}: MemorySwap ${hc.MemorySwap}, want ${want.swap}`);
            if (hc.NanoCpus !== want.nano) wrong.push(`${c.resource.name}: NanoCpus ${hc.NanoCpus}, want ${want.nano}`);
            if (c.isJob) continue;
            const cg = await exec(c.id, [
                "sh",
                "-c",
                "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max",
            ]);
            if (Number(cg.output.trim()) !== want.memory)
                wrong.push(`${c.resource.name}: cgroup memory limit ${cg.output.trim()}, want ${want.memory}`);
        }
        expect(wrong).to.deep.equal([]);
    });

    it("the PID limit command of every long-running container sets its limit, which the cgroup enforces (CIS 5.29)", async function () {
        const { stack, image, resources, applied } = on;
        const wrong: string[] = [];
        for (const c of applied.containers.filter((x) => !x.isJob)) {
            const cmd = resources.find(
                (r) => r.type.startsWith("command:") && r.name === `${c.resource.name}-pids-limit`,
            );
            if (!cmd) {
                wrong.push(`${c.resource.name}: no pids-limit command`);
                continue;
            }
            // The command's own script, run by sh as @pulumi/command runs it ("sh -s" with the script on
            // stdin), with this machine's docker CLI against this daemon: it finds the container by the
            // program's labels.
            const script = String(cmd.inputs.stdin);
            const limit = Number(/--pids-limit (\d+)/.exec(script)?.[1]);
            execFileSync("sh", ["-s"], { input: script, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
            const info = await inspect(c.id);
            if (info.HostConfig.PidsLimit !== limit)
                wrong.push(`${c.resource.name}: PidsLimit ${info.HostConfig.PidsLimit}, want ${limit}`);
            const cg = await exec(c.id, [
                "sh",
                "-c",
                "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max",
            ]);
            if (cg.output.trim() !== String(limit))
                wrong.push(`${c.resource.name}: cgroup pids.max ${cg.output.trim()}, want ${limit}`);
        }
        expect(wrong).to.deep.equal([]);
        // Enforced, shown on a throwaway container of the stand-in image limited by the program's own script
        // (with its own labels): the stack's containers have memory limits a fork bomb would hit first, and a
        // PID 1 that does not reap would keep the orphans as zombies. Read from the host's side of the
        // container's pids cgroup, which needs no process in the full container: pids.current never passes the
        // limit, and pids.events counts the refusals.
        const probe = `${TEST_PREFIX}pids-${stack}`;
        const created = await engine<{ Id: string }>("POST", `/containers/create?name=${probe}`, {
            Image: image,
            Cmd: ["sleep", "300"],
            Labels: { "com.freshtrack.stack": probe, "com.freshtrack.service": "probe" },
            HostConfig: { NetworkMode: "none" },
        });
        await engine("POST", `/containers/${created.Id}/start`);
        execFileSync("sh", ["-s"], {
            input: renderPidsLimitScript(probe, "probe", 32),
            encoding: "utf8",
            stdio: ["pipe", "pipe", "pipe"],
        });
        const probeInfo = await inspect(created.Id);
        expect(probeInfo.HostConfig.PidsLimit).to.equal(32);
        const bomb = await exec(created.Id, [
            "sh",
            "-c",
            "i=0; while [ $i -lt 100 ]; do sleep 60 & i=$((i+1)); done; echo all-started",
        ]);
        expect(bomb.output).to.match(/can't fork/);
        expect(bomb.output).to.not.match(/all-started/);
        const cgroup = pidsCgroupDir(probeInfo.State.Pid as number);
        expect(Number(fs.readFileSync(`${cgroup}/pids.current`, "utf8").trim())).to.be.within(2, 32);
        expect(Number(/^max (\d+)/m.exec(fs.readFileSync(`${cgroup}/pids.events`, "utf8"))?.[1])).to.be.above(0);
        await engine("DELETE", `/containers/${created.Id}?force=true`);
    });

    it("the effective capabilities of every container's first process equal its allowlist", async function () {
        const { applied } = on;
        const wrong: string[] = [];
        for (const c of applied.containers.filter((x) => !x.isJob)) {
            const status = await exec(c.id, ["cat", "/proc/1/status"]);
            const field = (name: string) =>
                BigInt(
                    `0x${new RegExp(`^${name}:\\s*([0-9a-f]+)`, "m").exec(status.output)?.[1] ?? "ffffffffffffffff"}`,
                );
            const allow = capabilityMask(c.program.capabilities?.adds ?? []);
            const root = !c.program.user || /^(root|0)(:|$)/.test(c.program.user);
            if (field("CapBnd") !== allow)
                wrong.push(
                    `${c.resource.name}: bounding set ${field("CapBnd").toString(16)}, allowlist ${allow.toString(16)}`,
                );
            // A process that is not root keeps none of them effective (no ambient capabilities are set).
            const effective = root ? allow : 0n;
            if (field("CapEff") !== effective)
                wrong.push(
                    `${c.resource.name}: effective ${field("CapEff").toString(16)}, want ${effective.toString(16)}`,
                );
            if (!/^NoNewPrivs:\s*1$/m.test(status.output)) wrong.push(`${c.resource.name}: no_new_privs is not set`);
        }
        expect(wrong).to.deep.equal([]);
    });
}
