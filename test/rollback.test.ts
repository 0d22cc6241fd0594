import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HistoryEntry, planRollback, renderExportScript, renderManifest } from "../operator/rollbackPlan";
import { withoutStandInArtefact } from "./helpers";
import { callLines, runScript, writeStandInDocker, writeStandInPulumi } from "./standIns";

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

/**
 * Issue 17, attack pass: scripts/rollback.ts was changed to read `line.values.too`, and `npm run rollback -- prod --to
 * 12` went back to the previous version instead, with no test failing. The option's name is now checked by tsc
 * (test/commandLine.test.ts); this checks that the value reaches the update. Rung 4 without a server: the real script
 * under ts-node, as npm runs it, with a stand-in `pulumi` (three versions in its history, so that --to names another
 * than the default) and a stand-in `docker` on PATH, each logging the command lines it was given (test/standIns.ts).
 */
describe("npm run rollback -- <stack> --to <version> goes to that version (the real script, stand-in CLIs)", function () {
    this.timeout(120_000);
    let bin: string;
    beforeEach(() => {
        bin = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-rollback-to-"));
        // 1.5.0 runs (update 3, live since 2026-11-13), 1.4.2 ran before it, 1.4.1 before that.
        writeStandInPulumi(bin, { appVersions: ["1.5.0", "1.4.2", "1.4.1"] });
        writeStandInDocker(bin);
    });
    afterEach(() => fs.rmSync(bin, { recursive: true, force: true }));

    const calls = (tool: "pulumi" | "docker") => callLines(bin, tool);

    it("sets freshtrack:appVersion to the --to version, not the previous one, before the update", () => {
        const result = runScript(bin, "scripts/rollback.ts", ["dev", "--to", "1.4.1", "--yes"]);
        expect(withoutStandInArtefact(result.stderr)).to.equal("");
        expect(result.status).to.equal(0);
        expect(result.stdout).to.contain("Rollback of stack 'dev': 1.5.0 → 1.4.1");
        expect(result.stdout).to.contain("rollback: dev runs 1.4.1.");
        const pulumi = calls("pulumi");
        const sets = pulumi.filter((c) => c.startsWith("config set"));
        expect(sets, pulumi.join("\n")).to.have.length(1);
        expect(sets[0]!.split(" ")).to.include("freshtrack:appVersion").and.include("1.4.1").and.not.include("1.4.2");
        const setAt = pulumi.indexOf(sets[0]!);
        expect(
            pulumi.findIndex((c) => c.startsWith("up")),
            "the update runs after the version is set",
        ).to.be.above(setAt);
        // The export starts from when the running version went live, whichever version is the target.
        expect(calls("docker").join("\n")).to.contain("SINCE=2026-11-13T10:00:00.000Z");
    });
});
