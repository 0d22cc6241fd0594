import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { SshSettings } from "../config";
import { HostPreflight, renderHostPreflight } from "../preflight/preflight";
import { DEPLOY_USER, renderBootstrapScript } from "./bootstrap";
import { preflightCommand } from "./preflightCommand";
import { DeployKey, dockerOverSsh } from "./deployKey";
import type { RegistryAuth } from "../config";
import type { Host, HostConnection } from "./host";

export interface SshHostArgs {
    /** The Pulumi stack's name (StackConfig.stack): keeps this stack's deploy key and SSH files apart from others'. */
    readonly stack: string;
    /**
     * Networks that may reach SSH (freshtrack:adminCidrs), as CIDRs: the bootstrap allows SSH in UFW from these
     * only.
     */
    readonly adminCidrs: readonly string[];
    /**
     * The VM (freshtrack:ssh): its address, admin user and SSH port, the host key every connection pins, and the admin
     * user's private key (freshtrack:sshPrivateKey, secret), used only for the bootstrap.
     */
    readonly ssh: SshSettings;
    /** The operator's own public key (freshtrack:operatorSshPublicKey), authorised beside the generated deploy key. */
    readonly operatorSshPublicKey?: string;
    /**
     * What the pre-flight checks on the VM before any container is created (hostPreflight(cfg), from
     * freshtrack:preflight and the domain): free space in GB under Docker's data root, DNS names, the stack's label,
     * and the value whose change runs it again (the app version).
     */
    readonly preflight: HostPreflight;
    /** Credentials the host's daemon uses to pull the FreshTrack images from a private registry. */
    readonly registryAuth?: RegistryAuth;
}

/** Runs a script from stdin as root, whether the admin user is root or has sudo. */
export const RUN_AS_ROOT = `if [ "$(id -u)" -eq 0 ]; then bash -s; else sudo -n bash -s; fi`;

/**
 * An existing Ubuntu or Debian VM. The admin user's key (a secret) is used
 * once per bootstrap change to run the same idempotent script a droplet runs
 * from cloud-init; deploys then use the generated deploy key.
 */
export class SshHost extends pulumi.ComponentResource implements Host {
    readonly target = "ssh" as const;
    readonly provider: docker.Provider;
    readonly publicAddress: pulumi.Output<string>;
    readonly ready: pulumi.Resource[];
    readonly connection: HostConnection;
    readonly deployPrivateKey: pulumi.Output<string>;
    readonly hostKey: pulumi.Output<string>;

    constructor(name: string, args: SshHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:host:SshHost", name, {}, opts);
        const deployKey = new DeployKey(
            `${name}-deploy-key`,
            {
                stack: args.stack,
                ...(args.operatorSshPublicKey ? { operatorPublicKey: args.operatorSshPublicKey } : {}),
            },
            { parent: this },
        );
        this.deployPrivateKey = deployKey.privateKey;
        // Root that administers the VM over SSH (ssh.user root) keeps its key login: `no` would lock out the next
        // bootstrap.
        const permitRootLogin = args.ssh.user === "root" ? "prohibit-password" : "no";
        const script = deployKey.authorizedKeys.apply((deployKeys) =>
            renderBootstrapScript({ deployKeys, adminCidrs: args.adminCidrs, sshPort: args.ssh.port, permitRootLogin }),
        );

        const bootstrap = new command.remote.Command(
            `${name}-bootstrap`,
            {
                connection: {
                    host: args.ssh.host,
                    port: args.ssh.port,
                    user: args.ssh.user,
                    privateKey: args.ssh.privateKey,
                    hostKey: args.ssh.hostKey,
                },
                create: RUN_AS_ROOT,
                stdin: script,
                // Re-run whenever the rendered script changes; unchanged, nothing runs.
                triggers: [script],
            },
            { parent: this },
        );
        this.publicAddress = pulumi.output(args.ssh.host);
        this.hostKey = pulumi.output(args.ssh.hostKey);
        this.connection = {
            host: args.ssh.host,
            port: args.ssh.port,
            user: DEPLOY_USER,
            privateKey: deployKey.privateKey,
            hostKey: args.ssh.hostKey,
        };
        const preflight = preflightCommand(`${name}-preflight`, {
            connection: this.connection,
            // ssh.host may be a DNS name: the script compares the public names with what it resolves to on the host.
            script: pulumi.output(renderHostPreflight(args.preflight, args.ssh.host)),
            trigger: args.preflight.trigger,
            dependsOn: [bootstrap],
            parent: this,
        });
        this.ready = [bootstrap, preflight];
        this.provider = dockerOverSsh(
            `${name}-docker`,
            {
                stack: args.stack,
                address: args.ssh.host,
                port: args.ssh.port,
                privateKey: deployKey.privateKey,
                hostKey: args.ssh.hostKey,
                registryAuth: args.registryAuth,
                ready: bootstrap.stdout,
            },
            { parent: this },
        );
        this.registerOutputs({ publicAddress: this.publicAddress });
    }
}
