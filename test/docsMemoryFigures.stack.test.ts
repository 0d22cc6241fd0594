/**
 * Rung 1 (every shipped stack's program under mocks, the figures from policy/memoryFigures.ts with the settings of
 * each stack's environment, as npm run plan, policy and bench print them): issue 17, frictions 4 and 5, and the attack
 * pass, which found the memory figures in the docs written by hand: nothing failed when a stack's limits, size or
 * headroom changed and left a page quoting old ones.
 *
 * - A memory line quoted from plan, policy or bench (`steady 3056 MB, peak 3440 MB ... 3523 MB free (51 %)`) must
 *   be the figures of the stack the text names last before it in the same section, on the droplet size the line
 *   names, if it names one.
 * - Each figure stated in prose is a claim below, with the sentence it stands in and what it must be, computed here.
 * - Every MB and GB figure of README.md and docs/ must be one of those, or be listed as no figure of a stack's memory
 *   (a tmpfs size, log rotation): a new figure cannot slip in unchecked.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { DROPLET_SIZES, DropletSize } from "../components/host/dropletSizes";
import { TYPES } from "../policy/lib";
import { MemoryFigures, memoryFigures, MemorySettings, StackResource } from "../policy/memoryFigures";
import { memorySettingsOf, packEnvironmentOf } from "../scripts/lib/policyRun";
import { shippedStacks } from "../scripts/lib/stackFiles";
import { lines } from "./docsCheck/markdown";
import { variantResources } from "./variantRuns";

const ROOT = path.resolve(__dirname, "..");

/** README.md and every page under docs/. */
function pages(): string[] {
    const docs = fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md"));
    return ["README.md", ...docs.map((f) => `docs/${f}`)];
}

/** The figures of each shipped stack, and of one on another droplet size or host. */
interface StackFigures {
    of(stack: string, change?: { size?: DropletSize; hostMemoryMb?: number }): MemoryFigures;
    settings(stack: string): MemorySettings;
}

async function stackFigures(): Promise<StackFigures> {
    const resources = new Map<string, StackResource[]>();
    for (const stack of shippedStacks())
        resources.set(
            stack,
            (await variantResources(stack)).map((r) => ({ type: r.type, props: r.inputs as Record<string, unknown> })),
        );
    const settings = (stack: string) => memorySettingsOf(packEnvironmentOf(stack));
    return {
        settings,
        of(stack, change = {}) {
            const own = resources.get(stack);
            if (own === undefined) throw new Error(`'${stack}' is not a shipped stack`);
            const resized = own.map((r) =>
                change.size !== undefined && r.type === TYPES.droplet
                    ? { ...r, props: { ...r.props, size: change.size } }
                    : r,
            );
            return memoryFigures(resized, { ...settings(stack), ...change });
        },
    };
}

/** `3,481` as 3481. */
const num = (figure: string) => Number(figure.replace(/,/g, ""));
/** A figure as the docs write it: thousands separated by commas. */
const written = (n: number) => n.toLocaleString("en-US");
/** The memory of a droplet size. */
const memoryOf = (size: string) => DROPLET_SIZES[size as DropletSize]?.memoryMb;
/** A sentence as a pattern: each space stands for any run of white space, as the text may wrap there. */
const sentence = (...parts: string[]) => new RegExp(parts.join(" ").replace(/ /g, String.raw`\s+`));
const percent = (headroom: number) => String(Math.round(headroom * 100));

/**
 * A figure the docs state in prose: the sentence it stands in, with the figures as named groups (it must be found
 * exactly once), and what each must be, computed from the code and the shipped stacks.
 */
interface Claim {
    /** What the sentence says, for the test's name. */
    readonly what: string;
    readonly page: string;
    readonly says: RegExp;
    readonly expected: (said: Readonly<Record<string, string>>, f: StackFigures) => Record<string, string>;
}

