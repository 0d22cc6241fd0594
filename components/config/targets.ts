/**
 * Where the stack runs: the droplet it creates, or the VM it reaches over SSH, and which PostgreSQL it uses.
 */
import { checkHostKeyLine, hostKeyOnly, keyscanCommand } from "../host/hostKey";
import { required } from "./fields";
import { Environment, fieldsOf, Target } from "./schema";
import { Source } from "./source";
import { DatabaseSettings, DropletSettings, SshSettings } from "./types";

export function readDroplet(src: Source, environment: Environment, domain: string): DropletSettings {
    const key = src.key("droplet");
    const { region, size, image, volumeSizeGb, backups, dnsZone } = src.fields("droplet", fieldsOf("droplet"));
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
    const key = src.key("ssh");
    const obj = src.object("ssh");
    const { host, user, port } = src.fields("ssh", fieldsOf("ssh"), ["hostKey"]);
    // Pinned by every connection, so never trusted on first use: the operator reads it and checks it out of band.
    const scan =
        `run \`${keyscanCommand(host || "<host>", port)}\` from a machine you trust and compare the key's fingerprint ` +
        "(`ssh-keygen -lf -` on that line) with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` run on the VM's console";
    const hostKeySpec = required<string>(
        (v) => {
            if (typeof v !== "string") return "a string";
            const problem = checkHostKeyLine(v);
            return problem ? `${problem}; ${scan}` : undefined;
        },
        `the VM's SSH host key, "ssh-ed25519 AAAA..." (the line ssh-keyscan prints, without the host name before ` +
            `it), so that no connection trusts whichever host answers: ${scan}`,
    );
    // Unset or wrong, it reads as undefined (it has no default), and the problem is recorded.
    const hostKey: string | undefined = src.field(`${key}.hostKey`, obj.hostKey, hostKeySpec);
    const privateKey = src.secret("sshPrivateKey", "the ssh target bootstraps the VM as that user");
    return privateKey && hostKey !== undefined
        ? { host, user, port, hostKey: hostKeyOnly(hostKey), privateKey }
        : undefined;
}

export function readDatabase(src: Source, target: Target): DatabaseSettings {
    const key = src.key("database");
    const obj = src.object("database");
    const { mode, size, nodeCount, version } = fieldsOf("database");
    // Only the mode is read unless it is managed: the other settings mean nothing to a container.
    const chosen = src.fields("database", { mode }, ["size", "nodeCount", "version"]).mode;
    if (chosen !== "managed") return { mode: "container" };
    if (target !== "droplet") {
        const expected = `container on the ${target} target (a managed database needs the droplet's VPC)`;
        src.problems.add(`${key}.mode`, chosen, expected);
    }
    const managedSize = src.field(`${key}.size`, obj.size, size);
    const managedNodes = src.field(`${key}.nodeCount`, obj.nodeCount, nodeCount);
    // Standby nodes need a plan with at least 2 GB
    // (docs.digitalocean.com/products/databases/postgresql/details/limits).
    if (managedNodes > 1 && managedSize === "db-s-1vcpu-1gb") {
        const expected = "1 with size db-s-1vcpu-1gb; standby nodes need db-s-1vcpu-2gb or larger";
        src.problems.add(`${key}.nodeCount`, managedNodes, expected);
    }
    const managedVersion = src.field(`${key}.version`, obj.version, version);
    return { mode: "managed", size: managedSize, nodeCount: managedNodes, version: managedVersion };
}
