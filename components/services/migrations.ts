import * as pulumi from "@pulumi/pulumi";
import { PUBLIC_IMAGES } from "../images";
import { Service } from "../service";
import { appEnvironment, AppEnvInputs } from "./appEnv";
import { backupEnv, backupVolumes } from "./backup";
import { BACKUP_SCRIPT_PATH, renderBackupScript } from "./backupScripts";
import { ServiceContext } from "./context";

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
                // The same script as the scheduled backups (backupScripts.ts).
                entrypoint: ["/bin/sh"],
                command: [BACKUP_SCRIPT_PATH, "pre-migrate"],
                // APP_VERSION in env: a new version is a new job, so it runs again.
                env: backupEnv(ctx, direct.env, true),
                files: [...direct.files, { path: BACKUP_SCRIPT_PATH, content: renderBackupScript(), executable: true }],
                networks,
                volumes: backupVolumes(ctx),
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
                image: ctx.appImages.backend,
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
