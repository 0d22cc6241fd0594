import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config";
import { createHost } from "./host";
import { Networks } from "./platform/networks";
import { GeneratedSecrets } from "./platform/secrets";
import { DataVolumes } from "./platform/volumes";
import { DataTier } from "./services/dataTier";

/**
 * Builds the stack in layer order: config, host, platform, services. Kept out
 * of index.ts so tests and the plan can run it under mocks and inspect the result.
 */
export function deployStack() {
    const cfg = loadStackConfig();
    const host = createHost(cfg);
    const providerOpts = { providers: [host.provider] };
    const networks = new Networks("networks", { namePrefix: cfg.namePrefix }, providerOpts);
    const volumes = new DataVolumes("volumes", { namePrefix: cfg.namePrefix }, providerOpts);
    const secrets = new GeneratedSecrets("secrets");
    const ctx = { cfg, host, networks: networks.networks, volumes: volumes.volumes, secrets: secrets.values };
    const data = new DataTier("data", ctx);

    const services = [data.postgres, data.pgbouncer, data.redis, data.minio, data.minioBuckets];
    return {
        cfg,
        target: cfg.target,
        domain: cfg.domain,
        dataEndpoints: data.endpoints,
        containers: pulumi.output(Object.fromEntries(services.map((s) => [s.alias, s.container.name]))),
        volumes: pulumi.output(Object.fromEntries(Object.entries(volumes.volumes).map(([k, v]) => [k, v.name]))),
    };
}
