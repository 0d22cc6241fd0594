/**
 * Issue 18, item 3: a managed stack restores to a point in time by forking its DigitalOcean cluster
 * (freshtrack:database.fork {at, use}; components/platform/managedDatabase.ts). This file holds the pure parts:
 *
 * - rung 1 (the config reader and the helpers the restore command calls): the time is read strictly, a fork is refused
 *   on a stack without a managed cluster before any resource, and the helpers spell the config and the names;
 * - rung 2 (the provider's read-back model, scripts/lib/readBack/digitaloceanDatabase.ts, each rule citing
 *   terraform-provider-digitalocean v2.99.1): `backupRestore` is kept from the create and never forces a new cluster,
 *   so the time in the fork's name is what makes a new time a new cluster.
 *
 * The whole stack under the mocks is test/managedFork.stack.test.ts; what a physical copy of a cluster holds, on a real
 * PostgreSQL, is test/managedFork.servers.test.ts.
 */
import { expect } from "chai";
import { StackConfig } from "../components/config";
import { FORK_TIME_EXPECTED, forkInstant } from "../components/config/nestedFields";
import {
    FORK_USE_DESCRIPTION,
    forkAlreadySet,
    forkClusterName,
    forkMonthlyUsd,
    forkSettings,
    forkTimeProblem,
    forkTimestamp,
    forkUseSetting,
    liveClusterName,
} from "../components/platform/managedDatabase";
import { DIGITALOCEAN_MODELS } from "../scripts/lib/readBack/digitalocean";
import { keysOf, problemsFor } from "./configFixtures";
import { configFor, settingsWith } from "./helpers";

const DATABASE = "freshtrack:database";
/** What a managed stack needs besides the database (the droplet target and its settings). */
const DROPLET_STACK = {
    "freshtrack:target": "droplet",
    "freshtrack:adminCidrs": ["203.0.113.7/32"],
    "freshtrack:droplet": { region: "fra1" },
};

function managed(fork: unknown): Record<string, unknown> {
    return { ...DROPLET_STACK, [DATABASE]: { mode: "managed", size: "db-s-1vcpu-2gb", fork } };
}

async function databaseOf(config: Record<string, unknown>): Promise<StackConfig["database"]> {
    return (await configFor(settingsWith(config))).database;
}

