/**
 * Issue 18, item 3: a managed stack restores to a point in time by forking its DigitalOcean cluster
 * (freshtrack:database.fork {at, use}, components/platform/managedDatabase.ts). No shipped stack uses the managed
 * database, so these tests run prod with database.mode managed, as test/managedDatabase.stack.test.ts does.
 *
 * Rung 1 (mocks): the fork exists only with the setting, with the live cluster's engine, version, size, region, nodes,
 * VPC and tags, restored from the live one's backups at the time set, protected, after the live one, with its own pool
 * and firewall rule and no database or user created on it; the connections move to it only with use; the live cluster
 * and all on it are registered the same in every case. Rung 2 (the provider's read-back model, each rule cited): a
 * second `up` with the same fork plans nothing; a new time, or no fork any more, would replace or delete the protected
 * fork, which the engine refuses. The pure parts are test/managedFork.test.ts.
 */
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseFork } from "../components/config";
import { forkClusterName, forkTimestamp, ManagedDatabase } from "../components/platform/managedDatabase";
import { ADMIN_PASSWORD_FILE } from "../components/services/migrations";
import { deployStack } from "../components/stack";
import { blastRadius } from "../scripts/lib/blastRadius";
import { RegisteredResource, runUnderMocks, SecretValue } from "../scripts/lib/mockRun";
import { DATABASE_CLUSTER_DEFAULT_USER, DIGITALOCEAN_MODELS } from "../scripts/lib/readBack/digitalocean";
import { loadStackSettings, shippedStacks, StackSettings } from "../scripts/lib/stackFiles";
import { containerNamed } from "./helpers";
import { sharedRun, shippedRun } from "./variantRuns";

const CLUSTER = "digitalocean:index/databaseCluster:DatabaseCluster";
const DB = "digitalocean:index/databaseDb:DatabaseDb";
const USER = "digitalocean:index/databaseUser:DatabaseUser";
const AT = "2026-03-14T10:30:07+01:00";
const AT_UTC = "2026-03-14T09:30:07Z";

/** Prod with the managed database (as test/managedDatabase.stack.test.ts runs it), and a fork when given. */
function managedProd(fork?: Record<string, unknown>): StackSettings {
    const settings = loadStackSettings("prod");
    const database = { mode: "managed", size: "db-s-1vcpu-2gb", ...(fork ? { fork } : {}) };
    return { ...settings, config: { ...settings.config, "freshtrack:database": JSON.stringify(database) } };
}

const ofType = (resources: readonly RegisteredResource[], type: string) => resources.filter((r) => r.type === type);
const named = (resources: readonly RegisteredResource[], name: string) => {
    const found = resources.find((r) => r.name === name);
    if (!found) throw new Error(`no resource ${name}`);
    return found;
};
/** The managed database's own resources but the fork's, as the engine receives them. */
const liveParts = (resources: readonly RegisteredResource[]) =>
    resources
        .filter((r) => r.type.startsWith("digitalocean:index/database") && !r.name.startsWith("database-fork-"))
        .map(({ type, name, urn, inputs, options }) => ({ type, name, urn, inputs, options }));

function uploadOf(container: RegisteredResource, file: string): unknown {
    const raw = container.inputs.uploads;
    const uploads = (raw instanceof SecretValue ? raw.value : raw) as Array<{ file: string; content: unknown }>;
    const content = uploads.find((u) => u.file === file)?.content;
    return content instanceof SecretValue ? content.value : content;
}

