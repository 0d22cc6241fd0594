/**
 * The stack's configuration: declared once in ./schema.ts, read and validated as a whole by ./parse.ts before any
 * resource is registered. `loadStackConfig` is the program's entry: it hands the parser what the Pulumi CLI handed the
 * program; scripts call `parseStackConfig` on a stack's files directly (scripts/lib/stackFiles.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "./parse";
import { RawConfig } from "./source";
import { StackConfig } from "./types";

export {
    CONFIG_KEYS,
    CONFIG_SCHEMA,
    ENVIRONMENTS,
    PROJECT,
    SECRET_CONFIG_KEYS,
    STATUS_SLUG,
    TARGETS,
    TLS_MODES,
} from "./schema";
export type { ConfigKey, Environment, SecretConfigKey, Target, TlsMode } from "./schema";
export { DEFAULT_LIMITS, SERVICE_NAMES } from "./limits";
export type { ResourceLimits, ServiceName } from "./limits";
export { ConfigError } from "./problems";
export type { ConfigProblem } from "./problems";
export { MASKED_SECURE_VALUE } from "./source";
export type { RawConfig } from "./source";
export { parseStackConfig } from "./parse";
export { placeholderValues } from "./placeholders";
export { renderProjectConfig } from "./projectFile";
export { ROTATABLE_SECRETS } from "./types";
export type * from "./types";

/**
 * Whether a key's value reached the program encrypted. The CLI hands the program the keys whose stack values are
 * secure (pulumi@v3.259.0 pkg/resource/deploy/source_eval.go:223, sdk/nodejs/cmd/pulumi-language-nodejs/main.go:105,
 * 914: PULUMI_CONFIG_SECRET_KEYS), and the SDK answers from that list (sdk/nodejs/runtime/config.ts:74
 * isConfigSecret, exported at run time though not in the typings); the mocks fill the same list
 * (scripts/lib/mockRun.ts).
 */
export function arrivedEncrypted(fullKey: string): boolean {
    const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
    if (typeof isConfigSecret !== "function") {
        throw new Error(
            "@pulumi/pulumi no longer exports runtime.isConfigSecret; components/config cannot tell a secret config value from plain text",
        );
    }
    return isConfigSecret(fullKey);
}

/** The config the Pulumi CLI handed this program, as the parser takes it. */
export function runtimeConfig(): RawConfig {
    const values = pulumi.runtime.allConfig();
    const encrypted = new Set(Object.keys(values).filter(arrivedEncrypted));
    return { stack: pulumi.getStack(), project: pulumi.getProject(), values, encrypted };
}

/** Reads and validates the whole stack config. Throws one ConfigError listing every problem. */
export function loadStackConfig(): StackConfig {
    return parseStackConfig(runtimeConfig());
}
