/**
 * The read-back models of the droplet target's own resources: the droplet, its data volume, its SSH key and the
 * project that groups them. The rules cite UPSTREAM (digitaloceanSchema.ts says why that commit).
 */
import { createHash } from "crypto";
import { asSet, at, lower, ProviderModel, str, TAGS } from "./digitaloceanSchema";

/** `do:<type>:<id>` URN forms of a reserved IP; the Projects API has listed each in place of the other. */
const RESERVED_IP_URN = /^do:(reservedip|floatingip):(.+)$/;
const OTHER_URN_KIND: Readonly<Record<string, string>> = { reservedip: "floatingip", floatingip: "reservedip" };

const sha1 = (v: unknown) => createHash("sha1").update(str(v)).digest("hex");

export const droplet = new ProviderModel("digitalocean:index/droplet:Droplet", {
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
    resizeDisk: {
        forceNew: false,
        readBackNote:
            "as sent: the provider's own setting, never the API's (Read never sets it; import sets the default, true); used only by a resize",
        source: at("digitalocean/droplet/resource_droplet.go:142-146, 564, 600-622"),
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

export const volume = new ProviderModel("digitalocean:index/volume:Volume", {
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

export const sshKey = new ProviderModel("digitalocean:index/sshKey:SshKey", {
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

export const project = new ProviderModel("digitalocean:index/project:Project", {
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
