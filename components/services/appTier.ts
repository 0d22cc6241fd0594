import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import { Service } from "../service";
import { APP_IMAGE_USER, AppImageSources, appServiceImage } from "./appImages";
import { appEnvironment, AppEnvInputs, BACKEND_PORT, FRONTEND_PORT, frontendEnvironment } from "./appEnv";
import type { TierPlatform } from "./context";
import { appUserSecret, MINIO_APP_USER } from "./minio";
import type { DataEndpoints, DataReadiness } from "./dataTier";
import { Backup } from "./backup";
import { Migrations } from "./migrations";

/**
 * What the application tier uses of the platform. Networks: the four its containers join, each for a peer it calls or
 * is called by (the constructor says which). Volumes: the backups, and node-exporter's textfile directory where the
 * backup jobs leave their metrics. Credentials: the JWT key, and MinIO's root password, from which the application's,
 * backup-sync's and the uploads reader's own MinIO secrets are derived (minio.ts).
 */
export const APP_PLATFORM = {
    networks: ["edge", "app", "data", "monitoring"],
    volumes: ["backups", "metrics-textfile"],
    secrets: ["minioRootPassword", "appJwtSecret"],
} as const;

/** The application tier's part of the platform (APP_PLATFORM). */
export type AppPlatform = TierPlatform<
    (typeof APP_PLATFORM.networks)[number],
    (typeof APP_PLATFORM.volumes)[number],
    (typeof APP_PLATFORM.secrets)[number]
>;

type AppService =
    | "migrate"
    | "pre-migrate-backup"
    | "backend"
    | "worker"
    | "frontend"
    | "demo-data"
    | "backup"
    | "backup-sync"
    | "backup-offsite"
    | "wal-receiver";

/** What the application tier's builders (Migrations, Backup, the services here) read. */
export interface AppContext extends AppPlatform {
    /** The release they run and the commands run in its images (freshtrack:appVersion, freshtrack:appCommands). */
    readonly app: Readonly<Pick<StackConfig["app"], "version" | "commands">>;
    /** Where the stack is served (freshtrack:domain), which the images are told as PUBLIC_URL. */
    readonly domain: string;
    /**
     * What backend, worker and frontend run: pinned references, or this stack's builds, and what their pulls wait for
     * (appImageSources).
     */
    readonly images: AppImageSources;
    /** Their limits (freshtrack:resources). */
    readonly limits: Readonly<Pick<StackConfig["resources"], AppService>>;
    /** Schedule, retention and offsite store of the backups (freshtrack:backup, freshtrack:backupOffsite*). */
    readonly backup: StackConfig["backup"];
    /**
     * The tables a restore drill compares with the live database, each with its timestamp column: the rollback's
     * (freshtrack:rollback.exportTables), the tables whose rows matter most and carry the time they were written.
     */
    readonly drillTables: StackConfig["rollback"]["exportTables"];
}

export interface AppTierArgs extends AppContext {
    /**
     * Where PostgreSQL runs (freshtrack:database.mode): a managed cluster is outside the host, and the worker then
     * needs a way out to it.
     */
    readonly databaseMode: StackConfig["database"]["mode"];
    /** Present when freshtrack:demoData is on. */
    readonly demoData?: {
        /** freshtrack:demoSeedVersion, a label of the demo-data job, whose change runs the job (and seeds) again. */
        readonly seedVersion: string;
    };
    /** Of the data tier, values only: where its services answer, and the containers to wait for. */
    readonly data: {
        /** Where the data services answer, and with which logins (DataTier's `endpoints`). */
        readonly endpoints: DataEndpoints;
        /** What the application's containers wait for and require (DataTier's `readiness`). */
        readonly readiness: DataReadiness;
    };
}

/** Exits 0 when an HTTP endpoint answers 2xx; uses the Node.js runtime the FreshTrack images are built on. */
export function nodeHttpProbe(url: string): string[] {
    return ["CMD", "node", "-e", `fetch(${JSON.stringify(url)}).then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))`];
}

/**
 * FreshTrack's own services: migrations first, then backend, worker and
 * frontend. All three are stateless: a new version starts beside the old one
 * under the same network alias, turns healthy, and only then is the old one
 * removed, so Caddy always has a healthy upstream.
 */
export class AppTier extends pulumi.ComponentResource {
    readonly migrations: Migrations;
    readonly backend: Service;
    readonly worker: Service;
    readonly frontend: Service;
    readonly backup: Backup;
    /** Present when freshtrack:demoData is on. */
    readonly demoData?: Service;
    readonly services: readonly Service[];

