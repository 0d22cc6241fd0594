/** Documentation examples left in a stack's settings (example.com names, documentation address ranges). */
import { isDocumentationAddress, isReservedExampleDomain } from "../validation";
import { PROJECT } from "./schema";
import { StackConfig } from "./types";

/**
 * Values on a droplet or VM stack that are still documentation examples, as shipped in
 * Pulumi.prod.yaml and Pulumi.staging.yaml: example.com names (RFC 2606) and documentation
 * address ranges (RFC 5737, RFC 3849). Deployed, they give a certificate that cannot be
 * issued, alerts mailed nowhere, or SSH open to no real admin network. One line each.
 */
export function placeholderValues(cfg: StackConfig): string[] {
    if (cfg.target === "local") return [];
    const key = (name: string) => `${PROJECT}:${name}`;
    const domainOf = (address: string) => address.slice(address.lastIndexOf("@") + 1);
    const found: string[] = [];
    if (isReservedExampleDomain(cfg.domain)) found.push(`${key("domain")} = ${cfg.domain}`);
    if (isReservedExampleDomain(domainOf(cfg.adminEmail))) found.push(`${key("adminEmail")} = ${cfg.adminEmail}`);
    cfg.adminCidrs.forEach((cidr, i) => {
        if (isDocumentationAddress(cidr)) found.push(`${key(`adminCidrs[${i}]`)} = ${cidr}`);
    });
    if (cfg.ssh && (isDocumentationAddress(cfg.ssh.host) || isReservedExampleDomain(cfg.ssh.host)))
        found.push(`${key("ssh.host")} = ${cfg.ssh.host}`);
    if (cfg.droplet?.dnsZone !== undefined && isReservedExampleDomain(cfg.droplet.dnsZone))
        found.push(`${key("droplet.dnsZone")} = ${cfg.droplet.dnsZone}`);
    const email = cfg.alerts.email;
    if (email) {
        email.to.forEach((to, i) => {
            if (isReservedExampleDomain(domainOf(to))) found.push(`${key(`alerts.email.to[${i}]`)} = ${to}`);
        });
        if (isReservedExampleDomain(domainOf(email.from))) found.push(`${key("alerts.email.from")} = ${email.from}`);
        const relay = email.smarthost.replace(/:\d+$/, "");
        if (isReservedExampleDomain(relay) || isDocumentationAddress(relay))
            found.push(`${key("alerts.email.smarthost")} = ${email.smarthost}`);
    }
    return found;
}
