import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { renderAlertmanagerConfig } from "../components/monitoring/alertmanagerConfig";
import { ALERT_RULES, renderAlertRules, RULES_FILE, RUNBOOK } from "../components/monitoring/prometheusConfig";
import { deployStack } from "../components/stack";
import { RegisteredResource } from "../scripts/lib/mockRun";
import { runStack, uploadText } from "./helpers";
import { CASES } from "./monitoringFixtures";

function scratch(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-mon-"));
}

function promtoolTests(rulesFile: string): string {
    const rule = (name: string) => ALERT_RULES.find((r) => r.alert === name)!;
    return YAML.stringify({
        rule_files: [rulesFile],
        evaluation_interval: "1m",
        tests: CASES.map((c) => ({
            interval: c.interval ?? "1m",
            input_series: c.series,
            alert_rule_test: [
                {
                    eval_time: c.evalTime,
                    alertname: c.alert,
                    exp_alerts: c.fires
                        ? [
                              {
                                  exp_labels: { severity: rule(c.alert).severity, ...c.fires.labels },
                                  exp_annotations: {
                                      summary: c.fires.summary,
                                      runbook: `${RUNBOOK}#${rule(c.alert).runbook}`,
                                  },
                              },
                          ]
                        : [],
                },
            ],
        })),
    });
}

describe("monitoring", () => {
    let prod: RegisteredResource[];
    before(async () => {
        prod = (await runStack("prod", deployStack)).resources;
    });

    describe("Prometheus", () => {
        it("passes `promtool check config` and `promtool check rules` as rendered for prod", () => {
            const dir = scratch();
            const rules = path.join(dir, "rules.yml");
            fs.writeFileSync(rules, uploadText(prod, "prometheus", RULES_FILE));
            const config = path.join(dir, "prometheus.yml");
            fs.writeFileSync(
                config,
                uploadText(prod, "prometheus", "/etc/prometheus/prometheus.yml").replace(RULES_FILE, rules),
            );
            const checkConfig = spawnSync("promtool", ["check", "config", config], { encoding: "utf8" });
            expect(checkConfig.status, checkConfig.stdout + checkConfig.stderr).to.equal(0);
            const checkRules = spawnSync("promtool", ["check", "rules", rules], { encoding: "utf8" });
            expect(checkRules.status, checkRules.stdout + checkRules.stderr).to.equal(0);
            expect(checkRules.stdout).to.contain(`SUCCESS: ${ALERT_RULES.length} rules found`);
        });

        it("is refused by promtool when broken, so the checks can fail", () => {
            const rules = path.join(scratch(), "rules.yml");
            fs.writeFileSync(rules, renderAlertRules().replace("up == 0", "up == == 0"));
            expect(spawnSync("promtool", ["check", "rules", rules]).status).to.not.equal(0);
        });
    });

    describe("alert rules", () => {
        it("fires every alert on its series and stays quiet otherwise (`promtool test rules`)", () => {
            const dir = scratch();
            fs.writeFileSync(path.join(dir, "rules.yml"), renderAlertRules());
            fs.writeFileSync(path.join(dir, "tests.yml"), promtoolTests("rules.yml"));
            const result = spawnSync("promtool", ["test", "rules", "tests.yml"], { cwd: dir, encoding: "utf8" });
            expect(result.status, result.stdout + result.stderr).to.equal(0);
            expect(result.stdout).to.contain("SUCCESS");
        });

        it("fails `promtool test rules` when a rule is wrong, so the test above can fail", () => {
            const dir = scratch();
            fs.writeFileSync(path.join(dir, "rules.yml"), renderAlertRules().replace("< 0.10", "< 0.01"));
            fs.writeFileSync(path.join(dir, "tests.yml"), promtoolTests("rules.yml"));
            expect(spawnSync("promtool", ["test", "rules", "tests.yml"], { cwd: dir }).status).to.not.equal(0);
        });
    });

    describe("Alertmanager", () => {
        const amtool = (config: string) => {
            const file = path.join(scratch(), "alertmanager.yml");
            fs.writeFileSync(file, config);
            return spawnSync("amtool", ["check-config", file], { encoding: "utf8" });
        };

        it("passes `amtool check-config` with no destination, with email and Slack, and with a webhook", () => {
            for (const config of [
                renderAlertmanagerConfig({}),
                renderAlertmanagerConfig({
                    email: {
                        to: ["a@example.com"],
                        from: "b@example.com",
                        smarthost: "smtp.example.com:587",
                        username: "u",
                        passwordFile: "/run/secrets/smtp",
                    },
                    slack: { channel: "#alerts", urlFile: "/run/secrets/slack" },
                }),
                renderAlertmanagerConfig({ webhook: { url: "https://hooks.example.com/x" } }),
            ]) {
                const result = amtool(config);
                expect(result.status, result.stdout + result.stderr + config).to.equal(0);
            }
        });

        it("is refused by amtool when broken, so the check can fail", () => {
            expect(
                amtool(renderAlertmanagerConfig({}).replace("receiver: nowhere", "receiver: missing")).status,
            ).to.not.equal(0);
        });
    });
});
