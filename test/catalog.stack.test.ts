/**
 * The service catalog (issue 16, item 4): one spec per container. Rung 1 (mocks): what every shipped stack and its
 * variants register is compared with the specs, property by property and exactly (limits, CPUs as the provider reads
 * them back, networks with their conditions, the health check's port and path, the tier component that builds the
 * container, its kind and what the kind decides), so a spec that drifts from its builder, or a builder that drifts from
 * its spec, fails here. Each stack also has exactly one Docker provider for its host, which every Docker resource but a
 * remote target's image builds uses. The ports each server listens on: test/catalogPorts.stack.test.ts.
 */
import { expect } from "chai";
import { SERVICE_SPECS, SERVICES, Tier } from "../components/catalog";
import type { StackCondition } from "../components/catalog/spec";
import { parseStackConfig, StackConfig } from "../components/config";
import type { ResourceLimits } from "../components/config/limits";
import { cpusInput } from "../components/dockerForms";
import { PUBLIC_IMAGES } from "../components/images";
import type { NetworkName } from "../components/platform/networks";
import { RegisteredResource } from "../scripts/lib/mockRun";
import { rawConfigOf, shippedStacks, StackSettings } from "../scripts/lib/stackFiles";
import { containers } from "./helpers";
import { URN_VARIANTS } from "./urnVariants";
import { variantResources } from "./variantRuns";

/** Whether a stack with these settings meets a spec's condition, by the condition's own words. */
function holds(condition: StackCondition, cfg: StackConfig): boolean {
    switch (condition) {
        case "with a self-hosted PostgreSQL":
            return cfg.database.mode === "container";
        case "with a managed PostgreSQL":
            return cfg.database.mode === "managed";
        case "with freshtrack:demoData":
            return cfg.demoData;
        case "with freshtrack:backup.offsite":
            return cfg.backup.offsite !== undefined;
        case "with freshtrack:backup.pointInTime":
            return cfg.database.mode === "container" && cfg.backup.pointInTime;
    }
}

/** A spec as the catalog holds it: its `limits.sameAs`, if any, names a service with limits of its own. */
type ServiceSpec = (typeof SERVICE_SPECS)[number];

const runsOn = (spec: ServiceSpec, cfg: StackConfig) => spec.runs === "always" || holds(spec.runs, cfg);

/** The networks a spec says a container joins here: its base ones, and each extra one whose condition holds. */
function expectedNetworks(spec: ServiceSpec, cfg: StackConfig): NetworkName[] {
    const extras = Object.entries(spec.extraNetworks ?? {}) as Array<[NetworkName, { when: StackCondition }]>;
    return [
        ...spec.networks,
        ...extras.filter(([, extra]) => holds(extra.when, cfg)).map(([network]) => network),
    ].sort();
}

/**
 * The network keys a container joins: its networks' names less the stack's prefix (edge is edge-dualstack on servers).
 */
function networkKeys(container: RegisteredResource, namePrefix: string): string[] {
    const networks = container.inputs.networksAdvanced as Array<{ name: string }>;
    return networks.map((n) => n.name.slice(namePrefix.length + 1).replace(/-dualstack$/, "")).sort();
}

/**
 * The HTTP requests a health check makes to the container itself, as port and path: a URL on the loopback address
 * (wget, curl, node's fetch), or bash's /dev/tcp with the request line it writes.
 */
