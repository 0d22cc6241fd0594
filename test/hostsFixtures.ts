/**
 * What the hosts tests share (test/hosts.test.ts, test/hosts.stack.test.ts, test/hostsBootstrap.servers.test.ts,
 * test/hostsAccess.servers.test.ts, test/hostsDataMount.servers.test.ts): sample bootstrap inputs, a host key, readers
 * of what a mocked run registered and of a droplet's cloud-init, and scratch files for the real tools to read.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { BOOTSTRAP_PATH } from "../components/host/bootstrap";
import { RegisteredResource, SecretValue } from "../scripts/lib/mockRun";
import { settingsWith } from "./helpers";

/** `content` in a file called `name`, in a directory of its own, for a real tool to read. */
export function tmpFile(name: string, content: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-host-"));
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
}

export const DO = (type: string) => `digitalocean:index/${type}`;

export function one(resources: RegisteredResource[], type: string): RegisteredResource {
    const found = resources.filter((r) => r.type === type);
    expect(found, type).to.have.length(1);
    return found[0]!;
}

export const SAMPLE = {
    deployKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMock deploy"],
    adminCidrs: ["203.0.113.0/28", "2001:db8:40::/48"],
};
export const SAMPLE_HOST_KEY = {
    privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nsample-host\n-----END OPENSSH PRIVATE KEY-----\n",
    publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILSEL3mlyPpCGaUNBxcpStcsu+5bt0IiOM455EXcf9/y",
};

/** The rules a rendered bootstrap hands its host-rules helper: its `[ufw]` lines. */
export function ufwRulesIn(script: string): string[] {
    const rules = /<<'HOST_RULES'\n\[ufw\]\n([\s\S]*?)\[authorized_keys\]\n/.exec(script);
    expect(rules, "the bootstrap feeds the host-rules helper").to.not.equal(null);
    return rules![1]!.trim().split("\n");
}

/** A secret input's value (userData and connections are secrets). */
export function revealed(value: unknown): unknown {
    return value instanceof SecretValue ? value.value : value;
}

/** A droplet's cloud-config, as far as the tests read it. */
export interface CloudConfig {
    readonly mounts: string[][];
    readonly write_files: ReadonlyArray<{ readonly path: string; readonly content: string }>;
    readonly ssh_keys: Readonly<Record<string, string>>;
    readonly [key: string]: unknown;
}

/**
 * A droplet's user data parsed (a rendered text, or the registered input, which is a secret). cloud-init takes user
 * data for cloud-config by how it begins, `#cloud-config` (cloud-init 22.4.2 cloudinit/handlers/__init__.py:46,
 * 292-301), so that line is checked, not stripped; YAML reads it as a comment.
 */
export function cloudInitOf(userData: unknown): CloudConfig {
    const text = revealed(userData);
    expect(text, "cloud-config user data")
        .to.be.a("string")
        .that.match(/^#cloud-config\n/);
    return YAML.parse(text as string) as CloudConfig;
}

/** The bootstrap script a cloud-config writes, found by its path (not by its place among the files written). */
export function bootstrapFileOf(cloudInit: CloudConfig): string {
    const found = cloudInit.write_files.filter((f) => f.path === BOOTSTRAP_PATH);
    expect(found, `cloud-init writes one ${BOOTSTRAP_PATH}`).to.have.length(1);
    return found[0]!.content;
}

/** A stack on the ssh target, with the admin key as a secret; `ssh` is merged over an admin user on vm.example.net. */
export function sshTargetSettings(ssh: Record<string, unknown>): ReturnType<typeof settingsWith> {
    return settingsWith(
        {
            "freshtrack:target": "ssh",
            "freshtrack:tlsMode": "acme",
            "freshtrack:adminCidrs": ["198.51.100.0/24"],
            "freshtrack:ssh": { host: "vm.example.net", user: "admin", ...ssh },
            "freshtrack:sshPrivateKey":
                "-----BEGIN OPENSSH PRIVATE KEY-----\nadmin\n-----END OPENSSH PRIVATE KEY-----\n",
        },
        ["freshtrack:sshPrivateKey"],
    );
}
