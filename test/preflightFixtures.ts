/**
 * What the pre-flight's tests share (test/preflight.test.ts, test/appImageCheck.servers.test.ts,
 * test/preflightCpus.servers.test.ts) and, for the ssh target, the config's cpus rule beside them
 * (test/configCpus.test.ts).
 */
import * as os from "os";
import { PreflightOptions } from "../components/preflight/preflight";

/**
 * A pre-flight run on this machine with nothing of its own to fail: no ports, no DNS names, a gigabyte free in the
 * temp directory, this machine as the public address. A test adds the one check it is about.
 */
export const PREFLIGHT_HERE: PreflightOptions = {
    stackLabel: "freshtrack-test",
    dataPath: os.tmpdir(),
    minFreeGb: 1,
    ports: [],
    dnsNames: [],
    publicAddress: "127.0.0.1",
};

/**
 * The settings of an ssh-target stack (the config's minimal keys come from settingsWith in test/helpers.ts): a VM
 * whose CPUs only its pre-flight can count. Its private key is a secret (SSH_SECRET_KEYS).
 */
export const SSH_STACK: Readonly<Record<string, unknown>> = {
    "freshtrack:target": "ssh",
    "freshtrack:adminCidrs": ["198.51.100.0/24"],
    "freshtrack:ssh": {
        host: "vm.example.net",
        hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILSEL3mlyPpCGaUNBxcpStcsu+5bt0IiOM455EXcf9/y",
    },
    "freshtrack:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nadmin\n-----END OPENSSH PRIVATE KEY-----\n",
};

/** The keys of SSH_STACK that are secrets, as settingsWith takes them. */
export const SSH_SECRET_KEYS = ["freshtrack:sshPrivateKey"];
