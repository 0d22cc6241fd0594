/**
 * A failed job, then a preview and a retry (issue 14, defect 10).
 *
 * Rung 1 (mocks) for the program: a job's exit code that a preview hands the program can only come from the
 * checkpoint, because a preview creates nothing: an unchanged job is a same step that keeps its old outputs
 * (pulumi/pulumi v3.259.0 pkg/resource/deploy/step.go:177-179). runUnderMocks with `preview` and `exitCodes`
 * stands for that: the mock answers the registration with the recorded exit code, as the same step does.
 * Rung 2 for the tie to `npm run deploy`: the URN the engine gives the migrate container, built from the
 * program's own registrations by the engine's rule, is the one the deploy's retry plan replaces.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { deployStack } from "../components/stack";
import { MockRunFailure, RegisteredResource, runUnderMocks } from "../scripts/lib/mockRun";
import { retryPlan } from "../scripts/lib/retryPlan";
import { loadStackSettings } from "../scripts/lib/stackFiles";
import { containerNamed, containers } from "./helpers";
import { sharedRun } from "./variantRuns";

const FIXTURES = path.join(__dirname, "fixtures");

/** Runs prod's program as `pulumi preview` or `pulumi up` over a state where `migrate` exited 1 (once per process). */
function overFailedMigrate(preview: boolean) {
    return sharedRun(loadStackSettings("prod"), { preview, exitCodes: { migrate: 1 } });
}

/**
 * The URN the engine gives a resource: the parent's qualified type (every type from the top component down,
 * `$`-joined) before the resource's own type, the root stack left out (pkg/resource/deploy/deployment.go:796-804;
 * sdk/go/common/resource/urn/urn.go:80-93). The SDK's mock monitor keeps only the parent's last type, so its
 * URNs differ for resources nested two components deep, like every job container.
 */
function engineUrn(resource: RegisteredResource, all: readonly RegisteredResource[]): string {
    const byUrn = new Map(all.map((r) => [r.urn, r]));
    const qualifiedType = (r: RegisteredResource): string => {
        const parent = r.parent === undefined ? undefined : byUrn.get(r.parent);
        return parent ? `${qualifiedType(parent)}$${r.type}` : r.type;
    };
    return `urn:pulumi:prod::freshtrack::${qualifiedType(resource)}::${resource.name}`;
}

describe("a failed job, then a preview and a retry (defect 10)", () => {
    it("a preview over a state where migrate exited 1 succeeds, and warns once, naming the commands that run it again", async () => {
        const run = await overFailedMigrate(true);
        const migrate = containerNamed(run.resources, "migrate");
        const jobWarnings = run.warnings.filter((w) => w.startsWith("job "));
        expect(jobWarnings).to.have.length(1);
        expect(jobWarnings[0]).to.contain("job 'migrate' exited with code 1 in an earlier update");
        expect(jobWarnings[0]).to.contain("npm run deploy -- prod");
        expect(jobWarnings[0]).to.contain(`pulumi up --stack prod --replace '${migrate.urn}'`);
        expect(jobWarnings[0]).to.contain('docs/troubleshooting.md, "A failed job"');
        // The whole plan is shown, including what waits on the job.
        for (const name of ["backend", "worker"]) expect(containerNamed(run.resources, name).name).to.equal(name);
    });

    it("a preview where every job exited 0 warns about no job", async () => {
        const run = await runUnderMocks(loadStackSettings("prod"), deployStack, { preview: true });
        expect(run.warnings.filter((w) => w.startsWith("job "))).to.deep.equal([]);
    });

    it("an update over that state still fails on the job (it must not be skipped), and the error names the same commands", async () => {
        let failure: unknown;
        try {
            await overFailedMigrate(false);
        } catch (err) {
            failure = err;
        }
        expect(failure).to.be.instanceOf(MockRunFailure);
        const { message, resources } = failure as MockRunFailure;
        const migrate = containerNamed(resources, "migrate");
        expect(message).to.contain("job 'migrate' exited with code 1");
        expect(message).to.contain("npm run deploy -- prod");
        expect(message).to.contain(`pulumi up --stack prod --replace '${migrate.urn}'`);
        // Nothing that requires the job is created.
        expect(containers(resources).map((r) => r.name)).to.not.include("backend");
    });

    it("npm run deploy's retry plan over the recorded state replaces exactly that job, by the URN the engine gives it", async () => {
        const run = await overFailedMigrate(true);
        const urn = engineUrn(containerNamed(run.resources, "migrate"), run.resources);
        expect(urn).to.equal(
            "urn:pulumi:prod::freshtrack::freshtrack:services:AppTier$freshtrack:services:Migrations$freshtrack:services:Service" +
                "$docker:index/container:Container::migrate",
        );
        const exported = JSON.parse(
            fs.readFileSync(path.join(FIXTURES, "stackExport.failedJob.json"), "utf8"),
        ) as unknown;
        expect(retryPlan(exported).replace.map((r) => r.urn)).to.deep.equal([urn]);
    });
});
