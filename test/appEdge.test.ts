import { expect } from "chai";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { TLS_MODES } from "../components/config";
import { caddyQuoted, LETS_ENCRYPT_STAGING, renderCaddyfile } from "../components/edge/caddyfile";
import { monitoringSites, statusPagePublicPaths, statusSite } from "../components/edge/caddy";
import { deployStack } from "../components/stack";
import { appEnvironment } from "../components/services/appEnv";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { MockRunFailure, RegisteredResource, runUnderMocks, SecretValue } from "../scripts/lib/mockRun";
import { blastRadius } from "../scripts/lib/blastRadius";
import { readBackModels } from "../scripts/lib/readBack/models";
import { loadStackSettings, shippedStacks } from "../scripts/lib/stackFiles";
import { configFor, CONTAINER, containerNamed, containers, runStack, settingsWith, uploadText } from "./helpers";
import { freePort, startServer, stopServer, waitForPort } from "./localServers";

const ROOT = path.join(__dirname, "..");

function scratch(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-caddy-"));
}

/** A throwaway certificate and key (openssl), for validating configs that name TLS files. */
function makeCert(dir: string): { cert: string; key: string } {
    const cert = path.join(dir, "server.crt");
    const key = path.join(dir, "server.key");
    execFileSync(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            key,
            "-out",
            cert,
            "-days",
            "2",
            "-subj",
            "/CN=freshtrack.test",
        ],
        { stdio: "ignore" },
    );
    return { cert, key };
}

function caddyValidate(caddyfile: string): { status: number | null; output: string } {
    const file = path.join(scratch(), "Caddyfile");
    fs.writeFileSync(file, caddyfile);
    const result = spawnSync("caddy", ["validate", "--config", file, "--adapter", "caddyfile"], { encoding: "utf8" });
    return { status: result.status, output: result.stdout + result.stderr };
}

/** The stack's rendered Caddyfile, with the internal-mode certificate paths pointed at real files. */
function stackCaddyfile(resources: RegisteredResource[]): string {
    const text = uploadText(resources, "caddy", "/etc/caddy/Caddyfile");
    const { cert, key } = makeCert(scratch());
    return text.replaceAll("/etc/caddy/certs/server.crt", cert).replaceAll("/etc/caddy/certs/server.key", key);
}

/**
 * A Caddyfile for a caddy run on 127.0.0.1 by a test: internal TLS off the ports, admin and metrics on the test's own
 * ports.
 */
function localCaddyfile(
    adminPort: number,
    metricsPort: number,
    sites: Parameters<typeof renderCaddyfile>[0]["sites"],
): string {
    return renderCaddyfile({
        email: "ops@example.com",
        tlsMode: "internal",
        autoHttps: false,
        adminAddress: `localhost:${adminPort}`,
        metricsPort,
        sites,
    });
}

