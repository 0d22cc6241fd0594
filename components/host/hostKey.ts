/**
 * The SSH host key every connection to a remote host pins: the Docker provider's ssh, the
 * @pulumi/command connections and the operator scripts. A droplet's key is made here and installed
 * by cloud-init, so it is known before the first contact; an ssh target's comes from config
 * (`freshtrack:ssh.hostKey`), read by the operator out of band.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { DEFAULT_SSH_PORT } from "./firewallRules";

/**
 * The one host key type pinned. Every supported image (Ubuntu 22.04/24.04, Debian 12) has an
 * ed25519 host key, cloud-init installs one (cc_ssh), and pinning a single type keeps the
 * negotiation simple: OpenSSH puts the algorithms of keys it already knows for the host first
 * (openssh-portable V_9_2_P1 sshconnect2.c:123 order_hostkeyalgs), and @pulumi/command offers only
 * the type of its pinned key (pulumi/pulumi-command v1.2.1 provider/pkg/provider/remote/connection.go:88-94).
 */
export const HOST_KEY_TYPE = "ssh-ed25519";

/** An ed25519 public key blob: string "ssh-ed25519", then a 32-byte string (RFC 8709 section 4). */
function isEd25519Blob(blob: Buffer): boolean {
    const type = Buffer.from(HOST_KEY_TYPE);
    if (blob.length !== 4 + type.length + 4 + 32) return false;
    if (blob.readUInt32BE(0) !== type.length || !blob.subarray(4, 4 + type.length).equals(type)) return false;
    return blob.readUInt32BE(4 + type.length) === 32;
}

/**
 * Why `line` is not one ed25519 public key line (`ssh-ed25519 AAAA... [comment]`), or undefined
 * when it is. Only the type and the key count; the comment is dropped wherever the key is used.
 */
export function checkHostKeyLine(line: string): string | undefined {
    const expected = `one ed25519 public key line, "${HOST_KEY_TYPE} AAAA..." (the line ssh-keyscan -t ed25519 prints, without the host name before it, or /etc/ssh/ssh_host_ed25519_key.pub on the host)`;
    const m = /^(\S+) ([A-Za-z0-9+/]+={0,2})(?: [^\r\n]*)?$/.exec(line.trim());
    if (!m || line.trim().includes("\n")) return expected;
    if (m[1] !== HOST_KEY_TYPE) return `${expected}; this is a ${m[1]} key`;
    return isEd25519Blob(Buffer.from(m[2]!, "base64")) ? undefined : `${expected}; the key data is not an ed25519 key`;
}

/** `type base64` of a checked key line, without its comment: what known_hosts and @pulumi/command are given. */
export function hostKeyOnly(line: string): string {
    const [type, key] = line.trim().split(/\s+/);
    return `${type} ${key}`;
}

/**
 * The known_hosts line that pins `keyLine` for `hosts` (the names and addresses ssh is given) on
 * `port`. Hostnames are a comma-separated list; a host on another port than 22 is written
 * `[host]:port` (openssh-portable V_9_2_P1 sshd.8:698-754, "SSH_KNOWN_HOSTS FILE FORMAT"), which is
 * how ssh looks it up (misc.c:665-675, put_host_port). An IPv6 address goes in as written.
 */
export function knownHostsLine(hosts: readonly string[], port: number, keyLine: string): string {
    if (hosts.length === 0) throw new Error("knownHostsLine: no host to pin the key for");
    for (const host of hosts) {
        // known_hosts patterns treat these as wildcards, negation or separators; a config-checked host never has them.
        if (!/^[A-Za-z0-9.:_-]+$/.test(host))
            throw new Error(`knownHostsLine: ${JSON.stringify(host)} cannot be a known_hosts host name`);
    }
    const names = hosts.map((h) => (port === DEFAULT_SSH_PORT ? h : `[${h}]:${port}`));
    return `${[...new Set(names)].join(",")} ${hostKeyOnly(keyLine)}\n`;
}

/** The line to run on a trusted machine to read a host's key, as a config error and the docs give it. */
export function keyscanCommand(host: string, port: number): string {
    return `ssh-keyscan -p ${port} -t ed25519 ${host}`;
}

/**
 * A droplet's SSH host key, made by the program so that every connection can pin it from the
 * first one on. Kept in state; the private half is a secret and reaches the droplet only through
 * its cloud-init user data (components/host/cloudInit.ts).
 */
export class DropletHostKey extends pulumi.ComponentResource {
    /** `ssh-ed25519 AAAA...`, no comment. */
    readonly publicKey: pulumi.Output<string>;
    readonly privateKey: pulumi.Output<string>;

    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:host:DropletHostKey", name, {}, opts);
        // No inputs but the algorithm: nothing in config replaces it, so a rebuilt droplet gets the same key.
        const key = new tls.PrivateKey(`${name}-ed25519`, { algorithm: "ED25519" }, { parent: this });
        this.publicKey = key.publicKeyOpenssh.apply(hostKeyOnly);
        this.privateKey = pulumi.secret(key.privateKeyOpenssh);
        this.registerOutputs({ publicKey: this.publicKey });
    }
}
