import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError } from "../components/config";
import { deployStack } from "../components/stack";
import { blastRadius } from "../scripts/lib/blastRadius";
import { RegisteredResource, SecretValue } from "../scripts/lib/mockRun";
import { loadStackSettings, StackSettings } from "../scripts/lib/stackFiles";
import { containerNamed, run, settingsWith } from "./helpers";
import { sharedRun } from "./variantRuns";

const IMAGE = "docker:index/image:Image";
const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
const PROVIDER = "pulumi:providers:docker";
const APP_CONTAINERS = ["backend", "worker", "frontend", "migrate"];

function checkout(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-checkout-"));
    fs.writeFileSync(
        path.join(dir, "Dockerfile"),
        "FROM node:22-alpine AS backend\nFROM backend AS worker\nFROM nginx:1.27-alpine AS frontend\n",
    );
    return dir;
}

function prodWith(extra: Record<string, unknown>, secretKeys: string[] = []): StackSettings {
    const prod = loadStackSettings("prod");
    const config = { ...prod.config };
    for (const [k, v] of Object.entries(extra)) config[k] = typeof v === "string" ? v : JSON.stringify(v);
    return { ...prod, config, secretKeys: [...prod.secretKeys, ...secretKeys] };
}

async function configProblems(settings: StackSettings): Promise<string[]> {
    try {
        await run(deployStack, settings);
    } catch (err) {
        if (err instanceof ConfigError) return err.problems.map((p) => `${p.key}: ${p.expected}`);
        throw err;
    }
    return [];
}

const byType = (resources: RegisteredResource[], type: string) => resources.filter((r) => r.type === type);

