import { DROPLET_SIZE_NAMES } from "../../components/host/dropletSizes";
import { ALL_IPV4, ALL_IPV6, coverage } from "../../components/validation";
import { TYPES, typePolicy } from "../lib";

const WORLD = ["0.0.0.0/0", "::/0"];

type Rule = { protocol: string; portRange?: string; sourceAddresses?: string[] };

/** The ports a firewall rule's range covers; `undefined` or "all" cover every port. */
function covers(rule: Rule, port: number): boolean {
    const range = rule.portRange;
    if (range === undefined || range === "" || range === "all" || range === "0") return rule.protocol !== "icmp";
    const [low, high] = range.split("-").map(Number);
    return port >= low! && port <= (high ?? low!);
}

/**
 * The whole internet, judged by the addresses sources cover together rather than by their
 * spelling: `0.0.0.0/1` plus `128.0.0.0/1`, `0::/0`, `1.2.3.4/0` (widened to its network by a
 * firewall that takes it) and `::ffff:0.0.0.0/96` (every IPv4 address, IPv4-mapped) are all
 * "anywhere". Returns how to say so, or undefined when the sources leave some of both families out.
 */
function wholeInternet(sources: readonly string[]): string | undefined {
    const covered = coverage(sources);
    const families = [
        covered.ipv4 >= ALL_IPV4 ? "IPv4" : undefined,
        covered.ipv6 >= ALL_IPV6 ? "IPv6" : undefined,
    ].filter((f): f is string => f !== undefined);
    if (families.length === 0) return undefined;
    const plain = sources.filter((s) => WORLD.includes(s));
    const plainCovered = coverage(plain);
    const plainSays =
        plainCovered.ipv4 >= ALL_IPV4 === covered.ipv4 >= ALL_IPV4 &&
        plainCovered.ipv6 >= ALL_IPV6 === covered.ipv6 >= ALL_IPV6;
    if (plainSays) return plain.join(" and ");
    return `every ${families.join(" and every ")} address (${sources.join(", ")} ${sources.length === 1 ? "covers it" : "cover it together"})`;
}

/** Rules whose sources cover the whole internet, rules for the same protocol and ports taken together. */
function worldRules(props: Record<string, any>): Array<Rule & { world: string }> {
    const groups = new Map<string, Rule[]>();
    for (const rule of (props.inboundRules ?? []) as Rule[]) {
        const key = `${rule.protocol} ${rule.portRange ?? ""}`;
        groups.set(key, [...(groups.get(key) ?? []), rule]);
    }
    return [...groups.values()].flatMap((rules) => {
        const world = wholeInternet(rules.flatMap((r) => r.sourceAddresses ?? []));
        return world === undefined ? [] : [{ ...rules[0]!, world }];
    });
}

export const firewallPublicPorts = typePolicy({
    name: "do-firewall-public-ports",
    description:
        "The cloud firewall opens only ports 80 and 443 to the whole internet (SSH has its own rule). Fix: limit other inbound rules to specific sources.",
    enforcementLevel: "mandatory",
    types: [TYPES.firewall],
    config: {
        publicPorts: {
            type: "array",
            items: { type: "string" },
            default: ["80", "443"],
            description: "Port ranges that may be open to 0.0.0.0/0 and ::/0.",
        },
    },
    check: (props, report, config) => {
        for (const rule of worldRules(props)) {
            if ((config.publicPorts as string[]).includes(rule.portRange ?? "")) continue;
            if (rule.portRange === "22") continue; // do-firewall-no-world-ssh says it better
            report(`opens ${rule.protocol} ${rule.portRange ?? "all ports"} to the whole internet.`);
        }
    },
});

export const firewallNoWorldSsh = typePolicy({
    name: "do-firewall-no-world-ssh",
    description:
        "SSH (22) is never open to the whole internet. Fix: list your admin networks in freshtrack:adminCidrs.",
    enforcementLevel: "mandatory",
    types: [TYPES.firewall],
    check: (props, report) => {
        // Every rule that lets TCP reach port 22 counts, whatever its port range: together they are who can reach SSH.
        const ssh = ((props.inboundRules ?? []) as Rule[]).filter((r) => r.protocol === "tcp" && covers(r, 22));
        const world = wholeInternet(ssh.flatMap((r) => r.sourceAddresses ?? []));
        if (world !== undefined) report(`allows SSH from ${world}.`);
    },
});

export const dropletSize = typePolicy({
    name: "do-droplet-size",
    description:
        "Droplets use a size this stack allows, so cost and memory stay as planned. Fix: choose a size from allowedSizes, or widen allowedSizes in this stack's policy config.",
    enforcementLevel: "mandatory",
    types: [TYPES.droplet],
    config: {
        allowedSizes: {
            type: "array",
            items: { type: "string" },
            default: DROPLET_SIZE_NAMES,
            description: "Droplet size slugs allowed in this stack.",
        },
    },
    check: (props, report, config) => {
        if (!(config.allowedSizes as string[]).includes(props.size))
            report(`size ${props.size} is not one of ${(config.allowedSizes as string[]).join(", ")}.`);
    },
});

export const dropletHardening = typePolicy({
    name: "do-droplet-hardening",
    description:
        "Droplets run the monitoring agent, use SSH keys and a VPC, and in production take DigitalOcean backups. Fix: set them on the droplet (DropletHost does); requireBackups is set per stack.",
    enforcementLevel: "mandatory",
    types: [TYPES.droplet],
    config: {
        requireBackups: {
            type: "boolean",
            default: false,
            description: "Require DigitalOcean droplet backups (set true for prod).",
        },
    },
    check: (props, report, config) => {
        if (props.monitoring !== true) report("runs without the monitoring agent.");
        if (((props.sshKeys ?? []) as string[]).length === 0)
            report("has no SSH key; DigitalOcean would mail a root password instead.");
        if (!props.vpcUuid) report("is not in the stack's VPC.");
        if (config.requireBackups && props.backups !== true)
            report("has DigitalOcean backups off, which this stack requires.");
    },
});

export const dropletReplacementGuard = typePolicy({
    name: "do-droplet-replacement-guard",
    description:
        "A change to a droplet's userData or sshKeys never replaces it, which would boot an empty machine. Fix: ignoreChanges [userData, sshKeys] (DropletHost does); rebuild deliberately with pulumi up --replace.",
    enforcementLevel: "mandatory",
    types: [TYPES.droplet],
    check: (_props, report, _config, args) => {
        const missing = ["userData", "sshKeys"].filter((p) => !args.opts.ignoreChanges.includes(p));
        if (missing.length > 0) report(`is replaced when ${missing.join(" or ")} change; add them to ignoreChanges.`);
    },
});

export const statefulProtected = typePolicy({
    name: "stateful-resources-protected",
    description:
        "Volumes and database clusters that hold data are protected, so no update or destroy deletes them. Fix: set protect: true on the resource (DataVolumes, DropletHost and ManagedDatabase do).",
    enforcementLevel: "mandatory",
    types: [TYPES.dockerVolume, TYPES.doVolume, TYPES.databaseCluster],
    check: (_props, report, _config, args) => {
        if (!args.opts.protect)
            report("holds data but is not protected; Pulumi could delete it on an update or destroy.");
    },
});
