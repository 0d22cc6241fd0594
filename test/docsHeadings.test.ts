/**
 * Rung 3 (the real tree, code and docs read as text): issue 17, attack pass. Code and docs cite headings by name
 * (`docs/operations.md, "How long a preview takes"`, `see troubleshooting.md "Resizing the droplet"`, and, since
 * attack pass 2, `see "Going back a version" in docs/operations.md`) and, in code, by anchor
 * (`docs/troubleshooting.md#target-down`); a renamed heading left those citations pointing at nothing, as only
 * Markdown links were checked (test/docs.test.ts). Every such citation must name a page of the repository and a
 * heading on it.
 *
 * Attack pass 2: swapping the walkthrough's steps 3 and 4 left every "(docs/walkthrough.md, step 4)" pointing at the
 * wrong step, as a step is cited by number, not by name. Each step citation found is listed below with a word the
 * heading of that number must contain, so a renumbered step fails each citation that meant another, and a new
 * citation fails until it is listed.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { formatProblems, loadRepoFacts, RepoFacts } from "./docsCheck";
import {
    checkHeadingCitations,
    numberedHeadings,
    StepCitation,
    WALKTHROUGH,
    walkthroughStepCitations,
} from "./docsCheck/references";

const ROOT = path.join(__dirname, "..");

/** The docs checker's own tests: the citations of their made-up pages are wrong on purpose. */
const CHECKER_TESTS = ["test/docs.test.ts", "test/docsHeadings.test.ts"];

/** Pages cited that the repository does not hold: the design notes the issues and tests refer to. */
const OUTSIDE_PAGES = new Set(["design.md"]);

/**
 * The files whose citations of headings are checked: every text file of the repository (code, tests, docs, README,
 * stack and CI files) but the checker's own tests, whose made-up pages cite headings and anchors that do not exist on
 * purpose.
 */
function citingFiles(facts: RepoFacts): string[] {
    return [...facts.files]
        .filter((f) => /\.(ts|md|ya?ml|json|sh)$/.test(f) || f === ".ci/run")
        .filter(
            (f) => !CHECKER_TESTS.includes(f) && fs.statSync(path.join(ROOT, f), { throwIfNoEntry: false })?.isFile(),
        )
        .sort();
}

/**
 * Every citation of a walkthrough step (`docs/walkthrough.md, step 4`, `the walkthrough (step 4)`, `step 4 of the
 * walkthrough`, `as step 6 shows` in the walkthrough itself): the file, words of the text around it that tell it from
 * the file's other citations, and a word the heading numbered as the cited step must contain.
 */
