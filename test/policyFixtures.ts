/**
 * Policy inputs that pass every rule, and a runner of one rule, shared by test/policyRules.test.ts and its siblings
 * (each rule on inputs changed in one property) and test/policy.stack.test.ts (the rules on what the shipped stacks
 * register).
 */
import { expect } from "chai";
import { POLICIES } from "../policy/policies";
import { Finding, PackConfig, PolicyInput, runPolicies } from "../scripts/lib/policyRun";

export const T = {
    container: "docker:index/container:Container",
    remoteImage: "docker:index/remoteImage:RemoteImage",
    dockerVolume: "docker:index/volume:Volume",
    droplet: "digitalocean:index/droplet:Droplet",
    firewall: "digitalocean:index/firewall:Firewall",
    service: "freshtrack:services:Service",
};

let counter = 0;
export function resource(
    type: string,
    props: Record<string, unknown>,
    opts: PolicyInput["opts"] = {},
    parent?: string,
): PolicyInput {
    const name = `r${++counter}`;
    return {
        type,
        name,
        urn: `urn:pulumi:test::freshtrack::${type}::${name}`,
        props,
        opts,
        ...(parent ? { parent } : {}),
    };
}

/** A container as the Service component makes it: passes every rule, including the advisory ones. */
export function container(over: Record<string, unknown> = {}, service = "api", kind = "stateless"): PolicyInput {
    return resource(T.container, {
        image: "sha256:0123abcd",
        memory: 256,
        memorySwap: 256,
        cpus: "0.5",
        healthcheck: { tests: ["CMD", "true"], interval: "10s" },
        wait: true,
        restart: kind === "job" ? "no" : "unless-stopped",
        ...(kind === "job" ? { attach: true, mustRun: false } : {}),
        logDriver: "json-file",
        logOpts: { "max-size": "10m", "max-file": "3" },
        securityOpts: ["no-new-privileges:true"],
        capabilities: { drops: ["ALL"], adds: [] },
        ports: [],
        envs: ["NODE_ENV=production", "DB_PASSWORD_FILE=/run/secrets/db"],
        labels: [
            { label: "com.freshtrack.stack", value: "freshtrack-dev" },
            { label: "com.freshtrack.service", value: service },
            { label: "com.freshtrack.kind", value: kind },
        ],
        readOnly: true,
        user: "1000:1000",
        ...over,
    });
}

export function droplet(
    over: Record<string, unknown> = {},
    opts: PolicyInput["opts"] = { ignoreChanges: ["userData", "sshKeys", "image"] },
): PolicyInput {
    return resource(
        T.droplet,
        { size: "s-2vcpu-4gb", monitoring: true, backups: true, sshKeys: ["aa:bb"], vpcUuid: "vpc-1", ...over },
        opts,
    );
}

export function firewall(
    inbound: Array<{ protocol: string; portRange?: string; sourceAddresses: string[] }>,
): PolicyInput {
    return resource(T.firewall, { inboundRules: inbound });
}

export async function findingsFor(
    policyName: string,
    inputs: PolicyInput[],
    config: PackConfig = {},
): Promise<Finding[]> {
    const policy = POLICIES.find((p) => p.name === policyName);
    expect(policy, policyName).to.not.equal(undefined);
    return runPolicies([policy!], inputs, config);
}

/** backup-sync as the program registered it before issue 15: mc's own entrypoint, mirroring deletions. */
export function watchingMirror(): PolicyInput {
    return container(
        {
            command: [
                "--config-dir",
                "/run/secrets/mc",
                "mirror",
                "--watch",
                "--overwrite",
                "--remove",
                "/backups/postgres",
                "local/backups/postgres",
            ],
        },
        "backup-sync",
    );
}
