/**
 * Rung 1 (every shipped stack's program under mocks, the figures from policy/memoryFigures.ts with the settings of
 * each stack's environment, as npm run plan, policy and bench print them): issue 17, frictions 4 and 5, and the attack
 * pass, which found the memory figures in the docs written by hand: nothing failed when a stack's limits, size or
 * headroom changed and left a page quoting old ones.
 *
 * - A memory line quoted from plan, policy or bench (`steady 3056 MB, peak 3440 MB ... 3523 MB free (51 %)`) must
 *   be the figures of the stack the text names last before it in the same section, on the droplet size the line
 *   names, if it names one.
 * - Each figure stated in prose is a claim (CLAIMS, in test/docsCheck/memoryClaims.ts), with the sentence it stands in
 *   and what it must be, computed there.
 * - Every memory figure of README.md, docs/ and the stack files' comments must be one of those, or be listed as no
 *   figure of a stack's memory (a tmpfs size, log rotation, a disk): a new figure cannot slip in unchecked.
 *
 * Attack pass 2 found figures in forms the finder did not read: a table column headed "(MB)" with bare numbers,
 * "2,900 megabytes", "5,000-MB", MiB and GiB, and the comments of the stack files (Pulumi.prod.yaml says prod peaks
 * at "about 3.4 GB" and would have "a 3,481 MB budget" on the 4 GB size). Those forms are read now, and each stack
 * file's comments are a page of their own.
 *
 * The claims, the pages and the stacks' figures are in test/docsCheck/memoryClaims.ts; the readers of memory lines and
 * of figures stay here, beside the crafted pages that test them.
 */
import { expect } from "chai";
import { DropletSize } from "../components/host/dropletSizes";
import { shippedStacks } from "../scripts/lib/stackFiles";
import { lines } from "./docsCheck/markdown";
import {
    CLAIMS,
    NOT_STACK_MEMORY,
    num,
    pages,
    pageText,
    StackFigures,
    stackFigures,
    yamlComments,
} from "./docsCheck/memoryClaims";

/** A memory line as plan, policy and bench print it (policy/memoryFigures.ts, memoryLine), or a quote of one. */
interface MemoryLine {
    readonly index: number;
    /** Where its last figure ends. */
    readonly end: number;
    readonly said: Readonly<Record<Figure, number | undefined>>;
    /** The droplet size it names (`4096 MB s-2vcpu-4gb less 15 % headroom`), if any. */
    readonly size?: string;
}

type Figure = "steady" | "peak" | "budget" | "free" | "freePercent";

/**
 * The memory lines of a page: `steady N MB, peak N MB`, then, in the rest of its paragraph (a wrapped line, or a
 * quote that leaves out the middle with `...`), its budget, its size and what is free or OVER, where they are given.
 */
function memoryLines(md: string): MemoryLine[] {
    const out: MemoryLine[] = [];
    for (const m of md.matchAll(/steady\s+([\d,]+)\s+MB,\s+peak\s+([\d,]+)\s+MB/g)) {
        const start = m.index + m[0].length;
        const rest = md.slice(start, start + 300).split(/\n[ \t]*\n|steady\s/)[0]!;
        const budget = /of\s+a\s+([\d,]+)\s+MB\s+budget/.exec(rest);
        const size = /[\d,]+\s+MB\s+(s-[\w-]+)\s+less/.exec(rest);
        // `N MB free (P %)`, and over the budget `N MB OVER the budget (the peak is P % of it)` (memoryLine), whose
        // percent is the peak's, not what is free; an older quote may still read `N MB OVER (P %)`.
        const free = /([\d,]+)\s+MB\s+(?:(free|OVER)\s+\((\d+)\s+%\)|(OVER)\s+the\s+budget)/.exec(rest);
        const sign = free?.[2] === "OVER" || free?.[4] === "OVER" ? -1 : 1;
        const ends = [budget, size, free].map((x) => (x ? x.index + x[0].length : 0));
        out.push({
            index: m.index,
            end: start + Math.max(...ends),
            said: {
                steady: num(m[1]!),
                peak: num(m[2]!),
                budget: budget ? num(budget[1]!) : undefined,
                free: free ? sign * num(free[1]!) : undefined,
                freePercent: free?.[3] !== undefined ? sign * Number(free[3]) : undefined,
            },
            ...(size ? { size: size[1]! } : {}),
        });
    }
    return out;
}

