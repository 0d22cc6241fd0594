import * as command from "@pulumi/command";
import * as digitalocean from "@pulumi/digitalocean";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DropletSettings } from "../config";
import {
    dnsRecordsOfType,
    DnsRecordSpec,
    dropletDnsRecords,
    HostPreflight,
    recordLine,
    renderHostPreflight,
} from "../preflight/preflight";
import { BOOTSTRAP_MARKER, DEPLOY_USER, HOST_RULES_PATH, renderHostRules } from "./bootstrap";
import { preflightCommand } from "./preflightCommand";
import { renderCloudInit } from "./cloudInit";
import { DeployKey, dockerOverSsh } from "./deployKey";
import { Firewall } from "./firewall";
import { DEFAULT_SSH_PORT } from "./firewallRules";
import type { Environment, RegistryAuth } from "../config";
import type { Host, HostConnection } from "./host";
import { DropletHostKey } from "./hostKey";

export interface DropletHostArgs {
    /**
     * The Pulumi stack's name (StackConfig.stack): in the droplet's and volume's tag (`freshtrack-<stack>`) and the
     * VPC's and project's descriptions; it keeps this stack's deploy key and SSH files apart from another's.
     */
    readonly stack: string;
    /** What the stack is for: it names the DigitalOcean project's environment. */
    readonly environment: Environment;
    /**
     * Prefix of every DigitalOcean object's name (StackConfig.namePrefix, `freshtrack-<stack>`): the droplet is
     * `<prefix>-host`, the volume `<prefix>-data`, the project `<prefix>`.
     */
    readonly namePrefix: string;
    /**
     * The dashboard's public DNS name (freshtrack:domain): with `droplet.dnsZone` set, its A/AAAA records and those of
     * `*.<domain>` are created in that zone, pointing at the reserved IP and the droplet's IPv6 address.
     */
    readonly domain: string;
    /**
     * Networks that may reach SSH (freshtrack:adminCidrs), as CIDRs: the cloud firewall's and UFW's only SSH sources.
     */
    readonly adminCidrs: readonly string[];
    /**
     * The droplet's settings (freshtrack:droplet): region, size, image, the data volume's size in GB, DigitalOcean's
     * weekly backups (on by default in the production environment) and the optional DNS zone.
     */
    readonly droplet: DropletSettings;
    /** The operator's own public key, authorised beside the generated deploy key. */
    readonly operatorSshPublicKey?: string;
    /**
     * What the pre-flight checks on the droplet before any container is created (hostPreflight(cfg), from
     * freshtrack:preflight and the domain): free space in GB on the data volume, DNS names, the stack's label, and
     * the value whose change runs it again (the app version).
     */
    readonly preflight: HostPreflight;
    /** Credentials the host's daemon uses to pull the FreshTrack images from a private registry. */
    readonly registryAuth?: RegistryAuth;
}

/** DigitalOcean's name of each environment (its projects take Development, Staging or Production). */
const PROJECT_ENVIRONMENTS: Readonly<Record<Environment, string>> = {
    development: "Development",
    staging: "Staging",
    production: "Production",
};

/** The record name of `domain` inside `zone`: `@` for the apex. */
export function recordName(domain: string, zone: string): string {
    return domain === zone ? "@" : domain.slice(0, -(zone.length + 1));
}

/**
 * A droplet the program creates, with everything around it: its VPC, a
 * protected block volume holding all persistent data (Docker's data root is
 * on it), a reserved IP, the cloud firewall, a DigitalOcean project, DNS
 * records when the zone is in DigitalOcean (otherwise the records to create,
 * logged as soon as their addresses exist), and the wait for bootstrap.
 *
 * The droplet is never replaced by a change to `userData`, `sshKeys` or
 * `image`: those only apply at creation, and a replacement would boot an
 * empty machine. To rebuild deliberately, see docs/operations.md
 * (`pulumi up --replace <droplet URN>`; the data volume and reserved IP stay).
 */
