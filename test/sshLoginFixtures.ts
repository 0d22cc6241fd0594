/**
 * Stack exports for the login tests (test/hostLogin.test.ts, test/sshLogin.ssh.test.ts): the state a first deploy
 * leaves when it fails after the host exists (droplet-bootstrap-wait, say): the stack resource without outputs, and
 * the keys and addresses the program made. Built by hand in the shape `pulumi stack export --show-secrets` writes
 * (UntypedDeployment and ResourceV3: pulumi/pulumi v3.259.0 sdk/go/common/apitype/core.go:381-394, 489-564), with a
 * secret as its plaintext envelope (pkg/resource/stack/deployment.go:844-880). Each URN is taken from
 * test/fixtures/urns.json, what the program registers under mocks, by the type and name the login looks for: a name
 * the program does not register fails here, before any assertion.
 */
import type { Deployment } from "@pulumi/pulumi/automation";
import * as crypto from "crypto";
import { WIRE } from "../components/sdkInternals";
import { LOGIN_RESOURCES, StateResourceRef } from "../scripts/lib/hostLogin";
import { parseUrn, readFixture } from "./urnStabilityFixtures";

/** The variants of test/fixtures/urns.json whose host the login reaches: the shipped droplet stacks and the VM. */
export const DROPLET_VARIANTS = ["prod", "staging"] as const;
export const SSH_VARIANT = "an existing VM over SSH";

/** The one URN of `variant` (test/urnVariants.ts) for a resource of `ref`'s type and name; throws unless one. */
export function recordedUrn(variant: string, ref: Pick<StateResourceRef, "type" | "name">): string {
    const urns = readFixture().variants[variant];
    if (!urns) throw new Error(`test/fixtures/urns.json has no variant '${variant}'`);
    const found = urns.filter((u) => {
        const parts = parseUrn(u);
        return parts.qualifiedType.split("$").pop() === ref.type && parts.name === ref.name;
    });
    if (found.length !== 1)
        throw new Error(`the program registers ${found.length} ${ref.type} named ${ref.name} in '${variant}', not one`);
    return found[0]!;
}

/** A fresh ed25519 public key line, `ssh-ed25519 AAAA...` (RFC 8709 section 4: the type string, then 32 bytes). */
export function ed25519KeyLine(): string {
    const jwk = crypto.generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" });
    const key = Buffer.from(jwk.x!, "base64url");
    const type = Buffer.from("ssh-ed25519");
    const blob = Buffer.concat([u32(type.length), type, u32(key.length), key]);
    return `ssh-ed25519 ${blob.toString("base64")}`;
}

function u32(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
}

/** A value as `--show-secrets` exports a secret: the signature and the JSON of the value. */
export function shownSecret(value: unknown): Record<string, string> {
    return { [WIRE.sigKey]: WIRE.secretSig, plaintext: JSON.stringify(value) };
}

/** The same secret exported without its plaintext (`pulumi stack export` without --show-secrets). */
export function encryptedSecret(): Record<string, string> {
    return { [WIRE.sigKey]: WIRE.secretSig, ciphertext: "djE6ZW5jcnlwdGVkOnNhbXBsZQ==" };
}

export interface ExportedResource {
    urn: string;
    custom: boolean;
    type: string;
    id?: string;
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
    delete?: boolean;
}

function resource(urn: string, outputs: Record<string, unknown>, id: string = crypto.randomUUID()): ExportedResource {
    return { urn, custom: true, type: parseUrn(urn).qualifiedType.split("$").pop()!, id, inputs: {}, outputs };
}

/** An export of `resources` for `stack`, whose stack resource has no outputs: the first update failed. */
export function exportOf(stack: string, resources: ExportedResource[]): Deployment {
    const root = `urn:pulumi:${stack}::freshtrack::pulumi:pulumi:Stack::freshtrack-${stack}`;
    return {
        version: 3,
        deployment: {
            manifest: { time: "2026-09-14T08:12:31.4412+00:00", magic: "", version: "v3.270.0" },
            secrets_providers: { type: "passphrase", state: { salt: "v1:c2FsdHNhbHQ=:v1:bm9uY2U=:ZmFrZQ==" } },
            resources: [{ urn: root, custom: false, type: "pulumi:pulumi:Stack", outputs: {} }, ...resources],
        },
    };
}

export interface DropletState {
    readonly deployKey: string;
    /** The host key line as the tls provider writes publicKeyOpenssh: with a newline. */
    readonly hostKey: string;
    readonly reservedIp: string;
    readonly dropletIp: string;
    /** Whether the reserved IP's assignment is in the state (default: it is). */
    readonly assigned?: boolean;
}

/**
 * The droplet resources a failed first deploy of `variant` leaves, beside two that must not be read: an old deploy
 * key kept for deletion, and another tls:PrivateKey (the edge's internal CA key, named as the dev stack registers it).
 */
export function dropletResources(variant: string, s: DropletState): ExportedResource[] {
    const r = LOGIN_RESOURCES.droplet;
    const stack = parseUrn(recordedUrn(variant, r.deployKey)).stack;
    const caKey = recordedUrn("dev", { type: r.deployKey.type, name: "edge-ca-ca-key" }).replace(
        "urn:pulumi:dev::",
        `urn:pulumi:${stack}::`,
    );
    const key = (text: string) => ({ privateKeyOpenssh: shownSecret(text), algorithm: "ED25519" });
    return [
        resource(recordedUrn(variant, r.droplet), { ipv4Address: s.dropletIp, name: `freshtrack-${stack}` }),
        resource(recordedUrn(variant, r.deployKey), key(s.deployKey)),
        { ...resource(recordedUrn(variant, r.deployKey), key("an old deploy key, replaced")), delete: true },
        resource(recordedUrn(variant, r.hostKey), {
            ...key("the host's private key"),
            publicKeyOpenssh: `${s.hostKey}\n`,
        }),
        resource(caKey, key("the internal CA's key")),
        resource(recordedUrn(variant, r.reservedIp), { ipAddress: s.reservedIp }, s.reservedIp),
        ...(s.assigned === false
            ? []
            : [resource(recordedUrn(variant, r.ipAssignment), { ipAddress: s.reservedIp, dropletId: 4242 })]),
    ];
}

/** The deploy key of the ssh variant: all the state holds for a VM login (the rest is config). */
export function sshResources(deployKey: string): ExportedResource[] {
    const ref = LOGIN_RESOURCES.ssh.deployKey;
    return [resource(recordedUrn(SSH_VARIANT, ref), { privateKeyOpenssh: shownSecret(deployKey) })];
}