describe("managed fork: the time it is taken at is read strictly (rung 1)", () => {
    it("reads UTC with Z and an explicit offset as the same instant", () => {
        const utc = forkInstant("2026-03-14T09:30:00Z");
        expect(utc?.toISOString()).to.equal("2026-03-14T09:30:00.000Z");
        expect(forkInstant("2026-03-14T10:30:00+01:00")?.getTime()).to.equal(utc!.getTime());
        expect(forkInstant("2026-03-14T04:00:00-05:30")?.getTime()).to.equal(utc!.getTime());
    });

    it("refuses what could be read more than one way, or names no instant at all", () => {
        for (const text of [
            "2026-03-14T09:30Z", // no seconds
            "2026-03-14T09:30:00", // no zone: the machine's own would be taken
            "2026-03-14T09:30:00.250Z", // fractions: the name's stamp has whole seconds
            "2026-03-14 09:30:00Z", // a space for the T
            "2026-03-14t09:30:00z",
            "2026-03-14",
            "20260314T093000Z", // ISO 8601's basic form
            "2026-02-30T09:30:00Z", // no such day
            "2026-03-14T24:00:00Z",
            "2026-03-14T09:30:60Z", // a leap second
            "2026-03-14T09:30:00+24:00",
            "2026-03-14T09:30:00+0100",
            " 2026-03-14T09:30:00Z",
            "yesterday",
        ])
            expect(forkInstant(text), text).to.equal(undefined);
    });

    it("refuses a wrong time before any resource, saying what was expected", async () => {
        const err = await problemsFor(managed({ at: "2026-03-14 09:30" }));
        expect(keysOf(err)).to.deep.equal([`${DATABASE}.fork.at`]);
        expect(err.problems[0]!.expected).to.equal(FORK_TIME_EXPECTED);
        expect(err.message).to.contain("found before any resource was touched");
        expect(err.message).to.contain("2026-03-14T09:30:00Z").and.contain("+01:00");
    });

    it("refuses a fork without its time, a use that is not a boolean, and a fork that is not an object", async () => {
        const noTime = await problemsFor(managed({ use: true }));
        expect(keysOf(noTime)).to.deep.equal([`${DATABASE}.fork.at`]);
        expect(noTime.problems[0]!.expected).to.contain("the point in time to fork at");
        const use = await problemsFor(managed({ at: "2026-03-14T09:30:00Z", use: "yes" }));
        expect(keysOf(use)).to.deep.equal([`${DATABASE}.fork.use`]);
        const text = await problemsFor(managed("2026-03-14T09:30:00Z"));
        expect(keysOf(text)).to.deep.equal([`${DATABASE}.fork`]);
        const unknown = await problemsFor(managed({ at: "2026-03-14T09:30:00Z", time: "now" }));
        expect(unknown.message).to.contain(`${DATABASE}.fork.time`);
    });

    it("refuses a fork on a stack whose database is the container, naming database.fork and database.mode", async () => {
        for (const config of [
            { [DATABASE]: { fork: { at: "2026-03-14T09:30:00Z" } } },
            { [DATABASE]: { mode: "container", fork: { at: "2026-03-14T09:30:00Z", use: true } } },
        ]) {
            const err = await problemsFor(config);
            expect(keysOf(err)).to.deep.equal([`${DATABASE}.fork`]);
            expect(err.problems[0]!.expected).to.match(
                new RegExp(`^unset while ${DATABASE}.mode is container: a fork is a copy of a DigitalOcean managed`),
            );
            expect(err.problems[0]!.expected).to.contain(`${DATABASE}.mode managed`);
        }
    });

    it("hands a managed stack its fork as set, use false unless set; no fork unless set", async () => {
        expect(await databaseOf(managed({ at: "2026-03-14T10:30:00+01:00" }))).to.deep.include({
            mode: "managed",
            fork: { at: "2026-03-14T10:30:00+01:00", use: false },
        });
        const used = await databaseOf(managed({ at: "2026-03-14T09:30:00Z", use: true }));
        expect(used).to.deep.include({ fork: { at: "2026-03-14T09:30:00Z", use: true } });
        const none = await databaseOf({ ...DROPLET_STACK, [DATABASE]: { mode: "managed" } });
        expect(none).to.not.have.property("fork");
    });
});

