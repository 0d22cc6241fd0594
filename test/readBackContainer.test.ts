/**
 * Rung 2 of the ladder (design.md, "Testing"): what the bridged Docker provider
 * (kreuzwerker/terraform-provider-docker v4.5.0) stores after a create, and what
 * its diff sees on the next update, each rule citing the provider source
 * (scripts/lib/readBack/: docker.ts and the modules it gathers). Each rule is checked both ways: the form the
 * program must send reads back unchanged, and a form that drifts is caught.
 * This file: docker_container's limits, health check, environment, labels, logging, security options, command, user,
 * name, image, memory, restart and job state. Its networks, ports and mounts are in
 * test/readBackContainerNetworksMounts.test.ts; the stack-wide second `up` is in test/readBack.stack.test.ts.
 */
import { expect } from "chai";
import { cpusInput, cpusReadBack, goDuration } from "../components/dockerForms";
import { SecretValue, UNKNOWN } from "../scripts/lib/mockRun";
import {
    CONTAINER_SCHEMA,
    DaemonFacts,
    daemonForTarget,
    dockerModels,
    formatGoDuration,
    ImageFacts,
    parseGoDuration,
    STOCK_DAEMON,
} from "../scripts/lib/readBack/docker";
import { CONTAINER, containerReadBack, IMAGE_ID, job, modelOf, replaces, secondUp, service } from "./readBackFixtures";