const CLAIMS: readonly Claim[] = [
    {
        // "about 3.4 GB": prod's peak in GB of 1,024 MB (the page's 4 GB is 4,096 MB), to one decimal.
        what: "prod's peak of an update, in GB",
        page: "docs/choosing-a-target.md",
        says: sentence(
            String.raw`Why \`(?<stack>\w+)\` takes the larger size: at the peak of an update[^.]*?limits reach`,
            String.raw`about (?<peakGb>[\d.]+) GB\.`,
        ),
        expected: (said, f) => ({ stack: "prod", peakGb: (f.of(said.stack!).peakMb / 1024).toFixed(1) }),
    },
    {
        // prod on the 4 GB size it left: that size's memory and budget at production's headroom, and what would be
        // free, "about" to the nearest 10 MB.
        what: "prod's budget and what is free on the 4 GB size it left",
        page: "docs/choosing-a-target.md",
        says: sentence(
            String.raw`On \`(?<size>[\w-]+)\` the policy pack's budget for \`(?<environment>\w+)\` is (?<budget>[\d,]+) MB`,
            String.raw`\((?<host>[\d,]+) MB less (?<headroom>\d+) % headroom\), which would leave about (?<free>[\d,]+) MB`,
        ),
        expected: (said, f) => {
            const figures = f.of("prod", { size: said.size as DropletSize });
            return {
                // The size it left is the one staging keeps.
                size: f.of("staging").hostLabel,
                environment: packEnvironmentOf("prod"),
                budget: written(figures.budgetMb!),
                host: written(memoryOf(said.size!)!),
                headroom: percent(figures.headroom),
                free: written(Math.round(figures.freeMb! / 10) * 10),
            };
        },
    },
    {
        // prod on its own size: the budget, and "more than half" free.
        what: "prod's budget on its own size, more than half free; staging's 4 GB",
        page: "docs/choosing-a-target.md",
        says: sentence(
            String.raw`On \`(?<size>[\w-]+)\` the budget is (?<budget>[\d,]+) MB and (?<share>more|less) than half of it`,
            String.raw`stays free\. \`(?<stack>\w+)\` keeps the (?<sizeGb>\d+) GB size`,
        ),
        expected: (said, f) => {
            const prod = f.of("prod");
            const staging = f.of(said.stack!);
            return {
                size: prod.hostLabel,
                budget: written(prod.budgetMb!),
                share: prod.freeMb! * 2 > prod.budgetMb! ? "more" : "less",
                stack: "staging",
                sizeGb: String(staging.hostMb! / 1024),
            };
        },
    },
    {
        // The catalog's limits, which dev keeps (it overrides none), fit a 4 GB host's budget at development's
        // headroom: said of local Docker, and of the smallest droplet.
        what: "the catalog's limits fit a 4 GB host (local Docker)",
        page: "docs/choosing-a-target.md",
        says: sentence(
            String.raw`memory limits \(the specs in \`components/catalog/\`\) are sized for a host with (?<hostGb>\d+) GB`,
        ),
        expected: (said, f) => ({ hostGb: fitsHost(f, Number(said.hostGb)) }),
    },
    {
        what: "the catalog's limits fit a 4 GB host (the smallest realistic droplet)",
        page: "docs/choosing-a-target.md",
        says: sentence(
            String.raw`the default container limits are sized for a (?<hostGb>\d+) GB host, so \`(?<size>[\w-]+)\``,
        ),
        expected: (said, f) => ({
            hostGb: fitsHost(f, Number(said.hostGb)),
            size: sizeWithMemory(Number(said.hostGb) * 1024),
        }),
    },
    ...["staging", "prod"].map((stack): Claim => ({
        // The next size up from the stack's own: its memory and its budget at the stack's headroom.
        what: `the next size up from ${stack}'s: its memory and budget`,
        page: "docs/troubleshooting.md",
        says: new RegExp(
            String.raw`\| \`(?<size>[\w-]+)\` \(\`${stack}\`\) \| \`(?<next>[\w-]+)\` \| (?<memory>[\d,]+) MB, (?<budget>[\d,]+) MB \|`,
        ),
        expected: (said, f) => {
            const figures = f.of(stack, { size: said.next as DropletSize });
            return {
                size: f.of(stack).hostLabel,
                next: sizeWithMemory(2 * f.of(stack).hostMb!),
                memory: written(figures.hostMb!),
                budget: written(figures.budgetMb!),
            };
        },
    })),
    {
        what: "the headroom of the resize table",
        page: "docs/troubleshooting.md",
        says: /\| its memory, and the budget at (?<headroom>\d+) % headroom \|/,
        expected: (_said, f) => {
            const headrooms = new Set(["staging", "prod"].map((s) => percent(f.settings(s).headroom)));
            return { headroom: headrooms.size === 1 ? [...headrooms][0]! : `one of ${[...headrooms].join(", ")}` };
        },
    },
];

/**
 * The host size in GB a text may claim the catalog's limits fit: `hostGb` when dev, which keeps them, peaks within
 * the budget of a host that size.
 */
