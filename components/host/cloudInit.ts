/**
 * The droplet's cloud-config: the deploy user, the SSH host key, the data volume mount and
 * the shared bootstrap script, run once on first boot. Pure: options in, YAML out. It holds the
 * host's private key, so the program passes it to DigitalOcean as a secret.
 */
import * as YAML from "yaml";
import { DUAL_STACK_DOCKER_MAJOR, edgeHasIpv6 } from "../platform/networks";
import { BOOTSTRAP_PATH, DATA_MOUNT, DEPLOY_USER, renderBootstrapScript } from "./bootstrap";

export interface CloudInitOptions {
    readonly deployKeys: readonly string[];
    readonly adminCidrs: readonly string[];
    /** Name of the DigitalOcean block volume attached at creation. */
    readonly volumeName: string;
    /** The droplet's SSH host key, made by the program (components/host/hostKey.ts) so every connection can pin it. */
    readonly hostKey: { readonly privateKey: string; readonly publicKey: string };
}

/** Where DigitalOcean exposes an attached volume (docs.digitalocean.com, "How to Mount Volumes"). */
export function volumeDevice(volumeName: string): string {
    return `/dev/disk/by-id/scsi-0DO_Volume_${volumeName}`;
}

export function renderCloudInit(opts: CloudInitOptions): string {
    const config = {
        groups: ["docker"],
        users: [
            "default",
            {
                name: DEPLOY_USER,
                groups: ["docker"],
                shell: "/bin/bash",
                lock_passwd: true,
                ssh_authorized_keys: [...opts.deployKeys],
            },
        ],
        ssh_pwauth: false,
        // The host key: cloud-init's ssh module deletes the image's host keys (ssh_deletekeys), writes these to
        // /etc/ssh/ssh_host_ed25519_key{,.pub}, and generates no others when ssh_keys is given; ssh_genkeytypes is read
        // only without ssh_keys, and names the same type so that no version makes another key type sshd could offer
        // instead (cloud-init 22.4.2 cloudinit/config/cc_ssh.py:174-194, 199-258; its schema
        // cloudinit/config/schemas/schema-cloud-config-v1.json:2729-2775 needs at least one type). The ssh module runs
        // in cloud-init's init stage, ordered before sshd (Debian's cloud-init 22.4.2 cloud-init.service:13,
        // Before=sshd.service).
        ssh_deletekeys: true,
        ssh_genkeytypes: ["ed25519"],
        ssh_keys: {
            ed25519_private: opts.hostKey.privateKey.endsWith("\n")
                ? opts.hostKey.privateKey
                : `${opts.hostKey.privateKey}\n`,
            ed25519_public: opts.hostKey.publicKey.trim(),
        },
        // nofail: a missing volume must not stop the droplet from booting; the bootstrap then refuses to start Docker.
        mounts: [[volumeDevice(opts.volumeName), DATA_MOUNT, "ext4", "defaults,nofail,discard,noatime", "0", "2"]],
        write_files: [
            {
                path: BOOTSTRAP_PATH,
                permissions: "0755",
                owner: "root:root",
                content: renderBootstrapScript({
                    deployKeys: opts.deployKeys,
                    adminCidrs: opts.adminCidrs,
                    dataMount: DATA_MOUNT,
                    dataDevice: volumeDevice(opts.volumeName),
                    ...(edgeHasIpv6("droplet") ? { minDockerMajor: DUAL_STACK_DOCKER_MAJOR } : {}),
                    // This copy keeps the rules of the droplet's creation; later ones come from droplet-host-rules.
                    hostRulesFirstBootOnly: true,
                }),
            },
        ],
        runcmd: [[BOOTSTRAP_PATH]],
    };
    return `#cloud-config\n${YAML.stringify(config, { lineWidth: 0 })}`;
}
