/**
 * What the DigitalOcean provider bridged by @pulumi/digitalocean 4.80.1 keeps in
 * state for each input this program sets, and which changes replace the
 * resource: the rung-2 "provider model" of design.md for the droplet target and
 * the managed database.
 *
 * One model per resource type, grouped in digitaloceanDroplet.ts, digitaloceanNetwork.ts and
 * digitaloceanDatabase.ts; how a model reads back and diffs, and which upstream commit every rule
 * is read at (UPSTREAM) and why, in digitaloceanSchema.ts.
 */
import {
    databaseCluster,
    databaseConnectionPool,
    databaseDb,
    databaseFirewall,
    databaseUser,
} from "./digitaloceanDatabase";
import { droplet, project, sshKey, volume } from "./digitaloceanDroplet";
import { dnsRecord, firewall, reservedIp, reservedIpAssignment, vpc } from "./digitaloceanNetwork";
import type { ResourceModel } from "./resourceModel";

// What importers took from this module before it was split; each lives in the module named.
export type { ResourceModel };
export { UPSTREAM } from "./digitaloceanSchema";
export { DATABASE_CLUSTER_DEFAULT_USER } from "./digitaloceanDatabase";

const MODELS = [
    droplet,
    firewall,
    volume,
    vpc,
    reservedIp,
    reservedIpAssignment,
    dnsRecord,
    sshKey,
    project,
    databaseCluster,
    databaseUser,
    databaseConnectionPool,
    databaseFirewall,
    databaseDb,
];

/** A ResourceModel that can also tell a replacing change from an in-place one (ipv6 true → false). */
export interface DigitaloceanModel extends ResourceModel {
    replaces(key: string, prior: unknown, next: unknown): boolean;
    replacements(newInputs: Record<string, unknown>, priorState: Record<string, unknown>): string[];
}

/** The provider models by Pulumi type token. */
export const DIGITALOCEAN_MODELS: Readonly<Record<string, DigitaloceanModel>> = Object.freeze(
    Object.fromEntries(MODELS.map((m) => [m.type, m])),
);

export interface ReadBackRow {
    readonly type: string;
    readonly input: string;
    readonly readBack: string;
    readonly forcesReplacement: string;
    readonly source: string;
}

/** One row per modelled input, for the note's read-back table. */
export function digitaloceanReadBackTable(): ReadBackRow[] {
    return MODELS.flatMap((m) =>
        Object.entries(m.attributes).map(([input, a]) => ({
            type: m.type.replace(/^digitalocean:index\/[^:]+:/, ""),
            input,
            readBack: a.readBackNote,
            forcesReplacement: a.forceNew ? "yes" : a.forceNewIf ? "only true → false" : "no",
            source: a.source,
        })),
    );
}
