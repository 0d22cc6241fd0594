/**
 * Issue 15, finding 5: the pre-migration backup runs whenever the migration runs. A job container runs again
 * only when it is replaced (components/service.ts, kind "job"), so "the backup is fresh" means: every change
 * that replaces the migrate job replaces the pre-migrate-backup job too.
 *
 * Rung 2 (provider model): two mocked runs compared with blastRadius and the Docker read-back models
 * (scripts/lib/readBack/models.ts), which say which container inputs force a replacement, each rule cited there.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Panel, PANELS } from "../components/monitoring/grafana";
import { deployStack } from "../components/stack";
import { blastRadius } from "../scripts/lib/blastRadius";
import { runUnderMocks } from "../scripts/lib/mockRun";
import { readBackModels, Target } from "../scripts/lib/readBack/models";
import { loadStackSettings, StackSettings } from "../scripts/lib/stackFiles";
import { settingsWith } from "./helpers";
import { sharedRun } from "./variantRuns";

/** A checkout with the three build stages, as test/appImages.stack.test.ts fakes one. */
function checkout(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-checkout-"));
    fs.writeFileSync(
        path.join(dir, "Dockerfile"),
        "FROM node:22-alpine AS backend\nFROM backend AS worker\nFROM nginx:1.27-alpine AS frontend\n",
    );
    return dir;
}

function withConfig(base: StackSettings, extra: Record<string, unknown>): StackSettings {
    const config = { ...base.config };
    for (const [k, v] of Object.entries(extra)) config[k] = typeof v === "string" ? v : JSON.stringify(v);
    return { ...base, config };
}

/** The jobs of the migration step that a second run replaces, as the provider would. */
async function replacedJobs(
    target: Target,
    before: StackSettings,
    after: StackSettings,
    patch?: () => () => void,
): Promise<string[]> {
    // The first run is the shared one of its settings (test/variantRuns.ts). The second is too unless it must really
    // run: a second run of the same settings, or one under a patch of what the program reads.
    const first = await sharedRun(before);
    const undo = patch?.();
    try {
        const second = patch || after === before ? await runUnderMocks(after, deployStack) : await sharedRun(after);
        const radius = blastRadius(first.resources, second.resources, readBackModels(target, second.resources));
        return radius.containers.replace.filter((n) => ["database-grant", "pre-migrate-backup", "migrate"].includes(n));
    } finally {
        undo?.();
    }
}

describe("the pre-migration backup is keyed on what runs the migration (issue 15, finding 5; rung 2: provider model)", function () {
    this.timeout(60_000);
    const prod = loadStackSettings("prod");
    const dev = loadStackSettings("dev");

    // database-grant: the job before every migration, managed (the grant) or self-hosted (the roles, postgres.ts).
    it("a new app version replaces the migration, the backup and the database job before it", async () => {
        expect(
            await replacedJobs("droplet", prod, withConfig(prod, { "freshtrack:appVersion": "1.5.0" })),
        ).to.deep.equal(["database-grant", "migrate", "pre-migrate-backup"]);
    });

    it("a new backend image by name (freshtrack:appImages), same version, replaces both", async () => {
        const images = { backend: "ghcr.io/freshtrack/backend:1.4.2-hotfix1" };
        expect(await replacedJobs("droplet", prod, withConfig(prod, { "freshtrack:appImages": images }))).to.deep.equal(
            ["database-grant", "migrate", "pre-migrate-backup"],
        );
    });

    it("a changed migrate command (freshtrack:appCommands.migrate) replaces both", async () => {
        const commands = { migrate: "pnpm db:migrate:prod --verbose" };
        expect(await replacedJobs("local", dev, withConfig(dev, { "freshtrack:appCommands": commands }))).to.deep.equal(
            ["database-grant", "migrate", "pre-migrate-backup"],
        );
    });

    it("a rebuilt backend image (freshtrack:appBuild, a new digest) replaces both, local build or pushed", async () => {
        const context = checkout();
        const local = (targets: Record<string, string>) =>
            settingsWith({ "freshtrack:appBuild": { context, targets } });
        expect(await replacedJobs("local", local({}), local({ backend: "backend-debug" }))).to.deep.equal([
            "database-grant",
            "migrate",
            "pre-migrate-backup",
        ]);
        const pushed = (targets: Record<string, string>) =>
            withConfig(
                { ...prod, secretKeys: [...prod.secretKeys, "freshtrack:appRegistryPassword"] },
                {
                    "freshtrack:appBuild": { context, targets },
                    "freshtrack:appRegistryUsername": "freshtrack-ci",
                    "freshtrack:appRegistryPassword": "token-123",
                },
            );
        expect(await replacedJobs("droplet", pushed({}), pushed({ backend: "backend-debug" }))).to.deep.equal([
            "database-grant",
            "migrate",
            "pre-migrate-backup",
        ]);
    });

    it("a change that does not touch the migration (a Grafana dashboard edit) replaces none of them", async () => {
        const patch = () => {
            const panels = PANELS[0]!.panels as Panel[];
            panels.push({ title: "Test panel", type: "stat", expr: "up" });
            return () => void panels.pop();
        };
        expect(await replacedJobs("droplet", prod, prod, patch)).to.deep.equal([]);
        expect(await replacedJobs("local", dev, dev)).to.deep.equal([]);
    });

    it("with managed PostgreSQL, the grant before the migration is asserted again whenever the migration runs", async () => {
        const managed = withConfig(prod, { "freshtrack:database": { mode: "managed" } });
        const commands = { migrate: "pnpm db:migrate:prod --verbose" };
        expect(
            await replacedJobs("droplet", managed, withConfig(managed, { "freshtrack:appCommands": commands })),
        ).to.deep.equal(["database-grant", "migrate", "pre-migrate-backup"]);
    });
});
