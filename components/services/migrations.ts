import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import type { DatabaseAdminLogin } from "../platform/managedDatabase";
import { BuiltImage, Service, ServiceFile } from "../service";
import { APP_IMAGE_USER, appServiceImage } from "./appImages";
import { appEnvironment, AppEnvInputs } from "./appEnv";
import { backupEnv, backupVolumes } from "./backup";
import { BACKUP_SCRIPT_PATH, renderBackupScript } from "./backupScripts";
import type { AppContext } from "./appTier";
import { clientSslMode, DATABASE_CA_PATH, DatabaseEndpoint, SECRETS_DIR, SelfHostedLogins } from "./context";
import {
    DATABASE_ROLES_COMMAND,
    PINNED_SEARCH_PATH,
    PINNED_SEARCH_PATH_PGOPTIONS,
    POSTGRES_USER_ID,
    renderDatabaseRoles,
    ROLES_SQL_PATH,
    SUPERUSER_PASSWORD_FILES,
} from "./postgres";
import { imageOf } from "../catalog";

export interface MigrationsArgs {
    /** The application tier's context (AppTier's own args): its networks, secrets, limits, release and commands. */
    readonly ctx: AppContext;
    /**
     * What the migrate job connects to, as the backend would, except that `database` is PostgreSQL straight, not
     * through the pool (the data tier's `databaseDirect`): migrations need a whole session.
     */
    readonly app: AppEnvInputs;
    /** What must be healthy first: the database (and PgBouncer, when it runs). */
    readonly database: readonly pulumi.Resource[];
    /**
     * The managed cluster's administrator. Given, a job first grants the application's role USAGE and
     * CREATE on schema public of its database, which PostgreSQL 15+ no longer lets every role have.
     * The self-hosted PostgreSQL needs none: its direct endpoint carries the superuser logins (`selfHosted`), and
     * the job makes the roles instead (components/services/postgres.ts, renderDatabaseRoles).
     */
    readonly admin?: DatabaseAdminLogin;
}

/**
 * Env of the jobs that must run again whenever the migration does (the pre-migration backup, the grant):
 * a digest of the migrate job's inputs that replace it. Named without KEY or SECRET (service.ts refuses those).
 */
export const MIGRATE_INPUTS_ENV = "MIGRATE_JOB_INPUTS_SHA256";

/**
 * A digest of what makes the provider replace the migrate container, and so run it again: the image it runs
 * (the pulled image's ID, or the build's repoDigest, exactly what Service hands the container as `image`),
 * its entrypoint, command and env. Each is ForceNew on docker_container (kreuzwerker v4.5.0
 * internal/provider/resource_docker_container.go; scripts/lib/readBack/container.ts CONTAINER_SCHEMA cites the
 * lines). Its uploads are the backup's too (the same `direct.files`), and its networks and labels are
 * fixed, so those change both jobs alike without being in the digest. Memory and CPUs update in place and
 * run nothing again.
 */
export function migrateJobDigest(job: {
    image: string;
    entrypoint: readonly string[];
    command: readonly string[];
    env: Readonly<Record<string, string>>;
    user: string;
}): string {
    const env = Object.keys(job.env)
        .sort()
        .map((k) => `${k}=${job.env[k]}`);
    return createHash("sha256")
        .update(JSON.stringify([job.image, job.entrypoint, job.command, env, job.user]))
        .digest("hex");
}

export const GRANT_SQL_PATH = "/etc/freshtrack/public-schema-grant.sql";
export const ADMIN_PASSWORD_FILE = `${SECRETS_DIR}/database_admin_password`;

/** A PostgreSQL identifier in double quotes, so any role name is taken literally. */
function quoteIdentifier(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
}

/** A PostgreSQL string literal. */
function quoteLiteral(text: string): string {
    return `'${text.replace(/'/g, "''")}'`;
}

