import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_SSH_PORT, inboundRules, WORLD } from "./firewallRules";

export interface FirewallArgs {
    /** The droplet it guards: its ID as the provider gives it, a string (DropletHost's `droplet.id`). */
    readonly dropletId: pulumi.Input<string>;
    /** The only sources SSH (port 22) accepts, as CIDRs (freshtrack:adminCidrs, through DropletHost). */
    readonly adminCidrs: readonly string[];
}

/**
 * The DigitalOcean cloud firewall in front of the droplet: the rules of
 * firewallRules.ts (80/443 from anywhere, SSH from the admin CIDRs) and
 * nothing else in; everything out. Only droplets sit behind it, and their sshd
 * keeps the image's port 22.
 */
export class Firewall extends pulumi.ComponentResource {
    readonly firewall: digitalocean.Firewall;

    constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:host:Firewall", name, {}, opts);
        this.firewall = new digitalocean.Firewall(
            name,
            {
                name,
                dropletIds: [pulumi.output(args.dropletId).apply(Number)],
                inboundRules: inboundRules(args.adminCidrs, DEFAULT_SSH_PORT).map((rule) => ({
                    protocol: rule.protocol,
                    portRange: String(rule.port),
                    sourceAddresses: [...rule.sources],
                })),
                outboundRules: [
                    { protocol: "tcp", portRange: "1-65535", destinationAddresses: [...WORLD] },
                    { protocol: "udp", portRange: "1-65535", destinationAddresses: [...WORLD] },
                    { protocol: "icmp", destinationAddresses: [...WORLD] },
                ],
            },
            { parent: this },
        );
        this.registerOutputs({ firewallId: this.firewall.id });
    }
}
