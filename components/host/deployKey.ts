import * as docker from "@pulumi/docker";
import type { RegistryAuth } from "../config";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEPLOY_USER } from "./bootstrap";

export interface DeployKeyArgs {
    /** Stack name; keeps one stack's key file apart from another's. */
    readonly stack: string;
    /** The operator's own public key, authorised beside the generated one. */
    readonly operatorPublicKey?: string;
}

/**
 * The SSH key every deploy uses to reach the host's Docker daemon as the
 * deploy user. Generated once and kept in Pulumi state as a secret, so any
 * operator with access to the stack can deploy without copying keys around.
 */
export class DeployKey extends pulumi.ComponentResource {
    readonly publicKey: pulumi.Output<string>;
    readonly privateKey: pulumi.Output<string>;
    /** Every key the deploy user accepts: the generated one, and the operator's if given. */
    readonly authorizedKeys: pulumi.Output<string[]>;

    constructor(name: string, args: DeployKeyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:host:DeployKey", name, { stack: args.stack }, opts);
        const key = new tls.PrivateKey(`${name}-ed25519`, { algorithm: "ED25519" }, { parent: this });
        this.publicKey = key.publicKeyOpenssh.apply((k) => k.trim());
        this.privateKey = pulumi.secret(key.privateKeyOpenssh);
        const operatorKeys = args.operatorPublicKey ? [args.operatorPublicKey] : [];
        this.authorizedKeys = this.publicKey.apply((k) => [k, ...operatorKeys]);
        this.registerOutputs({ publicKey: this.publicKey });
    }
}

/**
 * The docker CLI's SSH transport, which the Docker provider uses, calls the
 * system `ssh` binary; it takes a key file, not key text. The key from state
 * is therefore written to a private per-stack directory on every run (the
 * machine running `pulumi up` may be a new one). Returns the ssh options.
 */
export function sshOptionsWithKey(stack: string, privateKey: pulumi.Output<string>): pulumi.Output<string[]> {
    return privateKey.apply((key) => {
        const dir = path.join(os.tmpdir(), `freshtrack-ssh-${os.userInfo().uid}`, stack);
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const keyFile = path.join(dir, "deploy_key");
        fs.writeFileSync(keyFile, key.endsWith("\n") ? key : `${key}\n`, { mode: 0o600 });
        return [
            "-i", keyFile,
            "-o", "IdentitiesOnly=yes",
            "-o", "StrictHostKeyChecking=accept-new",
            "-o", `UserKnownHostsFile=${path.join(dir, "known_hosts")}`,
            "-o", "ConnectTimeout=20",
        ];
    });
}

/**
 * A Docker provider that reaches the daemon as `ssh://deploy@address`. The
 * address is taken from `ready`'s output, so the provider is configured only
 * after the host's bootstrap has finished.
 */
export function dockerOverSsh(
    name: string,
    args: { stack: string; address: pulumi.Input<string>; port?: number; privateKey: pulumi.Output<string>; registryAuth?: RegistryAuth | undefined; ready: pulumi.Output<unknown> },
    opts: pulumi.CustomResourceOptions,
): docker.Provider {
    const host = pulumi.all([args.address, args.ready]).apply(([address]) => `ssh://${DEPLOY_USER}@${address}${args.port && args.port !== 22 ? `:${args.port}` : ""}`);
    // The provider hands these to the remote daemon with each pull, so the host needs no `docker login`.
    const registryAuth = args.registryAuth ? [{ address: args.registryAuth.server, username: args.registryAuth.username, password: args.registryAuth.password }] : undefined;
    return new docker.Provider(name, { host, sshOpts: sshOptionsWithKey(args.stack, args.privateKey), ...(registryAuth ? { registryAuth } : {}) }, opts);
}
