/**
 * No admin interface through Caddy without authentication (issue 15, finding 1). The pack sees the
 * Caddyfile as the caddy container's upload (components/service.ts uploads; components/edge/caddy.ts
 * writes /etc/caddy/Caddyfile), so the rule reads the rendered text: every site of an admin subdomain
 * proxies only behind `basicauth`, except paths on an allowlist of read-only public pages, and on every
 * other site a route under an admin path carries `basicauth` too.
 */
import { containerPolicy } from "../lib";

/** A `{ ... }` block of the Caddyfile: the line that opens it (without the brace) and its lines inside. */
interface Block {
    readonly head: string;
    readonly body: readonly string[];
}

/**
 * The blocks at one nesting depth of Caddyfile text, by counting braces at line ends, as the renderer writes
 * them (components/edge/caddyfile.ts). Quoted tokens never hold braces there: caddyQuoted refuses them.
 */
export function caddyBlocks(lines: readonly string[]): Block[] {
    const blocks: Block[] = [];
    let depth = 0;
    let head = "";
    let body: string[] = [];
    for (const raw of lines) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) {
            if (depth > 0) body.push(line);
            continue;
        }
        const opens = line.endsWith("{") ? 1 : 0;
        const closes = line === "}" ? 1 : 0;
        if (depth === 0 && opens) {
            head = line.slice(0, -1).trim();
            body = [];
        } else if (depth > 0 && !(depth === 1 && closes)) {
            body.push(line);
        }
        depth += opens - closes;
        if (depth === 0 && closes) blocks.push({ head, body });
    }
    return blocks;
}

/** The lines of a block's body at its own depth, nested blocks reduced to their opening lines. */
function topLevel(lines: readonly string[]): string[] {
    const out: string[] = [];
    let depth = 0;
    for (const line of lines) {
        if (depth === 0 && line !== "}") out.push(line);
        depth += (line.endsWith("{") ? 1 : 0) - (line === "}" ? 1 : 0);
    }
    return out;
}

/** The host a site address names, without scheme and port. */
function siteHost(address: string): string {
    return address
        .replace(/^[a-z]+:\/\//i, "")
        .replace(/:\d+$/, "")
        .toLowerCase();
}

const hasAuth = (lines: readonly string[]) => lines.some((l) => /^(basicauth|basic_auth)\b/.test(l));
const proxies = (lines: readonly string[]) => lines.some((l) => /^reverse_proxy\b/.test(l));

/**
 * The read-only pages of an Uptime Kuma status page, and what it loads (louislam/uptime-kuma@1.23.15
 * server/routers/status-page-router.js:16-142, server/server.js:248-253; components/edge/caddy.ts
 * statusPagePublicPaths cites each). Not socket.io, /setup, /dashboard, /metrics or /api/* beyond these.
 */
export const STATUS_PAGE_PUBLIC_PATHS = [
    "^/status/[A-Za-z0-9]+(-[A-Za-z0-9]+)*$",
    "^/api/status-page/(heartbeat/)?[A-Za-z0-9]+(-[A-Za-z0-9]+)*$",
    "^/api/status-page/[A-Za-z0-9]+(-[A-Za-z0-9]+)*/manifest\\.json$",
    "^/status$",
    "^/status-page$",
    "^/assets/\\*$",
    "^/icon\\.svg$",
    "^/favicon\\.ico$",
    "^/upload/logo\\*$",
];

/** Whether a handle path (`/admin/queues*`, `/admin*`) reaches under one of the admin path prefixes. */
function coversAdminPath(path: string, adminPaths: readonly string[]): boolean {
    const prefix = path.replace(/\*.*$/, "");
    if (prefix === "" || prefix === "/") return false; // a site's fallback: judged by the subdomain, not by path
    return adminPaths.some((a) => prefix.startsWith(a) || a.startsWith(prefix));
}

export interface AdminRouteOptions {
    readonly adminSubdomains: readonly string[];
    readonly adminPaths: readonly string[];
    readonly publicPaths: readonly string[];
}

/** What is wrong with the Caddyfile's routes to admin interfaces: one line per route, empty when all are gated. */
export function unauthenticatedAdminRoutes(caddyfile: string, opts: AdminRouteOptions): string[] {
    const problems: string[] = [];
    const publicPath = opts.publicPaths.map((p) => new RegExp(p));
    for (const site of caddyBlocks(caddyfile.split("\n"))) {
        if (site.head === "") continue; // the global options block
        const host = siteHost(site.head.split(/\s+/)[0]!);
        const adminSite = opts.adminSubdomains.some((sub) => host.startsWith(`${sub.toLowerCase()}.`));
        const own = topLevel(site.body);
        const siteAuth = hasAuth(own);
        const handles = caddyBlocks(site.body).filter((b) => /^handle(_path)?(\s|$)/.test(b.head));
        // A reverse_proxy outside any handle block serves every path of the site.
        if (adminSite && proxies(own) && !siteAuth) problems.push(`${host}: proxies every path without basicauth`);
        for (const h of handles) {
            const path = h.head.split(/\s+/)[1] ?? "";
            if (siteAuth || hasAuth(topLevel(h.body)) || !proxies(h.body)) continue;
            if (adminSite && !publicPath.some((re) => re.test(path))) {
                problems.push(
                    `${host}: ${path === "" ? "every other path" : path} reaches an admin interface without basicauth`,
                );
            } else if (!adminSite && coversAdminPath(path, opts.adminPaths)) {
                problems.push(`${host}: admin path ${path} without basicauth`);
            }
        }
    }
    return problems;
}

export const caddyAdminRoutesAuthenticated = containerPolicy({
    name: "caddy-admin-routes-authenticated",
    description:
        "Caddy routes to an admin interface only behind basic auth: every path of an admin subdomain (status, prometheus, alertmanager) except the read-only public status page paths, and admin paths (Bull Board) on every other site. Fix: give the route basicAuth in components/edge/caddy.ts.",
    enforcementLevel: "mandatory",
    config: {
        caddyfile: {
            type: "string",
            default: "/etc/caddy/Caddyfile",
            description: "Path of the Caddyfile among a container's uploads.",
        },
        adminSubdomains: {
            type: "array",
            items: { type: "string" },
            // Grafana is not here: it has its own login with anonymous access off
            // (components/monitoring/monitoringTier.ts).
            default: ["status", "prometheus", "alertmanager"],
            description: "Subdomains whose every path is an admin interface (first label of the site's host).",
        },
        adminPaths: {
            type: "array",
            items: { type: "string" },
            default: ["/admin/"],
            description: "Path prefixes that are admin interfaces on any site.",
        },
        publicPaths: {
            type: "array",
            items: { type: "string" },
            default: STATUS_PAGE_PUBLIC_PATHS,
            description: "Regular expressions of handle paths an admin subdomain may serve without auth.",
        },
    },
    check: (
        container,
        report,
        config: { caddyfile: string; adminSubdomains: string[]; adminPaths: string[]; publicPaths: string[] },
    ) => {
        const file = (container.uploads ?? []).find((u) => u.file === config.caddyfile);
        if (file === undefined || typeof file.content !== "string") return;
        const opts: AdminRouteOptions = {
            adminSubdomains: config.adminSubdomains,
            adminPaths: config.adminPaths,
            publicPaths: config.publicPaths,
        };
        for (const problem of unauthenticatedAdminRoutes(file.content, opts)) report(`${problem}.`);
    },
});
