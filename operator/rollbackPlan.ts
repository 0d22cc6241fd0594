/**
 * operator/: code that the npm scripts and the post-deploy commands run against a live stack (HTTP checks, mail,
 * rollback planning). It is not part of the Pulumi program's resource graph: operator/ may import from components/,
 * never the reverse (test/layout.test.ts).
 *
 * Rollback planning and the data export that precedes it, for scripts/rollback.ts. Pure functions, but here rather
 * than in components/ because no resource uses them: the stack's update history in, a decision out; table list in, a
 * POSIX sh script out (run in the backup container by `docker exec`, and in the tests on PostgreSQL).
 */

/** What the rollback needs from one entry of `pulumi stack history` (Automation API UpdateSummary). */
export interface HistoryEntry {
    readonly kind: string;
    readonly result: string;
    readonly startTime: Date;
    readonly version: number;
    /** freshtrack:appVersion of that update, if it was set. */
    readonly appVersion?: string;
}

export interface RollbackPlan {
    readonly from: string;
    readonly to: string;
    /** When the version being rolled back went live: rows written since then are exported. */
    readonly since: Date;
}

/**
 * Decides where to go back to. `history` is newest first, as Pulumi returns
 * it. What runs now is the version of the newest successful update; it went
 * live at the start of the first of the updates in a row that deployed it.
 * The target is the requested version if it ran before that, or else the
 * version that ran just before.
 */
export function planRollback(history: readonly HistoryEntry[], requested?: string): RollbackPlan | string {
    const deployed = history.filter(
        (h) => h.kind === "update" && h.result === "succeeded" && h.appVersion !== undefined,
    );
    const current = deployed[0]?.appVersion;
    if (current === undefined) return "no successful update on this stack yet; nothing to roll back";
    let live = 0;
    while (live + 1 < deployed.length && deployed[live + 1]!.appVersion === current) live++;
    const since = deployed[live]!.startTime;
    const earlier = deployed.slice(live + 1);
    if (requested !== undefined) {
        if (requested === current) return `version ${requested} is what runs now`;
        if (!earlier.some((h) => h.appVersion === requested)) {
            const known = [...new Set(earlier.map((h) => h.appVersion))].slice(0, 5).join(", ") || "none";
            return `version ${requested} never ran on this stack before ${current}; earlier versions: ${known}`;
        }
        return { from: current, to: requested, since };
    }
    const previous = earlier[0];
    if (!previous) return `${current} is the only version ever deployed on this stack; nothing to roll back to`;
    return { from: current, to: previous.appVersion!, since };
}

export interface ExportTable {
    readonly table: string;
    /** Timestamp column: rows at or after the rollback's `since` are exported. */
    readonly column: string;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

/**
 * Exports, as CSV with a header, every row written since SINCE (ISO time) in
 * each table, into EXPORT_DIR. A table that does not exist is reported and
 * skipped. Connection from the same env as the backup script.
 */
export function renderExportScript(tables: readonly ExportTable[]): string {
    for (const t of tables)
        if (!IDENT.test(t.table) || !IDENT.test(t.column))
            throw new Error(`rollback export: '${t.table}.${t.column}' is not a plain SQL name`);
    const lines = tables.map((t) => `export_table ${t.table} ${t.column}`);
    return `#!/bin/sh
# Rendered by operator/rollbackPlan.ts: rows written since $SINCE, as CSV.
set -eu
# The exports hold customers' readings: readable by their owner only.
umask 077
PGPASSWORD=$(cat "$DATABASE_PASSWORD_FILE")
PGSSLMODE=\${DATABASE_SSLMODE:-disable}
PGHOST=$DATABASE_HOST
PGPORT=$DATABASE_PORT
PGUSER=$DATABASE_USER
PGDATABASE=$DATABASE_NAME
export PGPASSWORD PGSSLMODE PGHOST PGPORT PGUSER PGDATABASE
mkdir -p "$EXPORT_DIR"
export_table() {
  if [ "$(psql --no-psqlrc -tAc "SELECT to_regclass('public.$1') IS NOT NULL")" != "t" ]; then
    echo "export: table $1 does not exist; skipped"
    return 0
  fi
  psql --no-psqlrc --set ON_ERROR_STOP=1 -c "\\\\copy (SELECT * FROM $1 WHERE $2 >= '$SINCE' ORDER BY $2) TO '$EXPORT_DIR/$1.csv' WITH (FORMAT csv, HEADER)"
  echo "export: $1: $(($(wc -l <"$EXPORT_DIR/$1.csv") - 1)) rows since $SINCE"
}
${lines.join("\n")}
`;
}

/** The manifest written beside the export: what was done, so it can be undone by hand. */
export function renderManifest(m: {
    plan: RollbackPlan;
    stack: string;
    backup: string;
    exportDir: string;
    tables: readonly ExportTable[];
    at: Date;
}): string {
    return (
        JSON.stringify(
            {
                stack: m.stack,
                rolledBackFrom: m.plan.from,
                rolledBackTo: m.plan.to,
                liveSince: m.plan.since.toISOString(),
                startedAt: m.at.toISOString(),
                backup: m.backup,
                export: { dir: m.exportDir, tables: m.tables.map((t) => `${t.table}.csv`) },
                notUndone: "database migrations applied by the newer version",
            },
            null,
            2,
        ) + "\n"
    );
}
