import { StackValidationPolicy } from "@pulumi/policy";
import { BACKUP_DIR } from "../../components/services/backupScripts";
import { BUCKETS } from "../../components/services/context";
import { PITR_DIR } from "../../components/services/pitrNames";
import { labels, TYPES } from "../lib";
import { headroomPercent, hostMemory, memoryFigures, peakWithinBudget } from "../memoryFigures";

/** What to do about a stack over its budget, after the figures: the runbook of a refused raise. */
export const MEMORY_FIX =
    'Lower a limit in freshtrack:resources, or resize the droplet first, in a deploy of its own (docs/troubleshooting.md, "Resizing the droplet").';

export const memoryBudget: StackValidationPolicy = {
    name: "stack-memory-budget",
    description:
        "The containers' memory limits, at their peak during an update, fit the host's memory with headroom for the kernel and Docker. Fix: lower limits in freshtrack:resources or choose a larger droplet.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            headroom: {
                type: "number",
                default: 0.15,
                // Below 1, so a budget is left to share out (and the free percentage has one to divide by).
                minimum: 0,
                maximum: 0.9,
                description: "Share of host memory kept free of container limits.",
            },
            hostMemoryMb: {
                type: "integer",
                default: 0,
                description: "Host memory for targets without a droplet (ssh); 0 skips the check there.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const settings = args.getConfig<{ headroom: number; hostMemoryMb: number }>();
        // The host before any limit: without one the rule does not apply, whatever the limits (unknown ones included).
        const host = hostMemory(args.resources, settings);
        if (host.mb === undefined) args.notApplicable(host.label);
        const f = memoryFigures(args.resources, settings);
        // The predicate npm run bench marks its memory target by (policy/memoryFigures.ts).
        if (peakWithinBudget(f) === false) {
            // The figures npm run plan, npm run policy and npm run bench print (policy/memoryFigures.ts).
            reportViolation(
                `container limits reach ${f.peakMb} MB at peak (${f.steadyMb} MB steady), over the ${f.budgetMb} MB budget: ${f.hostMb} MB less ${headroomPercent(f)} % headroom (${f.hostLabel}); ${-f.freeMb!} MB over. ${MEMORY_FIX}`,
            );
        }
    },
};

export const containersThroughService: StackValidationPolicy = {
    name: "stack-containers-through-service",
    description:
        "Every container is created by the Service component, so none escapes its limits, health check and hardening. Fix: create containers with new Service(...), never docker.Container directly.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        for (const c of args.resources.filter((r) => r.type === TYPES.container)) {
            if (c.parent?.type !== TYPES.service)
                reportViolation(`container ${c.name} is not created by the Service component.`, c.urn);
        }
    },
};

/** mc mirror flags that make a copy follow the source's deletions or overwrite what it already holds. */
const MIRROR_FLAGS_THAT_DELETE: Record<string, string> = {
    "--remove": "removes copies whose source is gone",
    "--watch":
        "removes on the target every file removed at the source, --remove or not (minio/mc@RELEASE.2025-08-13T08-35-41Z cmd/mirror-main.go:754)",
    "-w": "is --watch",
    "--multi-master": "is --watch",
    "--active-active": "mirrors removals both ways",
    "--overwrite": "lets a corrupt or emptied local file replace a good copy",
    "--force": "is --overwrite",
};

/**
 * What makes a container's `mc mirror` unsafe for backups, one line each: a flag from
 * MIRROR_FLAGS_THAT_DELETE, or an `offsite/` target written without SSE-C (`--enc-c`). Reads the
 * container's argv, and the script when it runs one through `sh -c`.
 */
