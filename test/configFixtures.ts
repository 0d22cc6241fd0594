/**
 * What the config test files share (test/configErrors.test.ts, test/configSecretsPlainText.test.ts,
 * test/configTargets.test.ts): the ConfigError a config is refused with, and the keys it names.
 */
import { ConfigError } from "../components/config";
import { configFor, settingsWith } from "./helpers";

/** Runs the program's config reader on these settings and returns the ConfigError; fails if the config passes. */
export async function problemsFor(config: Record<string, unknown>, secretKeys: string[] = []): Promise<ConfigError> {
    try {
        await configFor(settingsWith(config, secretKeys));
    } catch (err) {
        if (err instanceof ConfigError) return err;
        throw err;
    }
    throw new Error("expected a ConfigError, but the config was accepted");
}

/** The key of each problem, in the order reported. */
export function keysOf(err: ConfigError): string[] {
    return err.problems.map((p) => p.key);
}