/**
 * What the grant job runs, as the cluster's administrator (`doadmin`) in the application's database.
 * PostgreSQL 15 took CREATE on schema public away from PUBLIC and gave the schema to pg_database_owner
 * (PostgreSQL 15 release notes, "Migration to Version 15": "Remove PUBLIC creation permission on the
 * public schema", "Change the owner of the public schema to pg_database_owner";
 * postgresql.org/docs/15/release-15.html). A role created through the DigitalOcean API gets only the
 * `normal` role (digitalocean/terraform-provider-digitalocean@401992a1 docs/resources/database_user.md:8-10),
 * so it can connect but not create a table, and every migration fails with "permission denied for schema
 * public" (LukeMathWalker/zero-to-production#268, #272, where `doadmin` granting it was the fix;
 * directus/directus#21890). Granting a privilege the role already holds changes nothing, so the job can
 * run before every migration.
 * The application's role may create in that schema (this job lets it), so it could plant there a function the check
 * calls by name: the search_path is pinned (PINNED_SEARCH_PATH, also by PGOPTIONS in GRANT_COMMAND), the functions are
 * named with their schema, and the literals carry their types, so that none of its functions can run as the
 * administrator (issue 15, finding 12; test/managedGrant.servers.test.ts).
 */
export function renderPublicSchemaGrant(appUser: string): string {
    const role = `${quoteLiteral(appUser)}::name`;
    const holds = (privilege: string) =>
        `pg_catalog.has_schema_privilege(${role}, 'public'::text, '${privilege}'::text)`;
    return [
        "-- Rendered by components/services/migrations.ts: lets the application's role create its tables.",
        "BEGIN;",
        "-- Before anything else: nothing the application's role created in schema public may be found.",
        `SET LOCAL search_path = ${PINNED_SEARCH_PATH};`,
        "SET LOCAL ROLE NONE;",
        `GRANT USAGE, CREATE ON SCHEMA public TO ${quoteIdentifier(appUser)};`,
        "-- A role that may not grant this gets only a warning and exit status 0, and the migration would fail later",
        "-- with a less helpful error: check that the role now has both privileges, or fail the job here.",
        "DO $$",
        "BEGIN",
        // Both asked for separately: with a list, has_schema_privilege is true when any one of them is held.
        `    IF NOT (${holds("USAGE")}`,
        `            AND ${holds("CREATE")}) THEN`,
        `        RAISE EXCEPTION 'role % still may not create in schema public of database %: % does not own it',`,
        `            ${role}, pg_catalog.current_database(), current_user;`,
        "    END IF;",
        "END",
        "$$;",
        "COMMIT;",
        "",
    ].join("\n");
}

/**
 * The grant job's command: the password is read from the secret file into libpq's PGPASSWORD inside the
 * shell, so it is in neither the container's command nor its env; the rest of the connection is PG* env.
 * PGOPTIONS pins the connection's search_path, whatever the database's own setting (PINNED_SEARCH_PATH).
 */
export const GRANT_COMMAND = [
    "set -eu",
    `export PGOPTIONS='${PINNED_SEARCH_PATH_PGOPTIONS}'`,
    `PGPASSWORD=$(cat "$ADMIN_PASSWORD_FILE")`,
    "export PGPASSWORD",
    `exec psql --no-psqlrc --set ON_ERROR_STOP=1 --file ${GRANT_SQL_PATH}`,
].join("\n");

/**
 * Runs whenever the migration's inputs change (a new version, image, build or
 * migrate command), in order: with managed PostgreSQL, the grant on
 * schema public; a pg_dump of the database to the backups volume; then the
 * backend image's migrate command. All are jobs, so a non-zero exit fails the
 * update; the migration requires the backup (and the grant), and the app
 * containers require the migration, so a failed step leaves the running
 * version serving.
 */
export class Migrations extends pulumi.ComponentResource {
    /**
     * The job as the database's administrator, before the backup and the migration: with managed PostgreSQL the grant
     * on schema public; with the self-hosted one, the roles and the application's ownership of its database.
     */
    readonly grant?: Service;
    readonly backup: Service;
    readonly migrate: Service;

