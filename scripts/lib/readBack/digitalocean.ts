/**
 * What the DigitalOcean provider bridged by @pulumi/digitalocean 4.80.1 keeps in
 * state for each input this program sets, and which changes replace the
 * resource: the rung-2 "provider model" of design.md for the droplet target and
 * the managed database.
 *
 * Which upstream: pulumi-digitalocean builds from the `upstream` submodule
 * (provider/go.mod: `terraform-provider-digitalocean => ../upstream`). Its tag
 * v4.80.1 is not among the stored copies (the newest is v4.76.0 = upstream
 * v2.96.0), so the pinned commit cannot be read here. The installed SDK has
 * every input of v2.99.1 (401992a1, the newest upstream commit stored) that these
 * types use, and one more: the firewall rules' `action`
 * (node_modules/@pulumi/digitalocean/types/input.d.ts, FirewallInboundRule),
 * added upstream after v2.99.1 by digitalocean/terraform-provider-digitalocean#1602
 * together with godo v1.207.0, the godo version the stored pulumi-digitalocean
 * provider/go.mod lists. So every rule cites v2.99.1 except `action`, which
 * cites the pull request.
 *
 * The Terraform SDK runs a StateFunc over the configured value when it plans as
 * well as when it stores, and compares the two under the DiffSuppressFunc; what
 * Read takes from the API lands in state only. So a value the API returns in
 * another form than the one sent (and no StateFunc or DiffSuppressFunc covers)
 * shows a diff on the next `up`, and a replacement where the field is ForceNew.
 */
import { createHash } from "crypto";
import { keepSecret, UNKNOWN, unwrapSecrets } from "../values";
import type { ResourceModel } from "./docker";

export type { ResourceModel };

/** The upstream commit every rule below is read at (see the header for why this one). */
export const UPSTREAM = "digitalocean/terraform-provider-digitalocean@401992a1";
const at = (fileAndLines: string) => `${UPSTREAM} ${fileAndLines}`;

type Inputs = Readonly<Record<string, unknown>>;

interface Attribute {
    /** The schema's StateFunc: applied to the configured value both when stored and when planned. */
    readonly stateFunc?: (value: unknown, inputs: Inputs) => unknown;
    /** What Read takes back from the API on top of the StateFunc: lands in state only. */
    readonly fromApi?: (value: unknown, inputs: Inputs) => unknown;
    /** The form two values are compared in: set order, and what a DiffSuppressFunc or set hash ignores. */
    readonly comparable?: (value: unknown, inputs: Inputs) => unknown;
    /** Optional + Computed: left out of the program, the provider keeps what it stored. */
    readonly computed?: boolean;
    /** Written into state by the provider even when the program leaves the input out. */
    readonly storedWhenAbsent?: (inputs: Inputs) => unknown;
    readonly forceNew: boolean;
    /** Replaces only on some changes (a CustomizeDiff ForceNewIfChange). */
    readonly forceNewIf?: (prior: unknown, next: unknown) => boolean;
    /** For the report table: the form the value comes back in. */
    readonly readBackNote: string;
    readonly source: string;
}

/** Terraform's SDK treats an unset string, list or block the same as an empty one. */
function isAbsent(value: unknown): boolean {
    return value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);
}

/** JSON with object keys sorted, so equal values print equal. */
function stableJson(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
    if (typeof value === "object" && value !== null) {
        const entries = Object.entries(value)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
    }
    if (typeof value === "symbol") return "<unknown>";
    return JSON.stringify(value ?? null);
}

/** A TypeSet compared as a set: element order never shows as a diff. */
function asSet(value: unknown, element: (e: unknown) => unknown = (e) => e): unknown {
    if (isAbsent(value)) return undefined;
    const items = (value as unknown[]).map(element).map(stableJson);
    return [...new Set(items)].sort();
}

const str = (v: unknown) => (typeof v === "string" ? v : String(v));
const lower = (v: unknown) => str(v).toLowerCase();

/**
 * Tags are a set hashed without regard to case (tag.TagsSchema), so "Prod" and
 * "prod" are one element and never a diff.
 */
const TAGS: Attribute = {
    comparable: (v) => asSet(v, lower),
    forceNew: false,
    readBackNote: "set, compared without regard to case",
    source: at("digitalocean/tag/tags.go:16-26, digitalocean/util/hash.go:18-21"),
};

/** `do:<type>:<id>` URN forms of a reserved IP; the Projects API has listed each in place of the other. */
const RESERVED_IP_URN = /^do:(reservedip|floatingip):(.+)$/;
const OTHER_URN_KIND: Readonly<Record<string, string>> = { reservedip: "floatingip", floatingip: "reservedip" };