describe("Docker provider read-back model (rung 2: provider model, cited)", () => {
    describe("docker_container", () => {
        it('cpus "1" reads back as "1.0" and replaces (helpers.go:133 nanoInt64ToDecimalString, container.go:1158 ForceNew)', () => {
            expect(containerReadBack(service({ cpus: "1" })).cpus).to.equal("1.0");
            expect(secondUp(CONTAINER, service({ cpus: "1" }))).to.deep.equal(["cpus"]);
            expect(replaces("cpus")).to.equal(true);
        });

        it('cpus in read-back form stays: "0.25", "1.0", "1.5"; 0.05 reads back as "0.1" and 10 as "10."', () => {
            for (const cpus of ["0.25", "1.0", "1.5", "0.5"])
                expect(secondUp(CONTAINER, service({ cpus })), cpus).to.deep.equal([]);
            expect(containerReadBack(service({ cpus: "0.05" })).cpus).to.equal("0.1");
            expect(containerReadBack(service({ cpus: "10" })).cpus).to.equal("10.");
            expect(secondUp(CONTAINER, service({ cpus: "10" }))).to.deep.equal(["cpus"]);
        });

        it("agrees with components/dockerForms.ts: cpusInput() is a fixed point, cpusReadBack() prints like Go", () => {
            for (const cpus of [0.1, 0.25, 0.5, 1, 1.5, 2, 4, 10, 16]) {
                const form = cpusInput(cpus)!;
                expect(containerReadBack(service({ cpus: form })).cpus, String(cpus)).to.equal(form);
            }
            expect(cpusReadBack(1_000_000_000n)).to.equal("1.0");
            expect(cpusReadBack(100_000_000_000n)).to.equal("100.");
            expect(cpusReadBack(10_000_000n)).to.equal("0.0");
            expect(cpusInput(0.05), "0.05 reads back as another limit").to.equal(undefined);
        });

        it('health check durations read back through Go Duration.String(): "60s" is "1m0s" (funcs.go:960-971)', () => {
            const sixty = service({
                healthcheck: { tests: ["CMD", "true"], interval: "60s", timeout: "5s", startPeriod: "60s", retries: 3 },
            });
            const back = containerReadBack(sixty).healthcheck as Record<string, unknown>;
            expect(back).to.deep.equal({
                tests: ["CMD", "true"],
                interval: "1m0s",
                timeout: "5s",
                startPeriod: "1m0s",
                startInterval: "0s",
                retries: 3,
            });
            expect(secondUp(CONTAINER, sixty)).to.deep.equal(["healthcheck"]);
            const goForm = service({
                healthcheck: {
                    tests: ["CMD", "true"],
                    interval: goDuration(60),
                    timeout: "5s",
                    startPeriod: goDuration(90),
                    retries: 3,
                },
            });
            expect(secondUp(CONTAINER, goForm)).to.deep.equal([]);
        });

        it("a changed health check is an in-place update the provider never applies (not ForceNew, container.go:1045); only replaceOnChanges replaces", () => {
            expect(replaces("healthcheck")).to.equal(false);
            expect(replaces("tmpfs")).to.equal(false);
        });

        it('an omitted startInterval defaults to "0s" and reads back as "0s", unless the image HEALTHCHECK sets one (moby merge())', () => {
            expect((containerReadBack(service()).healthcheck as Record<string, unknown>).startInterval).to.equal("0s");
            expect(secondUp(CONTAINER, service())).to.deep.equal([]);
            const withImage = dockerModels(STOCK_DAEMON, (): ImageFacts => ({
                healthcheck: { startInterval: "5s", interval: "30s" },
            }));
            expect(
                (containerReadBack(service(), withImage).healthcheck as Record<string, unknown>).startInterval,
            ).to.equal("5s");
            expect(secondUp(CONTAINER, service(), withImage)).to.deep.equal(["healthcheck"]);
        });

        it("Go durations: parse and print like time.ParseDuration and Duration.String()", () => {
            const cases: Array<[string, string]> = [
                ["0", "0s"],
                ["0s", "0s"],
                ["10s", "10s"],
                ["90s", "1m30s"],
                ["1h", "1h0m0s"],
                ["150m", "2h30m0s"],
                ["1500ms", "1.5s"],
                ["500ms", "500ms"],
                ["1.5us", "1.5\u00b5s"],
                ["100ns", "100ns"],
                ["60.5s", "1m0.5s"],
            ];
            for (const [input, printed] of cases)
                expect(formatGoDuration(parseGoDuration(input)!), input).to.equal(printed);
            expect(parseGoDuration("10"), "a number without a unit is not a duration").to.equal(undefined);
        });

        it("envs are not read back: the image's own ENV (PATH, ...) never reaches state, and order does not count (funcs.go:893-898, set)", () => {
            const back = containerReadBack(service());
            expect(back.envs).to.deep.equal(service().envs);
            const reordered = service({ envs: ["APP_VERSION=1.4.2", "PUBLIC_URL=https://freshtrack.localhost"] });
            expect(modelOf(CONTAINER).changed(reordered, back)).to.deep.equal([]);
            const changed = service({ envs: ["PUBLIC_URL=https://freshtrack.localhost", "APP_VERSION=1.4.3"] });
            expect(modelOf(CONTAINER).changed(changed, back)).to.deep.equal(["envs"]);
            expect(replaces("envs")).to.equal(true);
        });

        it("container labels are not read back (image labels never reach state); a changed label replaces (container.go:833)", () => {
            const back = containerReadBack(service());
            expect(back.labels).to.deep.equal(service().labels);
            const changed = service({ labels: [{ label: "com.freshtrack.stack", value: "freshtrack-dev" }] });
            expect(modelOf(CONTAINER).changed(changed, back)).to.deep.equal(["labels"]);
            expect(replaces("labels")).to.equal(true);
        });

        it("logOpts read back as stored, with the daemon's default log-opts merged in (funcs.go:952, moby mergeAndVerifyLogConfig)", () => {
            expect(secondUp(CONTAINER, service(), dockerModels(STOCK_DAEMON))).to.deep.equal([]);
            expect(
                secondUp(CONTAINER, service(), dockerModels(daemonForTarget("droplet"))),
                "the bootstrap's daemon.json sets the same keys",
            ).to.deep.equal([]);
            const compressing: DaemonFacts = { ...STOCK_DAEMON, logOpts: { compress: "true" } };
            expect(containerReadBack(service(), dockerModels(compressing)).logOpts).to.deep.equal({
                compress: "true",
                ...(service().logOpts as Record<string, string>),
            });
            expect(secondUp(CONTAINER, service(), dockerModels(compressing))).to.deep.equal(["logOpts"]);
            expect(replaces("logOpts")).to.equal(true);
            const localDriver: DaemonFacts = { ...compressing, logDriver: "local" };
            expect(
                secondUp(CONTAINER, service(), dockerModels(localDriver)),
                "only a container on the daemon's default driver gets them",
            ).to.deep.equal([]);
        });

        it("securityOpts and capabilities read back as sent: the daemon does not add CAP_ (funcs.go:854, 870-878; moby validateCapabilities)", () => {
            const back = containerReadBack(service());
            expect(back.securityOpts).to.deep.equal(["no-new-privileges:true"]);
            expect(back.capabilities).to.deep.equal({ drops: ["ALL"], adds: ["CHOWN", "SETUID", "SETGID"] });
            expect(secondUp(CONTAINER, service({ capabilities: { drops: ["ALL"], adds: [] } }))).to.deep.equal([]);
            const reordered = service({ capabilities: { drops: ["ALL"], adds: ["SETGID", "CHOWN", "SETUID"] } });
            expect(modelOf(CONTAINER).changed(reordered, back), "add and drop are sets").to.deep.equal([]);
            const added = service({
                capabilities: { drops: ["ALL"], adds: ["CHOWN", "SETUID", "SETGID", "DAC_OVERRIDE"] },
            });
            expect(modelOf(CONTAINER).changed(added, back)).to.deep.equal(["capabilities"]);
            expect(replaces("capabilities")).to.equal(true);
        });

        it("command and entrypoints read back as sent; when unset they hold the image's and never diff (Optional+Computed, funcs.go:849-850)", () => {
            expect(secondUp(CONTAINER, job())).to.deep.equal([]);
            const fromImage = dockerModels(STOCK_DAEMON, (): ImageFacts => ({
                entrypoint: ["/docker-entrypoint.sh"],
                cmd: ["postgres"],
            }));
            const back = containerReadBack(service(), fromImage);
            expect(back.entrypoints).to.deep.equal(["/docker-entrypoint.sh"]);
            expect(back.command).to.deep.equal(["postgres"]);
            expect(secondUp(CONTAINER, service(), fromImage)).to.deep.equal([]);
            expect(
                modelOf(CONTAINER).changed(job({ command: ["pnpm db:seed:demo"] }), containerReadBack(job())),
            ).to.deep.equal(["command"]);
            expect(replaces("command") && replaces("entrypoints")).to.equal(true);
        });

        it('user reads back as sent or as the image USER; "" and omitted never diff, so dropping user keeps the old one (container.go:187-193)', () => {
            expect(secondUp(CONTAINER, service({ user: "root" }))).to.deep.equal([]);
            const imageUser = dockerModels(STOCK_DAEMON, (): ImageFacts => ({ user: "472" }));
            expect(containerReadBack(service(), imageUser).user).to.equal("472");
            expect(secondUp(CONTAINER, service(), imageUser)).to.deep.equal([]);
            const asRoot = containerReadBack(service({ user: "root" }));
            expect(
                modelOf(CONTAINER).changed(service(), asRoot),
                "the DiffSuppressFunc treats a removed user as no change",
            ).to.deep.equal([]);
            expect(
                modelOf(CONTAINER).changed(
                    service({ user: "1000:1000" }),
                    containerReadBack(service({ user: "root" })),
                ),
            ).to.deep.equal(["user"]);
        });

        it("name reads back without Docker's leading slash; an auto-named container keeps its name (funcs.go:828; bridge schema.go:790)", () => {
            expect(containerReadBack(service({ name: "freshtrack-dev-postgres" })).name).to.equal(
                "freshtrack-dev-postgres",
            );
            expect(
                modelOf(CONTAINER).changed(service(), { ...containerReadBack(service()), name: "frontend-1a2b3c4" }),
            ).to.deep.equal([]);
            expect(
                modelOf(CONTAINER).changed(service({ name: "b" }), containerReadBack(service({ name: "a" }))),
            ).to.deep.equal(["name"]);
            expect(replaces("name")).to.equal(true);
        });

        it("image: an image ID reads back as the container's image ID, a reference as sent; a new image replaces (funcs.go:840-845)", () => {
            expect(containerReadBack(service()).image).to.equal(IMAGE_ID);
            expect(
                secondUp(CONTAINER, service({ image: "ghcr.io/freshtrack/backend@sha256:" + "cd".repeat(32) })),
            ).to.deep.equal([]);
            expect(
                modelOf(CONTAINER).changed(
                    service({ image: `sha256:${"ef".repeat(32)}` }),
                    containerReadBack(service()),
                ),
            ).to.deep.equal(["image"]);
            expect(replaces("image")).to.equal(true);
        });

        it("memory and memorySwap read back in MiB; an omitted swap reads back as twice the memory and updates on every up", () => {
            expect(containerReadBack(service()).memorySwap).to.equal(64);
            const { memorySwap: _swap, ...noSwap } = service();
            expect(containerReadBack(noSwap).memorySwap).to.equal(128);
            expect(secondUp(CONTAINER, noSwap)).to.deep.equal(["memorySwap"]);
            const noSwapAccounting = dockerModels({ ...STOCK_DAEMON, swapLimit: false });
            expect(containerReadBack(service(), noSwapAccounting).memorySwap).to.equal(-1);
            expect(secondUp(CONTAINER, service(), noSwapAccounting)).to.deep.equal(["memorySwap"]);
            expect(
                replaces("memory") || replaces("memorySwap"),
                "an update (ContainerUpdate), not a replacement",
            ).to.equal(false);
        });

        it('restart reads back as sent, "no" when omitted; an update (funcs.go:857, 1016-1071)', () => {
            expect(secondUp(CONTAINER, service())).to.deep.equal([]);
            expect(containerReadBack(job({ restart: undefined })).restart).to.equal("no");
            expect(
                modelOf(CONTAINER).changed(service({ restart: "always" }), containerReadBack(service())),
            ).to.deep.equal(["restart"]);
            expect(replaces("restart")).to.equal(false);
        });

        it("wait, waitTimeout, attach, logs, mustRun and destroyGraceSeconds are never read, only stored; changing one is an update", () => {
            const back = containerReadBack(service());
            for (const key of ["wait", "waitTimeout", "destroyGraceSeconds"])
                expect(back[key], key).to.equal(service()[key]);
            expect(
                modelOf(CONTAINER).changed(service({ waitTimeout: 300, destroyGraceSeconds: 60 }), back),
            ).to.deep.equal(["destroyGraceSeconds", "waitTimeout"]);
            for (const key of [
                "wait",
                "waitTimeout",
                "attach",
                "logs",
                "mustRun",
                "destroyGraceSeconds",
                "start",
                "removeVolumes",
            ])
                expect(replaces(key), key).to.equal(false);
        });

        it("a job (attach) reads back stopped with an exit code; mustRun false stays, an omitted mustRun flips to false and restarts it next up", () => {
            const back = containerReadBack(job());
            expect(back.exitCode).to.equal(0);
            expect(back.mustRun).to.equal(false);
            expect(secondUp(CONTAINER, job())).to.deep.equal([]);
            const { mustRun: _m, ...defaultMustRun } = job();
            expect(containerReadBack(defaultMustRun).mustRun).to.equal(false);
            expect(secondUp(CONTAINER, defaultMustRun)).to.deep.equal(["mustRun"]);
            expect(containerReadBack(service()).exitCode, "a running container records no exit code").to.equal(
                undefined,
            );
        });

        it("an unknown value is a change; a secret compares by its value", () => {
            const back = containerReadBack(service());
            expect(modelOf(CONTAINER).changed(service({ image: UNKNOWN }), back)).to.deep.equal(["image"]);
            const labels = [{ label: "com.freshtrack.requires", value: UNKNOWN }];
            expect(modelOf(CONTAINER).changed(service({ labels }), back)).to.deep.equal(["labels"]);
            expect(modelOf(CONTAINER).changed(service({ envs: new SecretValue(service().envs) }), back)).to.deep.equal(
                [],
            );
        });

        it("reads back a preview's unknown values as unknown instead of failing", () => {
            const preview = service({
                image: UNKNOWN,
                memory: UNKNOWN,
                cpus: UNKNOWN,
                healthcheck: { tests: ["CMD", "true"], interval: UNKNOWN },
                ports: UNKNOWN,
            });
            const back = containerReadBack(preview);
            expect([back.image, back.memory, back.cpus, back.ports]).to.deep.equal([
                UNKNOWN,
                UNKNOWN,
                UNKNOWN,
                UNKNOWN,
            ]);
            expect(modelOf(CONTAINER).changed(preview, containerReadBack(service()))).to.include.members([
                "cpus",
                "healthcheck",
                "image",
                "memory",
                "ports",
            ]);
        });

        it("knows every docker_container attribute at v4.5.0 and refuses a key that is not one", () => {
            // 77 at v4.5.0; @pulumi/docker 5.2.0 adds deviceCgroupRules, from a later upstream this model has not read.
            expect(Object.keys(CONTAINER_SCHEMA)).to.have.length(77);
            expect(() => replaces("nanoCpus")).to.throw(/not an attribute/);
            expect(() => replaces("deviceCgroupRules")).to.throw(/not an attribute/);
        });
    });
});
