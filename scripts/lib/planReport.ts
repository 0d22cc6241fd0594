/**
 * Renders what a mocked run registered as the text `npm run plan` prints:
 * the resource tree by component, then every container with the settings a
 * reviewer checks. Pure: registrations in, text out.
 */
import * as YAML from "yaml";
import type { StackConfig } from "../../components/config";
import { RULES_FILE } from "../../components/monitoring/prometheusConfig";
import { longestChains } from "./criticalPath";
import { ASSIGNED_ADDRESSES, RegisteredResource, SecretValue, UNKNOWN } from "./mockRun";
import { TYPES } from "../../policy/lib";

const IMAGE = "docker:index/remoteImage:RemoteImage";
const VOLUME = "docker:index/volume:Volume";

/** `docker:index/container:Container` -> `docker:Container`; components keep their token. */
export function shortType(type: string): string {
    const m = /^([^:]+):[^:]*\/[^:]*:(.+)$/.exec(type);
    return m ? `${m[1]}:${m[2]}` : type;
}

/** A value as the plan shows it: secrets and unknowns masked, everything else compact. */
export function show(value: unknown): string {
    if (value instanceof SecretValue) return "[secret]";
    if (value === UNKNOWN) return "(known after deploy)";
    if (typeof value === "string")
        return Object.values(ASSIGNED_ADDRESSES).find((a) => a.mock === value)?.label ?? value;
    if (Array.isArray(value)) return value.map(show).join(" ");
    return JSON.stringify(value);
}

function plain<T>(value: unknown, fallback: T): T {
    return value instanceof SecretValue || value === UNKNOWN || value === undefined ? fallback : (value as T);
}

function tree(resources: RegisteredResource[]): string[] {
    const children = new Map<string | undefined, RegisteredResource[]>();
    const urns = new Set(resources.map((r) => r.urn));
    for (const r of resources) {
        const parent = r.parent && urns.has(r.parent) ? r.parent : undefined;
        children.set(parent, [...(children.get(parent) ?? []), r]);
    }
    const lines: string[] = [];
    const walk = (parent: string | undefined, prefix: string) => {
        const list = (children.get(parent) ?? []).filter((r) => r.type !== "pulumi:pulumi:Stack");
        list.forEach((r, i) => {
            const last = i === list.length - 1;
            const marks = [r.options.protect ? "protected" : "", r.custom ? "" : "component"].filter(Boolean);
            lines.push(
                `${prefix}${last ? "└─ " : "├─ "}${shortType(r.type)}  ${r.name}${marks.length ? `  (${marks.join(", ")})` : ""}`,
            );
            walk(r.urn, prefix + (last ? "   " : "│  "));
        });
    };
    walk(undefined, "  ");
    return lines;
}

function label(c: RegisteredResource, key: string): string | undefined {
    const labels = plain<Array<{ label: string; value: string }>>(c.inputs.labels, []);
    return labels.find((l) => l.label === key)?.value;
}

