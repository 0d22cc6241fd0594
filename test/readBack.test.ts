/**
 * Rung 2 of the ladder (design.md, "Testing"): what the bridged Docker provider
 * (kreuzwerker/terraform-provider-docker v4.5.0) stores after a create, and what
 * its diff sees on the next update, each rule citing the provider source
 * (scripts/lib/readBack/: docker.ts and the modules it gathers). Each rule is checked both ways: the form the
 * program must send reads back unchanged, and a form that drifts is caught. The
 * last test runs every shipped stack under mocks and lists every Docker resource
 * whose second `up` would not be empty.
 */
import { expect } from "chai";
import { cpusInput, cpusReadBack, goDuration } from "../components/dockerForms";
import { renderDaemonJson } from "../components/host/bootstrap";
import { SecretValue, UNKNOWN } from "../scripts/lib/mockRun";
import {
    CONTAINER_SCHEMA,
    DAEMON_CHOSEN,
    DaemonFacts,
    daemonFactsForVersion,
    daemonForTarget,
    dockerModels,
    DOCKER_MODELS,
    formatGoDuration,
    ImageFacts,
    parseGoDuration,
    ResourceModel,
    STOCK_DAEMON,
} from "../scripts/lib/readBack/docker";

const CONTAINER = "docker:index/container:Container";
const NETWORK = "docker:index/network:Network";
const VOLUME = "docker:index/volume:Volume";
const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
const IMAGE = "docker:index/image:Image";

const IMAGE_ID = `sha256:${"ab".repeat(32)}`;

function modelOf(type: string, models: Readonly<Record<string, ResourceModel>> = DOCKER_MODELS): ResourceModel {
    const found = models[type];
    if (!found) throw new Error(`no model for ${type}`);
    return found;
}

/** What the second `up` shows for these inputs, when the first one stored their read-back form. */
function secondUp(
    type: string,
    inputs: Record<string, unknown>,
    models?: Readonly<Record<string, ResourceModel>>,
): string[] {
    const model = modelOf(type, models);
    return model.changed(inputs, model.readBack(inputs));
}

/** A long-running container as components/service.ts registers it (cpus and durations in read-back form). */
function service(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        image: IMAGE_ID,
        capabilities: { drops: ["ALL"], adds: ["CHOWN", "SETUID", "SETGID"] },
        cpus: "0.25",
        memory: 64,
        memorySwap: 64,
        destroyGraceSeconds: 30,
        envs: ["PUBLIC_URL=https://freshtrack.localhost", "APP_VERSION=1.4.2"],
        healthcheck: {
            tests: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:8080/health"],
            interval: "10s",
            timeout: "5s",
            startPeriod: "10s",
            retries: 5,
        },
        labels: [
            { label: "com.freshtrack.stack", value: "freshtrack-dev" },
            { label: "com.freshtrack.service", value: "frontend" },
        ],
        logDriver: "json-file",
        logOpts: {
            "max-size": "10m",
            "max-file": "3",
            labels: "com.freshtrack.stack,com.freshtrack.service",
            tag: "{{.Name}}",
        },
        networksAdvanced: [{ name: "freshtrack-dev-edge", aliases: ["frontend"] }],
        ports: [],
        restart: "unless-stopped",
        securityOpts: ["no-new-privileges:true"],
        uploads: [],
        volumes: [],
        wait: true,
        waitTimeout: 120,
        ...extra,
    };
}

/** A run-once job as components/service.ts registers it. */
function job(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const { wait: _w, waitTimeout: _t, destroyGraceSeconds: _d, healthcheck: _h, ...rest } = service();
    return {
        ...rest,
        attach: true,
        logs: true,
        mustRun: false,
        restart: "no",
        entrypoints: ["/bin/sh", "-c"],
        command: ["pnpm db:migrate:prod"],
        ...extra,
    };
}

/** A published port, host port equal to the container port. */
const port = (internal: number, ip: string) => ({ internal, external: internal, ip, protocol: "tcp" });

const containerReadBack = (inputs: Record<string, unknown>, models?: Readonly<Record<string, ResourceModel>>) =>
    modelOf(CONTAINER, models).readBack(inputs);
