/**
 * The checks of the commands a stack sets (freshtrack:appCommands): each one line of shell, and a health check one
 * that can still fail. Docker runs a CMD-SHELL health check as `/bin/sh -c <command>` and judges the container by its
 * exit status alone: 0 is healthy, anything else counts towards unhealthy (moby/moby@v27.5.1 daemon/health.go:73,209,
 * getShell at :453). A command whose status is forced to 0 reports a dead worker as healthy, and the rollout that
 * waits on it (`wait: true`) goes on.
 */
import { Check, text } from "./fields";

function oneLine(s: string): string | undefined {
    return s.trim().length > 0 && !s.includes("\n") ? undefined : "a one-line shell command";
}

/** A command run in an image: one line of shell. */
export const ONE_LINE_COMMAND: Check = text(oneLine);

/**
 * The shapes that force a command's exit status to 0, each with how it reads. In POSIX sh a list's status is that of
 * the last command it ran, and `a || b` runs b only when a fails (POSIX.1-2017 XCU 2.9.3, Lists), so `a || true`
 * answers 0 whichever way a went, a trailing `; true` whatever came before, and `exit 0` after a `;` ends the shell
 * with 0.
 */
const CANNOT_FAIL: ReadonlyArray<{ readonly shape: RegExp; readonly reads: string }> = [
    { shape: /\|\|\s*(?:true|:|\/bin\/true|\/usr\/bin\/true)(?=\s*(?:$|[;&|)]))/, reads: "|| true" },
    { shape: /\|\|\s*exit\s+0\s*;?\s*$/, reads: "|| exit 0" },
    { shape: /;\s*exit\s+0(?![0-9])/, reads: "; exit 0" },
    { shape: /;\s*(?:true|:)\s*;?\s*$/, reads: "; true" },
];

/** What a health check command that cannot fail is refused with; undefined when its status can be non-zero. */
export function cannotFail(s: string): string | undefined {
    const found = CANNOT_FAIL.find((c) => c.shape.test(s));
    if (found === undefined) return undefined;
    return (
        `a health check command that exits non-zero when the service is unhealthy; \`${found.reads}\` makes it ` +
        "exit 0 whatever happens, so a broken service would pass its health check and the rollout would go on"
    );
}

/** A health check command: one line of shell whose exit status can still say unhealthy. */
export const HEALTH_COMMAND: Check = text((s) => oneLine(s) ?? cannotFail(s));