function loopbackRequests(text: string): Array<{ port: number; path: string }> {
    const requests: Array<{ port: number; path: string }> = [];
    for (const m of text.matchAll(/\bhttps?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)(\/[^\s"'`)\\]*)?/g))
        requests.push({ port: Number(m[1]), path: m[2] ?? "/" });
    const tcp = /\/dev\/tcp\/(?:127\.0\.0\.1|localhost)\/(\d+)\b/.exec(text);
    if (tcp) requests.push({ port: Number(tcp[1]), path: /\bGET (\S+) HTTP\//.exec(text)?.[1] ?? "" });
    return requests;
}

/** Whether `words` holds `command` as consecutive words: a command inside a shell line, never part of a word. */
function runsCommand(words: readonly string[], command: readonly string[]): boolean {
    return words.some((_, i) => command.every((w, j) => words[i + j] === w));
}

/** How the container's health check differs from what its spec says it proves; undefined when it does not. */
function healthProblem(spec: ServiceSpec, container: RegisteredResource, cfg: StackConfig): string | undefined {
    const check = container.inputs.healthcheck as { tests?: string[] } | undefined;
    const tests = check?.tests ?? [];
    const text = tests.join(" ");
    const h = spec.health;
    if (h === "none: a job runs to completion") return check === undefined ? undefined : `a job with a check: ${text}`;
    if (check === undefined) return "no health check";
    if ("get" in h) {
        // Exactly one request, to exactly the spec's port and path: 3000 is not 30000, /health is not /health/ready.
        const requests = loopbackRequests(text);
        const wanted = { port: spec.port, path: h.get };
        return requests.length === 1 && requests[0]!.port === wanted.port && requests[0]!.path === wanted.path
            ? undefined
            : `expected one GET of ${h.get} on port ${spec.port}, got ${JSON.stringify(requests)} from ${text}`;
    }
    if ("command" in h) {
        // An argv the daemon runs as given, or words of a shell line: never a substring (6432 is not 64321).
        const [form, ...rest] = tests;
        const matches =
            form === "CMD"
                ? JSON.stringify(rest) === JSON.stringify(h.command)
                : form === "CMD-SHELL" && rest.length === 1 && runsCommand(rest[0]!.split(/\s+/), h.command);
        return matches ? undefined : `expected ${h.command.join(" ")}, got ${text}`;
    }
    const fromConfig: Record<string, string> = {
        "freshtrack:appCommands.workerHealthcheck": cfg.app.commands.workerHealthcheck,
    };
    const command = fromConfig[h.fromConfig];
    if (command === undefined) return `no such setting: ${h.fromConfig}`;
    return JSON.stringify(tests) === JSON.stringify(["CMD-SHELL", command])
        ? undefined
        : `expected CMD-SHELL ${command} (${h.fromConfig}), got ${text}`;
}

/**
 * The limits a spec gives its container on this stack: its own, or those of the service it shares them with, under
 * the stack's freshtrack:resources override of that service. Read from the specs and the stack file, not from the
 * parsed config, so that config deriving its defaults wrongly fails here too.
 */
function expectedLimits(spec: ServiceSpec, settings: StackSettings): ResourceLimits {
    const owner = "sameAs" in spec.limits ? SERVICES[spec.limits.sameAs] : spec;
    const own = owner.limits as ResourceLimits;
    const raw = settings.config["freshtrack:resources"];
    const overrides = (raw === undefined ? {} : JSON.parse(raw)) as Record<string, Partial<ResourceLimits>>;
    return { ...own, ...overrides[owner.name] };
}

const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
const IMAGE_BUILD = "docker:index/image:Image";
const APP_IMAGE_BUILDS = "freshtrack:services:AppImageBuilds";

/**
 * How a container's image differs from its spec's: a pinned public image pulled as named; an app image pulled by its
 * reference; or, with freshtrack:appBuild, built under that reference from the stage of the image it is, and run by
 * what the build yields (so the container, or on a remote target the pull by digest, takes an input from the build and
 * depends on it): by ID on the local daemon without a pull, or pulled from the registry it was pushed to.
 */
function imageProblem(
    spec: ServiceSpec,
    container: RegisteredResource,
    resources: RegisteredResource[],
    cfg: StackConfig,
) {
    const pull = resources.find((r) => r.type === REMOTE_IMAGE && r.parent === container.parent);
    if ("public" in spec.image) return differs("image", pull?.inputs.name, PUBLIC_IMAGES[spec.image.public]);
    const ref = cfg.app.images[spec.image.app];
    const build = cfg.app.build;
    if (build === undefined) return differs("image", pull?.inputs.name, ref.ref);
    const built = resources.find((r) => r.type === IMAGE_BUILD && r.inputs.imageName === ref.ref);
    if (built === undefined) return `no build of ${ref.ref}`;
    const stage = differs(
        "build stage",
        (built.inputs.build as { target?: string }).target,
        build.targets[spec.image.app],
    );
    if (stage !== undefined) return stage;
    if (!build.push)
        return pull === undefined && container.options.dependsOn.includes(built.urn)
            ? undefined
            : `expected the local build of ${ref.ref} and no pull, got ${String(pull?.inputs.name)}`;
    return pull?.options.dependsOn.includes(built.urn) &&
        String(pull.inputs.name).startsWith(`${ref.repository}@sha256:`)
        ? undefined
        : `expected a pull of the pushed build of ${ref.ref} by digest, got ${String(pull?.inputs.name)}`;
}

/**
 * How what a container's Service registers differs from its spec's kind, by what components/service.ts makes of the
 * kind: the Service's `kind` input and the container's kind label; a stateful container's fixed name and
 * delete-before-replace (its data cannot be shared with a replacement), every other container auto-named and
 * replaced create-before-delete (design.md, "A failed deploy leaves the old version serving").
 */
function kindProblem({ spec, container, service }: Specified, prefix: string) {
    const labels = container.inputs.labels as Array<{ label: string; value: unknown }>;
    const stateful = spec.kind === "stateful";
    return (
        differs("Service kind", service?.inputs.kind, spec.kind) ??
        differs("kind label", labels.find((l) => l.label === "com.freshtrack.kind")?.value, spec.kind) ??
        differs("container name", container.inputs.name, stateful ? `${prefix}-${spec.name}` : undefined) ??
        differs("deleteBeforeReplace", container.options.deleteBeforeReplace, stateful)
    );
}

type KindPart = "service" | "label" | "name" | "replace";

/** A container and its Service as components/service.ts would register them with `kind`: one part, or all. */
function registeredAs(kind: ServiceSpec["kind"], s: Specified, prefix: string, only?: KindPart): Specified {
    const part = (p: KindPart) => only === undefined || only === p;
    const { statefulReason: _, ...serviceInputs } = s.service!.inputs;
    const inputs = { ...s.container.inputs };
    if (part("label"))
        inputs.labels = (inputs.labels as Array<{ label: string; value: unknown }>).map((l) =>
            l.label === "com.freshtrack.kind" ? { ...l, value: kind } : l,
        );
    if (part("name") && kind === "stateful") inputs.name = `${prefix}-${s.spec.name}`;
    if (part("name") && kind !== "stateful") delete inputs.name;
    const deleteBeforeReplace = part("replace") ? kind === "stateful" : s.container.options.deleteBeforeReplace;
    const service = part("service") ? { ...s.service!, inputs: { ...serviceInputs, kind } } : s.service;
    return {
        spec: s.spec,
        service,
        container: { ...s.container, inputs, options: { ...s.container.options, deleteBeforeReplace } },
    };
}

/** The component that builds a tier's containers, by its type token. */
const TIER_COMPONENTS: Readonly<Record<Tier, string>> = {
    data: "freshtrack:services:DataTier",
    app: "freshtrack:services:AppTier",
    edge: "freshtrack:edge:Edge",
    monitoring: "freshtrack:monitoring:MonitoringTier",
};

/** The types of a resource's ancestors, nearest first, from the parent URNs its registration records. */
function ancestry(resource: RegisteredResource, byUrn: ReadonlyMap<string, RegisteredResource>): string[] {
    const types: string[] = [];
    for (let urn = resource.parent; urn !== undefined; urn = byUrn.get(urn)?.parent)
        types.push(byUrn.get(urn)?.type ?? `unregistered ${urn}`);
    return types;
}

const DOCKER_PROVIDER = "pulumi:providers:docker";

/** A container with its spec and the Service that built it. */
interface Specified {
    readonly container: RegisteredResource;
    readonly spec: ServiceSpec;
    readonly service: RegisteredResource | undefined;
}

/** What `problem` finds wrong with each container, as `<service>: <problem>`: all of them at once in a failure. */
function deviations(specified: readonly Specified[], problem: (s: Specified) => string | undefined): string[] {
    return specified.flatMap((s) => {
        const found = problem(s);
        return found === undefined ? [] : [`${s.container.name}: ${found}`];
    });
}

/** `undefined` when `actual` is `expected`, else what differs, for deviations(). */
function differs(what: string, actual: unknown, expected: unknown): string | undefined {
    const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
    return a === e ? undefined : `${what} ${a}, expected ${e}`;
}

describe("service catalog: one spec per container, checked against what the program registers (rung 1: mocks)", () => {
    it("checks every shipped stack, besides the variants", () => {
        expect(Object.keys(URN_VARIANTS)).to.include.members(shippedStacks());
    });

    for (const [variant, settingsOf] of Object.entries(URN_VARIANTS)) {
        describe(variant, () => {
            const settings = settingsOf();
            const cfg = parseStackConfig(rawConfigOf(settings));
            let resources: RegisteredResource[];
            let specified: Specified[];
            before(async () => {
                resources = await variantResources(variant);
                specified = containers(resources).map((container) => ({
                    container,
                    spec: SERVICES[container.name as keyof typeof SERVICES],
                    service: resources.find((r) => r.urn === container.parent),
                }));
            });

            it("runs exactly the specs whose condition holds on this stack", () => {
                expect(specified.map((s) => s.container.name).sort()).to.deep.equal(
                    SERVICE_SPECS.filter((s) => runsOn(s, cfg))
                        .map((s) => s.name)
                        .sort(),
                );
            });

            it("runs each container's image as its spec names it (pulled or built), and adds back exactly its capabilities", () => {
                const images = deviations(specified, ({ container, spec }) =>
                    imageProblem(spec, container, resources, cfg),
                );
                const capabilities = deviations(specified, ({ container, spec }) =>
                    differs("adds", (container.inputs.capabilities as { adds: string[] }).adds, spec.capabilities),
                );
                expect([...images, ...capabilities]).to.deep.equal([]);
            });

            it("joins the spec's base networks, and each extra network exactly when its condition holds", () => {
                expect(
                    deviations(specified, ({ container, spec }) =>
                        differs("joins", networkKeys(container, cfg.namePrefix), expectedNetworks(spec, cfg)),
                    ),
                ).to.deep.equal([]);
            });

            it("checks health as the spec says: its port and path, or its command, exactly", () => {
                expect(
                    deviations(specified, ({ container, spec }) => healthProblem(spec, container, cfg)),
                ).to.deep.equal([]);
            });

            it("limits memory and CPUs as the spec (or the stack's freshtrack:resources) says, CPUs in their read-back form", () => {
                expect(
                    deviations(specified, ({ container, spec }) => {
                        const limits = expectedLimits(spec, settings);
                        // The provider's input is the text Docker's NanoCPUs read back as ("1.0", "0.25":
                        // components/dockerForms.ts cpusInput), which components/service.ts writes.
                        return (
                            differs("memory", container.inputs.memory, limits.memoryMb) ??
                            differs("cpus", container.inputs.cpus, cpusInput(limits.cpus))
                        );
                    }),
                ).to.deep.equal([]);
            });

            it("builds each container in a Service under the component of its spec's tier, and no other tier's", () => {
                const byUrn = new Map(resources.map((r) => [r.urn, r]));
                const tierTypes = Object.values(TIER_COMPONENTS);
                expect(
                    deviations(specified, ({ container, spec }) => {
                        const chain = ancestry(container, byUrn);
                        const tiers = chain.filter((t) => tierTypes.includes(t));
                        return chain[0] === "freshtrack:services:Service" &&
                            tiers.length === 1 &&
                            tiers[0] === TIER_COMPONENTS[spec.tier]
                            ? undefined
                            : `built under ${chain.join(" < ")}, expected a Service under ${TIER_COMPONENTS[spec.tier]} (tier ${spec.tier})`;
                    }),
                ).to.deep.equal([]);
            });

            it("is of its spec's kind: the Service's kind and label, and a stateful container's fixed name and delete-before-replace", () => {
                expect(deviations(specified, (s) => kindProblem(s, cfg.namePrefix))).to.deep.equal([]);
            });

            it("would refuse any container registered as another kind, in whole or in part (second attack pass: redis as stateless)", () => {
                const kinds = ["stateful", "stateless", "job"] as const;
                const passed = specified.flatMap((s) =>
                    kinds
                        .filter((k) => k !== s.spec.kind)
                        .flatMap((k) => {
                            // Name and delete-before-replace tell a stateful container from the others only.
                            const stateful = k === "stateful" || s.spec.kind === "stateful";
                            const parts: KindPart[] = [
                                "service",
                                "label",
                                ...(stateful ? (["name", "replace"] as const) : []),
                            ];
                            return [undefined, ...parts]
                                .filter(
                                    (only) => !kindProblem(registeredAs(k, s, cfg.namePrefix, only), cfg.namePrefix),
                                )
                                .map((only) => `${s.spec.name} as ${k} (${only ?? "whole"})`);
                        }),
                );
                expect(passed).to.deep.equal([]);
                expect(specified.map((s) => s.spec.name)).to.include("redis");
            });

            it("registers exactly one Docker provider for the host, which every Docker resource but a remote build uses", () => {
                const byUrn = new Map(resources.map((r) => [r.urn, r]));
                const underBuilds = (r: RegisteredResource) => byUrn.get(r.parent ?? "")?.type === APP_IMAGE_BUILDS;
                const providers = resources.filter((r) => r.type === DOCKER_PROVIDER);
                expect(
                    providers.filter((p) => !underBuilds(p)).map((p) => p.urn),
                    "Docker providers",
                ).to.have.length(1);
                // The one other: a remote target's app images are built on the operator's own daemon, whose memory is
                // not the host's budget, and pushed (components/services/appImages.ts, AppImageBuilds).
                const builders = providers.filter(underBuilds);
                expect(
                    builders.map((p) => p.name),
                    "build providers",
                ).to.deep.equal(cfg.app.build?.push ? ["app-images-local-docker"] : []);
                const provider = providers.find((p) => !underBuilds(p))!.urn;
                // A provider reference is `<provider URN>::<provider ID>` (@pulumi/pulumi 3.270.0 resource.js:551-561,
                // ProviderResource.register); a Docker resource without one would use the engine's default provider,
                // the operator's own daemon.
                const usesIt = (r: RegisteredResource) =>
                    r.options.provider !== undefined &&
                    r.options.provider.slice(0, r.options.provider.lastIndexOf("::")) === provider;
                const docker = resources.filter((r) => r.type.startsWith("docker:"));
                const onBuilder = (r: RegisteredResource) =>
                    builders.some((b) => r.options.provider?.startsWith(`${b.urn}::`)) && r.type === IMAGE_BUILD;
                expect(
                    docker.filter((r) => !usesIt(r) && !onBuilder(r)).map((r) => `${r.type}::${r.name}`),
                    "Docker resources on another provider",
                ).to.deep.equal([]);
                expect(
                    resources.filter((r) => usesIt(r) && !r.type.startsWith("docker:")).map((r) => r.type),
                    "other resources on the Docker provider",
                ).to.deep.equal([]);
                expect(docker.length, "Docker resources").to.be.greaterThan(specified.length);
            });
        });
    }
});
