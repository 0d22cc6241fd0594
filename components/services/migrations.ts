import * as pulumi from "@pulumi/pulumi";
import { PUBLIC_IMAGES } from "../images";
import { Service } from "../service";
import { appEnvironment, AppEnvInputs } from "./appEnv";
import { ServiceContext } from "./context";

export const PRE_MIGRATE_BACKUP_DIR = "/backups/pre-migrate";
const BACKUP_SCRIPT = "/usr/local/bin/freshtrack-pre-migrate-backup.sh";

/**
 * A POSIX sh script that dumps the database before migrations run: custom
 * format (restorable with pg_restore, selectively), written under a
 * temporary name and renamed only when complete, old dumps pruned after the
 * retention period. Everything comes from env and the password file; the
 * same script runs in the postgres image and in the tests against a real
 * PostgreSQL.
 */
export function renderPreMigrateBackupScript(): string {
    return `#!/bin/sh
# Rendered by components/services/migrations.ts. Takes a pg_dump before migrations run.
set -eu
dir=\${BACKUP_DIR:-${PRE_MIGRATE_BACKUP_DIR}}
mkdir -p "$dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
file="$dir/freshtrack-before-\${APP_VERSION}-\${stamp}.dump"
# A failed dump leaves nothing behind that could pass for a backup.
trap 'rm -f "$file.partial"' EXIT
PGPASSWORD=$(cat "$DATABASE_PASSWORD_FILE")
PGSSLMODE=$DATABASE_SSLMODE
export PGPASSWORD PGSSLMODE
pg_dump --format=custom --no-owner --no-privileges \\
  --host "$DATABASE_HOST" --port "$DATABASE_PORT" \\
  --username "$DATABASE_USER" --dbname "$DATABASE_NAME" \\
  --file "$file.partial"
mv "$file.partial" "$file"
find "$dir" -name 'freshtrack-before-*.dump' -mtime +"$RETENTION_DAYS" -exec rm -f {} +
echo "pre-migration backup: $file ($(wc -c <"$file") bytes)"
`;
}

export interface MigrationsArgs {
    readonly ctx: ServiceContext;
    readonly app: AppEnvInputs;
    /** What must be healthy first: the database (and PgBouncer, when it runs). */
    readonly database: readonly pulumi.Resource[];
}

/**
 * Runs once per app version, in order: a pg_dump of the database to the
 * backups volume, then the backend image's migrate command. Both are jobs, so
 * a non-zero exit fails the update; the app containers require the migration
 * job, so a failed migration leaves the running version serving.
 */
export class Migrations extends pulumi.ComponentResource {
    readonly backup: Service;
    readonly migrate: Service;

    constructor(name: string, args: MigrationsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:services:Migrations", name, {}, opts);
        const { ctx } = args;
        const direct = appEnvironment("migrate", args.app);
        const networks = [{ network: ctx.networks.data }, { network: ctx.networks.app }];

        this.backup = new Service(
            "pre-migrate-backup",
            {
                kind: "job",
                host: ctx.host,
                namePrefix: ctx.cfg.namePrefix,
                image: PUBLIC_IMAGES.postgres,
                limits: ctx.cfg.resources["pre-migrate-backup"],
                entrypoint: ["/bin/sh"],
                command: [BACKUP_SCRIPT],
                // APP_VERSION in env: a new version is a new job, so it runs again.
                env: { ...direct.env, RETENTION_DAYS: String(ctx.cfg.backup.retentionDays) },
                files: [...direct.files, { path: BACKUP_SCRIPT, content: renderPreMigrateBackupScript() }],
                networks,
                volumes: [{ volume: ctx.volumes.volume("backups"), containerPath: "/backups" }],
                dependsOn: [...args.database],
            },
            { parent: this },
        );

        this.migrate = new Service(
            "migrate",
            {
                kind: "job",
                host: ctx.host,
                namePrefix: ctx.cfg.namePrefix,
                image: ctx.cfg.app.images.backend.ref,
                limits: ctx.cfg.resources.migrate,
                entrypoint: ["/bin/sh", "-c"],
                command: [ctx.cfg.app.commands.migrate],
                env: direct.env,
                files: direct.files,
                networks,
                requires: [this.backup],
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
