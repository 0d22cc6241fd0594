/**
 * Rung 5 of the ladder (shared design, "Testing"): every container of every
 * shipped stack applied to a real Docker Engine with the calls the provider
 * makes, and what the daemon reports compared with what the program meant.
 * Only the image is swapped (a BusyBox stand-in built here, nothing can be
 * pulled), and the command where the stand-in lacks the service's binary.
 *
 * `.ci/run` starts the daemon, with the daemon.json the bootstrap writes on the
 * droplet and ssh targets (test/engine/daemonConfig.ts says why one daemon for
 * all stacks), and sets FRESHTRACK_ENGINE_TESTS=required, so in CI these tests
 * fail rather than skip when no daemon answers or it lacks those settings.
 * Elsewhere they skip with a note when there is no Docker daemon to use, and
 * compare against the facts of whatever daemon answers.
 *
 * This file applies each stack once and runs every check on it; the checks live beside it, by what they look at:
 * test/engine/containerChecks.ts (each container's settings), networkChecks.ts (aliases, isolation, published ports)
 * and readBackChecks.ts (what the daemon reports against the read-back model). Applying a stack takes about 20 s,
 * and one stack at a time fits on a daemon (they publish the same ports), so one suite runs them all.
 */
import { expect } from "chai";
import { deployStack } from "../../components/stack";
import { dockerModels } from "../../scripts/lib/readBack/docker";
import { shippedStacks } from "../../scripts/lib/stackFiles";
import { runStack } from "../helpers";
import { ContainerInputs, createLikeProvider, inputsOf } from "./applyLikeProvider";
import { containerChecks } from "./containerChecks";
import { RunningDaemon, runningDaemon } from "./daemonConfig";
import { containerLogs, engine, engineAnswers, exec } from "./engineApi";
import { REQUIRED, StackUnderTest } from "./engineFixtures";
import { networkChecks } from "./networkChecks";
import { readBackChecks } from "./readBackChecks";
import { applyStack, LASTING, removeTestObjects, TEST_PREFIX } from "./stackOnEngine";
import { standinImage } from "./standin";

