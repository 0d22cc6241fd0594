import { ResourceValidationPolicy } from "@pulumi/policy";
import * as docker from "@pulumi/docker";
import { containerPolicy, typedCheck } from "../lib";

const LOOPBACK = ["127.0.0.1", "::1"];

export const containerPublishedPorts = containerPolicy({
    name: "container-published-ports",
    description:
        "Only ports 80 and 443 are published beyond 127.0.0.1. Docker-published ports bypass UFW, so binding is the control. Fix: publish other ports on 127.0.0.1 (the Service default) and reach them over SSH.",
    enforcementLevel: "mandatory",
    config: {
        publicPorts: {
            type: "array",
            items: { type: "integer" },
            default: [80, 443],
            description: "Host ports that may listen on every interface.",
        },
    },
    check: (container, report, config: { publicPorts: number[] }) => {
        for (const p of container.ports ?? []) {
            const hostPort = p.external ?? p.internal;
            const ip = p.ip ?? "0.0.0.0";
            if (!LOOPBACK.includes(ip) && !config.publicPorts.includes(hostPort))
                report(`publishes port ${hostPort} on ${ip}; bind it to 127.0.0.1.`);
        }
    },
});

const SECRET_KEY = /(PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL)/i;

export const containerNoSecretEnv = containerPolicy({
    name: "container-no-secret-env",
    description:
        "No environment variable that looks like a credential (PASSWORD, SECRET, TOKEN, KEY) carries a value: env shows in docker inspect. Fix: deliver it as a secret file and pass its path in <NAME>_FILE.",
    enforcementLevel: "mandatory",
    check: (container, report) => {
        for (const entry of container.envs ?? []) {
            const eq = entry.indexOf("=");
            const key = eq < 0 ? entry : entry.slice(0, eq);
            const value = eq < 0 ? "" : entry.slice(eq + 1);
            if (SECRET_KEY.test(key) && !/_FILE$/i.test(key) && value !== "")
                report(`env ${key} carries a value; move it to a secret file and set ${key}_FILE.`);
        }
    },
});

/** A reference names one build when it has a digest, or a tag other than latest. */
export function isPinnedReference(ref: string): boolean {
    if (/^sha256:[a-f0-9]+/.test(ref) || ref.includes("@sha256:")) return true;
    const lastPart = ref.slice(ref.lastIndexOf("/") + 1);
    const colon = lastPart.indexOf(":");
    return colon >= 0 && lastPart.slice(colon + 1) !== "latest" && lastPart.slice(colon + 1) !== "";
}

function checkPinned(ref: unknown, report: (message: string) => void): void {
    const text = String(ref);
    if (!isPinnedReference(text)) report(`image '${text}' is not pinned.`);
}

/** Two typed checks, one per class that names an image: a container's `image`, a pulled image's `name`. */
export const imagePinned: ResourceValidationPolicy = {
    name: "image-pinned",
    description:
        "Every image is pinned to a tag other than latest, or to a digest, so an update never changes what runs by surprise. Fix: pin the tag in components/images.ts or freshtrack:appVersion.",
    enforcementLevel: "mandatory",
    configSchema: { properties: {} },
    validateResource: [
        typedCheck(docker.Container, (container, report) => checkPinned(container.image, report)),
        typedCheck(docker.RemoteImage, (image, report) => checkPinned(image.name, report)),
    ],
};