const replaces = (key: string) => modelOf(CONTAINER).forcesReplacement(key);

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

        it("networksAdvanced is not read back, so aliases the daemon adds never drift; aliases are a set (funcs.go:786-796)", () => {
            const back = containerReadBack(service());
            expect(back.networksAdvanced).to.deep.equal([{ name: "freshtrack-dev-edge", aliases: ["frontend"] }]);
            const twoAliases = service({
                networksAdvanced: [{ name: "freshtrack-dev-edge", aliases: ["caddy", "freshtrack.localhost"] }],
            });
            const swapped = service({
                networksAdvanced: [{ name: "freshtrack-dev-edge", aliases: ["freshtrack.localhost", "caddy"] }],
            });
            expect(modelOf(CONTAINER).changed(swapped, containerReadBack(twoAliases))).to.deep.equal([]);
            expect(modelOf(CONTAINER).changed(twoAliases, back)).to.deep.equal(["networksAdvanced"]);
            expect(replaces("networksAdvanced")).to.equal(true);
        });

        it('ports: ip defaults to "0.0.0.0" and protocol to "tcp"; read back sorted by port, which the DiffSuppressFunc forgives (container.go:509-534, 1192-1247)', () => {
            const omitted = service({ ports: [{ internal: 80, external: 80 }] });
            expect(containerReadBack(omitted).ports).to.deep.equal([
                { internal: 80, external: 80, ip: "0.0.0.0", protocol: "tcp" },
            ]);
            expect(secondUp(CONTAINER, omitted)).to.deep.equal([]);
            const loopback = service({ ports: [port(443, "127.0.0.1"), port(80, "127.0.0.1")] });
            expect(
                (containerReadBack(loopback).ports as Array<{ internal: number }>).map((p) => p.internal),
            ).to.deep.equal([80, 443]);
            expect(secondUp(CONTAINER, loopback)).to.deep.equal([]);
            expect(replaces("ports")).to.equal(true);
        });

        it("ports on both 0.0.0.0 and :: read back IPv4 first; any other order replaces on every up (the suppress matches the first port only)", () => {
            const stock = dockerModels(STOCK_DAEMON);
            const v4First = service({
                ports: [port(80, "0.0.0.0"), port(80, "::"), port(443, "0.0.0.0"), port(443, "::")],
            });
            expect(secondUp(CONTAINER, v4First, stock)).to.deep.equal([]);
            const v6First = service({ ports: [port(80, "::"), port(80, "0.0.0.0")] });
            expect(secondUp(CONTAINER, v6First, stock)).to.deep.equal(["ports"]);
            const longForm = service({ ports: [port(80, "0.0.0.0"), port(80, "0:0:0:0:0:0:0:0")] });
            expect(secondUp(CONTAINER, longForm, stock), "the daemon prints :: for 0:0:0:0:0:0:0:0").to.deep.equal([
                "ports",
            ]);
            const noHost = service({ ports: [port(80, "")] });
            expect((containerReadBack(noHost, stock).ports as unknown[]).length, 'ip "" binds 0.0.0.0 and ::').to.equal(
                2,
            );
            expect(secondUp(CONTAINER, noHost, stock)).to.deep.equal(["ports"]);
        });

        it(":: is dropped on the bootstrapped host (userland-proxy false) unless the network has IPv6, and then ports replace on every up", () => {
            const v4First = service({ ports: [port(443, "0.0.0.0"), port(443, "::")] });
            const bootstrapped = daemonForTarget("droplet");
            expect(bootstrapped.userlandProxy).to.equal(false);
            expect(containerReadBack(v4First, dockerModels(bootstrapped)).ports).to.deep.equal([port(443, "0.0.0.0")]);
            expect(secondUp(CONTAINER, v4First, dockerModels(bootstrapped))).to.deep.equal(["ports"]);
            expect(
                secondUp(CONTAINER, v4First, dockerModels({ ...bootstrapped, ipv6Networks: ["freshtrack-dev-edge"] })),
            ).to.deep.equal([]);
        });

        it("Docker 26 and older give a port's bindings back reversed, so a port on both 0.0.0.0 and :: is replaced on every up there (nat.SortPortMap)", () => {
            const dualStack = service({
                ports: [port(80, "0.0.0.0"), port(80, "::"), port(443, "0.0.0.0"), port(443, "::")],
            });
            const old = dockerModels({ ...daemonFactsForVersion("26.1.3"), ipv6Networks: ["freshtrack-dev-edge"] });
            expect((containerReadBack(dualStack, old).ports as Array<{ ip: string }>).map((p) => p.ip)).to.deep.equal([
                "::",
                "0.0.0.0",
                "::",
                "0.0.0.0",
            ]);
            expect(secondUp(CONTAINER, dualStack, old)).to.deep.equal(["ports"]);
            const v6First = service({ ports: [port(80, "::"), port(80, "0.0.0.0")] });
            expect(secondUp(CONTAINER, v6First, old), "no order survives a reversal").to.deep.equal(["ports"]);
            // One binding per port is not affected: every other container publishes on 127.0.0.1 only.
            expect(
                secondUp(CONTAINER, service({ ports: [port(80, "127.0.0.1"), port(443, "127.0.0.1")] }), old),
            ).to.deep.equal([]);
            expect(daemonFactsForVersion("20.10.24+dfsg1")).to.include({
                portBindingOrder: "reversed",
                ip6tables: false,
            });
            expect(daemonFactsForVersion("27.5.1")).to.include({ portBindingOrder: "sorted", ip6tables: true });
            expect(daemonFactsForVersion("20.10.24", renderDaemonJson())).to.include({
                portBindingOrder: "reversed",
                ip6tables: true,
                userlandProxy: false,
            });
        });

        it("volumes (named and host paths) and uploads are not read back; readOnly false equals omitted (funcs.go:882, 959)", () => {
            const mounts = service({
                volumes: [
                    { volumeName: "freshtrack-dev-textfile", containerPath: "/textfile", readOnly: true },
                    { hostPath: "/", containerPath: "/host", readOnly: true },
                    { volumeName: "freshtrack-dev-data", containerPath: "/data", readOnly: false },
                ],
            });
            expect(containerReadBack(mounts).volumes).to.deep.equal(mounts.volumes);
            expect(secondUp(CONTAINER, mounts)).to.deep.equal([]);
            const noFlag = service({ volumes: [{ volumeName: "freshtrack-dev-data", containerPath: "/data" }] });
            const explicitFlag = service({
                volumes: [{ volumeName: "freshtrack-dev-data", containerPath: "/data", readOnly: false }],
            });
            expect(modelOf(CONTAINER).changed(noFlag, containerReadBack(explicitFlag))).to.deep.equal([]);
            expect(replaces("volumes")).to.equal(true);
        });

        it("uploads keep their secret wrapper in state; permissions and executable read back as sent; new content replaces (container.go:987-1043)", () => {
            const uploads = [
                { file: "/run/secrets/database_password", content: new SecretValue("s3cret"), permissions: "0444" },
                { file: "/usr/local/bin/freshtrack-backup", content: "#!/bin/sh\n", executable: true },
                { file: "/etc/crontabs/root", content: "0 3 * * * /usr/local/bin/freshtrack-backup\n" },
            ];
            const back = containerReadBack(service({ uploads }));
            const stored = back.uploads as Array<{ content: unknown }>;
            expect(stored[0]!.content).to.be.instanceOf(SecretValue);
            expect(secondUp(CONTAINER, service({ uploads }))).to.deep.equal([]);
            const rotated = uploads.map((u, i) => (i === 0 ? { ...u, content: new SecretValue("n3w") } : u));
            expect(modelOf(CONTAINER).changed(service({ uploads: rotated }), back)).to.deep.equal(["uploads"]);
            const explicitFalse = uploads.map((u, i) => (i === 2 ? { ...u, executable: false } : u));
            expect(
                modelOf(CONTAINER).changed(service({ uploads: explicitFalse }), back),
                "executable defaults to false",
            ).to.deep.equal([]);
            expect(replaces("uploads")).to.equal(true);
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

        it("tmpfs reads back as sent (funcs.go:883)", () => {
            expect(secondUp(CONTAINER, service({ tmpfs: { "/tmp": "rw,noexec,nosuid,size=64m" } }))).to.deep.equal([]);
            expect(
                modelOf(CONTAINER).changed(
                    service({ tmpfs: { "/tmp": "size=32m" } }),
                    containerReadBack(service({ tmpfs: { "/tmp": "size=64m" } })),
                ),
            ).to.deep.equal(["tmpfs"]);
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

    describe("docker_network, docker_volume, docker_image (RemoteImage), Image", () => {
        const network = {
            name: "freshtrack-dev-edge",
            driver: "bridge",
            internal: false,
            labels: [{ label: "com.freshtrack.network", value: "edge" }],
        };
        const volume = {
            name: "freshtrack-dev-postgres-data",
            labels: [{ label: "com.freshtrack.volume", value: "postgres-data" }],
        };

        it("a network reads back as sent (network_funcs.go:175-198); every change replaces, it has no Update (network.go:17-19)", () => {
            expect(secondUp(NETWORK, network)).to.deep.equal([]);
            const back = modelOf(NETWORK).readBack(network);
            expect(back).to.include({ driver: "bridge", internal: false, ipv6: false, ipamDriver: "default" });
            expect(modelOf(NETWORK).changed({ ...network, internal: true }, back)).to.deep.equal(["internal"]);
            expect(modelOf(NETWORK).changed({ ...network, labels: [] }, back)).to.deep.equal(["labels"]);
            expect(modelOf(NETWORK).changed({ ...network, ipv6: true }, back)).to.deep.equal(["ipv6"]);
            for (const key of ["name", "labels", "driver", "internal", "ipv6", "options"])
                expect(modelOf(NETWORK).forcesReplacement(key), key).to.equal(true);
        });

        // kw network_funcs.go:196 and structures.go:11-39; moby v27.5.1 daemon/network.go:696-755 (buildIPAMResources).
        it("ipam_config reads back as configured plus a daemon-chosen pool for each family left out: only both families stay", () => {
            const v4 = { subnet: "172.16.54.0/24" };
            const v6 = { subnet: "fd21:ee36:65ca::/64" };
            const both = { ...network, ipv6: true, ipamConfigs: [v4, v6] };
            expect(modelOf(NETWORK).readBack(both).ipamConfigs).to.deep.equal([v4, v6]);
            expect(secondUp(NETWORK, both)).to.deep.equal([]);
            const reordered = { ...both, ipamConfigs: [v6, { ...v4, gateway: "", auxAddress: {} }] };
            expect(secondUp(NETWORK, reordered), "a set, and empty fields are omitted").to.deep.equal([]);
            const v6Only = { ...network, ipv6: true, ipamConfigs: [v6] };
            expect(modelOf(NETWORK).readBack(v6Only).ipamConfigs).to.deep.equal([
                v6,
                { subnet: DAEMON_CHOSEN, gateway: DAEMON_CHOSEN },
            ]);
            expect(
                secondUp(NETWORK, v6Only),
                "the chosen IPv4 pool reads back, and ipam_config forces a new network",
            ).to.deep.equal(["ipamConfigs"]);
            expect(modelOf(NETWORK).forcesReplacement("ipamConfigs")).to.equal(true);
            const moved = { ...both, ipamConfigs: [v4, { subnet: "fd21:ee36:65cb::/64" }] };
            expect(
                modelOf(NETWORK).changed(moved, modelOf(NETWORK).readBack(both)),
                "a subnet is compared, not only counted",
            ).to.deep.equal(["ipamConfigs"]);
            // Left out entirely, the daemon's pools are Optional+Computed state and never diff (sdk schema.go:977,
            // 1112).
            expect(modelOf(NETWORK).readBack(network).ipamConfigs).to.deep.equal([
                { subnet: DAEMON_CHOSEN, gateway: DAEMON_CHOSEN },
            ]);
            expect(secondUp(NETWORK, { ...network, ipv6: true })).to.deep.equal([]);
        });

        it("a volume reads back as sent with driver local (volume.go:308-312); a label change replaces", () => {
            expect(secondUp(VOLUME, volume)).to.deep.equal([]);
            const back = modelOf(VOLUME).readBack(volume);
            expect(back).to.include({
                driver: "local",
                mountpoint: "/mnt/freshtrack-data/docker/volumes/freshtrack-dev-postgres-data/_data",
            });
            expect(
                modelOf(VOLUME).changed({ ...volume, labels: [{ label: "com.freshtrack.volume", value: "x" }] }, back),
            ).to.deep.equal(["labels"]);
            expect(modelOf(VOLUME).forcesReplacement("labels")).to.equal(true);
        });

        it("a RemoteImage keeps name and keepLocally as sent (image_funcs.go:128-130); a new name replaces, keepLocally does not", () => {
            const image = { name: "edoburu/pgbouncer:v1.23.1-p3", keepLocally: true };
            expect(secondUp(REMOTE_IMAGE, image)).to.deep.equal([]);
            expect(
                modelOf(REMOTE_IMAGE).changed(
                    { ...image, name: "edoburu/pgbouncer:v1.24.0" },
                    modelOf(REMOTE_IMAGE).readBack(image),
                ),
            ).to.deep.equal(["name"]);
            expect(modelOf(REMOTE_IMAGE).forcesReplacement("name")).to.equal(true);
            expect(modelOf(REMOTE_IMAGE).forcesReplacement("keepLocally")).to.equal(false);
        });

        it("an Image diffs old inputs against new ones, ignores registry credentials, and never replaces (pulumi-docker provider.go:271-348)", () => {
            const built = {
                imageName: "registry.example.com/freshtrack/backend:1.4.2",
                build: { context: "/src", target: "backend" },
                skipPush: false,
                registry: { server: "registry.example.com", username: "u", password: new SecretValue("p") },
            };
            expect(secondUp(IMAGE, built)).to.deep.equal([]);
            const rotated = { ...built, registry: { ...built.registry, password: new SecretValue("q") } };
            expect(modelOf(IMAGE).changed(rotated, modelOf(IMAGE).readBack(built))).to.deep.equal([]);
            expect(
                modelOf(IMAGE).changed(
                    { ...built, build: { ...built.build, target: "worker" } },
                    modelOf(IMAGE).readBack(built),
                ),
            ).to.deep.equal(["build"]);
            expect(modelOf(IMAGE).forcesReplacement("build")).to.equal(false);
        });
    });
});
