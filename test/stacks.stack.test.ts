import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { STATEFUL_VOLUMES } from "../components/platform/volumes";
import { deployStack } from "../components/stack";
import { dockerDataRoot } from "../components/monitoring/monitoringTier";
import { RegisteredResource, SecretValue } from "../scripts/lib/mockRun";
import { loadStackSettings, shippedStacks } from "../scripts/lib/stackFiles";
import { DATABASE_ROLES } from "../components/services/context";
import { POLICIES } from "../policy/policies";
import { fromRegistered, mandatory, readPackConfig, runPolicies } from "../scripts/lib/policyRun";
import { ALL_CONTAINERS, containerNamed, containers, plainStrings, uploadText } from "./helpers";
import { shippedRun } from "./variantRuns";

const ROOT = path.join(__dirname, "..");
/** The stacks of this checkout as the scripts list them (an operator may have added their own). */
/**
 * The mandatory violations each shipped stack has as it ships. Prod ships without an offsite store, and its pack config
 * requires an offsite copy of the block volume: the walkthrough (step 4) has the operator add one (test/helpers.ts
 * withOffsite; test/policy.stack.test.ts proves prod passes with it).
 */
const EXPECTED_MANDATORY: Record<string, string[]> = {
    prod: [
        "stack-backups-and-monitoring: volume droplet-data holds the stack's data and droplet backups do not cover block volumes; its only other copy is on the same host. " +
            "Set freshtrack:backup.offsite and its three secrets (docs/walkthrough.md, step 4; docs/operations.md, Offsite copies).",
    ],
};

function byType(resources: RegisteredResource[], type: string): RegisteredResource[] {
    return resources.filter((r) => r.type === type);
}

