/**
 * The Docker provider's read-back model as the read-back tests use it (test/readBackContainer.test.ts and its
 * siblings): the resource type tokens, a container and a job as components/service.ts registers them, and what the
 * second `up` shows for inputs whose read-back form the first one stored.
 */
import { DOCKER_MODELS, ResourceModel } from "../scripts/lib/readBack/docker";

export const CONTAINER = "docker:index/container:Container";
export const NETWORK = "docker:index/network:Network";
export const VOLUME = "docker:index/volume:Volume";
export const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
export const IMAGE = "docker:index/image:Image";

export const IMAGE_ID = `sha256:${"ab".repeat(32)}`;

export function modelOf(type: string, models: Readonly<Record<string, ResourceModel>> = DOCKER_MODELS): ResourceModel {
    const found = models[type];
    if (!found) throw new Error(`no model for ${type}`);
    return found;
}

/** What the second `up` shows for these inputs, when the first one stored their read-back form. */
export function secondUp(
    type: string,
    inputs: Record<string, unknown>,
    models?: Readonly<Record<string, ResourceModel>>,
): string[] {
    const model = modelOf(type, models);
    return model.changed(inputs, model.readBack(inputs));
}

/** A long-running container as components/service.ts registers it (cpus and durations in read-back form). */
export function service(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        image: IMAGE_ID,
        capabilities: { drops: ["ALL"], adds: ["CHOWN", "SETUID", "SETGID"] },
        cpus: "0.25",
        memory: 64,
        memorySwap: 64,
        destroyGraceSeconds: 30,
        envs: ["PUBLIC_URL=https://freshtrack.localhost", "APP_VERSION=1.4.2"],
        healthcheck: {
            tests: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:8080/health"],
            interval: "10s",
            timeout: "5s",
            startPeriod: "10s",
            retries: 5,
        },
        labels: [
            { label: "com.freshtrack.stack", value: "freshtrack-dev" },
            { label: "com.freshtrack.service", value: "frontend" },
        ],
        logDriver: "json-file",
        logOpts: {
            "max-size": "10m",
            "max-file": "3",
            labels: "com.freshtrack.stack,com.freshtrack.service",
            tag: "{{.Name}}",
        },
        networksAdvanced: [{ name: "freshtrack-dev-edge", aliases: ["frontend"] }],
        ports: [],
        restart: "unless-stopped",
        securityOpts: ["no-new-privileges:true"],
        uploads: [],
        volumes: [],
        wait: true,
        waitTimeout: 120,
        ...extra,
    };
}

/** A run-once job as components/service.ts registers it. */
export function job(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const { wait: _w, waitTimeout: _t, destroyGraceSeconds: _d, healthcheck: _h, ...rest } = service();
    return {
        ...rest,
        attach: true,
        logs: true,
        mustRun: false,
        restart: "no",
        entrypoints: ["/bin/sh", "-c"],
        command: ["pnpm db:migrate:prod"],
        ...extra,
    };
}

/** A published port, host port equal to the container port. */
export const port = (internal: number, ip: string) => ({ internal, external: internal, ip, protocol: "tcp" });

export const containerReadBack = (inputs: Record<string, unknown>, models?: Readonly<Record<string, ResourceModel>>) =>
    modelOf(CONTAINER, models).readBack(inputs);
export const replaces = (key: string) => modelOf(CONTAINER).forcesReplacement(key);
