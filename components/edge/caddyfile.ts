/**
 * The Caddyfile, rendered from plain options. Pure, so tests can feed the
 * output to the real `caddy validate` and run it in front of test servers.
 */
import type { TlsMode } from "../config";
import { SERVICES } from "../catalog";

/** Let's Encrypt's staging directory (letsencrypt.org/docs/staging-environment). */
export const LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";

export interface CaddyRoute {
    /** Request path matcher such as `/api/*`; the route without one is the site's fallback. */
    readonly path?: string;
    /** Upstream `host:port`s, normally one network alias. */
    readonly upstreams: readonly string[];
    /** Active health check path on the upstream. */
    readonly healthUri?: string;
    /** Basic auth in front of the route: user and bcrypt hash. */
    readonly basicAuth?: { readonly user: string; readonly bcryptHash: string };
    /** Answer with a temporary redirect to this path instead of proxying (then `upstreams` is empty). */
    readonly redirect?: string;
}

export interface CaddySite {
    /** Site address: a host name (automatic HTTPS) or `http://host:port`. */
    readonly address: string;
    readonly routes: readonly CaddyRoute[];
}

export interface CaddyfileOptions {
    readonly email: string;
    readonly tlsMode: TlsMode;
    readonly sites: readonly CaddySite[];
    /** Certificate and key files for `internal` mode. */
    readonly internalTls?: { readonly certFile: string; readonly keyFile: string };
    /** Admin API address; keep it inside the container. @default localhost:2019 */
    readonly adminAddress?: string;
    /** Port of the plain-HTTP metrics listener Prometheus scrapes on the Docker network. @default 9180 */
    readonly metricsPort?: number;
    /** Only for tests that serve plain HTTP: no certificates, no redirects. @default true */
    readonly autoHttps?: boolean;
}

export const CADDY_METRICS_PORT = SERVICES.caddy.port;

/** How long a request may wait for a healthy upstream, e.g. while a new container replaces an old one. */
const TRY_DURATION = "30s";

function indent(lines: string[], depth = 1): string[] {
    return lines.map((l) => (l.length ? `${"    ".repeat(depth)}${l}` : l));
}

function reverseProxy(route: CaddyRoute): string[] {
    const options = [
        // Retry dial failures on another (or the same, re-resolved) upstream instead of answering 502.
        `lb_try_duration ${TRY_DURATION}`,
        "lb_try_interval 250ms",
        ...(route.healthUri
            ? [`health_uri ${route.healthUri}`, "health_interval 2s", "health_timeout 2s", "health_status 2xx"]
            : []),
    ];
    return [`reverse_proxy ${route.upstreams.join(" ")} {`, ...indent(options), "}"];
}

function routeBlock(route: CaddyRoute): string[] {
    const body = [
        ...(route.basicAuth
            ? ["basicauth {", ...indent([`${route.basicAuth.user} ${route.basicAuth.bcryptHash}`]), "}"]
            : []),
        // `*` first: a path as the first argument of redir is read as its matcher, not its target (tried with caddy
        // 2.6.2).
        ...(route.redirect !== undefined ? [`redir * ${caddyQuoted(route.redirect)} 302`] : reverseProxy(route)),
    ];
    return [route.path ? `handle ${route.path} {` : "handle {", ...indent(body), "}"];
}

/**
 * One Caddyfile token in double quotes, so a space, a leading `#` (a comment), a leading backquote or `<<` (a heredoc)
 * stay text. Inside double quotes only `\"` is an escape (caddy@v2.8.4 caddyconfig/caddyfile/lexer.go:206-233; the same
 * in v2.6.2, lexer.go:100-124). Quoting cannot protect `{$VAR}`: Caddy replaces it in the raw bytes before it reads a
 * token (caddy@v2.8.4 caddyconfig/caddyfile/parse.go:63-110, the span `{$` ... `}` at parse.go:742; v2.6.2
 * parse.go:63-118), and the ACME issuer expands `{env.VAR}` in the email when it starts
 * (modules/caddytls/acmeissuer.go:120-128). Braces, `$`, backslashes and control characters are therefore refused here,
 * not escaped; the config refuses them first (components/validation/names.ts, checkEmail).
 */
export function caddyQuoted(value: string): string {
    const refused = [...value].find((ch) => ch < "\x20" || ch === "\x7f" || "{}$\\".includes(ch));
    if (refused !== undefined)
        throw new Error(`a Caddyfile value may not contain ${JSON.stringify(refused)}: ${JSON.stringify(value)}`);
    return `"${value.replaceAll('"', '\\"')}"`;
}

export function renderCaddyfile(opts: CaddyfileOptions): string {
    const autoHttps = opts.autoHttps ?? true;
    const acme = opts.tlsMode !== "internal";
    const global = [
        `email ${caddyQuoted(opts.email)}`,
        ...(opts.tlsMode === "acme-staging" ? [`acme_ca ${LETS_ENCRYPT_STAGING}`] : []),
        `admin ${opts.adminAddress ?? "localhost:2019"}`,
        // Caddy 2.8 counts HTTP requests only when asked (caddyhttp serveroptions.go, routes.go).
        "servers {",
        ...indent(["metrics"]),
        "}",
        ...(autoHttps ? [] : ["auto_https off"]),
        "log {",
        ...indent(["output stdout", "format json"]),
        "}",
    ];
    const headers = [
        "header {",
        ...indent([
            // HSTS only with publicly trusted certificates: an internal CA must stay easy to leave.
            ...(acme && autoHttps ? ['Strict-Transport-Security "max-age=31536000; includeSubDomains"'] : []),
            'X-Content-Type-Options "nosniff"',
            'X-Frame-Options "DENY"',
            'Referrer-Policy "strict-origin-when-cross-origin"',
            "-Server",
        ]),
        "}",
    ];
    const sites = opts.sites.flatMap((site) => {
        const fallbackLast = [...site.routes].sort(
            (a, b) => Number(a.path === undefined) - Number(b.path === undefined),
        );
        return [
            `${site.address} {`,
            ...indent([
                ...(opts.tlsMode === "internal" && opts.internalTls && autoHttps
                    ? [`tls ${opts.internalTls.certFile} ${opts.internalTls.keyFile}`]
                    : []),
                "encode zstd gzip",
                ...headers,
                "log {",
                ...indent(["output stdout", "format json"]),
                "}",
                ...fallbackLast.flatMap(routeBlock),
            ]),
            "}",
            "",
        ];
    });
    const metrics = [`http://:${opts.metricsPort ?? CADDY_METRICS_PORT} {`, ...indent(["metrics /metrics"]), "}", ""];
    return ["{", ...indent(global), "}", "", ...sites, ...metrics].join("\n");
}