class ProviderModel implements ResourceModel {
    constructor(
        readonly type: string,
        readonly attributes: Readonly<Record<string, Attribute>>,
    ) {}

    private attribute(key: string): Attribute {
        const found = this.attributes[key];
        if (!found) {
            throw new Error(
                `${this.type}: the read-back model has no rule for input '${key}'; read the provider at ${UPSTREAM} and add one`,
            );
        }
        return found;
    }

    readBack(inputs: Record<string, unknown>): Record<string, unknown> {
        const plain = unwrapSecrets(inputs) as Inputs;
        const out: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(inputs)) {
            const attr = this.attribute(key);
            out[key] =
                value === UNKNOWN || isAbsent(value) ? value : keepSecret(value, (v) => this.stored(attr, v, plain));
        }
        for (const [key, attr] of Object.entries(this.attributes)) {
            if (isAbsent(inputs[key]) && attr.storedWhenAbsent) out[key] = attr.storedWhenAbsent(plain);
        }
        return out;
    }

    private stored(attr: Attribute, value: unknown, inputs: Inputs): unknown {
        const state = attr.stateFunc ? attr.stateFunc(value, inputs) : value;
        return attr.fromApi ? attr.fromApi(state, inputs) : state;
    }

    private comparable(attr: Attribute, value: unknown, inputs: Inputs): string {
        if (isAbsent(value)) return stableJson(undefined);
        return stableJson(attr.comparable ? attr.comparable(value, inputs) : value);
    }

    changed(newInputs: Record<string, unknown>, priorState: Record<string, unknown>): string[] {
        const next = unwrapSecrets(newInputs) as Inputs;
        const prior = unwrapSecrets(priorState) as Inputs;
        // Keys only in the prior state are computed outputs unless the model knows them as inputs.
        const keys = new Set([...Object.keys(next), ...Object.keys(prior).filter((k) => k in this.attributes)]);
        const changed: string[] = [];
        for (const key of keys) {
            const attr = this.attribute(key);
            const value = next[key];
            if (value === UNKNOWN) {
                changed.push(key);
                continue;
            }
            if (isAbsent(value) && attr.computed) continue;
            const planned = isAbsent(value) ? undefined : attr.stateFunc ? attr.stateFunc(value, next) : value;
            if (this.comparable(attr, planned, next) !== this.comparable(attr, prior[key], next)) changed.push(key);
        }
        return changed.sort();
    }

    forcesReplacement(key: string): boolean {
        return this.attributes[key]?.forceNew ?? false;
    }

    /** Whether this particular change replaces the resource: ForceNew, or a ForceNewIfChange that holds. */
    replaces(key: string, prior: unknown, next: unknown): boolean {
        const attr = this.attributes[key];
        if (!attr) return false;
        return attr.forceNew || (attr.forceNewIf?.(unwrapSecrets(prior), unwrapSecrets(next)) ?? false);
    }

    /** The keys of `changed` whose change replaces the resource. */
    replacements(newInputs: Record<string, unknown>, priorState: Record<string, unknown>): string[] {
        return this.changed(newInputs, priorState).filter((k) => this.replaces(k, priorState[k], newInputs[k]));
    }
}

const sha1 = (v: unknown) => createHash("sha1").update(str(v)).digest("hex");

