import { DROPLET_SIZE_NAMES } from "../../components/host/dropletSizes";
import { ALL_IPV4, ALL_IPV6, coverage } from "../../components/validation";
import * as digitalocean from "@pulumi/digitalocean";
import * as docker from "@pulumi/docker";
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { resourcePolicy, typedCheck } from "../lib";

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
function worldRules(inboundRules: readonly Rule[]): Array<Rule & { world: string }> {
    const groups = new Map<string, Rule[]>();
    for (const rule of inboundRules) {
        const key = `${rule.protocol} ${rule.portRange ?? ""}`;
        groups.set(key, [...(groups.get(key) ?? []), rule]);
    }
    return [...groups.values()].flatMap((rules) => {
        const world = wholeInternet(rules.flatMap((r) => r.sourceAddresses ?? []));
        return world === undefined ? [] : [{ ...rules[0]!, world }];
    });
}

export const firewallPublicPorts = resourcePolicy({
    name: "do-firewall-public-ports",
    description:
        "The cloud firewall opens only ports 80 and 443 to the whole internet (SSH has its own rule). Fix: limit other inbound rules to specific sources.",
    enforcementLevel: "mandatory",
    resourceClass: digitalocean.Firewall,
    config: {
        publicPorts: {
            type: "array",
            items: { type: "string" },
            default: ["80", "443"],
            description: "Port ranges that may be open to 0.0.0.0/0 and ::/0.",
        },
    },
    check: (firewall, report, config: { publicPorts: string[] }) => {
        for (const rule of worldRules(firewall.inboundRules ?? [])) {
            if (config.publicPorts.includes(rule.portRange ?? "")) continue;
            if (rule.portRange === "22") continue; // do-firewall-no-world-ssh says it better
            report(`opens ${rule.protocol} ${rule.portRange ?? "all ports"} to the whole internet.`);
        }
    },
});

export const firewallNoWorldSsh = resourcePolicy({
    name: "do-firewall-no-world-ssh",
    description:
        "SSH (22) is never open to the whole internet. Fix: list your admin networks in freshtrack:adminCidrs.",
    enforcementLevel: "mandatory",
    resourceClass: digitalocean.Firewall,
    check: (firewall, report) => {
        // Every rule that lets TCP reach port 22 counts, whatever its port range: together they are who can reach SSH.
        const ssh = (firewall.inboundRules ?? []).filter((r) => r.protocol === "tcp" && covers(r, 22));
        const world = wholeInternet(ssh.flatMap((r) => r.sourceAddresses ?? []));
        if (world !== undefined) report(`allows SSH from ${world}.`);
    },
});

export const dropletSize = resourcePolicy({
    name: "do-droplet-size",
    description:
        "Droplets use a size this stack allows, so cost and memory stay as planned. Fix: choose a size from allowedSizes, or widen allowedSizes in this stack's policy config.",
    enforcementLevel: "mandatory",
    resourceClass: digitalocean.Droplet,
    config: {
        allowedSizes: {
            type: "array",
            items: { type: "string" },
            default: DROPLET_SIZE_NAMES,
            description: "Droplet size slugs allowed in this stack.",
        },
    },
    check: (droplet, report, config: { allowedSizes: string[] }) => {
        if (!config.allowedSizes.includes(droplet.size))
            report(
                `size ${droplet.size} is not one of ${config.allowedSizes.join(", ")} (allowedSizes of do-droplet-size in policy/config/<environment>.json).`,
            );
    },
});

export const dropletHardening = resourcePolicy({
    name: "do-droplet-hardening",
    description:
        "Droplets run the monitoring agent, use SSH keys and a VPC, and in production take DigitalOcean backups. Fix: set them on the droplet (DropletHost does); requireBackups is set per stack.",
    enforcementLevel: "mandatory",
    resourceClass: digitalocean.Droplet,
    config: {
        requireBackups: {
            type: "boolean",
            default: false,
            description:
                "Require DigitalOcean droplet backups (set true in the production environment's settings, policy/config/production.json).",
        },
    },
    check: (droplet, report, config: { requireBackups: boolean }) => {
        if (droplet.monitoring !== true) report("runs without the monitoring agent.");
        if ((droplet.sshKeys ?? []).length === 0)
            report("has no SSH key; DigitalOcean would mail a root password instead.");
        if (!droplet.vpcUuid) report("is not in the stack's VPC.");
        if (config.requireBackups && droplet.backups !== true)
            report("has DigitalOcean backups off, which this stack requires.");
    },
});

export const dropletReplacementGuard = resourcePolicy({
    name: "do-droplet-replacement-guard",
    description:
        "A change to a droplet's userData or sshKeys never replaces it, which would boot an empty machine. Fix: ignoreChanges [userData, sshKeys] (DropletHost does); rebuild deliberately with pulumi up --replace.",
    enforcementLevel: "mandatory",
    resourceClass: digitalocean.Droplet,
    check: (_props, report, _config, args) => {
        const missing = ["userData", "sshKeys"].filter((p) => !args.opts.ignoreChanges.includes(p));
        if (missing.length > 0) report(`is replaced when ${missing.join(" or ")} change; add them to ignoreChanges.`);
    },
});

function checkProtected(
    _props: unknown,
    report: (message: string) => void,
    _config: object,
    args: ResourceValidationArgs,
) {
    if (!args.opts.protect) report("holds data but is not protected; Pulumi could delete it on an update or destroy.");
}

/** One typed check per class that holds data: Docker volumes, DigitalOcean block volumes and database clusters. */
export const statefulProtected: ResourceValidationPolicy = {
    name: "stateful-resources-protected",
    description:
        "Volumes and database clusters that hold data are protected, so no update or destroy deletes them. Fix: set protect: true on the resource (DataVolumes, DropletHost and ManagedDatabase do).",
    enforcementLevel: "mandatory",
    configSchema: { properties: {} },
    validateResource: [
        typedCheck(docker.Volume, checkProtected),
        typedCheck(digitalocean.Volume, checkProtected),
        typedCheck(digitalocean.DatabaseCluster, checkProtected),
    ],
};
