/**
 * The FreshTrack image check (issue 17, friction 1): before any FreshTrack image is pulled, each of backend, worker and
 * frontend must be on the Docker daemon that runs the stack or be in its registry. When one is neither, the update
 * stops with one message that names every such image and the three ways to get them (docs/operations.md, "Where the
 * FreshTrack images come from").
 *
 * Without it, a user who has none of the images sees the provider's pull error, once per image and with no word on
 * what to do: `Unable to read Docker image into resource: unable to pull image <ref>: error pulling image <ref>: <the
 * daemon's reason>` (kreuzwerker/terraform-provider-docker v4.5.0 internal/provider/resource_docker_image_funcs.go:51,
 * :361, :267; @pulumi/docker's RemoteImage is that provider's docker_image).
 *
 * The check runs where the pull runs and only when the stack pulls: on the local target as a command on this machine
 * that every pull of a FreshTrack image waits for (appImageCheckCommand, from components/services/appImages.ts); on
 * droplet and ssh hosts inside the pre-flight (components/preflight/preflight.ts), which those pulls wait for too. A
 * stack that builds its images (freshtrack:appBuild) has nothing to check.
 *
 * The pinned public images (components/images.ts) are not checked, on dev either, by choice (issue 17, operator pass).
 * Their tags exist and need no login, so what fails their pull is mostly a daemon that cannot reach the registry
 * (offline, or over a rate limit), and the provider's error above then names the image and the daemon's reason, which
 * says what to do; the FreshTrack images needed this check because their error could not say where to get them. Their
 * pulls do not wait for this check (only the FreshTrack pulls do: ImagePullArgs.imageDependsOn in
 * components/service.ts), so checking them here would add one message beside those errors, not stop them. And the
 * registry half of the check costs a pull on Docker Hub: `docker manifest inspect` fetches the manifest with a GET
 * (docker/cli v28.2.2 cli/registry/client/fetcher.go:67, vendor/github.com/docker/distribution/registry/client/
 * repository.go:468), and "Using GET emulates a real pull and counts towards the limit" (docker/docs
 * content/manuals/docker-hub/usage/pulls.md, in its section on viewing the pull rate and limit), so a first dev
 * deploy would count each missing public image twice against an unauthenticated address's limit.
 *
 * It runs during `pulumi up`, never while the program is evaluated: the program calls nothing at evaluation
 * (test/programInvokes.test.ts), and a command does not run in a preview (pulumi-command v1.2.1
 * provider/pkg/provider/local/commandController.go, Create: "If in preview, don't run the command").
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { AppImages, Target } from "../config";

/** What the check is given: the references the stack pulls, and what its message needs to say how to get them. */
export interface AppImageCheck {
    /** The references the stack pulls: backend, worker and frontend (freshtrack:appImages with appVersion). */
    readonly refs: readonly string[];
    /** The Pulumi stack's name, which the config commands in the message name with `--stack`. */
    readonly stack: string;
    /** The stack's target (freshtrack:target): a build for a remote host is pushed, which needs a registry login. */
    readonly target: Target;
    /**
     * Whether the stack pulls with a registry login (freshtrack:appRegistryUsername). The check does not hold it (the
     * login lives in the Docker provider's configuration, not in the docker CLI's), so it then asks the registry
     * nothing and only reports what the daemon already has.
     */
    readonly registryLogin: boolean;
}

/** The check for a stack that pulls its FreshTrack images (none is made for one that builds them). */
export function appImageCheck(images: AppImages, stack: string, target: Target, registryLogin: boolean): AppImageCheck {
    return { refs: [images.backend.ref, images.worker.ref, images.frontend.ref], stack, target, registryLogin };
}

/** The first line of the standalone script: test/commandPrograms.stack.test.ts pins the program by it. */
export const APP_IMAGE_CHECK_HEADER =
    "#!/bin/sh\n# freshtrack-app-images, rendered by components/preflight/appImageCheck.ts\n";

function word(value: string, what: string): string {
    // References passed parseImageRef and stack names Pulumi's rules; this only keeps the script's quoting sound.
    if (!/^[A-Za-z0-9_.:/@-]+$/.test(value)) throw new Error(`app image check: refusing ${what} '${value}'`);
    return value;
}

/** What the message tells the user to do, with the exact config commands for this stack. */
export function appImagesFix(c: AppImageCheck): string {
    const set = `pulumi config set --stack ${word(c.stack, "the stack name")}`;
    const remote = c.target !== "local";
    const daemon = remote ? "the Docker daemon on the host" : "the Docker daemon on this machine";
    return [
        `get them one of three ways (docs/operations.md, "Where the FreshTrack images come from"):`,
        `    a) pull a published release: set a version whose three images exist where ${daemon} can pull`,
        "       them, and for a private registry the login it pulls with (docker login is not read):",
        `         ${set} appVersion <release>`,
        `         ${set} appRegistryUsername <user>`,
        `         ${set} --secret appRegistryPassword <token with read access>`,
        "    b) build them from a FreshTrack checkout whose Dockerfile has the stages backend, worker and frontend:",
        `         ${set} --path appBuild.context ../freshtrack-pro`,
        ...(remote
            ? [
                  "       (built on your machine and pushed to the appImages registry: set the login above, with write access)",
              ]
            : []),
        "    c) push them to a registry of your own and point the stack at it:",
        `         ${set} --path appImages.registry <registry host>/<namespace>`,
        `    then run the update again; check a reference with docker manifest inspect <reference> on ${remote ? "the host" : "this machine"}`,
    ].join("\n");
}