const droplet = new ProviderModel("digitalocean:index/droplet:Droplet", {
    image: {
        forceNew: true,
        readBackNote: "as sent: Read never sets it, so a slug that moves to a newer image is no diff",
        source: at("digitalocean/droplet/resource_droplet.go:66-71, 488-492"),
    },
    name: {
        forceNew: false,
        readBackNote: "as sent (rename in place)",
        source: at("digitalocean/droplet/resource_droplet.go:73-77, 493, 655-674"),
    },
    region: {
        stateFunc: lower,
        forceNew: true,
        readBackNote: "lower-cased by the StateFunc; the API's slug",
        source: at("digitalocean/droplet/resource_droplet.go:79-89, 495"),
    },
    size: {
        stateFunc: lower,
        forceNew: false,
        readBackNote: "lower-cased by the StateFunc; a change resizes in place after powering the droplet off",
        source: at("digitalocean/droplet/resource_droplet.go:91-99, 496, 600-653"),
    },
    backups: {
        forceNew: false,
        readBackNote: "as sent, from the droplet's features",
        source: at("digitalocean/droplet/resource_droplet.go:158-162, 520-521"),
    },
    backupPolicy: {
        forceNew: false,
        readBackNote: "as sent: Read never sets it",
        source: at("digitalocean/droplet/resource_droplet.go:164-193, 487-542"),
    },
    ipv6: {
        forceNew: false,
        forceNewIf: (prior, next) => prior === true && next === false,
        readBackNote: "as sent, from the droplet's features; turning it off replaces the droplet",
        source: at("digitalocean/droplet/resource_droplet.go:195-199, 522, 312-318"),
    },
    monitoring: {
        forceNew: true,
        readBackNote: "as sent, from the droplet's features",
        source: at("digitalocean/droplet/resource_droplet.go:261-266, 524"),
    },
    sshKeys: {
        comparable: (v) => asSet(v),
        forceNew: true,
        readBackNote: "as sent (a set; Read never sets it)",
        source: at("digitalocean/droplet/resource_droplet.go:232-240"),
    },
    userData: {
        stateFunc: sha1,
        forceNew: true,
        readBackNote: "SHA-1 hex of the text (StateFunc), compared hashed",
        source: at("digitalocean/droplet/resource_droplet.go:242-252, digitalocean/util/hash.go:12-33"),
    },
    volumeIds: {
        comparable: (v) => asSet(v),
        computed: true,
        forceNew: false,
        readBackNote: "as sent (a set; attach/detach in place)",
        source: at("digitalocean/droplet/resource_droplet.go:254-259, 527, 797-835"),
    },
    tags: {
        ...TAGS,
        source: at(
            "digitalocean/droplet/resource_droplet.go:274, 531, digitalocean/tag/tags.go:16-26, digitalocean/util/hash.go:18-21",
        ),
    },
    vpcUuid: {
        computed: true,
        forceNew: true,
        readBackNote: "as sent",
        source: at("digitalocean/droplet/resource_droplet.go:276-282, 505"),
    },
});

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