const STEP_CITATIONS: ReadonlyArray<{ file: string; near: string; heading: string }> = [
    // What a stack file must say is step 4's: the example values, alerts and the offsite copy are set there.
    { file: "components/stack.ts", near: "still has documentation example values", heading: "Pulumi.prod.yaml" },
    { file: "components/config/operations.ts", near: "alerts would reach no one", heading: "Pulumi.prod.yaml" },
    { file: "scripts/deploy.ts", near: "still has documentation example values", heading: "Pulumi.prod.yaml" },
    {
        file: "policy/rules/stack.ts",
        near: "Set freshtrack:backup.offsite and its three secrets",
        heading: "Pulumi.prod.yaml",
    },
    { file: "docs/walkthrough.md", near: "still has documentation example values", heading: "Pulumi.prod.yaml" },
    { file: "docs/choosing-a-target.md", near: "has no offsite copy yet", heading: "Pulumi.prod.yaml" },
    { file: "docs/operations.md", near: "fails until you set one", heading: "Pulumi.prod.yaml" },
    // Waiting for the bootstrap and for DNS records made by hand happens during the deploy.
    { file: "components/preflight/preflight.ts", near: "the droplet's bootstrap adds 3 to 5", heading: "Deploy" },
    { file: "docs/prerequisites.md", near: "the command to run again", heading: "Deploy" },
    { file: "docs/walkthrough.md", near: "at your DNS provider during the first deploy", heading: "Deploy" },
    { file: "docs/walkthrough.md", near: "runs the same bootstrap script over SSH", heading: "Deploy" },
    // Logging in to the host is the step that checks it.
    { file: "docs/walkthrough.md", near: "with `npm run ssh -- prod`", heading: "host" },
    // The tests' copies of the messages above, and their notes on the offsite copy step 4 adds.
    { file: "test/cli.test.ts", near: "still has documentation example values", heading: "Pulumi.prod.yaml" },
    { file: "test/config.stack.test.ts", near: "still has documentation example values", heading: "Pulumi.prod.yaml" },
    { file: "test/config.stack.test.ts", near: "alerts would reach no one", heading: "Pulumi.prod.yaml" },
    {
        file: "test/policy.stack.test.ts",
        near: "Set freshtrack:backup.offsite and its three secrets",
        heading: "Pulumi.prod.yaml",
    },
    {
        file: "test/stacks.stack.test.ts",
        near: "Set freshtrack:backup.offsite and its three secrets",
        heading: "Pulumi.prod.yaml",
    },
    { file: "test/stacks.stack.test.ts", near: "has the operator add one", heading: "Pulumi.prod.yaml" },
    { file: "test/helpers.ts", near: "with an offsite store and its three secrets set", heading: "Pulumi.prod.yaml" },
    { file: "test/choosingTotals.test.ts", near: "the shipped prod file has none yet", heading: "Pulumi.prod.yaml" },
    { file: "test/docsCheck/memoryClaims.ts", near: "`offsiteForVolumes` is false", heading: "Pulumi.prod.yaml" },
    // A crafted text of the npm command reader: a citation all the same.
    { file: "test/npmCommandsInCode.test.ts", near: "then npm run plan -- prod", heading: "plan" },
];

/** The reader of step citations, whose own comments show the forms it reads. */
const STEP_READER = "test/docsCheck/references.ts";

/**
 * What is wrong with the step citations found, given the walkthrough's numbered headings and the list: a citation not
 * listed or listed twice, a step with no heading, a heading without the listed word, and a listed one not found once.
 */
function stepCitationProblems(
    found: readonly StepCitation[],
    headings: ReadonlyMap<number, string>,
    listed: typeof STEP_CITATIONS,
): string[] {
    const problems: string[] = [];
    const uses = new Map(listed.map((entry) => [entry, 0]));
    for (const c of found) {
        const at = `${c.file}:${c.line}: step ${c.step}`;
        const entries = listed.filter((e) => e.file === c.file && c.context.includes(e.near));
        if (entries.length !== 1) {
            problems.push(
                entries.length === 0
                    ? `${at} is not in STEP_CITATIONS; list it with a word its heading must contain ("...${c.context}...")`
                    : `${at} matches ${entries.length} entries of STEP_CITATIONS: ${entries.map((e) => `'${e.near}'`).join(", ")}`,
            );
            continue;
        }
        const entry = entries[0]!;
        uses.set(entry, uses.get(entry)! + 1);
        const heading = headings.get(c.step);
        if (heading === undefined) problems.push(`${at}: ${WALKTHROUGH} has no heading numbered ${c.step}`);
        else if (!heading.toLowerCase().includes(entry.heading.toLowerCase()))
            problems.push(
                `${at} ('${entry.near}') lands on "${c.step}. ${heading}", which does not name '${entry.heading}'`,
            );
    }
    for (const [entry, count] of uses)
        if (count !== 1) problems.push(`${entry.file} '${entry.near}': listed in STEP_CITATIONS, found ${count} times`);
    return problems;
}

