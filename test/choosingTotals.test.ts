/**
 * Requirement (issue 17, friction 5): docs/choosing-a-target.md's worked totals are the shipped stacks' own, priced
 * from the same table `npm run bench` prints (components/host/dropletSizes.ts, monthlyCost), so a change of a stack's
 * droplet size, volume or backups cannot leave the doc quoting an old price: every row of the worked-totals table, and
 * the figures the prose after it quotes (prod without its offsite copy, and with a managed database).
 * Rung: unit. The stacks are read through the real config parser; nothing is deployed.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parseStackConfig } from "../components/config/parse";
import { monthlyCost } from "../components/host/dropletSizes";
import { loadStackSettings, rawConfigOf, REPO_ROOT } from "../scripts/lib/stackFiles";

const DOC = path.join(REPO_ROOT, "docs", "choosing-a-target.md");

/** The doc's worked-totals table: its header's stack names and the row whose first cell starts with `label`. */
function tableRow(doc: string, label: string): Map<string, string> {
    const lines = doc.split("\n");
    const header = lines.findIndex((l) => /^\| item \| `staging` \|/.test(l));
    if (header < 0) throw new Error("docs/choosing-a-target.md has no worked-totals table ('| item | `staging` |')");
    const cells = (l: string) =>
        l
            .split("|")
            .slice(1, -1)
            .map((c) => c.trim());
    const stacks = cells(lines[header]!)
        .slice(1)
        .map((c) => c.replace(/`/g, ""));
    const row = lines.slice(header + 2).find((l) => cells(l)[0]?.replace(/\*/g, "").startsWith(label));
    if (!row) throw new Error(`the worked-totals table has no row '${label}'`);
    return new Map(stacks.map((s, i) => [s, cells(row)[i + 1]!]));
}

function dollars(cell: string): number {
    const all = [...cell.matchAll(/\$(\d+(?:\.\d+)?)/g)];
    if (all.length === 0) throw new Error(`no dollar figure in '${cell}'`);
    return Number(all[all.length - 1]![1]);
}

/** A stack's cost as the doc prices it, with or without the offsite copy and a managed database. */
function costOf(stack: string, opts: { offsite?: boolean; managedDatabase?: boolean } = {}) {
    const cfg = parseStackConfig(rawConfigOf(loadStackSettings(stack)));
    expect(cfg.droplet, `${stack} runs on a droplet`).to.not.equal(undefined);
    // The offsite copy counts where the stack sets it or its environment's pack requires it (the shipped prod file
    // has none yet: the walkthrough's step 4 adds the operator's own).
    const pack = JSON.parse(
        fs.readFileSync(path.join(REPO_ROOT, "policy", "config", `${cfg.environment}.json`), "utf8"),
    ) as Record<string, { required?: boolean } | undefined>;
    const required = cfg.backup.offsite !== undefined || pack["stack-backups-and-monitoring"]?.required === true;
    const lines = monthlyCost({
        droplet: cfg.droplet!,
        offsiteBackups: opts.offsite ?? required,
        ...(opts.managedDatabase ? { managedDatabase: { size: "db-s-1vcpu-1gb", nodeCount: 1 } } : {}),
    });
    const usd = (item: RegExp) => lines.filter((l) => item.test(l.item)).reduce((sum, l) => sum + l.usdPerMonth, 0);
    const total = Math.round(lines.reduce((sum, l) => sum + l.usdPerMonth, 0) * 100) / 100;
    return { cfg, usd, total };
}

describe("docs/choosing-a-target.md worked totals (issue 17: the doc quotes the shipped stacks' prices)", () => {
    const doc = fs.readFileSync(DOC, "utf8");
    for (const stack of ["staging", "prod"]) {
        it(`${stack}: every row and the total match the stack file priced by monthlyCost`, () => {
            const { cfg, usd, total } = costOf(stack);
            const cell = (label: string) => tableRow(doc, label).get(stack)!;
            expect(dollars(cell("total per month")), `${stack}'s total`).to.equal(total);
            expect(cell("droplet"), `${stack}'s droplet row`).to.include(cfg.droplet!.size);
            expect(dollars(cell("droplet")), `${stack}'s droplet price`).to.equal(usd(/^droplet /));
            expect(cell("block volume"), `${stack}'s volume size`).to.include(`${cfg.droplet!.volumeSizeGb} GiB`);
            expect(dollars(cell("block volume")), `${stack}'s volume price`).to.equal(usd(/^block volume/));
            expect(dollars(cell("reserved IP")), `${stack}'s reserved IP`).to.equal(usd(/^reserved IP/));
            expect(dollars(cell("droplet backups")), `${stack}'s droplet backups`).to.equal(usd(/droplet backups/));
            expect(cell("droplet backups").startsWith(cfg.droplet!.backups ? "on" : "off")).to.equal(true);
            expect(dollars(cell("database")), `${stack}'s database`).to.equal(usd(/^managed PostgreSQL/));
            expect(dollars(cell("offsite backup")), `${stack}'s offsite copy`).to.equal(usd(/offsite/));
        });
    }

    it("the prose after the table: prod without its offsite copy, and with a managed database", () => {
        const without = costOf("prod", { offsite: false }).total;
        const managed = costOf("prod", { managedDatabase: true });
        expect(doc).to.contain(`so it prints\n$${without.toFixed(2)} until you set one`);
        expect(doc).to.contain(
            `node) adds $${managed.usd(/^managed PostgreSQL/)}, bringing \`prod\` to $${managed.total.toFixed(2)}`,
        );
    });

    it("reads the figure a total cell states (the parser the test relies on)", () => {
        expect(dollars("**$72.60**")).to.equal(72.6);
        expect(dollars("on, weekly: 20 % of $48 = $9.60")).to.equal(9.6);
        expect(() => dollars("none")).to.throw(/no dollar figure/);
    });
});
