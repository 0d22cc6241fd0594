import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { RegistryAuth, Target } from "../config";
import type { DnsRecordSpec } from "../preflight/preflight";

/** How `@pulumi/command` reaches a remote host as the deploy user. */
export interface HostConnection {
    readonly host: pulumi.Input<string>;
    readonly port: number;
    readonly user: string;
    readonly privateKey: pulumi.Output<string>;
    /**
     * The host's `ssh-ed25519 AAAA...` key: @pulumi/command accepts this key and no other from the
     * host (pulumi/pulumi-command v1.2.1 provider/pkg/provider/remote/connection.go:88-94, ssh.FixedHostKey);
     * without it, it accepts any (InsecureIgnoreHostKey, :95-97).
     */
    readonly hostKey: pulumi.Input<string>;
}

/**
 * What every target yields, so the layers below never ask which target they
 * run on: a Docker provider for the target's daemon, the address users reach,
 * and the resources that must finish (bootstrap) before any container starts.
 */
export interface Host {
    readonly target: Target;
    /** Every Docker resource is created through this provider. */
    readonly provider: docker.Provider;
    /** Where the stack is reached from outside: an IP address or `127.0.0.1`. */
    readonly publicAddress: pulumi.Output<string>;
    /** Host preparation that containers must wait for (empty on `local`). */
    readonly ready: pulumi.Resource[];
    /**
     * Local target: the daemon address the provider was given (unset: DOCKER_HOST or the default socket), for docker
     * CLI commands.
     */
    readonly dockerHost?: pulumi.Input<string>;
    /** Remote targets: an SSH connection as the deploy user, for commands run on the host. */
    readonly connection?: HostConnection;
    /**
     * Remote targets: the host's SSH key line that every connection pins, for the stack output the operator scripts
     * read.
     */
    readonly hostKey?: pulumi.Output<string>;
    /** Droplet target: its IPv6 address, which AAAA records point at (it changes when the droplet is rebuilt). */
    readonly publicIpv6?: pulumi.Output<string>;
    /**
     * Droplet target with DNS at another provider: the A and AAAA records the operator creates there, for the stack
     * output `dnsRecords`.
     */
    readonly dnsRecords?: pulumi.Output<DnsRecordSpec[]>;
    /** Droplet target: what DigitalOcean resources beside the droplet attach to. */
    readonly digitalocean?: {
        readonly region: string;
        readonly dropletId: pulumi.Output<string>;
        readonly vpcId: pulumi.Output<string>;
    };
}

/**
 * What a container needs of its host beside the Docker provider: what to wait for, and how commands reach the daemon.
 */
export type DockerDaemon = Pick<Host, "ready" | "connection" | "dockerHost">;

/**
 * The Docker provider's `registryAuth` for the FreshTrack registry. Without it the provider pulls
 * anonymously: it reads credentials only from its own `registry_auth` setting, never from the
 * operator's `docker login` (kreuzwerker/terraform-provider-docker v4.5.0 internal/provider/provider.go:235-243,
 * resource_docker_image_funcs.go:252-256), so a private registry needs this on every target.
 */
export function providerRegistryAuth(
    auth: RegistryAuth | undefined,
): docker.types.input.ProviderRegistryAuth[] | undefined {
    return auth ? [{ address: auth.server, username: auth.username, password: auth.password }] : undefined;
}