    constructor(name: string, args: MigrationsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:services:Migrations", name, {}, opts);
        const { ctx } = args;
        const direct = appEnvironment("migrate", args.app);
        const networks = [{ network: ctx.networks.data }, { network: ctx.networks.app }];
        const migrateEntrypoint = ["/bin/sh", "-c"];
        const migrateCommand = [ctx.app.commands.migrate];
        // The migrate job's image ID is known only once its Service has registered the pull, after the jobs that must
        // run before it: they take the digest through this promise, settled right below. Awaiting it orders nothing
        // new (the pull does not wait for either job), and in a preview that replaces the pull it is unknown, so the
        // preview shows these jobs replaced, as the update does.
        let settleDigest!: (digest: pulumi.Output<string>) => void;
        const migrateDigest = pulumi.output(new Promise<pulumi.Output<string>>((resolve) => (settleDigest = resolve)));
        const selfHosted = args.app.database.selfHosted;
        // The job connects once (PGCONNECT_TIMEOUT) and fails if the server does not answer: it waits for the database
        // to be healthy, which on a first deploy or an upgrade that replaces PostgreSQL takes a while (the newcomer
        // pass).
        if (selfHosted)
            this.grant = databaseRoles(this, ctx, args.app.database, selfHosted, migrateDigest, args.database);
        else if (args.admin)
            this.grant = publicSchemaGrant(this, ctx, args.app.database, args.admin, migrateDigest, args.database);

        this.backup = new Service(
            "pre-migrate-backup",
            {
                kind: "job",
                daemon: ctx.daemon,
                namePrefix: ctx.namePrefix,
                image: imageOf("pre-migrate-backup"),
                limits: ctx.limits["pre-migrate-backup"],
                rootReason:
                    "it writes its dump beside the backup service's, in the backups volume whose dumps and directories are root's (0600, 0700)",
                // The same script as the scheduled backups (backupScripts.ts).
                entrypoint: ["/bin/sh"],
                command: [BACKUP_SCRIPT_PATH, "pre-migrate"],
                // APP_VERSION names the dump; the digest of the migrate job's inputs replaces this job, so it runs
                // again, whenever the migrate job is replaced (issue 15, finding 5).
                env: { ...backupEnv(ctx, direct.env, true), [MIGRATE_INPUTS_ENV]: migrateDigest },
                files: [...direct.files, { path: BACKUP_SCRIPT_PATH, content: renderBackupScript(), executable: true }],
                networks,
                volumes: backupVolumes(ctx),
            },
            {
                parent: this,
                // After the grant only for order: with managed PostgreSQL a backup is worth taking even when the grant
                // failed. On the self-hosted one it dumps as the application's role, which exists and owns the tables
                // only once the roles job has run: after a failed roles job it fails too, and the migration runs
                // neither way.
                dependsOn: [...args.database, ...(this.grant ? [this.grant] : [])],
            },
        );

        this.migrate = new Service(
            "migrate",
            {
                kind: "job",
                daemon: ctx.daemon,
                namePrefix: ctx.namePrefix,
                ...appServiceImage(ctx.images, "backend"),
                limits: ctx.limits.migrate,
                user: APP_IMAGE_USER,
                entrypoint: migrateEntrypoint,
                command: migrateCommand,
                env: direct.env,
                files: direct.files,
                networks,
                requires: [this.backup, ...(this.grant ? [this.grant] : [])],
            },
            { parent: this },
        );
        // What Service gives the container as its image (service.ts): the pull's image ID, or a local build's
        // reference.
        const image = this.migrate.image ? this.migrate.image.imageId : (ctx.images.backend as BuiltImage).reference;
        settleDigest(
            pulumi.all([image, pulumi.all(direct.env)]).apply(([id, env]) =>
                migrateJobDigest({
                    image: id,
                    entrypoint: migrateEntrypoint,
                    command: migrateCommand,
                    env,
                    user: APP_IMAGE_USER,
                }),
            ),
        );
        this.registerOutputs({});
    }
}

/**
 * The one-shot grant as the cluster's administrator, in the postgres image (which has psql), over the
 * app network (the way out of the host to the cluster's private address). The digest of the migrate
 * job's inputs in env makes it a new job whenever the migration is one, like the pre-migration backup:
 * the grant is asserted again before every migration, so a role that was deleted and created again gets it back.
 */
