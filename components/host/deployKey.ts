import * as docker from "@pulumi/docker";
import type { RegistryAuth } from "../config";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { DEPLOY_USER } from "./bootstrap";
import { DEFAULT_SSH_PORT } from "./firewallRules";
import { providerRegistryAuth } from "./host";
import { knownHostsLine } from "./hostKey";

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

const DEPLOY_KEY_FILE = "deploy_key";
const KNOWN_HOSTS_FILE = "known_hosts";

/** Where one end of the Docker provider's SSH connection is: the host as the provider dials it. */
export interface SshEndpoint {
    readonly user: string;
    readonly host: string;
    readonly port: number;
}

/**
 * The directory under which each stack keeps its SSH files on the machine running Pulumi. The
 * Docker provider's config in state names them (sshOpts), and `pulumi destroy` and `pulumi refresh`
 * reuse that config without running the program unless given --run-program (docs/operations.md,
 * "Destroy and refresh"), so the path must be the same on every run of the same user and must
 * survive a reboot: under the home directory, never os.tmpdir(). FRESHTRACK_SSH_DIR moves it (the
 * tests do, so that a program run under mocks never overwrites a real stack's key).
 */
export function sshStateRoot(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
    const override = env.FRESHTRACK_SSH_DIR;
    return override ? path.resolve(override) : path.join(home, ".freshtrack", "ssh");
}

/** One path segment from a Pulumi name: letters, digits, '-', '_' and '.'; anything else must not become a path. */
function pathSegment(what: string, name: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(name) || name === "." || name === "..") {
        throw new Error(`deploy key: ${what} name ${JSON.stringify(name)} cannot name a directory`);
    }
    return name;
}

/** One stack's directory: a pure function of the stack name (and the user's root above). */
export function sshStackDir(stack: string, root: string = sshStateRoot()): string {
    return path.join(root, pathSegment("stack", stack));
}

/**
 * The root under which this program's stacks keep their SSH files: one directory per organization and
 * project, so two `prod` stacks of different organizations or projects on one machine (an operator who
 * deploys for several customers) never share a key or a known_hosts file. The organization is "organization"
 * on the file backend, and where the engine names none.
 */
export function sshProjectRoot(root: string = sshStateRoot()): string {
    let organization = "organization";
    try {
        organization = pulumi.getOrganization();
    } catch {
        // The SDK throws when the engine passed no organization (older CLIs, some test set-ups).
    }
    return path.join(root, pathSegment("organization", organization), pathSegment("project", pulumi.getProject()));
}

/**
 * How long an idle master connection stays up for the next API call: past the gaps inside one update, not much longer.
 */
export const CONTROL_PERSIST_SECONDS = 60;

/**
 * sun_path holds 108 bytes on Linux and 104 on macOS, its terminating NUL included; ssh gives up
 * ("too long for Unix domain socket", then exit 255) when the path does not fit (openssh-portable
 * V_9_2_P1 misc.c:1879-1883, mux.c:1291-1311 and 2266-2269). The master first binds at
 * "<ControlPath>.<16 random characters>" and links that into place (mux.c:1262-1286).
 */
const SUN_PATH_BYTES = 104;
const MUX_TEMP_SUFFIX_BYTES = 1 + 16;

/**
 * The multiplexing socket for `target` inside a stack's directory, or undefined when it would be
 * too long to bind. Not ssh's `%C` token: that is 40 hex digits, which with the stack directory and
 * the temporary suffix leaves too little room for the home directory and the stack name on macOS.
 * A hash of the same parts (user, host, port) keeps the master of one host from serving another.
 */
export function controlPath(dir: string, target: SshEndpoint): string | undefined {
    const id = crypto
        .createHash("sha256")
        .update(`${target.user}@${target.host}:${target.port}`)
        .digest("hex")
        .slice(0, 16);
    const socket = path.join(dir, `cm-${id}`);
    return Buffer.byteLength(socket) + MUX_TEMP_SUFFIX_BYTES < SUN_PATH_BYTES ? socket : undefined;
}

/**
 * A file path as ssh reads it: ssh expands `%` tokens and `${VAR}` in IdentityFile, UserKnownHostsFile
 * and ControlPath (openssh-portable V_9_2_P1 ssh.c:1407-1411, 1457-1460, 2285-2286), so `%` is doubled
 * and `${` refused; and, as the value of an `-o` option, quoted when it has white space, where ssh would split it.
 */
