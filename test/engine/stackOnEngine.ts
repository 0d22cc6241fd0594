/**
 * Puts one shipped stack's networks, volumes and containers on the real Docker
 * Engine, as the provider would (rung 5), with every Docker object name
 * prefixed so a developer's own deployment on the same daemon is never touched.
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { RegisteredResource } from "../../scripts/lib/mockRun";
import { unwrapSecrets } from "../../scripts/lib/mockRun";
import { ContainerInputs, createLikeProvider, inputsOf, inspect, Inspect, nameSuffix } from "./applyLikeProvider";
import { engine } from "./engineApi";

/** Every object a test creates starts with this, so leftovers of a crashed run are found and removed. */
export const TEST_PREFIX = "fte2e-";

const TYPES = {
    container: "docker:index/container:Container",
    network: "docker:index/network:Network",
    volume: "docker:index/volume:Volume",
} as const;

/** BusyBox applets of the stand-in's binary: what a kept command may call. */
function applets(): ReadonlySet<string> {
    return new Set(execFileSync("/bin/busybox", ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean));
}

export interface Endpoint {
    readonly alias: string;
    readonly port: number;
}

export interface AppliedContainer {
    readonly resource: RegisteredResource;
    /** The program's inputs, secrets unwrapped, names prefixed: what the provider would send, but for the image. */
    readonly program: ContainerInputs;
    /** What was sent: `program` with the stand-in image and, where needed, the stand-in command. */
    readonly sent: ContainerInputs;
    readonly id: string;
    readonly isJob: boolean;
    /** The program's own command runs (the stand-in has every binary it calls). */
    readonly keptCommand: boolean;
    /** Endpoints of other services this container's settings name. */
    readonly calls: readonly Endpoint[];
    info: Inspect;
}

export interface AppliedStack {
    readonly stack: string;
    /** Prefixed network name → internal. */
    readonly networks: ReadonlyMap<string, boolean>;
    /** Prefixed network name → the program's inputs for it, names prefixed: what the provider sent. */
    readonly networkInputs: ReadonlyMap<string, NetworkInputs>;
    /** Prefixed names of the networks created with IPv6. */
    readonly ipv6Networks: readonly string[];
    readonly containers: readonly AppliedContainer[];
    byName(name: string): AppliedContainer;
}

export interface NetworkInputs {
    readonly name: string;
    readonly driver?: string;
    readonly internal?: boolean;
    readonly ipv6?: boolean;
    readonly ipamDriver?: string;
    readonly ipamConfigs?: Array<{
        subnet?: string;
        ipRange?: string;
        gateway?: string;
        auxAddress?: Record<string, string>;
    }>;
    readonly labels?: Array<{ label: string; value: string }>;
}

/**
 * Objects named with this after TEST_PREFIX outlive one stack's cleanup (the crontab test's); the last cleanup takes
 * them.
 */
export const LASTING = "lasting-";