describe("FreshTrack images from source or registry (freshtrack:appBuild)", () => {
    it("pulls pinned references when appBuild is not set, and builds nothing", async () => {
        const { resources } = await sharedRun(settingsWith({}));
        expect(byType(resources, IMAGE)).to.have.length(0);
        expect(byType(resources, REMOTE_IMAGE).map((r) => r.inputs.name)).to.include(
            "ghcr.io/freshtrack/freshtrack-backend:1.4.2",
        );
    });

    it("local target: pulls from a private registry with the configured credentials, which the provider would not take from `docker login`", async () => {
        // Rung 1 plus the provider's source: kw v4.5.0 pulls with registry_auth only (provider.go:235-243).
        const { resources } = await run(
            deployStack,
            settingsWith(
                { "freshtrack:appRegistryUsername": "freshtrack-ci", "freshtrack:appRegistryPassword": "token-123" },
                ["freshtrack:appRegistryPassword"],
            ),
        );
        const local = byType(resources, PROVIDER).find((p) => p.name === "local-docker")!;
        expect(local.inputs.registryAuth, "the local provider carries the credentials").to.be.instanceOf(SecretValue);
        const auth = JSON.parse(String((local.inputs.registryAuth as SecretValue).value)) as Array<
            Record<string, unknown>
        >;
        expect(auth).to.deep.equal([{ address: "ghcr.io", username: "freshtrack-ci", password: "token-123" }]);
        const pull = byType(resources, REMOTE_IMAGE).find((r) => r.name === "backend-image")!;
        expect(pull.options.provider?.startsWith(`${local.urn}::`)).to.equal(true);
        const { resources: anonymous } = await sharedRun(settingsWith({}));
        expect(byType(anonymous, PROVIDER).find((p) => p.name === "local-docker")!.inputs).to.not.have.property(
            "registryAuth",
        );
    });

    describe("local target", () => {
        let resources: RegisteredResource[];
        before(async () => {
            resources = (
                await run(
                    deployStack,
                    settingsWith({
                        "freshtrack:appBuild": { context: checkout(), targets: { worker: "worker-runtime" } },
                    }),
                )
            ).resources;
        });

        it("builds backend, worker and frontend from the checkout, with the Dockerfile, stage and platform configured", () => {
            const builds = byType(resources, IMAGE);
            expect(builds.map((b) => b.name).sort()).to.deep.equal(["backend-build", "frontend-build", "worker-build"]);
            const worker = builds.find((b) => b.name === "worker-build")!;
            const build = worker.inputs.build as Record<string, string>;
            expect(build.dockerfile).to.equal(path.join(build.context!, "Dockerfile"));
            expect(build).to.include({ target: "worker-runtime", platform: "linux/amd64" });
            expect(worker.inputs).to.include({
                imageName: "ghcr.io/freshtrack/freshtrack-worker:1.4.2",
                skipPush: true,
            });
            expect(worker.inputs.registry).to.equal(undefined);
        });

        it("builds on the daemon that runs the containers, which run the build's image ID without a pull", () => {
            const hostProvider = byType(resources, PROVIDER).find((p) => p.name === "local-docker")!;
            for (const b of byType(resources, IMAGE))
                expect(b.options.provider?.startsWith(`${hostProvider.urn}::`), b.name).to.equal(true);
            const backendBuild = byType(resources, IMAGE).find((b) => b.name === "backend-build")!;
            for (const name of ["backend", "migrate"]) {
                expect(containerNamed(resources, name).inputs.image).to.match(/^sha256:[0-9a-f]{64}$/);
                expect(containerNamed(resources, name).options.dependsOn).to.include(backendBuild.urn);
            }
            const pulled = byType(resources, REMOTE_IMAGE).map((r) => r.name);
            for (const name of ["backend", "worker", "frontend", "migrate"])
                expect(pulled).to.not.include(`${name}-image`);
        });
    });

    describe("droplet target", () => {
        const credentials = {
            "freshtrack:appRegistryUsername": "freshtrack-ci",
            "freshtrack:appRegistryPassword": "token-123",
        };

        it("refuses a remote build without registry credentials, naming the key", async () => {
            const problems = await configProblems(prodWith({ "freshtrack:appBuild": { context: checkout() } }));
            expect(problems).to.have.length(1);
            expect(problems[0]).to.match(
                /^freshtrack:appRegistryPassword: a secret token that can push .* droplet target/,
            );
        });

        it("builds on the operator's daemon, pushes with the secret credentials, and the droplet pulls by digest with them", async () => {
            const { resources } = await run(
                deployStack,
                prodWith({ "freshtrack:appBuild": { context: checkout() }, ...credentials }, [
                    "freshtrack:appRegistryPassword",
                ]),
            );
            const builder = byType(resources, PROVIDER).find((p) => p.name === "app-images-local-docker")!;
            expect(builder.inputs.host).to.equal(undefined);
            const backend = byType(resources, IMAGE).find((b) => b.name === "backend-build")!;
            expect(backend.options.provider?.startsWith(`${builder.urn}::`)).to.equal(true);
            expect(backend.inputs.skipPush).to.equal(false);
            const registry = backend.inputs.registry as Record<string, unknown>;
            expect(registry).to.include({ server: "ghcr.io", username: "freshtrack-ci" });
            expect(registry.password).to.be.instanceOf(SecretValue);
            const pull = byType(resources, REMOTE_IMAGE).find((r) => r.name === "backend-image")!;
            expect(pull.inputs.name).to.match(/^ghcr\.io\/freshtrack\/freshtrack-backend@sha256:[0-9a-f]{64}$/);
            const dropletDocker = byType(resources, PROVIDER).find((p) => p.name === "droplet-docker")!;
            // The password makes the whole setting secret, so it is encrypted in state.
            expect(dropletDocker.inputs.registryAuth).to.be.instanceOf(SecretValue);
            const auth = JSON.parse(String((dropletDocker.inputs.registryAuth as SecretValue).value)) as Array<
                Record<string, unknown>
            >;
            expect(auth).to.deep.equal([{ address: "ghcr.io", username: "freshtrack-ci", password: "token-123" }]);
        });
    });

    it("replaces nothing when the source is unchanged, and only the containers of an image whose build changed", async () => {
        const context = checkout();
        const settings = (targets: Record<string, string>) =>
            settingsWith({ "freshtrack:appBuild": { context, targets } });
        const first = await run(deployStack, settings({}));
        const again = await run(deployStack, settings({}));
        expect(blastRadius(first.resources, again.resources).changes).to.deep.equal([]);
        const rebuilt = await run(deployStack, settings({ frontend: "frontend-slim" }));
        const radius = blastRadius(first.resources, rebuilt.resources);
        expect(radius.containers.replace).to.deep.equal(["frontend"]);
        // docker.Image is never replaced: a new build is an update of the same resource.
        expect(radius.changes.filter((c) => c.type === IMAGE).map((c) => `${c.name} ${c.verdict}`)).to.deep.equal([
            "frontend-build update",
        ]);
        expect(APP_CONTAINERS.filter((c) => radius.containers.replace.includes(c))).to.deep.equal(["frontend"]);
    });

    it("names the key of a context or Dockerfile that does not exist, before anything is registered", async () => {
        const problems = await configProblems(
            settingsWith({ "freshtrack:appBuild": { context: "/nonexistent/freshtrack" } }),
        );
        expect(problems).to.deep.equal([
            "freshtrack:appBuild.context: a directory (resolved to /nonexistent/freshtrack, which does not exist)",
        ]);
        const noDockerfile = await configProblems(
            settingsWith({ "freshtrack:appBuild": { context: checkout(), dockerfile: "docker/Backend.Dockerfile" } }),
        );
        expect(noDockerfile[0]).to.match(
            /^freshtrack:appBuild.dockerfile: a file in the build context \(.*docker\/Backend.Dockerfile does not exist\)$/,
        );
    });
});