export class DropletHost extends pulumi.ComponentResource implements Host {
    readonly target = "droplet" as const;
    readonly provider: docker.Provider;
    readonly publicAddress: pulumi.Output<string>;
    readonly ready: pulumi.Resource[];
    readonly connection: HostConnection;
    readonly digitalocean: Host["digitalocean"];
    readonly droplet: digitalocean.Droplet;
    readonly volume: digitalocean.Volume;
    /** The generated deploy key, for the stack output (secret). */
    readonly deployPrivateKey: pulumi.Output<string>;
    readonly hostKey: pulumi.Output<string>;
    readonly publicIpv6: pulumi.Output<string>;
    /**
     * Without `droplet.dnsZone`: the A and AAAA records the operator creates at their own DNS provider, for the stack
     * output `dnsRecords`. Undefined when the stack creates them in its DigitalOcean zone.
     */
    readonly dnsRecords?: pulumi.Output<DnsRecordSpec[]>;

    constructor(name: string, args: DropletHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:host:DropletHost", name, {}, opts);
        const s = args.droplet;
        const tags = ["freshtrack", `freshtrack-${args.stack}`];

        const deployKey = new DeployKey(
            `${name}-deploy-key`,
            {
                stack: args.stack,
                ...(args.operatorSshPublicKey ? { operatorPublicKey: args.operatorSshPublicKey } : {}),
            },
            { parent: this },
        );
        this.deployPrivateKey = deployKey.privateKey;
        // Installed by cloud-init and pinned by every connection from the first one on.
        const hostKey = new DropletHostKey(`${name}-host-key`, { parent: this });
        this.hostKey = hostKey.publicKey;
        const sshKey = new digitalocean.SshKey(
            `${name}-ssh-key`,
            { name: `${args.namePrefix}-deploy`, publicKey: deployKey.publicKey },
            { parent: this },
        );

        const vpc = new digitalocean.Vpc(
            `${name}-vpc`,
            { name: `${args.namePrefix}-vpc`, region: s.region, description: `FreshTrack ${args.stack}` },
            { parent: this },
        );

        const volumeName = `${args.namePrefix}-data`;
        this.volume = new digitalocean.Volume(
            `${name}-data`,
            {
                name: volumeName,
                region: s.region,
                size: s.volumeSizeGb,
                initialFilesystemType: "ext4",
                description: "FreshTrack persistent data (Docker data root)",
                tags,
            },
            // Holds every database, object and certificate: never deleted or replaced by Pulumi.
            { parent: this, protect: true },
        );

        this.droplet = new digitalocean.Droplet(
            `${name}-droplet`,
            {
                name: `${args.namePrefix}-host`,
                region: s.region,
                size: s.size,
                // A size change resizes in place (power off, resize, power on), and by default grows the droplet's
                // own disk too, which can never shrink again: terraform-provider-digitalocean v2.99.1
                // digitalocean/droplet/resource_droplet.go:142-146 (resize_disk defaults to true), 600-653, and
                // docs/resources/droplet.md:60-63. Every byte of data is on the volume, so keep the disk and with it
                // the way back to the smaller size (docs/troubleshooting.md, "Resizing the droplet").
                resizeDisk: false,
                image: s.image,
                vpcUuid: vpc.id,
                monitoring: true,
                backups: s.backups,
                // Explicitly weekly: left out, DigitalOcean defaults to daily, at 30 % of the droplet's price
                // instead of 20 % (docs.digitalocean.com/products/backups/details/pricing).
                ...(s.backups ? { backupPolicy: { plan: "weekly", weekday: "SUN", hour: 4 } } : {}),
                ipv6: true,
                sshKeys: [sshKey.fingerprint],
                // Attached at creation, so cloud-init can mount it on first boot.
                volumeIds: [this.volume.id],
                // Secret: it carries the host's private key. Ignored after creation (below); `pulumi up --replace`
                // uses the program's current value (docs/operations.md, "Rebuilding the droplet on purpose").
                userData: pulumi.secret(
                    pulumi
                        .all([deployKey.authorizedKeys, hostKey.privateKey, hostKey.publicKey])
                        .apply(([deployKeys, privateKey, publicKey]) =>
                            renderCloudInit({
                                deployKeys,
                                adminCidrs: args.adminCidrs,
                                volumeName,
                                hostKey: { privateKey, publicKey },
                            }),
                        ),
                ),
                tags,
            },
            {
                parent: this,
                ignoreChanges: ["userData", "sshKeys", "image"],
                // A deliberate rebuild (--replace) must free the data volume first: it attaches to one droplet at a
                // time.
                deleteBeforeReplace: true,
            },
        );

        const reservedIp = new digitalocean.ReservedIp(`${name}-ip`, { region: s.region }, { parent: this });
        const assignment = new digitalocean.ReservedIpAssignment(
            `${name}-ip-assignment`,
            { ipAddress: reservedIp.ipAddress, dropletId: this.droplet.id.apply(Number) },
            { parent: this },
        );
        this.publicAddress = reservedIp.ipAddress;
        this.publicIpv6 = this.droplet.ipv6Address;

        const firewall = new Firewall(
            `${args.namePrefix}-firewall`,
            { dropletId: this.droplet.id, adminCidrs: args.adminCidrs },
            { parent: this },
        );

        new digitalocean.Project(
            `${name}-project`,
            {
                name: args.namePrefix,
                environment: PROJECT_ENVIRONMENTS[args.environment],
                purpose: "Web Application",
                description: `FreshTrack Pro, stack ${args.stack}`,
                // Not the reserved IP: the Projects API lists its URN in another form than the one the provider
                // sends (do:floatingip vs do:reservedip; terraform-provider-digitalocean #1264, #1455), so every
                // second `up` would try to move it out of the project, which the API refuses for an assigned IP.
                resources: [this.droplet.dropletUrn, this.volume.volumeUrn],
            },
            { parent: this },
        );

        const zoneRecords: digitalocean.DnsRecord[] = [];
        if (s.dnsZone) {
            const zone = s.dnsZone;
            for (const [suffix, label] of [
                ["", "apex"],
                ["*.", "wildcard"],
            ] as const) {
                const record = recordName(`${suffix}${args.domain}`, zone);
                const a = { domain: zone, name: record, type: "A", value: reservedIp.ipAddress, ttl: 300 };
                const aaaa = { domain: zone, name: record, type: "AAAA", value: this.publicIpv6, ttl: 300 };
                zoneRecords.push(
                    new digitalocean.DnsRecord(`${name}-dns-${label}-a`, a, { parent: this }),
                    new digitalocean.DnsRecord(`${name}-dns-${label}-aaaa`, aaaa, { parent: this }),
                );
            }
        } else {
            // DNS at another provider: the operator cannot create the records before the first `up`, which makes the
            // addresses they point at, and its pre-flight waits for them. So each address is logged with its records
            // the moment it exists, while the update goes on: the reserved IP within seconds, the droplet's IPv6
            // about a minute later, both minutes before the pre-flight looks (after the bootstrap). An apply runs only
            // on a known value (@pulumi/pulumi 3.270.0 output.js:311-333), so a preview of the first `up` prints
            // nothing, and later previews and updates print the records again from state. log.info reaches the
            // engine as an info diagnostic on the resource (log/index.js:60-69, 102-124), which `pulumi up` shows on
            // that resource's line as it arrives and under "Diagnostics" at the end; that line holds only a message's
            // first line (pulumi/pulumi v3.259.0 pkg/backend/display/rows.go:445-461), so each notice is one line.
            const waits = args.preflight.dnsByHand !== undefined;
            const announce = (address: pulumi.Output<string>, type: DnsRecordSpec["type"], on: pulumi.Resource) =>
                address.apply((value) => {
                    if (value) void pulumi.log.info(dnsByHandNotice(args.domain, type, value, waits), on);
                });
            announce(reservedIp.ipAddress, "A", reservedIp);
            announce(this.droplet.ipv6Address, "AAAA", this.droplet);
            this.dnsRecords = pulumi
                .all([reservedIp.ipAddress, this.droplet.ipv6Address])
                .apply(([ipv4, ipv6]) => dropletDnsRecords(args.domain, ipv4, ipv6));
        }

        // The droplet's own address: it answers SSH before the reserved IP is assigned.
        this.connection = {
            host: this.droplet.ipv4Address,
            port: DEFAULT_SSH_PORT,
            user: DEPLOY_USER,
            privateKey: deployKey.privateKey,
            hostKey: hostKey.publicKey,
        };
        const bootstrapped = new command.remote.Command(
            `${name}-bootstrap-wait`,
            {
                // A new droplet answers SSH only after boot; keep dialling for about five minutes.
                connection: { ...this.connection, dialErrorLimit: 30, perDialTimeout: 10 },
                // Fails the update when cloud-init or the bootstrap failed; prints why.
                create: `cloud-init status --wait >/dev/null || true; if [ ! -f ${BOOTSTRAP_MARKER} ]; then echo "bootstrap did not finish; see /var/log/cloud-init-output.log on the droplet" >&2; exit 1; fi; docker info --format 'docker {{.ServerVersion}} ready, data root {{.DockerRootDir}}'`,
                triggers: [this.droplet.id],
            },
            { parent: this, dependsOn: [assignment, firewall] },
        );
        // cloud-init runs the bootstrap once, so the UFW rules and the deploy user's keys it applied would keep the
        // values of the first boot while the cloud firewall follows config. Every deploy whose rules changed applies
        // them again through the helper the bootstrap installed, which the deploy user may run as root (and nothing
        // else: renderSudoers). The rules are data on stdin; the helper refuses anything but UFW rules and public keys.
        const hostRules = deployKey.authorizedKeys.apply((deployKeys) =>
            renderHostRules({ adminCidrs: args.adminCidrs, sshPort: DEFAULT_SSH_PORT, deployKeys }),
        );
        const hostRulesApplied = new command.remote.Command(
            `${name}-host-rules`,
            {
                connection: { ...this.connection },
                create: `sudo -n ${HOST_RULES_PATH}`,
                stdin: hostRules,
                // Again when the rules change, and on a rebuilt droplet.
                triggers: [hostRules, this.droplet.id],
            },
            { parent: this, dependsOn: [bootstrapped] },
        );
        const preflight = preflightCommand(`${name}-preflight`, {
            connection: this.connection,
            script: pulumi
                .all([this.publicAddress, this.publicIpv6])
                .apply(([publicAddress, publicIpv6]) => renderHostPreflight(args.preflight, publicAddress, publicIpv6)),
            trigger: args.preflight.trigger,
            // The records it checks must exist first; on a first `up` nothing else orders them before it.
            dependsOn: [bootstrapped, hostRulesApplied, ...zoneRecords],
            parent: this,
        });
        this.ready = [bootstrapped, hostRulesApplied, preflight];

        this.provider = dockerOverSsh(
            `${name}-docker`,
            {
                stack: args.stack,
                address: this.droplet.ipv4Address,
                privateKey: deployKey.privateKey,
                hostKey: hostKey.publicKey,
                registryAuth: args.registryAuth,
                ready: bootstrapped.stdout,
            },
            { parent: this },
        );
        this.digitalocean = { region: s.region, dropletId: this.droplet.id, vpcId: vpc.id };

        this.registerOutputs({
            publicAddress: this.publicAddress,
            dropletId: this.droplet.id,
            volumeId: this.volume.id,
            ...(this.dnsRecords ? { dnsRecords: this.dnsRecords } : {}),
        });
    }
}

/**
 * The line logged for one address when DNS is at another provider: the records of that type, as an operator types
 * them. AAAA records are optional (without them the stack is reached over IPv4 alone). `waits`: the pre-flight checks
 * the names (the ACME modes).
 */
export function dnsByHandNotice(domain: string, type: DnsRecordSpec["type"], address: string, waits: boolean): string {
    const records = dnsRecordsOfType(domain, type, address).map(recordLine);
    const optional = type === "AAAA" ? ", or no AAAA record at all" : "";
    const then = waits ? "; the pre-flight waits for them" : "";
    return `DNS is kept at another provider (freshtrack:droplet.dnsZone is unset): create ${records.join(" and ")} there${optional}${then}`;
}
