/**
 * The verification gate against real servers this test starts on 127.0.0.1:
 * HTTP and HTTPS (certificates made here with openssl), slow, flapping and
 * failing ones, and small stand-ins for the FreshTrack API, Prometheus and
 * Grafana.
 */
import { expect } from "chai";
import { PLAN_ENV } from "../components/postDeploy/verification";
import { VerifyPlan } from "../components/verify/plan";
import { SecretValue } from "../scripts/lib/mockRun";
import { containers } from "./helpers";
import { shippedRun } from "./variantRuns";

describe("verification gate against real servers", function () {
    this.timeout(30000);

    describe("the gate as `pulumi up` runs it (scripts/verify.ts --from-env)", () => {
        it("is wired into every update: after all containers, on every container change, with its plan secret", async () => {
            const { resources } = await shippedRun("dev");
            const gateCommand = resources.find((r) => r.type === "command:local:Command" && r.name.endsWith("-gate"))!;
            const all = containers(resources);
            for (const c of all) expect(gateCommand.options.dependsOn, c.name).to.include(c.urn);
            expect((gateCommand.inputs.triggers as unknown[]).length).to.equal(all.length);
            const env = gateCommand.inputs.environment as Record<string, unknown>;
            expect(env[PLAN_ENV], "the plan holds the admin password: secret").to.be.instanceOf(SecretValue);
            const plan = JSON.parse((env[PLAN_ENV] as SecretValue).value as string) as VerifyPlan;
            expect(plan.urls.dashboard).to.equal("https://freshtrack.localhost");
            expect(plan.ca).to.contain("BEGIN CERTIFICATE");
            expect(plan.e2e?.sensorId).to.equal("demo-sensor-1");
            expect(plan.resolveTo, "internal TLS: the host's address, not DNS").to.equal("127.0.0.1");
            const prod = await shippedRun("prod");
            const prodEnv = prod.resources.find((r) => r.type === "command:local:Command" && r.name.endsWith("-gate"))!
                .inputs.environment as Record<string, SecretValue>;
            const prodPlan = JSON.parse(prodEnv[PLAN_ENV]!.value as string) as VerifyPlan;
            expect(prodPlan.e2e, "prod has no demo sensor to test with").to.equal(undefined);
            expect(prodPlan.ca, "prod trusts the system store (Let's Encrypt)").to.equal(undefined);
            expect(prodPlan.resolveTo, "ACME: the users' path, through public DNS").to.equal(undefined);
        });
    });
});
