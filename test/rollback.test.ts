import { expect } from "chai";
import { HistoryEntry, planRollback, renderExportScript, renderManifest } from "../operator/rollbackPlan";

const at = (h: number) => new Date(Date.UTC(2026, 10, 1, h));
/** Newest first, as `pulumi stack history` returns it. */
const HISTORY: HistoryEntry[] = [
    { kind: "update", result: "succeeded", startTime: at(9), version: 9, appVersion: "1.5.0" },
    { kind: "update", result: "succeeded", startTime: at(8), version: 8, appVersion: "1.5.0" },
    { kind: "update", result: "failed", startTime: at(7), version: 7, appVersion: "1.5.0" },
    { kind: "preview", result: "succeeded", startTime: at(6), version: 6, appVersion: "1.5.0" },
    { kind: "update", result: "succeeded", startTime: at(5), version: 5, appVersion: "1.4.2" },
    { kind: "update", result: "succeeded", startTime: at(3), version: 3, appVersion: "1.4.1" },
];

describe("rollback planning", () => {
    it("goes back to the version that ran before, exporting from when the current one went live", () => {
        expect(planRollback(HISTORY)).to.deep.equal({ from: "1.5.0", to: "1.4.2", since: at(8) });
    });

    it("goes back to a named earlier version", () => {
        expect(planRollback(HISTORY, "1.4.1")).to.deep.equal({ from: "1.5.0", to: "1.4.1", since: at(8) });
    });

    it("refuses versions that never ran, the running one, and stacks with nothing to go back to", () => {
        expect(planRollback(HISTORY, "1.3.0")).to.equal(
            "version 1.3.0 never ran on this stack before 1.5.0; earlier versions: 1.4.2, 1.4.1",
        );
        expect(planRollback(HISTORY, "1.5.0")).to.equal("version 1.5.0 is what runs now");
        expect(planRollback(HISTORY.slice(0, 2))).to.match(/only version ever deployed/);
        expect(planRollback([])).to.match(/no successful update/);
    });

    it("refuses table names that are not plain SQL names", () => {
        expect(() => renderExportScript([{ table: "readings; drop table x", column: "at" }])).to.throw(
            /not a plain SQL name/,
        );
    });

    it("writes a manifest that says what was done and what was not undone", () => {
        const manifest = JSON.parse(
            renderManifest({
                plan: { from: "1.5.0", to: "1.4.2", since: at(8) },
                stack: "prod",
                backup: "freshtrack-pre-rollback-x.dump",
                exportDir: "/backups/postgres/rollback-x",
                tables: [{ table: "alerts", column: "created_at" }],
                at: at(10),
            }),
        );
        expect(manifest).to.deep.include({
            stack: "prod",
            rolledBackFrom: "1.5.0",
            rolledBackTo: "1.4.2",
            liveSince: "2026-11-01T08:00:00.000Z",
            notUndone: "database migrations applied by the newer version",
        });
        expect(manifest.export.tables).to.deep.equal(["alerts.csv"]);
    });
});