/**
 * The check as lines of POSIX sh, for a script that defines `ok WHAT SAW` and `fail WHAT SAW FIX` (the pre-flight's
 * own, or renderAppImageCheckScript's). An image passes when the daemon has it under that reference, which the
 * provider then uses without a pull (kreuzwerker v4.5.0 resource_docker_image_funcs.go:353-359, findImage looks
 * locally first), or when the registry answers for it: `docker manifest inspect` asks the registry from the client and
 * pulls nothing (docker/cli v28.2.2 cli/command/manifest/inspect.go:77-89). Its `experimentalCLI` mark only labels
 * the help text from Docker 20.10 on, without a setting to turn it on (docker/cli v20.10.24 and v28.2.2: cli/cobra.go,
 * isExperimental, used by the help template; cmd/docker/docker.go gates only the daemon's `experimental` mark).
 */
export function renderAppImageLines(c: AppImageCheck): string {
    const fix = appImagesFix(c);
    if (fix.includes("'")) throw new Error("app image check: the message must not hold a single quote");
    return `# The FreshTrack images (components/preflight/appImageCheck.ts): on this daemon, or in their registry.
APP_IMAGES="${c.refs.map((r) => word(r, "the image reference")).join(" ")}"
APP_IMAGES_LOGIN=${c.registryLogin ? "yes" : "no"}
APP_IMAGES_FIX='${fix}'
app_images_total=0
app_images_missing=0
app_images_saw=""
for ref in $APP_IMAGES; do
  app_images_total=$((app_images_total + 1))
  if docker image inspect "$ref" >/dev/null 2>&1; then
    ok "FreshTrack image $ref" "on this Docker daemon"
  elif [ "$APP_IMAGES_LOGIN" = yes ]; then
    ok "FreshTrack image $ref" "not on this Docker daemon yet; pulled with freshtrack:appRegistryUsername, which this check does not log in with"
  elif why=$(docker manifest inspect "$ref" 2>&1 >/dev/null); then
    ok "FreshTrack image $ref" "in its registry"
  else
    app_images_missing=$((app_images_missing + 1))
    app_images_saw="$app_images_saw
    $ref: not on this daemon; docker manifest inspect: $(printf '%s' "$why" | tr -s '\\n' ' ')"
  fi
done
if [ "$app_images_missing" -gt 0 ]; then
  fail "the FreshTrack images are on this Docker daemon or can be pulled by it" "$app_images_missing of $app_images_total cannot be had:$app_images_saw" "$APP_IMAGES_FIX"
fi
`;
}

/** The check on its own, as the local target runs it: exits 1 with the message when an image cannot be had. */
export function renderAppImageCheckScript(c: AppImageCheck): string {
    return `${APP_IMAGE_CHECK_HEADER}set -u
failures=0
fail() { printf 'app images FAILED: %s\\n  saw: %s\\n  fix: %s\\n' "$1" "$2" "$3" >&2; failures=$((failures + 1)); }
ok() { printf 'app images ok: %s (%s)\\n' "$1" "$2"; }

${renderAppImageLines(c)}
if [ "$failures" -gt 0 ]; then
  echo "app images: no FreshTrack image was pulled and no FreshTrack container was created or changed" >&2
  exit 1
fi
`;
}

export interface AppImageCheckCommandArgs {
    /** What to check: the references the stack pulls and what the message says (appImageCheck). */
    readonly check: AppImageCheck;
    /**
     * The local daemon's address (the host's `dockerHost`). Unset, the docker CLI uses DOCKER_HOST or the default
     * socket, as the provider does.
     */
    readonly dockerHost?: pulumi.Input<string>;
}

/**
 * The check on the local target: a command on this machine, which every pull of a FreshTrack image waits for. It runs
 * again when its script changes (a reference, the login or the stack's name). A failed run is not kept in the state
 * (the provider returns the command's error without a partial state: pulumi-command v1.2.1
 * provider/pkg/provider/local/commandController.go, Create; pulumi-go-provider v1.3.0 infer/resource.go:1271-1293), so
 * the next update runs it again. The provider's error carries the script's output, the message included
 * (local/commandOutputs.go:113).
 */
export function appImageCheckCommand(
    name: string,
    args: AppImageCheckCommandArgs,
    opts?: pulumi.CustomResourceOptions,
): command.local.Command {
    const script = renderAppImageCheckScript(args.check);
    return new command.local.Command(
        name,
        {
            create: "sh -s",
            stdin: script,
            triggers: [script],
            ...(args.dockerHost !== undefined ? { environment: { DOCKER_HOST: args.dockerHost } } : {}),
        },
        opts,
    );
}
