/**
 * The script of the PID-limit command (components/host/pidsLimit.ts says why there is one), kept free of Pulumi so the
 * policy pack can compare a command with exactly what it should be.
 */
/** The script, by labels rather than by ID, so it reads the same in every preview and the policy pack can judge it. */
export function renderPidsLimitScript(stackLabel: string, service: string, limit: number): string {
    for (const [what, value] of [
        ["stack label", stackLabel],
        ["service", service],
    ] as const) {
        if (!/^[a-z0-9][a-z0-9-]*$/.test(value)) throw new Error(`pids limit: ${what} '${value}' is not a plain name`);
    }
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`pids limit: ${limit} is not a positive integer`);
    return [
        "set -eu",
        // Every running container of the service: during a create-before-delete replacement the old one as well.
        `ids=$(docker ps -q --filter label=com.freshtrack.stack=${stackLabel} --filter label=com.freshtrack.service=${service})`,
        `[ -n "$ids" ] || { echo "no running container of ${service} in ${stackLabel} to limit" >&2; exit 1; }`,
        `docker update --pids-limit ${limit} $ids >/dev/null`,
        `echo "${service}: at most ${limit} processes"`,
        "",
    ].join("\n");
}
