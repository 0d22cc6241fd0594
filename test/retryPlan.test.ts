/**
 * What `npm run deploy` replaces before `pulumi up` after a failed update (issue 14, defects 6 and 10, and
 * "What to build" item 4), read from the stack's exported state.
 *
 * The fixtures in test/fixtures/stackExport.*.json are built by hand in the shape `pulumi stack export` writes
 * (UntypedDeployment and ResourceV3: pulumi/pulumi v3.259.0 sdk/go/common/apitype/core.go:381-394, 489-564),
 * with the URNs the engine gives this program's prod stack and the states the engine leaves (engineModel.ts):
 * - failedHealthWait: a 1.4.2 -> 1.5.0 update whose new backend failed its health wait. The jobs of that update
 *   succeeded; the new backend is live with `initErrors` (the text the bridge writes: "creating <urn>: " and a
 *   go-multierror list); the old backend and the jobs' old copies are marked `delete`. Secrets are encrypted,
 *   as a plain `pulumi stack export` writes them.
 * - failedJob: the same update where migrate exited 1: the new migrate is live with exitCode 1, backend was
 *   never replaced. Secrets are plaintext envelopes, as `pulumi stack export --show-secrets` (the Automation
 *   API's exportStack, which deploy.ts uses) writes them.
 * - new: a stack that was never deployed: no resources at all.
 * They are not recordings of a real CLI: none is reachable here.
 *
 * Rungs: the plan itself is rung 2 (it rests on the engine model's cited rules, and the model is run over the
 * same fixtures); deploy.ts is run for real against a stand-in `pulumi` on PATH that answers with a fixture
 * and records the command lines the Automation API sends it (rung 4: a real script, a stand-in server).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import {
    CreateResult,
    DiffResult,
    Goal,
    Properties,
    ProviderBehaviour,
    retryHazards,
    runUpdate,
    StateResource,
} from "../scripts/lib/engineModel";
import { checkpointResources, retryPlan } from "../scripts/lib/retryPlan";
import { FIXTURES, P, BACKEND, MIGRATE, JOB_WHY } from "./retryPlanFixtures";
const CONTAINER = "docker:index/container:Container";
const PRE_MIGRATE = MIGRATE.replace(/::migrate$/, "::pre-migrate-backup");
const POSTGRES = `${P}freshtrack:services:DataTier$freshtrack:services:Service$docker:index/container:Container::postgres`;
const DROPLET = `${P}freshtrack:host:DropletHost$digitalocean:index/droplet:Droplet::droplet-droplet`;

type Export = { version: number; deployment: { resources?: Array<Record<string, unknown>> } };

function fixture(name: "failedHealthWait" | "failedJob" | "new"): Export {
    return JSON.parse(fs.readFileSync(path.join(FIXTURES, `stackExport.${name}.json`), "utf8")) as Export;
}

function resourceOf(exported: Export, urn: string, pendingDelete = false): Record<string, unknown> {
    const found = (exported.deployment.resources ?? []).find(
        (r) => r["urn"] === urn && (r["delete"] === true) === pendingDelete,
    );
    if (!found) throw new Error(`fixture has no ${urn}`);
    return found;
}

/**
 * The bridged Docker provider as the engine sees it on a retry: a diff of the inputs (an unchanged goal has
 * none), creates that succeed once the cause of the failure is fixed, deletes that are recorded. Which inputs
 * force a new container does not matter here: a retry sends the same inputs.
 */
class RetryProvider implements ProviderBehaviour {
    readonly deleted: string[] = [];
    readonly created: string[] = [];
    private next = 1;

    diff(_type: string, oldInputs: Properties, _oldOutputs: Properties, newInputs: Properties): DiffResult {
        const keys = new Set([...Object.keys(oldInputs), ...Object.keys(newInputs)]);
        const changed = [...keys].filter((k) => JSON.stringify(oldInputs[k]) !== JSON.stringify(newInputs[k]));
        return { changed, replaceKeys: changed, deleteBeforeReplace: true };
    }

    create(_type: string, urn: string, inputs: Properties): CreateResult {
        const id = `new${this.next++}`;
        this.created.push(`${urn.split("::").pop()!} ${id}`);
        // The cause was fixed: the container turns healthy, the job exits 0.
        return { id, outputs: { ...inputs, ...(inputs["attach"] === true ? { exitCode: 0 } : {}) } };
    }

    delete(resource: StateResource): { error?: string } {
        this.deleted.push(`${resource.urn.split("::").pop()!} ${resource.id!}`);
        return {};
    }
}

/** The program's goals on a retry with nothing changed: every live resource again, with Service's options. */
function retryGoals(state: readonly StateResource[]): Goal[] {
    return state
        .filter((r) => !r.delete)
        .map((r) => ({
            urn: r.urn,
            type: r.type,
            inputs: r.inputs,
            ...(r.type === CONTAINER
                ? {
                      deleteBeforeReplace: r.urn === POSTGRES,
                      replaceOnChanges: ["healthcheck", "tmpfs"],
                      checkOutputs: (outputs: Properties) =>
                          r.inputs["attach"] === true && outputs["exitCode"] !== 0
                              ? `job exited with code ${String(outputs["exitCode"])}`
                              : undefined,
                  }
                : {}),
        }));
}

