import type { StackConfig } from "../config";
import type { Host } from "../host/host";
import type { Networks } from "../platform/networks";
import type { GeneratedSecrets } from "../platform/secrets";
import type { DataVolumes } from "../platform/volumes";

/** What every service file is given: the validated config and the platform beneath it. */
export interface ServiceContext {
    readonly cfg: StackConfig;
    readonly host: Host;
    readonly networks: Networks["networks"];
    readonly volumes: DataVolumes["volumes"];
    readonly secrets: GeneratedSecrets["values"];
}

/** Where secret files are mounted, following Docker's own secrets convention. */
export const SECRETS_DIR = "/run/secrets";

/** Database name and role the application uses. Not secret: the password is. */
export const DATABASE = { name: "freshtrack", user: "freshtrack" } as const;

/** Object-storage buckets the stack creates and the application uses. */
export const BUCKETS = { backups: "backups", uploads: "uploads" } as const;
