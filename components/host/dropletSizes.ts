/**
 * DigitalOcean Basic (regular SSD) droplet sizes this program deploys to, with
 * their memory and list price. Source: digitalocean.com/pricing/droplets,
 * Basic Droplets, read 2026-11. Used to refuse sizes whose memory is unknown,
 * for the memory budget and for cost estimates.
 */
export const DROPLET_SIZES = {
    "s-1vcpu-2gb": { vcpus: 1, memoryMb: 2048, diskGb: 50, usdPerMonth: 12 },
    "s-2vcpu-2gb": { vcpus: 2, memoryMb: 2048, diskGb: 60, usdPerMonth: 18 },
    "s-2vcpu-4gb": { vcpus: 2, memoryMb: 4096, diskGb: 80, usdPerMonth: 24 },
    "s-4vcpu-8gb": { vcpus: 4, memoryMb: 8192, diskGb: 160, usdPerMonth: 48 },
    "s-8vcpu-16gb": { vcpus: 8, memoryMb: 16384, diskGb: 320, usdPerMonth: 96 },
} as const;

export type DropletSize = keyof typeof DROPLET_SIZES;
export const DROPLET_SIZE_NAMES = Object.keys(DROPLET_SIZES) as DropletSize[];

/** DigitalOcean's managed PostgreSQL sizes accepted for `database.size`. Same source, Managed Databases. */
export const DATABASE_SIZES = {
    "db-s-1vcpu-1gb": { usdPerMonth: 15 },
    "db-s-1vcpu-2gb": { usdPerMonth: 30 },
    "db-s-2vcpu-4gb": { usdPerMonth: 60 },
} as const;

export type DatabaseSize = keyof typeof DATABASE_SIZES;
