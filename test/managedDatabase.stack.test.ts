/**
 * Managed PostgreSQL (freshtrack:database.mode managed) and PostgreSQL 15's public schema: issue 14, defect 5.
 * The role the program creates through the DigitalOcean API cannot create tables in schema public, so a job
 * runs first as the cluster's administrator and grants it USAGE and CREATE there.
 *
 * No shipped stack uses the managed database (Pulumi.staging.yaml and Pulumi.prod.yaml run the container
 * database), so these tests run prod with database.mode managed, as test/hosts.stack.test.ts does, and check that the
 * shipped stacks stay as they were. Rungs: 1 (mocks) and 2 (the mocks give the cluster its `user` and
 * `password` outputs as the provider reads them back, scripts/lib/readBack/digitalocean.ts); the SQL itself
 * runs against a real PostgreSQL in test/managedGrant.servers.test.ts (rung 4).
 */
import { expect } from "chai";
import { contractFor } from "../components/imageContracts";
import { PUBLIC_IMAGES } from "../components/images";
import { DATABASE, DATABASE_CA_PATH } from "../components/services/context";
import { ADMIN_PASSWORD_FILE, GRANT_SQL_PATH, renderPublicSchemaGrant } from "../components/services/migrations";
import { renderDatabaseRoles, ROLES_SQL_PATH } from "../components/services/postgres";
import { deployStack } from "../components/stack";
import {
    MOCK_DATABASE_CA,
    MockRunFailure,
    RegisteredResource,
    runUnderMocks,
    SecretValue,
} from "../scripts/lib/mockRun";
import { DATABASE_CLUSTER_DEFAULT_USER } from "../scripts/lib/readBack/digitalocean";
import { loadStackSettings, shippedStacks, StackSettings } from "../scripts/lib/stackFiles";
import { containerNamed, containers, plainStrings, uploadText } from "./helpers";
import { sharedRun, shippedRun } from "./variantRuns";

const GRANT = "database-grant";
const CLUSTER = "digitalocean:index/databaseCluster:DatabaseCluster";

function managedProd(): StackSettings {
    const settings = loadStackSettings("prod");
    return {
        ...settings,
        config: {
            ...settings.config,
            "freshtrack:database": JSON.stringify({ mode: "managed", size: "db-s-1vcpu-2gb" }),
        },
    };
}

