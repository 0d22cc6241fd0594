/**
 * The data tier alone (issue 16, item 3: narrow tiers exchange values): built from its part of the platform, its
 * limits and the backups' retention, with nothing else of the stack. Rung 1 (mocks).
 */
import { expect } from "chai";
import { DEFAULT_LIMITS } from "../../components/config";
import { DATA_PLATFORM, DataTier } from "../../components/services/dataTier";
import { RegisteredResource } from "../../scripts/lib/mockRun";
import { containers, run, uploadText } from "../helpers";
import { testPlatform } from "./platform";

async function dataTierAlone(
    database: "self-hosted" | "external",
): Promise<{ resources: RegisteredResource[]; tier: DataTier }> {
    const { resources, result } = await run(() => {
        const { provider, platform } = testPlatform(DATA_PLATFORM);
        const postgresVolume = testPlatform({ networks: [], volumes: ["postgres-data"], secrets: [] }).platform.volumes;
        const external = {
            host: "db.example.net",
            port: 25060,
            database: "freshtrack",
            user: "freshtrack",
            password: platform.secrets.databaseAppPassword,
            sslMode: "require" as const,
        };
        return new DataTier(
            "data",
            {
                ...platform,
                limits: DEFAULT_LIMITS,
                backupRetentionDays: 7,
                backupPointInTimeDays: 4,
                walKeepMb: 1024,
                database:
                    database === "self-hosted"
                        ? { volume: postgresVolume["postgres-data"] }
                        : { external: { pooled: external, direct: external } },
            },
            { providers: [provider] },
        );
    });
    return { resources, tier: result };
}

describe("data tier alone: its part of the platform in, its endpoints out", () => {
    it("runs PostgreSQL behind PgBouncer, Redis, MinIO and minio-init on the networks it was given, with little else", async () => {
        const { resources } = await dataTierAlone("self-hosted");
        expect(containers(resources).map((c) => c.name)).to.have.members([
            "postgres",
            "pgbouncer",
            "redis",
            "minio",
            "minio-init",
        ]);
        const ours = resources.filter(
            (r) => !/::(tier-docker|net-|vol-)/.test(r.urn) && r.type !== "pulumi:providers:docker",
        );
        expect(ours.length, "the tier's own resources").to.be.within(10, 25);
        for (const c of containers(resources)) {
            expect(c.options.provider, `${c.name}: the provider given to the tier`).to.match(/::tier-docker::/);
            for (const n of c.inputs.networksAdvanced as Array<{ name: string }>)
                expect(n.name).to.match(/^freshtrack-tier-(data|monitoring)$/);
        }
    });

    it("runs no PostgreSQL or PgBouncer when the database is outside the host", async () => {
        const { resources } = await dataTierAlone("external");
        expect(containers(resources).map((c) => c.name)).to.have.members(["redis", "minio", "minio-init"]);
    });

    it("names PostgreSQL and PgBouncer in its readiness exactly when they run on the host", async () => {
        const { tier } = await dataTierAlone("self-hosted");
        expect(tier.readiness.selfHostedDatabase?.postgres, "PostgreSQL by name").to.equal(tier.postgres);
        expect(tier.readiness.selfHostedDatabase?.pgbouncer, "PgBouncer by name").to.equal(tier.pgbouncer);
        expect(tier.readiness.database, "the same two, in order").to.deep.equal([tier.postgres, tier.pgbouncer]);
        const outside = await dataTierAlone("external");
        expect(outside.tier.readiness.selfHostedDatabase, "a database outside the host").to.be.undefined;
    });

    it("keeps the dumps, and point-in-time recovery's copies, in the backups bucket for the days it was told", async () => {
        const { resources } = await dataTierAlone("self-hosted");
        const lifecycle = JSON.parse(uploadText(resources, "minio-init", "/run/secrets/mc/backups-lifecycle.json")) as {
            Rules: Array<{ Filter: { Prefix: string }; Expiration: { Days: number } }>;
        };
        expect(lifecycle.Rules.map((r) => [r.Filter.Prefix, r.Expiration.Days])).to.deep.equal([
            ["postgres/", 7],
            ["pitr/", 4],
        ]);
    });
});
