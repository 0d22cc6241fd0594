/**
 * Rung 3 (the real tree, code and docs read as text): issue 17, attack pass. Code and docs cite headings by name
 * (`docs/operations.md, "How long a preview takes"`, `see troubleshooting.md "Resizing the droplet"`) and, in code,
 * by anchor (`docs/troubleshooting.md#target-down`); a renamed heading left those citations pointing at nothing, as
 * only Markdown links were checked (test/docs.test.ts). Every such citation must name a page of the repository and a
 * heading on it.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { formatProblems, loadRepoFacts, RepoFacts } from "./docsCheck";
import { checkHeadingCitations } from "./docsCheck/references";

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
    });
});