describe("docs: every heading cited by name exists", () => {
    let facts: RepoFacts;
    before(() => {
        facts = loadRepoFacts(ROOT);
    });
    const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");

    it('cites only headings that exist: `<page>.md "<Heading>"` in code, docs and README, `<page>.md#anchor` in code', () => {
        const files = citingFiles(facts);
        expect(files).to.include.members(["README.md", "scripts/lib/benchReport.ts", "components/service.ts"]);
        const problems = files.flatMap((f) => checkHeadingCitations(read(f), f, facts, OUTSIDE_PAGES));
        expect(formatProblems(problems)).to.equal("");
    });

    describe("headings cited by name (issue 17, attack pass: a renamed heading left its citations dangling)", () => {
        const cite = (text: string, file: string) =>
            checkHeadingCitations(text, file, facts, OUTSIDE_PAGES).map((p) => p.message);

        it("accepts the forms code and docs cite headings in, when the heading exists", () => {
            const code = [
                '// see docs/operations.md, "How long a preview takes"',
                '/* the way back (docs/troubleshooting.md, "Resizing the droplet"). */',
                " * reuse it (docs/operations.md,",
                ' * "Destroy and refresh"), so',
                "const hint = 'docs/operations.md (\"How long a preview takes\")';",
                'const why = `run it again (docs/troubleshooting.md, \\"A failed job\\")`;',
                'const rule = "(docs/walkthrough.md, step 4; docs/operations.md, Offsite copies).";',
                'const url = `docs/troubleshooting.md#target-down`; // and design.md, "Testing"',
            ].join("\n");
            expect(cite(code, "scripts/x.ts")).to.deep.equal([]);
            expect(
                cite('see troubleshooting.md "Resizing the droplet" and operations.md: "Host access"', "docs/x.md"),
            ).to.deep.equal([]);
        });

        it("reports a heading that is not on the page, a page that does not exist, and an anchor in code", () => {
            expect(cite('// docs/operations.md, "How long a plan takes"', "scripts/x.ts")).to.deep.equal([
                'docs/operations.md "How long a plan takes": docs/operations.md has no heading with the anchor #how-long-a-plan-takes',
            ]);
            expect(cite(' * (docs/operations.md,\n * "Destroy and\n * rebuild")', "components/x.ts")).to.have.length(1);
            expect(cite('"(docs/operations.md, Offsite copy)."', "policy/x.ts")).to.have.length(1);
            expect(cite('see troubleshooting.md "Resizing the volume"', "docs/x.md")).to.have.length(1);
            expect(cite('docs/runbooks.md, "Target down"', "scripts/x.ts")).to.deep.equal([
                'docs/runbooks.md "Target down": no page docs/runbooks.md in the repository',
            ]);
            expect(cite("`docs/troubleshooting.md#target-gone`", "operator/x.ts")).to.have.length(1);
            // In a page, a link's anchor is checkLinks's; the text is not read twice.
            expect(cite("[t](troubleshooting.md#target-gone)", "docs/x.md")).to.deep.equal([]);
        });

        // Issue 17, attack pass 2: `see "Restoring a backup" in docs/operations.md` was not read.
        it('reads the heading named before its page: `"<Heading>" in <page>.md`, and `"<Heading>" section of`', () => {
            expect(cite('// see "Going back a version" in docs/operations.md', "scripts/x.ts")).to.deep.equal([]);
            expect(
                cite('the "Host access" section of [operations.md](operations.md#host-access)', "docs/x.md"),
            ).to.deep.equal([]);
            expect(cite('" (see \\"Offsite copies\\" in\n * docs/operations.md)"', "policy/x.ts")).to.deep.equal([]);
            expect(cite('// see "Restoring a backup" in docs/operations.md', "scripts/x.ts")).to.deep.equal([
                'docs/operations.md "Restoring a backup": docs/operations.md has no heading with the anchor #restoring-a-backup',
            ]);
            expect(cite('the "Offsite copy" heading of operations.md', "docs/x.md")).to.have.length(1);
            expect(cite('see "Offsite copies" in docs/runbook.md', "docs/x.md")).to.deep.equal([
                'docs/runbook.md "Offsite copies": no page docs/runbook.md in the repository',
            ]);
        });
    });

    describe("walkthrough steps cited by number (issue 17, attack pass 2: two steps swapped left citations wrong)", () => {
        const stepFiles = () => citingFiles(facts).filter((f) => f !== STEP_READER);
        const walkthrough = () => read(WALKTHROUGH);

        it("lands each step citation on a heading with its listed word; every citation is listed, once", () => {
            const found = stepFiles().flatMap((f) => walkthroughStepCitations(read(f), f));
            expect(found.map((c) => c.file)).to.include.members([
                "components/stack.ts",
                "scripts/deploy.ts",
                "policy/rules/stack.ts",
                "docs/walkthrough.md",
            ]);
            expect(stepCitationProblems(found, numberedHeadings(walkthrough()), STEP_CITATIONS)).to.deep.equal([]);
        });

        it("reads the forms a step is cited in, and no other page's steps (crafted texts)", () => {
            const steps = (text: string, file = "scripts/x.ts") =>
                walkthroughStepCitations(text, file).map((c) => `${c.line}:${c.step}`);
            expect(steps('warn("set your own (docs/walkthrough.md, step 4):")')).to.deep.equal(["1:4"]);
            expect(
                steps(" * as the walkthrough (step 4) has the operator do\n * the walkthrough's step 5"),
            ).to.deep.equal(["1:4", "2:5"]);
            expect(
                steps("fails until you set one (walkthrough, step\n4). See step 3 of the\nwalkthrough.", "docs/x.md"),
            ).to.deep.equal(["2:4", "2:3"]);
            expect(steps("again ([walkthrough.md](walkthrough.md#6-deploy), step 6)", "docs/x.md")).to.deep.equal([
                "1:6",
            ]);
            expect(steps("    # the walkthrough, steps 3\n    # and 4", "Pulumi.x.yaml")).to.deep.equal(["1:3", "2:4"]);
            // Elsewhere, a step of something else is no citation; in the walkthrough, a bare step is its own.
            expect(steps("deploy.sh ran 8 steps; step 3 of the backup", "docs/x.md")).to.deep.equal([]);
            expect(
                steps(
                    "as step 6 shows\n([operations.md, Offsite copies](operations.md#offsite-copies), steps 1 to 3)",
                    WALKTHROUGH,
                ),
            ).to.deep.equal(["1:6"]);
            expect([
                ...numberedHeadings("# T\n## 1. Get it\n```\n## 2. not a heading\n```\n## 2) Run it"),
            ]).to.deep.equal([
                [1, "Get it"],
                [2, "Run it"],
            ]);
        });

        it("fails each citation of step 4 once steps 3 and 4 swap numbers, and a citation not listed", () => {
            const found = stepFiles().flatMap((f) => walkthroughStepCitations(read(f), f));
            const swapped = walkthrough()
                .replace(/^## 3\. /m, "## 4x. ")
                .replace(/^## 4\. /m, "## 3. ")
                .replace(/^## 4x\. /m, "## 4. ");
            const problems = stepCitationProblems(found, numberedHeadings(swapped), STEP_CITATIONS);
            expect(problems).to.include(
                `components/stack.ts:${found.find((c) => c.file === "components/stack.ts")!.line}: step 4 ('still has documentation example values') lands on "4. Give Pulumi your DigitalOcean token", which does not name 'Pulumi.prod.yaml'`,
            );
            expect(problems.filter((p) => /: step 4 /.test(p))).to.have.length(
                found.filter((c) => c.step === 4).length,
            );
            const unlisted = walkthroughStepCitations(
                'fail("set it first (docs/walkthrough.md, step 4)")',
                "scripts/new.ts",
            );
            expect(stepCitationProblems(unlisted, numberedHeadings(walkthrough()), [])).to.deep.equal([
                'scripts/new.ts:1: step 4 is not in STEP_CITATIONS; list it with a word its heading must contain ("...fail("set it first (docs/walkthrough.md, step 4)")...")',
            ]);
        });
    });
});
