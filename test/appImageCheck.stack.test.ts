/**
 * The FreshTrack image check in the program (issue 17, friction 1: before anything of the app is pulled, a user without
 * the images is told what to do). Rung 1 (mocks), on the stacks of test/urnVariants.ts and two variants of dev:
 *
 * - local target: an `app-images-check` command on this machine runs the rendered check, and every pull of a FreshTrack
 *   image (backend, worker, frontend, and the migration and demo-data jobs in the backend image) waits for it;
 * - droplet and ssh targets: the pre-flight carries the check, and those pulls wait for the host's readiness, the
 *   pre-flight included;
 * - a stack that builds its images (freshtrack:appBuild) has no check, and its pulls by digest wait for none;
 * - the pinned public images are not the check's business: their pulls wait for nothing new.
 *
 * What the script does when run is test/appImageCheck.servers.test.ts's.
 */
import { expect } from "chai";
import { appImageCheck, renderAppImageCheckScript } from "../components/preflight/appImageCheck";
import { deployStack } from "../components/stack";
import { parseImageRef } from "../components/validation";
import { RegisteredResource, unwrapSecrets } from "../scripts/lib/mockRun";
import { loadStackSettings } from "../scripts/lib/stackFiles";
import { run } from "./helpers";
import { variantResources } from "./variantRuns";

const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
const CHECK = "app-images-check";
/** The services that run a FreshTrack image, each with its own pull. */
const APP_PULLS = ["backend-image", "worker-image", "frontend-image", "migrate-image", "demo-data-image"];
const DEV_REFS = ["backend", "worker", "frontend"].map((n) => `ghcr.io/freshtrack/freshtrack-${n}:1.4.2`);

const named = (resources: readonly RegisteredResource[], name: string) => resources.find((r) => r.name === name);
const pulls = (resources: readonly RegisteredResource[]) => resources.filter((r) => r.type === REMOTE_IMAGE);
const appPulls = (resources: readonly RegisteredResource[]) =>
    pulls(resources).filter((r) => APP_PULLS.includes(r.name));

function refOf(ref: string) {
    const parsed = parseImageRef(ref);
    if (typeof parsed === "string") throw new Error(parsed);
    return parsed;
}

describe("FreshTrack image check in the program (issue 17, friction 1; rung 1, mocks)", function () {
    this.timeout(120_000);

    describe("dev (local target)", () => {
        let resources: readonly RegisteredResource[];
        before(async () => {
            resources = await variantResources("dev");
        });

        it("runs the rendered check for dev's three references on this machine, on every change of them", () => {
            const check = named(resources, CHECK)!;
            expect(check, "no app-images-check command").to.not.equal(undefined);
            expect(check.type).to.equal("command:local:Command");
            const [backend, worker, frontend] = DEV_REFS.map(refOf);
            const script = renderAppImageCheckScript(
                appImageCheck({ backend: backend!, worker: worker!, frontend: frontend! }, "dev", "local", false),
            );
            expect(check.inputs).to.deep.include({ create: "sh -s", stdin: script, triggers: [script] });
            // The provider's own default daemon: DOCKER_HOST or the default socket, as the Docker provider's.
            expect(check.inputs.environment).to.equal(undefined);
        });

        it("makes every pull of a FreshTrack image wait for it, and no pull of a public image", () => {
            const check = named(resources, CHECK)!;
            expect(appPulls(resources).map((p) => p.name)).to.have.members(APP_PULLS);
            for (const pull of appPulls(resources)) expect(pull.options.dependsOn, pull.name).to.include(check.urn);
            const others = pulls(resources).filter((p) => !APP_PULLS.includes(p.name));
            expect(others.length).to.be.greaterThan(10);
            for (const pull of others) expect(pull.options.dependsOn, pull.name).to.deep.equal([]);
        });
    });

    it("with a registry login, tells the check so, and keeps the login out of the script", async () => {
        const settings = loadStackSettings("dev");
        settings.config["freshtrack:appRegistryUsername"] = "freshtrack-ci";
        settings.config["freshtrack:appRegistryPassword"] = "registry-token-7";
        settings.secretKeys.push("freshtrack:appRegistryPassword");
        const { resources } = await run(deployStack, settings);
        const stdin = String((unwrapSecrets(named(resources, CHECK)!.inputs) as Record<string, unknown>).stdin);
        expect(stdin).to.contain("\nAPP_IMAGES_LOGIN=yes\n");
        expect(stdin).to.not.contain("registry-token-7");
    });

    for (const [variant, preflight] of [
        ["prod", "droplet-preflight"],
        ["an existing VM over SSH", "ssh-preflight"],
    ] as const)
        it(`${variant}: the pre-flight checks the images on the host, and every FreshTrack pull waits for it`, async () => {
            const resources = await variantResources(variant);
            expect(named(resources, CHECK)).to.equal(undefined);
            const pf = named(resources, preflight)!;
            const stdin = String(pf.inputs.stdin);
            expect(stdin).to.contain(`\nAPP_IMAGES="${DEV_REFS.join(" ")}"\n`);
            expect(stdin).to.contain("\nAPP_IMAGES_LOGIN=no\n");
            expect(stdin).to.contain("(built on your machine and pushed to the appImages registry");
            expect(appPulls(resources).map((p) => p.name)).to.include.members(["backend-image", "migrate-image"]);
            for (const pull of appPulls(resources)) expect(pull.options.dependsOn, pull.name).to.include(pf.urn);
            for (const pull of pulls(resources).filter((p) => !APP_PULLS.includes(p.name)))
                expect(pull.options.dependsOn, pull.name).to.not.include(pf.urn);
        });

    for (const variant of [
        "dev building the app images on its daemon",
        "prod building the app images and pushing them",
    ])
        it(`${variant}: no check, and nothing waits for one (appBuild)`, async () => {
            const resources = await variantResources(variant);
            expect(named(resources, CHECK)).to.equal(undefined);
            const pf = resources.find((r) => r.name.endsWith("-preflight"));
            if (pf) expect(String(pf.inputs.stdin)).to.not.contain("APP_IMAGES");
            // Remote builds are pulled by digest (Service's RemoteImage), once built; they wait for nothing else.
            const notABuild = (urn: string) => !urn.includes("$docker:index/image:Image::");
            for (const pull of appPulls(resources))
                expect(pull.options.dependsOn.filter(notABuild), pull.name).to.deep.equal([]);
        });
});
