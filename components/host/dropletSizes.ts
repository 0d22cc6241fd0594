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

/**
 * Other monthly charges a stack can incur on DigitalOcean, read 2026-11:
 * - backups: 20 % of the droplet's price weekly, 30 % daily (docs.digitalocean.com/products/backups/details/pricing); -
 *   reserved IPs: free while assigned to a droplet
 *   (docs.digitalocean.com/products/networking/reserved-ips/how-to/modify/);
 * - Spaces: $5 a month for 250 GiB (a DigitalOcean community answer on Spaces pricing);
 * - block storage: $0.10 per GiB a month, from a third-party cost guide only; DigitalOcean's own
 *   volume pricing page was not among the stored copies, so check it before relying on the figure.
 */
export const DIGITALOCEAN_PRICES = {
    volumeUsdPerGbMonth: 0.1,
    weeklyBackupShare: 0.2,
    spacesUsdPerMonth: 5,
    reservedIpAssignedUsdPerMonth: 0,
} as const;

export interface CostLine {
    readonly item: string;
    readonly usdPerMonth: number;
}

export interface CostInputs {
    readonly droplet?: { readonly size: DropletSize; readonly volumeSizeGb: number; readonly backups: boolean };
    readonly managedDatabase?: { readonly size: DatabaseSize; readonly nodeCount: number };
    readonly offsiteBackups: boolean;
}

/**
 * List-price monthly cost of what a stack creates on DigitalOcean, line by line. Bandwidth beyond the droplet's
 * allowance is not counted.
 */
export function monthlyCost(inputs: CostInputs): CostLine[] {
    const lines: CostLine[] = [];
    const p = DIGITALOCEAN_PRICES;
    if (inputs.droplet) {
        const d = inputs.droplet;
        const droplet = DROPLET_SIZES[d.size].usdPerMonth;
        lines.push({ item: `droplet ${d.size}`, usdPerMonth: droplet });
        if (d.backups)
            lines.push({ item: "weekly droplet backups", usdPerMonth: round2(droplet * p.weeklyBackupShare) });
        lines.push({
            item: `block volume ${d.volumeSizeGb} GiB`,
            usdPerMonth: round2(d.volumeSizeGb * p.volumeUsdPerGbMonth),
        });
        lines.push({ item: "reserved IP (assigned)", usdPerMonth: p.reservedIpAssignedUsdPerMonth });
    }
    if (inputs.managedDatabase) {
        const m = inputs.managedDatabase;
        lines.push({
            item: `managed PostgreSQL ${m.size} x${m.nodeCount}`,
            usdPerMonth: DATABASE_SIZES[m.size].usdPerMonth * m.nodeCount,
        });
    }
    if (inputs.offsiteBackups) lines.push({ item: "Spaces (offsite backups)", usdPerMonth: p.spacesUsdPerMonth });
    return lines;
}

function round2(n: number): number {
    return Math.round(n * 100) / 100;
}
