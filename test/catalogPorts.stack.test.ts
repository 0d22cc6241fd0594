/**
 * The service catalog's ports (issue 16, item 4; a miss of the second attack pass): every peer, probe and scrape target
 * calls a service on its spec's port (ENDPOINTS), so the server in the container must listen there. A container given
 * `--port 6380` passed the catalog test while its spec, its health check and every client said 6379. Rung 1 (mocks):
 * what each container of each shipped stack and variant is given (its entrypoint and command, its environment, the
 * files uploaded into it) is read the way its server reads it, and every listening-port setting found must name the
 * spec's port; with none, the server's own default must be the spec's port. A setting that names another port on
 * purpose is listed in OTHER_LISTENERS with why. Redis is also started from its registered command line and redis.conf
 * in test/catalogHealth.servers.test.ts (rung 4).
 *
 * How each server sets its port, read at the pinned versions (components/images.ts) where the source is stored here:
 * - PostgreSQL: `-p N`, `-c port=N`, `--port=N`, PGPORT, `port = N` in a .conf; default 5432 (postgres(1) of Debian's
 *   postgresql-15, options -p, -c, --name=value and ENVIRONMENT; the image runs 17, whose source is not stored here).
 * - PgBouncer: `listen_port` in [pgbouncer] of its .ini, default 6432 (pgbouncer_1_23_1 src/main.c:268).
 * - Redis: `port N` in a .conf it reads (names case-insensitive), and `--port N` on the command line, applied after the
 *   file (redis 7.4.1 src/config.c:466 sdstolower, :3148 default 6379; src/server.c:7049-7071).
 * - MinIO: `--address ADDR` or MINIO_ADDRESS, default :9000 (minio RELEASE.2025-09-07T16-13-09Z
 *   cmd/server-main.go:68-73).
 * - Caddy: explicit ports of site addresses, and the `admin` global option or CADDY_ADMIN (caddy v2.8.4
 *   caddyconfig/httpcaddyfile/addresses.go:297-345 ParseAddress, options.go:31-32 and :50; admin.go:50-57, :1363).
 * - Prometheus: `--web.listen-address`, default 0.0.0.0:9090 (prometheus v2.53.2 cmd/prometheus/main.go:290-291).
 * - Alertmanager, blackbox, node, postgres and PgBouncer exporters: `--web.listen-address` (repeatable) of
 *   exporter-toolkit v0.10.0/v0.11.0 web/kingpinflag/flag.go:35 with each one's default (alertmanager v0.27.0
 *   cmd/alertmanager/main.go:147, blackbox_exporter v0.25.0 main.go:58, node_exporter v1.8.2 node_exporter.go:179,
 *   postgres_exporter v0.15.0 cmd/postgres_exporter/main.go:42, pgbouncer_exporter v0.9.0 pgbouncer_exporter.go:54);
 *   kingpin reads arguments from an `@file`, one per line (alecthomas/kingpin v2.4.0 parser.go:217-218, :272-294).
 * - redis_exporter: `-web.listen-address` or REDIS_EXPORTER_WEB_LISTEN_ADDRESS, default :9121 (v1.62.0 main.go:74).
 * - Loki and Promtail: `server.http_listen_port` of the YAML, `-server.http-listen-port`; dskit's default 80, which
 *   Loki sets to 3100 (loki v2.9.10 vendor/github.com/grafana/dskit/server/server.go:76, :152;
 *   pkg/loki/loki.go:188-189; promtail inlines the same config under `server`:
 *   clients/pkg/promtail/server/server.go:54-55, config/config.go:32).
 * - Grafana: `http_port` of [server], GF_SERVER_HTTP_PORT, `cfg:server.http_port=N`, default 3000 (grafana
 *   pkg/setting/setting.go, applyEnvVariableOverrides, getCommandLineProperties, `http_port` MustString("3000"):
 *   read at the stored commit 0000065053, an older release; v11.2.2 is not stored here).
 * - Uptime Kuma: `--port`, UPTIME_KUMA_PORT, PORT, default 3001 (louislam/uptime-kuma 1.23.15 server/config.js:12).
 * - FreshTrack images: PORT (backend), METRICS_PORT (worker), and the frontend's nginx on 8080 with no setting
 *   (docs/app-contract.md, the image table and "Environment").
 */
