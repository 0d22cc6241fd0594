/**
 * Rung 1 (pure renderers, no program run): how `npm run plan` fits a terminal's 120 columns (issue 17, friction 4:
 * "Fit it in 120 columns (wrap env and command lines)"), and the one memory line that the plan, `npm run policy` and
 * `npm run bench` print, from the arithmetic the pack's stack-memory-budget rule runs (policy/memoryFigures.ts).
 * test/planWidth.stack.test.ts checks every shipped stack's plan; test/memoryAgreement.stack.test.ts the three
 * scripts' figures against each other. And the overview's rows, every one by name, per kind of target (renderPlan on
 * each target's config, with no resources).
 */
import { expect } from "chai";
import { memoryFigures, memoryLine } from "../policy/memoryFigures";
import { CONTINUED, field, fitToWidth, PLAN_WIDTH, wrapItems, wrapText } from "../scripts/lib/planLayout";
import { POLICIES } from "../policy/policies";
import { runPolicies } from "../scripts/lib/policyRun";
import { renderPlan } from "../scripts/lib/planReport";
import { loadStackConfigFor, rawConfigOf } from "../scripts/lib/stackFiles";
import { parseStackConfig, StackConfig } from "../components/config";
import { URN_VARIANTS } from "./urnVariants";
import { container, droplet } from "./policyFixtures";
import { inService } from "./policyCaseFixtures";

const widest = (lines: readonly string[]) => Math.max(...lines.map((l) => [...l].length));
/** The wrapped text without its field and indents: what was laid out. */
const content = (lines: readonly string[], first: string) =>
    lines.map((l, i) => (i === 0 ? l.slice(first.length) : l).trim());

describe("plan layout: every line within 120 columns", () => {
    it("wraps a list between its items at the continuation indent, never inside one", () => {
        const envs = Array.from({ length: 30 }, (_, i) => `VARIABLE_${i}=value with spaces ${i}`);
        const lines = wrapItems(envs, "      env  ", "           ");
        expect(widest(lines)).to.be.at.most(PLAN_WIDTH);
        expect(lines[0]!.startsWith("      env  VARIABLE_0=value with spaces 0 VARIABLE_1=")).to.equal(true);
        for (const l of lines.slice(1)) expect(l, l).to.match(/^ {11}VARIABLE_\d+=value with spaces \d+( |$)/);
        // Every item comes back whole, in order, from the wrapped lines.
        expect(content(lines, "      env  ").join(" ")).to.equal(envs.join(" "));
    });

    it("keeps a separator's visible part at the end of the line it breaks (`,` of ', ')", () => {
        const files = Array.from({ length: 12 }, (_, i) => `/run/secrets/a_rather_long_secret_file_name_${i}`);
        const lines = wrapItems(files, "      files  ", "             ", ", ");
        expect(widest(lines)).to.be.at.most(PLAN_WIDTH);
        for (const l of lines.slice(0, -1)) expect(l.endsWith(","), l).to.equal(true);
        expect(content(lines, "      files  ").join(" ")).to.equal(files.join(", "));
    });

    it("cuts a single token longer than a line, marking each cut with the continuation mark", () => {
        const token = `SHA256=${"0123456789abcdef".repeat(16)}`;
        const lines = wrapItems([token], "      env  ", "           ");
        expect(lines.length).to.be.greaterThan(1);
        expect(widest(lines)).to.be.at.most(PLAN_WIDTH);
        for (const l of lines.slice(0, -1)) expect(l.endsWith(CONTINUED), l).to.equal(true);
        expect(lines[lines.length - 1]!.endsWith(CONTINUED)).to.equal(false);
        expect(
            content(lines, "      env  ")
                .map((l) => l.replace(CONTINUED, ""))
                .join(""),
        ).to.equal(token);
    });

    it("prints a multi-line command indented under its field, a wrapped line marked, and none flush left", () => {
        const script = [
            "set -eu",
            "if [ -e /x ]; then",
            `  printf '${"a long message that goes on ".repeat(6)}' >&2`,
            "fi",
        ].join("\n");
        const lines = field("      ", "command", 8, script);
        expect(widest(lines)).to.be.at.most(PLAN_WIDTH);
        expect(lines[0]).to.equal("      command   set -eu");
        expect(lines[1]).to.equal("                if [ -e /x ]; then");
        // The script's own indent is kept under the field; its long line goes on further in, each break marked.
        expect(lines[2]!.startsWith("                  printf 'a long message")).to.equal(true);
        expect(lines[2]!.endsWith(` ${CONTINUED}`)).to.equal(true);
        expect(lines[3]!.startsWith("                      ")).to.equal(true);
        expect(lines[lines.length - 1]).to.equal("                fi");
        for (const l of lines) expect(l, l).to.match(/^ {6}/);
    });

    it("wraps prose between words under its field, without a mark", () => {
        const lines = wrapText("word ".repeat(60).trim(), "  root fs  ", "           ");
        expect(widest(lines)).to.be.at.most(PLAN_WIDTH);
        expect(lines.join("")).to.not.contain(CONTINUED);
        for (const l of lines.slice(1)) expect(l.startsWith("           word")).to.equal(true);
    });
});

