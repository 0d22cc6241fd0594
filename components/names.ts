/**
 * The public names of a stack: its domain and the subdomains Caddy serves.
 * Here, above every layer, because the host's pre-flight checks their DNS and
 * the edge serves them.
 */
export const SUBDOMAINS = {
    grafana: "grafana",
    status: "status",
    prometheus: "prometheus",
    alertmanager: "alertmanager",
} as const;

/** Every public name Caddy answers to. */
export function publicNames(domain: string): string[] {
    return [domain, ...Object.values(SUBDOMAINS).map((s) => `${s}.${domain}`)];
}
