/**
 * The stacks whose URNs test/fixtures/urns.json records (test/urnStabilityFixtures.ts --record) and checks
 * (test/urnStability.stack.test.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadStackSettings, StackSettings } from "../scripts/lib/stackFiles";
import { settingsWith, withOffsite } from "./helpers";

let checkout: string | undefined;

/**
 * A FreshTrack checkout for freshtrack:appBuild: the config refuses a context that is not a directory or has no
 * Dockerfile (components/config/app.ts readAppBuild), so one is made, once per process. Its path is an input of the
 * builds, never part of a URN.
 */
function appCheckout(): string {
    if (checkout === undefined) {
        checkout = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-urn-checkout-"));
        const stages = [
            "FROM node:22-alpine AS backend",
            "FROM backend AS worker",
            "FROM nginx:1.27-alpine AS frontend",
        ];
        fs.writeFileSync(path.join(checkout, "Dockerfile"), `${stages.join("\n")}\n`);
        const made = checkout;
        process.once("exit", () => fs.rmSync(made, { recursive: true, force: true }));
    }
    return checkout;
}

/** A shipped stack that builds the app images from a checkout (freshtrack:appBuild) instead of pulling them. */
function building(stack: string, registryLogin: boolean): StackSettings {
    const settings = loadStackSettings(stack);
    settings.config["freshtrack:appBuild"] = JSON.stringify({ context: appCheckout() });
    if (registryLogin) {
        // A remote target pushes what it builds, which the config allows only with a login for the registry.
        settings.config["freshtrack:appRegistryUsername"] = "freshtrack-ci";
        settings.config["freshtrack:appRegistryPassword"] = "registry-token";
        settings.secretKeys.push("freshtrack:appRegistryPassword");
    }
    return settings;
}

/**
 * The stacks whose URNs were recorded: the three shipped ones and the variants the shipped files switch to with one
 * key (or two: a remote build needs its registry login).
 */
export const URN_VARIANTS: Readonly<Record<string, () => StackSettings>> = {
    dev: () => loadStackSettings("dev"),
    staging: () => loadStackSettings("staging"),
    prod: () => loadStackSettings("prod"),
    "prod with an offsite copy": () => withOffsite(loadStackSettings("prod")),
    "staging with managed PostgreSQL": () => {
        const settings = loadStackSettings("staging");
        settings.config["freshtrack:database"] = JSON.stringify({ mode: "managed" });
        return settings;
    },
    "an existing VM over SSH": () =>
        settingsWith(
            {
                "freshtrack:target": "ssh",
                "freshtrack:tlsMode": "acme",
                "freshtrack:adminCidrs": ["198.51.100.0/24"],
                "freshtrack:ssh": {
                    host: "vm.example.net",
                    user: "admin",
                    hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILSEL3mlyPpCGaUNBxcpStcsu+5bt0IiOM455EXcf9/y",
                },
                "freshtrack:sshPrivateKey":
                    "-----BEGIN OPENSSH PRIVATE KEY-----\nadmin\n-----END OPENSSH PRIVATE KEY-----\n",
            },
            ["freshtrack:sshPrivateKey"],
            "ssh",
        ),
    // AppImageBuilds and its docker.Image builds exist only with freshtrack:appBuild (services/appImages.ts): on the
    // local target they build on the stack's own daemon; elsewhere on a Docker provider of the operator's machine, and
    // push.
    "dev building the app images on its daemon": () => building("dev", false),
    "prod building the app images and pushing them": () => building("prod", true),
};
