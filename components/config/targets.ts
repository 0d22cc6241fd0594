/**
 * Where the stack runs: the droplet it creates, or the VM it reaches over SSH, and which PostgreSQL it uses.
 */
import { hostKeyOnly } from "../host/hostKey";
import type { FieldValues } from "./fields";
import { CONFIG_SCHEMA, Environment, Target } from "./schema";
import { Source } from "./source";
import { DatabaseSettings, DropletSettings, SshSettings } from "./types";

/** freshtrack:droplet's fields as read (Source.fields), before the settings derived from other keys. */
export type DropletFields = FieldValues<(typeof CONFIG_SCHEMA)["droplet"]["fields"]>;

/**
 * The droplet's settings from its fields, which parse.ts reads (`src.fields("droplet")`) so that its rules across keys
 * can use the size too.
 */
export function readDroplet(
    src: Source,
    given: DropletFields,
    environment: Environment,
    domain: string,
): DropletSettings {
    const key = src.key("droplet");
    const { region, size, image, volumeSizeGb, backups, dnsZone } = given;
    if (dnsZone !== undefined && domain !== dnsZone && !domain.endsWith(`.${dnsZone}`)) {
        src.problems.add(`${key}.dnsZone`, dnsZone, `a zone that contains the domain '${domain}'`);
    }
    return {
        region,
        size,
        image,
        volumeSizeGb,
        // DigitalOcean's weekly backups cost 20 % of the droplet; a production stack has them unless it says not.
        backups: backups ?? environment === "production",
        ...(dnsZone !== undefined ? { dnsZone } : {}),
    };
}

export function readSsh(src: Source): SshSettings | undefined {
    const { host, user, port, hostKey } = src.fields("ssh");
    const privateKey = src.secret("sshPrivateKey", "the ssh target bootstraps the VM as that user");
    // A wrong hostKey reads as "" with its problem recorded; parseStackConfig throws on any problem, so these settings
    // are returned with a valid key only.
    return privateKey ? { host, user, port, hostKey: hostKeyOnly(hostKey), privateKey } : undefined;
}

export function readDatabase(src: Source, target: Target): DatabaseSettings {
    const key = src.key("database");
    // Only the mode is read unless it is managed: the other settings mean nothing to a container.
    const chosen = src.fields("database", ["mode"]).mode;
    if (chosen !== "managed") {
        // A fork is DigitalOcean's: a new managed cluster restored from the backups DigitalOcean keeps of the live one
        // (components/platform/managedDatabase.ts). Refused here, before any resource, rather than ignored: an
        // operator who set it expects a copy of the data to exist.
        const forkGiven = src.object("database").fork;
        if (forkGiven !== undefined) {
            const expected =
                `unset while ${key}.mode is ${chosen}: a fork is a copy of a DigitalOcean managed cluster ` +
                `(${key}.mode managed); a container database is restored to a point in time from its own backups ` +
                `(docs/operations.md, "Restore to a point in time")`;
            src.problems.add(`${key}.fork`, forkGiven, expected);
        }
        return { mode: "container" };
    }
    if (target !== "droplet") {
        const expected = `container on the ${target} target (a managed database needs the droplet's VPC)`;
        src.problems.add(`${key}.mode`, chosen, expected);
    }
    const managedSize = src.field("database", "size");
    const managedNodes = src.field("database", "nodeCount");
    // Standby nodes need a plan with at least 2 GB
    // (docs.digitalocean.com/products/databases/postgresql/details/limits).
    if (managedNodes > 1 && managedSize === "db-s-1vcpu-1gb") {
        const expected = "1 with size db-s-1vcpu-1gb; standby nodes need db-s-1vcpu-2gb or larger";
        src.problems.add(`${key}.nodeCount`, managedNodes, expected);
    }
    const managedVersion = src.field("database", "version");
    const fork = src.field("database", "fork");
    return {
        mode: "managed",
        size: managedSize,
        nodeCount: managedNodes,
        version: managedVersion,
        ...(fork !== undefined ? { fork } : {}),
    };
}
