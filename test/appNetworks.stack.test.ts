/**
 * Issue 15, finding 12: the backend joins only the networks it needs, and so does the worker. Rung 1 (mocks), on
 * every shipped stack and on prod with managed PostgreSQL.
 *
 * Who talks to whom is read from what the program registers, the way the real-engine test derives the endpoints
 * it then connects to (test/engine/stackOnEngine.ts, endpointsNamed): a container calls every alias its settings
 * (env, command, uploaded files) name as `alias:port`, or as X_HOST beside X_PORT. Caddy names backend:3000 in its
 * Caddyfile, Prometheus backend:3000 and worker:9464 in prometheus.yml, and the app's env names pgbouncer, redis
 * and minio. A network is justified for a container when a peer it calls, or a peer that calls it, is on it too;
 * a non-internal network also when the container calls a host outside the stack (a managed database) and none of
 * its justified networks already leads out. Anything else is a network the container holds for nothing, from which
 * a compromised app could reach whatever else sits there.
 */
import { expect } from "chai";
import { RegisteredResource } from "../scripts/lib/mockRun";
import { loadStackSettings, shippedStacks, StackSettings } from "../scripts/lib/stackFiles";
import { inputsOf } from "./engine/applyLikeProvider";
import { Endpoint, endpointsNamed } from "./engine/stackOnEngine";
import { containers } from "./helpers";
import { sharedRun, shippedRun } from "./variantRuns";

const NETWORK = "docker:index/network:Network";

interface Member {
    readonly name: string;
    /** The image the container runs, by ID. */
    readonly image: string;
    /** The container's command and entrypoint, for the flags it runs with. */
    readonly argv: readonly string[];
    readonly aliases: ReadonlySet<string>;
    /** Network keys (edge, app, data, monitoring, status), from each network's com.freshtrack.network label. */
    readonly networks: readonly string[];
    readonly calls: readonly Endpoint[];
    /** Hosts named as X_HOST (with X_PORT) that no container of the stack answers to: they are outside the host. */
    readonly outside: readonly string[];
}

interface Topology {
    readonly members: readonly Member[];
    readonly internal: ReadonlyMap<string, boolean>;
}

