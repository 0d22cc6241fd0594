/**
 * Shared test helpers. Every run resets the SDK's mocks and config (see
 * scripts/lib/mockRun.ts), so each `it` builds its own program: modules are
 * cached, but `deployStack()` and components are created inside the test.
 */
import { expect } from "chai";
import { SERVICE_SPECS } from "../components/catalog";
import { loadStackConfig, StackConfig } from "../components/config";
import { MockRun, RegisteredResource, runUnderMocks, SecretValue } from "../scripts/lib/mockRun";
import { loadStackSettings, StackSettings } from "../scripts/lib/stackFiles";

export const CONTAINER = "docker:index/container:Container";

/**
 * Every container a full stack runs (self-hosted PostgreSQL, no demo data, no offsite copy), from the service catalog
 * (components/catalog).
 */
export const ALL_CONTAINERS = SERVICE_SPECS.filter(
    // Point-in-time recovery is on by default (freshtrack:backup.pointInTime), so its receiver runs on them too.
    (s) =>
        s.runs === "always" ||
        s.runs === "with a self-hosted PostgreSQL" ||
        s.runs === "with freshtrack:backup.pointInTime",
)
    .map((s) => s.name)
    .sort();

/** The smallest valid config: only the keys Pulumi.yaml gives no default. */
export const MINIMAL_CONFIG: Record<string, string> = {
    "freshtrack:domain": "freshtrack.example.com",
    "freshtrack:adminEmail": "ops@example.com",
    "freshtrack:appVersion": "1.4.2",
};

export function settingsWith(
    config: Record<string, unknown>,
    secretKeys: string[] = [],
    stack = "test",
): StackSettings {
    const merged: Record<string, string> = { ...MINIMAL_CONFIG };
    for (const [k, v] of Object.entries(config)) {
        if (v === undefined) delete merged[k];
        else merged[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return { stack, config: merged, secretKeys };
}

/** Runs loadStackConfig under mocks with the given settings. */
export async function configFor(settings: StackSettings): Promise<StackConfig> {
    const run = await runUnderMocks(settings, loadStackConfig);
    return run.result;
}

/** Runs any program under mocks with a minimal valid config. */
export function run<T>(program: () => T, settings: StackSettings = settingsWith({})): Promise<MockRun<T>> {
    return runUnderMocks(settings, program);
}

/**
 * Runs `program` on a shipped stack's settings, anew on every call. A test that only reads what deployStack registers
 * takes the run the suites share instead (test/variantRuns.ts, shippedRun); this one is for a run that must really
 * happen: a second `up` to compare with, or a program that reads something the test changed around it.
 */
export function runStack<T>(stack: string, program: () => T): Promise<MockRun<T>> {
    return runUnderMocks(loadStackSettings(stack), program);
}

export function containers(resources: RegisteredResource[]): RegisteredResource[] {
    return resources.filter((r) => r.type === CONTAINER);
}

/** Every plain string anywhere in a value, skipping what is marked secret. */
export function plainStrings(value: unknown): string[] {
    if (value instanceof SecretValue) return [];
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(plainStrings);
    if (typeof value === "object" && value !== null) return Object.values(value).flatMap(plainStrings);
    return [];
}

/** The container registered under a service name; fails the test when there is none. */
export function containerNamed(resources: RegisteredResource[], name: string): RegisteredResource {
    const found = containers(resources).find((c) => c.name === name);
    if (!found) throw new Error(`no container named ${name}`);
    return found;
}

/** The text a container receives at `file`, secret or not. */
export function uploadText(resources: RegisteredResource[], container: string, file: string): string {
    const c = containerNamed(resources, container);
    const uploads = (c.inputs.uploads instanceof SecretValue ? c.inputs.uploads.value : c.inputs.uploads) as Array<{
        file: string;
        content: unknown;
    }>;
    const upload = uploads.find((u) => u.file === file);
    if (!upload) throw new Error(`${container} receives no ${file}`);
    return String(upload.content instanceof SecretValue ? upload.content.value : upload.content);
}

/** An offsite encryption key of the right form (64 hex digits), for tests. */
export const TEST_OFFSITE_KEY = "c0ffee".repeat(10) + "abcd";

/**
 * A shipped stack's settings with an offsite store and its three secrets set, as the walkthrough (step 4) has the
 * operator do for prod, whose policy requires an offsite copy of the block volume.
 */
export function withOffsite(settings: StackSettings): StackSettings {
    const backup = JSON.parse(settings.config["freshtrack:backup"] ?? "{}") as Record<string, unknown>;
    settings.config["freshtrack:backup"] = JSON.stringify({
        ...backup,
        offsite: { endpoint: "https://fra1.digitaloceanspaces.com", bucket: "acme-freshtrack-backups" },
    });
    settings.config["freshtrack:backupOffsiteAccessKeyId"] = "DO00KEY";
    settings.config["freshtrack:backupOffsiteSecretAccessKey"] = "spaces-secret";
    settings.config["freshtrack:backupOffsiteEncryptionKey"] = TEST_OFFSITE_KEY;
    settings.secretKeys.push(
        "freshtrack:backupOffsiteAccessKeyId",
        "freshtrack:backupOffsiteSecretAccessKey",
        "freshtrack:backupOffsiteEncryptionKey",
    );
    return settings;
}

/**
 * The one line the stand-in CLI makes the Automation API print: it sends no engine events, so the preview that runs
 * before every update (scripts/lib/workspace.ts) reports no change summary (@pulumi/pulumi 3.270.0
 * automation/stack.js:454-457). A real CLI sends them.
 */
export function withoutStandInArtefact(stderr: string): string {
    return stderr.replace(/^warning: \[runtime\] Failed to parse summary event, but preview succeeded\..*\n/m, "");
}

/** Prod's settings with freshtrack:droplet.dnsZone left out: its DNS is kept at another provider. */
export function prodWithoutDnsZone(): StackSettings {
    const settings = loadStackSettings("prod");
    const droplet = JSON.parse(settings.config["freshtrack:droplet"]!) as Record<string, unknown>;
    expect(droplet.dnsZone, "the shipped prod has a zone to leave out").to.be.a("string");
    delete droplet.dnsZone;
    settings.config["freshtrack:droplet"] = JSON.stringify(droplet);
    return settings;
}
