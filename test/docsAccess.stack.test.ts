/**
 * test/docsAccess.test.ts checks the docs against the sudo rules of a cloud-init it renders itself
 * (test/docsCheck/hostAccess.ts, accessOf), from each shipped droplet stack's config (issue 17, friction 7). Rung 1
 * (whole stack under the SDK's mocks): that render holds the same sudo rules as the user data the program registers
 * for the stack's droplet, the data volume's device included, so the docs are checked against what the droplet really
 * gets.
 */
import { expect } from "chai";
import * as YAML from "yaml";
import { BOOTSTRAP_PATH, HOST_RULES_PATH } from "../components/host/bootstrap";
import { renderCloudInit, volumeDevice } from "../components/host/cloudInit";
import { loadStackConfigFor } from "../scripts/lib/stackFiles";
import { DO, one, revealed, SAMPLE, SAMPLE_HOST_KEY } from "./hostsFixtures";
import { variantResources } from "./variantRuns";

/** The heredoc of sudo rules in the bootstrap that a cloud-init writes. */
function sudoRules(cloudInit: string): string {
    const doc = YAML.parse(cloudInit.replace(/^#cloud-config\n/, "")) as {
        write_files: Array<{ path: string; content: string }>;
    };
    const script = doc.write_files.find((f) => f.path === BOOTSTRAP_PATH)?.content ?? "";
    return /<<'SUDOERS'\n([\s\S]*?)^SUDOERS$/m.exec(script)?.[1] ?? "(no sudo rules)";
}

describe("docs access: the cloud-init the docs test renders is the droplet's own (issue 17, friction 7)", function () {
    this.timeout(120_000);

    for (const stack of ["staging", "prod"])
        it(`${stack}: the droplet's registered user data installs the sudo rules rendered from the stack's config`, async () => {
            const droplet = one(await variantResources(stack), DO("droplet:Droplet"));
            const cfg = loadStackConfigFor(stack);
            const rendered = renderCloudInit({
                deployKeys: SAMPLE.deployKeys,
                adminCidrs: cfg.adminCidrs,
                volumeName: `${cfg.namePrefix}-data`,
                hostKey: SAMPLE_HOST_KEY,
            });
            const registered = sudoRules(String(revealed(droplet.inputs.userData)));
            expect(registered).to.equal(sudoRules(rendered));
            expect(registered)
                .to.contain(HOST_RULES_PATH)
                .and.to.contain(`resize2fs ${volumeDevice(`freshtrack-${stack}-data`)}`);
        });
});
