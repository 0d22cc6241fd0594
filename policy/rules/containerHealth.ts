import { containerPolicy } from "../lib";

export const containerHealthcheck = containerPolicy({
    name: "container-healthcheck",
    description:
        "Every long-running container has a health check, and the deploy waits for it. Fix: give the Service a healthcheck; it sets wait: true.",
    enforcementLevel: "mandatory",
    longRunningOnly: true,
    check: (container, report) => {
        const tests = container.healthcheck?.tests ?? [];
        if (tests.length === 0 || tests[0] === "NONE") {
            report(
                "has no health check, so neither Docker nor the deploy can tell it is working. Add one to the service.",
            );
        } else if (container.wait !== true) {
            report(
                "has a health check but the deploy does not wait for it (wait: true), so a broken version could replace a working one.",
            );
        }
    },
});

export const containerRestartPolicy = containerPolicy({
    name: "container-restart-policy",
    description:
        "Every long-running container restarts after a crash or a reboot. Fix: set restart to unless-stopped (the Service default).",
    enforcementLevel: "mandatory",
    longRunningOnly: true,
    config: {
        allowed: {
            type: "array",
            items: { type: "string" },
            default: ["unless-stopped", "always", "on-failure"],
            description: "Accepted restart policies.",
        },
    },
    check: (container, report, config: { allowed: string[] }) => {
        const restart = container.restart ?? "no";
        if (!config.allowed.includes(restart))
            report(
                `restart policy '${restart}' leaves it down after a crash or reboot; use one of ${config.allowed.join(", ")}.`,
            );
    },
});

export const containerLogRotation = containerPolicy({
    name: "container-log-rotation",
    description:
        "Every container's logs are rotated, so they cannot fill the disk. Fix: use the json-file driver with max-size and max-file (the Service default), or the local driver.",
    enforcementLevel: "mandatory",
    check: (container, report) => {
        const driver = container.logDriver ?? "json-file";
        const opts = container.logOpts ?? {};
        if (driver === "local") return;
        if (driver !== "json-file") {
            report(`log driver '${driver}' is not one this stack rotates; use json-file with max-size and max-file.`);
        } else if (!opts["max-size"] || !opts["max-file"]) {
            report("json-file logs without max-size and max-file grow until the disk is full.");
        }
    },
});
