/**
 * The read-back models of the droplet target's network: the cloud firewall, the VPC, the reserved IP and its
 * assignment, and the DNS records. The rules cite UPSTREAM (digitaloceanSchema.ts says why that commit).
 */
import { asSet, at, Inputs, isAbsent, lower, ProviderModel, str, TAGS } from "./digitaloceanSchema";

/** A firewall rule in its stored form: the provider has no ForceNew and no normalisation here. */
function firewallRuleComparable(prefix: "source" | "destination"): (rule: unknown) => unknown {
    return (raw) => {
        const rule = raw as Record<string, unknown>;
        const out: Record<string, unknown> = {
            protocol: rule.protocol,
            // The API answers "0" for "all ports", which Read writes as "all" (and as nothing for icmp): sent "all",
            // stored "all".
            portRange: isAbsent(rule.portRange) ? undefined : rule.portRange,
            // Default "allow" since #1602, and read back: an absent action and "allow" are the same element.
            action: isAbsent(rule.action) ? "allow" : rule.action,
        };
        for (const field of ["Addresses", "DropletIds", "LoadBalancerUids", "KubernetesIds"])
            out[`${prefix}${field}`] = asSet(rule[`${prefix}${field}`]);
        out[`${prefix}Tags`] = asSet(rule[`${prefix}Tags`], lower);
        return out;
    };
}

const FIREWALL_ACTION =
    'digitalocean/terraform-provider-digitalocean#1602 (rule `action`, Default "allow", read back; merged after v2.99.1)';

export const firewall = new ProviderModel("digitalocean:index/firewall:Firewall", {
    name: {
        forceNew: false,
        readBackNote: "as sent",
        source: at("digitalocean/firewall/firewalls.go:12-16, digitalocean/firewall/resource_firewall.go:104"),
    },
    dropletIds: {
        comparable: (v) => asSet(v),
        forceNew: false,
        readBackNote: "as sent (a set of numbers)",
        source: at("digitalocean/firewall/firewalls.go:18-22, 213-224, digitalocean/firewall/resource_firewall.go:106"),
    },
    inboundRules: {
        fromApi: (v) =>
            (v as Array<Record<string, unknown>>).map((r) => ({
                ...r,
                action: isAbsent(r.action) ? "allow" : r.action,
            })),
        comparable: (v) => asSet(v, firewallRuleComparable("source")),
        forceNew: false,
        readBackNote:
            'a set of rules; port ranges and addresses as sent ("all" round-trips through the API\'s "0"), action "allow" added',
        source: `${at("digitalocean/firewall/firewalls.go:24-28, 71-123, 226-233, 235-285, digitalocean/firewall/resource_firewall.go:110")}; ${FIREWALL_ACTION}`,
    },
    outboundRules: {
        fromApi: (v) =>
            (v as Array<Record<string, unknown>>).map((r) => ({
                ...r,
                action: isAbsent(r.action) ? "allow" : r.action,
            })),
        comparable: (v) => asSet(v, firewallRuleComparable("destination")),
        forceNew: false,
        readBackNote:
            'a set of rules; port ranges and addresses as sent, an icmp rule without a port range stays without one, action "allow" added',
        source: `${at("digitalocean/firewall/firewalls.go:30-34, 71-123, 287-337, digitalocean/firewall/resource_firewall.go:114")}; ${FIREWALL_ACTION}`,
    },
    tags: {
        ...TAGS,
        source: at("digitalocean/firewall/firewalls.go:67, digitalocean/firewall/resource_firewall.go:118"),
    },
});

export const vpc = new ProviderModel("digitalocean:index/vpc:Vpc", {
    name: {
        forceNew: false,
        readBackNote: "as sent",
        source: at("digitalocean/vpc/resource_vpc.go:32-37, 134"),
    },
    region: {
        // No StateFunc here, unlike the droplet's: the API's lower-case slug comes back and an upper-case input
        // replaces the VPC.
        fromApi: lower,
        forceNew: true,
        readBackNote: 'the API\'s lower-case slug, with no StateFunc: "FRA1" comes back "fra1" and replaces',
        source: at(
            "digitalocean/vpc/resource_vpc.go:38-44, 135; API slugs are lower case: digitalocean/droplet/resource_droplet.go:85",
        ),
    },
    description: {
        forceNew: false,
        readBackNote: "as sent",
        source: at("digitalocean/vpc/resource_vpc.go:45-50, 136"),
    },
});

export const reservedIp = new ProviderModel("digitalocean:index/reservedIp:ReservedIp", {
    region: {
        stateFunc: lower,
        forceNew: true,
        readBackNote: "lower-cased by the StateFunc",
        source: at("digitalocean/reservedip/resource_reserved_ip.go:28-36, 149-154"),
    },
});

export const reservedIpAssignment = new ProviderModel("digitalocean:index/reservedIpAssignment:ReservedIpAssignment", {
    ipAddress: {
        forceNew: true,
        readBackNote: "as sent: Read sets nothing, and drops the resource when the IP sits on another droplet",
        source: at("digitalocean/reservedip/resource_reserved_ip_assignment.go:30-35, 73-91"),
    },
    dropletId: {
        forceNew: true,
        readBackNote: "as sent (Read sets nothing)",
        source: at("digitalocean/reservedip/resource_reserved_ip_assignment.go:36-41, 73-91"),
    },
});

/** The record name relative to the zone, as the DiffSuppressFunc folds "@" / "zone." and "name.zone.". */
function relativeRecordName(name: unknown, inputs: Inputs): string {
    const zone = `${str(inputs.domain)}.`;
    const n = str(name);
    if (n === zone) return "@";
    return n.endsWith(`.${zone}`) ? n.slice(0, -(zone.length + 1)) : n;
}

/** Record types whose value the program sends and Read returns unchanged; the others get a trailing dot on Read. */
const PLAIN_VALUE_TYPES = ["A", "AAAA"];

export const dnsRecord = new ProviderModel("digitalocean:index/dnsRecord:DnsRecord", {
    domain: {
        forceNew: true,
        readBackNote: "as sent (Read never sets it)",
        source: at("digitalocean/domain/resource_record.go:45-50"),
    },
    type: {
        forceNew: true,
        readBackNote: "as sent",
        source: at("digitalocean/domain/resource_record.go:28-43, 225"),
    },
    name: {
        fromApi: relativeRecordName,
        comparable: relativeRecordName,
        forceNew: false,
        readBackNote: 'the name relative to the zone; "@" and "<zone>." are one, and so are "x" and "x.<zone>."',
        source: at("digitalocean/domain/resource_record.go:52-61, 224"),
    },
    value: {
        fromApi: (v, inputs) => {
            if (!PLAIN_VALUE_TYPES.includes(str(inputs.type))) {
                // Read appends "." to CNAME/MX/NS/SRV/CAA data; what the API does with relative data is not in the
                // provider.
                throw new Error(
                    `digitalocean:index/dnsRecord:DnsRecord: values of type ${str(inputs.type)} are not modelled (the program sends A and AAAA)`,
                );
            }
            return v;
        },
        forceNew: false,
        readBackNote: 'as sent for A and AAAA (Read appends "." to CNAME, MX, NS, SRV and CAA data)',
        source: at("digitalocean/domain/resource_record.go:88-96, 218-226"),
    },
    ttl: {
        computed: true,
        forceNew: false,
        readBackNote:
            "as sent; left out, the API's default; DigitalOcean rewrites it when records of the same name and type disagree",
        source: at("digitalocean/domain/resource_record.go:81-86, 204-216, 229"),
    },
});