/** Where each section of a page starts: its headings, outside code blocks. */
function sectionStarts(md: string): number[] {
    const starts = [0];
    let offset = 0;
    for (const l of lines(md)) {
        if (!l.fenced && /^\s{0,3}#{1,6}\s/.test(l.text)) starts.push(offset);
        offset += l.text.length + 1;
    }
    return starts;
}

/** The stack a text names last before `index`, within its section. */
function stackNamedBefore(md: string, index: number, stacks: readonly string[]): string | undefined {
    const section = Math.max(...sectionStarts(md).filter((s) => s <= index));
    let named: string | undefined;
    for (const m of md.slice(section, index).matchAll(/(?<![\w.-])([a-z]+)(?![\w-])/g))
        if (stacks.includes(m[1]!)) named = m[1];
    return named;
}

/** What is wrong with each memory line a page quotes, given the stacks' figures. */
function memoryLineProblems(md: string, page: string, f: StackFigures): string[] {
    const problems: string[] = [];
    for (const line of memoryLines(md)) {
        const at = `${page}:${md.slice(0, line.index).split("\n").length}`;
        const stack = stackNamedBefore(md, line.index, shippedStacks());
        if (stack === undefined) {
            problems.push(`${at}: a memory line, and no shipped stack named before it in its section`);
            continue;
        }
        const figures = f.of(stack, line.size !== undefined ? { size: line.size as DropletSize } : {});
        const computed: Record<Figure, number | undefined> = {
            steady: figures.steadyMb,
            peak: figures.peakMb,
            budget: figures.budgetMb,
            free: figures.freeMb,
            freePercent: figures.freePercent,
        };
        const unit = (k: Figure) => (k === "freePercent" ? " %" : " MB");
        const wrong = (Object.keys(computed) as Figure[]).filter(
            (k) => line.said[k] !== undefined && line.said[k] !== computed[k],
        );
        if (wrong.length > 0)
            problems.push(
                `${at}: ${stack}${line.size ? ` on ${line.size}` : ""}: ` +
                    wrong.map((k) => `${k} ${line.said[k]}${unit(k)}, computed ${computed[k]}${unit(k)}`).join("; "),
            );
    }
    return problems;
}

/** A unit of memory: MB, GB, MiB, GiB in any case, and the words (`megabytes`, `gibibyte`). */
const UNIT = String.raw`(?:[mg]i?b|megabytes?|gigabytes?|mebibytes?|gibibytes?)(?![\w-])`;
/**
 * A figure with its unit: `3,481 MB`, `3.4 GB`, `4GB`, `5,000-MB`, `2,900 megabytes`, `512 MiB` (a space, a no-break
 * space or a hyphen between). Not a size's slug (`s-2vcpu-4gb`): a figure right after a word or a hyphen is none.
 */
const FIGURE_WITH_UNIT = new RegExp(String.raw`(?<![\w.,-])\d[\d,]*(?:\.\d+)?[ \u00a0-]?${UNIT}`, "gi");
/** A bare number, as a table column whose header names the unit holds them (`| postgres | 1,024 |`). */
const BARE_NUMBER = /(?<![\w.,$-])\d[\d,]*(?:\.\d+)?(?![\w%$])/g;

/** The cells of a table row, each with where it starts in the row; a `|` in a code span or escaped divides none. */
function tableCells(row: string): Array<{ start: number; text: string }> {
    const cells: Array<{ start: number; text: string }> = [];
    let start = 0;
    let inCode = false;
    for (let i = 0; i <= row.length; i++) {
        const c = row[i];
        if (c === "`") inCode = !inCode;
        if (i === row.length || (c === "|" && !inCode && row[i - 1] !== "\\")) {
            cells.push({ start, text: row.slice(start, i) });
            start = i + 1;
        }
    }
    // The pipes at either end of a row bound no cell.
    if (/^\s*\|/.test(row)) cells.shift();
    if (/\|\s*$/.test(row)) cells.pop();
    return cells;
}

/** Every number in a column of a Markdown table whose header names a unit of memory (`limit (MB)`, `in GiB`). */
function columnFigures(md: string): Array<{ index: number; text: string }> {
    const out: Array<{ index: number; text: string }> = [];
    const all = lines(md);
    const offsets: number[] = [];
    let offset = 0;
    for (const l of all) {
        offsets.push(offset);
        offset += l.text.length + 1;
    }
    const delimiter = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
    for (let i = 0; i + 1 < all.length; i++) {
        const header = all[i]!;
        if (header.fenced || !header.text.includes("|") || !delimiter.test(all[i + 1]!.text)) continue;
        const headers = tableCells(header.text).map((cell) => cell.text.trim());
        const unitColumns = headers
            .map((cell, column) => (new RegExp(String.raw`(?<![\w-])${UNIT}`, "i").test(cell) ? column : -1))
            .filter((column) => column >= 0);
        for (let r = i + 2; r < all.length && !all[r]!.fenced && all[r]!.text.includes("|"); r++) {
            const cells = tableCells(all[r]!.text);
            for (const column of unitColumns) {
                const cell = cells[column];
                if (cell === undefined) continue;
                for (const m of cell.text.matchAll(BARE_NUMBER))
                    out.push({
                        index: offsets[r]! + cell.start + m.index,
                        text: `${m[0]} (in the column '${headers[column]}')`,
                    });
            }
        }
    }
    return out;
}

/** Every memory figure of a page, with where it is: each with its unit, and each number of a column of them. */
function figuresIn(md: string): Array<{ index: number; text: string }> {
    const withUnit = [...md.matchAll(FIGURE_WITH_UNIT)].map((m) => ({ index: m.index, text: m[0] }));
    const inColumns = columnFigures(md).filter((c) => !withUnit.some((w) => w.index === c.index));
    return [...withUnit, ...inColumns].sort((a, b) => a.index - b.index);
}

/** The spans of a page its claims, its memory lines and the list of other figures account for. */
function accountedSpans(md: string, page: string): Array<[number, number]> {
    const spans: Array<[number, number]> = [];
    for (const line of memoryLines(md)) spans.push([line.index, line.end]);
    for (const c of [...CLAIMS, ...NOT_STACK_MEMORY].filter((c) => c.page === page)) {
        const m = c.says.exec(md);
        if (m) spans.push([m.index, m.index + m[0].length]);
    }
    return spans;
}

describe("docs: every memory figure is the shipped stacks' own, from policy/memoryFigures.ts (issue 17)", function () {
    this.timeout(300_000);
    let f: StackFigures;
    before(async () => {
        f = await stackFigures();
    });

    for (const claim of CLAIMS)
        it(`${claim.page}: ${claim.what}`, () => {
            const md = pageText(claim.page);
            const found = [...md.matchAll(new RegExp(claim.says.source, "g"))];
            expect(found, `the sentence of this claim, once in ${claim.page}`).to.have.length(1);
            const said = { ...found[0]!.groups! };
            const expected = claim.expected(said, f);
            expect(Object.fromEntries(Object.keys(expected).map((k) => [k, said[k]]))).to.deep.equal(expected);
        });

    it("every memory line a page quotes is the figures of the stack it names", () => {
        const problems = pages().flatMap((p) => memoryLineProblems(pageText(p), p, f));
        expect(problems, problems.join("\n")).to.deep.equal([]);
    });

    it("every memory figure of README.md, docs/ and the stack files' comments is a memory line, a claim, or listed as no stack's", () => {
        const unaccounted: string[] = [];
        for (const page of pages()) {
            const md = pageText(page);
            const spans = accountedSpans(md, page);
            for (const figure of figuresIn(md))
                if (!spans.some(([from, to]) => figure.index >= from && figure.index < to))
                    unaccounted.push(`${page}:${md.slice(0, figure.index).split("\n").length}: ${figure.text}`);
        }
        expect(unaccounted).to.deep.equal([]);
        for (const other of NOT_STACK_MEMORY) expect(pageText(other.page), other.why).to.match(other.says);
    });

    describe("the memory line reader (crafted pages)", () => {
        it("accepts the figures of the stack named before the line, on the size the line names", () => {
            const prod = f.of("prod");
            const on4gb = f.of("prod", { size: "s-2vcpu-4gb" });
            const page = [
                "# Plan",
                "Run `npm run plan -- prod`; its memory line reads",
                "```",
                `  memory   steady ${prod.steadyMb} MB, peak ${prod.peakMb} MB (during an update) of a ${prod.budgetMb} MB budget`,
                `           (${prod.hostMb} MB s-4vcpu-8gb less 15 % headroom): ${prod.freeMb} MB free (${prod.freePercent} %)`,
                "```",
                `On the smaller size prod would read steady ${on4gb.steadyMb} MB, peak ${on4gb.peakMb} MB (during an update) of a`,
                `${on4gb.budgetMb} MB budget (4096 MB s-2vcpu-4gb less 15 % headroom): ${on4gb.freeMb} MB free (${on4gb.freePercent} %).`,
                `In short: steady ${prod.steadyMb} MB, peak ${prod.peakMb} MB ... ${prod.freeMb} MB free (${prod.freePercent} %).`,
            ].join("\n");
            expect(memoryLineProblems(page, "fake.md", f)).to.deep.equal([]);
        });

        it("reports a figure that is not the stack's, and a line with no stack named before it", () => {
            const prod = f.of("prod");
            const stale = `## prod\nsteady ${prod.steadyMb} MB, peak ${prod.peakMb + 16} MB ... ${prod.freeMb} MB free (${prod.freePercent} %)`;
            expect(memoryLineProblems(stale, "fake.md", f)).to.deep.equal([
                `fake.md:2: prod: peak ${prod.peakMb + 16} MB, computed ${prod.peakMb} MB`,
            ]);
            const staging = f.of("staging");
            const wrongStack = `## \`staging\`\nsteady ${prod.steadyMb} MB, peak ${prod.peakMb} MB: ${prod.freeMb} MB free (${prod.freePercent} %)`;
            expect(memoryLineProblems(wrongStack, "fake.md", f)).to.deep.equal([
                `fake.md:2: staging: free ${prod.freeMb} MB, computed ${staging.freeMb} MB; freePercent ${prod.freePercent} %, computed ${staging.freePercent} %`,
            ]);
            // Over the budget, as memoryLine prints it now: what is OVER is read as less than nothing free.
            const on4gb = f.of("prod", { size: "s-2vcpu-4gb" });
            const over =
                `## prod\nsteady ${on4gb.steadyMb} MB, peak ${on4gb.peakMb} MB (during an update) of a ${on4gb.budgetMb} MB ` +
                "budget (4096 MB s-2vcpu-4gb less 15 % headroom): 7 MB OVER the budget (the peak is 100.2 % of it)";
            expect(memoryLineProblems(over, "fake.md", f)).to.deep.equal([
                `fake.md:2: prod on s-2vcpu-4gb: free -7 MB, computed ${on4gb.freeMb} MB`,
            ]);
            // The stack named in an earlier section does not count.
            expect(memoryLineProblems("## prod\n\n## Other\nsteady 1 MB, peak 2 MB", "fake.md", f)).to.deep.equal([
                "fake.md:4: a memory line, and no shipped stack named before it in its section",
            ]);
        });

        it("finds every figure with a unit of memory, in every form, and no size's slug", () => {
            const text =
                "3,481 MB, 3.4 GB, 16 MB tmpfs, 10 GiB volume, 4GB, 2,900 megabytes, a 5,000-MB host, 512 MiB, " +
                "1 gigabyte, a 4gb host, 2\u00a0GB; not s-2vcpu-4gb, db-s-1vcpu-2gb, 30 % or 8 vCPUs";
            expect(figuresIn(text).map((x) => x.text)).to.deep.equal([
                "3,481 MB",
                "3.4 GB",
                "16 MB",
                "10 GiB",
                "4GB",
                "2,900 megabytes",
                "5,000-MB",
                "512 MiB",
                "1 gigabyte",
                "4gb",
                "2\u00a0GB",
            ]);
        });

        it("finds the bare numbers of a table column headed with a unit, and only those (crafted table)", () => {
            const table = [
                "| service | limit (MB) | cpus | peak in GiB |",
                "|---|--:|---|---|",
                "| `postgres` | 1,024 | 1.5 | 1.2 |",
                "| caddy \\| edge | 128 | 0.5 | n/a |",
                "",
                "| size | price |",
                "|---|---|",
                "| `s-2vcpu-4gb` | $24 |",
            ].join("\n");
            expect(figuresIn(table).map((x) => x.text)).to.deep.equal([
                "1,024 (in the column 'limit (MB)')",
                "1.2 (in the column 'peak in GiB')",
                "128 (in the column 'limit (MB)')",
            ]);
        });

        it("reads a stack file's comments, where they stand, and nothing else of it", () => {
            const yaml = ["# 8 GB: the limits", "  size: s-4vcpu-8gb # about", '  x: "a # 3 GB"', "  y: 2 GB"].join(
                "\n",
            );
            const comments = yamlComments(yaml);
            expect(comments.split("\n")).to.deep.equal([
                "  8 GB: the limits",
                `${" ".repeat("  size: s-4vcpu-8gb #".length)} about`,
                " ".repeat('  x: "a # 3 GB"'.length),
                " ".repeat("  y: 2 GB".length),
            ]);
            expect(figuresIn(comments).map((x) => x.text)).to.deep.equal(["8 GB"]);
        });
    });
});
