/**
 * Rung 2 (provider and engine model): what the Pulumi engine does with a failed health wait, a failed job and a
 * `--replace` of a resource with ignoreChanges, run through scripts/lib/engineModel.ts. Each rule of the model cites
 * pulumi/pulumi v3.259.0; the fake provider below cites kreuzwerker/terraform-provider-docker v4.5.0
 * (internal/provider/resource_docker_container_funcs.go, "funcs") and pulumi-terraform-bridge v3.136.0 for what the
 * bridged Docker provider answers. These tests document engine behaviour the defects 6, 8 and 10 rest on, and
 * the recovery deploy.ts applies (scripts/lib/retryPlan.ts; test/retryPlan.test.ts runs it over exported states).
 */
import { expect } from "chai";
import {
    CreateResult,
    DiffResult,
    Goal,
    Properties,
    ProviderBehaviour,
    ProviderUpdateResult,
    retryHazards,
    runUpdate,
    StateResource,
} from "../scripts/lib/engineModel";

const CONTAINER = "docker:index/container:Container";
const DROPLET = "digitalocean:index/droplet:Droplet";
const urnOf = (type: string, name: string): string =>
    `urn:pulumi:prod::freshtrack::freshtrack:services:Service$${type}::${name}`;

/**
 * Container inputs the provider can change in place (funcs resourceDockerContainerUpdate, 1016-1019); every other
 * forces a new container.
 */
const UPDATABLE = new Set(["memory", "memorySwap", "restart", "cpuShares"]);

interface FakeContainer {
    image: string;
    running: boolean;
    healthy: boolean;
    exitCode?: number;
}

/**
 * A Docker daemon behind the bridged provider. What matters here is when an ID exists: the container's ID
 * is set right after ContainerCreate (funcs:456-460), before networks, uploads, start and the health wait
 * (funcs:462-628), so every later failure is a partial create that leaves the container running
 * (bridge pkg/tfbridge/provider.go:1363-1375, 1412-1414 turns it into an initialization error).
 */
class FakeDockerProvider implements ProviderBehaviour {
    readonly containers = new Map<string, FakeContainer>();
    /** Images whose health check passes. */
    readonly healthyImages = new Set<string>();
    /** Exit code per job image; 0 when absent. */
    readonly jobExitCodes = new Map<string, number>();
    /** Images the daemon refuses at ContainerCreate (no ID yet). */
    readonly rejectedImages = new Set<string>();
    readonly calls: string[] = [];
    private nextId = 1;

    seed(id: string, container: FakeContainer): void {
        this.containers.set(id, container);
    }

    diff(_type: string, oldInputs: Properties, _oldOutputs: Properties, newInputs: Properties): DiffResult {
        const keys = new Set([...Object.keys(oldInputs), ...Object.keys(newInputs)]);
        const changed = [...keys].filter((k) => JSON.stringify(oldInputs[k]) !== JSON.stringify(newInputs[k]));
        // The bridge asks for delete-before-replace on every container; Service always overrides it.
        return { changed, replaceKeys: changed.filter((k) => !UPDATABLE.has(k)), deleteBeforeReplace: true };
    }

    create(_type: string, _urn: string, inputs: Properties): CreateResult {
        const image = String(inputs["image"]);
        this.calls.push(`create ${image}`);
        if (this.rejectedImages.has(image)) return { error: `Unable to create container: no such image ${image}` }; // funcs:456-458, no ID
        const id = `c${this.nextId++}`;
        if (inputs["attach"] === true) {
            // attach waits for the container to stop and then reads it back: exit_code is recorded and no
            // error is returned, whatever the code (funcs:631-673, 813-816).
            const exitCode = this.jobExitCodes.get(image) ?? 0;
            this.containers.set(id, { image, running: false, healthy: false, exitCode });
            return { id, outputs: { ...inputs, exitCode } };
        }
        const healthy = this.healthyImages.has(image);
        this.containers.set(id, { image, running: true, healthy });
        if (inputs["wait"] === true && !healthy) {
            // The wait times out and returns an error; nothing removes or stops the container (funcs:590-628).
            return { id, outputs: { ...inputs }, error: "container failed to be in healthy state" };
        }
        return { id, outputs: { ...inputs } };
    }