/** A crontab's lines with their schedule (five fields, or an @word) set to every minute. */
function everyMinute(crontab: string): string {
    return crontab.replace(/^(?!#)(@\w+|(?:\S+[ \t]+){4}\S+)(?=[ \t])/gm, "* * * * *");
}

/** The backup service of one stack, started with its own crontab run every minute (see the test at the end). */
interface CronProbe {
    readonly stack: string;
    readonly id: string;
    readonly startedAt: number;
}

/**
 * Creates the first shipped stack's backup container the provider's way, on the stand-in, with only its crontab's
 * schedule changed and its volumes swapped for volumes of its own, and starts it. It runs while the stacks are tested,
 * so waiting for crond's minute costs (almost) nothing; crond needs no network for this, so it joins none of a stack's.
 */
async function startCronProbe(image: string): Promise<CronProbe | undefined> {
    for (const stack of shippedStacks()) {
        const backup = (await runStack(stack, () => deployStack())).resources.find(
            (r) => r.type === "docker:index/container:Container" && r.name === "backup",
        );
        if (!backup) continue; // the managed database tier has no backup service
        const program = inputsOf(backup);
        const uploads = (program.uploads ?? []).map((u) =>
            u.file === "/etc/crontabs/root" ? { ...u, content: everyMinute(u.content) } : u,
        );
        if (!uploads.some((u) => u.file === "/etc/crontabs/root" && u.content.startsWith("* * * * * "))) {
            throw new Error(`stack ${stack}: the backup service uploads no crontab to reschedule`);
        }
        const volumes = (program.volumes ?? []).map((v, i) => ({
            ...v,
            volumeName: `${TEST_PREFIX}${LASTING}cron-${i}`,
            hostPath: undefined,
        }));
        for (const v of volumes) await engine("POST", "/volumes/create", { Name: v.volumeName });
        const { name: _name, networksAdvanced: _networks, ...spec } = program;
        const sent: ContainerInputs = { ...spec, image, uploads, volumes };
        const startedAt = Date.now();
        const id = await createLikeProvider(`${TEST_PREFIX}${LASTING}cron-${stack}-backup`, sent);
        return { stack, id, startedAt };
    }
    return undefined;
}

describe("Every container of every shipped stack on a real Docker Engine (rung 5: real engine, stand-in image)", function () {
    this.timeout(240_000);
    let image = "";
    let daemon: RunningDaemon;
    let cronProbe: CronProbe | undefined;

    before(async function () {
        if (!(await engineAnswers())) {
            if (REQUIRED)
                throw new Error(
                    "FRESHTRACK_ENGINE_TESTS=required but no Docker daemon answers on its socket (.ci/run starts dockerd)",
                );
            console.log("      (skipped: no Docker daemon answers; .ci/run starts one and makes these tests required)");
            this.skip();
        }
        daemon = await runningDaemon();
        const f = daemon.facts;
        const settings = `userland-proxy ${f.userlandProxy}, ip6tables ${f.ip6tables}, port bindings ${f.portBindingOrder}`;
        console.log(`      (Docker ${daemon.version}, settings from ${daemon.source}: ${settings})`);
        await removeTestObjects({ lasting: true });
        image = await standinImage();
        cronProbe = await startCronProbe(image);
    });

    after(async function () {
        if (await engineAnswers()) await removeTestObjects({ lasting: true });
    });

    for (const stack of shippedStacks()) {
        describe(`stack ${stack}`, function () {
            /** Filled in by `before`, read by every check when it runs. */
            const on = { stack } as StackUnderTest;

            before(async function () {
                const run = await runStack(stack, () => deployStack());
                on.image = image;
                on.daemon = daemon;
                on.target = run.result.target;
                on.resources = run.resources;
                await removeTestObjects();
                on.applied = await applyStack(stack, run.resources, image);
                on.models = dockerModels({ ...daemon.facts, ipv6Networks: on.applied.ipv6Networks });
            });

            it("runs under the daemon settings of its target: the bootstrap's daemon.json on the droplet and ssh targets", function () {
                const { target } = on;
                // A local stack runs on the operator's own daemon, whatever it is; any daemon stands in for it.
                if (target === "local") return;
                if (daemon.missingBootstrapSettings.length === 0) return;
                const missing = daemon.missingBootstrapSettings.join(", ");
                const why = `Docker ${daemon.version} (settings from ${daemon.source}) lacks the bootstrap's ${missing}; .ci/run starts dockerd with them`;
                if (REQUIRED) expect.fail(why);
                console.log(`      (skipped: ${why})`);
                this.skip();
            });

            after(async () => {
                await removeTestObjects();
            });

            containerChecks(on);
            networkChecks(on);
            readBackChecks(on);
        });
    }

    describe("BusyBox crond", function () {
        // Checked on one stack: the line is renderBackupCrontab's on every stack but for the schedule, and each run
        // costs up to a minute. The probe started before the stacks, so by now the minute has usually passed.
        it("a crontab line fires: the backup service's own line, run every minute, runs the uploaded script and logs to the container", async function () {
            if (!cronProbe) {
                console.log("      (skipped: no shipped stack has a backup service)");
                this.skip();
            }
            this.timeout(100_000);
            const probe = cronProbe!;
            // crond sleeps to the start of the next minute, then starts what is due (BusyBox 1_35_0, Debian's
            // busybox-static, miscutils/crond.c:1072-1074, 1108-1110); the line sends the script's output to PID 1's,
            // the container's log.
            const deadline = probe.startedAt + 75_000;
            let logs: string;
            for (;;) {
                logs = await containerLogs(probe.id);
                if (/backup written: \/backups\/postgres\/freshtrack-scheduled-/.test(logs) || Date.now() > deadline)
                    break;
                await new Promise((r) => setTimeout(r, 1_000));
            }
            expect(logs, `the log of ${probe.stack}'s backup service`).to.match(
                /backup written: \/backups\/postgres\/freshtrack-scheduled-\S+\.dump/,
            );
            const files = await exec(probe.id, ["ls", "/backups/postgres"]);
            expect(files.output).to.match(/freshtrack-scheduled-\S+\.dump/);
        });
    });
});
