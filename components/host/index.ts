import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import { hostPreflight } from "../preflight/preflight";
import { DropletHost } from "./dropletHost";
import type { Host } from "./host";
import { LocalHost } from "./localHost";
import { SshHost } from "./sshHost";

export type { Host } from "./host";
export { DropletHost } from "./dropletHost";
export { LocalHost } from "./localHost";
export { SshHost } from "./sshHost";

/** The host for the stack's target, plus the deploy key when one was generated. */
export function createHost(
    cfg: StackConfig,
    opts?: pulumi.ComponentResourceOptions,
): Host & { deployPrivateKey?: pulumi.Output<string> } {
    const preflight = hostPreflight(cfg);
    const common = {
        stack: cfg.stack,
        adminCidrs: cfg.adminCidrs,
        preflight,
        ...(cfg.operatorSshPublicKey ? { operatorSshPublicKey: cfg.operatorSshPublicKey } : {}),
        ...(cfg.app.registryAuth ? { registryAuth: cfg.app.registryAuth } : {}),
    };
    switch (cfg.target) {
        case "local":
            return new LocalHost("local", cfg.app.registryAuth ? { registryAuth: cfg.app.registryAuth } : {}, opts);
        case "droplet":
            return new DropletHost(
                "droplet",
                {
                    ...common,
                    environment: cfg.environment,
                    namePrefix: cfg.namePrefix,
                    domain: cfg.domain,
                    droplet: cfg.droplet,
                },
                opts,
            );
        case "ssh":
            return new SshHost("ssh", { ...common, ssh: cfg.ssh }, opts);
    }
}