function topology(resources: RegisteredResource[]): Topology {
    const keyOf = new Map<string, string>();
    const internal = new Map<string, boolean>();
    for (const n of resources.filter((r) => r.type === NETWORK)) {
        const inputs = n.inputs as {
            name: string;
            internal?: boolean;
            labels?: Array<{ label: string; value: string }>;
        };
        const key = inputs.labels?.find((l) => l.label === "com.freshtrack.network")?.value ?? inputs.name;
        keyOf.set(inputs.name, key);
        internal.set(key, inputs.internal ?? false);
    }
    const programs = containers(resources).map((r) => ({ name: r.name, inputs: inputsOf(r) }));
    const aliasesOf = (p: (typeof programs)[number]) =>
        new Set((p.inputs.networksAdvanced ?? []).flatMap((n) => n.aliases ?? []));
    const all = new Set(programs.flatMap((p) => [...aliasesOf(p)]));
    const members = programs.map((p) => {
        const own = aliasesOf(p);
        const env = new Map(
            (p.inputs.envs ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
        );
        const outside = [...env]
            .filter(([k, v]) => /_HOST$/.test(k) && env.has(k.replace(/_HOST$/, "_PORT")) && !all.has(v))
            .map(([, v]) => v);
        return {
            name: p.name,
            image: String(p.inputs.image),
            argv: [...(p.inputs.entrypoints ?? []), ...(p.inputs.command ?? [])],
            aliases: own,
            networks: (p.inputs.networksAdvanced ?? []).map((n) => keyOf.get(n.name) ?? n.name),
            calls: endpointsNamed(p.inputs, all, own),
            outside,
        };
    });
    return { members, internal };
}

/** For each network a container joins, why: the peers it calls there, those that call it there, or its way out. */
function reasons(t: Topology, name: string): Record<string, string[]> {
    const me = t.members.find((m) => m.name === name);
    if (!me) throw new Error(`no container named ${name}`);
    const why: Record<string, string[]> = {};
    for (const net of me.networks) {
        const here = t.members.filter((m) => m !== me && m.networks.includes(net));
        why[net] = [
            ...me.calls
                .filter((e) => here.some((m) => m.aliases.has(e.alias)))
                .map((e) => `calls ${e.alias}:${e.port}`),
            ...here.filter((m) => m.calls.some((e) => me.aliases.has(e.alias))).map((m) => `called by ${m.name}`),
        ];
    }
    const leadsOut = (net: string) => t.internal.get(net) === false;
    if (me.outside.length > 0 && !me.networks.some((n) => why[n]!.length > 0 && leadsOut(n))) {
        // One way out is enough; a second non-internal network would be held for nothing.
        const out = me.networks.find((n) => why[n]!.length === 0 && leadsOut(n));
        if (out) why[out]!.push(`the way out to ${me.outside.join(", ")}`);
    }
    return why;
}

function managedProd(): StackSettings {
    const settings = loadStackSettings("prod");
    return {
        ...settings,
        config: {
            ...settings.config,
            "freshtrack:database": JSON.stringify({ mode: "managed", size: "db-s-1vcpu-2gb" }),
        },
    };
}

let topologies: Promise<ReadonlyArray<{ label: string; t: Topology }>> | undefined;

/** Each shipped stack's topology and prod's with managed PostgreSQL, run once for both suites of this file. */
function stackTopologies(): Promise<ReadonlyArray<{ label: string; t: Topology }>> {
    topologies ??= (async () => {
        const runs: Array<{ label: string; t: Topology }> = [];
        for (const stack of shippedStacks())
            runs.push({
                label: stack,
                t: topology((await shippedRun(stack)).resources),
            });
        runs.push({
            label: "prod with managed PostgreSQL",
            t: topology((await sharedRun(managedProd())).resources),
        });
        return runs;
    })();
    return topologies;
}

describe("the backend and the worker join only the networks they need (issue 15, finding 12; rung 1)", function () {
    this.timeout(120_000);
    let runs: ReadonlyArray<{ label: string; t: Topology }>;
    before(async () => {
        runs = await stackTopologies();
    });

    it("join no network that carries no call to or from them, nor the one way out they need", () => {
        const unjustified: string[] = [];
        for (const { label, t } of runs) {
            for (const name of ["backend", "worker"]) {
                for (const [net, why] of Object.entries(reasons(t, name)))
                    if (why.length === 0) unjustified.push(`${label}: ${name} joins ${net} for nothing`);
            }
        }
        expect(unjustified).to.deep.equal([]);
    });

    it("still share a network with every peer they call and every peer that calls them, and lead out where they call outside", () => {
        const unreachable: string[] = [];
        for (const { label, t } of runs) {
            for (const name of ["backend", "worker"]) {
                const me = t.members.find((m) => m.name === name)!;
                const shares = (m: Member) => m.networks.some((n) => me.networks.includes(n));
                for (const e of me.calls) {
                    if (!t.members.some((m) => m.aliases.has(e.alias) && shares(m)))
                        unreachable.push(`${label}: ${name} cannot reach ${e.alias}:${e.port}`);
                }
                for (const m of t.members) {
                    if (m.calls.some((e) => me.aliases.has(e.alias)) && !shares(m))
                        unreachable.push(`${label}: ${m.name} cannot reach ${name}`);
                }
                const leadsOut = me.networks.some((n) => t.internal.get(n) === false);
                if (me.outside.length > 0 && !leadsOut)
                    unreachable.push(`${label}: ${name} has no way out to ${me.outside.join(", ")}`);
            }
        }
        expect(unreachable).to.deep.equal([]);
    });

    it("which is edge (Caddy), data (PgBouncer, Redis, MinIO) and monitoring (Prometheus) for the backend; data and monitoring for the worker", () => {
        const prod = runs.find((r) => r.label === "prod")!.t;
        expect(reasons(prod, "backend")).to.deep.equal({
            edge: ["called by caddy"],
            data: ["calls minio:9000", "calls pgbouncer:6432", "calls redis:6379"],
            // MinIO is on monitoring too, to be scraped; the scrape is what the backend is there for.
            monitoring: ["calls minio:9000", "called by prometheus"],
        });
        expect(reasons(prod, "worker")).to.deep.equal({
            data: ["calls minio:9000", "calls pgbouncer:6432", "calls redis:6379"],
            monitoring: ["calls minio:9000", "called by prometheus"],
        });
        // A managed cluster is outside the host: the worker reaches it through app, as the postgres exporter does; the
        // backend already leads out through edge.
        const managed = runs.find((r) => r.label.startsWith("prod with managed"))!.t;
        const worker = reasons(managed, "worker");
        expect(Object.keys(worker)).to.deep.equal(["app", "data", "monitoring"]);
        expect(worker.app)
            .to.have.length(1)
            .and.satisfy((why: string[]) => why[0]!.startsWith("the way out to "));
        expect(Object.keys(reasons(managed, "backend"))).to.deep.equal(["edge", "data", "monitoring"]);
    });
});

/**
 * Issue 15, findings 1 and 12: the internet-facing containers (backend, worker and frontend, every job that runs one of
 * their images, such as migrate and demo-data, and Uptime Kuma, whose monitors the operator writes) reach no admin API
 * past Caddy's basic auth. Rung 1 (mocks), on every shipped stack and on prod with managed PostgreSQL; who shares a
 * network with whom is read from the registered containers as above, and on a shared Docker network every port a peer
 * listens on is reachable.
 *
 * Alertmanager takes silences and Loki takes pushes and queries with no authentication of their own, and Grafana is
 * the operator's: none may share a network with them. Prometheus scrapes the backend and the worker, so it shares
 * one network with each, where they can open its port too (a TCP peer can always connect back to a listening port on
 * a shared network); there it must answer read-only queries only, and share no second network with them.
 */
describe("the internet-facing containers reach no admin API behind Caddy's basic auth (issue 15, findings 1 and 12; rung 1)", function () {
    this.timeout(120_000);
    const APP = ["backend", "worker", "frontend"];
    const UNREACHABLE = ["alertmanager", "loki", "grafana"];
    let runs: ReadonlyArray<{ label: string; t: Topology }>;
    before(async () => {
        runs = await stackTopologies();
    });

    const shared = (a: Member, b: Member) => a.networks.filter((n) => b.networks.includes(n));

    it("share no network with Alertmanager, Loki or Grafana, and only the scrape's one network with Prometheus", () => {
        const reached: string[] = [];
        for (const { label, t } of runs) {
            const byName = (name: string) => t.members.find((m) => m.name === name);
            // Named containers that vanish would make this pass for nothing.
            for (const name of [...APP, "uptime-kuma", ...UNREACHABLE, "prometheus"])
                expect(byName(name), `${label}: ${name}`).to.not.equal(undefined);
            const appImages = new Set(APP.map((n) => byName(n)!.image));
            const facing = t.members.filter((m) => appImages.has(m.image) || m.name === "uptime-kuma");
            expect(
                facing.map((m) => m.name),
                label,
            ).to.include("migrate");
            const prometheus = byName("prometheus")!;
            for (const me of facing) {
                for (const name of UNREACHABLE) {
                    const nets = shared(me, byName(name)!);
                    if (nets.length > 0) reached.push(`${label}: ${me.name} reaches ${name} on ${nets.join(", ")}`);
                }
                const nets = shared(me, prometheus);
                const scraped = prometheus.calls.some((e) => me.aliases.has(e.alias));
                if (nets.length > 0 && !scraped)
                    reached.push(
                        `${label}: ${me.name} reaches prometheus on ${nets.join(", ")}, which does not scrape it`,
                    );
                if (nets.length > 1)
                    reached.push(`${label}: ${me.name} reaches prometheus on ${nets.join(", ")}; the scrape needs one`);
            }
        }
        expect(reached).to.deep.equal([]);
    });

    it("where Prometheus is reachable, its port takes no write: no admin API, lifecycle endpoint or write receiver is switched on", () => {
        // Each is off unless its flag is given (prometheus@v2.53.2 cmd/prometheus/main.go:319-326, and :182-183 for the
        // feature flags): web/web.go:452-466 answers 403 to /-/quit and /-/reload, web/api/v1/api.go:1667-1669 "admin
        // APIs disabled", :1651-1663 404 for /api/v1/write and /api/v1/otlp/v1/metrics.
        const enabling =
            /^--(web\.enable-(admin-api|lifecycle|remote-write-receiver)|enable-feature=.*(remote-write-receiver|otlp-write-receiver))/;
        for (const { label, t } of runs) {
            const argv = t.members.find((m) => m.name === "prometheus")!.argv;
            expect(argv, `${label}: prometheus's command`).to.include("--config.file=/etc/prometheus/prometheus.yml");
            expect(
                argv.filter((a) => enabling.test(a)),
                `${label}: prometheus's command`,
            ).to.deep.equal([]);
        }
    });
});
