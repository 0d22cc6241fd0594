import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { monitoringSites, statusSite } from "../components/edge/caddy";
import { deployStack } from "../components/stack";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { MockRunFailure, RegisteredResource, runUnderMocks, SecretValue } from "../scripts/lib/mockRun";
import { blastRadius } from "../scripts/lib/blastRadius";
import { readBackModels } from "../scripts/lib/readBack/models";
import { loadStackSettings } from "../scripts/lib/stackFiles";
import { configFor, CONTAINER, containerNamed, containers, settingsWith, uploadText } from "./helpers";
import { sharedRun, shippedRun } from "./variantRuns";

const ROOT = path.join(__dirname, "..");

describe("app tier and edge", () => {
    describe("Caddyfile", () => {
        it("routes the dashboard, /api and Bull Board (behind basic auth), compresses, logs JSON and keeps the admin API inside the container", async () => {
            const { resources } = await shippedRun("prod");
            const text = uploadText(resources, "caddy", "/etc/caddy/Caddyfile");
            expect(text).to.match(/^freshtrack\.example\.com \{/m);
            expect(text).to.match(
                /handle \/api\/\* \{\n\s+reverse_proxy backend:3000 \{[^}]*health_uri \/health\/ready/,
            );
            expect(text).to.match(/handle \/admin\/queues\* \{\n\s+basicauth \{\n\s+admin \$2a\$10\$/);
            expect(text).to.match(/handle \{\n\s+reverse_proxy frontend:8080/);
            expect(text).to.contain("encode zstd gzip");
            expect(text).to.contain("format json");
            expect(text).to.contain("admin localhost:2019");
            expect(text).to.match(/http:\/\/:9180 \{\n\s+metrics \/metrics/);
            expect(text).to.match(/lb_try_duration \d+s/);
        });
    });

    describe("Caddy container", () => {
        // Defect 9 of issue 14 (rung 1, mocks; the daemon side is rung 5 in test/engine/networkChecks.ts): the droplet
        // publishes AAAA records, so IPv6 clients must reach Caddy too. The provider binds one address per entry
        // (default 0.0.0.0).
        it("publishes 80 and 443 on every IPv4 and IPv6 address on a server, IPv4 first, and on loopback only on a laptop", async () => {
            const ports = async (stack: string) =>
                containerNamed((await shippedRun(stack)).resources, "caddy").inputs.ports;
            for (const stack of ["prod", "staging"]) {
                expect(await ports(stack), stack).to.deep.equal([
                    { internal: 80, external: 80, ip: "0.0.0.0", protocol: "tcp" },
                    { internal: 80, external: 80, ip: "::", protocol: "tcp" },
                    { internal: 443, external: 443, ip: "0.0.0.0", protocol: "tcp" },
                    { internal: 443, external: 443, ip: "::", protocol: "tcp" },
                ]);
            }
            expect(((await ports("dev")) as Array<{ ip: string }>).map((p) => p.ip)).to.deep.equal([
                "127.0.0.1",
                "127.0.0.1",
            ]);
        });

        // With the bootstrap's "userland-proxy": false the daemon forwards a `::` binding only to a container with an
        // IPv6 address of its own (moby v27.5.1 libnetwork/drivers/bridge/port_mapping_linux.go:97-111), and the
        // provider reads ipam_config back with a daemon-chosen pool for any family the config leaves out
        // (components/platform/networks.ts), so both subnets are fixed.
        it("gives Caddy's edge network IPv6 on a server, with fixed IPv4 and ULA subnets of its own per stack, and no other network", async () => {
            const networks = async (stack: string) =>
                (await shippedRun(stack)).resources
                    .filter((r) => r.type === "docker:index/network:Network")
                    .map((r) => r.inputs);
            const subnets: string[] = [];
            for (const stack of ["prod", "staging"]) {
                const all = await networks(stack);
                // Named apart from an IPv4-only edge network, so a stack deployed before moves over in one `up`
                // (networks.ts).
                const edge = all.find((n) => n.name === `freshtrack-${stack}-edge-dualstack`)!;
                expect(edge.ipv6, stack).to.equal(true);
                const configs = edge.ipamConfigs as Array<{ subnet: string }>;
                expect(configs.map((c) => Object.keys(c))).to.deep.equal([["subnet"], ["subnet"]]);
                const [v4, v6] = configs.map((c) => c.subnet);
                expect(v4).to.match(/^172\.16\.\d{1,3}\.0\/24$/);
                expect(v6).to.match(/^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/64$/);
                subnets.push(v4!, v6!);
                expect(
                    all.filter((n) => n !== edge).map((n) => n.ipv6 ?? false),
                    "other networks",
                ).to.deep.equal([false, false, false, false, false, false]);
            }
            expect(new Set(subnets).size, "two stacks on one host do not share a subnet").to.equal(4);
            const dev = (await networks("dev")).map((n) => n.ipv6 ?? false);
            expect(dev, "a laptop's daemon may have no IPv6").to.deep.equal([
                false,
                false,
                false,
                false,
                false,
                false,
                false,
            ]);
        });

        it("keeps /data on a protected volume and may bind low ports, nothing more", async () => {
            const { resources } = await shippedRun("prod");
            const caddy = containerNamed(resources, "caddy");
            expect(caddy.inputs.volumes).to.deep.equal([
                { volumeName: "freshtrack-prod-caddy-data", containerPath: "/data", readOnly: false },
            ]);
            const volume = resources.find(
                (r) => r.type === "docker:index/volume:Volume" && r.inputs.name === "freshtrack-prod-caddy-data",
            )!;
            expect(volume.options.protect).to.equal(true);
            expect(caddy.inputs.capabilities).to.deep.equal({ drops: ["ALL"], adds: ["NET_BIND_SERVICE"] });
        });

        it("in internal mode, serves a certificate for the domain and its subdomains from the stack's own CA, exported for trust", async () => {
            const run = await shippedRun("dev");
            const csr = run.resources.find((r) => r.type === "tls:index/certRequest:CertRequest")!;
            expect(csr.inputs.dnsNames).to.deep.equal(["freshtrack.localhost", "*.freshtrack.localhost"]);
            const ca = run.resources.find((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert")!;
            expect(ca.inputs).to.include({ isCaCertificate: true });
            const leaf = run.resources.find((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert")!;
            expect(leaf.inputs.earlyRenewalHours).to.be.greaterThan(0);
            const caddy = containerNamed(run.resources, "caddy");
            expect(uploadText(run.resources, "caddy", "/etc/caddy/certs/server.crt")).to.contain("BEGIN CERTIFICATE");
            const uploads = caddy.inputs.uploads as Array<{ file: string; content: unknown }>;
            expect(uploads.find((u) => u.file === "/etc/caddy/certs/server.key")!.content).to.be.instanceOf(
                SecretValue,
            );
            expect(run.result.caCertificate).to.not.equal(undefined);
        });

        it("uses no internal CA in the ACME modes", async () => {
            const { resources } = await shippedRun("prod");
            expect(resources.filter((r) => r.type.startsWith("tls:index/selfSignedCert"))).to.deep.equal([]);
        });
    });

    describe("ordering", () => {
        let resources: RegisteredResource[];
        before(async () => {
            resources = (await shippedRun("prod")).resources;
        });
        const dependsOn = (a: string, b: string) =>
            containerNamed(resources, a).options.dependsOn.includes(containerNamed(resources, b).urn);

        it("backs up the database after it is healthy, and migrates only after the backup", () => {
            expect(dependsOn("pre-migrate-backup", "postgres")).to.equal(true);
            expect(dependsOn("pre-migrate-backup", "pgbouncer")).to.equal(true);
            expect(dependsOn("migrate", "pre-migrate-backup")).to.equal(true);
        });

        // And after minio-init, which makes the MinIO user they connect as (issue 15, finding 12).
        it("starts backend and worker only after the migration job and minio-init, gated on their exit codes", () => {
            for (const name of ["backend", "worker"]) {
                expect(dependsOn(name, "migrate"), name).to.equal(true);
                expect(dependsOn(name, "minio-init"), name).to.equal(true);
                const labels = containerNamed(resources, name).inputs.labels as Array<{ label: string; value: string }>;
                expect(labels.find((l) => l.label === "com.freshtrack.requires")?.value, name).to.equal(
                    "migrate,minio-init",
                );
            }
        });

        it("does not make Caddy wait for the application, so an app update never touches Caddy", () => {
            const appUrns = ["backend", "worker", "frontend", "migrate"].map((n) => containerNamed(resources, n).urn);
            expect(
                containerNamed(resources, "caddy").options.dependsOn.filter((u) => appUrns.includes(u)),
            ).to.deep.equal([]);
        });

        it("never creates the new backend or worker when the migration fails", async () => {
            let failure: unknown;
            try {
                await runUnderMocks(loadStackSettings("prod"), deployStack, { exitCodes: { migrate: 1 } });
            } catch (err) {
                failure = err;
            }
            expect(failure).to.be.instanceOf(MockRunFailure);
            expect((failure as MockRunFailure).message).to.contain("job 'migrate' exited with code 1");
            const names = containers((failure as MockRunFailure).resources).map((c) => c.name);
            expect(names).to.include("migrate");
            expect(names).to.not.include("backend");
            expect(names).to.not.include("worker");
        });

        it("never migrates when the pre-migration backup fails", async () => {
            let failure: unknown;
            try {
                await runUnderMocks(loadStackSettings("prod"), deployStack, { exitCodes: { "pre-migrate-backup": 2 } });
            } catch (err) {
                failure = err;
            }
            expect((failure as MockRunFailure).message).to.contain("job 'pre-migrate-backup' exited with code 2");
            expect(containers((failure as MockRunFailure).resources).map((c) => c.name)).to.not.include("migrate");
        });
    });

    describe("a version bump", () => {
        it("changes only the app containers, their images, the migration jobs, the host's pre-flight (every release is checked) and the announcement (it names the version)", async () => {
            const before = await shippedRun("prod");
            const settings = loadStackSettings("prod");
            settings.config["freshtrack:appVersion"] = "1.5.0";
            const after = await sharedRun(settings);
            const inputsByUrn = new Map(before.resources.map((r) => [r.urn, JSON.stringify(r.inputs)]));
            const changed = after.resources
                .filter((r) => r.custom && inputsByUrn.get(r.urn) !== JSON.stringify(r.inputs))
                .map((r) => r.name);
            expect(changed.sort()).to.deep.equal([
                "announcement-send",
                "backend",
                "backend-image",
                "database-grant",
                "droplet-preflight",
                "frontend",
                "frontend-image",
                "migrate",
                "migrate-image",
                "pre-migrate-backup",
                "worker",
                "worker-image",
            ]);
            expect(after.resources.map((r) => r.urn).sort()).to.deep.equal(before.resources.map((r) => r.urn).sort());
        });
    });

    describe("demo data", () => {
        it("never runs in prod, which ships with demo data off", async () => {
            const { resources } = await shippedRun("prod");
            expect(containers(resources).map((c) => c.name)).to.not.include("demo-data");
        });

        it("seeds after migrations, once per stack: an app update does not run it again, a new seed version does", async () => {
            const { resources } = await shippedRun("dev");
            const demo = containerNamed(resources, "demo-data");
            expect(demo.inputs.command).to.deep.equal(["pnpm db:seed:demo"]);
            expect(demo.options.dependsOn).to.include(containerNamed(resources, "migrate").urn);
            expect(demo.options.ignoreChanges).to.include.members(["image", "envs"]);
            const label = (r: RegisteredResource) =>
                (r.inputs.labels as Array<{ label: string; value: string }>).find(
                    (l) => l.label === "com.freshtrack.seed-version",
                )?.value;
            expect(label(demo)).to.equal("1");
            const settings = loadStackSettings("dev");
            settings.config["freshtrack:demoSeedVersion"] = "2";
            const reseeded = await runUnderMocks(settings, deployStack);
            expect(label(containerNamed(reseeded.resources, "demo-data"))).to.equal("2");
        });

        it("never seeds when the migration fails", async () => {
            let failure: unknown;
            try {
                await runUnderMocks(loadStackSettings("dev"), deployStack, { exitCodes: { migrate: 1 } });
            } catch (err) {
                failure = err;
            }
            expect(failure).to.be.instanceOf(MockRunFailure);
            expect(containers((failure as MockRunFailure).resources).map((c) => c.name))
                .to.include("migrate")
                .and.not.include("demo-data");
        });

        // Defect 13 of issue 14 (rung 2: provider model). In the preview of an update that replaces a job, the job's
        // exit code is unknown: exit_code is Computed (kreuzwerker v4.5.0
        // internal/provider/resource_docker_container.go:129-133), which the mocks stand for with the SDK's own unknown
        // sentinel. Whatever demo data derives from it must not show a replacing change that the update, where the code
        // is known again, never makes.
        it("previews a new app version, which replaces the migration, without replacing demo data, as the update then does", async () => {
            /**
             * The inputs of `name` that differ from the state the first run left, and those that force a replacement.
             */
            const plan = (before: RegisteredResource[], after: RegisteredResource[], name: string) => {
                const change = blastRadius(before, after, readBackModels("local", before)).changes.find(
                    (c) => c.type === CONTAINER && c.name === name,
                );
                return { changed: [...(change?.changedInputs ?? [])], replacedBy: [...(change?.replacedBy ?? [])] };
            };
            const deployed = await shippedRun("dev");
            const settings = loadStackSettings("dev");
            settings.config["freshtrack:appVersion"] = "1.5.0";
            const unknownExit = unknownValue as unknown as number;
            const exitCodes = { migrate: unknownExit, "pre-migrate-backup": unknownExit };
            const preview = await runUnderMocks(settings, deployStack, { preview: true, exitCodes });
            const update = await runUnderMocks(settings, deployStack);
            expect(
                plan(deployed.resources, preview.resources, "migrate").replacedBy,
                "the scenario replaces the migration",
            ).to.not.be.empty;
            expect(plan(deployed.resources, preview.resources, "demo-data")).to.deep.equal(
                plan(deployed.resources, update.resources, "demo-data"),
            );
            expect(plan(deployed.resources, preview.resources, "demo-data")).to.deep.equal({
                changed: [],
                replacedBy: [],
            });
        });

        // The same, for every service that requires a job (components/service.ts, `requires`): a new migrate command
        // replaces the migration and the backup before it (issue 15, finding 5: test/migrationBackup.stack.test.ts),
        // and the preview must not show backend, worker or demo data replaced.
        it("previews a job replaced on its own without replacing what requires it, as the update then does", async () => {
            /** Containers the update replaces, or creates anew. */
            const replaced = (before: RegisteredResource[], after: RegisteredResource[]) => {
                const radius = blastRadius(before, after, readBackModels("local", before));
                return [...radius.containers.replace, ...radius.containers.create].sort();
            };
            const deployed = await shippedRun("dev");
            const settings = loadStackSettings("dev");
            settings.config["freshtrack:appCommands"] = JSON.stringify({ migrate: "pnpm db:migrate:prod --verbose" });
            const preview = await runUnderMocks(settings, deployStack, {
                preview: true,
                exitCodes: { migrate: unknownValue as unknown as number },
            });
            const update = await sharedRun(settings);
            // The roles job (database-grant) asserts the roles again before every migration, like the backup.
            expect(replaced(deployed.resources, update.resources)).to.deep.equal([
                "database-grant",
                "migrate",
                "pre-migrate-backup",
            ]);
            expect(replaced(deployed.resources, preview.resources)).to.deep.equal([
                "database-grant",
                "migrate",
                "pre-migrate-backup",
            ]);
        });

        it("keeps the labels a stack deployed before this change has, so its demo data is not replaced by the upgrade", async () => {
            const { resources } = await shippedRun("dev");
            const labels = containerNamed(resources, "demo-data").inputs.labels as Array<{
                label: string;
                value: string;
            }>;
            expect(labels.map((l) => `${l.label}=${l.value}`)).to.deep.equal([
                "com.freshtrack.stack=freshtrack-dev",
                "com.freshtrack.service=demo-data",
                "com.freshtrack.kind=job",
                "com.freshtrack.requires=migrate",
                "com.freshtrack.seed-version=1",
            ]);
            expect(containerNamed(resources, "demo-data").inputs.envs).to.include("APP_VERSION=1.4.2");
        });
    });

    describe("configuration of the FreshTrack images", () => {
        it("is documented key by key in docs/app-contract.md", async () => {
            const doc = fs.readFileSync(path.join(ROOT, "docs", "app-contract.md"), "utf8");
            const documented = new Set([...doc.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
            const { resources } = await shippedRun("prod");
            // And with managed PostgreSQL, which adds DATABASE_CA_FILE (issue 15, finding 17).
            const managed = loadStackSettings("prod");
            managed.config["freshtrack:database"] = JSON.stringify({ mode: "managed" });
            const managedResources = (await sharedRun(managed)).resources;
            const keys = new Set<string>();
            for (const list of [resources, managedResources]) {
                for (const name of ["backend", "worker", "frontend", "migrate"]) {
                    for (const entry of containerNamed(list, name).inputs.envs as string[])
                        keys.add(entry.slice(0, entry.indexOf("=")));
                }
            }
            expect([...keys].sort()).to.deep.equal([...documented].sort());
        });
    });

    /**
     * Issue 15, finding 1: Uptime Kuma makes whoever first calls `setup` over socket.io its admin
     * (louislam/uptime-kuma@1.23.15 server/server.js:608-623), and status.<domain> was proxied without auth.
     * Rung 2 for the rendered Caddyfile (the stack's own), rung 3 for the gate: the real caddy binary
     * (2.6.2 here; the stack pins 2.8.4) in front of a stand-in upstream that records what reaches it.
     */
    describe("status subdomain behind the admin gate (issue 15, finding 1)", function () {
        this.timeout(60000);

        it("gates every path of the stack's status site with the admin basic auth, and serves no status page unless one is published", async () => {
            const { resources } = await shippedRun("prod");
            const text = uploadText(resources, "caddy", "/etc/caddy/Caddyfile");
            const site = text.slice(text.indexOf("status.freshtrack.example.com {"));
            expect(site.slice(0, site.indexOf("\n}\n"))).to.match(
                /handle \{\n\s+basicauth \{\n\s+admin \$2a\$10\$[^\n]+\n\s+\}\n\s+reverse_proxy uptime-kuma:3001/,
            );
            expect(
                site.slice(0, site.indexOf("\n}\n")).match(/handle /g),
                "one route: the gated fallback",
            ).to.have.length(1);
            expect(monitoringSites("freshtrack.example.com", "$2a$10$x")[1]).to.deep.equal(
                statusSite("freshtrack.example.com", "$2a$10$x"),
            );
        });
    });
});

// Issue 15, finding 1: which status pages are public is the stack's config (freshtrack:monitoring.publicStatusPages),
// not code.
describe("public status pages from the stack's config (monitoring.publicStatusPages)", () => {
    it("serves a listed slug's page without the login, none by default, and refuses a slug that is not one, naming the key", async () => {
        const withPage = loadStackSettings("prod");
        withPage.config["freshtrack:monitoring"] = JSON.stringify({ publicStatusPages: ["cold-chain"] });
        const listed = uploadText(
            (await runUnderMocks(withPage, deployStack)).resources,
            "caddy",
            "/etc/caddy/Caddyfile",
        );
        expect(listed).to.contain("/api/status-page/cold-chain");
        const none = uploadText((await shippedRun("prod")).resources, "caddy", "/etc/caddy/Caddyfile");
        expect(none).to.not.contain("/api/status-page/");
        const problems = (await configFor(
            settingsWith({ "freshtrack:monitoring": { publicStatusPages: ["../setup", "ok-slug"] } }),
        ).catch((e: unknown) => e)) as { problems?: Array<{ key: string; expected: string }> };
        expect(problems.problems?.map((p) => p.key)).to.deep.equal(["freshtrack:monitoring.publicStatusPages[0]"]);
        expect(problems.problems?.[0]?.expected).to.match(/an Uptime Kuma status page slug/);
    });
});