function describeContainer(c: RegisteredResource, all: RegisteredResource[]): string[] {
    const i = c.inputs;
    const image = all.find((r) => r.type === IMAGE && r.parent === c.parent);
    const kind = label(c, "com.freshtrack.kind") ?? "?";
    const volumesByName = new Map(all.filter((r) => r.type === VOLUME).map((v) => [show(v.inputs.name), v]));
    const health = plain<{ tests?: string[]; interval?: string; retries?: number } | undefined>(
        i.healthcheck,
        undefined,
    );
    const ports = plain<Array<{ internal: number; external: number; ip: string }>>(i.ports, []);
    const networks = plain<Array<{ name: unknown; aliases?: string[] }>>(i.networksAdvanced, []);
    const volumes = plain<
        Array<{ volumeName?: unknown; hostPath?: string; containerPath: string; readOnly?: boolean }>
    >(i.volumes, []);
    const uploads = plain<Array<{ file: string; content: unknown }>>(i.uploads, []);
    const envs = i.envs instanceof SecretValue ? ["[secret]"] : plain<unknown[]>(i.envs, []).map(show);
    const caps = plain<{ adds?: string[]; drops?: string[] }>(i.capabilities, {});
    const logOpts = plain<Record<string, string>>(i.logOpts, {});

    const service = all.find((r) => r.urn === c.parent);
    const tmpfs = Object.entries(plain<Record<string, string>>(i.tmpfs, {})).map(([path, opts]) => `${path} (${opts})`);
    // The PID limit is a command beside the container (components/host/pidsLimit.ts), not one of its inputs.
    const pidsCommand = all.find(
        (r) => r.type.startsWith("command:") && r.parent === c.parent && r.name.endsWith("-pids-limit"),
    );
    const pidsLimit = pidsCommand ? /--pids-limit (\d+)/.exec(show(pidsCommand.inputs.stdin))?.[1] : undefined;
    const pids = pidsLimit
        ? `${pidsLimit} processes`
        : kind === "job"
          ? "no process limit (a job)"
          : "NO process limit";
    const replace =
        kind === "stateful"
            ? `stops before its replacement starts, because ${show(all.find((r) => r.urn === c.parent)?.inputs.statefulReason)}`
            : kind === "job"
              ? "runs once per change of its inputs; a non-zero exit fails the update"
              : "replacement starts and turns healthy before this one is removed";
    const rows: Array<[string, string]> = [
        ["image", image ? show(image.inputs.name) : show(i.image)],
        ["name", i.name === undefined ? `${c.name}-<generated>` : show(i.name)],
        ["updates", replace],
        [
            "limits",
            `${show(i.memory)} MB memory (swap ${i.memorySwap === i.memory ? "off" : show(i.memorySwap)}), ${typeof i.cpus === "string" ? Number(i.cpus) : show(i.cpus)} CPU, ${pids}`,
        ],
        [
            "user",
            i.user === undefined
                ? `the image's (root)${service?.inputs.runsAsRootReason ? `, because ${show(service.inputs.runsAsRootReason)}` : ""}`
                : show(i.user),
        ],
        [
            "root fs",
            i.readOnly === true
                ? `read-only${tmpfs.length ? `; tmpfs ${tmpfs.join(", ")}` : ""}`
                : `writable${service?.inputs.writableRootReason ? `, because ${show(service.inputs.writableRootReason)}` : ""}`,
        ],
        [
            "health",
            health
                ? `${show(health.tests)}  every ${health.interval}, ${health.retries} retries; deploy waits ${i.wait ? `up to ${show(i.waitTimeout)}s` : "no"}`
                : kind === "job"
                  ? "none (one-shot job; the deploy waits for it to exit)"
                  : "NONE",
        ],
        ["restart", show(i.restart)],
        [
            "security",
            `${show(i.securityOpts)}; capabilities: drop ${show(caps.drops ?? [])}${caps.adds?.length ? `, add ${caps.adds.join(" ")}` : ""}`,
        ],
        ["logs", `${show(i.logDriver)} max-size ${logOpts["max-size"] ?? "?"} max-file ${logOpts["max-file"] ?? "?"}`],
        ["networks", networks.map((n) => `${show(n.name)} (alias ${show(n.aliases ?? [])})`).join(", ") || "none"],
        ["ports", ports.map((p) => `${p.ip}:${p.external} -> ${p.internal}`).join(", ") || "none published"],
        [
            "volumes",
            volumes
                .map((v) =>
                    v.hostPath !== undefined
                        ? `host:${v.hostPath} -> ${v.containerPath}${v.readOnly ? " (ro)" : ""} [host path]`
                        : `${show(v.volumeName)} -> ${v.containerPath}${v.readOnly ? " (ro)" : ""}${volumesByName.get(show(v.volumeName))?.options.protect ? " [protected]" : " [NOT protected]"}`,
                )
                .join(", ") || "none",
        ],
        [
            "files",
            uploads.map((u) => `${u.file}${u.content instanceof SecretValue ? " [secret]" : ""}`).join(", ") || "none",
        ],
        ["env", envs.join(" ") || "none"],
    ];
    if (i.command !== undefined) rows.splice(2, 0, ["command", show(i.command)]);
    // Shown before the command: with an entrypoint such as `/bin/sh -c`, the command is a shell line.
    if (i.entrypoints !== undefined) rows.splice(2, 0, ["entrypoint", show(i.entrypoints)]);
    const width = Math.max(...rows.map(([k]) => k.length));
    return [`  ${c.name}  [${kind}]`, ...rows.map(([k, v]) => `      ${k.padEnd(width)}  ${v}`)];
}