function sshPath(p: string): string {
    if (p.includes('"') || p.includes("${")) throw new Error(`ssh options: cannot pass the path ${p} to ssh`);
    const escaped = p.replace(/%/g, "%%");
    return /\s/.test(escaped) ? `"${escaped}"` : escaped;
}

/**
 * The ssh options the Docker provider hands to the `ssh` binary, for a stack's directory `dir`.
 * Pure; the key file is written by installDeployKey.
 *
 * Multiplexing: the provider's SSH transport is the docker CLI's connection helper, which starts
 * one `ssh ... docker system dial-stdio` per Docker API connection (kreuzwerker/terraform-provider-docker
 * v4.5.0 internal/provider/config.go:168 calls docker/cli v28.5.2 cli/connhelper/connhelper.go:34-65,
 * whose dialer runs commandconn.New("ssh", args...) for every dial, line 62; these options go in
 * as given, cli/connhelper/ssh/ssh.go:125-127). `pulumi up` runs 4 x GOMAXPROCS operations at once by default
 * (pulumi/pulumi v3.259.0 pkg/cmd/pulumi/operations/up.go:71-88), so a deploy opens dozens of SSH
 * connections in a burst. sshd's default MaxStartups 10:30:100 (openssh-portable V_9_2_P1
 * servconf.c:396-401) drops 30 % of new unauthenticated connections once 10 are in progress and
 * all of them at 100, and a dropped dial fails the Docker operation. With ControlMaster=auto the
 * first dial of an update authenticates one master connection per stack and host (the socket is
 * per stack directory), and every later dial is a session on it: one stack costs sshd one startup,
 * so even several stacks deploying to one host at once stay far below 10. sshd allows 10
 * sessions per connection (MaxSessions, servconf.c:410-411); a dial the master cannot open a
 * session for falls back to a connection of its own (mux.c:2319-2325 returns to ssh.c:1535-1541),
 * so a burst above 10 costs extra connections, not failures (test/sshTransport.ssh.test.ts).
 */
export function dockerSshOptions(dir: string, target: SshEndpoint): string[] {
    const options = [
        // Not `-i`: ssh checks that path as given before it expands `%` in it (ssh.c:839-848).
        "-o",
        `IdentityFile=${sshPath(path.join(dir, DEPLOY_KEY_FILE))}`,
        "-o",
        "IdentitiesOnly=yes",
        // The host must show the key the program pinned in the stack's known_hosts (installKnownHosts), and no
        // other: yes refuses a host that is not in the file or shows another key (ssh_config(5) StrictHostKeyChecking,
        // openssh-portable V_9_2_P1 ssh_config.5:1806), the system-wide file adds nothing, and the host cannot
        // add keys of its own to the file after login (UpdateHostKeys, ssh_config.5:1907-1941).
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        `UserKnownHostsFile=${sshPath(path.join(dir, KNOWN_HOSTS_FILE))}`,
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "UpdateHostKeys=no",
        // Set, so the connection helper adds no ConnectTimeout of its own (docker/cli connhelper.go:82-87).
        "-o",
        "ConnectTimeout=20",
    ];
    const socket = controlPath(dir, target);
    if (socket)
        options.push(
            "-o",
            "ControlMaster=auto",
            "-o",
            `ControlPath=${sshPath(socket)}`,
            "-o",
            `ControlPersist=${CONTROL_PERSIST_SECONDS}`,
        );
    return options;
}

/**
 * Writes the deploy key into the stack's directory (0700) as a 0600 file, which ssh insists on.
 * The file is replaced only when the key changed, and atomically, so an ssh starting meanwhile
 * never reads half a key. Returns the key file's path.
 */
