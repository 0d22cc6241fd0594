/**
 * The service catalog (issue 16, item 4): one spec per container. Rung 1 (mocks): what every shipped stack and its
 * variants register is compared with the specs, so a spec that drifts from its builder fails here; and the policy
 * pack's capability allowlist, kept by hand as an independent control, is compared with them.
 */
import { expect } from "chai";
import { SERVICE_SPECS, SERVICES, ServiceSpec } from "../components/catalog";
import { parseStackConfig, StackConfig } from "../components/config";
import { PUBLIC_IMAGES } from "../components/images";
import { deployStack } from "../components/stack";
import { RegisteredResource, runUnderMocks } from "../scripts/lib/mockRun";
import { rawConfigOf } from "../scripts/lib/stackFiles";
import { containers } from "./helpers";
import { URN_VARIANTS } from "./urnVariants";

/** Whether a stack with these settings runs the service, by the spec's own words. */
function runsOn(spec: ServiceSpec, cfg: StackConfig): boolean {
    switch (spec.runs) {
        case "always":
            return true;
        case "with a self-hosted PostgreSQL":
            return cfg.database.mode === "container";
        case "with freshtrack:demoData":
            return cfg.demoData;
        case "with freshtrack:backup.offsite":
            return cfg.backup.offsite !== undefined;
    }
}

/** How the container's health check differs from what its spec says it proves; undefined when it does not. */
function healthProblem(spec: ServiceSpec, container: RegisteredResource, cfg: StackConfig): string | undefined {
    const check = container.inputs.healthcheck as { tests?: string[] } | undefined;
    const text = (check?.tests ?? []).join(" ");
    const h = spec.health;
    if (h === "none: a job runs to completion") return check === undefined ? undefined : `a job with a check: ${text}`;
    if (check === undefined) return "no health check";
    if ("get" in h) {
        return text.includes(String(spec.port)) && text.includes(h.get)
            ? undefined
            : `expected a GET of ${h.get} on port ${spec.port}, got ${text}`;
    }
    if ("command" in h)
        return text.includes(h.command.join(" ")) ? undefined : `expected ${h.command.join(" ")}, got ${text}`;
    const fromConfig: Record<string, string> = {
        "freshtrack:appCommands.workerHealthcheck": cfg.app.commands.workerHealthcheck,
    };
    const command = fromConfig[h.fromConfig];
    if (command === undefined) return `no such setting: ${h.fromConfig}`;
    return text.includes(command) ? undefined : `expected ${command} (${h.fromConfig}), got ${text}`;
}

/**
 * The network keys a container joins: its networks' names less the stack's prefix (edge is edge-dualstack on servers).
 */
function networkKeys(container: RegisteredResource, namePrefix: string): string[] {
    const networks = container.inputs.networksAdvanced as Array<{ name: string }>;
    return networks.map((n) => n.name.slice(namePrefix.length + 1).replace(/-dualstack$/, "")).sort();
}

describe("service catalog: one spec per container, checked against what the program registers", () => {
    for (const [variant, settings] of Object.entries(URN_VARIANTS)) {
        it(`${variant}: runs exactly the specs that apply, each with its image, capabilities, networks, health check and limits`, async () => {
            const cfg = parseStackConfig(rawConfigOf(settings()));
            const { resources } = await runUnderMocks(settings(), deployStack);
            const registered = containers(resources);
            expect(registered.map((c) => c.name).sort()).to.deep.equal(
                SERVICE_SPECS.filter((s) => runsOn(s, cfg))
                    .map((s) => s.name)
                    .sort(),
            );
            for (const container of registered) {
                const spec: ServiceSpec = SERVICES[container.name as keyof typeof SERVICES];
                const image = resources.find(
                    (r) => r.type === "docker:index/remoteImage:RemoteImage" && r.parent === container.parent,
                );
                const expected =
                    "public" in spec.image ? PUBLIC_IMAGES[spec.image.public] : cfg.app.images[spec.image.app].ref;
                expect(image?.inputs.name, `${container.name}: image`).to.equal(expected);
                const caps = container.inputs.capabilities as { adds: string[] };
                expect(caps.adds, `${container.name}: capabilities`).to.deep.equal([...spec.capabilities]);
                const joined = networkKeys(container, cfg.namePrefix);
                const extras = Object.keys(spec.extraNetworks ?? {});
                expect(joined, `${container.name}: networks`).to.satisfy(
                    (keys: string[]) =>
                        keys.every((k) => spec.networks.includes(k as never) || extras.includes(k)) &&
                        spec.networks.every((k) => keys.includes(k) || extras.length > 0),
                );
                expect(healthProblem(spec, container, cfg), `${container.name}: health`).to.equal(undefined);
                const limits =
                    "sameAs" in spec.limits
                        ? cfg.resources[spec.limits.sameAs as never]
                        : cfg.resources[spec.name as never];
                expect(container.inputs.memory, `${container.name}: memory`).to.equal(
                    (limits as { memoryMb: number }).memoryMb,
                );
            }
        });
    }
});
