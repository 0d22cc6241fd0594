import { createHash } from "crypto";
import { expect } from "chai";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LocalHost } from "../components/host/localHost";
import { Service, ServiceArgs, SERVICE_DEFAULTS, serviceProblems } from "../components/service";
import { RegisteredResource, SecretValue } from "../scripts/lib/mockRun";
import { renderPidsLimitScript } from "../components/host/pidsLimit";
import { containers, run } from "./helpers";

type Extra = Partial<Omit<ServiceArgs, "host" | "networks" | "kind">> & {
    kind?: ServiceArgs["kind"];
    statefulReason?: string;
    healthcheck?: { test: string[]; retries?: number };
};

/** Registers one Service on a local host and returns its container as the engine saw it. */
async function registerService(extra: Extra = {}): Promise<RegisteredResource> {
    const [container] = containers(await registerAll(extra));
    expect(container, "a container was registered").to.not.equal(undefined);
    return container!;
}

/** Registers one Service on a local host and returns every resource the engine saw. */
async function registerAll(extra: Extra = {}): Promise<RegisteredResource[]> {
    const { resources } = await run(() => {
        const host = new LocalHost("local");
        const network = new docker.Network("net", { name: "t-app" }, { provider: host.provider });
        const volume = new docker.Volume("vol", { name: "t-data" }, { provider: host.provider, protect: true });
        const kind = extra.kind ?? "stateless";
        const base = {
            daemon: host,
            namePrefix: "freshtrack-test",
            image: "example/app:1.0.0",
            limits: { memoryMb: 128, cpus: 0.5 },
            networks: [{ network }],
            healthcheck: { test: ["CMD", "true"] },
            user: "1000:1000",
            // Read-only unless the test says otherwise, or has files (which need a writable root).
            ...(extra.files?.length || extra.writableRootReason !== undefined ? {} : { readOnlyRoot: true }),
            ...extra,
        };
        const args = (
            kind === "stateful"
                ? {
                      ...base,
                      kind,
                      statefulReason: extra.statefulReason ?? "holds data",
                      volumes: extra.volumes ?? [{ volume, containerPath: "/data" }],
                  }
                : { ...base, kind }
        ) as ServiceArgs;
        return new Service("svc", args, { providers: [host.provider] });
    });
    return resources;
}

/** What Service refuses in a spec: the base spec of registerService with `extra` over it. */
function refusal(extra: Extra): string {
    const base = {
        kind: "stateless",
        namePrefix: "p",
        image: "example/app:1.0.0",
        limits: { memoryMb: 64, cpus: 0.1 },
        healthcheck: { test: ["CMD", "true"] },
        networks: [{}],
        user: "1000:1000",
    };
    const problems = serviceProblems({ ...base, ...extra } as unknown as ServiceArgs);
    return problems.length ? problems.join("; ") : "accepted";
}