export function installDeployKey(dir: string, privateKey: string): string {
    return installPrivateFile(dir, DEPLOY_KEY_FILE, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`);
}

/**
 * Writes the known_hosts that pins the host's key into the stack's directory, beside the deploy
 * key and in the same way: the file the Docker provider's ssh checks the host against. `hostKey` is
 * the host's `ssh-ed25519 AAAA...` line; `target` the host and port as the provider dials them.
 */
export function installKnownHosts(dir: string, target: Pick<SshEndpoint, "host" | "port">, hostKey: string): string {
    return installPrivateFile(dir, KNOWN_HOSTS_FILE, knownHostsLine([target.host], target.port, hostKey));
}

/** `text` as `dir/name`, 0600 in a 0700 directory; replaced atomically and only when it changed. */
function installPrivateFile(dir: string, name: string, text: string): string {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // mkdirSync leaves the mode of a directory that already exists alone.
    fs.chmodSync(dir, 0o700);
    const file = path.join(dir, name);
    const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    if (current !== text) {
        const tmp = `${file}.${process.pid}.tmp`;
        // wx: a file left at the temporary name is never written through (O_EXCL), and the mode is set at creation.
        fs.rmSync(tmp, { force: true });
        fs.writeFileSync(tmp, text, { mode: 0o600, flag: "wx" });
        fs.renameSync(tmp, file);
    }
    fs.chmodSync(file, 0o600);
    return file;
}

/**
 * The docker CLI's SSH transport calls the system `ssh` binary, which takes a key file, not key
 * text, and checks the host against a known_hosts file. The key from state and the pinned host key
 * are therefore written to the stack's directory on every run (the machine running `pulumi up` may
 * be a new one), and the options name those files.
 */
export function sshOptionsWithKey(
    stack: string,
    privateKey: pulumi.Output<string>,
    endpoint: { host: pulumi.Input<string>; port: number },
    hostKey: pulumi.Input<string>,
): pulumi.Output<string[]> {
    return pulumi.all([privateKey, endpoint.host, hostKey]).apply(([key, host, pinned]) => {
        const dir = sshStackDir(stack, sshProjectRoot());
        installDeployKey(dir, key);
        const target = { user: DEPLOY_USER, host, port: endpoint.port };
        installKnownHosts(dir, target, pinned);
        if (!controlPath(dir, target)) {
            pulumi.log.warn(
                `SSH to ${host}: ${dir} is too long for ssh's multiplexing socket, so every Docker API call opens its own SSH connection; ` +
                    "set FRESHTRACK_SSH_DIR to a shorter directory",
            );
        }
        return dockerSshOptions(dir, target);
    });
}

/**
 * The daemon's `ssh://` URL. The docker CLI's connection helper, which the provider uses, parses it
 * with Go's url.Parse and takes url.Hostname() (docker/cli cli/connhelper/ssh/ssh.go, ParseURL and
 * newSpec), so an IPv6 address must be in brackets or the URL is refused as having a bad port.
 */
export function dockerSshUrl(address: string, port: number = DEFAULT_SSH_PORT): string {
    const hostPart = net.isIP(address) === 6 ? `[${address}]` : address;
    return `ssh://${DEPLOY_USER}@${hostPart}${port !== DEFAULT_SSH_PORT ? `:${port}` : ""}`;
}

/**
 * A Docker provider that reaches the daemon as `ssh://deploy@address`. The
 * address is taken from `ready`'s output, so the provider is configured only
 * after the host's bootstrap has finished.
 */
export function dockerOverSsh(
    name: string,
    args: {
        stack: string;
        address: pulumi.Input<string>;
        port?: number;
        privateKey: pulumi.Output<string>;
        /** The host's `ssh-ed25519 AAAA...` key line: the only key the provider's ssh accepts from it. */
        hostKey: pulumi.Input<string>;
        registryAuth?: RegistryAuth | undefined;
        ready: pulumi.Output<unknown>;
    },
    opts: pulumi.CustomResourceOptions,
): docker.Provider {
    const port = args.port ?? DEFAULT_SSH_PORT;
    const host = pulumi.all([args.address, args.ready]).apply(([address]) => dockerSshUrl(address, port));
    // The provider hands these to the remote daemon with each pull, so the host needs no `docker login`.
    const registryAuth = providerRegistryAuth(args.registryAuth);
    return new docker.Provider(
        name,
        {
            host,
            sshOpts: sshOptionsWithKey(args.stack, args.privateKey, { host: args.address, port }, args.hostKey),
            ...(registryAuth ? { registryAuth } : {}),
        },
        opts,
    );
}
