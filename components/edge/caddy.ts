import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { STATUS_SLUG, type StackConfig, type TlsMode } from "../config";
import { Service, ServiceFile } from "../service";
import type { TierPlatform } from "../services/context";
import { CADDY_METRICS_PORT, CaddySite, renderCaddyfile } from "./caddyfile";
import { InternalCa } from "./internalCa";
import { publicNames, SUBDOMAINS } from "../names";
import { ENDPOINTS, SERVICES, imageOf } from "../catalog";

const CERT_FILE = "/etc/caddy/certs/server.crt";
const KEY_FILE = "/etc/caddy/certs/server.key";
/** Where Bull Board is served by the backend (docs/app-contract.md). */
export const QUEUES_PATH = "/admin/queues";
export const ADMIN_USER = "admin";

/**
 * What Caddy uses of the platform: edge, where it publishes 80 and 443 and proxies to the application; admin and
 * status, where it serves the monitoring sites; its certificates' volume. No generated credential: the admin
 * password of its basic-auth routes is its own.
 */
export const EDGE_PLATFORM = { networks: ["edge", "admin", "status"], volumes: ["caddy-data"], secrets: [] } as const;

/** The edge's part of the platform (EDGE_PLATFORM). */
export type EdgePlatform = TierPlatform<
    (typeof EDGE_PLATFORM.networks)[number],
    (typeof EDGE_PLATFORM.volumes)[number],
    never
>;

export interface EdgeArgs extends EdgePlatform {
    /** The application's name; the monitoring sites are its subdomains (freshtrack:domain). */
    readonly domain: string;
    /** The ACME account's contact, told of certificate problems (freshtrack:adminEmail). */
    readonly adminEmail: string;
    /** Certificates from Let's Encrypt (production or staging), or from the stack's own CA (freshtrack:tlsMode). */
    readonly tlsMode: TlsMode;
    /** The stack's name, in the organization of its own CA (`FreshTrack <stack>`), which browsers show. */
    readonly stack: string;
    /** Caddy's memory and CPU limits (freshtrack:resources). */
    readonly limits: Readonly<Pick<StackConfig["resources"], "caddy">>;
    /**
     * Publish 80 and 443 on every interface. False for a stack on the operator's own machine (target `local`), whose
     * ports bind to 127.0.0.1 only.
     */
    readonly publicPorts: boolean;
    /**
     * The edge network gives Caddy an IPv6 address (components/platform/networks.ts, edgeHasIpv6), so 80 and 443 are
     * published on `::` as well.
     */
    readonly edgeIpv6: boolean;
    /**
     * Uptime Kuma status page slugs served without the admin gate (freshtrack:monitoring.publicStatusPages). @default
     * none: all of status.<domain> is gated.
     */
    readonly publicStatusPages?: readonly string[];
}

export { STATUS_SLUG };

/**
 * The read-only paths one published Uptime Kuma status page needs, and nothing else (louislam/uptime-kuma@1.23.15):
 * - `/status/<slug>`: the page, rendered on the server with its data (server/routers/status-page-router.js:16-19,
 *   server/model/status_page.js:39-86). `/status` and `/status-page` (router :21-30) serve the slug `default` only,
 *   so they stay behind the gate unless that slug is published.
 * - `/api/status-page/<slug>` and `/api/status-page/heartbeat/<slug>`: what the page fetches over plain HTTP
 *   (src/pages/StatusPage.vue:741,758; router :32-61, :63-107); `/api/status-page/<slug>/manifest.json`, which the
 *   rendered page links (status_page.js:82-83; router :110-142).
 * - the frontend bundle, `/assets/*` plus the icons, served from `dist` (server/server.js:248-250), and
 *   `/upload/logo*`, where the page's logo is stored (status-page-socket-handler.js:143-147; server.js:253). No
 *   socket.io: the frontend does not open it on `/status*` (src/mixins/socket.js:12-16,83-90), and logging in, `setup`
 *   and every admin action go over it (server/server.js:277, login :341, setup :608), so `/socket.io/*` stays behind
 *   the gate, with `/setup`, `/dashboard`, `/metrics` and the rest.
 */
