import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { inboundRules, WORLD } from "./firewallRules";

export interface FirewallArgs {
    readonly dropletId: pulumi.Input<string>;
    readonly adminCidrs: readonly string[];
}

/**
 * The DigitalOcean cloud firewall in front of the droplet: the rules of
 * firewallRules.ts (80/443 from anywhere, 22 from the admin CIDRs) and
 * nothing else in; everything out.
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
                inboundRules: inboundRules(args.adminCidrs).map((rule) => ({
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
