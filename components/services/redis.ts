import * as pulumi from "@pulumi/pulumi";
import { Service } from "../service";
import { SECRETS_DIR } from "./context";
import type { DataContext } from "./dataTier";
import { SERVICES, imageOf } from "../catalog";

export const REDIS_PORT = SERVICES.redis.port;
const AUTH_CONF = `${SECRETS_DIR}/redis_auth.conf`;
const PASSWORD_FILE = `${SECRETS_DIR}/redis_password`;

/** redis.conf without the password, which it includes from a secret file. */
export function renderRedisConf(memoryMb: number, paths: { authConf?: string; dataDir?: string } = {}): string {
    return [
        `include ${paths.authConf ?? AUTH_CONF}`,
        `dir ${paths.dataDir ?? "/data"}`,
        // Every write reaches the append-only file within a second; a restart loses at most that.
        "appendonly yes",
        "appendfsync everysec",
        // Leave a fifth of the limit for fork-on-rewrite and buffers, so the kernel never kills Redis.
        `maxmemory ${Math.floor(memoryMb * 0.8)}mb`,
        // BullMQ requires noeviction: an evicted job key is a lost job.
        "maxmemory-policy noeviction",
        "protected-mode no",
        "",
    ].join("\n");
}

/** The secret half of the config: the password clients must send. */
export function renderRedisAuthConf(password: string): string {
    return `requirepass ${password}\n`;
}

export function redis(ctx: DataContext, parent: pulumi.Resource): Service {
    const limits = ctx.limits.redis;
    return new Service(
        "redis",
        {
            kind: "stateful",
            statefulReason: "two servers appending to one AOF directory would corrupt it",
            daemon: ctx.daemon,
            namePrefix: ctx.namePrefix,
            image: imageOf("redis"),
            limits,
            command: ["redis-server", "/usr/local/etc/redis/redis.conf"],
            files: [
                { path: "/usr/local/etc/redis/redis.conf", content: renderRedisConf(limits.memoryMb) },
                { path: AUTH_CONF, content: ctx.secrets.redisPassword.apply(renderRedisAuthConf), secret: true },
                { path: PASSWORD_FILE, content: ctx.secrets.redisPassword, secret: true },
            ],
            // REDISCLI_AUTH is set for the probe's shell only, never in the container's environment.
            healthcheck: {
                test: ["CMD-SHELL", `REDISCLI_AUTH="$(cat ${PASSWORD_FILE})" redis-cli ping | grep -q PONG`],
            },
            networks: [{ network: ctx.networks.data }],
            volumes: [{ volume: ctx.volumes["redis-data"], containerPath: "/data" }],
            // Started as root, the image's entrypoint searches /data before dropping to redis, and fails
            // on AOF's 0700 appendonlydir from the second start on without DAC_READ_SEARCH
            // (docker-library-redis 7.4/alpine/docker-entrypoint.sh:11-14; components/imageContracts/).
            // As redis (999:1000, the owner of the image's /data and so of a fresh volume) it skips that
            // step and needs no capability at all.
            user: "999:1000",
        },
        { parent },
    );
}
