/**
 * The one description of what may reach a host, from which both the
 * DigitalOcean cloud firewall and the host's UFW rules are built, so the two
 * cannot disagree.
 */
export const WORLD = ["0.0.0.0/0", "::/0"] as const;

export interface InboundRule {
    /** Short name, used as the UFW rule comment. */
    readonly name: string;
    readonly protocol: "tcp";
    readonly port: number;
    readonly sources: readonly string[];
    readonly why: string;
}

export function inboundRules(adminCidrs: readonly string[]): InboundRule[] {
    return [
        { name: "freshtrack-http", protocol: "tcp", port: 80, sources: WORLD, why: "HTTP, redirected to HTTPS, and ACME HTTP-01 challenges" },
        { name: "freshtrack-https", protocol: "tcp", port: 443, sources: WORLD, why: "HTTPS" },
        { name: "freshtrack-ssh", protocol: "tcp", port: 22, sources: adminCidrs, why: "SSH for the operator and for deploys" },
    ];
}