/** Removes every container, network and volume a test left behind; `lasting` ones only when told. */
export async function removeTestObjects(opts: { lasting?: boolean } = {}): Promise<void> {
    const filter = encodeURIComponent(JSON.stringify({ name: [TEST_PREFIX] }));
    const spared = (name: string) => !opts.lasting && name.replace(/^\//, "").startsWith(`${TEST_PREFIX}${LASTING}`);
    const containers = await engine<Array<{ Id: string; Names: string[] }>>(
        "GET",
        `/containers/json?all=1&filters=${filter}`,
    );
    await Promise.all(
        containers
            .filter((c) => c.Names.some((n) => n.startsWith(`/${TEST_PREFIX}`)) && !c.Names.some(spared))
            .map((c) => engine("DELETE", `/containers/${c.Id}?force=1&v=1`, undefined, { allow: [404, 409] })),
    );
    const networks = await engine<Array<{ Id: string; Name: string }>>("GET", `/networks?filters=${filter}`);
    for (const n of networks.filter((x) => x.Name.startsWith(TEST_PREFIX))) {
        // A daemon stopped mid-run can keep a stale endpoint on a network with no container left (HTTP 403
        // "has active endpoints"). Each run names its objects afresh, so such a leftover is reported, not fatal.
        const removed = await engine<{ message?: string } | undefined>("DELETE", `/networks/${n.Id}`, undefined, {
            allow: [403, 404],
        });
        if (/active endpoints/.test(removed?.message ?? ""))
            console.log(`      (left network ${n.Name}: the daemon still lists endpoints on it)`);
    }
    const volumes = await engine<{ Volumes: Array<{ Name: string }> | null }>("GET", `/volumes?filters=${filter}`);
    for (const v of (volumes.Volumes ?? []).filter((x) => x.Name.startsWith(TEST_PREFIX) && !spared(x.Name))) {
        await engine("DELETE", `/volumes/${v.Name}?force=1`, undefined, { allow: [404, 409] });
    }
}

/** Every text a container's settings hold, where the names of other services appear. */
function settingsText(c: ContainerInputs): string {
    return [
        ...(c.envs ?? []),
        ...(c.command ?? []),
        ...(c.entrypoints ?? []),
        ...(c.uploads ?? []).map((u) => u.content),
    ].join("\n");
}

/**
 * Endpoints (alias and port) that a container's settings name: `alias:port`, or `X_HOST=alias` beside `X_PORT=port`.
 */
export function endpointsNamed(c: ContainerInputs, aliases: ReadonlySet<string>, own: ReadonlySet<string>): Endpoint[] {
    const found = new Map<string, Endpoint>();
    const add = (alias: string, port: number) => {
        if (aliases.has(alias) && !own.has(alias) && port > 0) found.set(`${alias}:${port}`, { alias, port });
    };
    const text = settingsText(c);
    for (const m of text.matchAll(/(?<![\w.-])([a-z][a-z0-9.-]*[a-z0-9]):(\d{2,5})\b/g)) add(m[1]!, Number(m[2]));
    const env = new Map((c.envs ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
    for (const [key, value] of env) {
        const m = /^(.*)_HOST$/.exec(key);
        if (m && env.has(`${m[1]}_PORT`)) add(value, Number(env.get(`${m[1]}_PORT`)));
    }
    return [...found.values()].sort((a, b) => `${a.alias}:${a.port}`.localeCompare(`${b.alias}:${b.port}`));
}

/** Ports a service's own health check calls on 127.0.0.1, or names with -p. */
function healthPorts(c: ContainerInputs): number[] {
    const text = (c.healthcheck?.tests ?? []).join(" ");
    const ports = [...text.matchAll(/127\.0\.0\.1[:/](\d{2,5})/g)].map((m) => Number(m[1]));
    const p = /-p (\d{2,5})/.exec(text);
    return p ? [...ports, Number(p[1])] : ports;
}

/** Whether the program's own entrypoint and command can run on the stand-in. */
function runsOnStandin(c: ContainerInputs, known: ReadonlySet<string>): boolean {
    const entry = c.entrypoints ?? [];
    // Without an entrypoint of its own, the image's entrypoint runs, which the stand-in does not have.
    if (entry.length === 0) return false;
    const program = path.basename(entry[0]!);
    const args = [...entry.slice(1), ...(c.command ?? [])];
    if (program === "sh" && args[0] === "-c") {
        const script = args[1] ?? "";
        return script.split(/&&|\|\||;|\|/).every((part) => known.has(part.trim().split(/\s+/)[0] ?? ""));
    }
    // `sh <script>`: runs when the script is one the program uploads.
    if (program === "sh") return (c.uploads ?? []).some((u) => u.file === args[0]);
    return known.has(program);
}

export async function applyStack(
    stack: string,
    resources: readonly RegisteredResource[],
    image: string,
): Promise<AppliedStack> {
    const known = applets();
    // A fresh infix per run: Docker 20.10 can still hold a just-deleted network of the same name, and a
    // container connected to the new one then fails to start with "network ... not found".
    const run = nameSuffix(`${stack}-${Date.now()}-${Math.random()}`).slice(0, 4);
    const rename = (name: string) => `${TEST_PREFIX}${run}-${name}`;
    const networks = new Map<string, boolean>();
    const networkInputs = new Map<string, NetworkInputs>();
    for (const n of resources.filter((r) => r.type === TYPES.network)) {
        const inputs = { ...(unwrapSecrets(n.inputs) as NetworkInputs) };
        const name = rename(inputs.name);
        // kreuzwerker v4.5.0 resource_docker_network_funcs.go:26-75: EnableIPv6 only when ipv6 is true (GetOk), and
        // always an IPAM block, since ipam_driver defaults to "default" (resource_docker_network.go:85-91), with
        // each ipam_config entry's fields as given ("" when unset, :137-158). The subnets are the program's own.
        await engine("POST", "/networks/create", {
            Name: name,
            CheckDuplicate: true,
            Driver: inputs.driver ?? "bridge",
            Internal: inputs.internal ?? false,
            ...(inputs.ipv6 ? { EnableIPv6: true } : {}),
            IPAM: {
                Driver: inputs.ipamDriver ?? "default",
                Config: (inputs.ipamConfigs ?? []).map((c) => ({
                    Subnet: c.subnet ?? "",
                    IPRange: c.ipRange ?? "",
                    Gateway: c.gateway ?? "",
                    AuxiliaryAddresses: c.auxAddress ?? {},
                })),
            },
            Labels: Object.fromEntries((inputs.labels ?? []).map((l) => [l.label, l.value])),
        });
        networks.set(name, inputs.internal ?? false);
        networkInputs.set(name, { ...inputs, name });
    }
    for (const v of resources.filter((r) => r.type === TYPES.volume)) {
        const inputs = unwrapSecrets(v.inputs) as { name: string; labels?: Array<{ label: string; value: string }> };
        await engine("POST", "/volumes/create", {
            Name: rename(inputs.name),
            Labels: Object.fromEntries((inputs.labels ?? []).map((l) => [l.label, l.value])),
        });
    }

    const containerResources = resources.filter((r) => r.type === TYPES.container);
    const programs = containerResources.map((r) => {
        const c = inputsOf(r);
        return {
            ...c,
            ...(c.name ? { name: rename(c.name) } : {}),
            networksAdvanced: (c.networksAdvanced ?? []).map((n) => ({ ...n, name: rename(n.name) })),
            volumes: (c.volumes ?? []).map((v) => (v.volumeName ? { ...v, volumeName: rename(v.volumeName) } : v)),
        } as ContainerInputs;
    });
    const allAliases = new Set(programs.flatMap((c) => (c.networksAdvanced ?? []).flatMap((n) => n.aliases ?? [])));
    const calls = programs.map((c) =>
        endpointsNamed(c, allAliases, new Set((c.networksAdvanced ?? []).flatMap((n) => n.aliases ?? []))),
    );
    // A stand-in service listens on every port another service calls it on, its health check's, and its published ones.
    const listens = programs.map((c) => {
        const own = new Set((c.networksAdvanced ?? []).flatMap((n) => n.aliases ?? []));
        const called = calls
            .flat()
            .filter((e) => own.has(e.alias))
            .map((e) => e.port);
        return [...new Set([...called, ...healthPorts(c), ...(c.ports ?? []).map((p) => p.internal)])].sort(
            (a, b) => a - b,
        );
    });

    const applied: AppliedContainer[] = [];
    for (const [i, resource] of containerResources.entries()) {
        const program = programs[i]!;
        const isJob = program.attach === true;
        const keptCommand = runsOnStandin(program, known);
        const standinCommand = isJob
            ? ["/bin/sh", "-c", "exit 0"]
            : [
                  "/bin/sh",
                  "-c",
                  `for p in ${listens[i]!.join(" ")}; do httpd -p "$p" -h /var/empty 2>/dev/null || httpd -p "$p" -h /; done; exec sleep 2147483647`,
              ];
        const sent: ContainerInputs = {
            ...program,
            image,
            ...(keptCommand ? {} : { entrypoints: standinCommand, command: [] }),
        };
        const name = program.name ?? `${rename(`${stack}-${resource.name}`)}-${nameSuffix(resource.urn)}`;
        const id = await createLikeProvider(name, sent);
        applied.push({ resource, program, sent, id, isJob, keptCommand, calls: calls[i]!, info: await inspect(id) });
    }
    return {
        stack,
        networks,
        networkInputs,
        ipv6Networks: [...networkInputs.values()].filter((n) => n.ipv6 === true).map((n) => n.name),
        containers: applied,
        byName(name: string) {
            const found = applied.find((c) => c.resource.name === name);
            if (!found) throw new Error(`stack ${stack} has no container ${name}`);
            return found;
        },
    };
}
