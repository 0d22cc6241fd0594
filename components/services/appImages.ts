import * as docker from "@pulumi/docker";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { AppBuild, AppImages, RegistryAuth, StackConfig } from "../config";
import type { Host } from "../host/host";
import { appImageCheck, appImageCheckCommand } from "../preflight/appImageCheck";
import type { BuiltImage, ImagePullArgs } from "../service";

export type AppImageName = keyof AppImages;
const APP_IMAGE_NAMES: readonly AppImageName[] = ["backend", "worker", "frontend"];

/**
 * The user every FreshTrack container runs as (docs/app-contract.md, "User and filesystem"): the images must run as any
 * non-root uid, so the stack names one outside the ranges distributions give their own users and services.
 */
export const APP_IMAGE_USER = "10001:10001";

/** What each FreshTrack service runs: a pinned reference to pull, or a build of this stack. */
export interface AppImageSources extends Readonly<Record<AppImageName, string | BuiltImage>> {
    /**
     * What every pull of a pinned reference waits for: the check that the images can be had (the local target's
     * `app-images-check` command, or a remote host's readiness, whose pre-flight runs the check there). Absent when
     * the stack builds its images: nothing is pulled by reference then.
     */
    readonly pullAfter?: readonly pulumi.Resource[];
}

/** A FreshTrack service's image arguments: what it runs, and what the pull of it waits for. */
export function appServiceImage(
    sources: AppImageSources,
    image: AppImageName,
): { image: string | BuiltImage } & ImagePullArgs {
    return { image: sources[image], ...(sources.pullAfter ? { imageDependsOn: sources.pullAfter } : {}) };
}

export interface AppImageBuildsArgs {
    /** The checkout to build from (freshtrack:appBuild). */
    readonly build: AppBuild;
    /** The references to build under (freshtrack:appImages with appVersion). */
    readonly images: AppImages;
    /** The registry login that pushes them, when they are pushed. */
    readonly auth?: RegistryAuth;
    /** The target's Docker provider: a local build runs on the daemon that runs the stack. */
    readonly provider: docker.Provider;
}

/**
 * Builds the FreshTrack images from a checkout (`freshtrack:appBuild`), as the
 * old deploy.sh's build step did.
 *
 * - local target: built on the operator's Docker daemon, where the containers
 *   run; nothing is pushed.
 * - droplet and ssh targets: built on the operator's daemon and pushed to the
 *   registry of `freshtrack:appImages` with the secret registry credentials;
 *   the host pulls by digest, with the same credentials on its provider.
 *
 * docker.Image hashes the context (Dockerfile plus every file .dockerignore
 * keeps) and rebuilds only when that hash or a build input changes; its
 * repoDigest, which the containers run, changes only with a rebuild. An
 * unchanged checkout therefore replaces nothing (pulumi-docker
 * provider/image.go; docs of docker.Image, "Image name").
 */
export class AppImageBuilds extends pulumi.ComponentResource {
    readonly sources: AppImageSources;

    constructor(name: string, args: AppImageBuildsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:services:AppImageBuilds", name, {}, opts);
        const { build, auth } = args;
        // Remote builds run on the operator's own daemon (DOCKER_HOST or the default socket), not on the
        // production host, whose memory is budgeted for the stack.
        const builder = build.push ? new docker.Provider(`${name}-local-docker`, {}, { parent: this }) : args.provider;
        const sources = {} as Record<AppImageName, BuiltImage>;
        for (const image of APP_IMAGE_NAMES) {
            const built = new docker.Image(
                `${image}-build`,
                {
                    imageName: args.images[image].ref,
                    build: {
                        context: build.context,
                        dockerfile: path.join(build.context, build.dockerfile),
                        target: build.targets[image],
                        // Defaults to the operator's machine's architecture otherwise, which may not be the host's.
                        platform: build.platform,
                    },
                    skipPush: !build.push,
                    ...(build.push && auth
                        ? { registry: { server: auth.server, username: auth.username, password: auth.password } }
                        : {}),
                },
                { parent: this, provider: builder },
            );
            sources[image] = { reference: built.repoDigest, pulled: build.push };
        }
        this.sources = sources;
        this.registerOutputs({});
    }
}

/**
 * The images the app tier runs: built when the stack says so, pulled otherwise, each pull once the check that the
 * images can be had has passed (components/preflight/appImageCheck.ts). On the local target the check is a command on
 * this machine; on droplet and ssh hosts the pre-flight runs it (hostPreflight), so the pulls wait for the host's
 * readiness, which the pre-flight is part of.
 */
export function appImageSources(cfg: StackConfig, host: Host, opts?: pulumi.ComponentResourceOptions): AppImageSources {
    const { build, images, registryAuth } = cfg.app;
    if (build) {
        const args = { build, images, ...(registryAuth ? { auth: registryAuth } : {}), provider: host.provider };
        return new AppImageBuilds("app-images", args, opts).sources;
    }
    const pullAfter =
        cfg.target === "local"
            ? [
                  appImageCheckCommand(
                      "app-images-check",
                      {
                          check: appImageCheck(images, cfg.stack, cfg.target, registryAuth !== undefined),
                          ...(host.dockerHost !== undefined ? { dockerHost: host.dockerHost } : {}),
                      },
                      opts,
                  ),
              ]
            : host.ready;
    return {
        backend: images.backend.ref,
        worker: images.worker.ref,
        frontend: images.frontend.ref,
        pullAfter,
    };
}
