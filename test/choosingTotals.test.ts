/**
 * Requirement (issue 17, friction 5): docs/choosing-a-target.md's worked totals are the shipped stacks' own, priced
 * from the same table `npm run bench` prints (components/host/dropletSizes.ts, monthlyCost), so a change of a stack's
 * droplet size, volume or backups cannot leave the doc quoting an old price.
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

describe("docs/choosing-a-target.md worked totals (issue 17: the doc quotes the shipped stacks' prices)", () => {
    const doc = fs.readFileSync(DOC, "utf8");
    for (const stack of ["staging", "prod"]) {
        it(`${stack}: the total and the droplet size match the stack file priced by monthlyCost`, () => {
            const cfg = parseStackConfig(rawConfigOf(loadStackSettings(stack)));
            expect(cfg.droplet, `${stack} runs on a droplet`).to.not.equal(undefined);
            // The offsite copy counts where the stack sets it or its environment's pack requires it (the shipped
            // prod file has none yet: the walkthrough's step 4 adds the operator's own).
            const pack = JSON.parse(
                fs.readFileSync(path.join(REPO_ROOT, "policy", "config", `${cfg.environment}.json`), "utf8"),
            ) as Record<string, { required?: boolean } | undefined>;
            const lines = monthlyCost({
                droplet: cfg.droplet!,
                offsiteBackups:
                    cfg.backup.offsite !== undefined || pack["stack-backups-and-monitoring"]?.required === true,
            });
            const total = Math.round(lines.reduce((sum, l) => sum + l.usdPerMonth, 0) * 100) / 100;
            expect(dollars(tableRow(doc, "total per month").get(stack)!), `${stack}'s total`).to.equal(total);
            expect(tableRow(doc, "droplet").get(stack), `${stack}'s droplet row`).to.include(cfg.droplet!.size);
        });
    }

    it("reads the figure a total cell states (the parser the test relies on)", () => {
        expect(dollars("**$72.60**")).to.equal(72.6);
        expect(dollars("on, weekly: 20 % of $48 = $9.60")).to.equal(9.6);
        expect(() => dollars("none")).to.throw(/no dollar figure/);
    });
});
