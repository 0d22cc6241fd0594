import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { RegistryAuth } from "../config";
import { Host, providerRegistryAuth } from "./host";

export interface LocalHostArgs {
    /**
     * Docker daemon address. Left unset, the provider uses DOCKER_HOST or the
     * platform's default socket, as the docker CLI does.
     */
    readonly dockerHost?: pulumi.Input<string>;
    /** Credentials for a private FreshTrack registry. */
    readonly registryAuth?: RegistryAuth;
}

/** The operator's own Docker daemon: nothing to create but the provider. */
export class LocalHost extends pulumi.ComponentResource implements Host {
    readonly target = "local" as const;
    readonly provider: docker.Provider;
    readonly publicAddress: pulumi.Output<string>;
    readonly ready: pulumi.Resource[] = [];
    readonly dockerHost?: pulumi.Input<string>;

    constructor(name: string, args: LocalHostArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:host:LocalHost", name, {}, opts);
        if (args.dockerHost !== undefined) this.dockerHost = args.dockerHost;
        const registryAuth = providerRegistryAuth(args.registryAuth);
        this.provider = new docker.Provider(
            `${name}-docker`,
            {
                ...(args.dockerHost !== undefined ? { host: args.dockerHost } : {}),
                ...(registryAuth ? { registryAuth } : {}),
            },
            { parent: this },
        );
        this.publicAddress = pulumi.output("127.0.0.1");
        this.registerOutputs({ publicAddress: this.publicAddress });
    }
}