/** The droplet and what surrounds it, for stacks on DigitalOcean. */
function describeCloud(resources: RegisteredResource[]): string[] {
    const of = (type: string) => resources.filter((r) => r.type === `digitalocean:index/${type}`);
    const droplet = of("droplet:Droplet")[0];
    if (!droplet) return [];
    const d = droplet.inputs;
    const lines = [
        "DigitalOcean",
        `  droplet   ${show(d.name)}: ${show(d.size)} in ${show(d.region)}, ${show(d.image)}, monitoring ${d.monitoring ? "on" : "off"}, backups ${d.backups ? "on" : "off"}, IPv6 ${d.ipv6 ? "on" : "off"}`,
        `            never replaced by changes to ${droplet.options.ignoreChanges.join(", ") || "(nothing: NOT guarded)"}`,
    ];
    for (const v of of("volume:Volume")) {
        lines.push(
            `  volume    ${show(v.inputs.name)}: ${show(v.inputs.size)} GB ${show(v.inputs.initialFilesystemType)}, Docker data root${v.options.protect ? " [protected]" : " [NOT protected]"}`,
        );
    }
    for (const f of of("firewall:Firewall")) {
        const inbound = plain<Array<{ protocol: string; portRange?: string; sourceAddresses?: string[] }>>(
            f.inputs.inboundRules,
            [],
        );
        lines.push(
            `  firewall  ${show(f.inputs.name)}: in ${inbound.map((r) => `${r.protocol}/${r.portRange} from ${(r.sourceAddresses ?? []).join(" ")}`).join("; ")}; out: all`,
        );
    }
    for (const r of of("dnsRecord:DnsRecord")) {
        lines.push(
            `  dns       ${show(r.inputs.type).padEnd(4)} ${show(r.inputs.name)}.${show(r.inputs.domain)} -> ${show(r.inputs.value)}`,
        );
    }
    for (const c of of("databaseCluster:DatabaseCluster")) {
        lines.push(
            `  database  ${show(c.inputs.name)}: PostgreSQL ${show(c.inputs.version)}, ${show(c.inputs.size)} x${show(c.inputs.nodeCount)} in the droplet's VPC${c.options.protect ? " [protected]" : " [NOT protected]"}`,
        );
    }
    return [...lines, ""];
}

/**
 * Containers grouped by when they can start: each waits for every container it
 * depends on (directly or through a component), so step N starts once step
 * N-1 is healthy (or, for jobs, has exited 0).
 */
export function startOrder(resources: RegisteredResource[]): string[][] {
    const containers = resources.filter((r) => r.type === TYPES.container);
    // A container's step is the length of the longest chain of containers it waits on.
    const chains = longestChains(containers, (c) => c.options.dependsOn);
    const steps: string[][] = [];
    for (const c of containers) (steps[chains.get(c.urn)!.length - 1] ??= []).push(c.name);
    return steps.map((names) => names.sort());
}

function uploadContent(c: RegisteredResource | undefined, file: string): string | undefined {
    const uploads = plain<Array<{ file: string; content: unknown }>>(c?.inputs.uploads, []);
    const content = uploads.find((u) => u.file === file)?.content;
    return typeof content === "string" ? content : undefined;
}

