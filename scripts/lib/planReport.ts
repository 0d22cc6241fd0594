/**
 * Renders what a mocked run registered as the text `npm run plan` prints: an overview first (target, domain, TLS, app,
 * backups, counts and the memory figures), the warnings, then the resource tree by component and every container
 * with the settings a reviewer checks, no line wider than a terminal's 120 columns. renderPlan is pure: registrations
 * and figures in, text out; planText runs the program for it.
 */
import * as YAML from "yaml";
import type { StackConfig } from "../../components/config";
import { RULES_FILE } from "../../components/monitoring/prometheusConfig";
import { deployStack } from "../../components/stack";
import { MemoryFigures } from "../../policy/memoryFigures";
import { longestChains } from "./criticalPath";
import { ASSIGNED_ADDRESSES, MockRun, RegisteredResource, runUnderMocks, SecretValue, UNKNOWN } from "./mockRun";
import { memorySettingsOf, stackMemory } from "./policyRun";
import type { StackSettings } from "./stackFiles";
import { TYPES } from "../../policy/lib";
import { field, wrapItems, wrapText } from "./planLayout";
import { countsText, label, overview, plain } from "./planOverview";

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
    const none = (items: string[], empty: string) => (items.length > 0 ? items : empty);
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
    // A list is a value of several items: it wraps between them, never inside one.
    const rows: Array<[string, string | string[], string?]> = [
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
        [
            "networks",
            none(
                networks.map((n) => `${show(n.name)} (alias ${show(n.aliases ?? [])})`),
                "none",
            ),
        ],
        [
            "ports",
            none(
                ports.map((p) => `${p.ip}:${p.external} -> ${p.internal}`),
                "none published",
            ),
        ],
        [
            "volumes",
            none(
                volumes.map((v) =>
                    v.hostPath !== undefined
                        ? `host:${v.hostPath} -> ${v.containerPath}${v.readOnly ? " (ro)" : ""} [host path]`
                        : `${show(v.volumeName)} -> ${v.containerPath}${v.readOnly ? " (ro)" : ""}${volumesByName.get(show(v.volumeName))?.options.protect ? " [protected]" : " [NOT protected]"}`,
                ),
                "none",
            ),
        ],
        [
            "files",
            none(
                uploads.map((u) => `${u.file}${u.content instanceof SecretValue ? " [secret]" : ""}`),
                "none",
            ),
        ],
        // One variable's value may hold spaces: the items are the variables, so a line never breaks inside one.
        ["env", none(envs, "none"), " "],
    ];
    if (i.command !== undefined) rows.splice(2, 0, ["command", show(i.command)]);
    // Shown before the command: with an entrypoint such as `/bin/sh -c`, the command is a shell line.
    if (i.entrypoints !== undefined) rows.splice(2, 0, ["entrypoint", show(i.entrypoints)]);
    const width = Math.max(...rows.map(([k]) => k.length));
    return [`  ${c.name}  [${kind}]`, ...rows.flatMap(([k, v, separator]) => field("      ", k, width, v, separator))];
}

