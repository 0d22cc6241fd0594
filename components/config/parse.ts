/**
 * parseStackConfig: a stack's raw config in, its validated settings out, or one ConfigError listing every problem.
 * Pure: no Pulumi runtime is needed, so scripts read a stack's config from its files without running the program.
 */
import * as pulumi from "@pulumi/pulumi";
import { DROPLET_SIZE_NAMES, DROPLET_SIZES, DropletSize } from "../host/dropletSizes";
import { checkAdminCidrs, closestMatch, isLocalOnlyDomain } from "../validation";
import { readAppBuild, readImages, readRegistryAuth } from "./app";
import { readAlerts, readBackup, readVerification } from "./operations";
import { ConfigError } from "./problems";
import { CONFIG_KEYS, Environment, PROJECT, Target } from "./schema";
import { RawConfig, Source } from "./source";
import { DropletFields, readDatabase, readDroplet, readSsh } from "./targets";
import { StackConfig, TargetSettings } from "./types";

/**
 * Reads and validates the whole stack config; returns it deeply frozen, or throws one ConfigError. What each key
 * accepts on its own is the schema's (./schema.ts), applied by the Source; the rules here are across keys.
 */
export function parseStackConfig(raw: RawConfig): StackConfig {
    const src = new Source(raw);
    const p = src.problems;
    const { stack } = raw;

    const target = src.read("target").value;
    const environment = src.read("environment").value;
    const { value: domain, valid: domainValid } = src.read("domain");
    const adminEmail = src.read("adminEmail").value;

    const tlsMode = src.read("tlsMode").value;
    // One problem per key: on the local target the domain is usually local-only as well, and both reasons go on one
    // line.
    const unissuable = tlsMode !== "internal" && domainValid && isLocalOnlyDomain(domain);
    if (tlsMode !== "internal" && target === "local") {
        const alsoDomain = unissuable ? `, nor issue a certificate for '${domain}'` : "";
        const expected = `internal on the local target: Let's Encrypt cannot reach a laptop's Docker daemon${alsoDomain}`;
        p.add(src.key("tlsMode"), tlsMode, expected);
    } else if (unissuable) {
        p.add(
            src.key("tlsMode"),
            tlsMode,
            `internal, because Let's Encrypt cannot issue a certificate for '${domain}'`,
        );
    }

    const allowSshFromAnywhere = src.read("allowSshFromAnywhere").value;
    const adminCidrsRaw = src.value("adminCidrs");
    const adminCidrs = src.read("adminCidrs").value;
    // Pulumi.yaml's default [] always arrives, so an empty list means none was given.
    if (
        target !== "local" &&
        (adminCidrsRaw === undefined || (Array.isArray(adminCidrsRaw) && adminCidrsRaw.length === 0))
    ) {
        const expected = `at least one CIDR allowed to reach SSH on the ${target} target, such as your address as x.x.x.x/32`;
        p.add(src.key("adminCidrs"), adminCidrsRaw, expected);
    }
    // Judged by what the entries cover together, refused ones included: 1.2.3.4/0 is reported for its host bits and
    // as the whole internet.
    const givenCidrs = Array.isArray(adminCidrsRaw)
        ? adminCidrsRaw.filter((c): c is string => typeof c === "string")
        : [];
    const tooWide = checkAdminCidrs(givenCidrs, allowSshFromAnywhere);
    if (tooWide) p.add(src.key("adminCidrs"), givenCidrs, tooWide);

    const { value: appVersion, valid: versionValid } = src.read("appVersion");
    const images = readImages(src, appVersion, versionValid);
    const commands = src.fields("appCommands");
    const registryAuth = readRegistryAuth(src, images);
    const build = readAppBuild(src, target, registryAuth);

    const resources = src.fields("resources");
    const demoData = src.read("demoData").value;
    const demoSeedVersion = src.read("demoSeedVersion").value;
    const backup = readBackup(src);
    const alerts = readAlerts(src);
    // Read here rather than in readTarget: the rule on cpus below needs the droplet's size.
    const dropletGiven = target === "droplet" ? src.fields("droplet") : undefined;
    // Undefined only when the target's settings have problems, which end the read below.
    const where = readTarget(src, target, environment, domain, dropletGiven);
    const operatorKey = src.read("operatorSshPublicKey").value;
    const database = readDatabase(src, target);
    const monitoring = src.fields("monitoring");
    const verification = readVerification(src);
    const rollback = src.fields("rollback");
    const secretGenerations = src.fields("secretGenerations");
    const preflight = src.fields("preflight");

    // No container's cpus above the host's CPUs: the daemon refuses to create (and to start) a container whose
    // NanoCPUs exceed the CPUs it counts (moby v27.5.1 daemon/daemon_unix.go:494-498, from daemon/create.go:79 and
    // daemon/start.go:63), so `pulumi up` would stop at that container mid-deploy. A droplet's vCPUs are its size's
    // (components/host/dropletSizes.ts), so this refuses such a value before any resource. An ssh VM's CPUs are known
    // only on the VM: its pre-flight compares every cpus above 1 with the count `docker info` reports, before any
    // container is created (components/preflight/cpuCheck.ts). The local daemon's are not known before the update
    // either, and nothing checks them ahead: the first such container fails with Docker's own message, which names the
    // count ("range of CPUs is from 0.01 to N.00, as there are only N CPUs available"). A size that was itself refused
    // reads as the default, so it is not compared.
    const sizeCompared =
        dropletGiven !== undefined && !p.list.some((q) => q.key === `${src.key("droplet")}.size`)
            ? dropletGiven.size
            : undefined;
    for (const [service, { cpus }] of Object.entries(resources)) {
        if (sizeCompared !== undefined && cpus > DROPLET_SIZES[sizeCompared].vcpus)
            p.add(`${src.key("resources")}.${service}.cpus`, cpus, cpusAboveDroplet(cpus, sizeCompared));
    }

    // Pulumi.yaml declares these secret: true, but the CLI enforces that only on typed keys (see Pulumi.yaml), so the
    // program does.
    for (const name of src.plainTextSecrets()) {
        // A key file goes in through stdin, so it keeps its line breaks and stays out of the shell's history.
        const how =
            name === "sshPrivateKey"
                ? `pulumi config set --secret --stack ${stack} ${name} < <key file>`
                : `pulumi config set --secret --stack ${stack} ${name} <value>`;
        const reason = `set in plain text, but it is a secret (secret: true in Pulumi.yaml); store it encrypted with ${how} (the value is not shown here)`;
        p.hidden(src.key(name), reason);
    }

    for (const key of Object.keys(raw.values)) {
        const [namespace = "", ...rest] = key.split(":");
        const name = rest.join(":");
        // Keys of other namespaces belong to providers (digitalocean:token); one a typo away from ours was meant for
        // us.
        const ours = namespace === PROJECT || closestMatch(namespace, [PROJECT]) !== undefined;
        const known = (CONFIG_KEYS as readonly string[]).includes(name);
        if (!ours || (namespace === PROJECT && known)) continue;
        const near = known ? name : closestMatch(name, CONFIG_KEYS);
        // Its value is not shown: the SDK does not say whether an undeclared key holds a secret.
        p.hidden(key, `set, but not declared in Pulumi.yaml${near ? `; did you mean ${PROJECT}:${near}?` : ""}`);
    }

    if (p.list.length > 0 || where === undefined) throw new ConfigError(stack, p.list);

    return deepFreeze({
        project: raw.project,
        stack,
        namePrefix: `${PROJECT}-${stack}`,
        ...where,
        environment,
        domain,
        adminEmail,
        adminCidrs,
        allowSshFromAnywhere,
        tlsMode,
        app: {
            version: appVersion,
            images,
            commands,
            ...(build ? { build } : {}),
            ...(registryAuth ? { registryAuth } : {}),
        },
        resources,
        demoData,
        demoSeedVersion,
        backup,
        alerts,
        ...(operatorKey !== "" ? { operatorSshPublicKey: operatorKey } : {}),
        database,
        monitoring,
        verification,
        preflight,
        rollback,
        secretGenerations,
    });
}