describe("managed fork: the second cluster and where the stack connects (issue 18, item 3; rung 1: mocks)", function () {
    this.timeout(120_000);
    let none: RegisteredResource[];
    let unused: RegisteredResource[];
    let used: RegisteredResource[];
    before(async () => {
        // One after the other: the SDK's mocks are global to the process.
        none = (await sharedRun(managedProd())).resources;
        unused = (await sharedRun(managedProd({ at: AT }))).resources;
        used = (await sharedRun(managedProd({ at: AT, use: true }))).resources;
    });

    it("registers one cluster without database.fork, on managed prod; none on the shipped stacks", async () => {
        expect(ofType(none, CLUSTER).map((c) => c.inputs.name)).to.deep.equal(["freshtrack-prod-pg"]);
        for (const stack of shippedStacks())
            expect(ofType((await shippedRun(stack)).resources, CLUSTER), stack).to.deep.equal([]);
    });

    it("forks with the live cluster's engine, version, size, nodes, region, VPC and tags, from its backup at the time set", () => {
        const live = named(unused, "database-cluster");
        const fork = named(unused, "database-fork-cluster");
        const { name: liveName, ...liveRest } = live.inputs;
        const { name: forkName, backupRestore, ...forkRest } = fork.inputs;
        expect(liveName).to.equal("freshtrack-prod-pg");
        expect(forkName).to.equal("freshtrack-prod-pg-fork-20260314093007");
        expect(forkName).to.equal(forkClusterName("freshtrack-prod", new Date(AT_UTC)));
        expect(forkRest).to.deep.equal(liveRest);
        expect(forkRest).to.include({ engine: "pg", size: "db-s-1vcpu-2gb", nodeCount: 1, region: "fra1" });
        // The source is named by the cluster's name (`database_name`), the time in UTC as doctl sends it.
        expect(backupRestore).to.deep.equal({ databaseName: "freshtrack-prod-pg", backupCreatedAt: AT_UTC });
        expect(forkTimestamp(new Date(AT_UTC))).to.equal(AT_UTC);
    });

    it("protects the fork like the live cluster, and creates it after the live one", () => {
        const live = named(unused, "database-cluster");
        const fork = named(unused, "database-fork-cluster");
        expect([live.options.protect, fork.options.protect]).to.deep.equal([true, true]);
        expect(fork.options.dependsOn).to.include(live.urn);
        expect(fork.parent).to.equal(live.parent);
    });

    it("gives the fork its own pool and firewall rule for the droplet, and creates no database or user on it", () => {
        const forkId = "database-fork-cluster-id";
        const pool = named(unused, "database-fork-pool");
        const livePool = named(unused, "database-pool");
        expect(pool.inputs).to.deep.equal({ ...livePool.inputs, clusterId: forkId });
        expect(pool.inputs).to.include({ dbName: "freshtrack", user: "freshtrack", name: "freshtrack-pool" });
        const firewall = named(unused, "database-fork-firewall");
        expect(firewall.inputs).to.deep.equal({ ...named(unused, "database-firewall").inputs, clusterId: forkId });
        expect(firewall.inputs.rules).to.deep.equal([{ type: "droplet", value: "424242" }]);
        // The fork holds the database and the role already (DigitalOcean forks copy them; a real PostgreSQL copy in
        // test/managedFork.servers.test.ts): creating them again would fail the update.
        for (const type of [DB, USER])
            expect(ofType(unused, type).map((r) => r.inputs.clusterId)).to.deep.equal(["database-cluster-id"]);
    });

    it("registers the live cluster and everything on it the same, without a fork, with one, and using it", () => {
        expect(liveParts(none).map((r) => r.name)).to.have.members([
            "database-cluster",
            "database-db",
            "database-user",
            "database-pool",
            "database-firewall",
        ]);
        expect(liveParts(unused)).to.deep.equal(liveParts(none));
        expect(liveParts(used)).to.deep.equal(liveParts(none));
    });

    it("with use unset, changes nothing else: the whole stack is as without a fork but for the fork's three resources", () => {
        const changes = blastRadius(none, unused).changes.map((c) => `${c.verdict} ${c.name}`);
        expect(changes).to.have.members([
            "create database-fork-cluster",
            "create database-fork-pool",
            "create database-fork-firewall",
        ]);
    });

    it("with use true, connects to the fork: the grant job logs in as the fork's administrator; only containers change", () => {
        const admin = (resources: RegisteredResource[]) =>
            uploadOf(containerNamed(resources, "database-grant"), ADMIN_PASSWORD_FILE);
        expect(admin(unused)).to.equal(DATABASE_CLUSTER_DEFAULT_USER.password("database-cluster"));
        expect(admin(used)).to.equal(DATABASE_CLUSTER_DEFAULT_USER.password("database-fork-cluster"));
        const changes = blastRadius(unused, used).changes;
        expect(changes.length).to.be.greaterThan(0);
        expect(changes.filter((c) => !c.type.startsWith("docker:")).map((c) => `${c.verdict} ${c.name}`)).to.deep.equal(
            [],
        );
        expect(changes.map((c) => c.name)).to.include("database-grant");
    });
});

/**
 * The host names are the mocks' one stand-in for every cluster and every pool (scripts/lib/mockRun.ts), so which one
 * the endpoints reach is read here from the component alone, under mocks that name each resource's host after it.
 * Rung 1.
 */