/** Scrape targets and alerts, read from the Prometheus container's generated files. */
function describeMonitoring(resources: RegisteredResource[], alertDestinations: string | undefined): string[] {
    const prometheus = resources.find((r) => r.type === TYPES.container && r.name === "prometheus");
    const config = uploadContent(prometheus, "/etc/prometheus/prometheus.yml");
    if (!config) return [];
    const parsed = YAML.parse(config) as {
        scrape_configs: Array<{
            job_name: string;
            metrics_path?: string;
            static_configs: Array<{ targets: string[] }>;
        }>;
    };
    const rules = YAML.parse(uploadContent(prometheus, RULES_FILE) ?? "groups: []") as {
        groups: Array<{
            rules: Array<{
                alert: string;
                for: string;
                labels: { severity: string };
                annotations: { summary: string };
            }>;
        }>;
    };
    const alerts = rules.groups.flatMap((g) => g.rules);
    return [
        "Monitoring",
        "  scrape targets",
        ...parsed.scrape_configs.map(
            (j) =>
                `      ${j.job_name.padEnd(15)} ${j.static_configs.flatMap((s) => s.targets).join(", ")}${j.metrics_path && j.metrics_path !== "/probe" ? ` (${j.metrics_path})` : ""}`,
        ),
        `  alerts (${alerts.length})`,
        ...alerts.map(
            (a) =>
                `      ${a.alert.padEnd(24)} ${a.labels.severity.padEnd(8)} after ${a.for.padEnd(3)}  ${a.annotations.summary.replace(/\{\{[^}]*\}\}/g, "…")}`,
        ),
        `  delivered to: ${alertDestinations ?? "(unknown)"}`,
        "",
    ];
}

export interface PlanInput {
    readonly cfg: StackConfig;
    readonly resources: RegisteredResource[];
    readonly maskedKeys: readonly string[];
    readonly alertDestinations?: string;
    /** The program's warnings, as `pulumi preview` would print them. */
    readonly warnings?: readonly string[];
}

export function renderPlan({ cfg, resources, maskedKeys, alertDestinations, warnings = [] }: PlanInput): string {
    const containers = resources.filter((r) => r.type === TYPES.container);
    const memory = containers.reduce((sum, c) => sum + plain<number>(c.inputs.memory, 0), 0);
    const cpus = containers.reduce((sum, c) => sum + Number(plain<string>(c.inputs.cpus, "0")), 0);
    const protectedCount = resources.filter((r) => r.options.protect).length;
    const lines = [
        `FreshTrack plan for stack '${cfg.stack}': what \`pulumi up\` would create`,
        `  target ${cfg.target}, domain ${cfg.domain}, TLS ${cfg.tlsMode}, app ${cfg.app.version}, demo data ${cfg.demoData ? "on" : "off"}`,
        `  backups '${cfg.backup.schedule}' kept ${cfg.backup.retentionDays} days`,
        maskedKeys.length > 0
            ? `  encrypted config shown masked: ${maskedKeys.join(", ")}`
            : "  no encrypted config in this stack file",
        "",
        ...(warnings.length > 0
            ? [
                  `Warnings (pulumi preview and pulumi up print these too)`,
                  ...warnings.map((w) => `  WARNING ${w.split("\n").join("\n  ")}`),
                  "",
              ]
            : []),
        `Resource tree (${resources.length} resources)`,
        ...tree(resources),
        "",
        ...describeCloud(resources),
        ...describeMonitoring(resources, alertDestinations),
        "Start order (each step waits for the one before to be healthy, or for its jobs to exit 0)",
        ...startOrder(resources).map((names, i) => `  ${i + 1}. ${names.join(", ")}`),
        "",
        `Containers (${containers.length}; limits add up to ${memory} MB and ${Math.round(cpus * 100) / 100} CPUs)`,
        ...containers
            .sort((a, b) => a.name.localeCompare(b.name))
            .flatMap((c) => [...describeContainer(c, resources), ""]),
        `${resources.length} resources, ${containers.length} containers, ${protectedCount} protected. Secrets are shown as [secret].${warnings.length > 0 ? ` ${warnings.length} warning(s) at the top.` : ""}`,
    ];
    return lines.join("\n");
}
