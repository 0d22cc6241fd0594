import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PUBLIC_IMAGES } from "../images";
import { Service, ServiceFile } from "../service";
import { BACKEND_PORT, FRONTEND_PORT } from "../services/appEnv";
import type { AppTier } from "../services/appTier";
import { ServiceContext } from "../services/context";
import { CADDY_METRICS_PORT, CaddySite, renderCaddyfile } from "./caddyfile";
import { InternalCa } from "./internalCa";
import { PORTS } from "../monitoring/ports";
import { publicNames, SUBDOMAINS } from "../names";
import { edgeHasIpv6 } from "../platform/networks";

const CERT_FILE = "/etc/caddy/certs/server.crt";
const KEY_FILE = "/etc/caddy/certs/server.key";
/** Where Bull Board is served by the backend (docs/app-contract.md). */
export const QUEUES_PATH = "/admin/queues";
export const ADMIN_USER = "admin";

export interface EdgeArgs {
    readonly ctx: ServiceContext;
    readonly app: AppTier;
}


/** Grafana, the status page, and Prometheus and Alertmanager behind basic auth, each on its own subdomain. */
export function monitoringSites(domain: string, adminHash: string): CaddySite[] {
    return [
        { address: `${SUBDOMAINS.grafana}.${domain}`, routes: [{ upstreams: [`grafana:${PORTS.grafana}`], healthUri: "/api/health" }] },
        { address: `${SUBDOMAINS.status}.${domain}`, routes: [{ upstreams: [`uptime-kuma:${PORTS.uptimeKuma}`] }] },
        {
            address: `${SUBDOMAINS.prometheus}.${domain}`,
            routes: [{ upstreams: [`prometheus:${PORTS.prometheus}`], healthUri: "/-/healthy", basicAuth: { user: ADMIN_USER, bcryptHash: adminHash } }],
        },
        {
            address: `${SUBDOMAINS.alertmanager}.${domain}`,
            routes: [{ upstreams: [`alertmanager:${PORTS.alertmanager}`], healthUri: "/-/healthy", basicAuth: { user: ADMIN_USER, bcryptHash: adminHash } }],
        },
    ];
}

/** The application's site, by network alias. */
export function appSites(domain: string, app: AppTier, adminHash: string): CaddySite[] {
    return [
        {
            address: domain,
            routes: [
                { upstreams: [`${app.frontend.alias}:${FRONTEND_PORT}`], healthUri: "/health" },
                { path: "/api/*", upstreams: [`${app.backend.alias}:${BACKEND_PORT}`], healthUri: "/health/ready" },
                { path: `${QUEUES_PATH}*`, upstreams: [`${app.backend.alias}:${BACKEND_PORT}`], basicAuth: { user: ADMIN_USER, bcryptHash: adminHash } },
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
        const { ctx, app } = args;
        const { cfg } = ctx;

        const password = new random.RandomPassword(`${name}-admin-password`, { length: 24, special: false }, { parent: this });
        this.adminPassword = pulumi.secret(password.result);

        const files: ServiceFile[] = [];
        if (cfg.tlsMode === "internal") {
            this.internalCa = new InternalCa(`${name}-ca`, { domain: cfg.domain, organization: `FreshTrack ${cfg.stack}` }, { parent: this });
            files.push({ path: CERT_FILE, content: this.internalCa.certPem }, { path: KEY_FILE, content: this.internalCa.keyPem, secret: true });
        }
        const caddyfile = password.bcryptHash.apply((hash) =>
            renderCaddyfile({
                email: cfg.adminEmail,
                tlsMode: cfg.tlsMode,
                sites: [...appSites(cfg.domain, app, hash), ...monitoringSites(cfg.domain, hash)],
                ...(cfg.tlsMode === "internal" ? { internalTls: { certFile: CERT_FILE, keyFile: KEY_FILE } } : {}),
            }),
        );
        // Holds a bcrypt hash of the admin password: not the password, but kept secret all the same.
        files.unshift({ path: "/etc/caddy/Caddyfile", content: caddyfile, secret: true });

        this.caddy = new Service(
            "caddy",
            {
                kind: "stateful",
                statefulReason: "it binds the host's ports 80 and 443, which two containers cannot share",
                host: ctx.host,
                namePrefix: cfg.namePrefix,
                image: PUBLIC_IMAGES.caddy,
                limits: cfg.resources.caddy,
                files,
                healthcheck: { test: ["CMD", "wget", "-q", "--spider", `http://127.0.0.1:${CADDY_METRICS_PORT}/metrics`] },
                // On edge it also answers to the public names, so probes and in-stack clients take the users' path.
                networks: [{ network: ctx.networks.edge, extraAliases: publicNames(cfg.domain) }, { network: ctx.networks.monitoring }],
                // A laptop's stack is for the laptop: published on loopback only.
                // IPv6 clients (the droplet publishes AAAA records) reach Caddy only through a `::` binding, and with the
                // bootstrap's userland-proxy false only when the edge network gives Caddy an IPv6 address (networks.ts).
                ports: [80, 443].map((port) => ({ internal: port, external: port, public: cfg.target !== "local", ipv6: edgeHasIpv6(cfg.target) })),
                volumes: [{ volume: ctx.volumes.volume("caddy-data"), containerPath: "/data" }],
                capabilities: ["NET_BIND_SERVICE"],
            },
            { parent: this },
        );
        const base = `https://${cfg.domain}`;
        this.urls = {
            dashboard: base,
            api: `${base}/api`,
            queues: `${base}${QUEUES_PATH}`,
            grafana: `https://${SUBDOMAINS.grafana}.${cfg.domain}`,
            status: `https://${SUBDOMAINS.status}.${cfg.domain}`,
            prometheus: `https://${SUBDOMAINS.prometheus}.${cfg.domain}`,
            alertmanager: `https://${SUBDOMAINS.alertmanager}.${cfg.domain}`,
        };
        this.registerOutputs({ urls: this.urls });
    }
}
