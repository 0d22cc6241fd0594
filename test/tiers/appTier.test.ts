/**
 * The application tier alone (issue 16, item 3: narrow tiers exchange values): built from its part of the platform,
 * the config it reads, and, of the data tier, only values: endpoints written here by hand and stand-in resources to
 * wait for. No DataTier and nothing else of the stack is built. Rung 1 (mocks).
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { DEFAULT_LIMITS } from "../../components/config";
import { PUBLIC_IMAGES } from "../../components/images";
import { Service } from "../../components/service";
import { APP_PLATFORM, AppTier, AppTierArgs } from "../../components/services/appTier";
import type { DataEndpoints, DataReadiness } from "../../components/services/dataTier";
import { RegisteredResource } from "../../scripts/lib/mockRun";
import { containers, run, TEST_OFFSITE_KEY, uploadText } from "../helpers";
import { testPlatform } from "./platform";

/**
 * Something to wait for and nothing more, since the data tier's containers are not the app tier's business. A custom
 * resource: a dependency on a component is one on its custom children, and a childless component would vanish.
 */
class StandIn extends pulumi.CustomResource {
    constructor(name: string) {
        super("test:tiers:StandIn", name, {});
    }
}

type Variant = Partial<Pick<AppTierArgs, "databaseMode" | "demoData">> & { offsite?: boolean };

interface AppTierRun {
    readonly resources: RegisteredResource[];
    /** The tier's own containers, by name (the stand-in minio-init job is not among them). */
    readonly containers: ReadonlyMap<string, RegisteredResource>;
    /** URNs of the stand-ins the tier was given to wait for. */
    readonly readiness: { readonly database: string; readonly redis: string; readonly objectStorage: string };
}

async function appTierAlone(variant: Variant = {}): Promise<AppTierRun> {
    const { resources } = await run(() => {
        const { provider, platform } = testPlatform(APP_PLATFORM);
        const database = new StandIn("database-standin");
        const redis = new StandIn("redis-standin");
        const objectStorage = new StandIn("object-storage-standin");
        // A job, because the tier's containers require it (their label waits for its exit code).
        const objectStorageInit = new Service(
            "minio-init",
            {
                kind: "job",
                daemon: platform.daemon,
                namePrefix: platform.namePrefix,
                image: PUBLIC_IMAGES.mc,
                limits: DEFAULT_LIMITS["minio-init"],
                user: "10001:10001",
                readOnlyRoot: true,
                networks: [{ network: platform.networks.data }],
            },
            { providers: [provider] },
        );
        const readiness: DataReadiness = { database: [database], redis, objectStorage, objectStorageInit };
        const direct = {
            host: "db.standin",
            port: 5432,
            database: "freshtrack",
            user: "freshtrack_app",
            password: pulumi.secret("db-password"),
            sslMode: "disable" as const,
        };
        const endpoints: DataEndpoints = {
            database: { ...direct, host: "pool.standin", port: 6432 },
            databaseDirect: direct,
            redis: { host: "cache.standin", port: 6379, password: pulumi.secret("redis-password") },
            objectStorage: { endpoint: "http://objects.standin:9000", secretKey: pulumi.secret("minio-root") },
        };
        const offsite = {
            endpoint: "https://fra1.digitaloceanspaces.com",
            bucket: "standin-offsite",
            accessKeyId: pulumi.secret("offsite-id"),
            secretAccessKey: pulumi.secret("offsite-secret"),
            encryptionKey: pulumi.secret(TEST_OFFSITE_KEY),
        };
        new AppTier(
            "app",
            {
                ...platform,
                app: {
                    version: "2.7.1",
                    commands: { migrate: "run-migrations", workerHealthcheck: "worker-ok", seed: "seed-demo" },
                },
                domain: "freshtrack.standin",
                images: {
                    backend: "registry.standin/backend:2.7.1",
                    worker: "registry.standin/worker:2.7.1",
                    frontend: "registry.standin/frontend:2.7.1",
                },
                limits: DEFAULT_LIMITS,
                backup: {
                    schedule: "40 2 * * *",
                    retentionDays: 9,
                    pointInTime: true,
                    pointInTimeDays: 5,
                    synchronousWal: false,
                    walKeepMb: 2048,
                    drillSchedule: "50 4 * * *",
                    ...(variant.offsite ? { offsite } : {}),
                },
                drillTables: [{ table: "sensor_readings", column: "recorded_at" }],
                databaseMode: variant.databaseMode ?? "container",
                ...(variant.demoData ? { demoData: variant.demoData } : {}),
                data: { endpoints, readiness },
            },
            { providers: [provider] },
        );
    });
    const ours = containers(resources).filter((c) => inAppTier(resources, c));
    const standIn = (name: string) => {
        const found = resources.find((r) => r.type === "test:tiers:StandIn" && r.name === name);
        if (!found) throw new Error(`no stand-in ${name}`);
        return found.urn;
    };
    return {
        resources,
        containers: new Map(ours.map((c) => [c.name, c])),
        readiness: {
            database: standIn("database-standin"),
            redis: standIn("redis-standin"),
            objectStorage: standIn("object-storage-standin"),
        },
    };
}

/** Whether a resource is the app tier's, by its parents (a URN names only its parent's type). */
function inAppTier(resources: RegisteredResource[], r: RegisteredResource): boolean {
    const byUrn = new Map(resources.map((x) => [x.urn, x]));
    for (let at: RegisteredResource | undefined = r; at; at = at.parent ? byUrn.get(at.parent) : undefined)
        if (at.type === "freshtrack:services:AppTier") return true;
    return false;
}