describe("managed fork: the endpoints point at the cluster in use (rung 1: the component under its own mocks)", () => {
    interface Seen {
        readonly pooled: readonly unknown[];
        readonly direct: readonly unknown[];
    }

    async function endpoints(fork?: DatabaseFork): Promise<Seen> {
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => ({
                    id: `${args.name}-id`,
                    state: {
                        ...args.inputs,
                        privateHost: `${args.name}.private`,
                        port: 25060,
                        user: "doadmin",
                        password: `${args.name}-password`,
                    },
                }),
                call: (args) => ({ ...args.inputs, certificate: `ca of ${String(args.inputs.clusterId)}` }),
            },
            "freshtrack",
            "fork",
            false,
        );
        const m = new ManagedDatabase("database", {
            namePrefix: "freshtrack-fork",
            region: "fra1",
            vpcId: "vpc-1",
            dropletId: "424242",
            size: "db-s-1vcpu-2gb",
            nodeCount: 1,
            version: "16",
            ...(fork ? { fork } : {}),
        });
        type Plain = string | number | undefined;
        const value = (o: pulumi.Input<Plain>) =>
            new Promise<Plain>((resolve) => pulumi.output(o).apply((v) => resolve(v)));
        const all = (e: typeof m.endpoint) =>
            Promise.all([e.host, e.port, e.database, e.user, e.password, e.caCertificate].map(value));
        return {
            pooled: await all(m.endpoint),
            direct: [...(await all(m.direct)), await value(m.direct.admin.user), await value(m.direct.admin.password)],
        };
    }

    const LIVE: Seen = {
        pooled: [
            "database-pool.private",
            25060,
            "freshtrack-pool",
            "freshtrack",
            "database-user-password",
            "ca of database-cluster-id",
        ],
        direct: [
            "database-cluster.private",
            25060,
            "freshtrack",
            "freshtrack",
            "database-user-password",
            "ca of database-cluster-id",
            "doadmin",
            "database-cluster-password",
        ],
    };

    it("reach the live cluster without a fork, and with a fork not in use", async () => {
        expect(await endpoints()).to.deep.equal(LIVE);
        expect(await endpoints({ at: AT, use: false })).to.deep.equal(LIVE);
    });

    it("reach the fork's pool and cluster, its CA and its administrator, with use true; the role's password is the live one's", async () => {
        expect(await endpoints({ at: AT, use: true })).to.deep.equal({
            pooled: [
                "database-fork-pool.private",
                25060,
                "freshtrack-pool",
                "freshtrack",
                "database-user-password",
                "ca of database-fork-cluster-id",
            ],
            direct: [
                "database-fork-cluster.private",
                25060,
                "freshtrack",
                "freshtrack",
                "database-user-password",
                "ca of database-fork-cluster-id",
                "doadmin",
                "database-fork-cluster-password",
            ],
        });
    });
});

/** Every DigitalOcean change a second run would make over the first's read-back state, as "verdict name: keys". */
function digitaloceanChanges(first: readonly RegisteredResource[], second: readonly RegisteredResource[]): string[] {
    const ofDigitalocean = (list: readonly RegisteredResource[]) =>
        list.filter((r) => r.custom && r.type.startsWith("digitalocean:"));
    return blastRadius(ofDigitalocean(first), ofDigitalocean(second), DIGITALOCEAN_MODELS)
        .changes.map((c) => {
            const keys = c.changedInputs.map((k) => (c.replacedBy.includes(k) ? `${k} (replace)` : k)).join(", ");
            return `${c.verdict} ${c.name}${keys ? `: ${keys}` : ""}`;
        })
        .sort();
}

describe("managed fork: a second up, a new time, no fork (rung 2: provider model, cited)", function () {
    this.timeout(120_000);

    it("a second up with the same fork plans nothing, using it or not", async () => {
        for (const fork of [{ at: AT }, { at: AT, use: true }]) {
            const first = (await sharedRun(managedProd(fork))).resources;
            const second = (await runUnderMocks(managedProd(fork), deployStack)).resources;
            expect(named(second, "database-fork-cluster").inputs.backupRestore).to.not.equal(undefined);
            expect(digitaloceanChanges(first, second), JSON.stringify(fork)).to.deep.equal([]);
        }
    });

    it("the same instant written with another offset is the same fork", async () => {
        const first = (await sharedRun(managedProd({ at: AT }))).resources;
        const second = (await sharedRun(managedProd({ at: AT_UTC }))).resources;
        expect(digitaloceanChanges(first, second)).to.deep.equal([]);
    });

    it("a new time would replace the protected fork by its name, which the engine refuses (docs: restore by forking)", async () => {
        const first = (await sharedRun(managedProd({ at: AT }))).resources;
        const second = (await sharedRun(managedProd({ at: "2026-03-15T09:30:07Z" }))).resources;
        // Only the cluster shows: the mocks give the new fork the same id, where the engine would also replace its
        // pool and firewall rule (clusterId is ForceNew on both) once the cluster itself could be replaced.
        expect(digitaloceanChanges(first, second)).to.deep.equal([
            "replace database-fork-cluster: backupRestore, name (replace)",
        ]);
        // A protected resource is not replaced: pulumi/pulumi@v3.259.0 pkg/resource/deploy/step_generator.go:1954-1972.
        expect(named(first, "database-fork-cluster").options.protect).to.equal(true);
        expect(liveParts(second)).to.deep.equal(liveParts(first));
    });

    it("taking database.fork away would delete the protected fork, which the engine refuses; the live cluster stays", async () => {
        const first = (await sharedRun(managedProd({ at: AT }))).resources;
        const second = (await sharedRun(managedProd())).resources;
        expect(digitaloceanChanges(first, second)).to.deep.equal([
            "delete database-fork-cluster",
            "delete database-fork-firewall",
            "delete database-fork-pool",
        ]);
        // pulumi/pulumi@v3.259.0 pkg/resource/deploy/step.go:614-624, 644-649: "cannot be deleted because it is
        // protected".
        expect(named(first, "database-fork-cluster").options.protect).to.equal(true);
    });
});
