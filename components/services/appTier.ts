import * as pulumi from "@pulumi/pulumi";
import { Service } from "../service";
import { APP_IMAGE_USER } from "./appImages";
import { appEnvironment, AppEnvInputs, BACKEND_PORT, FRONTEND_PORT, frontendEnvironment } from "./appEnv";
import { ServiceContext } from "./context";
import { appUserSecret, MINIO_APP_USER } from "./minio";
import type { DataTier } from "./dataTier";
import { Backup } from "./backup";
import { Migrations } from "./migrations";

export interface AppTierArgs {
    readonly ctx: ServiceContext;
    readonly data: DataTier;
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
        const { ctx, data } = args;
        const { cfg } = ctx;
        const inputs: AppEnvInputs = {
            cfg,
            database: data.endpoints.database,
            redis: data.endpoints.redis,
            // Not the root user (issue 15, finding 12): a user that may use the uploads bucket and nothing else, made
            // by minio-init, which the backend and worker therefore require.
            objectStorage: {
                endpoint: data.endpoints.objectStorage.endpoint,
                accessKey: MINIO_APP_USER,
                secretKey: appUserSecret(ctx.secrets.minioRootPassword),
            },
            jwtSecret: ctx.secrets.appJwtSecret,
        };
        const database = [data.postgres, data.pgbouncer].filter((s): s is Service => s !== undefined);
        this.migrations = new Migrations(
            "migrations",
            {
                ctx,
                app: { ...inputs, database: data.endpoints.databaseDirect },
                database,
                ...(data.endpoints.databaseAdmin ? { admin: data.endpoints.databaseAdmin } : {}),
            },
            { parent: this },
        );
        const dataReady = [...database, data.redis, data.minioBuckets];
        // The app's MinIO user exists only once minio-init has succeeded: until then, an update keeps the running
        // version (create-before-delete), whose credentials still work.
        const appRequires = [this.migrations.migrate, data.minioBuckets];
        const common = {
            daemon: ctx.host,
            namePrefix: cfg.namePrefix,
            kind: "stateless" as const,
            user: APP_IMAGE_USER,
        };
        // Networks (issue 15, finding 12; test/appNetworks.test.ts): each for a peer the container calls or is called
        // by there. Backend: edge, where Caddy proxies to it; data, for PgBouncer, Redis and MinIO; monitoring, where
        // Prometheus scrapes it. Worker: data, and monitoring for the scrape. Neither is on app: nothing calls them
        // there and they call nothing there. A managed cluster is outside the host: the backend reaches it out through
        // edge, the worker through app (the only way out it then has), as the postgres exporter does.
        const managedDatabase = cfg.database.mode === "managed";

        const backendEnv = appEnvironment("backend", inputs);
        this.backend = new Service(
            "backend",
            {
                ...common,
                image: ctx.appImages.backend,
                limits: cfg.resources.backend,
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
                image: ctx.appImages.worker,
                limits: cfg.resources.worker,
                env: workerEnv.env,
                files: workerEnv.files,
                healthcheck: {
                    test: ["CMD-SHELL", cfg.app.commands.workerHealthcheck],
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
                image: ctx.appImages.frontend,
                limits: cfg.resources.frontend,
                env: frontendEnvironment(cfg),
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
                app: { ...inputs, database: data.endpoints.databaseDirect },
                database,
                objectStorage: [data.minio, data.minioBuckets],
            },
            { parent: this },
        );

        if (cfg.demoData) {
            const seedEnv = appEnvironment("seed", { ...inputs, database: data.endpoints.databaseDirect });
            this.demoData = new Service(
                "demo-data",
                {
                    ...common,
                    kind: "job",
                    image: ctx.appImages.backend,
                    limits: cfg.resources["demo-data"],
                    entrypoint: ["/bin/sh", "-c"],
                    command: [cfg.app.commands.seed],
                    env: seedEnv.env,
                    files: seedEnv.files,
                    networks: [{ network: ctx.networks.app }, { network: ctx.networks.data }],
                    requires: [this.migrations.migrate],
                    // Runs once per stack: an app update (new image, new APP_VERSION) does not run it again;
                    // a new freshtrack:demoSeedVersion does, through the label.
                    // `user` too: stacks seeded before the app ran as APP_IMAGE_USER must not be seeded twice.
                    ignoreChanges: ["image", "envs", "uploads", "user"],
                    labels: { "seed-version": cfg.demoSeedVersion },
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
            ...(this.demoData ? [this.demoData] : []),
        ];
        this.registerOutputs({ backend: this.backend.alias, frontend: this.frontend.alias });
    }
}