export function mirrorProblems(props: Record<string, any>): string[] {
    const argv = [...((props.entrypoints ?? []) as string[]), ...((props.command ?? []) as string[])].filter(
        (a) => typeof a === "string",
    );
    const words = argv.flatMap((a) => a.split(/\s+/)).map((w) => w.replace(/^["']|["';|&]+$/g, ""));
    if (!words.includes("mirror")) return [];
    const problems = Object.entries(MIRROR_FLAGS_THAT_DELETE)
        .filter(([flag]) => words.includes(flag))
        .map(
            ([flag, why]) =>
                `mirrors with ${flag}, which ${why}: an emptied or rebuilt backups volume must never cost a copy`,
        );
    if (words.some((w) => w.startsWith("offsite/")) && !words.includes("--enc-c")) {
        problems.push("copies offsite without --enc-c: the copies leave the host unencrypted");
    }
    return problems;
}

/**
 * mc flags that take the next word as their value (minio/mc@RELEASE.2025-08-13T08-35-41Z cmd/mirror-main.go:49-152,
 * cmd/flags.go:36,108-130).
 */
const MC_VALUE_FLAGS = new Set([
    "--config-dir",
    "-C",
    "--region",
    "--exclude",
    "--exclude-bucket",
    "--exclude-storageclass",
    "--older-than",
    "--newer-than",
    "--storage-class",
    "--sc",
    "--attr",
    "--monitoring-address",
    "--max-workers",
    "--checksum",
    "--enc-c",
    "--enc-kms",
    "--enc-s3",
]);

/** Shell words of a command line, quotes removed, with `;`, `&&`, `||`, `|`, `&` and newlines as words of their own. */
function shellWords(text: string): string[] {
    const words: string[] = [];
    let word = "";
    let quote: "'" | '"' | undefined;
    let inWord = false;
    const end = () => {
        if (inWord) words.push(word);
        word = "";
        inWord = false;
    };
    for (let i = 0; i < text.length; i++) {
        const ch = text[i]!;
        if (quote) {
            if (ch === quote) quote = undefined;
            else word += ch;
        } else if (ch === "'" || ch === '"') {
            quote = ch;
            inWord = true;
        } else if (ch === "\n" || ch === ";" || ch === "|" || ch === "&") {
            end();
            words.push(";");
        } else if (/\s/.test(ch)) {
            end();
        } else {
            word += ch;
            inWord = true;
        }
    }
    end();
    return words;
}

/**
 * The copies a container's `mc mirror` commands make, as source and target, read from its argv and, when it runs a
 * script through `sh -c`, from the script: the first two words after `mirror` that are neither a flag nor a flag's
 * value.
 */
export function mirrorCopies(
    props: Record<string, any>,
): Array<{ source: string; target: string; runsMc: boolean; copiesNothing: boolean }> {
    const argv = [...((props.entrypoints ?? []) as unknown[]), ...((props.command ?? []) as unknown[])].filter(
        (a): a is string => typeof a === "string",
    );
    // Comment lines hold no command (the second attack pass hid a mirror in one).
    const text = argv
        .join(" ")
        .split("\n")
        .filter((line) => !line.trim().startsWith("#"))
        .join("\n");
    const words = shellWords(text);
    const copies: Array<{ source: string; target: string; runsMc: boolean; copiesNothing: boolean }> = [];
    for (let i = 0; i < words.length; i++) {
        if (words[i] !== "mirror") continue;
        // The command word: back over `mc`'s own flags (`--config-dir <dir>`) to the start of the command.
        let k = i - 1;
        while (k >= 1 && words[k - 1]!.startsWith("-")) k -= 2;
        while (k >= 0 && words[k]!.startsWith("-")) k -= 1;
        const runsMc =
            k >= 0 &&
            /(^|\/)mc$/.test(words[k]!) &&
            (k === 0 || words[k - 1] === ";" || words[k - 1] === "then" || words[k - 1] === "do");
        const positional: string[] = [];
        let copiesNothing = false;
        for (let j = i + 1; j < words.length && words[j] !== ";" && positional.length < 2; j++) {
            const w = words[j]!;
            if (w === "--dry-run" || w === "--fake") copiesNothing = true;
            if (w.startsWith("-")) {
                if (w === "--exclude" && /^\*+(\/\*+)*$/.test(words[j + 1] ?? "")) copiesNothing = true;
                if (MC_VALUE_FLAGS.has(w)) j++;
            } else positional.push(w);
        }
        if (positional.length === 2)
            copies.push({ source: positional[0]!, target: positional[1]!, runsMc, copiesNothing });
    }
    return copies;
}

/**
 * What of the block volume's data the backup-offsite containers leave without an offsite copy: the database dumps
 * (BACKUP_DIR) and the uploads bucket, each of which must be the source of an `mc mirror` to an `offsite/` target;
 * and, in a stack that streams its write-ahead log (a `wal-receiver` container), point-in-time recovery's base
 * backups and log (PITR_DIR), without which the offsite copy restores only to the last dump.
 */
export function offsiteGaps(
    offsiteContainers: Array<{ props: Record<string, any> }>,
    stack: { readonly pointInTime?: boolean } = {},
): string[] {
    // Only what `mc` really runs and copies: not an echo, a dry run, or an exclude of everything (the second attack
    // pass).
    const copies = offsiteContainers
        .flatMap((c) => mirrorCopies(c.props))
        .filter((c) => c.runsMc && !c.copiesNothing && c.target.startsWith("offsite/"));
    const strip = (p: string) => p.replace(/\/+$/, "");
    const gaps: string[] = [];
    if (!copies.some((c) => strip(c.source) === BACKUP_DIR)) gaps.push(`the database dumps (${BACKUP_DIR})`);
    if (stack.pointInTime && !copies.some((c) => strip(c.source) === PITR_DIR)) {
        gaps.push(`the base backups and write-ahead log of point-in-time recovery (${PITR_DIR}, from wal-receiver)`);
    }
    // From the stack's own MinIO, the `local` alias (an `offsite/uploads` source would be the offsite store itself).
    if (!copies.some((c) => strip(c.source) === `local/${BUCKETS.uploads}`)) {
        gaps.push(`the uploaded files (MinIO bucket ${BUCKETS.uploads}, which exist nowhere else)`);
    }
    return gaps;
}

export const backupsAndMonitoring: StackValidationPolicy = {
    name: "stack-backups-and-monitoring",
    description:
        "Backup copies are append-only and offsite copies encrypted; in production the host is backed up and monitored, the data volume has a copy " +
        "off the host, and the configured safety-net services exist. Fix: mirror without --watch, --remove or --overwrite and " +
        "offsite with --enc-c; turn on droplet backups and monitoring; set freshtrack:backup.offsite; deploy the services listed in requiredServices.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            required: {
                type: "boolean",
                default: false,
                description:
                    "Enforce the production checks (set true in the production environment's settings); the mirror checks apply to every stack.",
            },
            requiredServices: {
                type: "array",
                items: { type: "string" },
                default: [],
                description:
                    "Services (com.freshtrack.service label) that must exist, e.g. the backup job and Prometheus.",
            },
            offsiteForVolumes: {
                type: "boolean",
                // On wherever the production checks are: the block volume holds the database, its dumps and MinIO, so
                // without an offsite copy one lost volume loses everything. Turning it off is a written decision in the
                // stack's pack config.
                default: true,
                description:
                    "With required: a DigitalOcean block volume needs the backup-offsite service, copying the database dumps, the " +
                    "uploads bucket and, where a wal-receiver streams the write-ahead log, point-in-time recovery's base backups and " +
                    "log off the host, since droplet backups do not cover volumes. " +
                    "Set false only to accept that losing the volume loses every copy.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const config = args.getConfig<{ required: boolean; requiredServices: string[]; offsiteForVolumes: boolean }>();
        const containers = args.resources.filter((r) => r.type === TYPES.container);
        let mirrorViolations = 0;
        for (const c of containers) {
            for (const problem of mirrorProblems(c.props)) {
                mirrorViolations++;
                reportViolation(`${labels(c.props).service ?? c.name}: ${problem}.`, c.urn);
            }
        }
        if (!config.required) {
            if (mirrorViolations === 0)
                args.notApplicable(
                    "no backup mirror follows deletions, and the production checks are not required in this stack",
                );
            return;
        }
        for (const d of args.resources.filter((r) => r.type === TYPES.droplet)) {
            if (d.props.backups !== true) reportViolation(`droplet ${d.name} has DigitalOcean backups off.`, d.urn);
            if (d.props.monitoring !== true) reportViolation(`droplet ${d.name} has the monitoring agent off.`, d.urn);
        }
        const services = new Set(containers.map((c) => labels(c.props).service));
        for (const name of config.requiredServices) {
            if (!services.has(name)) reportViolation(`required service ${name} is not deployed.`);
        }
        // Droplet backups are images of the droplet's own disk; attached block volumes are not in them
        // (docs.digitalocean.com/products/images/backups/details/limits: "automated backups do not include volumes";
        // and "Destroying a Droplet destroys the backups along with it", products/images/backups/support).
        if (config.offsiteForVolumes && !services.has("backup-offsite")) {
            for (const v of args.resources.filter((r) => r.type === TYPES.doVolume)) {
                reportViolation(
                    `volume ${v.name} holds the stack's data and droplet backups do not cover block volumes; its only other copy is on the same host. ` +
                        "Set freshtrack:backup.offsite and its three secrets (docs/walkthrough.md, step 4; docs/operations.md, Offsite copies).",
                    v.urn,
                );
            }
        } else if (config.offsiteForVolumes) {
            // A backup-offsite that exists is not yet a copy of the volume: it must copy each kind of data the volume
            // holds. A stack that streams its write-ahead log keeps point-in-time recovery's copies there too.
            const gaps = offsiteGaps(
                containers.filter((c) => labels(c.props).service === "backup-offsite"),
                { pointInTime: services.has("wal-receiver") },
            );
            if (gaps.length > 0) {
                const missing = gaps.length === 1 ? gaps[0] : `${gaps.slice(0, -1).join(", ")} or ${gaps.at(-1)}`;
                for (const v of args.resources.filter((r) => r.type === TYPES.doVolume)) {
                    reportViolation(
                        `volume ${v.name} holds the stack's data and droplet backups do not cover block volumes; backup-offsite copies nothing of ` +
                            `${missing} off the host. Mirror each to the offsite store (components/services/backup.ts, offsiteCopies; ` +
                            "docs/operations.md, Offsite copies).",
                        v.urn,
                    );
                }
            }
        }
    },
};
