/**
 * Rung 1 (the whole program under mocks, printed by `npm run plan`'s own function, planText): issue 17, friction 4,
 * "Fit it in 120 columns (wrap env and command lines) and keep the overview first", for every shipped stack and each
 * variant of test/urnVariants.ts (the stacks test/variantRuns.ts runs: ssh, managed PostgreSQL, app builds, offsite).
 */
import { expect } from "chai";
import { planText } from "../scripts/lib/planReport";
import { PLAN_WIDTH } from "../scripts/lib/planLayout";
import { loadStackSettings, shippedStacks } from "../scripts/lib/stackFiles";
import { URN_VARIANTS } from "./urnVariants";

/** What a first screen shows: the overview must be over before a reader scrolls. */
const FIRST_SCREEN = 25;

const PLANS: ReadonlyArray<readonly [name: string, settings: () => ReturnType<typeof loadStackSettings>]> = [
    ...shippedStacks()
        .filter((s) => URN_VARIANTS[s] === undefined)
        .map((s) => [s, () => loadStackSettings(s)] as const),
    ...Object.entries(URN_VARIANTS),
];

/** The plan's lines wider than the terminal, by code point (the tree's and the marks' characters are one column). */
function overWide(text: string): string[] {
    return text
        .split("\n")
        .map((line, i) => [i + 1, [...line].length, line] as const)
        .filter(([, width]) => width > PLAN_WIDTH)
        .map(([n, width, line]) => `${n} (${width}): ${line.slice(0, 80)}`);
}

describe("npm run plan: fits 120 columns and starts with the overview", function () {
    this.timeout(240_000);
    for (const [name, settings] of PLANS) {
        it(`${name}: no line over ${PLAN_WIDTH} columns; the target, then the memory line, on the first screen`, async () => {
            const text = await planText(settings());
            expect(overWide(text), name).to.deep.equal([]);
            const lines = text.split("\n");
            expect(lines[0]).to.match(/^FreshTrack plan for stack '[^']+'/);
            expect(lines[1]).to.match(/^ {2}target {5}(local|droplet|ssh): /);
            const memory = lines.findIndex((l) => l.startsWith("  memory     steady "));
            expect(memory, "the memory line").to.be.within(2, FIRST_SCREEN - 1);
            // The whole overview comes before any detail: the warnings, the tree, the containers.
            const firstDetail = lines.findIndex((l) => /^(Warnings|Resource tree|Containers) /.test(l));
            expect(firstDetail).to.be.greaterThan(memory);
            for (const key of ["domain", "TLS", "app", "backups", "resources"]) {
                const at = lines.findIndex((l) => l.startsWith(`  ${key.padEnd(9)}  `));
                expect(at, key).to.be.within(2, memory - 1);
            }
        });
    }
});