const firewall = new ProviderModel("digitalocean:index/firewall:Firewall", {
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

const volume = new ProviderModel("digitalocean:index/volume:Volume", {
    region: {
        stateFunc: lower,
        forceNew: true,
        readBackNote: "lower-cased by the StateFunc",
        source: at("digitalocean/volume/resource_volume.go:29-37, 215"),
    },
    name: {
        forceNew: true,
        readBackNote: "as sent",
        source: at("digitalocean/volume/resource_volume.go:39-44, 214"),
    },
    size: {
        forceNew: false,
        readBackNote: "as sent; grows in place, and a smaller size fails the preview (CustomizeDiff)",
        source: at("digitalocean/volume/resource_volume.go:50-54, 113-123, 173-187, 216"),
    },
    description: {
        forceNew: true,
        readBackNote: "as sent (Read sets it only when non-empty)",
        source: at("digitalocean/volume/resource_volume.go:56-61, 220-222"),
    },
    initialFilesystemType: {
        forceNew: true,
        readBackNote: "as sent: Read never sets it",
        source: at("digitalocean/volume/resource_volume.go:70-78, 199-235"),
    },
    tags: { ...TAGS, source: at("digitalocean/volume/resource_volume.go:110, 218") },
});

const vpc = new ProviderModel("digitalocean:index/vpc:Vpc", {
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

const reservedIp = new ProviderModel("digitalocean:index/reservedIp:ReservedIp", {
    region: {
        stateFunc: lower,
        forceNew: true,
        readBackNote: "lower-cased by the StateFunc",
        source: at("digitalocean/reservedip/resource_reserved_ip.go:28-36, 149-154"),
    },
});

const reservedIpAssignment = new ProviderModel("digitalocean:index/reservedIpAssignment:ReservedIpAssignment", {
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

const dnsRecord = new ProviderModel("digitalocean:index/dnsRecord:DnsRecord", {
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

const sshKey = new ProviderModel("digitalocean:index/sshKey:SshKey", {
    name: {
        forceNew: false,
        readBackNote: "as sent",
        source: at("digitalocean/sshkey/resource_ssh_key.go:31-35, 119"),
    },
    publicKey: {
        comparable: (v) => str(v).trim(),
        forceNew: true,
        readBackNote: "as the API returns it; leading and trailing whitespace never shows as a diff",
        source: at("digitalocean/sshkey/resource_ssh_key.go:37-43, 57-59, 121"),
    },
});

const project = new ProviderModel("digitalocean:index/project:Project", {
    name: {
        forceNew: false,
        readBackNote: "as sent",
        source: at("digitalocean/project/resource_project.go:31-39, 185"),
    },
    description: {
        forceNew: false,
        readBackNote: 'as sent (Default "")',
        source: at("digitalocean/project/resource_project.go:40-46, 191"),
    },
    purpose: {
        comparable: (v) => str(v).replace(/^Other: /, ""),
        forceNew: false,
        readBackNote: 'as sent; an "Other: " prefix from the API is cut off',
        source: at("digitalocean/project/resource_project.go:47-53, 188"),
    },
    environment: {
        comparable: lower,
        forceNew: false,
        readBackNote: "as the API spells it; compared without regard to case",
        source: at("digitalocean/project/resource_project.go:54-62, 194"),
    },
    resources: {
        // Read stores every URN the Projects API lists, verbatim. For a reserved IP the two reports disagree on which
        // form it lists: #1264 (2024) sent do:reservedip and got do:floatingip back (a maintainer advised the
        // floatingip form in #1031); #1455 (2025, open) sent do:floatingip and it never matched again. Swapping the
        // two makes either form an offender, which is what both reports show; godo's URN() gives do:reservedip.
        fromApi: (v) =>
            (v as unknown[]).map((urn) =>
                str(urn).replace(RESERVED_IP_URN, (_m, kind: string, ip: string) => `do:${OTHER_URN_KIND[kind]}:${ip}`),
            ),
        comparable: (v) => asSet(v),
        computed: true,
        forceNew: false,
        readBackNote:
            "every URN the Projects API lists; a reserved IP's URN comes back in the other form (do:reservedip / do:floatingip)",
        source: [
            at(
                "digitalocean/project/resource_project.go:89-95, 213-220, 246-265, digitalocean/project/projects.go:124-157",
            ),
            at(
                "vendor/github.com/digitalocean/godo/reserved_ips.go:9, 44-46, vendor/github.com/digitalocean/godo/strings.go:21-23",
            ),
            "digitalocean/terraform-provider-digitalocean#1264, #1031, #1455",
        ].join("; "),
    },
});

const databaseCluster = new ProviderModel("digitalocean:index/databaseCluster:DatabaseCluster", {
    name: {
        forceNew: true,
        readBackNote: "as sent",
        source: at("digitalocean/database/resource_database_cluster.go:40-45, 578"),
    },
    engine: {
        forceNew: true,
        readBackNote: "as sent (the engine slug)",
        source: at("digitalocean/database/resource_database_cluster.go:47-60, 579"),
    },
    version: {
        forceNew: false,
        readBackNote: "the version slug, as sent for pg; a change is an in-place major upgrade",
        source: at("digitalocean/database/resource_database_cluster.go:62-79, 535-541, 580"),
    },
    size: {
        forceNew: false,
        readBackNote: "as sent; resizes in place",
        source: at("digitalocean/database/resource_database_cluster.go:81-85, 441-472, 581"),
    },
    region: {
        stateFunc: lower,
        forceNew: false,
        readBackNote: "lower-cased by the StateFunc; a change migrates in place",
        source: at("digitalocean/database/resource_database_cluster.go:87-95, 474-495, 582"),
    },
    nodeCount: {
        forceNew: false,
        readBackNote: "as sent; resizes in place",
        source: at("digitalocean/database/resource_database_cluster.go:97-101, 441-472, 583"),
    },
    privateNetworkUuid: {
        computed: true,
        forceNew: true,
        readBackNote: "as sent",
        source: at("digitalocean/database/resource_database_cluster.go:145-151, 642"),
    },
    tags: { ...TAGS, source: at("digitalocean/database/resource_database_cluster.go:241, 585") },
});

/**
 * The cluster's default user, as the provider stores it: `user` and `password` are Computed outputs (not
 * inputs, so they have no rule above), set by Create and by every Read from the API's connection details,
 * the password only when the API returns one, so the one from the create response stays otherwise
 * (resource_database_cluster.go:214-228, 723-738, called at :391 and :626). The user is `doadmin`
 * (docs/resources/database_user.md:8; docs/resources/database_cluster.md:167-168). The password stands in
 * for the generated one, derived from the resource name like the mocks' other generated values.
 */
export const DATABASE_CLUSTER_DEFAULT_USER = {
    user: "doadmin",
    password: (resourceName: string) => `mock-${resourceName}-doadmin`,
    source: at(
        "digitalocean/database/resource_database_cluster.go:214-228, 723-738, docs/resources/database_user.md:8",
    ),
} as const;

const databaseUser = new ProviderModel("digitalocean:index/databaseUser:DatabaseUser", {
    clusterId: {
        forceNew: true,
        readBackNote: "as sent",
        source: at("digitalocean/database/resource_database_user.go:37-42"),
    },
    name: {
        forceNew: true,
        readBackNote: "as sent",
        source: at("digitalocean/database/resource_database_user.go:31-36"),
    },
    settings: {
        // Stored from the create response only, which for PostgreSQL always carries a settings object
        // ({"pg_allow_replication": false}, digitalocean/terraform-provider-digitalocean#1610): one empty block.
        storedWhenAbsent: () => [{ acls: [], opensearchAcls: [] }],
        forceNew: false,
        readBackNote:
            "one empty settings block although the program sends none (create response only; Read never refreshes it)",
        source: `${at("digitalocean/database/resource_database_user.go:55-72, 177-180, 187-208, 348-357")}; digitalocean/terraform-provider-digitalocean#1610`,
    },
});

const POOL = "digitalocean/database/resource_database_connection_pool.go";
const databaseConnectionPool = new ProviderModel("digitalocean:index/databaseConnectionPool:DatabaseConnectionPool", {
    clusterId: {
        forceNew: true,
        readBackNote: "as sent (no Update: every input replaces)",
        source: at(`${POOL}:18-21, 27-32, 154`),
    },
    name: { forceNew: true, readBackNote: "as sent", source: at(`${POOL}:34-39, 155`) },
    user: { forceNew: true, readBackNote: "as sent", source: at(`${POOL}:41-46, 156`) },
    mode: { forceNew: true, readBackNote: "as sent", source: at(`${POOL}:48-56, 157`) },
    size: {
        forceNew: true,
        readBackNote: "as sent: a new pool size replaces the pool",
        source: at(`${POOL}:58-63, 158`),
    },
    dbName: { forceNew: true, readBackNote: "as sent", source: at(`${POOL}:65-70, 159`) },
});

const databaseFirewall = new ProviderModel("digitalocean:index/databaseFirewall:DatabaseFirewall", {
    clusterId: {
        forceNew: true,
        readBackNote: "as sent",
        source: at("digitalocean/database/resource_database_firewall.go:27-32"),
    },
    rules: {
        // uuid and createdAt are Computed only, so the set hash leaves them out: a rule is its type and value.
        comparable: (v) =>
            asSet(v, (r) => ({
                type: (r as Record<string, unknown>).type,
                value: str((r as Record<string, unknown>).value),
            })),
        forceNew: false,
        readBackNote: "a set of {type, value} as sent, plus computed uuid and createdAt that the set hash ignores",
        source: [
            at("digitalocean/database/resource_database_firewall.go:34-68, 102, 172-190"),
            at("vendor/github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema/serialize.go:103-110"),
        ].join(", "),
    },
});

const databaseDb = new ProviderModel("digitalocean:index/databaseDb:DatabaseDb", {
    clusterId: {
        forceNew: true,
        readBackNote: "as sent (no Update)",
        source: at("digitalocean/database/resource_database_db.go:18-21, 33-38"),
    },
    name: {
        forceNew: true,
        readBackNote: "as sent",
        source: at("digitalocean/database/resource_database_db.go:27-32"),
    },
});

const MODELS = [
    droplet,
    firewall,
    volume,
    vpc,
    reservedIp,
    reservedIpAssignment,
    dnsRecord,
    sshKey,
    project,
    databaseCluster,
    databaseUser,
    databaseConnectionPool,
    databaseFirewall,
    databaseDb,
];

/** A ResourceModel that can also tell a replacing change from an in-place one (ipv6 true → false). */
export interface DigitaloceanModel extends ResourceModel {
    replaces(key: string, prior: unknown, next: unknown): boolean;
    replacements(newInputs: Record<string, unknown>, priorState: Record<string, unknown>): string[];
}

/** The provider models by Pulumi type token. */
export const DIGITALOCEAN_MODELS: Readonly<Record<string, DigitaloceanModel>> = Object.freeze(
    Object.fromEntries(MODELS.map((m) => [m.type, m])),
);

export interface ReadBackRow {
    readonly type: string;
    readonly input: string;
    readonly readBack: string;
    readonly forcesReplacement: string;
    readonly source: string;
}

/** One row per modelled input, for the note's read-back table. */
export function digitaloceanReadBackTable(): ReadBackRow[] {
    return MODELS.flatMap((m) =>
        Object.entries(m.attributes).map(([input, a]) => ({
            type: m.type.replace(/^digitalocean:index\/[^:]+:/, ""),
            input,
            readBack: a.readBackNote,
            forcesReplacement: a.forceNew ? "yes" : a.forceNewIf ? "only true → false" : "no",
            source: a.source,
        })),
    );
}