describe("managed fork: what the restore command sets and shows (rung 1)", () => {
    const at = new Date("2026-03-14T09:30:07.900Z");

    it("names the fork <prefix>-pg-fork-<yyyymmddhhmmss> of its UTC time, and sends the time as RFC 3339 in UTC", () => {
        expect(liveClusterName("freshtrack-prod")).to.equal("freshtrack-prod-pg");
        expect(forkTimestamp(at)).to.equal("2026-03-14T09:30:07Z");
        expect(forkClusterName("freshtrack-prod", at)).to.equal("freshtrack-prod-pg-fork-20260314093007");
        // An offset changes nothing: the name and the time are of the instant.
        const viaOffset = forkInstant("2026-03-14T10:30:07+01:00")!;
        expect(forkClusterName("freshtrack-prod", viaOffset)).to.equal(forkClusterName("freshtrack-prod", at));
    });

    it("sets database.fork.at with --path, in a form the config reader accepts; use is a separate, later setting", () => {
        const setting = forkSettings(at);
        expect(setting).to.deep.equal({
            key: "freshtrack:database.fork.at",
            value: "2026-03-14T09:30:07Z",
            path: true,
        });
        expect(forkInstant(setting.value)?.toISOString()).to.equal("2026-03-14T09:30:07.000Z");
        // "true" with --path is stored as a boolean (pulumi v3.259.0 pkg/cmd/pulumi/config/config.go:726-727).
        expect(forkUseSetting()).to.deep.equal({ key: "freshtrack:database.fork.use", value: "true", path: true });
        expect(FORK_USE_DESCRIPTION).to.match(/^database\.fork\.use true points .* at the fork/);
        expect(FORK_USE_DESCRIPTION.split("\n")).to.have.length(1);
    });

    it("refuses a second fork while one is set, whether or not it is used; the same time again is no second fork", () => {
        expect(forkAlreadySet(undefined, at)).to.equal(undefined);
        expect(forkAlreadySet({ at: "2026-03-14T10:30:07+01:00", use: false }, at)).to.equal(undefined);
        const unused = forkAlreadySet({ at: "2026-03-10T00:00:00Z", use: false }, at);
        expect(unused).to.match(/^the stack already has a fork at 2026-03-10T00:00:00Z; a stack holds one fork/);
        expect(forkAlreadySet({ at: "2026-03-10T00:00:00Z", use: true }, at)).to.contain(", which it uses;");
    });

    it("refuses a time to come, or older than the 7 days DigitalOcean keeps, naming the earliest it can reach", () => {
        const now = new Date("2026-03-20T12:00:00.500Z");
        expect(forkTimeProblem(new Date("2026-03-20T11:59:59Z"), now)).to.equal(undefined);
        expect(forkTimeProblem(new Date("2026-03-13T12:00:01Z"), now)).to.equal(undefined);
        expect(forkTimeProblem(new Date("2026-03-20T12:00:01Z"), now)).to.equal(
            "2026-03-20T12:00:01Z is in the future (now 2026-03-20T12:00:00Z)",
        );
        expect(forkTimeProblem(new Date("2026-03-13T11:59:59Z"), now)).to.equal(
            "2026-03-13T11:59:59Z is older than DigitalOcean keeps PostgreSQL backups: the earliest point is " +
                "2026-03-13T12:00:00Z, 7 days ago",
        );
    });

    it("prices a fork as a cluster of the live one's size and nodes (components/host/dropletSizes.ts)", () => {
        expect(forkMonthlyUsd("db-s-1vcpu-1gb", 1)).to.equal(15);
        expect(forkMonthlyUsd("db-s-1vcpu-2gb", 2)).to.equal(60);
    });
});

describe("managed fork: what the DigitalOcean provider keeps of backupRestore (rung 2: provider model, cited)", () => {
    const cluster = DIGITALOCEAN_MODELS["digitalocean:index/databaseCluster:DatabaseCluster"]!;
    const forkAt = (time: string) => ({
        name: forkClusterName("freshtrack-prod", forkInstant(time)!),
        engine: "pg",
        version: "16",
        size: "db-s-1vcpu-2gb",
        nodeCount: 1,
        region: "fra1",
        privateNetworkUuid: "vpc-1",
        tags: ["freshtrack"],
        backupRestore: { databaseName: "freshtrack-prod-pg", backupCreatedAt: forkTimestamp(forkInstant(time)!) },
    });

    it("has a rule for it, citing the provider: not ForceNew, kept as sent", () => {
        expect(cluster.forcesReplacement("backupRestore")).to.equal(false);
        const stored = cluster.readBack(forkAt("2026-03-14T09:30:00Z"));
        expect(stored.backupRestore).to.deep.equal(forkAt("2026-03-14T09:30:00Z").backupRestore);
    });

    it("a second up with the same fork changes nothing", () => {
        const first = forkAt("2026-03-14T09:30:00Z");
        expect(cluster.changed(forkAt("2026-03-14T10:30:00+01:00"), cluster.readBack(first))).to.deep.equal([]);
    });

    it("a new time replaces the fork by its name, not by backupRestore, which alone would change nothing in place", () => {
        const prior = cluster.readBack(forkAt("2026-03-14T09:30:00Z"));
        const next = forkAt("2026-03-15T09:30:00Z");
        expect(cluster.changed(next, prior)).to.deep.equal(["backupRestore", "name"]);
        expect(cluster.replacements(next, prior)).to.deep.equal(["name"]);
        // The same name with another time (which the program never sends): an update Update ignores.
        const sameName = { ...next, name: prior.name };
        expect(cluster.replacements(sameName, prior)).to.deep.equal([]);
    });
});
