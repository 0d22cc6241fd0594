/**
 * The plan's overview, the first screen of `npm run plan`: target, domain (and who makes its DNS records), TLS, app,
 * backups, alerts, counts, memory and secrets, one row each (test/planLayout.test.ts pins the rows). The memory row
 * is also npm run policy's summary line. Pure: the stack's config, the registrations and the figures in, text out.
 */
import type { StackConfig } from "../../components/config";
import { describeDestinations } from "../../components/monitoring/alertmanagerConfig";
import { MemoryFigures, memoryLine } from "../../policy/memoryFigures";
import { TYPES } from "../../policy/lib";
import { RegisteredResource, SecretValue, UNKNOWN } from "./mockRun";
import { field } from "./planLayout";

/** A registered input as plain data, or `fallback` where it is a secret, unknown or unset. */
export function plain<T>(value: unknown, fallback: T): T {
    return value instanceof SecretValue || value === UNKNOWN || value === undefined ? fallback : (value as T);
}

/** A container's label value, as the program set it (com.freshtrack.kind, ...). */
export function label(c: RegisteredResource, key: string): string | undefined {
    const labels = plain<Array<{ label: string; value: string }>>(c.inputs.labels, []);
    return labels.find((l) => l.label === key)?.value;
}

/**
 * The memory figures as the plan's overview and npm run policy's summary print them (`memory` among fields of
 * `keyWidth`), so the two read alike.
 */
export function memoryField(memory: MemoryFigures, keyWidth = 9): string[] {
    return field("  ", "memory", keyWidth, memoryLine(memory));
}

/** Where the stack runs, in a few words. */
function targetText(cfg: StackConfig): string {
    if (cfg.droplet) return `droplet: ${cfg.droplet.size} in ${cfg.droplet.region}`;
    if (cfg.ssh) return `ssh: an existing VM, ${cfg.ssh.user}@${cfg.ssh.host}`;
    return "local: this machine's Docker daemon";
}

/** The stack's size, as the overview opens with it and the plan's last line repeats it. */
export function countsText(resources: RegisteredResource[]): string {
    const containers = resources.filter((r) => r.type === TYPES.container);
    const jobs = containers.filter((c) => label(c, "com.freshtrack.kind") === "job").length;
    const components = resources.filter((r) => !r.custom).length;
    const protectedCount = resources.filter((r) => r.options.protect).length;
    return `${resources.length} resources (${components} of them components), ${protectedCount} protected; ${containers.length} containers, ${jobs} of them jobs`;
}

/**
 * Who makes the domain's records, on a droplet: the stack in its DigitalOcean zone, or the operator at another
 * provider during the first deploy (the DigitalOcean section lists them). Elsewhere the operator's own business.
 */
function dnsText(cfg: StackConfig): string {
    if (!cfg.droplet) return "";
    return cfg.droplet.dnsZone !== undefined
        ? `; DNS records made by the stack in the DigitalOcean zone ${cfg.droplet.dnsZone}`
        : "; DNS at your provider: create its A and AAAA records during the first deploy (listed under DigitalOcean)";
}

/**
 * The plan's first screen: what the stack is, how big, and whether its memory fits, before any detail. The memory
 * line is the one npm run policy and npm run bench print; the per-container limits below add up to more, since the
 * jobs and the replacements they count do not all run at once.
 */
export function overview(
    cfg: StackConfig,
    resources: RegisteredResource[],
    memory: MemoryFigures,
    maskedKeys: readonly string[],
): string[] {
    const row = (key: string, value: string) => field("  ", key, 9, value);
    return [
        ...row("target", targetText(cfg)),
        ...row("domain", `${cfg.domain}${dnsText(cfg)}`),
        ...row("TLS", cfg.tlsMode),
        ...row("app", appText(cfg)),
        ...row(
            "backups",
            `'${cfg.backup.schedule}', kept ${cfg.backup.retentionDays} days${cfg.backup.offsite ? ", with an offsite copy" : ""}`,
        ),
        ...row("alerts", describeDestinations(cfg.alerts)),
        ...row("resources", countsText(resources)),
        ...memoryField(memory),
        ...row(
            "secrets",
            maskedKeys.length > 0
                ? `encrypted config shown masked: ${maskedKeys.join(", ")}`
                : "no encrypted config in this stack file",
        ),
    ];
}

/**
 * The app's version and demo data, then the FreshTrack images the stack runs (issue 17, friction 1: where the app
 * comes from): each reference, and whether it is pulled or built from the appBuild checkout (built on this machine,
 * and for a remote host pushed, which the host then pulls by digest: components/services/appImages.ts).
 */
export function appText(cfg: StackConfig): string {
    const { images, build } = cfg.app;
    const refs = [images.backend, images.worker, images.frontend].map((i) => i.ref).join(", ");
    const stages =
        build &&
        `${build.dockerfile} stages ${[build.targets.backend, build.targets.worker, build.targets.frontend].join(", ")}`;
    const source = !build
        ? `images pulled: ${refs}`
        : build.push
          ? `images built on this machine from ${build.context} (${stages}), pushed as ${refs}; the host pulls them by digest`
          : `images built on this machine's Docker daemon from ${build.context} (${stages}) as ${refs}`;
    return `${cfg.app.version}, demo data ${cfg.demoData ? "on" : "off"}; ${source}`;
}
