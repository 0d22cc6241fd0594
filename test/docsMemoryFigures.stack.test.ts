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
 * - Every memory figure of README.md, docs/ and the stack files' comments must be one of those, or be listed as no
 *   figure of a stack's memory (a tmpfs size, log rotation, a disk): a new figure cannot slip in unchecked.
 *
 * Attack pass 2 found figures in forms the finder did not read: a table column headed "(MB)" with bare numbers,
 * "2,900 megabytes", "5,000-MB", MiB and GiB, and the comments of the stack files (Pulumi.prod.yaml says prod peaks
 * at "about 3.4 GB" and would have "a 3,481 MB budget" on the 4 GB size). Those forms are read now, and each stack
 * file's comments are a page of their own.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { DROPLET_SIZES, DropletSize } from "../components/host/dropletSizes";
import { TYPES } from "../policy/lib";
import { backupsAndMonitoring } from "../policy/rules/stack";
import { MemoryFigures, memoryFigures, MemorySettings, StackResource } from "../policy/memoryFigures";
import { memorySettingsOf, packEnvironmentOf, readEnvironmentPackConfig, settingsFor } from "../scripts/lib/policyRun";
import { loadStackSettings, shippedStacks } from "../scripts/lib/stackFiles";
import { lines } from "./docsCheck/markdown";
import { variantResources } from "./variantRuns";

const ROOT = path.resolve(__dirname, "..");

/** README.md, every page under docs/, and the stack files (Pulumi.yaml, each Pulumi.<stack>.yaml): their comments. */
function pages(): string[] {
    const docs = fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md"));
    const stackFiles = fs.readdirSync(ROOT).filter((f) => /^Pulumi(\.[^.]+)?\.yaml$/.test(f));
    return ["README.md", ...docs.map((f) => `docs/${f}`), ...stackFiles.sort()];
}

/**
 * The comments of a YAML file, each where it stands: every other character a space (line breaks kept, so offsets and
 * line numbers are the file's), and the `#` too, so a sentence wrapped over comment lines reads as one. A `#` starts a
 * comment at the start of a line or after white space, outside quotes (YAML 1.2.2, 6.6 Comments; the yaml package
 * the stack files are read with refuses a `#` right after a token: yaml 2.9.1 dist/compose/resolve-props.js:46).
 */
function yamlComments(text: string): string {
    return text
        .split("\n")
        .map((line) => {
            let quote: string | undefined;
            for (let i = 0; i < line.length; i++) {
                const c = line[i]!;
                if (quote !== undefined) {
                    if (c === quote) quote = undefined;
                } else if (c === '"' || c === "'") quote = c;
                else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!)))
                    return " ".repeat(i + 1) + line.slice(i + 1);
            }
            return " ".repeat(line.length);
        })
        .join("\n");
}

/** A page's text as the figures are read from it: a stack file's comments, a Markdown page whole. */
function pageText(page: string): string {
    const text = fs.readFileSync(path.join(ROOT, page), "utf8");
    return page.endsWith(".yaml") ? yamlComments(text) : text;
}

/**
 * The figures of each shipped stack, and of one on another droplet size or host; `asRequired` takes the stack as its
 * environment's pack requires it to deploy (requiredVariant), where the shipped file is short of that.
 */
interface StackFigures {
    of(stack: string, change?: { size?: DropletSize; hostMemoryMb?: number; asRequired?: boolean }): MemoryFigures;
    settings(stack: string): MemorySettings;
}

/**
 * The variant of test/urnVariants.ts a stack deploys as, where the shipped file lacks what its environment's pack
 * requires: an offsite copy of the block volume, which stack-backups-and-monitoring requires with `required` unless
 * `offsiteForVolumes` is false (policy/rules/stack.ts), and which the walkthrough's step 4 adds to prod.
 */
function requiredVariant(stack: string): string {
    const { config } = settingsFor(backupsAndMonitoring, readEnvironmentPackConfig(packEnvironmentOf(stack)));
    const backup = JSON.parse(loadStackSettings(stack).config["freshtrack:backup"] ?? "{}") as { offsite?: unknown };
    const offsiteMissing = config.required === true && config.offsiteForVolumes !== false && !backup.offsite;
    return offsiteMissing ? `${stack} with an offsite copy` : stack;
}

async function stackFigures(): Promise<StackFigures> {
    const resources = new Map<string, StackResource[]>();
    const variants = shippedStacks().flatMap((stack) => [...new Set([stack, requiredVariant(stack)])]);
    for (const variant of variants)
        resources.set(
            variant,
            (await variantResources(variant)).map((r) => ({
                type: r.type,
                props: r.inputs as Record<string, unknown>,
            })),
        );
    const settings = (stack: string) => memorySettingsOf(packEnvironmentOf(stack));
    return {
        settings,
        of(stack, { asRequired, ...change } = {}) {
            const own = resources.get(asRequired ? requiredVariant(stack) : stack);
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
/** What share of the budget stays free, as a sentence says it: "half" when it rounds to half, else the percent. */
const shareOf = (f: MemoryFigures) =>
    Math.round((f.freeMb! / f.budgetMb!) * 10) === 5 ? "half" : `${Math.round((f.freeMb! / f.budgetMb!) * 100)} %`;

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
        // The comment on prod's droplet size: the size's memory, prod's peak as its pack requires it (with the offsite
        // copy), and the budget of the 4 GB size it left, which staging keeps (prod's pack on that size).
        what: "the size's memory, prod's peak, the budget on the 4 GB size",
        page: "Pulumi.prod.yaml",
        says: sentence(
            String.raw`(?<hostGb>\d+) GB: the containers' limits reach about (?<peakGb>[\d.]+) GB at the peak of an update,`,
            String.raw`so on (?<size>[\w-]+) \(a (?<budget>[\d,]+) MB budget\)`,
        ),
        expected: (said, f) => ({
            hostGb: String(f.of("prod").hostMb! / 1024),
            peakGb: (f.of("prod", { asRequired: true }).peakMb / 1024).toFixed(1),
            size: f.of("staging").hostLabel,
            budget: written(f.of("prod", { size: said.size as DropletSize }).budgetMb!),
        }),
    },
    {
        // With the offsite copy its pack requires, prod leaves 3,475 of 6,963 MB free (49.9 %): "about half".
        what: "the share of prod's budget that stays free, with the offsite copy its pack requires",
        page: "Pulumi.prod.yaml",
        says: sentence(String.raw`Here about (?<share>[\w ]+?) the budget stays free`),
        expected: (_said, f) => ({ share: shareOf(f.of("prod", { asRequired: true })) }),
    },
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
    // Disk, in GiB as DigitalOcean prices it: the block volume and the Spaces allowance.
    {
        page: "docs/choosing-a-target.md",
        says: /from \$13 \(smallest droplet with a 10 GiB volume\)/,
        why: "the smallest block volume, a disk",
    },
    {
        page: "docs/choosing-a-target.md",
        says: /`s-1vcpu-2gb` with a 10 GiB volume/,
        why: "the smallest block volume, a disk",
    },
    {
        page: "docs/choosing-a-target.md",
        says: /\$5 for up to 250 GiB stored/,
        why: "the storage a Spaces subscription includes",
    },
    {
        page: "docs/choosing-a-target.md",
        says: /\| block volume \| 30 GiB: \$3\.00 \| 100 GiB: \$10\.00 \|/,
        why: "the shipped stacks' block volumes (volumeSizeGb), priced and checked by test/choosingTotals.test.ts",
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
