/**
 * How every npm script starts and ends: run `main`, exit with its code, and
 * turn anything thrown into one readable line (a config problem lists each
 * problem on its own line) instead of a stack trace or a dumped object.
 */
import { ConfigError, MIN_PULUMI_CLI_VERSION } from "../../components/config";

const INSTALL_PULUMI = "https://www.pulumi.com/docs/iac/download-install/";

/**
 * Whether running `pulumi` failed because there is no such command on PATH: the spawn's ENOENT, which the Automation
 * API keeps in its error's message ("spawn pulumi ENOENT"). Its "code: -2" is no sign of it: the Automation API gives
 * every failed command that code, a non-zero exit included (@pulumi/pulumi 3.270.0 automation/cmd.js:164 runs execa,
 * whose promise rejects on a non-zero exit; the catch at 193-196 wraps every rejection with unknownErrCode, -2).
 */
export function isMissingCli(err: unknown): boolean {
    if ((err as { code?: unknown } | undefined)?.code === "ENOENT") return true;
    return /\bspawn(?:Sync)? \S*pulumi ENOENT\b/.test(err instanceof Error ? err.message : String(err));
}

/** One line on why the Pulumi CLI could not be used, from the error its invocation raised. */
export function pulumiFailure(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    if (isMissingCli(err))
        return `the pulumi command was not found on PATH; install the Pulumi CLI ${MIN_PULUMI_CLI_VERSION} or newer (${INSTALL_PULUMI})`;
    return (
        message
            .split("\n")
            .find((l) => l.trim().length > 0)
            ?.trim() ?? message
    );
}

export function describeFailure(script: string, err: unknown): string {
    if (err instanceof ConfigError) return err.message;
    return `${script}: ${pulumiFailure(err)}`;
}

/**
 * Runs a script's main function with the command line's arguments and exits: 1 for a bad config, 2 for any other
 * failure.
 */
export function runCli(script: string, main: (argv: string[]) => number | Promise<number>): void {
    Promise.resolve()
        .then(() => main(process.argv.slice(2)))
        .then(
            (code) => process.exit(code),
            (err: unknown) => {
                console.error(describeFailure(script, err));
                process.exit(err instanceof ConfigError ? 1 : 2);
            },
        );
}
