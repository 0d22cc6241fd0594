/**
 * What the plan's overview says, row by row (issue 17, friction 4, "keep the overview first"; attack pass 2, #23 and
 * #24: test/planLayout.test.ts pins the rows by label only, so a row that dropped an image, the offsite copy or the
 * DNS mode still passed). Rung 1: the text renderPlan prints from the whole program run under mocks, for every stack
 * of test/urnVariants.ts (the shipped ones and the variants one key away: an offsite copy, managed PostgreSQL, an ssh
 * VM, the app images built) and prod with its DNS kept elsewhere, each row compared with the stack's own config and
 * with what the same run registers: the RemoteImages it pulls, the docker.Images it builds.
 *
 * - app (friction 1, "Nobody can tell where the app comes from"): names each of the config's three image references,
 *   and whether they are pulled or built (from which checkout and stages, and for a remote host pushed);
 * - backups: says "with an offsite copy" exactly when freshtrack:backup.offsite is set;
 * - domain: on a droplet, who makes the DNS records, the stack in its zone or the operator at another provider.
 */
import { expect } from "chai";
import type { StackConfig } from "../components/config";
import { PUBLIC_IMAGES } from "../components/images";
import { RegisteredResource } from "../scripts/lib/mockRun";
import { planOf, planText } from "../scripts/lib/planReport";
import type { StackSettings } from "../scripts/lib/stackFiles";
import { prodWithoutDnsZone } from "./helpers";
import { URN_VARIANTS } from "./urnVariants";
import { sharedRun } from "./variantRuns";

const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
const BUILT_IMAGE = "docker:index/image:Image";
/** The overview's rows are fields of 9 columns after a 2-column indent (scripts/lib/planOverview.ts, overview). */
const KEY_WIDTH = 9;

/** A stack's plan, its config and what its run registered. */
interface Planned {
    readonly plan: string;
    readonly cfg: StackConfig;
    readonly resources: readonly RegisteredResource[];
}

/**
 * The plan of `settings` as planText prints it (the first test checks that it is), rendered from the mocked run the
 * stack tests of this process share instead of a run of its own.
 */
async function planned(settings: StackSettings): Promise<Planned> {
    const run = await sharedRun(settings);
    return { plan: planOf(settings, run), cfg: run.result.cfg, resources: run.resources };
}

/** Every stack the rows are checked on: test/urnVariants.ts's, and prod with its DNS elsewhere. */
const STACKS: Readonly<Record<string, () => StackSettings>> = {
    ...URN_VARIANTS,
    "prod with its DNS at another provider": prodWithoutDnsZone,
};

/** A row's value, its wrapped lines joined again: the lines from `  <label>` up to the next row. */
function row(plan: string, label: string): string {
    const head = `  ${label.padEnd(KEY_WIDTH)}  `;
    const lines = plan.split("\n");
    const overviewEnd = lines.indexOf("");
    const at = lines.findIndex((l, i) => i < overviewEnd && l.startsWith(head));
    expect(at, `the ${label} row`).to.be.greaterThan(0);
    const rest = lines.slice(at + 1);
    const end = rest.findIndex((l) => !l.startsWith(" ".repeat(head.length)));
    return [lines[at]!.slice(head.length), ...rest.slice(0, end)].map((l) => l.trim()).join(" ");
}

/** What the stack pulls that is not a pinned public image: the FreshTrack images, as the pulls name them. */
function appPulls(resources: readonly RegisteredResource[]): string[] {
    const pinned = new Set<string>(Object.values(PUBLIC_IMAGES));
    return [...new Set(resources.filter((r) => r.type === REMOTE_IMAGE).map((r) => String(r.inputs.name)))]
        .filter((name) => !pinned.has(name))
        .sort();
}

function builds(resources: readonly RegisteredResource[]): string[] {
    return resources.filter((r) => r.type === BUILT_IMAGE).map((r) => String(r.inputs.imageName));
}

