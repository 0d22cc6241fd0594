import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import type { Host } from "./host";
import { LocalHost } from "./localHost";

export type { Host } from "./host";
export { LocalHost } from "./localHost";

/** The host for the stack's target. */
export function createHost(cfg: StackConfig, opts?: pulumi.ComponentResourceOptions): Host {
    switch (cfg.target) {
        case "local":
            return new LocalHost("local", {}, opts);
        case "droplet":
        case "ssh":
            throw new pulumi.RunError(
                `target '${cfg.target}' has no host component in this version of the program; ` +
                    `deploy with freshtrack:target local, or use a release that includes the ${cfg.target} host`,
            );
    }
}