import { expect } from "chai";
import { parse as parseYaml } from "yaml";
import { SERVICES, ServiceSpec } from "../components/catalog";
import type { AppImageName } from "../components/services/appImages";
import type { PublicImage } from "../components/images";
import { RegisteredResource, unwrapSecrets } from "../scripts/lib/mockRun";
import { containers } from "./helpers";
import { URN_VARIANTS } from "./urnVariants";
import { variantResources } from "./variantRuns";

/** What a container is given that its server reads: its argv (entrypoint, then command), environment and files. */
interface Given {
    readonly argv: readonly string[];
    readonly env: Readonly<Record<string, string>>;
    readonly files: Readonly<Record<string, string>>;
}

function givenOf(container: RegisteredResource): Given {
    const plain = unwrapSecrets(container.inputs) as Record<string, unknown>;
    const list = (v: unknown) => (v as string[] | undefined) ?? [];
    const env = list(plain.envs).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]);
    const uploads = (plain.uploads as Array<{ file: string; content: string }> | undefined) ?? [];
    return {
        argv: [...list(plain.entrypoints), ...list(plain.command)],
        env: Object.fromEntries(env),
        files: Object.fromEntries(uploads.map((u) => [u.file, u.content])),
    };
}

/** One listening setting: where it was read, its port (text when it is not a port), and its host if it names one. */
interface Setting {
    readonly where: string;
    readonly port: number | string;
    readonly host?: string;
}

const asPort = (text: string): number | string => (/^\d{1,5}$/.test(text.trim()) ? Number(text.trim()) : text);
/** A setting read at `where` from a port's text. */
const at = (where: string) => (text: string) => ({ where, port: asPort(text) });

/** `[host]:port`, `host:port` or `:port` (Go's net.SplitHostPort forms), as a setting. */
function address(where: string, text: string): Setting {
    const m = /^(\[[^\]]*\]|[^:]*):(\d{1,5})$/.exec(text.trim());
    return m ? { where, port: Number(m[2]), host: m[1]! } : { where, port: text };
}

/** The values of a flag: `<dash><name>=v` and `<dash><name> v`, for each dash spelling given. */
function flagValues(argv: readonly string[], name: string, dashes: readonly string[]): string[] {
    const values: string[] = [];
    argv.forEach((arg, i) => {
        for (const d of dashes) {
            if (arg === `${d}${name}`) values.push(argv[i + 1] ?? "");
            else if (arg.startsWith(`${d}${name}=`)) values.push(arg.slice(d.length + name.length + 1));
        }
    });
    return values;
}

/** kingpin's argv: each `@file` replaced by the file's non-blank lines that are not comments. */
function kingpinArgv(g: Given): string[] {
    return g.argv.flatMap((arg) => {
        const file = arg.startsWith("@") ? g.files[arg.slice(1)] : undefined;
        return file === undefined ? [arg] : file.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
    });
}

const filesEnding = (g: Given, suffix: RegExp) => Object.entries(g.files).filter(([path]) => suffix.test(path));

/** The values of `key` in `[section]` of an INI text (`;` and `#` start comments). */
function iniValues(text: string, section: string, key: string): string[] {
    let current = "";
    const values: string[] = [];
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        const head = /^\[([^\]]+)\]$/.exec(line);
        if (head) current = head[1]!.trim();
        const kv = /^([^=;#]+?)\s*=\s*(.*)$/.exec(line);
        if (kv && current === section && kv[1] === key) values.push(kv[2]!.trim());
    }
    return values;
}

const kingpinWeb = (g: Given) =>
    flagValues(kingpinArgv(g), "web.listen-address", ["--"]).map((v) => address("--web.listen-address", v));

/** Settings from an environment variable holding a port, or an address. */
const envPort = (g: Given, name: string) => (name in g.env ? [at(name)(g.env[name]!)] : []);
const envAddress = (g: Given, name: string) => (name in g.env ? [address(name, g.env[name]!)] : []);

