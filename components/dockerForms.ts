/**
 * The forms in which the Docker provider reads values back into state.
 *
 * The bridged provider diffs the program's new inputs against the state it read
 * back after the last create, not against the previous inputs. An input written
 * in any other form than the one it reads back as is a change on every update,
 * and for inputs that force replacement (`cpus`, `healthcheck` through
 * `replaceOnChanges`) a replacement on every `pulumi up`. So the program writes
 * these values in their read-back form, and config refuses values that cannot
 * survive the round trip.
 *
 * Source: kreuzwerker/terraform-provider-docker v4.5.0 (the commit pulumi-docker 5.x
 * bridges, upstream submodule 5074970c).
 */

const NANO = 1_000_000_000n;

/**
 * Docker's NanoCPUs for a `cpus` value, as the provider parses it on create:
 * `opts.ParseCPUs` (docker/cli opts/opts.go) takes the decimal exactly and refuses a
 * value that is not a whole number of billionths.
 */
export function nanoCpus(cpus: number): bigint | undefined {
    if (!(cpus > 0) || !Number.isFinite(cpus)) return undefined;
    const [whole, fraction = ""] = String(cpus).split(".");
    if (/e/i.test(String(cpus)) || fraction.length > 9) return undefined;
    return BigInt(whole!) * NANO + BigInt(fraction.padEnd(9, "0"));
}

/**
 * How the provider writes NanoCPUs back to `cpus`: `nanoInt64ToDecimalString`
 * (internal/provider/helpers.go:133, read at resource_docker_container_funcs.go:947).
 * It prints nine decimals; when the printed number holds exactly nine zeros it
 * prints one decimal instead (rounding), else it trims trailing zeros. So
 * 1 reads back as "1.0", 0.5 as "0.5", 0.05 as "0.1" and 10 as "10.".
 */
export function cpusReadBack(nano: bigint): string {
    if (nano === 0n) return "0";
    const nine = `${nano / NANO}.${(nano % NANO).toString().padStart(9, "0")}`;
    if ((nine.match(/0/g) ?? []).length === 9) {
        // big.Rat.FloatString(1): rounds half away from zero to one decimal.
        const tenths = (nano * 10n + NANO / 2n) / NANO;
        return `${tenths / 10n}.${tenths % 10n}`;
    }
    return nine.replace(/0+$/, "");
}

/**
 * The `cpus` input for a limit, in the form it reads back, or undefined when no
 * string reads back as the same limit (0.05 reads back as "0.1", a different limit).
 */
export function cpusInput(cpus: number): string | undefined {
    const nano = nanoCpus(cpus);
    if (nano === undefined) return undefined;
    const form = cpusReadBack(nano);
    return nanoCpus(Number(form)) === nano ? form : undefined;
}

/**
 * A whole number of seconds as Go's `time.Duration.String()` prints it, the form in which
 * the provider reads health check durations back (resource_docker_container_funcs.go:960-968):
 * 10 → "10s", 60 → "1m0s", 90 → "1m30s", 3600 → "1h0m0s".
 */
export function goDuration(seconds: number): string {
    if (!Number.isInteger(seconds) || seconds < 0)
        throw new RangeError(`goDuration takes whole seconds, got ${seconds}`);
    if (seconds === 0) return "0s";
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    if (h > 0) return `${h}h${m}m${s}s`;
    if (m > 0) return `${m}m${s}s`;
    return `${s}s`;
}

/**
 * For a `cpus` value that does not survive the read-back: what it would read back as,
 * and the nearest values that do, for config errors.
 */
export function cpusAdvice(cpus: number): string {
    const nano = nanoCpus(cpus);
    const readsAs =
        nano === undefined ? "it is not a decimal Docker accepts" : `it reads back as ${cpusReadBack(nano)}`;
    const below = nearestSurviving(cpus, -1);
    const above = nearestSurviving(cpus, +1);
    const options = [below, above].filter((v): v is number => v !== undefined && v !== cpus).map(String);
    return options.length > 0 ? `${readsAs}; use ${options.join(" or ")}` : readsAs;
}

/** The nearest value in steps of 0.01 in one direction whose `cpus` form reads back unchanged. */
function nearestSurviving(cpus: number, direction: -1 | 1): number | undefined {
    const start = Math.round(cpus * 100);
    for (let step = 0; step <= 1000; step++) {
        const candidate = (start + direction * step) / 100;
        if (candidate <= 0) return undefined;
        if ((direction < 0 ? candidate <= cpus : candidate >= cpus) && cpusInput(candidate) !== undefined)
            return candidate;
    }
    return undefined;
}
