/**
 * test/docsAccess.test.ts checks the docs against the sudo rules of a cloud-init it renders itself
 * (test/docsCheck/hostAccess.ts, accessOf), from each shipped droplet stack's config (issue 17, friction 7). Rung 1
 * (whole stack under the SDK's mocks): that render holds the same sudo rules as the user data the program registers
 * for the stack's droplet, the data volume's device included, so the docs are checked against what the droplet really
 * gets.
 */
import { expect } from "chai";
import { HOST_RULES_PATH } from "../components/host/bootstrap";
import { volumeDevice } from "../components/host/cloudInit";
import { renderedCloudInit, sudoersOf } from "./docsCheck/hostAccess";
import { bootstrapFileOf, cloudInitOf, DO, one } from "./hostsFixtures";
import { variantResources } from "./variantRuns";

/** The sudo rules the bootstrap that a cloud-init writes installs. */
function sudoRules(userData: unknown): string {
    return sudoersOf(bootstrapFileOf(cloudInitOf(userData)));
}

describe("docs access: the cloud-init the docs test renders is the droplet's own (issue 17, friction 7)", function () {
    this.timeout(120_000);

    for (const stack of ["staging", "prod"])
        it(`${stack}: the droplet's registered user data installs the sudo rules rendered from the stack's config`, async () => {
            const droplet = one(await variantResources(stack), DO("droplet:Droplet"));
            const registered = sudoRules(droplet.inputs.userData);
            expect(registered).to.equal(sudoRules(renderedCloudInit(stack)));
            expect(registered)
                .to.contain(HOST_RULES_PATH)
                .and.to.contain(`resize2fs ${volumeDevice(`freshtrack-${stack}-data`)}`);
        });
});
