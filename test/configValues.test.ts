/**
 * What the config reader accepts (design.md, layer 1 "config"): every shipped stack file as it ships, Pulumi.yaml's
 * declarations and defaults matching the program's, valid values read into a frozen StackConfig, and the keys a
 * stack must set. Rung 1: the config reader under mocks, on the shipped stack files and settings built in place.
 * The messages for values it refuses are in test/configErrors.test.ts.
 */
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, DEFAULT_LIMITS, StackConfig } from "../components/config";
import { loadStackSettings, readProjectFile, shippedStacks } from "../scripts/lib/stackFiles";
import { configFor, MINIMAL_CONFIG, settingsWith } from "./helpers";

describe("config: components/config", () => {
    describe("shipped stacks", () => {
        for (const stack of shippedStacks()) {
            it(`accepts Pulumi.${stack}.yaml as it ships`, async () => {
                const cfg = await configFor(loadStackSettings(stack));
                expect(cfg.stack).to.equal(stack);
            });
        }

        it("ships dev, staging and prod", () => {
            expect(shippedStacks()).to.include.members(["dev", "staging", "prod"]);
        });

        it("prod ships with demo data off and Let's Encrypt production certificates", async () => {
            const cfg = await configFor(loadStackSettings("prod"));
            expect(cfg.demoData).to.equal(false);
            expect(cfg.tlsMode).to.equal("acme");
        });
    });

    describe("Pulumi.yaml declarations", () => {
        it("declares every key the program reads, and no other", () => {
            expect(Object.keys(readProjectFile().config).sort()).to.deep.equal([...CONFIG_KEYS].sort());
        });

        it("gives every declared key a description, and a type unless it is secret (see Pulumi.yaml: the CLI would refuse its empty default)", () => {
            for (const [key, decl] of Object.entries(readProjectFile().config)) {
                if (decl.secret) expect(decl.type, key).to.equal(undefined);
                else expect(decl.type, key).to.be.a("string");
                expect(decl.description, key).to.be.a("string").with.length.greaterThan(20);
            }
        });

        it("declares the same defaults the program falls back to", async () => {
            // With only the required keys, the program uses its own fallbacks; with Pulumi.yaml's
            // defaults added (as the CLI does), the result must be identical.
            const withoutDefaults = await configFor(settingsWith({}));
            const defaults = Object.fromEntries(
                Object.entries(readProjectFile().config)
                    .filter(([, d]) => d.default !== undefined)
                    .map(([k, d]) => [`freshtrack:${k}`, d.default]),
            );
            const withDefaults = await configFor(settingsWith(defaults));
            expect(withDefaults).to.deep.equal(withoutDefaults);
        });
    });

    describe("valid values", () => {
        it("returns a deeply frozen StackConfig", async () => {
            const cfg: StackConfig = await configFor(settingsWith({}));
            expect(Object.isFrozen(cfg)).to.equal(true);
            expect(Object.isFrozen(cfg.resources.postgres)).to.equal(true);
            expect(Object.isFrozen(cfg.app.images.backend)).to.equal(true);
        });

        it("tags every FreshTrack image with appVersion unless the image names its own tag", async () => {
            const cfg = await configFor(
                settingsWith({
                    "freshtrack:appImages": {
                        registry: "registry.example.com:5000/ft",
                        worker: "freshtrack-worker:1.4.3-hotfix",
                    },
                }),
            );
            expect(cfg.app.images.backend.ref).to.equal("registry.example.com:5000/ft/freshtrack-backend:1.4.2");
            expect(cfg.app.images.worker.ref).to.equal("registry.example.com:5000/ft/freshtrack-worker:1.4.3-hotfix");
        });

        it("applies per-service memory and CPU overrides and keeps the defaults elsewhere", async () => {
            const cfg = await configFor(settingsWith({ "freshtrack:resources": { postgres: { memoryMb: 2048 } } }));
            expect(cfg.resources.postgres).to.deep.equal({ memoryMb: 2048, cpus: DEFAULT_LIMITS.postgres.cpus });
            expect(cfg.resources.redis).to.deep.equal(DEFAULT_LIMITS.redis);
        });

        it("keeps operator-supplied alert credentials secret", async () => {
            const cfg = await configFor(
                settingsWith(
                    {
                        "freshtrack:alerts": { slack: { channel: "#cold-chain" } },
                        "freshtrack:alertSlackWebhookUrl": "https://hooks.slack.example/T/B/x",
                    },
                    ["freshtrack:alertSlackWebhookUrl"],
                ),
            );
            expect(cfg.alerts.slack?.channel).to.equal("#cold-chain");
            expect(pulumi.Output.isInstance(cfg.alerts.slack?.webhookUrl)).to.equal(true);
            expect(await pulumi.isSecret(cfg.alerts.slack!.webhookUrl)).to.equal(true);
        });

        it("accepts SSH from anywhere only with the explicit override", async () => {
            const cfg = await configFor(
                settingsWith({
                    "freshtrack:target": "droplet",
                    "freshtrack:tlsMode": "acme",
                    "freshtrack:adminCidrs": ["0.0.0.0/0"],
                    "freshtrack:allowSshFromAnywhere": true,
                    "freshtrack:droplet": { region: "fra1" },
                }),
            );
            expect(cfg.adminCidrs).to.deep.equal(["0.0.0.0/0"]);
        });
    });

    it("needs only domain, adminEmail and appVersion", () => {
        expect(Object.keys(MINIMAL_CONFIG).sort()).to.deep.equal(
            Object.entries(readProjectFile().config)
                .filter(([, d]) => d.default === undefined)
                .map(([k]) => `freshtrack:${k}`)
                .sort(),
        );
    });
});
