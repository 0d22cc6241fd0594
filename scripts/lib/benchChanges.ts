/** The typical changes the benchmark applies to each stack, and the targets it measures against. */
import type { ServiceName, StackConfig } from "../../components/config";
import { Panel, PANELS } from "../../components/monitoring/grafana";
import { StackSettings } from "./stackFiles";

/** The old bash deploy ran its phases strictly one after another. */
export const OLD_SEQUENTIAL_PHASES = 10;

export type Program = () => { cfg: StackConfig };

/** A typical change: a new stack config, or a code edit applied for one run and undone after. */
export interface TypicalChange {
    readonly id: string;
    readonly title: string;
    /** A change to the application or its monitoring, which must never replace a data-tier container. */
    readonly appLevel: boolean;
    /** Returns the config after the change, given the current one and the stack's validated settings. */
    readonly configure?: (settings: StackSettings, cfg: StackConfig) => StackSettings;
    /** Applies a code change and returns its undo. */
    readonly patch?: () => () => void;
    /** Container names (resource names) this change may replace; anything else replaced misses the target. */
    readonly mayReplace?: (tierOf: (name: string) => string | undefined) => (name: string) => boolean;
    /** Containers it must replace for the change to take effect at all. */
    readonly mustReplace?: readonly string[];
    /** Nothing at all may change: no replacement, no update, of any resource. */
    readonly changesNothing?: boolean;
}

function withValue(settings: StackSettings, key: string, value: unknown): StackSettings {
    return {
        ...settings,
        config: {
            ...settings.config,
            [`freshtrack:${key}`]: typeof value === "string" ? value : JSON.stringify(value),
        },
    };
}

function objectValue(settings: StackSettings, key: string): Record<string, unknown> {
    const raw = settings.config[`freshtrack:${key}`];
    return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

/** 1.4.2 -> 1.4.3; anything else gets a suffix. */
export function nextVersion(version: string): string {
    const m = /^(.*?)(\d+)$/.exec(version);
    return m ? `${m[1]}${Number(m[2]) + 1}` : `${version}-next`;
}

const APP_SERVICES = ["backend", "worker", "frontend"];
const MEMORY_STEP_MB = 32;

function raiseMemory(service: ServiceName): (s: StackSettings, cfg: StackConfig) => StackSettings {
    return (s, cfg) =>
        withValue(s, "resources", {
            ...objectValue(s, "resources"),
            [service]: { ...cfg.resources[service], memoryMb: cfg.resources[service].memoryMb + MEMORY_STEP_MB },
        });
}

export const TYPICAL_CHANGES: readonly TypicalChange[] = [
    {
        // The empty second plan Terraform's acceptance tests require: the same program and config again, over the
        // state the first `up` left as the providers read it back (scripts/lib/readBack). Anything listed here
        // would be replaced or updated on every `pulumi up`.
        id: "no-change",
        title: "no change (a second up)",
        appLevel: true,
        configure: (s) => s,
        mayReplace: () => () => false,
        changesNothing: true,
    },
    {
        id: "app-version",
        title: "app version bump",
        appLevel: true,
        configure: (s, cfg) => withValue(s, "appVersion", nextVersion(cfg.app.version)),
        // The app containers and the migration step (its pre-migration backup and the migrate job).
        mayReplace: (tierOf) => (name) => tierOf(name) === "app" || tierOf(name) === "migrations",
        mustReplace: [...APP_SERVICES, "migrate"],
    },
    {
        id: "dashboard-edit",
        title: "Grafana dashboard edit",
        appLevel: true,
        patch: () => {
            // PANELS is read-only to the program; the benchmark edits it for one run, as a developer would edit the
            // file.
            const panels = PANELS[0]!.panels as Panel[];
            panels.push({ title: "Benchmark panel", type: "stat", expr: "up" });
            return () => void panels.pop();
        },
        mayReplace: () => (name) => name === "grafana-dashboards",
        mustReplace: ["grafana-dashboards"],
    },
    {
        id: "domain-change",
        title: "Caddy domain change",
        appLevel: true,
        configure: (s, cfg) => withValue(s, "domain", `next-${cfg.domain}`),
        mustReplace: ["caddy"],
    },
    {
        id: "grafana-password",
        title: "rotate the Grafana password",
        appLevel: true,
        configure: (s, cfg) =>
            withValue(s, "secretGenerations", {
                ...objectValue(s, "secretGenerations"),
                grafanaAdminPassword: (cfg.secretGenerations.grafanaAdminPassword ?? 1) + 1,
            }),
        mayReplace: () => (name) => name === "grafana" || name === "grafana-admin-password",
        mustReplace: ["grafana-admin-password"],
    },
    {
        id: "memory-raise-backend",
        title: `raise backend memory by ${MEMORY_STEP_MB} MB`,
        appLevel: true,
        configure: raiseMemory("backend"),
        // Docker changes a running container's memory limit in place.
        mayReplace: () => () => false,
    },
    {
        id: "memory-raise-postgres",
        title: `raise postgres memory by ${MEMORY_STEP_MB} MB`,
        appLevel: false,
        configure: raiseMemory("postgres"),
        // Its buffers are tuned from the limit, so the new limit arrives with a new config: a restart.
        mayReplace: () => (name) => name === "postgres",
    },
];
