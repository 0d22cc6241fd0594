/**
 * The one description of what may reach a host, from which both the
 * DigitalOcean cloud firewall and the host's UFW rules are built, so the two
 * cannot disagree.
 */
export const WORLD = ["0.0.0.0/0", "::/0"] as const;

/** Where sshd listens on a host the program creates: the droplet image's default. The ssh target uses `ssh.port`. */
export const DEFAULT_SSH_PORT = 22;

export interface InboundRule {
    /** Short name, used as the UFW rule comment. */
    readonly name: string;
    readonly protocol: "tcp";
    readonly port: number;
    readonly sources: readonly string[];
    readonly why: string;
}

/**
 * `sshPort` is the port sshd listens on, the one Docker and the commands connect to: a rule for
 * any other port would let UFW lock everyone out of an ssh target on a non-default port.
 */
export function inboundRules(adminCidrs: readonly string[], sshPort: number): InboundRule[] {
    if (!Number.isInteger(sshPort) || sshPort < 1 || sshPort > 65535)
        throw new Error(`inboundRules: SSH port ${sshPort} is not a TCP port`);
    return [
        {
            name: "freshtrack-http",
            protocol: "tcp",
            port: 80,
            sources: WORLD,
            why: "HTTP, redirected to HTTPS, and ACME HTTP-01 challenges",
        },
        { name: "freshtrack-https", protocol: "tcp", port: 443, sources: WORLD, why: "HTTPS" },
        {
            name: "freshtrack-ssh",
            protocol: "tcp",
            port: sshPort,
            sources: adminCidrs,
            why: "SSH for the operator and for deploys",
        },
    ];
}