function fitsHost(f: StackFigures, hostGb: number): string {
    const dev = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config?: object };
    if (dev.config !== undefined && "freshtrack:resources" in dev.config)
        return "dev no longer keeps the catalog's limits (it sets freshtrack:resources): compute them another way";
    const figures = f.of("dev", { hostMemoryMb: hostGb * 1024 });
    return figures.freeMb! >= 0 ? String(hostGb) : `more than ${hostGb} (dev's peak is ${figures.peakMb} MB)`;
}

/** The droplet size with this much memory (the smallest, if several). */
function sizeWithMemory(memoryMb: number): string {
    return Object.entries(DROPLET_SIZES).find(([, s]) => s.memoryMb === memoryMb)?.[0] ?? `none of ${memoryMb} MB`;
}

/** MB and GB figures that are no stack's memory, each with the sentence it stands in. */
const NOT_STACK_MEMORY: ReadonlyArray<{ page: string; says: RegExp; why: string }> = [
    {
        page: "docs/app-contract.md",
        says: /a 16 MB tmpfs at `\/tmp`/,
        why: "the frontend's tmpfs, a mount of the image contract",
    },
    {
        page: "docs/architecture.md",
        says: /json-file log rotation \(10 MB x 3\)/,
        why: "log rotation, the Service's log options",
    },
    {
        page: "docs/choosing-a-target.md",
        says: /standby nodes on plans with at least 2 GB of memory/,
        why: "DigitalOcean's rule for managed database standby nodes",
    },
];

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
        const free = /([\d,]+)\s+MB\s+(free|OVER)\s+\((\d+)\s+%\)/.exec(rest);
        const sign = free?.[2] === "OVER" ? -1 : 1;
        const ends = [budget, size, free].map((x) => (x ? x.index + x[0].length : 0));
        out.push({
            index: m.index,
            end: start + Math.max(...ends),
            said: {
                steady: num(m[1]!),
                peak: num(m[2]!),
                budget: budget ? num(budget[1]!) : undefined,
                free: free ? sign * num(free[1]!) : undefined,
                freePercent: free ? sign * Number(free[3]) : undefined,
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

/** Every MB and GB figure of a page, with where it is. */
function figuresIn(md: string): Array<{ index: number; text: string }> {
    return [...md.matchAll(/(?<![\w.,])\d[\d,]*(?:\.\d+)?\s?(?:MB|GB)\b/g)].map((m) => ({
        index: m.index,
        text: m[0],
    }));
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
            const md = fs.readFileSync(path.join(ROOT, claim.page), "utf8");
            const found = [...md.matchAll(new RegExp(claim.says.source, "g"))];
            expect(found, `the sentence of this claim, once in ${claim.page}`).to.have.length(1);
            const said = { ...found[0]!.groups! };
            const expected = claim.expected(said, f);
            expect(Object.fromEntries(Object.keys(expected).map((k) => [k, said[k]]))).to.deep.equal(expected);
        });

    it("every memory line a page quotes is the figures of the stack it names", () => {
        const problems = pages().flatMap((p) => memoryLineProblems(fs.readFileSync(path.join(ROOT, p), "utf8"), p, f));
        expect(problems, problems.join("\n")).to.deep.equal([]);
    });

    it("every MB and GB figure in README.md and docs/ is a memory line, a claim above, or listed as no stack's", () => {
        const unaccounted: string[] = [];
        for (const page of pages()) {
            const md = fs.readFileSync(path.join(ROOT, page), "utf8");
            const spans = accountedSpans(md, page);
            for (const figure of figuresIn(md))
                if (!spans.some(([from, to]) => figure.index >= from && figure.index < to))
                    unaccounted.push(`${page}:${md.slice(0, figure.index).split("\n").length}: ${figure.text}`);
        }
        expect(unaccounted).to.deep.equal([]);
        for (const other of NOT_STACK_MEMORY)
            expect(fs.readFileSync(path.join(ROOT, other.page), "utf8"), other.why).to.match(other.says);
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
            // The stack named in an earlier section does not count.
            expect(memoryLineProblems("## prod\n\n## Other\nsteady 1 MB, peak 2 MB", "fake.md", f)).to.deep.equal([
                "fake.md:4: a memory line, and no shipped stack named before it in its section",
            ]);
        });

        it("finds every MB and GB figure, and no GiB", () => {
            expect(figuresIn("3,481 MB, 3.4 GB, 16 MB tmpfs, 10 GiB volume, 4GB").map((x) => x.text)).to.deep.equal([
                "3,481 MB",
                "3.4 GB",
                "16 MB",
                "4GB",
            ]);
        });
    });
});