function networksOf(c: RegisteredResource): string[] {
    return (c.inputs.networksAdvanced as Array<{ name: string }>).map((n) => n.name.replace(/^freshtrack-tier-/, ""));
}

function envOf(c: RegisteredResource): string[] {
    return c.inputs.envs as string[];
}

function labelsOf(c: RegisteredResource): Record<string, string> {
    const labels = c.inputs.labels as Array<{ label: string; value: string }>;
    return Object.fromEntries(labels.map((l) => [l.label, l.value]));
}

function named(tier: AppTierRun, name: string): RegisteredResource {
    const c = tier.containers.get(name);
    if (!c) throw new Error(`the app tier has no container ${name}`);
    return c;
}

describe("app tier alone: its part of the platform, its config and the data tier's values in", () => {
    it("runs the migration and its backup, backend, worker, frontend and the backups, on the provider it was given", async () => {
        const tier = await appTierAlone();
        expect([...tier.containers.keys()]).to.have.members([
            "pre-migrate-backup",
            "migrate",
            "backend",
            "worker",
            "frontend",
            "backup",
            "backup-sync",
        ]);
        for (const c of tier.containers.values())
            expect(c.options.provider, `${c.name}: the provider given to the tier`).to.match(/::tier-docker::/);
        const own = tier.resources.filter((r) => inAppTier(tier.resources, r));
        expect(own.length, "the tier's own resources, against some 150 for a whole stack").to.be.within(20, 40);
    });

    it("joins only the networks it was given, each container those of the peers it calls or is called by", async () => {
        const tier = await appTierAlone();
        const joined = Object.fromEntries([...tier.containers.values()].map((c) => [c.name, networksOf(c).sort()]));
        expect(joined).to.deep.equal({
            "pre-migrate-backup": ["app", "data"],
            migrate: ["app", "data"],
            backend: ["data", "edge", "monitoring"],
            worker: ["data", "monitoring"],
            frontend: ["edge"],
            backup: ["app", "data"],
            "backup-sync": ["data"],
        });
        for (const c of tier.containers.values())
            for (const n of c.inputs.networksAdvanced as Array<{ name: string }>)
                expect(n.name, c.name).to.match(/^freshtrack-tier-(edge|app|data|monitoring)$/);
    });

    it("connects to the endpoints it was given: the pool for backend and worker, the database itself for migrations and backups", async () => {
        const tier = await appTierAlone();
        for (const name of ["backend", "worker"]) {
            expect(envOf(named(tier, name)), name).to.include.members([
                "DATABASE_HOST=pool.standin",
                "DATABASE_PORT=6432",
                "REDIS_HOST=cache.standin",
                "S3_ENDPOINT=http://objects.standin:9000",
            ]);
        }
        for (const name of ["migrate", "pre-migrate-backup", "backup"])
            expect(envOf(named(tier, name)), name).to.include.members([
                "DATABASE_HOST=db.standin",
                "DATABASE_PORT=5432",
            ]);
    });

    it("waits for the readiness values it was given and requires their minio-init job", async () => {
        const tier = await appTierAlone();
        const { database, redis, objectStorage } = tier.readiness;
        for (const name of ["backend", "worker"]) {
            const c = named(tier, name);
            expect(c.options.dependsOn, name).to.include.members([database, redis]);
            expect(labelsOf(c)["com.freshtrack.requires"], name).to.equal("migrate,minio-init");
        }
        expect(named(tier, "pre-migrate-backup").options.dependsOn).to.include(database);
        expect(named(tier, "backup").options.dependsOn).to.include(database);
        expect(named(tier, "backup-sync").options.dependsOn).to.include(objectStorage);
    });

    it("backs up on the schedule and keeps the dumps for the days its config says", async () => {
        const tier = await appTierAlone();
        expect(envOf(named(tier, "backup"))).to.include("RETENTION_DAYS=9");
        expect(uploadText(tier.resources, "backup", "/etc/crontabs/root")).to.match(/^40 2 \* \* \* /m);
    });

    it("seeds demo data only when its config asks, labelled with the seed version", async () => {
        expect([...(await appTierAlone()).containers.keys()]).to.not.include("demo-data");
        const tier = await appTierAlone({ demoData: { seedVersion: "7" } });
        const seed = named(tier, "demo-data");
        expect(labelsOf(seed)["com.freshtrack.seed-version"]).to.equal("7");
        expect(seed.inputs.command).to.deep.equal(["seed-demo"]);
        expect(networksOf(seed).sort()).to.deep.equal(["app", "data"]);
    });

    it("copies offsite only when its config names a store, to that store's bucket", async () => {
        expect([...(await appTierAlone()).containers.keys()]).to.not.include("backup-offsite");
        const tier = await appTierAlone({ offsite: true });
        const offsite = named(tier, "backup-offsite");
        expect((offsite.inputs.command as string[])[0]).to.include(
            "/backups/postgres offsite/standin-offsite/postgres",
        );
        expect(networksOf(offsite)).to.deep.equal(["app", "data"]);
    });

    it("gives the worker a way out through app only when the database is outside the host", async () => {
        expect(networksOf(named(await appTierAlone(), "worker"))).to.not.include("app");
        const managed = await appTierAlone({ databaseMode: "managed" });
        expect(networksOf(named(managed, "worker"))).to.deep.equal(["app", "data", "monitoring"]);
    });
});
