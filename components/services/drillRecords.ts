/**
 * What a restore drill leaves behind (components/services/drillScript.ts runs it): the summary file of each kind that
 * `npm run summary` reads, the metrics file of each kind that node-exporter reads, and the tables it compares.
 */
import { DrillKind, DRILL_KINDS } from "./pitrNames";

/**
 * Where a drill records its last outcome for `npm run summary`, one file per kind: on the backups volume, so a
 * replaced container still shows the last drill, and outside BACKUP_DIR and PITR_DIR, which the mirrors copy.
 */
export const DRILL_SUMMARY_DIR = "/backups";
export const SUMMARY_NAME = ".freshtrack-last-drill-";
export const DRILL_SUMMARY_FILES: Readonly<Record<DrillKind, string>> = {
    pitr: `${DRILL_SUMMARY_DIR}/${SUMMARY_NAME}pitr`,
    dump: `${DRILL_SUMMARY_DIR}/${SUMMARY_NAME}dump`,
};

/**
 * A summary file: `<key>=<value>` lines. `finished` is the drill's end and `recoveryPoint` the point it restored to
 * (empty when it failed before it had one), both UTC, ISO 8601; `detail` is one line: what was checked, or what failed.
 */
export interface DrillSummary {
    readonly kind: DrillKind;
    readonly outcome: "passed" | "failed";
    readonly finished: string;
    readonly durationSeconds: number;
    readonly recoveryPoint: string;
    readonly detail: string;
}

/** A summary file's text as the drill writes it, or undefined when it is not one (missing keys, unknown values). */
export function parseDrillSummary(text: string): DrillSummary | undefined {
    const fields = new Map<string, string>();
    for (const line of text.split("\n")) {
        const at = line.indexOf("=");
        if (at > 0) fields.set(line.slice(0, at), line.slice(at + 1));
    }
    const [kind, outcome, finished] = [
        DRILL_KINDS.find((k) => k === fields.get("kind")),
        fields.get("outcome"),
        fields.get("finished"),
    ];
    const durationSeconds = Number(fields.get("duration_seconds"));
    if (kind === undefined || (outcome !== "passed" && outcome !== "failed")) return undefined;
    if (finished === undefined || !Number.isInteger(durationSeconds)) return undefined;
    const [recoveryPoint, detail] = [fields.get("recovery_point") ?? "", fields.get("detail") ?? ""];
    return { kind, outcome, finished, durationSeconds, recoveryPoint, detail };
}

/**
 * A kind's textfile in node-exporter's directory. One file per kind, so that neither kind rewrites the other's lines;
 * node-exporter merges a family spread over several `*.prom` files only when their HELP texts agree
 * (prometheus/node_exporter@v1.8.2 collector/textfile.go:215 reads only `*.prom`, :220-237 keeps the first HELP text
 * and flags a different one as an error), so both files are written by the same lines of the script, with the same
 * HELP text for each family.
 */
export function drillMetricFile(textfileDir: string, kind: DrillKind): string {
    return `${textfileDir}/freshtrack_restore_drill_${kind}.prom`;
}

/** DRILL_TABLES as the script reads it: `table:column` pairs separated by spaces (from rollback.exportTables). */
export function drillTablesEnv(tables: readonly { readonly table: string; readonly column: string }[]): string {
    return tables.map((t) => `${t.table}:${t.column}`).join(" ");
}