    constructor(name: string, args: AppTierArgs, opts?: pulumi.ComponentResourceOptions) {
        super("freshtrack:services:AppTier", name, {}, opts);
        const ctx: AppContext = args;
        const { endpoints, readiness } = args.data;
        const inputs: AppEnvInputs = {
            cfg: ctx,
            database: endpoints.database,
            redis: endpoints.redis,
            // Not the root user (issue 15, finding 12): a user that may use the uploads bucket and nothing else, made
            // by minio-init, which the backend and worker therefore require.
            objectStorage: {
                endpoint: endpoints.objectStorage.endpoint,
                accessKey: MINIO_APP_USER,
                secretKey: appUserSecret(ctx.secrets.minioRootPassword),
            },
            jwtSecret: ctx.secrets.appJwtSecret,
        };
        const database = readiness.database;
        this.migrations = new Migrations(
            "migrations",
            {
                ctx,
                app: { ...inputs, database: endpoints.databaseDirect },
                database,
                ...(endpoints.databaseAdmin ? { admin: endpoints.databaseAdmin } : {}),
            },
            { parent: this },
        );
        const dataReady = [...database, readiness.redis, readiness.objectStorageInit];
        // The app's MinIO user exists only once minio-init has succeeded: until then, an update keeps the running
        // version (create-before-delete), whose credentials still work.
        const appRequires = [this.migrations.migrate, readiness.objectStorageInit];
        const common = {
            daemon: ctx.daemon,
            namePrefix: ctx.namePrefix,
            kind: "stateless" as const,
            user: APP_IMAGE_USER,
        };
        // Networks (issue 15, finding 12; test/appNetworks.stack.test.ts): each for a peer the container calls or is
        // called by there. Backend: edge, where Caddy proxies to it; data, for PgBouncer, Redis and MinIO; monitoring,
        // where Prometheus scrapes it. Worker: data, and monitoring for the scrape. Neither is on app: nothing calls
        // them there and they call nothing there. A managed cluster is outside the host: the backend reaches it out
        // through edge, the worker through app (the only way out it then has), as the postgres exporter does.
        const managedDatabase = args.databaseMode === "managed";

        const backendEnv = appEnvironment("backend", inputs);
        this.backend = new Service(
            "backend",
            {
                ...common,
                ...appServiceImage(ctx.images, "backend"),
                limits: ctx.limits.backend,
                env: backendEnv.env,
                files: backendEnv.files,
                healthcheck: {
                    test: nodeHttpProbe(`http://127.0.0.1:${BACKEND_PORT}/health/ready`),
                    startPeriodSeconds: 30,
                },
                networks: [
                    { network: ctx.networks.edge },
                    { network: ctx.networks.data },
                    { network: ctx.networks.monitoring },
                ],
                requires: appRequires,
            },
            { parent: this, dependsOn: dataReady },
        );

        const workerEnv = appEnvironment("worker", inputs);
        this.worker = new Service(
            "worker",
            {
                ...common,
                ...appServiceImage(ctx.images, "worker"),
                limits: ctx.limits.worker,
                env: workerEnv.env,
                files: workerEnv.files,
                healthcheck: {
                    test: ["CMD-SHELL", ctx.app.commands.workerHealthcheck],
                    intervalSeconds: 30,
                    startPeriodSeconds: 30,
                },
                networks: [
                    ...(managedDatabase ? [{ network: ctx.networks.app }] : []),
                    { network: ctx.networks.data },
                    { network: ctx.networks.monitoring },
                ],
                requires: appRequires,
            },
            { parent: this, dependsOn: dataReady },
        );

        this.frontend = new Service(
            "frontend",
            {
                ...common,
                ...appServiceImage(ctx.images, "frontend"),
                limits: ctx.limits.frontend,
                env: frontendEnvironment(ctx),
                // It has no files to copy in, so its root filesystem can be read-only: it writes only /tmp
                // (docs/app-contract.md).
                readOnlyRoot: true,
                tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" },
                healthcheck: { test: ["CMD", "wget", "-q", "--spider", `http://127.0.0.1:${FRONTEND_PORT}/health`] },
                networks: [{ network: ctx.networks.edge }],
            },
            { parent: this },
        );

        this.backup = new Backup(
            "backup",
            {
                ctx,
                app: { ...inputs, database: endpoints.databaseDirect },
                database,
                objectStorage: [readiness.objectStorage, readiness.objectStorageInit],
                ...(this.migrations.grant ? { roles: this.migrations.grant } : {}),
            },
            { parent: this },
        );

        if (args.demoData) {
            const seedEnv = appEnvironment("seed", { ...inputs, database: endpoints.databaseDirect });
            this.demoData = new Service(
                "demo-data",
                {
                    ...common,
                    kind: "job",
                    ...appServiceImage(ctx.images, "backend"),
                    limits: ctx.limits["demo-data"],
                    entrypoint: ["/bin/sh", "-c"],
                    command: [ctx.app.commands.seed],
                    env: seedEnv.env,
                    files: seedEnv.files,
                    networks: [{ network: ctx.networks.app }, { network: ctx.networks.data }],
                    requires: [this.migrations.migrate],
                    // Runs once per stack: an app update (new image, new APP_VERSION) does not run it again;
                    // a new freshtrack:demoSeedVersion does, through the label.
                    // `user` too: stacks seeded before the app ran as APP_IMAGE_USER must not be seeded twice.
                    ignoreChanges: ["image", "envs", "uploads", "user"],
                    labels: { "seed-version": args.demoData.seedVersion },
                },
                { parent: this },
            );
        }

        this.services = [
            ...(this.migrations.grant ? [this.migrations.grant] : []),
            this.migrations.backup,
            this.migrations.migrate,
            this.backend,
            this.worker,
            this.frontend,
            this.backup.scheduler,
            this.backup.sync,
            ...(this.backup.offsite ? [this.backup.offsite] : []),
            ...(this.backup.walReceiver ? [this.backup.walReceiver] : []),
            ...(this.demoData ? [this.demoData] : []),
        ];
        this.registerOutputs({ backend: this.backend.alias, frontend: this.frontend.alias });
    }
}