/** The droplet and what surrounds it, for stacks on DigitalOcean. */
function describeCloud(resources: RegisteredResource[], cfg: Pick<StackConfig, "domain" | "tlsMode">): string[] {
    const of = (type: string) => resources.filter((r) => r.type === `digitalocean:index/${type}`);
    const droplet = of("droplet:Droplet")[0];
    if (!droplet) return [];
    const d = droplet.inputs;
    const row = (key: string, value: string | string[], separator?: string) => field("  ", key, 8, value, separator);
    const lines = [
        "DigitalOcean",
        ...row(
            "droplet",
            `${show(d.name)}: ${show(d.size)} in ${show(d.region)}, ${show(d.image)}, monitoring ${d.monitoring ? "on" : "off"}, backups ${d.backups ? "on" : "off"}, IPv6 ${d.ipv6 ? "on" : "off"}`,
        ),
        ...row(
            "",
            `never replaced by changes to ${droplet.options.ignoreChanges.join(", ") || "(nothing: NOT guarded)"}`,
        ),
    ];
    for (const v of of("volume:Volume")) {
        lines.push(
            ...row(
                "volume",
                `${show(v.inputs.name)}: ${show(v.inputs.size)} GB ${show(v.inputs.initialFilesystemType)}, Docker data root${v.options.protect ? " [protected]" : " [NOT protected]"}`,
            ),
        );
    }
    for (const f of of("firewall:Firewall")) {
        const inbound = plain<Array<{ protocol: string; portRange?: string; sourceAddresses?: string[] }>>(
            f.inputs.inboundRules,
            [],
        );
        const rules = inbound.map((r) => `${r.protocol}/${r.portRange} from ${(r.sourceAddresses ?? []).join(" ")}`);
        lines.push(
            ...row(
                "firewall",
                [`${show(f.inputs.name)}: in ${rules[0] ?? "nothing"}`, ...rules.slice(1), "out: all"],
                "; ",
            ),
        );
    }
    for (const r of of("dnsRecord:DnsRecord")) {
        lines.push(
            ...row(
                "dns",
                `${show(r.inputs.type).padEnd(4)} ${show(r.inputs.name)}.${show(r.inputs.domain)} -> ${show(r.inputs.value)}`,
            ),
        );
    }
    // DNS kept at another provider (no droplet.dnsZone): the records are the operator's to create; the first deploy
    // prints them with the real addresses as soon as those exist, whatever the TLS mode, and exports them as
    // dnsRecords (components/host/dropletHost.ts). Only the ACME modes' pre-flight waits for them.
    if (of("dnsRecord:DnsRecord").length === 0) {
        const { reservedIp, dropletIpv6 } = ASSIGNED_ADDRESSES;
        lines.push(
            ...row(
                "dns",
                [
                    `at your DNS provider (droplet.dnsZone unset): A ${cfg.domain} and *.${cfg.domain} -> ${reservedIp.label}`,
                    `AAAA ${cfg.domain} and *.${cfg.domain} -> ${dropletIpv6.label} (or none)`,
                    cfg.tlsMode === "internal"
                        ? "the first deploy prints both addresses once they exist; with internal TLS nothing waits for them"
                        : "the first deploy prints both addresses once they exist, and the pre-flight waits for the records",
                ],
                "; ",
            ),
        );
    }
    for (const c of of("databaseCluster:DatabaseCluster")) {
        lines.push(
            ...row(
                "database",
                `${show(c.inputs.name)}: PostgreSQL ${show(c.inputs.version)}, ${show(c.inputs.size)} x${show(c.inputs.nodeCount)} in the droplet's VPC${c.options.protect ? " [protected]" : " [NOT protected]"}`,
            ),
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
        ...parsed.scrape_configs.flatMap((j) => {
            const path = j.metrics_path && j.metrics_path !== "/probe" ? ` (${j.metrics_path})` : "";
            const targets = j.static_configs.flatMap((s) => s.targets);
            return field("      ", j.job_name, 14, [...targets.slice(0, -1), `${targets.at(-1) ?? ""}${path}`], ", ");
        }),
        `  alerts (${alerts.length})`,
        ...alerts.flatMap((a) =>
            field(
                "      ",
                `${a.alert.padEnd(24)} ${a.labels.severity.padEnd(8)} after ${a.for.padEnd(3)}`,
                0,
                a.annotations.summary.replace(/\{\{[^}]*\}\}/g, "…"),
            ),
        ),
        ...wrapText(alertDestinations ?? "(unknown)", "  delivered to: ", "                "),
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
    /** The stack's memory figures, as the policy pack checks them (policy/memoryFigures.ts). */
    readonly memory: MemoryFigures;
}

export function renderPlan({
    cfg,
    resources,
    maskedKeys,
    alertDestinations,
    warnings = [],
    memory,
}: PlanInput): string {
    const containers = resources.filter((r) => r.type === TYPES.container);
    const cpus = containers.reduce((sum, c) => sum + Number(plain<string>(c.inputs.cpus, "0")), 0);
    const lines = [
        `FreshTrack plan for stack '${cfg.stack}': what \`pulumi up\` would create`,
        ...overview(cfg, resources, memory, maskedKeys),
        "",
        ...(warnings.length > 0
            ? [
                  `Warnings (pulumi preview and pulumi up print these too)`,
                  ...warnings.flatMap((w) => wrapText(w, "  WARNING ", " ".repeat(10))),
                  "",
              ]
            : []),
        `Resource tree (${resources.length} resources)`,
        ...tree(resources),
        "",
        ...describeCloud(resources, cfg),
        ...describeMonitoring(resources, alertDestinations),
        "Start order (each step waits for the one before to be healthy, or for its jobs to exit 0)",
        ...startOrder(resources).flatMap((names, i) => wrapItems(names, `  ${i + 1}. `, "     ", ", ")),
        "",
        // Not a memory sum: the limits of jobs and replacements never all hold at once (the overview's memory line).
        `Containers (${containers.length}, jobs included; their CPU limits add up to ${Math.round(cpus * 100) / 100}; for memory see the overview)`,
        ...containers
            .sort((a, b) => a.name.localeCompare(b.name))
            .flatMap((c) => [...describeContainer(c, resources), ""]),
        `End of the plan: ${countsText(resources)}.`,
        `Secrets are shown as [secret].${warnings.length > 0 ? ` ${warnings.length} warning(s) at the top.` : ""}`,
    ];
    return lines.join("\n");
}

/**
 * What `npm run plan -- <stack>` prints for a stack's settings: the program run under mocks, and its memory figures
 * with the memory-budget settings of the stack's environment (policy/config/<environment>.json).
 */
export async function planText(settings: StackSettings): Promise<string> {
    return planOf(settings, await runUnderMocks(settings, deployStack));
}

/** The plan of a mocked run already made with `settings` (the tests share runs). */
export function planOf(settings: StackSettings, run: MockRun<ReturnType<typeof deployStack>>): string {
    const cfg = run.result.cfg;
    return renderPlan({
        cfg,
        resources: run.resources,
        maskedKeys: settings.secretKeys,
        alertDestinations: run.result.alertDestinations,
        warnings: run.warnings,
        memory: stackMemory(run.resources, memorySettingsOf(cfg.environment)),
    });
}