/** Caddy: the explicit port of each site address, `admin` and the HTTP(S) port options, CADDY_ADMIN. */
function caddyListens(g: Given): Setting[] {
    const found: Setting[] = envAddress(g, "CADDY_ADMIN");
    for (const [path, text] of filesEnding(g, /(^|\/)Caddyfile$/)) {
        let depth = 0;
        for (const raw of text.split("\n")) {
            const words = raw
                .replace(/(^|\s)#.*$/, "")
                .trim()
                .split(/\s+/)
                .filter(Boolean);
            if (depth === 0 && words.at(-1) === "{" && words.length > 1)
                for (const site of words.slice(0, -1).map((w) => w.replace(/,$/, ""))) {
                    const hostPort = site.replace(/^[a-z]+:\/\//, "").split("/")[0]!;
                    if (/:\d+$/.test(hostPort)) found.push(address(`${path} site ${site}`, hostPort));
                }
            if (depth === 1 && words[0] === "admin" && words[1] !== undefined && words[1] !== "off")
                found.push(address(`${path} admin`, words[1]));
            if (depth === 1 && /^https?_port$/.test(words[0] ?? ""))
                found.push(at(`${path} ${words[0]}`)(words[1] ?? ""));
            depth += words.filter((w) => w === "{").length - words.filter((w) => w === "}").length;
        }
    }
    return found;
}

/** Loki and Promtail: `server.http_listen_port` of each YAML file, and the flag. */
function dskitListens(g: Given): Setting[] {
    const flags = flagValues(g.argv, "server.http-listen-port", ["-", "--"]).map(at("-server.http-listen-port"));
    const files = filesEnding(g, /\.ya?ml$/).flatMap(([path, text]): Setting[] => {
        const port = (parseYaml(text) as { server?: { http_listen_port?: unknown } } | null)?.server?.http_listen_port;
        return port === undefined ? [] : [{ where: `${path} server.http_listen_port`, port: asPort(String(port)) }];
    });
    return [...flags, ...files];
}

function redisListens(g: Given): Setting[] {
    const files = filesEnding(g, /\.conf$/).flatMap(([path, text]) =>
        text
            .split("\n")
            .map((l) => /^\s*port\s+"?([^"\s]*)"?\s*$/i.exec(l)?.[1])
            .filter((v): v is string => v !== undefined)
            .map(at(`${path} port`)),
    );
    const argv = g.argv.flatMap((arg, i) => {
        const lower = arg.toLowerCase();
        if (lower === "--port") return [at("--port")(g.argv[i + 1] ?? "")];
        return lower.startsWith("--port ") ? [at("--port")(arg.slice(7))] : [];
    });
    return [...files, ...argv];
}

function postgresListens(g: Given): Setting[] {
    const short = (flag: string) =>
        g.argv.flatMap((arg, i) =>
            arg === flag ? [g.argv[i + 1] ?? ""] : arg.startsWith(flag) ? [arg.slice(flag.length)] : [],
        );
    const conf = filesEnding(g, /\.conf$/).flatMap(([path, text]) =>
        text.split("\n").flatMap((l) => {
            const v = /^\s*port\s*=?\s*'?(\w*)'?\s*(#.*)?$/.exec(l)?.[1];
            return v === undefined ? [] : [at(`${path} port`)(v)];
        }),
    );
    return [
        ...short("-p").map(at("-p")),
        ...short("-c")
            .filter((v) => v.startsWith("port="))
            .map((v) => at("-c port")(v.slice(5))),
        ...flagValues(g.argv, "port", ["--"]).map(at("--port")),
        ...envPort(g, "PGPORT"),
        ...conf,
    ];
}

/**
 * How each image's server sets the port it listens on, and the port it listens on when nothing sets it, by the
 * catalog's image names (see the header for the sources).
 */
const LISTENS: Readonly<Record<PublicImage | AppImageName, { read: (g: Given) => Setting[]; defaultPort?: number }>> = {
    postgres: { read: postgresListens, defaultPort: 5432 },
    pgbouncer: {
        read: (g) =>
            filesEnding(g, /\.ini$/).flatMap(([path, text]) =>
                iniValues(text, "pgbouncer", "listen_port").map(at(`${path} listen_port`)),
            ),
        defaultPort: 6432,
    },
    redis: { read: redisListens, defaultPort: 6379 },
    minio: {
        read: (g) => [
            ...flagValues(g.argv, "address", ["-", "--"]).map((v) => address("--address", v)),
            ...envAddress(g, "MINIO_ADDRESS"),
        ],
        defaultPort: 9000,
    },
    // Runs only jobs, which listen nowhere.
    mc: { read: () => [] },
    caddy: { read: caddyListens },
    prometheus: { read: kingpinWeb, defaultPort: 9090 },
    alertmanager: { read: kingpinWeb, defaultPort: 9093 },
    blackbox: { read: kingpinWeb, defaultPort: 9115 },
    nodeExporter: { read: kingpinWeb, defaultPort: 9100 },
    postgresExporter: { read: kingpinWeb, defaultPort: 9187 },
    pgbouncerExporter: { read: kingpinWeb, defaultPort: 9127 },
    redisExporter: {
        read: (g) => [
            ...flagValues(g.argv, "web.listen-address", ["-", "--"]).map((v) => address("-web.listen-address", v)),
            ...envAddress(g, "REDIS_EXPORTER_WEB_LISTEN_ADDRESS"),
        ],
        defaultPort: 9121,
    },
    loki: { read: dskitListens, defaultPort: 3100 },
    promtail: { read: dskitListens, defaultPort: 80 },
    grafana: {
        read: (g) => [
            ...filesEnding(g, /\.ini$/).flatMap(([path, text]) =>
                iniValues(text, "server", "http_port").map(at(`${path} http_port`)),
            ),
            ...envPort(g, "GF_SERVER_HTTP_PORT"),
            ...g.argv
                .filter((a) => a.startsWith("cfg:server.http_port="))
                .map((a) => at("cfg:server.http_port")(a.slice(21))),
        ],
        defaultPort: 3000,
    },
    uptimeKuma: {
        read: (g) => [
            ...flagValues(g.argv, "port", ["--"]).map(at("--port")),
            ...envPort(g, "UPTIME_KUMA_PORT"),
            ...envPort(g, "PORT"),
        ],
        defaultPort: 3001,
    },
    backend: { read: (g) => envPort(g, "PORT") },
    worker: { read: (g) => envPort(g, "METRICS_PORT") },
    frontend: { read: () => [], defaultPort: 8080 },
};

/** Settings that name another port on purpose. */
const OTHER_LISTENERS: ReadonlyArray<{ service: string; where: RegExp; port: number; host?: string; why: string }> = [
    {
        service: "caddy",
        where: /^\/etc\/caddy\/Caddyfile admin$/,
        port: 2019,
        host: "localhost",
        why: "Caddy's admin API, which it serves unless turned off, kept on the container's loopback address",
    },
    ...[80, 443].map((port) => ({
        service: "caddy",
        where: /^\/etc\/caddy\/Caddyfile (site |https?_port)/,
        port,
        why: "the edge's public ports (design.md, 'Only 80 and 443 are public'); its spec's port serves /metrics",
    })),
];

const imageOf = (spec: ServiceSpec) => ("public" in spec.image ? spec.image.public : spec.image.app);

/** How what a container is given would make its server listen elsewhere than its spec's port. */
function portProblems(spec: ServiceSpec, g: Given): string[] {
    if (spec.port === undefined) return [];
    const listens = LISTENS[imageOf(spec)];
    const found = listens.read(g);
    const meant = (s: Setting, o: (typeof OTHER_LISTENERS)[number]) =>
        o.service === spec.name && o.where.test(s.where) && o.port === s.port && (!o.host || o.host === s.host);
    const expected = (s: Setting) => OTHER_LISTENERS.some((o) => meant(s, o));
    const problems = found
        .filter((s) => s.port !== spec.port && !expected(s))
        .map((s) => `${spec.name}: ${s.where} sets ${JSON.stringify(s.port)}, expected ${spec.port}`);
    const own = found.filter((s) => s.port === spec.port);
    if (own.length === 0 && listens.defaultPort !== spec.port)
        problems.push(`${spec.name}: nothing sets ${spec.port}, and its server's default is ${listens.defaultPort}`);
    return problems;
}

const WEB_9128 = "--web.listen-address=:9128";
const PROMTAIL_YML = "/etc/promtail/promtail.yml";

const specOf = (c: RegisteredResource) => (SERVICES as Record<string, ServiceSpec>)[c.name]!;

describe("service catalog: every server listens on its spec's port (rung 1: mocks; the second attack pass)", function () {
    this.timeout(120_000);
    const runs = new Map<string, RegisteredResource[]>();
    before(async () => {
        for (const variant of Object.keys(URN_VARIANTS)) runs.set(variant, containers(await variantResources(variant)));
    });

    for (const variant of Object.keys(URN_VARIANTS))
        it(`${variant}: no container is given a listening port other than its spec's, nor left on another default`, () => {
            expect(runs.get(variant)!.flatMap((c) => portProblems(specOf(c), givenOf(c)))).to.deep.equal([]);
        });

    it("reads the settings each server is given today (so a reader that stops finding them fails here)", () => {
        const found = new Set(
            [...runs.values()]
                .flat()
                .filter((c) => specOf(c).port !== undefined)
                .flatMap((c) =>
                    LISTENS[imageOf(specOf(c))].read(givenOf(c)).map((s) => `${c.name}: ${s.where} ${s.port}`),
                ),
        );
        expect([...found].sort()).to.deep.equal([
            "backend: PORT 3000",
            "caddy: /etc/caddy/Caddyfile admin 2019",
            "caddy: /etc/caddy/Caddyfile site http://:9180 9180",
            "loki: /etc/loki/loki.yml server.http_listen_port 3100",
            "pgbouncer: /etc/pgbouncer/pgbouncer.ini listen_port 6432",
            "promtail: /etc/promtail/promtail.yml server.http_listen_port 9080",
            "worker: METRICS_PORT 9464",
        ]);
    });

    /** Each attack: a change a contributor could make to what a container is given, which must be refused. */
    const ATTACKS: ReadonlyArray<[service: string, what: string, change: (g: Given) => Given]> = [
        ["redis", "--port 6380 in its command (the attack)", args("--port", "6380")],
        ["redis", "one argument `--port 6380`", args("--port 6380")],
        ["redis", "`PORT 6380` in redis.conf", append("/usr/local/etc/redis/redis.conf", "PORT 6380")],
        ["postgres", "-p 5433", args("-p", "5433")],
        ["postgres", "-c port=5433", args("-c", "port=5433")],
        ["postgres", "--port=5433", args("--port=5433")],
        ["postgres", "PGPORT=5433", env("PGPORT", "5433")],
        ["pgbouncer", "listen_port = 6433", edit("/etc/pgbouncer/pgbouncer.ini", /6432$/m, "6433")],
        ["minio", "--address :9001", args("--address", ":9001")],
        ["caddy", "its metrics site on :9181", edit("/etc/caddy/Caddyfile", "http://:9180", "http://:9181")],
        ["caddy", "its admin API on every address", edit("/etc/caddy/Caddyfile", "localhost:2019", ":2019")],
        ["prometheus", "--web.listen-address=:9091", args("--web.listen-address=:9091")],
        ["alertmanager", "--web.listen-address :9094", args("--web.listen-address", ":9094")],
        ["pgbouncer-exporter", "an address in its @file", append("/run/secrets/pgbouncer_exporter.args", WEB_9128)],
        ["redis-exporter", "REDIS_EXPORTER_WEB_LISTEN_ADDRESS", env("REDIS_EXPORTER_WEB_LISTEN_ADDRESS", ":9122")],
        ["loki", "http_listen_port: 3101", edit("/etc/loki/loki.yml", "port: 3100", "port: 3101")],
        ["promtail", "no http_listen_port (dskit's is 80)", edit(PROMTAIL_YML, /^ *http_listen_port: 9080\n/m, "")],
        ["grafana", "GF_SERVER_HTTP_PORT=3001", env("GF_SERVER_HTTP_PORT", "3001")],
        ["grafana", "cfg:server.http_port=3001", args("cfg:server.http_port=3001")],
        ["uptime-kuma", "UPTIME_KUMA_PORT=3002", env("UPTIME_KUMA_PORT", "3002")],
        ["backend", "PORT=3001", env("PORT", "3001")],
        ["worker", "METRICS_PORT=9465", env("METRICS_PORT", "9465")],
    ];
    for (const [service, what, change] of ATTACKS)
        it(`refuses ${service} given ${what}`, () => {
            const container = runs.get("dev")!.find((c) => c.name === service)!;
            const given = givenOf(container);
            expect(portProblems(specOf(container), given), "today").to.deep.equal([]);
            expect(portProblems(specOf(container), change(given))).to.have.length.greaterThan(0);
        });
});

/** Changes to what a container is given: arguments after its command, an environment variable, a file's text. */
function args(...more: string[]) {
    return (g: Given): Given => ({ ...g, argv: [...g.argv, ...more] });
}

function env(name: string, value: string) {
    return (g: Given): Given => ({ ...g, env: { ...g.env, [name]: value } });
}

function append(path: string, line: string) {
    return (g: Given): Given => {
        expect(g.files, `${path} is uploaded`).to.have.property(path);
        return { ...g, files: { ...g.files, [path]: `${g.files[path]}\n${line}\n` } };
    };
}

function edit(path: string, from: string | RegExp, to: string) {
    return (g: Given): Given => {
        const text = g.files[path]!;
        const next = text.replace(from, to);
        expect(next, `${path} holds ${String(from)}`).to.not.equal(text);
        return { ...g, files: { ...g.files, [path]: next } };
    };
}
