import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { DASHBOARD_UID, PANELS, renderDashboard } from "../components/monitoring/grafana";
import { ENDPOINTS } from "../components/catalog";
import { scrapeJobs } from "../components/monitoring/alerting";
import { ALERT_RULES, NODE_EXPORTER_JOB } from "../components/monitoring/prometheusConfig";
import { CASES } from "./monitoringFixtures";

const ROOT = path.join(__dirname, "..");

describe("monitoring", () => {
    describe("alert rules", () => {
        it("has a case that fires and a case that stays quiet for every alert", () => {
            for (const rule of ALERT_RULES) {
                expect(
                    CASES.some((c) => c.alert === rule.alert && c.fires),
                    `${rule.alert} fires`,
                ).to.equal(true);
                expect(
                    CASES.some((c) => c.alert === rule.alert && !c.fires),
                    `${rule.alert} stays quiet`,
                ).to.equal(true);
            }
        });

        it("points every alert at a section of docs/troubleshooting.md", () => {
            const doc = fs.readFileSync(path.join(ROOT, "docs", "troubleshooting.md"), "utf8");
            const anchors = new Set([...doc.matchAll(/^## ([a-z0-9-]+)$/gm)].map((m) => m[1]));
            for (const rule of ALERT_RULES) expect(anchors.has(rule.runbook), rule.alert).to.equal(true);
        });

        it("covers what the old system watched and the issue asks for", () => {
            expect(ALERT_RULES.map((r) => r.alert)).to.have.members([
                "TargetDown",
                "ProbeFailing",
                "DiskAlmostFull",
                "MemoryPressure",
                "ContainerRestarting",
                "CertificateExpiringSoon",
                "BackupMissing",
                "BackupMirrorStale",
                "Backend5xxRateHigh",
                "NoSensorReadings",
                "RestoreDrillFailed",
                "RestoreDrillStale",
                "WalArchivingBehind",
                "BaseBackupMissing",
            ]);
        });

        // Issue 18, item 4 (rung 1): RestoreDrillStale expects a dump drill on every stack whose node-exporter
        // Prometheus has scraped for a day, found by the scrape job's name; a renamed job would leave that clause quiet
        // for ever.
        it("names node-exporter's scrape job where it expects a dump drill, with or without PgBouncer", () => {
            for (const withPgbouncer of [false, true])
                expect(scrapeJobs(withPgbouncer).find((j) => j.job === NODE_EXPORTER_JOB)?.targets).to.deep.equal([
                    ENDPOINTS["node-exporter"].address,
                ]);
        });
    });

    describe("Grafana", () => {
        it("has a dashboard that parses, keeps a stable uid, and renders the same twice", () => {
            const dashboard = JSON.parse(renderDashboard()) as {
                uid: string;
                panels: Array<{ type: string; targets?: Array<{ expr: string }> }>;
            };
            expect(dashboard.uid).to.equal(DASHBOARD_UID);
            expect(renderDashboard()).to.equal(renderDashboard());
            expect(dashboard.panels.filter((p) => p.type !== "row")).to.have.length(
                PANELS.flatMap((g) => g.panels).length,
            );
        });

        it("falls back to platform metrics where a FreshTrack metric may be absent", () => {
            const requests = PANELS.flatMap((g) => g.panels).find((p) => p.title === "Requests per second")!;
            expect(requests.expr).to.match(/freshtrack_http_requests_total.* or .*caddy_http_requests_total/);
        });
    });
});