    update(resource: StateResource, newInputs: Properties, changed: string[]): ProviderUpdateResult {
        // resourceDockerContainerUpdate only starts a stopped must_run container or calls ContainerUpdate for the
        // limits (funcs:991-1077); it never waits for health and never reads the container back.
        this.calls.push(`update ${resource.id} [${changed.join(",")}]`);
        return { outputs: { ...resource.outputs, ...newInputs } };
    }

    delete(resource: StateResource): { error?: string } {
        this.calls.push(`delete ${resource.id}`);
        this.containers.delete(resource.id!);
        return {};
    }

    healthyRunning(): string[] {
        return [...this.containers].filter(([, c]) => c.running && c.healthy).map(([id]) => id);
    }
}

/** What a container's checkpoint entry looks like after a successful create. */
function containerState(urn: string, id: string, inputs: Properties, outputs: Properties = inputs): StateResource {
    return { urn, type: CONTAINER, id, inputs, outputs };
}

describe("Pulumi engine semantics model (rung 2, cited)", () => {
    describe("a failed health wait on a create-before-delete replacement (defect 6)", () => {
        const backend = urnOf(CONTAINER, "backend");
        const v1 = { image: "sha256:v1", wait: true, waitTimeout: 120, restart: "unless-stopped" };
        const v2 = { ...v1, image: "sha256:v2" };
        // Service: stateless containers are create-before-delete, and replace on health check or tmpfs changes.
        const goalV2: Goal = {
            urn: backend,
            type: CONTAINER,
            inputs: v2,
            deleteBeforeReplace: false,
            replaceOnChanges: ["healthcheck", "tmpfs"],
        };

        function afterFailedWait(): { docker: FakeDockerProvider; state: StateResource[] } {
            const docker = new FakeDockerProvider();
            docker.healthyImages.add("sha256:v1");
            docker.seed("c-old", { image: "sha256:v1", running: true, healthy: true });
            const first = runUpdate([containerState(backend, "c-old", v1)], [goalV2], docker);
            expect(first.failed).to.equal("container failed to be in healthy state");
            return { docker, state: first.state };
        }

        it("keeps the unhealthy new container (with initErrors) and marks the healthy old one delete, deleting nothing yet", () => {
            const { docker, state } = afterFailedWait();
            expect(state).to.have.length(2);
            const [created, old] = state;
            expect(created).to.include({ urn: backend, id: "c1" });
            expect(created!.initErrors).to.deep.equal(["container failed to be in healthy state"]);
            expect(created!.delete).to.equal(undefined);
            expect(old).to.include({ urn: backend, id: "c-old", delete: true });
            expect([...docker.containers.keys()].sort()).to.deep.equal(["c-old", "c1"]);
            expect(docker.healthyRunning()).to.deep.equal(["c-old"]);
        });

        it("a plain retry sends the broken container an empty update, then deletes the healthy old one: an outage", () => {
            const { docker, state } = afterFailedWait();
            const callsBefore = docker.calls.length;
            const retry = runUpdate(state, [goalV2], docker);
            expect(retry.failed).to.equal(undefined);
            expect(retry.steps.map((s) => `${s.op} ${s.id}`)).to.deep.equal(["update c1", "delete-replaced c-old"]);
            expect(retry.steps[0]!.initErrorRetry).to.equal(true);
            // Nothing but the delete reached the daemon: the update changed nothing and waited for nothing.
            expect(docker.calls.slice(callsBefore)).to.deep.equal(["update c1 []", "delete c-old"]);
            expect(retry.state).to.have.length(1);
            expect(retry.state[0]).to.include({ id: "c1" });
            expect(retry.state[0]!.initErrors).to.equal(undefined);
            expect(docker.healthyRunning()).to.deep.equal([]);
        });

        it("the preview of that retry already shows the update and the delete of the old container", () => {
            const { docker, state } = afterFailedWait();
            const preview = runUpdate(state, [goalV2], docker, { preview: true });
            expect(preview.steps.map((s) => `${s.op} ${s.id}`)).to.deep.equal(["update c1", "delete-replaced c-old"]);
            expect(preview.state).to.deep.equal(state);
            expect(docker.containers.has("c-old")).to.equal(true);
        });

        it('with replaceOnChanges ["*"] the retry replaces the broken container and the old one survives until a new one is healthy', () => {
            const { docker, state } = afterFailedWait();
            const fixed: Goal = { ...goalV2, replaceOnChanges: ["*"] };
            const stillBroken = runUpdate(state, [fixed], docker);
            expect(stillBroken.failed).to.equal("container failed to be in healthy state");
            expect(stillBroken.steps.map((s) => `${s.op} ${s.id}`)).to.deep.equal(["create-replacement c2"]);
            expect(stillBroken.steps[0]!.keys).to.deep.equal(["#initerror"]);
            expect(docker.healthyRunning()).to.deep.equal(["c-old"]);

            docker.healthyImages.add("sha256:v2"); // the cause was fixed outside the program (say, the database came back)
            const recovered = runUpdate(stillBroken.state, [fixed], docker);
            expect(recovered.failed).to.equal(undefined);
            expect(recovered.steps.map((s) => s.op)).to.deep.equal([
                "create-replacement",
                "replace",
                "delete-replaced",
                "delete-replaced",
                "delete-replaced",
            ]);
            expect(recovered.state.map((r) => r.id)).to.deep.equal(["c3"]);
            expect([...docker.containers.keys()]).to.deep.equal(["c3"]);
        });

        it("retryHazards reads the failure from the exported checkpoint, and replacing what it names keeps the old container serving", () => {
            const { docker, state } = afterFailedWait();
            const hazards = retryHazards(state);
            expect(hazards).to.deep.equal({
                initErrors: [backend],
                pendingDeletes: [backend],
                failedJobs: [],
                replace: [backend],
            });
            const retry = runUpdate(state, [goalV2], docker, { replace: hazards.replace });
            expect(retry.failed).to.equal("container failed to be in healthy state");
            expect(retry.steps.map((s) => s.op)).to.deep.equal(["create-replacement"]);
            expect(retry.steps[0]!.keys).to.deep.equal(["id"]);
            expect(docker.healthyRunning()).to.deep.equal(["c-old"]);
        });

        it("a stateful (delete-before-replace) container is gone before its replacement fails, and a plain retry clears the errors unchecked", () => {
            const postgres = urnOf(CONTAINER, "postgres");
            const docker = new FakeDockerProvider();
            docker.seed("pg-old", { image: "postgres:16", running: true, healthy: true });
            const old = containerState(postgres, "pg-old", { image: "postgres:16", wait: true });
            const goal: Goal = {
                urn: postgres,
                type: CONTAINER,
                inputs: { image: "postgres:17", wait: true },
                deleteBeforeReplace: true,
            };
            const first = runUpdate([old], [goal], docker);
            expect(first.steps.map((s) => s.op)).to.deep.equal(["delete-replaced", "replace", "create-replacement"]);
            expect(first.failed).to.equal("container failed to be in healthy state");
            expect(first.state.map((r) => [r.id, r.initErrors?.length ?? 0])).to.deep.equal([["c1", 1]]);

            const retry = runUpdate(first.state, [goal], docker);
            expect(retry.failed).to.equal(undefined);
            expect(retry.steps.map((s) => s.op)).to.deep.equal(["update"]);
            expect(retry.state[0]!.initErrors).to.equal(undefined);
            expect(docker.healthyRunning()).to.deep.equal([]);
        });

        it("a create that fails before the container has an ID records nothing: the old container is not marked", () => {
            const docker = new FakeDockerProvider();
            docker.rejectedImages.add("sha256:v2");
            const prev = [containerState(backend, "c-old", v1)];
            const first = runUpdate(prev, [goalV2], docker);
            expect(first.failed).to.match(/Unable to create container/);
            expect(first.state).to.deep.equal(prev);
            docker.rejectedImages.delete("sha256:v2");
            docker.healthyImages.add("sha256:v2");
            const retry = runUpdate(first.state, [goalV2], docker);
            expect(retry.steps.map((s) => s.op)).to.deep.equal(["create-replacement", "replace", "delete-replaced"]);
            expect(retry.state.map((r) => r.id)).to.deep.equal(["c1"]);
        });
    });

    describe("a failed job, then a retry with unchanged inputs (defect 10)", () => {
        const migrate = urnOf(CONTAINER, "migrate");
        const job = (image: string): Properties => ({ image, attach: true, logs: true, mustRun: false, restart: "no" });
        // Service: `exitCode.apply` throws on a non-zero code in an update, and only warns in a preview
        // (components/service.ts; test/failedJob.stack.test.ts runs the program itself).
        const checkExit =
            (preview: boolean) =>
            (outputs: Properties): string | undefined => {
                const code = outputs["exitCode"];
                return typeof code === "number" && code !== 0 && !preview
                    ? `job 'migrate' exited with code ${code}`
                    : undefined;
            };
        const goal = (image: string, preview = false): Goal => ({
            urn: migrate,
            type: CONTAINER,
            inputs: job(image),
            deleteBeforeReplace: false,
            checkOutputs: checkExit(preview),
        });

        function afterFailedJob(): { docker: FakeDockerProvider; state: StateResource[] } {
            const docker = new FakeDockerProvider();
            docker.seed("j-old", { image: "app:v1", running: false, healthy: false, exitCode: 0 });
            docker.jobExitCodes.set("app:v2", 1);
            const first = runUpdate(
                [containerState(migrate, "j-old", job("app:v1"), { ...job("app:v1"), exitCode: 0 })],
                [goal("app:v2")],
                docker,
            );
            expect(first.failed).to.equal("program: job 'migrate' exited with code 1");
            return { docker, state: first.state };
        }

        it("records the failed job as created (exitCode 1, no initErrors) with the previous job pending delete", () => {
            const { state } = afterFailedJob();
            expect(
                state.map((r) => [r.id, r.outputs["exitCode"], r.delete ?? false, r.initErrors ?? []]),
            ).to.deep.equal([
                ["c1", 1, false, []],
                ["j-old", 0, true, []],
            ]);
        });

        it("every later update with the same inputs keeps it (same) and fails on the stored exit code; a preview sees the same code and only warns", () => {
            const { docker, state } = afterFailedJob();
            const callsBefore = docker.calls.length;
            // The same step hands the preview the stored outputs (step.go:177-179): the program sees exit code 1.
            const seen: unknown[] = [];
            const previewGoal: Goal = {
                ...goal("app:v2", true),
                checkOutputs: (outputs) => {
                    seen.push(outputs["exitCode"]);
                    return checkExit(true)(outputs);
                },
            };
            const preview = runUpdate(state, [previewGoal], docker, { preview: true });
            // The preview runs to its end and so lists the old copy's delete, which the update below never reaches.
            expect(preview.steps.map((s) => s.op)).to.deep.equal(["same", "delete-replaced"]);
            expect(seen).to.deep.equal([1]);
            expect(preview.failed).to.equal(undefined);
            const up = runUpdate(state, [goal("app:v2")], docker);
            expect(up.steps.map((s) => s.op)).to.deep.equal(["same"]);
            expect(up.failed).to.equal("program: job 'migrate' exited with code 1");
            expect(docker.calls.length).to.equal(callsBefore);
            // The run never reaches its deletes, so the old job's container is never cleaned up either.
            expect(up.state.filter((r) => r.delete).map((r) => r.id)).to.deep.equal(["j-old"]);
        });

        it("--replace of the failed job (what retryHazards names) runs it again and, once it exits 0, removes both old copies", () => {
            const { docker, state } = afterFailedJob();
            const hazards = retryHazards(state);
            expect(hazards.failedJobs).to.deep.equal([migrate]);
            expect(hazards.replace).to.deep.equal([migrate]);
            docker.jobExitCodes.set("app:v2", 0); // the cause was fixed (say, the database was reachable again)
            const retry = runUpdate(state, [goal("app:v2")], docker, { replace: hazards.replace });
            expect(retry.failed).to.equal(undefined);
            expect(retry.steps.slice(0, 2).map((s) => `${s.op} ${s.id ?? ""}`.trim())).to.deep.equal([
                "create-replacement c2",
                "replace",
            ]);
            // Two old copies of one URN with no dependency between them: the engine deletes them in one parallel batch.
            expect(
                retry.steps
                    .slice(2)
                    .map((s) => `${s.op} ${s.id}`)
                    .sort(),
            ).to.deep.equal(["delete-replaced c1", "delete-replaced j-old"]);
            expect(retry.state.map((r) => [r.id, r.outputs["exitCode"]])).to.deep.equal([["c2", 0]]);
        });
    });

    describe("--replace of a resource whose inputs include ignoreChanges keys (defect 8)", () => {
        const droplet = urnOf(DROPLET, "droplet");
        const oldInputs = {
            image: "ubuntu-22-04-x64",
            userData: "#cloud-config v1",
            sshKeys: ["fp-old"],
            size: "s-2vcpu-4gb",
            region: "fra1",
        };
        const newInputs = {
            image: "ubuntu-24-04-x64",
            userData: "#cloud-config v2",
            sshKeys: ["fp-new"],
            size: "s-2vcpu-4gb",
            region: "fra1",
        };
        const FORCE_NEW = new Set(["image", "userData", "sshKeys", "region"]);
        const created: Properties[] = [];
        const digitalocean: ProviderBehaviour = {
            diff(_type, old, _outputs, next) {
                const keys = new Set([...Object.keys(old), ...Object.keys(next)]);
                const changed = [...keys].filter((k) => JSON.stringify(old[k]) !== JSON.stringify(next[k]));
                return { changed, replaceKeys: changed.filter((k) => FORCE_NEW.has(k)) };
            },
            create(_type, _urn, inputs) {
                created.push(inputs);
                return { id: `d${created.length}`, outputs: { ...inputs } };
            },
        };
        // dropletHost.ts: ignoreChanges on userData, sshKeys and image, delete-before-replace for the volume.
        const goal = (inputs: Properties): Goal => ({
            urn: droplet,
            type: DROPLET,
            inputs,
            ignoreChanges: ["userData", "sshKeys", "image"],
            deleteBeforeReplace: true,
        });
        const prev: StateResource[] = [
            { urn: droplet, type: DROPLET, id: "d0", inputs: oldInputs, outputs: oldInputs },
        ];
        beforeEach(() => {
            created.length = 0;
        });

        it("a plain up ignores the new cloud-init, keys and image, and the checkpoint keeps the old ones", () => {
            const up = runUpdate(prev, [goal(newInputs)], digitalocean);
            expect(up.steps.map((s) => s.op)).to.deep.equal(["same"]);
            expect(up.state[0]!.inputs).to.deep.equal(oldInputs);
        });

        it("--replace creates the new droplet from the program's current inputs, not the old ones", () => {
            const up = runUpdate(prev, [goal(newInputs)], digitalocean, { replace: [droplet] });
            expect(up.steps.map((s) => s.op)).to.deep.equal(["delete-replaced", "replace", "create-replacement"]);
            expect(created).to.deep.equal([newInputs]);
            expect(up.state).to.have.length(1);
            expect(up.state[0]).to.deep.include({ id: "d1", inputs: newInputs });
        });

        it("--target-replace (target plus replace) does the same", () => {
            const up = runUpdate(prev, [goal(newInputs)], digitalocean, { replace: [droplet], target: [droplet] });
            expect(created).to.deep.equal([newInputs]);
            expect(up.state[0]!.inputs).to.deep.equal(newInputs);
        });

        it("so does a replacement forced by another input; only an in-place update keeps the ignored old values", () => {
            runUpdate(prev, [goal({ ...newInputs, region: "ams3" })], digitalocean);
            expect(created).to.deep.equal([{ ...newInputs, region: "ams3" }]);
            const resized = runUpdate(prev, [goal({ ...newInputs, size: "s-4vcpu-8gb" })], digitalocean);
            expect(resized.steps.map((s) => s.op)).to.deep.equal(["update"]);
            expect(resized.steps[0]!.inputs).to.deep.equal({ ...oldInputs, size: "s-4vcpu-8gb" });
        });
    });

    it("retryHazards finds nothing in a checkpoint a plain retry can safely continue", () => {
        const state: StateResource[] = [
            containerState(urnOf(CONTAINER, "backend"), "c1", { image: "a", wait: true }),
            containerState(
                urnOf(CONTAINER, "migrate"),
                "c2",
                { image: "a", attach: true },
                { image: "a", attach: true, exitCode: 0 },
            ),
        ];
        expect(retryHazards(state)).to.deep.equal({ initErrors: [], pendingDeletes: [], failedJobs: [], replace: [] });
    });

    it("retryHazards reports a non-container with initErrors but leaves replacing it to the operator", () => {
        const droplet: StateResource = {
            urn: urnOf(DROPLET, "droplet"),
            type: DROPLET,
            id: "d1",
            inputs: {},
            outputs: {},
            initErrors: ["timeout while waiting for droplet to become active"],
        };
        expect(retryHazards([droplet])).to.deep.equal({
            initErrors: [droplet.urn],
            pendingDeletes: [],
            failedJobs: [],
            replace: [],
        });
    });
});
