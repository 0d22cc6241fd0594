/**
 * The FreshTrack application's settings: image references (appImages with appVersion), the registry login, a build
 * from a checkout (appBuild) and the commands run in the images.
 */
import { ImageRef, parseImageRef } from "../validation";
import { Target } from "./schema";
import { Source } from "./source";
import { AppBuild, AppImages, RegistryAuth } from "./types";

/** The three image references. `versionValid` false: appVersion was reported, so tags taken from it are not. */
export function readImages(src: Source, version: string, versionValid: boolean): AppImages {
    const key = src.key("appImages");
    const given = src.fields("appImages");
    const image = (name: keyof AppImages): ImageRef => {
        // A bare name gets the registry; a name without a tag gets appVersion.
        const withRegistry = given[name].includes("/") ? given[name] : `${given.registry}/${given[name]}`;
        const lastPart = withRegistry.slice(withRegistry.lastIndexOf("/") + 1);
        const ownTag = lastPart.includes(":") || lastPart.includes("@");
        const full = ownTag ? withRegistry : `${withRegistry}:${version}`;
        const parsed = parseImageRef(full);
        if (typeof parsed === "string") {
            if (ownTag || versionValid) src.problems.add(`${key}.${name}`, full, parsed);
            return { repository: withRegistry, tag: version, ref: full };
        }
        return parsed;
    };
    return { backend: image("backend"), worker: image("worker"), frontend: image("frontend") };
}

export function readRegistryAuth(src: Source, images: AppImages): RegistryAuth | undefined {
    const username = src.read("appRegistryUsername").value;
    // Set or not, as the rules below ask; a set one its check refused reads as undefined, its problem recorded.
    const passwordSet = (src.text("appRegistryPassword") ?? "") !== "";
    const password = src.optionalSecret("appRegistryPassword");
    if (username === "" && !passwordSet) return undefined;
    if (username === "") {
        const expected = "the registry user that goes with freshtrack:appRegistryPassword";
        src.problems.add(src.key("appRegistryUsername"), username, expected);
        return undefined;
    }
    if (!passwordSet) {
        const expected = `a secret token for ${username} (pulumi config set --secret appRegistryPassword ... --stack ${src.raw.stack})`;
        src.problems.add(src.key("appRegistryPassword"), undefined, expected);
        return undefined;
    }
    if (!password) return undefined;
    // The registry host of the backend image; the three images live in one registry.
    const first = images.backend.repository.split("/")[0]!;
    const server = first.includes(".") || first.includes(":") || first === "localhost" ? first : "docker.io";
    return { server, username, password };
}

export function readAppBuild(
    src: Source,
    target: Target,
    registryAuth: RegistryAuth | undefined,
): AppBuild | undefined {
    const key = src.key("appBuild");
    const obj = src.object("appBuild");
    if (Object.keys(obj).length === 0) return undefined;
    const { context: contextRaw, dockerfile, platform, targets } = src.fields("appBuild");
    if (contextRaw === "") return undefined;
    const files = src.raw.files;
    const context = files.resolve(contextRaw);
    if (!files.isDirectory(context)) {
        src.problems.add(`${key}.context`, contextRaw, `a directory (resolved to ${context}, which does not exist)`);
    } else if (!files.isFile(files.resolve(context, dockerfile))) {
        const where = files.resolve(context, dockerfile);
        src.problems.add(`${key}.dockerfile`, dockerfile, `a file in the build context (${where} does not exist)`);
    }
    const push = target !== "local";
    if (push && !registryAuth) {
        src.problems.add(
            src.key("appRegistryPassword"),
            undefined,
            `a secret token that can push to the registry of freshtrack:appImages, because appBuild builds images for the ${target} target (and freshtrack:appRegistryUsername)`,
        );
    }
    return { context, dockerfile, targets, platform, push };
}
