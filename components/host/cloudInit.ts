/**
 * The droplet's cloud-config: the deploy user, the data volume mount and the
 * shared bootstrap script, run once on first boot. Pure: options in, YAML out.
 */
import * as YAML from "yaml";
import { BOOTSTRAP_PATH, DATA_MOUNT, DEPLOY_USER, renderBootstrapScript } from "./bootstrap";

export interface CloudInitOptions {
    readonly deployKeys: readonly string[];
    readonly adminCidrs: readonly string[];
    /** Name of the DigitalOcean block volume attached at creation. */
    readonly volumeName: string;
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
        // nofail: a missing volume must not stop the droplet from booting; the bootstrap then refuses to start Docker.
        mounts: [[volumeDevice(opts.volumeName), DATA_MOUNT, "ext4", "defaults,nofail,discard,noatime", "0", "2"]],
        write_files: [
            {
                path: BOOTSTRAP_PATH,
                permissions: "0755",
                owner: "root:root",
                content: renderBootstrapScript({ deployKeys: opts.deployKeys, adminCidrs: opts.adminCidrs, dataMount: DATA_MOUNT }),
            },
        ],
        runcmd: [[BOOTSTRAP_PATH]],
    };
    return `#cloud-config\n${YAML.stringify(config, { lineWidth: 0 })}`;
}