describe("shipped stacks: invariants of every container and volume", () => {
    for (const stack of shippedStacks()) {
        describe(`stack ${stack}`, () => {
            let resources: RegisteredResource[];
            before(async () => {
                resources = (await shippedRun(stack)).resources;
            });

            it("registers the data tier, the app tier with its jobs, Caddy and monitoring (and demo data where the stack turns it on)", () => {
                const demo = loadStackSettings(stack).config["freshtrack:demoData"] === "true";
                expect(
                    containers(resources)
                        .map((c) => c.name)
                        .sort(),
                ).to.deep.equal([...ALL_CONTAINERS, ...(demo ? ["demo-data"] : [])].sort());
            });

            // The attack pass: the verification gate and the announcement sent `dir: process.cwd()`, so a second `up`
            // from another checkout (CI, then a laptop) saw a changed input and ran both again. No input may hold this
            // checkout's path.
            it("sends no resource an input that holds the path of this checkout, so a second up from another checkout changes nothing", () => {
                const checkout = path.resolve(ROOT);
                const holding = resources
                    .filter((r) => plainStrings(r.inputs).some((text) => text.includes(checkout)))
                    .map((r) => r.name);
                expect(holding).to.deep.equal([]);
            });

            // The container and volume rules (limits, health checks, log rotation, capabilities, no-new-privileges,
            // ports, host mounts, protection) are the pack's: this runs it, rather than restating them. Rung 1: the
            // rules on the inputs this stack registers under mocks, as `npm run policy` runs them.
            it(`passes every mandatory rule of the policy pack with its environment's policy/config file, each able to run`, async () => {
                const findings = await runPolicies(POLICIES, fromRegistered(resources), readPackConfig(stack));
                expect(mandatory(findings).map((f) => `${f.policy}: ${f.message}`)).to.deep.equal(
                    EXPECTED_MANDATORY[stack] ?? [],
                );
                expect(findings.filter((f) => f.kind === "unknown")).to.deep.equal([]);
            });

            it("tags every container's log lines with its stack and service, which promtail reads", () => {
                for (const c of containers(resources)) {
                    // labels and tag: promtail's stack, service and container labels travel in each line (issue 15,
                    // finding 6). Rotation (max-size, max-file) is the pack's container-log-rotation.
                    expect(c.inputs.logOpts, c.name).to.include({
                        labels: "com.freshtrack.stack,com.freshtrack.service",
                        tag: "{{.Name}}",
                    });
                }
            });

            it("puts no secret in any container's env, command or labels", async () => {
                const secretValues = byType(resources, "random:index/randomPassword:RandomPassword").map(
                    (r) => `mock-${r.name}`,
                );
                expect(secretValues).to.have.length.greaterThan(0);
                for (const c of containers(resources)) {
                    for (const field of ["envs", "command", "labels", "healthcheck"]) {
                        expect(c.inputs[field], `${c.name}.${field}`).to.not.be.instanceOf(SecretValue);
                        const text = plainStrings(c.inputs[field]).join("\n");
                        for (const secret of secretValues) expect(text, `${c.name}.${field}`).to.not.contain(secret);
                    }
                }
            });

            it("marks every upload that carries a generated secret as secret", () => {
                const secretValues = byType(resources, "random:index/randomPassword:RandomPassword").map(
                    (r) => `mock-${r.name}`,
                );
                for (const c of containers(resources)) {
                    const text = plainStrings(c.inputs.uploads).join("\n");
                    for (const secret of secretValues) expect(text, c.name).to.not.contain(secret);
                }
            });

            // Protection, read-only host mounts and their allowlist are the pack's (stateful-resources-protected,
            // container-host-mounts, container-no-docker-socket); which volumes exist and which host directory promtail
            // needs on this target are the program's, and the pack allows either Docker data root.
            it("registers exactly the stateful volumes, mounts only those, and points promtail at this target's container logs", () => {
                const volumes = byType(resources, "docker:index/volume:Volume");
                expect(
                    volumes.map((v) => String(v.inputs.name).replace(/^freshtrack-[a-z]+-/, "")).sort(),
                ).to.deep.equal([...STATEFUL_VOLUMES].sort());
                const names = new Set(volumes.map((v) => v.inputs.name));
                // Promtail tails <data-root>/containers (issue 15, finding 6): no container holds the Docker socket.
                const target = loadStackSettings(stack).config["freshtrack:target"] as "local" | "droplet" | "ssh";
                const hostAgents: Record<string, string> = {
                    promtail: `${dockerDataRoot(target)}/containers`,
                    "node-exporter": "/",
                };
                for (const c of containers(resources)) {
                    for (const m of (c.inputs.volumes as Array<{ volumeName?: string; hostPath?: string }>) ?? []) {
                        if (m.hostPath !== undefined) {
                            expect(hostAgents[c.name], `${c.name} mounts host path ${m.hostPath}`).to.equal(m.hostPath);
                        } else {
                            expect(names.has(m.volumeName), `${c.name} mounts ${JSON.stringify(m)}`).to.equal(true);
                        }
                    }
                }
            });

            it("keeps the data, monitoring and telemetry networks internal and every container off the default bridge", () => {
                const internal = byType(resources, "docker:index/network:Network")
                    .filter((n) => n.inputs.internal === true)
                    .map((n) => n.name);
                expect(internal.sort()).to.deep.equal(["networks-data", "networks-monitoring", "networks-telemetry"]);
                for (const c of containers(resources)) {
                    expect(c.inputs.networksAdvanced, c.name).to.be.an("array").that.is.not.empty;
                    expect(c.inputs.networkMode, c.name).to.equal(undefined);
                }
            });

            it("replaces stateless containers create-before-delete and stateful ones delete-before-create", () => {
                for (const c of containers(resources)) {
                    const kind = (c.inputs.labels as Array<{ label: string; value: string }>).find(
                        (l) => l.label === "com.freshtrack.kind",
                    )!.value;
                    expect(c.options.deleteBeforeReplace, c.name).to.equal(kind === "stateful");
                    expect(c.inputs.name === undefined, `${c.name} generated name`).to.equal(kind !== "stateful");
                }
            });

            it("starts pgbouncer after postgres and the bucket job after minio", () => {
                const find = (name: string) => containers(resources).find((c) => c.name === name)!;
                expect(find("pgbouncer").options.dependsOn).to.include(find("postgres").urn);
                expect(find("minio-init").options.dependsOn).to.include(find("minio").urn);
            });

            // The newcomer pass: the roles job connected once, before PostgreSQL was up on a first deploy or after its
            // replacement in an upgrade, and failed the update.
            it("runs the database roles job only once PostgreSQL (and PgBouncer) are healthy", () => {
                const find = (name: string) => containers(resources).find((c) => c.name === name);
                const grant = find("database-grant");
                if (!find("postgres")) return; // managed PostgreSQL: the cluster is outside the host
                expect(grant, "a self-hosted stack has the roles job").to.not.equal(undefined);
                expect(grant!.options.dependsOn).to.include(find("postgres")!.urn);
            });

            // Issue 15, finding 12, rung 1: the image makes POSTGRES_USER the bootstrap superuser, which PostgreSQL 16+
            // never lets lose SUPERUSER; the app must connect as another role (what that role may do:
            // test/databaseRoles*.servers.test.ts).
            it("connects the application as a role that is not the image's superuser, and gives no app container a superuser's password", () => {
                const env = (name: string) =>
                    Object.fromEntries(
                        (containerNamed(resources, name).inputs.envs as string[]).map((e) => [
                            e.slice(0, e.indexOf("=")),
                            e.slice(e.indexOf("=") + 1),
                        ]),
                    );
                const superuser = env("postgres").POSTGRES_USER;
                const apps = [
                    "backend",
                    "worker",
                    "migrate",
                    ...(containers(resources).some((c) => c.name === "demo-data") ? ["demo-data"] : []),
                ];
                for (const app of apps) {
                    expect(env(app).DATABASE_USER, app).to.not.equal(superuser);
                    expect(env(app).DATABASE_USER, app).to.equal(DATABASE_ROLES.app);
                    expect(uploadText(resources, app, "/run/secrets/database_password"), app).to.equal(
                        "mock-secrets-databaseAppPassword",
                    );
                }
                // The superuser passwords reach the server and the database-grant job, and PgBouncer holds the legacy
                // one only for the update that splits the roles (components/services/pgbouncer.ts): no other container.
                const holders = containers(resources)
                    .filter((c) =>
                        JSON.stringify(c.inputs.uploads ?? []).match(/mock-secrets-postgres(Superuser)?Password/),
                    )
                    .map((c) => c.name);
                expect(holders.sort()).to.deep.equal(["database-grant", "pgbouncer", "postgres"]);
                const userlist = uploadText(resources, "pgbouncer", "/run/secrets/pgbouncer_userlist.txt");
                expect(userlist).to.contain(`"${DATABASE_ROLES.app}" "mock-secrets-databaseAppPassword"`);
                // Backups and restores as the backup role, restoring for the application's role; the exporter as the
                // monitoring role.
                expect(env("backup")).to.include({
                    DATABASE_USER: DATABASE_ROLES.backup,
                    DATABASE_OWNER_ROLE: DATABASE_ROLES.app,
                });
                expect(env("postgres-exporter").DATA_SOURCE_USER).to.equal(DATABASE_ROLES.monitor);
            });

            it("runs the PostgreSQL server as postgres (70:70) with no capability added: the entrypoint then needs none", () => {
                const server = containerNamed(resources, "postgres");
                expect(server.inputs.user).to.equal("70:70");
                expect((server.inputs.capabilities as { adds?: string[] }).adds ?? []).to.deep.equal([]);
            });

            it("creates every Docker resource through the host's provider", () => {
                for (const r of resources.filter((r) => r.type.startsWith("docker:"))) {
                    expect(r.options.provider, r.name).to.match(
                        /\$pulumi:providers:docker::(local|droplet|ssh)-docker::/,
                    );
                }
            });
        });
    }

    it("validates the config before anything is registered, so a bad value registers nothing", async () => {
        const settings = loadStackSettings("dev");
        settings.config["freshtrack:domain"] = "not a domain";
        const registered: RegisteredResource[] = [];
        const { runUnderMocks } = await import("../scripts/lib/mockRun");
        const outcome = await runUnderMocks(settings, () => {
            try {
                deployStack();
                return "deployed";
            } catch (err) {
                return String(err);
            }
        });
        registered.push(...outcome.resources);
        expect(outcome.result).to.match(/freshtrack:domain = "not a domain"/);
        expect(registered).to.deep.equal([]);
    });
});

