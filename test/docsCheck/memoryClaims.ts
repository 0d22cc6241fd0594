/**
 * What test/docsMemoryFigures.stack.test.ts checks the docs' memory figures against (issue 17, frictions 4 and 5):
 * the pages it reads (README.md, docs/, the stack files' comments), each shipped stack's figures from
 * policy/memoryFigures.ts under mocks, the figures stated in prose as claims with what each must be, and the figures
 * that are no stack's memory. Moved unchanged from that test file, which passed the 450 lines test/layout.test.ts
 * allows; the readers of memory lines and of figures, which its crafted pages test, stay beside those tests.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { DROPLET_SIZES, DropletSize } from "../../components/host/dropletSizes";
import { TYPES } from "../../policy/lib";
import { backupsAndMonitoring } from "../../policy/rules/stack";
import { MemoryFigures, memoryFigures, MemorySettings, StackResource } from "../../policy/memoryFigures";
import {
    memorySettingsOf,
    packEnvironmentOf,
    readEnvironmentPackConfig,
    settingsFor,
} from "../../scripts/lib/policyRun";
import { loadStackSettings, shippedStacks } from "../../scripts/lib/stackFiles";
import { variantResources } from "../variantRuns";

const ROOT = path.resolve(__dirname, "../..");

/** README.md, every page under docs/, and the stack files (Pulumi.yaml, each Pulumi.<stack>.yaml): their comments. */
export function pages(): string[] {
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
export function yamlComments(text: string): string {
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
export function pageText(page: string): string {
    const text = fs.readFileSync(path.join(ROOT, page), "utf8");
    return page.endsWith(".yaml") ? yamlComments(text) : text;
}

/**
 * The figures of each shipped stack, and of one on another droplet size or host; `asRequired` takes the stack as its
 * environment's pack requires it to deploy (requiredVariant), where the shipped file is short of that.
 */
export interface StackFigures {
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

export async function stackFigures(): Promise<StackFigures> {
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
export const num = (figure: string) => Number(figure.replace(/,/g, ""));
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
export interface Claim {
    /** What the sentence says, for the test's name. */
    readonly what: string;
    readonly page: string;
    readonly says: RegExp;
    readonly expected: (said: Readonly<Record<string, string>>, f: StackFigures) => Record<string, string>;
}

export const CLAIMS: readonly Claim[] = [
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
export const NOT_STACK_MEMORY: ReadonlyArray<{ page: string; says: RegExp; why: string }> = [
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
    {
        page: "docs/operations.md",
        says: /A worked example: 500 sensors reporting once a minute[\s\S]*?before its slot is given up\./,
        why: "disk: the log, base backups and database growth of point-in-time recovery, measured on PostgreSQL 15",
    },
    {
        page: "docs/operations.md",
        says: /Under the backup container's limits \(`npm run bench -- --pitr-limits`[\s\S]*?some 15 minutes\./,
        why: "the backup container's limits (its memory line is the plan's) and database sizes the bench restored",
    },
];