export function statusPagePublicPaths(slugs: readonly string[]): string[] {
    const bad = slugs.find((s) => !STATUS_SLUG.test(s));
    if (bad !== undefined)
        throw new Error(`a status page slug is letters, digits and single hyphens: ${JSON.stringify(bad)}`);
    if (slugs.length === 0) return [];
    return [
        ...slugs.flatMap((s) => [
            `/status/${s}`,
            `/api/status-page/${s}`,
            `/api/status-page/heartbeat/${s}`,
            `/api/status-page/${s}/manifest.json`,
        ]),
        ...(slugs.includes("default") ? ["/status", "/status-page"] : []),
        "/assets/*",
        "/icon.svg",
        "/favicon.ico",
        "/upload/logo*",
    ];
}

/**
 * The status subdomain: Uptime Kuma makes whoever first calls `setup` its admin (louislam/uptime-kuma@1.23.15
 * server/server.js:608-623, on any socket while the user table is empty, :1780-1784), so everything is behind the
 * stack's admin basic auth, the gate docs/operations.md tells the operator to create Uptime Kuma's own admin behind.
 * Only the paths of the published status pages pass without it, and the root sends visitors to the first of them.
 */
export function statusSite(domain: string, adminHash: string, publicSlugs: readonly string[] = []): CaddySite {
    const upstreams = [ENDPOINTS["uptime-kuma"].address];
    return {
        address: `${SUBDOMAINS.status}.${domain}`,
        routes: [
            ...(publicSlugs.length > 0 ? [{ path: "/", upstreams: [], redirect: `/status/${publicSlugs[0]}` }] : []),
            ...statusPagePublicPaths(publicSlugs).map((path) => ({ path, upstreams })),
            { upstreams, basicAuth: { user: ADMIN_USER, bcryptHash: adminHash } },
        ],
    };
}

/** Grafana, the status page, and Prometheus and Alertmanager behind basic auth, each on its own subdomain. */
export function monitoringSites(
    domain: string,
    adminHash: string,
    publicStatusPages: readonly string[] = [],
): CaddySite[] {
    return [
        {
            address: `${SUBDOMAINS.grafana}.${domain}`,
            routes: [{ upstreams: [ENDPOINTS.grafana.address], healthUri: "/api/health" }],
        },
        statusSite(domain, adminHash, publicStatusPages),
        {
            address: `${SUBDOMAINS.prometheus}.${domain}`,
            routes: [
                {
                    upstreams: [ENDPOINTS.prometheus.address],
                    healthUri: "/-/healthy",
                    basicAuth: { user: ADMIN_USER, bcryptHash: adminHash },
                },
            ],
        },
        {
            address: `${SUBDOMAINS.alertmanager}.${domain}`,
            routes: [
                {
                    upstreams: [ENDPOINTS.alertmanager.address],
                    healthUri: "/-/healthy",
                    basicAuth: { user: ADMIN_USER, bcryptHash: adminHash },
                },
            ],
        },
    ];
}

/** The application's site, by network alias. */
export function appSites(domain: string, adminHash: string): CaddySite[] {
    return [
        {
            address: domain,
            routes: [
                { upstreams: [ENDPOINTS.frontend.address], healthUri: "/health" },
                { path: "/api/*", upstreams: [ENDPOINTS.backend.address], healthUri: "/health/ready" },
                {
                    path: `${QUEUES_PATH}*`,
                    upstreams: [ENDPOINTS.backend.address],
                    basicAuth: { user: ADMIN_USER, bcryptHash: adminHash },
                },
            ],
        },
    ];
}

/**
 * Caddy, the one door: 80 and 443, TLS by ACME or by the stack's own CA, and
 * routes to the application by network alias with retries and active health
 * checks, so a container replaced behind it costs no failed request.
 */
export class Edge extends pulumi.ComponentResource {
    readonly caddy: Service;
    readonly internalCa?: InternalCa;
    /** Password of the `admin` user for the basic-auth routes (secret). */
    readonly adminPassword: pulumi.Output<string>;
    readonly urls: {
        readonly dashboard: string;
        readonly api: string;
        readonly queues: string;
        readonly grafana: string;
        readonly status: string;
        readonly prometheus: string;
        readonly alertmanager: string;
    };

    constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:edge:Edge", name, {}, opts);
        const password = new random.RandomPassword(
            `${name}-admin-password`,
            { length: 24, special: false },
            { parent: this },
        );
        this.adminPassword = pulumi.secret(password.result);

        const files: ServiceFile[] = [];
        if (args.tlsMode === "internal") {
            this.internalCa = new InternalCa(
                `${name}-ca`,
                { domain: args.domain, organization: `FreshTrack ${args.stack}` },
                { parent: this },
            );
            files.push(
                { path: CERT_FILE, content: this.internalCa.certPem },
                { path: KEY_FILE, content: this.internalCa.keyPem, secret: true },
            );
        }
        const caddyfile = password.bcryptHash.apply((hash) =>
            renderCaddyfile({
                email: args.adminEmail,
                tlsMode: args.tlsMode,
                sites: [
                    ...appSites(args.domain, hash),
                    ...monitoringSites(args.domain, hash, args.publicStatusPages ?? []),
                ],
                ...(args.tlsMode === "internal" ? { internalTls: { certFile: CERT_FILE, keyFile: KEY_FILE } } : {}),
            }),
        );
        // Holds a bcrypt hash of the admin password: not the password, but kept secret all the same.
        files.unshift({ path: "/etc/caddy/Caddyfile", content: caddyfile, secret: true });

        this.caddy = new Service(
            "caddy",
            {
                kind: "stateful",
                statefulReason: "it binds the host's ports 80 and 443, which two containers cannot share",
                daemon: args.daemon,
                namePrefix: args.namePrefix,
                image: imageOf("caddy"),
                limits: args.limits.caddy,
                files,
                healthcheck: {
                    test: ["CMD", "wget", "-q", "--spider", `http://127.0.0.1:${CADDY_METRICS_PORT}/metrics`],
                },
                // On edge it also answers to the public names, so probes and in-stack clients take the users' path.
                // admin: Prometheus, Alertmanager and Grafana, which it serves behind basic auth, and where Prometheus
                // scrapes it; they are on no network the app joins (components/platform/networks.ts). status: Uptime
                // Kuma's own network; Caddy answers there to the public names too, so its checks of the stack's sites
                // take the users' path (and their gates) instead of reaching services directly.
                networks: [
                    { network: args.networks.edge, extraAliases: publicNames(args.domain) },
                    { network: args.networks.admin },
                    { network: args.networks.status, extraAliases: publicNames(args.domain) },
                ],
                // A laptop's stack is for the laptop: published on loopback only. IPv6 clients (the droplet publishes
                // AAAA records) reach Caddy only through a `::` binding, and with the bootstrap's userland-proxy false
                // only when the edge network gives Caddy an IPv6 address (networks.ts).
                ports: [80, 443].map((port) => ({
                    internal: port,
                    external: port,
                    public: args.publicPorts,
                    ipv6: args.edgeIpv6,
                })),
                volumes: [{ volume: args.volumes["caddy-data"], containerPath: "/data" }],
                // Not for the ports: Docker sets net.ipv4.ip_unprivileged_port_start=0 in every container with its own
                // network namespace (moby v27.5.1 daemon/oci_linux.go:786-789). But the image's caddy binary carries
                // the file capability cap_net_bind_service=+ep, and the kernel refuses to exec a binary whose file
                // capabilities are not all in the bounding set (components/imageContracts/, caddy's execNeeds), so
                // the capability stays.
                capabilities: SERVICES.caddy.capabilities,
                // The image runs as root and /data/caddy has no other owner (components/imageContracts/).
                rootReason:
                    "its certificates and ACME account sit in a volume that earlier releases wrote as root; it holds NET_BIND_SERVICE only",
            },
            { parent: this },
        );
        const { domain } = args;
        const base = `https://${domain}`;
        this.urls = {
            dashboard: base,
            api: `${base}/api`,
            queues: `${base}${QUEUES_PATH}`,
            grafana: `https://${SUBDOMAINS.grafana}.${domain}`,
            status: `https://${SUBDOMAINS.status}.${domain}`,
            prometheus: `https://${SUBDOMAINS.prometheus}.${domain}`,
            alertmanager: `https://${SUBDOMAINS.alertmanager}.${domain}`,
        };
        this.registerOutputs({ urls: this.urls });
    }
}