function envOf(container: RegisteredResource): Record<string, string> {
    return Object.fromEntries(
        (container.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
    );
}

function requiresLabel(container: RegisteredResource): string | undefined {
    return (container.inputs.labels as Array<{ label: string; value: string }>).find(
        (l) => l.label === "com.freshtrack.requires",
    )?.value;
}

describe("managed PostgreSQL: the application's role is granted CREATE on schema public before migrations (rungs 1-2)", function () {
    this.timeout(60_000);
    let resources: RegisteredResource[];
    let adminPassword: string;
    before(async () => {
        resources = (await sharedRun(managedProd())).resources;
        const cluster = resources.find((r) => r.type === CLUSTER);
        if (!cluster) throw new Error("no database cluster registered");
        adminPassword = DATABASE_CLUSTER_DEFAULT_USER.password(cluster.name);
    });

    it("runs a grant job with the managed database; on the shipped stacks (container database) the job makes the roles instead", async () => {
        expect(containerNamed(resources, GRANT).inputs.attach, "a job: waits for the exit").to.equal(true);
        for (const stack of shippedStacks()) {
            const shipped = (await shippedRun(stack)).resources;
            // The self-hosted job (components/services/postgres.ts, renderDatabaseRoles;
            // test/databaseRoles*.servers.test.ts), never the managed grant and never as doadmin.
            expect(uploadText(shipped, GRANT, ROLES_SQL_PATH), stack).to.equal(
                renderDatabaseRoles(
                    {
                        app: "mock-secrets-databaseAppPassword",
                        backup: "mock-secrets-databaseBackupPassword",
                        monitor: "mock-secrets-databaseMonitorPassword",
                        replication: "mock-secrets-databaseReplicationPassword",
                    },
                    // freshtrack:backup.pointInTime, on by default and in every shipped stack.
                    { walSlot: true },
                ),
            );
            expect(envOf(containerNamed(shipped, GRANT)).PGUSER, stack).to.equal(undefined);
            expect(requiresLabel(containerNamed(shipped, "migrate")), stack).to.equal(`pre-migrate-backup,${GRANT}`);
        }
    });

    it("connects as the cluster's administrator (the provider's `user` output) to the application's database, over TLS", () => {
        const env = envOf(containerNamed(resources, GRANT));
        // Issue 15, finding 17: verify-full against the cluster's CA (the describe block at the end of this file).
        expect(env).to.include({
            PGUSER: DATABASE_CLUSTER_DEFAULT_USER.user,
            PGDATABASE: DATABASE.name,
            PGSSLMODE: "verify-full",
        });
        expect(env.PGUSER).to.equal("doadmin");
        // The direct cluster address, the one migrations use (not the transaction pool).
        const migrate = envOf(containerNamed(resources, "migrate"));
        expect([env.PGHOST, env.PGPORT]).to.deep.equal([migrate.DATABASE_HOST, migrate.DATABASE_PORT]);
    });

    it("grants USAGE and CREATE on schema public to the role the migration connects as, and nothing more", () => {
        const sql = uploadText(resources, GRANT, GRANT_SQL_PATH);
        const appUser = envOf(containerNamed(resources, "migrate")).DATABASE_USER;
        expect(appUser).to.equal(DATABASE.user);
        expect(sql).to.equal(renderPublicSchemaGrant(appUser!));
        // One privilege change; the rest only checks it took effect (run for real in managedGrant.servers.test.ts).
        const changes = sql.split("\n").filter((l) => /^\s*(GRANT|REVOKE|ALTER|CREATE|DROP)\b/i.test(l));
        expect(changes).to.deep.equal([`GRANT USAGE, CREATE ON SCHEMA public TO "${DATABASE.user}";`]);
        expect(sql).to.contain(
            `pg_catalog.has_schema_privilege('${DATABASE.user}'::name, 'public'::text, 'CREATE'::text)`,
        );
        const command = (containerNamed(resources, GRANT).inputs.command as string[]).join(" ");
        expect(command).to.contain(`psql --no-psqlrc --set ON_ERROR_STOP=1 --file ${GRANT_SQL_PATH}`);
    });

    it("keeps the admin password a secret: a secret upload read inside the shell, never in the command, env or labels of any container", () => {
        const grant = containerNamed(resources, GRANT);
        type Upload = { file: string; content: unknown; permissions?: string };
        const uploads = (
            grant.inputs.uploads instanceof SecretValue ? grant.inputs.uploads.value : grant.inputs.uploads
        ) as Upload[];
        const upload = uploads.find((u) => u.file === ADMIN_PASSWORD_FILE)!;
        expect(upload.content).to.be.instanceOf(SecretValue);
        expect((upload.content as SecretValue).value).to.equal(adminPassword);
        expect(upload.permissions).to.equal("0444");
        expect(envOf(grant).ADMIN_PASSWORD_FILE).to.equal(ADMIN_PASSWORD_FILE);
        // Anywhere in plain text, on any resource (plainStrings skips what is marked secret).
        for (const r of resources)
            expect(plainStrings(r.inputs).join("\n"), `${r.type} ${r.name}`).to.not.contain(adminPassword);
        expect(plainStrings(grant.inputs.command).join("\n")).to.contain('PGPASSWORD=$(cat "$ADMIN_PASSWORD_FILE")');
    });

    it("orders grant, pre-migration backup, migration; the migration requires the grant's exit code", () => {
        const urn = (name: string) => containerNamed(resources, name).urn;
        expect(containerNamed(resources, "pre-migrate-backup").options.dependsOn).to.include(urn(GRANT));
        expect(containerNamed(resources, "migrate").options.dependsOn).to.include.members([
            urn(GRANT),
            urn("pre-migrate-backup"),
        ]);
        expect(requiresLabel(containerNamed(resources, "migrate"))).to.equal(`pre-migrate-backup,${GRANT}`);
        // A backup is worth taking even if the grant failed: it waits for the grant but is not gated on it.
        expect(requiresLabel(containerNamed(resources, "pre-migrate-backup"))).to.equal(undefined);
    });

    it("never migrates, nor starts the new backend, when the grant fails", async () => {
        let failure: unknown;
        try {
            await runUnderMocks(managedProd(), deployStack, { exitCodes: { [GRANT]: 2 } });
        } catch (err) {
            failure = err;
        }
        expect(failure).to.be.instanceOf(MockRunFailure);
        expect((failure as MockRunFailure).message).to.contain(`job '${GRANT}' exited with code 2`);
        const names = containers((failure as MockRunFailure).resources).map((c) => c.name);
        expect(names).to.include(GRANT).and.not.include("migrate").and.not.include("backend");
    });

    it("uses the pinned postgres image, whose contract has the shell and psql it runs (rung 6: image contracts)", () => {
        const grant = containerNamed(resources, GRANT);
        const image = resources.find(
            (r) => r.type === "docker:index/remoteImage:RemoteImage" && r.name === `${GRANT}-image`,
        )!;
        expect(image.inputs.name).to.equal(PUBLIC_IMAGES.postgres);
        const binaries = Object.keys(contractFor(PUBLIC_IMAGES.postgres)!.binaries);
        expect(binaries).to.include((grant.inputs.entrypoints as string[])[0]);
        expect(binaries).to.include.members(["/usr/local/bin/psql", "/bin/cat"]);
        // The image's entrypoint (and its gosu) never runs, so no capability is added back.
        expect((grant.inputs.capabilities as { adds: string[] }).adds).to.deep.equal([]);
    });
});

/**
 * Issue 15, finding 17: every client of the managed cluster checks its certificate against DigitalOcean's CA for the
 * cluster (digitalocean.getDatabaseCa, answered by the mocks with MOCK_DATABASE_CA) and the host name, libpq's
 * sslmode verify-full; the container database stacks are untouched. Rung 1 (mocks).
 */
describe("managed PostgreSQL: clients verify the cluster's certificate, sslmode verify-full (issue 15, finding 17; rung 1)", function () {
    this.timeout(60_000);
    let resources: RegisteredResource[];
    before(async () => {
        resources = (await sharedRun(managedProd())).resources;
    });

    function uploadOf(
        container: RegisteredResource,
        file: string,
    ): { content: unknown; permissions?: string } | undefined {
        const uploads = (
            container.inputs.uploads instanceof SecretValue ? container.inputs.uploads.value : container.inputs.uploads
        ) as Array<{ file: string; content: unknown; permissions?: string }>;
        return uploads.find((u) => u.file === file);
    }

    it("hands the app (backend, worker, migrate) DATABASE_SSLMODE=verify-full and the CA as DATABASE_CA_FILE", () => {
        for (const name of ["backend", "worker", "migrate"]) {
            const c = containerNamed(resources, name);
            expect(envOf(c), name).to.include({ DATABASE_SSLMODE: "verify-full", DATABASE_CA_FILE: DATABASE_CA_PATH });
            expect(uploadOf(c, DATABASE_CA_PATH)?.content, name).to.equal(MOCK_DATABASE_CA);
        }
    });

    it("gives libpq in the backups, the pre-migration backup and the grant verify-full and PGSSLROOTCERT, with the CA file", () => {
        for (const name of ["backup", "pre-migrate-backup"]) {
            const c = containerNamed(resources, name);
            // The backup scripts export PGSSLMODE from DATABASE_SSLMODE (backupScripts.ts, CONNECTION); PGSSLROOTCERT
            // is libpq's own.
            expect(envOf(c), name).to.include({ DATABASE_SSLMODE: "verify-full", PGSSLROOTCERT: DATABASE_CA_PATH });
            expect(uploadOf(c, DATABASE_CA_PATH)?.content, name).to.equal(MOCK_DATABASE_CA);
        }
        const grant = containerNamed(resources, GRANT);
        expect(envOf(grant)).to.include({ PGSSLMODE: "verify-full", PGSSLROOTCERT: DATABASE_CA_PATH });
        expect(uploadOf(grant, DATABASE_CA_PATH)?.content).to.equal(MOCK_DATABASE_CA);
    });

    it("has the postgres exporter verify the certificate too, with the CA file beside it", () => {
        const exporter = containerNamed(resources, "postgres-exporter");
        expect(envOf(exporter).DATA_SOURCE_URI).to.match(
            new RegExp(`\\?sslmode=verify-full&sslrootcert=${DATABASE_CA_PATH.replace(/\//g, "\\/")}$`),
        );
        expect(uploadOf(exporter, DATABASE_CA_PATH)?.content).to.equal(MOCK_DATABASE_CA);
    });

    it("connects by the cluster's and the pool's private host names, the names the certificate must carry", () => {
        const cluster = resources.find((r) => r.type === CLUSTER)!;
        expect(envOf(containerNamed(resources, "migrate")).DATABASE_HOST).to.equal(
            "private-cluster.db.ondigitalocean.com",
        );
        expect(envOf(containerNamed(resources, "backend")).DATABASE_HOST).to.equal(
            "private-pool.db.ondigitalocean.com",
        );
        expect(cluster).to.not.equal(undefined);
    });

    it("changes nothing on the container-database stacks: no CA, no verify-full, sslmode disable", async () => {
        for (const stack of shippedStacks()) {
            const shipped = (await shippedRun(stack)).resources;
            for (const c of containers(shipped)) {
                const env = envOf(c);
                expect(
                    Object.keys(env).filter((k) => k === "DATABASE_CA_FILE" || k === "PGSSLROOTCERT"),
                    `${stack} ${c.name}`,
                ).to.deep.equal([]);
                if (env.DATABASE_SSLMODE !== undefined)
                    expect(env.DATABASE_SSLMODE, `${stack} ${c.name}`).to.equal("disable");
                expect(uploadOf(c, DATABASE_CA_PATH), `${stack} ${c.name}`).to.equal(undefined);
            }
        }
    });
});