describe("npm run deploy: what it replaces after a failed update (rung 2, cited)", () => {
    describe("reading `pulumi stack export`", () => {
        it("reads every resource with the checkpoint's own field names: initErrors, delete, the outputs' exitCode", () => {
            const state = checkpointResources(fixture("failedHealthWait"));
            const backends = state.filter((r) => r.urn === BACKEND);
            expect(
                backends.map((r) => [r.id!.slice(0, 4), r.delete ?? false, (r.initErrors ?? []).length]),
            ).to.deep.equal([
                ["e5e5", false, 1],
                ["d4d4", true, 0],
            ]);
            const migrate = state.find((r) => r.urn === MIGRATE && !r.delete)!;
            expect(migrate.inputs["attach"]).to.equal(true);
            expect(migrate.outputs["exitCode"]).to.equal(0);
            // Components carry no inputs or outputs when empty (core.go:501-503).
            expect(state.find((r) => r.type === "freshtrack:services:AppTier")).to.deep.include({
                inputs: {},
                outputs: {},
            });
        });

        it("a stack that was never deployed has no resources and needs nothing replaced", () => {
            expect(checkpointResources(fixture("new"))).to.deep.equal([]);
            expect(retryPlan(fixture("new"))).to.deep.equal({ replace: [], notes: [], blockers: [] });
        });

        it("shows a secret's plaintext (--show-secrets) as the value, and leaves an encrypted one as it is", () => {
            const shown = checkpointResources(fixture("failedJob")).find((r) => r.urn === POSTGRES)!;
            const uploads = shown.inputs["uploads"] as Array<Record<string, unknown>>;
            // Only top-level values are unwrapped; a secret inside a list stays an envelope.
            expect(uploads[0]!["content"]).to.have.property("plaintext");
            const exported = fixture("failedJob");
            const migrate = resourceOf(exported, MIGRATE);
            const envelope = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
            (migrate["outputs"] as Record<string, unknown>)["exitCode"] = { ...envelope, plaintext: "3" };
            expect(retryPlan(exported).replace[0]!.why).to.contain("exited with code 3");
            (migrate["outputs"] as Record<string, unknown>)["exitCode"] = { ...envelope, ciphertext: "v1:abc" };
            expect(retryPlan(exported).replace).to.deep.equal([]);
        });

        it("refuses what is not a stack export of a known schema version, saying what it found", () => {
            expect(() => retryPlan({ resources: [] })).to.throw("not a Pulumi deployment");
            expect(() => retryPlan({ version: 5, deployment: {} })).to.throw(
                "schema version 5; this script reads versions 3 and 4",
            );
            expect(() => retryPlan({ version: 3, deployment: { resources: [{ type: CONTAINER }] } })).to.throw(
                "resource 0 has no urn or type",
            );
            expect(retryPlan({ version: 4, features: [], deployment: {} })).to.deep.equal({
                replace: [],
                notes: [],
                blockers: [],
            });
        });
    });

    describe("after a failed health wait (defect 6)", () => {
        it("replaces the unhealthy container, and says why in one line", () => {
            const plan = retryPlan(fixture("failedHealthWait"));
            expect(plan.replace.map((r) => r.urn)).to.deep.equal([BACKEND]);
            expect(plan.replace[0]!.why).to.equal(
                "its create in an earlier update did not finish (container failed to be in healthy state); " +
                    "a plain 'pulumi up' would keep it without a new health wait and then delete the old copy that still serves",
            );
            expect(plan.replace[0]!.why).to.not.contain("\n");
            expect(plan.notes).to.deep.equal([]);
        });

        it("the engine model over that state: a plain retry deletes the healthy old backend; --replace keeps it until a new one is healthy", () => {
            const state = checkpointResources(fixture("failedHealthWait"));
            const plain = new RetryProvider();
            const plainRun = runUpdate(state, retryGoals(state), plain);
            expect(plainRun.failed).to.equal(undefined);
            expect(plainRun.steps.find((s) => s.urn === BACKEND && s.op === "update")).to.deep.include({
                initErrorRetry: true,
            });
            expect(plain.created).to.deep.equal([]);
            expect(plain.deleted.filter((d) => d.startsWith("backend ")).map((d) => d.slice(0, 12))).to.deep.equal([
                "backend d4d4",
            ]);
            expect(plainRun.state.filter((r) => r.urn === BACKEND).map((r) => r.id!.slice(0, 4))).to.deep.equal([
                "e5e5",
            ]);

            const planned = new RetryProvider();
            const plannedRun = runUpdate(state, retryGoals(state), planned, {
                replace: retryPlan(fixture("failedHealthWait")).replace.map((r) => r.urn),
            });
            expect(plannedRun.failed).to.equal(undefined);
            expect(planned.created).to.deep.equal(["backend new1"]);
            // The old and the unhealthy backend go only after the new one was created (and passed its health wait).
            const firstIndexOf = (op: string) => plannedRun.steps.findIndex((s) => s.op === op);
            expect(firstIndexOf("create-replacement")).to.be.lessThan(firstIndexOf("delete-replaced"));
            expect(
                planned.deleted
                    .filter((d) => d.startsWith("backend "))
                    .map((d) => d.slice(0, 12))
                    .sort(),
            ).to.deep.equal(["backend d4d4", "backend e5e5"]);
            expect(plannedRun.state.filter((r) => r.urn === BACKEND).map((r) => r.id)).to.deep.equal(["new1"]);
        });

        it("a stateful container (delete-before-replace, the old one already gone) is replaced too, without talk of an old copy", () => {
            const exported = fixture("failedHealthWait");
            const postgres = resourceOf(exported, POSTGRES);
            postgres["initErrors"] = [
                `creating ${POSTGRES}: 1 error occurred:\n\t* container failed to be in healthy state\n\n`,
            ];
            const plan = retryPlan(exported);
            expect(plan.replace.map((r) => r.urn)).to.deep.equal([POSTGRES, BACKEND]);
            expect(plan.replace[0]!.why).to.equal(
                "its create in an earlier update did not finish (container failed to be in healthy state); " +
                    "a plain 'pulumi up' would keep it without a new health wait",
            );
        });

        it("leaves a droplet with initialization errors, and a protected container, to the operator, with a note each", () => {
            const exported = fixture("failedHealthWait");
            const timeout = "timeout while waiting for droplet to become active";
            resourceOf(exported, DROPLET)["initErrors"] = [
                `creating ${DROPLET}: 1 error occurred:\n\t* ${timeout}\n\n`,
            ];
            resourceOf(exported, BACKEND)["protect"] = true;
            const plan = retryPlan(exported);
            expect(plan.replace).to.deep.equal([]);
            expect(plan.notes).to.deep.equal([
                `${BACKEND} needs a replacement (container failed to be in healthy state) but is protected; unprotect it or fix it by hand`,
                `${DROPLET} kept an initialization error from an earlier update (${timeout}); a plain 'pulumi up' clears it ` +
                    `without checking it again. If it is broken, replace it yourself: pulumi up --stack prod --replace '${DROPLET}'`,
            ]);
        });
    });

    describe("after a failed job (defect 10)", () => {
        it("replaces the job that exited non-zero, not its old copy or the jobs that passed", () => {
            const plan = retryPlan(fixture("failedJob"));
            expect(plan.replace).to.deep.equal([{ urn: MIGRATE, why: JOB_WHY }]);
            expect(retryHazards(checkpointResources(fixture("failedJob"))).pendingDeletes.sort()).to.deep.equal(
                [MIGRATE, PRE_MIGRATE].sort(),
            );
        });

        it("the engine model over that state: a plain retry stops on the old exit code again; --replace runs the job and goes on", () => {
            const state = checkpointResources(fixture("failedJob"));
            const plainRun = runUpdate(state, retryGoals(state), new RetryProvider());
            expect(plainRun.failed).to.equal("program: job exited with code 1");
            const planned = new RetryProvider();
            const plannedRun = runUpdate(state, retryGoals(state), planned, {
                replace: retryPlan(fixture("failedJob")).replace.map((r) => r.urn),
            });
            expect(plannedRun.failed).to.equal(undefined);
            expect(planned.created).to.deep.equal(["migrate new1"]);
            expect(
                plannedRun.state.filter((r) => r.urn === MIGRATE).map((r) => [r.id, r.outputs["exitCode"]]),
            ).to.deep.equal([["new1", 0]]);
        });
    });
});

describe("after an interrupted update (the attack pass: pending operations)", () => {
    // Built from the failed-health-wait fixture: the update was cut off (Ctrl-C, a CI timeout) during backend's create,
    // so the checkpoint holds the old backend and a pending "creating" operation (apitype/core.go:163-164, 374-379).
    const exported = () =>
        JSON.parse(fs.readFileSync(path.join(FIXTURES, "stackExport.interrupted.json"), "utf8")) as Record<
            string,
            unknown
        >;

    it("stops with what to do for a container whose create was cut off: remove it by name on the host, then clear the pending create", () => {
        const plan = retryPlan(exported());
        expect(plan.replace).to.deep.equal([]);
        expect(plan.blockers).to.have.length(1);
        expect(plan.blockers[0])
            .to.contain(BACKEND)
            .and.contain("docker rm -f backend-7f3e2d1")
            .and.contain("pulumi refresh --stack prod --run-program --clear-pending-creates");
    });

    it("has no blockers when nothing was left unfinished", () => {
        expect(
            retryPlan(JSON.parse(fs.readFileSync(path.join(FIXTURES, "stackExport.failedHealthWait.json"), "utf8")))
                .blockers,
        ).to.deep.equal([]);
    });
});