describe("app tier and edge", () => {
    describe("Caddyfile", () => {
        for (const stack of shippedStacks()) {
            it(`passes \`caddy validate\` as rendered for stack ${stack}`, async () => {
                const { resources } = await runStack(stack, deployStack);
                const result = caddyValidate(stackCaddyfile(resources));
                expect(result.status, result.output).to.equal(0);
                expect(result.output).to.contain("Valid configuration");
            });
        }

        for (const tlsMode of TLS_MODES) {
            it(`passes \`caddy validate\` in TLS mode ${tlsMode}`, () => {
                const { cert, key } = makeCert(scratch());
                const text = renderCaddyfile({
                    email: "ops@example.com",
                    tlsMode,
                    internalTls: { certFile: cert, keyFile: key },
                    sites: [
                        {
                            address: "freshtrack.example.com",
                            routes: [{ upstreams: ["frontend:8080"], healthUri: "/health" }],
                        },
                    ],
                });
                const result = caddyValidate(text);
                expect(result.status, result.output).to.equal(0);
            });
        }

        it("is refused by `caddy validate` when broken, so the checks above can fail", () => {
            const text = renderCaddyfile({
                email: "ops@example.com",
                tlsMode: "acme",
                sites: [{ address: "x.example.com", routes: [{ upstreams: ["a:1"] }] }],
            });
            expect(caddyValidate(text.replace("reverse_proxy", "reverse_proxi")).status).to.not.equal(0);
        });

        // Issue 15, finding 15 (rung 3, the real caddy): adminEmail reached the Caddyfile unquoted and unchecked.
        const caddyAdapt = (caddyfile: string, env: Record<string, string> = {}) => {
            const file = path.join(scratch(), "Caddyfile");
            fs.writeFileSync(file, caddyfile);
            const result = spawnSync("caddy", ["adapt", "--config", file, "--adapter", "caddyfile"], {
                encoding: "utf8",
                env: { ...process.env, ...env },
            });
            return { status: result.status, stdout: result.stdout, output: result.stdout + result.stderr };
        };
        const acmeEmails = (adaptedJson: string): string[] => {
            const config = JSON.parse(adaptedJson) as {
                apps: { tls: { automation: { policies: Array<{ issuers?: Array<{ email?: string }> }> } } };
            };
            return config.apps.tls.automation.policies.flatMap((p) => (p.issuers ?? []).map((i) => i.email ?? ""));
        };

        it("quotes the admin email, and the real caddy reads a plus-addressed one back unchanged as the ACME account", async () => {
            const email = "ops+edge.alerts@mail.freshtrack.example.com";
            const cfg = await configFor(settingsWith({ "freshtrack:adminEmail": email }));
            const text = renderCaddyfile({
                email: cfg.adminEmail,
                tlsMode: "acme",
                sites: [{ address: "x.example.com", routes: [{ upstreams: ["a:1"] }] }],
            });
            expect(text).to.contain(`\n    email "${email}"\n`);
            const adapted = caddyAdapt(text);
            expect(adapted.status, adapted.output).to.equal(0);
            const emails = acmeEmails(adapted.stdout);
            expect(emails).to.not.be.empty;
            for (const e of emails) expect(e).to.equal(email);
            expect(caddyValidate(text).status).to.equal(0);
        });

        it("refuses a hostile admin email before any Caddyfile exists, and the renderer refuses what quotes cannot carry", async () => {
            const hostile = [
                'ops@example.com"\n}\nadmin 0.0.0.0:2019\n{',
                "{$CADDY_ADMIN}@example.com",
                "ops@{env.HOME}.example.com",
                "ops\\@example.com",
            ];
            for (const email of hostile) {
                const refused = await configFor(settingsWith({ "freshtrack:adminEmail": email })).then(
                    () => "accepted",
                    (err: Error) => err.message,
                );
                expect(refused, JSON.stringify(email)).to.contain(
                    `freshtrack:adminEmail = ${JSON.stringify(email)}: expected an email address`,
                );
                expect(() => caddyQuoted(email), JSON.stringify(email)).to.throw(/a Caddyfile value may not contain/);
            }
            expect(caddyQuoted('say "hi"')).to.equal('"say \\"hi\\""');
        });

        it("needs the validation as well as the quotes: the real caddy expands {$VAR} inside a quoted token, before it reads tokens", () => {
            // Written by hand: the config never lets such an email through. caddy@v2.8.4
            // caddyconfig/caddyfile/parse.go:63-110.
            const text = '{\n    email "ops{$FT_PROBE}@example.com"\n}\n\nx.example.com {\n    respond "ok"\n}\n';
            const leaked = caddyAdapt(text, { FT_PROBE: "-leaked-value" });
            expect(leaked.status, leaked.output).to.equal(0);
            expect(acmeEmails(leaked.stdout)).to.include("ops-leaked-value@example.com");
            const injected = caddyAdapt(text, { FT_PROBE: 'x"\n    admin 0.0.0.0:2019\n    email "y' });
            expect(injected.status, injected.output).to.equal(0);
            expect(
                (JSON.parse(injected.stdout) as { admin?: { listen?: string } }).admin?.listen,
                "the admin API, opened to every address",
            ).to.equal("0.0.0.0:2019");
        });

        it("sends HSTS only with publicly trusted certificates, and uses Let's Encrypt staging in acme-staging", () => {
            const render = (tlsMode: (typeof TLS_MODES)[number]) =>
                renderCaddyfile({
                    email: "o@example.com",
                    tlsMode,
                    sites: [{ address: "x.example.com", routes: [{ upstreams: ["a:1"] }] }],
                });
            expect(render("acme")).to.contain("Strict-Transport-Security");
            expect(render("acme-staging")).to.contain(`acme_ca ${LETS_ENCRYPT_STAGING}`);
            expect(render("acme")).to.not.contain("acme_ca");
            expect(render("internal")).to.not.contain("Strict-Transport-Security");
        });

        it("routes the dashboard, /api and Bull Board (behind basic auth), compresses, logs JSON and keeps the admin API inside the container", async () => {
            const { resources } = await runStack("prod", deployStack);
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
        // Defect 9 of issue 14 (rung 1, mocks; the daemon side is rung 5 in engine.real.test.ts): the droplet publishes
        // AAAA records, so IPv6 clients must reach Caddy too. The provider binds one address per entry (default
        // 0.0.0.0).
        it("publishes 80 and 443 on every IPv4 and IPv6 address on a server, IPv4 first, and on loopback only on a laptop", async () => {
            const ports = async (stack: string) =>
                containerNamed((await runStack(stack, deployStack)).resources, "caddy").inputs.ports;
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
                (await runStack(stack, deployStack)).resources
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
            const { resources } = await runStack("prod", deployStack);
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
            const run = await runStack("dev", deployStack);
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
            const { resources } = await runStack("prod", deployStack);
            expect(resources.filter((r) => r.type.startsWith("tls:index/selfSignedCert"))).to.deep.equal([]);
        });
    });

    describe("ordering", () => {
        let resources: RegisteredResource[];
        before(async () => {
            resources = (await runStack("prod", deployStack)).resources;
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
            const before = await runStack("prod", deployStack);
            const settings = loadStackSettings("prod");
            settings.config["freshtrack:appVersion"] = "1.5.0";
            const after = await runUnderMocks(settings, deployStack);
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
            const { resources } = await runStack("prod", deployStack);
            expect(containers(resources).map((c) => c.name)).to.not.include("demo-data");
        });

        it("seeds after migrations, once per stack: an app update does not run it again, a new seed version does", async () => {
            const { resources } = await runStack("dev", deployStack);
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
            const deployed = await runStack("dev", deployStack);
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
        // replaces the migration and the backup before it (issue 15, finding 5: test/migrationBackup.test.ts), and the
        // preview must not show backend, worker or demo data replaced.
        it("previews a job replaced on its own without replacing what requires it, as the update then does", async () => {
            /** Containers the update replaces, or creates anew. */
            const replaced = (before: RegisteredResource[], after: RegisteredResource[]) => {
                const radius = blastRadius(before, after, readBackModels("local", before));
                return [...radius.containers.replace, ...radius.containers.create].sort();
            };
            const deployed = await runStack("dev", deployStack);
            const settings = loadStackSettings("dev");
            settings.config["freshtrack:appCommands"] = JSON.stringify({ migrate: "pnpm db:migrate:prod --verbose" });
            const preview = await runUnderMocks(settings, deployStack, {
                preview: true,
                exitCodes: { migrate: unknownValue as unknown as number },
            });
            const update = await runUnderMocks(settings, deployStack);
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
            const { resources } = await runStack("dev", deployStack);
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
        it("hands credentials over as *_FILE pointers to secret files, never as values", async () => {
            const cfg = await configFor(settingsWith({}));
            const pulumiSecret = (await import("@pulumi/pulumi")).secret;
            const env = appEnvironment("backend", {
                cfg,
                database: {
                    host: "pgbouncer",
                    port: 6432,
                    database: "freshtrack",
                    user: "freshtrack",
                    password: pulumiSecret("db-pw"),
                    sslMode: "disable",
                },
                redis: { host: "redis", port: 6379, password: pulumiSecret("redis-pw") },
                objectStorage: {
                    endpoint: "http://minio:9000",
                    accessKey: "freshtrack-app",
                    secretKey: pulumiSecret("s3-pw"),
                },
                jwtSecret: pulumiSecret("jwt"),
            });
            const fileKeys = Object.keys(env.env).filter((k) => k.endsWith("_FILE"));
            expect(fileKeys.sort()).to.deep.equal([
                "DATABASE_PASSWORD_FILE",
                "JWT_SECRET_FILE",
                "REDIS_PASSWORD_FILE",
                "S3_ACCESS_KEY_ID_FILE",
                "S3_SECRET_ACCESS_KEY_FILE",
            ]);
            for (const key of fileKeys)
                expect(
                    env.files.map((f) => f.path),
                    key,
                ).to.include(env.env[key]);
            expect(env.files.filter((f) => f.secret).map((f) => f.path)).to.have.length(4);
        });

        it("is documented key by key in docs/app-contract.md", async () => {
            const doc = fs.readFileSync(path.join(ROOT, "docs", "app-contract.md"), "utf8");
            const documented = new Set([...doc.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
            const { resources } = await runStack("prod", deployStack);
            // And with managed PostgreSQL, which adds DATABASE_CA_FILE (issue 15, finding 17).
            const managed = loadStackSettings("prod");
            managed.config["freshtrack:database"] = JSON.stringify({ mode: "managed" });
            const managedResources = (await runUnderMocks(managed, deployStack)).resources;
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
        const PASSWORD = "gate-password-1";
        const ADMIN_PATHS = [
            "/",
            "/setup",
            "/dashboard",
            "/manage-status-page",
            "/settings/security",
            "/metrics",
            "/socket.io/?EIO=4&transport=polling",
            "/api/entry-page",
            "/api/badge/1/status",
        ];

        it("gates every path of the stack's status site with the admin basic auth, and serves no status page unless one is published", async () => {
            const { resources } = await runStack("prod", deployStack);
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

        it("refuses a status page slug that is not Uptime Kuma's own form, so it cannot widen a Caddy path", () => {
            for (const bad of ["*", "a/b", "public*", "../setup", "a b", "", "-x"])
                expect(() => statusPagePublicPaths([bad]), bad).to.throw(/letters, digits and single hyphens/);
        });

        const runGate = async (
            publicSlugs: string[],
            check: (
                get: (p: string, auth?: boolean) => Promise<{ status: number; location?: string }>,
                seen: string[],
            ) => Promise<void>,
        ) => {
            const hash = execFileSync("caddy", ["hash-password", "--plaintext", PASSWORD], { encoding: "utf8" })
                .trim()
                .split("\n")
                .pop()!;
            const [upPort, caddyPort, adminPort, metricsPort] = await Promise.all([
                freePort(),
                freePort(),
                freePort(),
                freePort(),
            ]);
            const seen: string[] = [];
            const upstream = http
                .createServer((req, res) => {
                    seen.push(req.url!);
                    res.end("kuma");
                })
                .listen(upPort, "127.0.0.1");
            const site = statusSite("freshtrack.example.com", hash, publicSlugs);
            const dir = scratch();
            const caddyfile = path.join(dir, "Caddyfile");
            fs.writeFileSync(
                caddyfile,
                localCaddyfile(adminPort, metricsPort, [
                    {
                        address: `http://127.0.0.1:${caddyPort}`,
                        routes: site.routes.map((r) => ({
                            ...r,
                            upstreams: r.upstreams.map(() => `127.0.0.1:${upPort}`),
                        })),
                    },
                ]),
            );
            const caddy = startServer("caddy", ["run", "--config", caddyfile, "--adapter", "caddyfile"]);
            const get = (p: string, auth = false) =>
                new Promise<{ status: number; location?: string }>((resolve, reject) => {
                    const headers = auth
                        ? { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}` }
                        : {};
                    http.get({ host: "127.0.0.1", port: caddyPort, path: p, headers, agent: false }, (res) => {
                        res.resume();
                        res.on("end", () =>
                            resolve({
                                status: res.statusCode!,
                                ...(res.headers.location ? { location: res.headers.location } : {}),
                            }),
                        );
                    }).on("error", reject);
                });
            try {
                await waitForPort(caddyPort);
                await check(get, seen);
            } finally {
                await stopServer(caddy);
                upstream.close();
            }
        };

        it("answers 401 to every path without the admin password, setup and socket.io included, and proxies them with it (real caddy)", async () => {
            await runGate([], async (get, seen) => {
                for (const p of [...ADMIN_PATHS, "/status/public", "/api/status-page/public", "/assets/index.js"])
                    expect((await get(p)).status, p).to.equal(401);
                expect(seen, "nothing reached Uptime Kuma").to.deep.equal([]);
                for (const p of ADMIN_PATHS) expect((await get(p, true)).status, p).to.equal(200);
                expect(seen).to.deep.equal(ADMIN_PATHS);
            });
        });

        it("with a published page, serves only its read-only paths without auth, sends / there, and gates the rest (real caddy)", async () => {
            const open = [
                "/status/public",
                "/api/status-page/public",
                "/api/status-page/heartbeat/public",
                "/api/status-page/public/manifest.json",
                "/assets/index-3f2a.js",
                "/icon.svg",
                "/favicon.ico",
                "/upload/logo1.png",
            ];
            const gated = [
                ...ADMIN_PATHS.filter((p) => p !== "/"),
                "/status/other",
                "/status",
                "/api/status-page/other",
                "/api/status-page/heartbeat/other",
                "/api/status-page/public/badge",
                "/status/public/x",
                "/status/public/../../setup",
                "/assets/../setup",
                "/assets/..%2fsetup",
                "/upload/../dashboard",
                "/socket.io/?EIO=4&transport=websocket",
            ];
            await runGate(["public"], async (get, seen) => {
                for (const p of open) expect((await get(p)).status, p).to.equal(200);
                expect(seen).to.deep.equal(open);
                expect(await get("/")).to.deep.equal({ status: 302, location: "/status/public" });
                seen.length = 0;
                for (const p of gated) expect((await get(p)).status, p).to.equal(401);
                expect(seen, "nothing else reached Uptime Kuma").to.deep.equal([]);
            });
        });
    });

    describe("zero-downtime switchover through the real Caddy", function () {
        this.timeout(60000);

        it("answers every request while the old upstream stops and the new one takes over", async () => {
            const served = { old: 0, new: 0 };
            const closing = { old: false, new: false };
            const makeUpstream = (which: "old" | "new") =>
                http.createServer((req, res) => {
                    // A graceful stop, as docs/app-contract.md asks of the images: finish what is in
                    // flight and tell keep-alive clients the connection ends with this response.
                    if (closing[which]) res.setHeader("Connection", "close");
                    if (req.url === "/health/ready") {
                        res.end("ok");
                        return;
                    }
                    served[which]++;
                    // A little work per request, so some are always in flight during the switch.
                    setTimeout(() => res.end(which), 5);
                });
            const [oldPort, newPort, caddyPort, adminPort, metricsPort] = await Promise.all([
                freePort(),
                freePort(),
                freePort(),
                freePort(),
                freePort(),
            ]);
            const oldServer = makeUpstream("old").listen(oldPort, "127.0.0.1");
            const newServer = makeUpstream("new");

            const dir = scratch();
            const caddyfile = path.join(dir, "Caddyfile");
            // The stack routes to one network alias; Docker's DNS answers with the old container, then
            // both, then the new one. Two static upstreams walk Caddy through the same three states.
            fs.writeFileSync(
                caddyfile,
                localCaddyfile(adminPort, metricsPort, [
                    {
                        address: `http://127.0.0.1:${caddyPort}`,
                        routes: [
                            {
                                path: "/api/*",
                                upstreams: [`127.0.0.1:${oldPort}`, `127.0.0.1:${newPort}`],
                                healthUri: "/health/ready",
                            },
                        ],
                    },
                ]),
            );
            const caddy = startServer("caddy", ["run", "--config", caddyfile, "--adapter", "caddyfile"]);
            let sent = 0;
            const failures: string[] = [];
            let running = true;
            try {
                await waitForPort(caddyPort);
                const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
                const client = async () => {
                    while (running) {
                        sent++;
                        await new Promise<void>((resolve) => {
                            const req = http.get(
                                {
                                    host: "127.0.0.1",
                                    port: caddyPort,
                                    path: `/api/readings?n=${sent}`,
                                    agent,
                                    timeout: 10000,
                                },
                                (res) => {
                                    res.resume();
                                    res.on("end", () => {
                                        if (res.statusCode !== 200) failures.push(`HTTP ${res.statusCode}`);
                                        resolve();
                                    });
                                },
                            );
                            req.on("timeout", () => req.destroy(new Error("no answer within 10 s")));
                            req.on("error", (err) => {
                                failures.push(err.message);
                                resolve();
                            });
                        });
                    }
                };
                const clients = Array.from({ length: 6 }, client);
                const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

                await sleep(1500); // old only
                newServer.listen(newPort, "127.0.0.1"); // new version starts
                await sleep(3000); // both healthy
                const servedByOldBeforeStop = served.old;
                closing.old = true; // old version stops gracefully
                await new Promise<void>((resolve) => {
                    oldServer.close(() => resolve());
                    oldServer.closeIdleConnections();
                });
                const newBeforeStop = served.new;
                await sleep(2000); // new only
                running = false;
                await Promise.all(clients);
                agent.destroy();

                console.log(
                    `      switchover: ${sent} requests sent, ${failures.length} failed; ${served.old} served by the old upstream, ${served.new} by the new`,
                );
                expect(failures, failures.slice(0, 5).join("; ")).to.deep.equal([]);
                expect(sent).to.be.greaterThan(200);
                expect(servedByOldBeforeStop).to.be.greaterThan(0);
                expect(
                    served.new - newBeforeStop,
                    "the new upstream carried the traffic after the switch",
                ).to.be.greaterThan(50);
            } finally {
                running = false;
                await stopServer(caddy);
                newServer.close();
                newServer.closeAllConnections();
            }
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
        const none = uploadText((await runStack("prod", deployStack)).resources, "caddy", "/etc/caddy/Caddyfile");
        expect(none).to.not.contain("/api/status-page/");
        const problems = (await configFor(
            settingsWith({ "freshtrack:monitoring": { publicStatusPages: ["../setup", "ok-slug"] } }),
        ).catch((e: unknown) => e)) as { problems?: Array<{ key: string; expected: string }> };
        expect(problems.problems?.map((p) => p.key)).to.deep.equal(["freshtrack:monitoring.publicStatusPages[0]"]);
        expect(problems.problems?.[0]?.expected).to.match(/an Uptime Kuma status page slug/);
    });
});