function publicSchemaGrant(
    parent: pulumi.Resource,
    ctx: AppContext,
    direct: DatabaseEndpoint,
    admin: DatabaseAdminLogin,
    migrateDigest: pulumi.Output<string>,
    database: readonly pulumi.Resource[],
): Service {
    return databaseGrantJob(parent, ctx, direct, migrateDigest, database, {
        command: GRANT_COMMAND,
        env: {
            PGUSER: admin.user,
            ...(direct.caCertificate !== undefined ? { PGSSLROOTCERT: DATABASE_CA_PATH } : {}),
            ADMIN_PASSWORD_FILE,
        },
        files: [
            { path: ADMIN_PASSWORD_FILE, content: admin.password, secret: true },
            { path: GRANT_SQL_PATH, content: pulumi.output(direct.user).apply(renderPublicSchemaGrant) },
            ...(direct.caCertificate !== undefined ? [{ path: DATABASE_CA_PATH, content: direct.caCertificate }] : []),
        ],
        // The way out of the host to the cluster's private address.
        network: ctx.networks.app,
    });
}

/**
 * The self-hosted PostgreSQL's database-grant job: as the cluster's superuser, makes and checks the roles and gives the
 * application's role its database (renderDatabaseRoles), before every migration, like the managed grant (the digest of
 * the migrate job's inputs in env replaces it whenever the migration is replaced). In the postgres image, as its
 * `postgres` user (psql needs nothing of root), on the data network beside the server. The SQL holds SCRAM verifiers,
 * not passwords, and is secret all the same.
 */
function databaseRoles(
    parent: pulumi.Resource,
    ctx: AppContext,
    direct: DatabaseEndpoint,
    logins: SelfHostedLogins,
    migrateDigest: pulumi.Output<string>,
    database: readonly pulumi.Resource[],
): Service {
    const [superuser, legacySuperuser] = logins.superusers;
    if (!superuser || !legacySuperuser || logins.superusers.length !== SUPERUSER_PASSWORD_FILES.length) {
        throw new pulumi.RunError(`the roles job tries exactly ${SUPERUSER_PASSWORD_FILES.length} superuser logins`);
    }
    // The receiver's slot exists exactly when point-in-time recovery is on; this job runs only with a self-hosted
    // PostgreSQL, the one place it applies.
    const walSlot = ctx.backup.pointInTime;
    const sql = pulumi
        .all([direct.password, logins.backup.password, logins.monitor.password, logins.replication.password])
        .apply(([app, backup, monitor, replication]) =>
            renderDatabaseRoles({ app, backup, monitor, replication }, { walSlot }),
        );
    return databaseGrantJob(parent, ctx, direct, migrateDigest, database, {
        command: DATABASE_ROLES_COMMAND,
        env: { PGCONNECT_TIMEOUT: "10" },
        files: [
            { path: ROLES_SQL_PATH, content: pulumi.secret(sql), secret: true },
            { path: SUPERUSER_PASSWORD_FILES[0], content: superuser.password, secret: true },
            { path: SUPERUSER_PASSWORD_FILES[1], content: legacySuperuser.password, secret: true },
        ],
        network: ctx.networks.data,
    });
}

/**
 * The database-grant job of either kind: psql in the postgres image, as its postgres user (psql reads only its 0444
 * files), connected to the application's database, and replaced with the migration (the digest of the migrate job's
 * inputs in env). A few catalog statements: the pre-migration backup's limits, in the same image, are ample.
 */
function databaseGrantJob(
    parent: pulumi.Resource,
    ctx: AppContext,
    direct: DatabaseEndpoint,
    migrateDigest: pulumi.Output<string>,
    database: readonly pulumi.Resource[],
    job: { command: string; env: Record<string, pulumi.Input<string>>; files: ServiceFile[]; network: docker.Network },
): Service {
    return new Service(
        "database-grant",
        {
            kind: "job",
            daemon: ctx.daemon,
            namePrefix: ctx.namePrefix,
            image: imageOf("database-grant"),
            limits: ctx.limits["pre-migrate-backup"],
            user: POSTGRES_USER_ID,
            entrypoint: ["/bin/sh", "-c"],
            command: [job.command],
            env: {
                PGHOST: direct.host,
                PGPORT: pulumi.output(direct.port).apply(String),
                PGDATABASE: direct.database,
                PGSSLMODE: clientSslMode(direct),
                ...job.env,
                APP_VERSION: ctx.app.version,
                [MIGRATE_INPUTS_ENV]: migrateDigest,
            },
            files: job.files,
            networks: [{ network: job.network }],
        },
        { parent, dependsOn: [...database] },
    );
}