describe("memory figures: the one line plan, policy and bench print (policy/memoryFigures.ts)", () => {
    // A 4096 MB droplet at 15 % headroom: a budget of floor(4096 * 0.85) = 3481 MB.
    const stack = (jobMb: number) => [
        droplet({ size: "s-2vcpu-4gb" }),
        ...inService(
            container({ memory: 2000 }, "db", "stateful"),
            container({ memory: 600 }, "api", "stateless"),
            container({ memory: jobMb }, "migrate", "job"),
        ),
    ];

    it("adds the long-running limits (steady), then the largest job or replacement beside them (peak)", () => {
        // steady 2000 + 600; peak adds the larger of the job (700) and the api's replacement (600).
        const f = memoryFigures(stack(700), { headroom: 0.15 });
        expect(f).to.include({ steadyMb: 2600, peakMb: 3300, hostMb: 4096, budgetMb: 3481, freeMb: 181 });
        expect(memoryLine(f)).to.equal(
            "steady 2600 MB, peak 3300 MB (during an update) of a 3481 MB budget (4096 MB s-2vcpu-4gb less 15 % " +
                "headroom): 181 MB free (5 %)",
        );
        // A smaller job: the replacement of the api is the peak's addition.
        expect(memoryFigures(stack(100), { headroom: 0.15 }).peakMb).to.equal(3200);
    });

    it("says OVER when the peak passes the budget, and why there is no budget without a host", () => {
        expect(memoryLine(memoryFigures(stack(1200), { headroom: 0.15 }))).to.match(
            /peak 3800 MB \(during an update\) of a 3481 MB budget .*: 319 MB OVER the budget \(the peak is 109.2 % of it\)$/,
        );
        const noHost = memoryFigures(stack(700).slice(1), { headroom: 0.15, hostMemoryMb: 0 });
        expect(noHost.budgetMb).to.equal(undefined);
        expect(memoryLine(noHost)).to.equal(
            "steady 2600 MB, peak 3300 MB (during an update); no budget: no droplet, and no hostMemoryMb in the " +
                "environment's pack config",
        );
        expect(memoryLine(memoryFigures(stack(700).slice(1), { headroom: 0.1, hostMemoryMb: 4000 }))).to.contain(
            "of a 3600 MB budget (4000 MB hostMemoryMb less 10 % headroom): 300 MB free (8 %)",
        );
    });

    it("the rule's failure message names the same steady, peak and budget figures", async () => {
        const findings = await runPolicies(
            POLICIES.filter((p) => p.name === "stack-memory-budget"),
            stack(1200),
        );
        expect(findings.map((f) => f.message)).to.deep.equal([
            "container limits reach 3800 MB at peak (2600 MB steady), over the 3481 MB budget: 4096 MB less 15 % " +
                "headroom (s-2vcpu-4gb); 319 MB over. Lower a limit in freshtrack:resources, or resize the droplet " +
                'first, in a deploy of its own (docs/troubleshooting.md, "Resizing the droplet").',
        ]);
        expect(
            await runPolicies(
                POLICIES.filter((p) => p.name === "stack-memory-budget"),
                stack(700),
            ),
        ).to.be.empty;
    });
});

describe("the plan's overview keeps every row, on every target (issue 17 attack pass: a dropped row went unseen)", () => {
    /**
     * The overview's rows, in order, per kind of target: what an operator reads on the plan's first screen before any
     * detail (issue 17, friction 4, "keep the overview first"). A row dropped, renamed or moved fails here.
     */
    const ROWS = ["target", "domain", "TLS", "app", "backups", "alerts", "resources", "memory", "secrets"];
    const OVERVIEW_ROWS: Readonly<Record<StackConfig["target"], readonly string[]>> = {
        local: ROWS,
        droplet: ROWS,
        ssh: ROWS,
    };
    const CONFIGS: ReadonlyArray<readonly [StackConfig["target"], string, () => StackConfig]> = [
        ["local", "dev", () => loadStackConfigFor("dev")],
        ["droplet", "prod", () => loadStackConfigFor("prod")],
        [
            "ssh",
            "an existing VM over SSH",
            () => parseStackConfig(rawConfigOf(URN_VARIANTS["an existing VM over SSH"]!())),
        ],
    ];

    /** The overview's row labels: the lines between the title and the first blank line that start a field. */
    function overviewLabels(plan: string): string[] {
        const lines = plan.split("\n");
        const end = lines.indexOf("");
        expect(end, "a blank line ends the overview").to.be.greaterThan(1);
        return lines
            .slice(1, end)
            .map((l) => /^ {2}(\S+(?: \S+)*) {2}/.exec(l)?.[1])
            .filter((label): label is string => label !== undefined);
    }

    for (const [target, stack, config] of CONFIGS) {
        it(`${target} (${stack}): ${OVERVIEW_ROWS[target].join(", ")}, in that order`, () => {
            const cfg = config();
            expect(cfg.target).to.equal(target);
            const plan = renderPlan({
                cfg,
                resources: [],
                maskedKeys: [],
                memory: memoryFigures([], { headroom: 0.15, hostMemoryMb: 4096 }),
            });
            expect(overviewLabels(plan)).to.deep.equal(OVERVIEW_ROWS[target]);
        });
    }
});

describe("fitToWidth: the policy report's and the bench's lines within 120 columns (issue 17 newcomer pass)", () => {
    it("wraps a long line between words under its own indent plus four, and keeps short lines as they are", () => {
        const long = `      ${Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ")}`;
        const out = fitToWidth(`short\n${long}\n  also short`).split("\n");
        expect(out[0]).to.equal("short");
        expect(out[out.length - 1]).to.equal("  also short");
        const wrapped = out.slice(1, -1);
        expect(wrapped.length).to.be.greaterThan(1);
        expect(wrapped.every((l) => [...l].length <= PLAN_WIDTH)).to.equal(true);
        expect(wrapped[0]!.startsWith("      word0 ")).to.equal(true);
        expect(wrapped.slice(1).every((l) => l.startsWith("          word"))).to.equal(true);
        expect(wrapped.join(" ").replace(/\s+/g, " ").trim()).to.equal(long.trim());
    });
});