describe("npm run plan: what the overview's rows say (rung 1, each stack's program under mocks)", function () {
    this.timeout(300_000);

    it("the plan rendered here from the shared run is the text planText prints", async () => {
        const settings = URN_VARIANTS["prod with an offsite copy"]!;
        expect((await planned(settings())).plan).to.equal(await planText(settings()));
    });

    describe("app: each of the config's image references, pulled or built (friction 1)", () => {
        for (const [variant, settings] of Object.entries(STACKS)) {
            it(`${variant}: names backend, worker and frontend's references, and how the host gets them`, async () => {
                const { plan, cfg } = await planned(settings());
                const app = row(plan, "app");
                const { backend, worker, frontend } = cfg.app.images;
                for (const image of [backend, worker, frontend]) expect(app).to.contain(image.ref);
                expect(app).to.match(new RegExp(`^${cfg.app.version.replace(/\./g, "\\.")}, demo data o(n|ff); `));
                if (cfg.app.build) {
                    expect(app).to.contain("images built on this machine");
                    expect(app).to.not.contain("images pulled");
                } else {
                    expect(app).to.contain("images pulled: ");
                    expect(app).to.not.contain("built");
                }
            });
        }

        it("dev: names the three references it pulls, exactly those the program pulls", async () => {
            const { plan, resources } = await planned(URN_VARIANTS.dev!());
            const app = row(plan, "app");
            const pulled = appPulls(resources);
            expect(pulled).to.have.length(3);
            expect(app).to.equal(
                "1.4.2, demo data on; images pulled: ghcr.io/freshtrack/freshtrack-backend:1.4.2, " +
                    "ghcr.io/freshtrack/freshtrack-worker:1.4.2, ghcr.io/freshtrack/freshtrack-frontend:1.4.2",
            );
            for (const ref of pulled) expect(app).to.contain(ref);
        });

        it("prod: names its pulls too, with demo data off", async () => {
            const { plan, resources } = await planned(URN_VARIANTS.prod!());
            const app = row(plan, "app");
            expect(app).to.match(/^1\.4\.2, demo data off; images pulled: /);
            const pulled = appPulls(resources);
            expect(pulled).to.have.length(3);
            for (const ref of pulled) expect(app).to.contain(ref);
        });

        it("dev building on its daemon: says built, from which checkout and stages, under the references it builds", async () => {
            const { plan, resources } = await planned(URN_VARIANTS["dev building the app images on its daemon"]!());
            const app = row(plan, "app");
            expect(app).to.match(
                /^1\.4\.2, demo data on; images built on this machine's Docker daemon from \/\S+ \(Dockerfile stages backend, worker, frontend\) as /,
            );
            expect(builds(resources)).to.have.length(3);
            expect(app).to.contain(`as ${builds(resources).join(", ")}`);
            expect(appPulls(resources), "nothing of the app's is pulled").to.deep.equal([]);
        });

        it("prod building and pushing: says pushed, and the host pulls each by digest", async () => {
            const { plan, resources } = await planned(URN_VARIANTS["prod building the app images and pushing them"]!());
            const app = row(plan, "app");
            expect(app).to.contain(`pushed as ${builds(resources).join(", ")}; the host pulls them by digest`);
            const repositories = builds(resources).map((ref) => ref.replace(/:[^/:]+$/, ""));
            expect(appPulls(resources).map((name) => name.replace(/@sha256:[0-9a-f]{64}$/, ""))).to.have.members(
                repositories,
            );
        });
    });

    describe("backups: 'with an offsite copy' exactly when freshtrack:backup.offsite is set", () => {
        it("prod as it ships has no offsite copy and says none; with one, says so", async () => {
            const without = await planned(URN_VARIANTS.prod!());
            const withCopy = await planned(URN_VARIANTS["prod with an offsite copy"]!());
            expect(without.cfg.backup.offsite).to.equal(undefined);
            expect(withCopy.cfg.backup.offsite).to.not.equal(undefined);
            const kept = `'${without.cfg.backup.schedule}', kept ${without.cfg.backup.retentionDays} days`;
            expect(row(without.plan, "backups")).to.equal(kept);
            expect(row(withCopy.plan, "backups")).to.equal(`${kept}, with an offsite copy`);
        });

        for (const [variant, settings] of Object.entries(STACKS)) {
            it(`${variant}: the schedule, the days kept, and the offsite copy as the config has it`, async () => {
                const { plan, cfg } = await planned(settings());
                const backups = row(plan, "backups");
                expect(backups).to.match(new RegExp(`^'${cfg.backup.schedule.replace(/\*/g, "\\*")}', `));
                expect(backups).to.contain(`kept ${cfg.backup.retentionDays} days`);
                expect(backups.includes("with an offsite copy"), backups).to.equal(cfg.backup.offsite !== undefined);
            });
        }
    });

    describe("domain: on a droplet, who makes the DNS records", () => {
        it("prod (dnsZone example.com): the stack makes them in its DigitalOcean zone, which the row names", async () => {
            const { plan, cfg } = await planned(URN_VARIANTS.prod!());
            const domain = row(plan, "domain");
            expect(cfg.droplet?.dnsZone).to.equal("example.com");
            expect(domain).to.match(new RegExp(`^${cfg.domain.replace(/\./g, "\\.")}; `));
            expect(domain).to.match(/\bDNS\b/);
            expect(domain).to.contain("made by the stack");
            expect(domain).to.contain("zone example.com");
        });

        it("prod with its DNS at another provider: the operator makes them there, and no zone is named", async () => {
            const { plan, cfg } = await planned(prodWithoutDnsZone());
            const domain = row(plan, "domain");
            expect(cfg.droplet?.dnsZone).to.equal(undefined);
            expect(domain).to.match(new RegExp(`^${cfg.domain.replace(/\./g, "\\.")}; `));
            expect(domain).to.match(/\bDNS\b/);
            expect(domain).to.contain("your provider");
            expect(domain).to.not.contain("made by the stack");
            expect(domain).to.not.contain("zone");
        });

        for (const [variant, settings] of Object.entries(STACKS)) {
            it(`${variant}: the domain first; on a droplet, who makes its DNS records (the zone, where it has one)`, async () => {
                const { plan, cfg } = await planned(settings());
                const domain = row(plan, "domain");
                expect(domain.startsWith(cfg.domain), domain).to.equal(true);
                if (cfg.droplet) {
                    expect(domain).to.match(/\bDNS\b/);
                    const zone = cfg.droplet.dnsZone;
                    if (zone !== undefined) expect(domain).to.contain(`zone ${zone}`);
                    else expect(domain).to.contain("your provider");
                } else {
                    // Local and ssh stacks make no record and have no zone: the names are the operator's business.
                    expect(domain).to.not.contain("made by the stack");
                    expect(domain).to.not.contain("zone");
                }
            });
        }
    });
});
