/**
 * The stack's configuration: declared once in ./schema.ts, read and validated as a whole by ./parse.ts before any
 * resource is registered. `loadStackConfig` is the program's entry: it hands the parser what the Pulumi CLI handed the
 * program; scripts call `parseStackConfig` on a stack's files directly (scripts/lib/stackFiles.ts).
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { isConfigSecret } from "../sdkInternals";
import { parseStackConfig } from "./parse";
import { LocalFiles, RawConfig } from "./source";
import { StackConfig } from "./types";

export {
    CONFIG_KEYS,
    CONFIG_SCHEMA,
    ENVIRONMENTS,
    PROJECT,
    ROTATABLE_SECRETS,
    SECRET_CONFIG_KEYS,
    STATUS_SLUG,
    TARGETS,
    TLS_MODES,
} from "./schema";
export type { ConfigKey, Environment, RotatableSecret, SecretConfigKey, Target, TlsMode } from "./schema";
export { DEFAULT_LIMITS, SERVICE_NAMES } from "./limits";
export type { ResourceLimits, ServiceName } from "./limits";
export { ConfigError } from "./problems";
export type { ConfigProblem } from "./problems";
export { MASKED_SECURE_VALUE } from "./source";
export type { LocalFiles, RawConfig } from "./source";
export { parseStackConfig } from "./parse";
export { hasAlertDestination, unalertedProductionWarning } from "./operations";
export { placeholderValues } from "./placeholders";
export { MIN_PULUMI_CLI_VERSION, projectDescription, renderProjectConfig } from "./projectFile";
export type * from "./types";

/**
 * Whether a key's value reached the program encrypted: the SDK answers from the list of secret keys the CLI passes, by
 * a function it does not publish (components/sdkInternals.ts, isConfigSecret); the mocks fill the same list
 * (scripts/lib/mockRun.ts).
 */
export function arrivedEncrypted(fullKey: string): boolean {
    return isConfigSecret(fullKey);
}

/** The files of this machine, as the config parser asks about them (the build context of freshtrack:appBuild). */
export const NODE_FILES: LocalFiles = {
    resolve: (...segments) => path.resolve(...segments),
    isDirectory: (p) => fs.existsSync(p) && fs.statSync(p).isDirectory(),
    isFile: (p) => fs.existsSync(p),
};

/** The config the Pulumi CLI handed this program, as the parser takes it. */
export function runtimeConfig(): RawConfig {
    const values = pulumi.runtime.allConfig();
    const encrypted = new Set(Object.keys(values).filter(arrivedEncrypted));
    return { stack: pulumi.getStack(), project: pulumi.getProject(), values, encrypted, files: NODE_FILES };
}

/** Reads and validates the whole stack config. Throws one ConfigError listing every problem. */
export function loadStackConfig(): StackConfig {
    return parseStackConfig(runtimeConfig());
}
