/**
 * Rung 6 of the ladder (shared design, "Testing"): every Service checked
 * against the contract of the image it runs (components/imageContracts/),
 * which cites the image's own Dockerfile and entrypoint at the pinned tag.
 * This is where an entrypoint that needs a dropped capability, a health
 * check that calls a binary the image lacks, or a script the container is
 * given (or its crontab, or its `sh -c`) that runs one, is caught before a
 * real `up` (test/imageContractsScripts.ts reads the scripts' commands).
 */
import { expect } from "chai";
import { contractFor } from "../components/imageContracts";
import { shippedStacks } from "../scripts/lib/stackFiles";
import { RegisteredResource } from "../scripts/lib/mockRun";
import { containers } from "./helpers";
import { contractProblems } from "./imageContractsFixtures";
import { shippedRun } from "./variantRuns";

function imageOf(resources: RegisteredResource[], container: RegisteredResource): string | undefined {
    const pull = resources.find(
        (r) => r.type === "docker:index/remoteImage:RemoteImage" && r.name === `${container.name}-image`,
    );
    return pull ? String(pull.inputs.name) : undefined;
}

describe("Image contracts: every Service against its pinned image (rung 6: image contracts, cited)", function () {
    this.timeout(60_000);

    for (const stack of shippedStacks()) {
        it(`stack ${stack}: every container meets the contract of its image`, async () => {
            const run = await shippedRun(stack);
            const problems: string[] = [];
            let checked = 0;
            for (const c of containers(run.resources)) {
                const image = imageOf(run.resources, c);
                const contract = image ? contractFor(image) : undefined;
                if (!contract) continue; // the FreshTrack images come from config and have no public Dockerfile here
                checked++;
                for (const p of contractProblems({ name: c.name, ...(c.inputs as object) }, contract))
                    problems.push(`${c.name}: ${p}`);
            }
            expect(problems).to.deep.equal([]);
            expect(checked).to.be.greaterThan(15);
        });
    }
});