describe("Service: the hardened container component", () => {
    it("sets the memory and CPU limits it is given, with swap capped at the memory limit", async () => {
        const c = await registerService({ limits: { memoryMb: 300, cpus: 0.75 } });
        expect(c.inputs.memory).to.equal(300);
        expect(c.inputs.memorySwap).to.equal(300);
        expect(c.inputs.cpus).to.equal("0.75");
    });

    it("adds the health check with default timings and waits for healthy on create", async () => {
        const c = await registerService({ healthcheck: { test: ["CMD", "probe"], retries: 9 } });
        expect(c.inputs.healthcheck).to.deep.equal({
            tests: ["CMD", "probe"],
            interval: "10s",
            timeout: "5s",
            retries: 9,
            startPeriod: "10s",
        });
        expect(c.inputs.wait).to.equal(true);
        expect(c.inputs.waitTimeout).to.equal(SERVICE_DEFAULTS.waitTimeoutSeconds);
    });

    it("rotates logs, sets a restart policy, forbids new privileges and drops every capability", async () => {
        const c = await registerService({ capabilities: ["NET_BIND_SERVICE"] });
        expect(c.inputs.logDriver).to.equal("json-file");
        expect(c.inputs.logOpts).to.deep.equal({
            "max-size": "10m",
            "max-file": "3",
            labels: "com.freshtrack.stack,com.freshtrack.service",
            tag: "{{.Name}}",
        });
        expect(c.inputs.restart).to.equal("unless-stopped");
        expect(c.inputs.securityOpts).to.deep.equal(["no-new-privileges:true"]);
        expect(c.inputs.capabilities).to.deep.equal({ drops: ["ALL"], adds: ["NET_BIND_SERVICE"] });
    });

    it("joins user-defined networks with the service name as a stable alias", async () => {
        const c = await registerService();
        expect(c.inputs.networksAdvanced).to.deep.equal([{ name: "t-app", aliases: ["svc"] }]);
        expect(c.inputs.networkMode).to.equal(undefined);
    });

    it("publishes ports on 127.0.0.1 unless a port is explicitly public", async () => {
        const c = await registerService({
            ports: [
                { internal: 9000, external: 19000 },
                { internal: 443, external: 443, public: true },
            ],
        });
        expect(c.inputs.ports).to.deep.equal([
            { internal: 9000, external: 19000, ip: "127.0.0.1", protocol: "tcp" },
            { internal: 443, external: 443, ip: "0.0.0.0", protocol: "tcp" },
        ]);
    });

    it("delivers secrets as read-only files marked secret, never as env", async () => {
        const c = await registerService({
            files: [
                { path: "/run/secrets/pw", content: pulumi.secret("hunter2"), secret: true },
                { path: "/etc/app.conf", content: "a=1" },
            ],
        });
        const uploads = c.inputs.uploads as Array<{ file: string; content: unknown; permissions?: string }>;
        expect(uploads[0]!.content).to.be.instanceOf(SecretValue);
        expect(uploads[0]!.permissions).to.equal("0444");
        expect(uploads[1]).to.deep.equal({ file: "/etc/app.conf", content: "a=1" });
        expect(JSON.stringify(c.inputs.envs)).to.not.contain("hunter2");
    });

    it("refuses a secret-looking env key, but accepts its *_FILE pointer", async () => {
        let error: unknown;
        try {
            await registerService({ env: { DB_PASSWORD: "x" } });
        } catch (err) {
            error = err;
        }
        expect(String(error)).to.match(/env DB_PASSWORD looks like a credential/);
        const c = await registerService({ env: { DB_PASSWORD_FILE: "/run/secrets/pw" } });
        expect(c.inputs.envs).to.deep.equal(["DB_PASSWORD_FILE=/run/secrets/pw"]);
    });

    it("gives a stateless container a generated name and create-before-delete replacement", async () => {
        const c = await registerService({ kind: "stateless" });
        expect(c.inputs.name).to.equal(undefined);
        expect(c.options.deleteBeforeReplace).to.equal(false);
    });

    it("gives a stateful container a fixed name and delete-before-replace, and records why", async () => {
        const { resources } = await run(() => {
            const host = new LocalHost("local");
            const network = new docker.Network("net", { name: "t-data" }, { provider: host.provider });
            return new Service(
                "db",
                {
                    kind: "stateful",
                    statefulReason: "one writer per directory",
                    daemon: host,
                    namePrefix: "freshtrack-test",
                    image: "example/db:1.0.0",
                    limits: { memoryMb: 64, cpus: 0.1 },
                    healthcheck: { test: ["CMD", "true"] },
                    networks: [{ network }],
                    user: "70:70",
                    readOnlyRoot: true,
                },
                { providers: [host.provider] },
            );
        });
        const c = containers(resources)[0]!;
        expect(c.inputs.name).to.equal("freshtrack-test-db");
        expect(c.options.deleteBeforeReplace).to.equal(true);
        expect(resources.find((r) => r.type === "freshtrack:services:Service")!.inputs.statefulReason).to.equal(
            "one writer per directory",
        );
    });

    it("runs a job to completion once: attached, no health wait, never restarted", async () => {
        const c = await registerService({ kind: "job" });
        expect(c.inputs).to.include({ attach: true, mustRun: false, restart: "no" });
        expect(c.inputs.wait).to.equal(undefined);
        expect(c.inputs.healthcheck).to.equal(undefined);
    });

    it("replaces the container when its health check or tmpfs changes, which the provider records but never applies", async () => {
        const c = await registerService();
        expect(c.options.replaceOnChanges).to.deep.equal(["healthcheck", "tmpfs"]);
    });

    it("pulls the pinned image through a RemoteImage kept locally for rollbacks, and runs that image", async () => {
        const { resources } = await run(() => {
            const host = new LocalHost("local");
            const network = new docker.Network("net", { name: "t" }, { provider: host.provider });
            return new Service(
                "svc",
                {
                    kind: "stateless",
                    daemon: host,
                    namePrefix: "p",
                    image: "example/app:1.0.0",
                    limits: { memoryMb: 64, cpus: 0.1 },
                    healthcheck: { test: ["CMD", "true"] },
                    networks: [{ network }],
                    user: "1000:1000",
                    readOnlyRoot: true,
                },
                { providers: [host.provider] },
            );
        });
        const image = resources.find((r) => r.type === "docker:index/remoteImage:RemoteImage")!;
        expect(image.inputs).to.include({ name: "example/app:1.0.0", keepLocally: true });
        // The mock derives the image ID from the pulled reference, as a real pull does.
        expect(containers(resources)[0]!.inputs.image).to.equal(
            `sha256:${createHash("sha256").update("example/app:1.0.0").digest("hex")}`,
        );
    });

    it("runs as the user it states; root only with a recorded reason (issue 15, finding 10)", async () => {
        expect((await registerService()).inputs.user).to.equal("1000:1000");
        for (const user of [
            undefined,
            "root",
            "0",
            "0:0",
            "00:1000",
            "+0",
            "-0:0",
            "+0:+0",
            " 1000",
            "1000 ",
            "root:1000",
        ]) {
            expect(refusal({ user }), String(user)).to.match(
                /it runs as root \(user [^)]*\): set user to the non-root uid:gid its image contract allows, or say why in rootReason/,
            );
        }
        const root = await registerAll({ user: undefined, rootReason: "its volume is root's" });
        expect(containers(root)[0]!.inputs.user).to.equal(undefined);
        expect(root.find((r) => r.type === "freshtrack:services:Service")!.inputs.runsAsRootReason).to.equal(
            "its volume is root's",
        );
        expect(refusal({ user: "1000:1000", rootReason: "stale" })).to.match(
            /rootReason is given, but it runs as 1000:1000/,
        );
    });

    it("mounts the root filesystem read-only where it can, and records why where it cannot (issue 15, finding 10)", async () => {
        expect((await registerService({ tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" } })).inputs.readOnly).to.equal(
            true,
        );
        // Docker refuses to copy the provider's uploads into a read-only root filesystem.
        expect(refusal({ readOnlyRoot: true, files: [{ path: "/etc/app.conf", content: "x" }] })).to.match(
            /readOnlyRoot with files: its files are copied into the container/,
        );
        expect(refusal({ readOnlyRoot: false })).to.match(
            /its root filesystem is writable: set readOnlyRoot .* or say why in writableRootReason/,
        );
        expect(refusal({ readOnlyRoot: true, writableRootReason: "x" })).to.match(/contradict/);
        const withFiles = await registerAll({ files: [{ path: "/etc/app.conf", content: "x" }] });
        expect(containers(withFiles)[0]!.inputs.readOnly).to.equal(undefined);
        expect(withFiles.find((r) => r.type === "freshtrack:services:Service")!.inputs.writableRootReason).to.match(
            /refuses a copy into a read-only root filesystem/,
        );
    });

    it("limits a long-running container's PIDs with a command after each create, and a job's not at all (CIS 5.29)", async () => {
        const resources = await registerAll();
        const cmd = resources.find((r) => r.name === "svc-pids-limit");
        expect(cmd?.type).to.equal("command:local:Command");
        expect(cmd!.inputs.create).to.equal("sh -s");
        expect(String(cmd!.inputs.stdin)).to.contain(`docker update --pids-limit ${SERVICE_DEFAULTS.pidsLimit} $ids`);
        expect(String(cmd!.inputs.stdin)).to.contain(
            "--filter label=com.freshtrack.stack=freshtrack-test --filter label=com.freshtrack.service=svc",
        );
        // Keyed on the container's ID, so a replacement applies it again.
        expect(cmd!.inputs.triggers as unknown[]).to.include("svc-id");
        expect(
            String((await registerAll({ pidsLimit: 64 })).find((r) => r.name === "svc-pids-limit")!.inputs.stdin),
        ).to.contain("--pids-limit 64 ");
        const job = await registerAll({ kind: "job" });
        expect(job.filter((r) => r.type.startsWith("command:"))).to.deep.equal([]);
        expect(() => renderPidsLimitScript("freshtrack-dev", "svc; reboot", 512)).to.throw(/is not a plain name/);
        expect(() => renderPidsLimitScript("freshtrack-dev", "svc", 0)).to.throw(/not a positive integer/);
    });

    it("refuses a service with no network", async () => {
        let error: unknown;
        try {
            await run(() => {
                const host = new LocalHost("local");
                return new Service(
                    "lonely",
                    {
                        kind: "stateless",
                        daemon: host,
                        namePrefix: "p",
                        image: "example/app:1.0.0",
                        limits: { memoryMb: 64, cpus: 0.1 },
                        healthcheck: { test: ["CMD", "true"] },
                        networks: [],
                    },
                    { providers: [host.provider] },
                );
            });
        } catch (err) {
            error = err;
        }
        expect(String(error)).to.match(/at least one network is required/);
    });

    it("takes the Docker provider from its tier's options (issue 16: passed once, through opts.providers), never the default one", async () => {
        const resources = await registerAll();
        const provider = resources.find((r) => r.type === "pulumi:providers:docker");
        const container = containers(resources)[0]!;
        expect(container.options.provider, "the container's provider").to.match(
            /pulumi:providers:docker::local-docker::/,
        );
        expect(provider?.name).to.equal("local-docker");
        let error: unknown;
        try {
            await run(() => {
                const host = new LocalHost("local");
                const network = new docker.Network("net", { name: "t" }, { provider: host.provider });
                const args = {
                    kind: "stateless" as const,
                    daemon: host,
                    namePrefix: "p",
                    image: "example/app:1.0.0",
                    user: "1000:1000",
                    readOnlyRoot: true,
                };
                const rest = { limits: { memoryMb: 64, cpus: 0.1 }, healthcheck: { test: ["CMD", "true"] } };
                return new Service("orphan", { ...args, ...rest, networks: [{ network }] });
            });
        } catch (err) {
            error = err;
        }
        expect(String(error)).to.match(/service 'orphan' has no Docker provider/);
    });

    it("hands dependsOn from its options to the container, not to the component (so the image is pulled meanwhile)", async () => {
        const { resources } = await run(() => {
            const host = new LocalHost("local");
            const network = new docker.Network("net", { name: "t" }, { provider: host.provider });
            const volume = new docker.Volume("first", { name: "t-first" }, { provider: host.provider });
            const args = {
                kind: "stateless" as const,
                daemon: host,
                namePrefix: "p",
                image: "example/app:1.0.0",
                user: "1000:1000",
                readOnlyRoot: true,
            };
            const rest = { limits: { memoryMb: 64, cpus: 0.1 }, healthcheck: { test: ["CMD", "true"] } };
            return new Service(
                "later",
                { ...args, ...rest, networks: [{ network }] },
                {
                    providers: [host.provider],
                    dependsOn: [volume],
                },
            );
        });
        const volumeUrn = resources.find((r) => r.name === "first")!.urn;
        expect(containers(resources)[0]!.options.dependsOn).to.include(volumeUrn);
        expect(resources.find((r) => r.type === "freshtrack:services:Service")!.options.dependsOn).to.deep.equal([]);
        expect(resources.find((r) => r.name === "later-image")!.options.dependsOn).to.deep.equal([]);
    });
});