describe("npm run plan", () => {
    const plan = (...args: string[]) =>
        spawnSync(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", path.join(ROOT, "scripts", "plan.ts"), ...args.filter(Boolean)],
            { cwd: ROOT, encoding: "utf8" },
        );

    it("prints the dev data tier with limits, health checks, networks, ports, volumes and masked secrets", () => {
        const result = plan("dev");
        expect(result.status, result.stderr).to.equal(0);
        const out = result.stdout;
        for (const expected of [
            "FreshTrack plan for stack 'dev'",
            "docker:Volume  volumes-postgres-data  (protected)",
            "postgres  [stateful]",
            "768 MB memory (swap off), 1 CPU",
            "pg_isready -h 127.0.0.1",
            "freshtrack-dev-data (alias postgres)",
            "ports     none published",
            "freshtrack-dev-postgres-data -> /var/lib/postgresql/data [protected]",
            "/run/secrets/postgres_password [secret]",
            "pgbouncer-<generated>",
        ]) {
            expect(out).to.contain(expected);
        }
        expect(out).to.not.match(/mock-secrets-/);
    });

    it("exits 1 with one line per problem and no stack trace on a bad config", () => {
        const file = path.join(ROOT, "Pulumi.plan-test-bad.yaml");
        fs.writeFileSync(
            file,
            "config:\n  freshtrack:domain: not a domain\n  freshtrack:adminEmail: ops@example.com\n  freshtrack:appVersion: latest\n  freshtrack:target: droplet\n  freshtrack:tlsMode: acme\n  freshtrack:adminCidrs: [10.0.0.0/33]\n  freshtrack:droplet: {region: fra1}\n",
        );
        try {
            const result = plan("plan-test-bad");
            expect(result.status).to.equal(1);
            const problems = result.stderr.split("\n").filter((l) => l.startsWith("  - "));
            expect(problems).to.deep.equal([
                '  - freshtrack:domain = "not a domain": expected a lowercase DNS name such as freshtrack.example.com',
                '  - freshtrack:adminCidrs[0] = "10.0.0.0/33": expected a CIDR such as 203.0.113.7/32 or 2001:db8::/48 (an IPv4 prefix is at most 32)',
                '  - freshtrack:appVersion = "latest": expected a pinned version tag such as 1.4.2 (latest is refused: it changes under a running stack)',
            ]);
            expect(result.stderr).to.not.match(/\n\s+at /);
        } finally {
            fs.rmSync(file);
        }
    });

    it("prints prod's droplet, firewall, DNS, start order, scrape targets, alerts and where alerts go", () => {
        const result = plan("prod");
        expect(result.status, result.stderr).to.equal(0);
        for (const expected of [
            "  WARNING Pulumi.prod.yaml still has documentation example values",
            "    freshtrack:alerts.email.smarthost = smtp.example.com:587",
            "      entrypoint  /bin/sh -c\n      command     grafana cli --homepath /usr/share/grafana admin reset-admin-password --password-from-stdin",
            "droplet   freshtrack-prod-host: s-4vcpu-8gb in fra1",
            "never replaced by changes to userData, sshKeys, image",
            "firewall  freshtrack-prod-firewall: in tcp/80 from 0.0.0.0/0 ::/0; tcp/443 from 0.0.0.0/0 ::/0;\n            tcp/22 from 203.0.113.0/28 2001:db8:40::/48; out: all",
            "dns       A    freshtrack.example.com -> <reserved IP>",
            "dns       AAAA freshtrack.example.com -> <droplet IPv6>",
            "  4. grafana-admin-password, pre-migrate-backup",
            "  5. migrate",
            "  6. backend, worker",
            "blackbox-https  https://freshtrack.example.com",
            "alerts (14)",
            "delivered to: email to oncall@freshtrack.example.com",
        ]) {
            expect(result.stdout).to.contain(expected);
        }
        // Addresses DigitalOcean assigns on create are not known before the first deploy: the plan names them, never
        // prints a stand-in.
        expect(result.stdout).not.to.match(/203\.0\.113\.50|192\.0\.2\.10|2001:db8::10/);
    });

    it("exits 2 and lists the shipped stacks for an unknown stack", () => {
        const result = plan("nosuchstack");
        expect(result.status).to.equal(2);
        expect(result.stderr).to.equal(
            // Read when the script runs: another suite may hold a stack file of its own meanwhile.
            `plan: there is no stack 'nosuchstack' (no Pulumi.nosuchstack.yaml). Stacks: ${shippedStacks().join(", ")}\n`,
        );
    });

    it("exits 2 with usage when no stack is given", () => {
        const result = plan("");
        expect(result.status).to.equal(2);
        expect(result.stderr).to.match(/usage: npm run plan -- <stack>/);
    });
});