function readTarget(
    src: Source,
    target: Target,
    environment: Environment,
    domain: string,
    dropletGiven: DropletFields | undefined,
): TargetSettings | undefined {
    // dropletGiven is read whenever the target is droplet.
    if (target === "droplet")
        return dropletGiven ? { target, droplet: readDroplet(src, dropletGiven, environment, domain) } : undefined;
    if (target === "local") return { target };
    const ssh = readSsh(src);
    return ssh ? { target, ssh } : undefined;
}

/**
 * What a container's cpus above its droplet's vCPUs should have been: at most the size's vCPUs, or a size with enough
 * (the cheapest, from the sizes this program deploys to).
 */
export function cpusAboveDroplet(cpus: number, size: DropletSize): string {
    const { vcpus } = DROPLET_SIZES[size];
    const fits = DROPLET_SIZE_NAMES.filter((s) => DROPLET_SIZES[s].vcpus >= cpus).sort(
        (a, b) => DROPLET_SIZES[a].usdPerMonth - DROPLET_SIZES[b].usdPerMonth,
    )[0];
    const larger = fits
        ? `or choose a size with ${DROPLET_SIZES[fits].vcpus} vCPUs or more, such as ${fits}`
        : `no size this program deploys to has ${cpus} vCPUs`;
    return `at most ${vcpus}, the vCPUs of droplet size ${size} (freshtrack:droplet.size): Docker refuses to create a container limited to more CPUs than its host has; lower it, ${larger}`;
}

/** Freezes plain data all the way down; Outputs are left as they are. */
function deepFreeze<T>(value: T): T {
    if (typeof value === "object" && value !== null && !pulumi.Output.isInstance(value)) {
        for (const v of Object.values(value)) deepFreeze(v);
        Object.freeze(value);
    }
    return value;
}
