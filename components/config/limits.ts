/**
 * The memory and CPU limits of every container, unless a stack overrides them in `freshtrack:resources`.
 */
import { cpusAdvice, cpusInput } from "../dockerForms";
import { checkNumber } from "../validation";

export interface ResourceLimits {
    /** Hard memory limit in MB. */
    readonly memoryMb: number;
    /** CPU quota in cores, e.g. 0.5. */
    readonly cpus: number;
}

/**
 * Every container the program runs, with the limits it gets unless the stack
 * overrides them in `freshtrack:resources`. Sized so the whole stack fits a
 * 4 GB host with room for the kernel and Docker itself.
 */
export const DEFAULT_LIMITS = {
    postgres: { memoryMb: 768, cpus: 1.0 },
    pgbouncer: { memoryMb: 32, cpus: 0.25 },
    redis: { memoryMb: 192, cpus: 0.5 },
    minio: { memoryMb: 256, cpus: 0.5 },
    "minio-init": { memoryMb: 32, cpus: 0.25 },
    backend: { memoryMb: 384, cpus: 1.0 },
    worker: { memoryMb: 256, cpus: 0.5 },
    frontend: { memoryMb: 32, cpus: 0.25 },
    caddy: { memoryMb: 64, cpus: 0.5 },
    migrate: { memoryMb: 384, cpus: 0.5 },
    "pre-migrate-backup": { memoryMb: 128, cpus: 0.25 },
    backup: { memoryMb: 128, cpus: 0.25 },
    "backup-sync": { memoryMb: 48, cpus: 0.1 },
    "backup-offsite": { memoryMb: 48, cpus: 0.1 },
    prometheus: { memoryMb: 256, cpus: 0.5 },
    alertmanager: { memoryMb: 32, cpus: 0.1 },
    loki: { memoryMb: 128, cpus: 0.5 },
    promtail: { memoryMb: 64, cpus: 0.25 },
    grafana: { memoryMb: 160, cpus: 0.5 },
    "grafana-dashboards": { memoryMb: 32, cpus: 0.1 },
    "grafana-admin-password": { memoryMb: 128, cpus: 0.25 },
    blackbox: { memoryMb: 24, cpus: 0.1 },
    "node-exporter": { memoryMb: 24, cpus: 0.1 },
    "postgres-exporter": { memoryMb: 32, cpus: 0.1 },
    "redis-exporter": { memoryMb: 24, cpus: 0.1 },
    "pgbouncer-exporter": { memoryMb: 24, cpus: 0.1 },
    "uptime-kuma": { memoryMb: 128, cpus: 0.25 },
    "demo-data": { memoryMb: 256, cpus: 0.5 },
} as const satisfies Record<string, ResourceLimits>;

export type ServiceName = keyof typeof DEFAULT_LIMITS;
export const SERVICE_NAMES = Object.keys(DEFAULT_LIMITS) as ServiceName[];

/**
 * A CPU limit the Docker provider reads back unchanged. It reads NanoCPUs back through
 * `nanoInt64ToDecimalString`, which rounds values such as 0.05 to "0.1" (components/dockerForms.ts);
 * a limit that reads back differently would replace its container on every update.
 */
export function checkCpus(value: unknown): string | undefined {
    const range = checkNumber(0.1, 64)(value);
    if (range) return range;
    const cpus = value as number;
    return cpusInput(cpus) === undefined
        ? `a number from 0.1 to 64 that Docker reads back unchanged: ${cpusAdvice(cpus)}`
        : undefined;
}
