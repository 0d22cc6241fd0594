/**
 * Shared by test/catalogHealth.servers.test.ts and test/catalogHealthHttp.servers.test.ts (issue 16, item 4; rung 4 of
 * the ladder, real servers on 127.0.0.1): every container's health check, exactly as the program registers it on each
 * shipped stack and variant, is run the way Docker runs it, against Debian's PostgreSQL, PgBouncer, Redis, Caddy,
 * Prometheus and Alertmanager (installed by .ci/run) and against HTTP servers the tests start in place of the others.
 * Each check must exit 0 against a healthy server and non-zero when the server is down, answers an error, or (where the
 * check logs in) is given the wrong password.
 *
 * How Docker runs a check, read at the engine versions the project meets (docker.io 20.10.24 here, 27.x on servers):
 * the provider passes `healthcheck.tests` through unchanged as Config.Healthcheck.Test (kreuzwerker v4.5.0
 * internal/provider/resource_docker_container_funcs.go:140-145). `CMD` execs the rest of the list as argv, `CMD-SHELL`
 * runs `/bin/sh -c <text>` unless the image sets SHELL (moby v27.5.1 daemon/health.go:69-75, :330-341, :453-464;
 * v20.10.24 daemon/health.go:64-68, :261-263, :378-389), as the container's user, in its working directory and with its
 * environment (v27.5.1 :85-92). Exit 0 is healthy, anything else a failure (:209-213), and a probe still running at
 * the timeout counts as a failure with exit code -1 (:132-149).
 *
 * What is substituted here, and nothing else (`localise` below):
 * - the check's own address: `127.0.0.1:<the spec's port>` (or `/dev/tcp/127.0.0.1/<port>`, or `-p <port>`) becomes
 *   the test server's port; a check that relies on its tool's defaults gets them another way: `PGPORT`, and `PGHOST`
 *   for the default socket directory (/var/run/postgresql in the image), for pg_isready (libpq reads them only when
 *   -p and -h are not given: postgres/postgres@0028b55b src/interfaces/libpq/fe-connect.c, PQconninfoOptions and
 *   conninfo_add_defaults), and for redis-cli a `redis-cli` first on PATH that adds `-p`;
 * - `/run/secrets/` (SECRETS_DIR) becomes a directory of this test, in the check and in the container's environment;
 * - the programs are this machine's: Debian's busybox 1.35.0 for the images' BusyBox `wget` and `sh` (the images have
 *   BusyBox 1.36.1, components/imageContracts/; networking/wget.c is the same file in both: mirror/busybox
 *   1_35_0..1_36_1 changes nothing in it), Debian's pg_isready 15 (the images have 17 and 16; the ping is the same
 *   libpq internal_ping), redis-cli 7.0.15 (the image has 7.4.2; redis-cli's exit paths tested are the same at
 *   7.0.15 and 7.4.1, the newest stored tag), curl, bash, and this Node.js for the backend's `node -e`.
 * - the user: this test's (root in CI), not the container's; no check here reads a file its user could not (the
 *   secret files are 0444), and pg_isready's default role name, which is the user's, changes nothing (see the
 *   PostgreSQL tests).
 * Hosts need no mapping: every check addresses its own container on 127.0.0.1, and none reads a host from its
 * environment.
 */
import { expect } from "chai";
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { SERVICE_SPECS, SERVICES, ServiceSpec } from "../components/catalog";
import { SECRETS_DIR } from "../components/services/context";
import { SecretValue, unwrapSecrets } from "../scripts/lib/mockRun";
import { containers } from "./helpers";
import { freePort, IS_ROOT, postgresBin } from "./localServers";
import { URN_VARIANTS } from "./urnVariants";
import { variantResources } from "./variantRuns";

const BUSYBOX = "/usr/bin/busybox";

/** One container's check as registered on one stack: its test, its timeout and the container's environment. */
export interface RegisteredCheck {
    readonly service: string;
    readonly variant: string;
    readonly test: readonly string[];
    readonly timeoutMs: number;
    readonly env: Readonly<Record<string, string>>;
    readonly workingDir?: string;
    readonly uploads: readonly string[];
    readonly image: string;
    /**
     * What the container's server is started from, for the tests that start a real one the same way: its command line
     * (entrypoint, then command), the text of every file uploaded into it (secret ones included) and where its volumes
     * are mounted.
     */
    readonly argv: readonly string[];
    readonly files: Readonly<Record<string, string>>;
    readonly mounts: readonly string[];
}

/** A Go duration as the program writes it ("5s", "1m0s"), in milliseconds. */
function goDurationMs(text: string): number {
    const m = /^(?:(\d+)m)?(\d+)s$/.exec(text);
    if (!m) throw new Error(`unexpected duration ${text}`);
    return (Number(m[1] ?? 0) * 60 + Number(m[2])) * 1000;
}

function plain(value: unknown): unknown {
    return value instanceof SecretValue ? value.value : value;
}

/** Every long-running container's check on every stack the catalog test covers (URN_VARIANTS). */
export async function registeredChecks(): Promise<RegisteredCheck[]> {
    const found: RegisteredCheck[] = [];
    for (const variant of Object.keys(URN_VARIANTS)) {
        const resources = await variantResources(variant);
        for (const c of containers(resources)) {
            const check = c.inputs.healthcheck as { tests: string[]; timeout: string } | undefined;
            if (!check) continue;
            const env = Object.fromEntries(
                ((plain(c.inputs.envs) as unknown[] | undefined) ?? []).map((e) => {
                    const text = String(plain(e));
                    return [text.slice(0, text.indexOf("=")), text.slice(text.indexOf("=") + 1)];
                }),
            );
            const uploads = ((plain(c.inputs.uploads) as Array<{ file: string }> | undefined) ?? []).map((u) => u.file);
            const image = resources.find(
                (r) => r.type === "docker:index/remoteImage:RemoteImage" && r.parent === c.parent,
            );
            const given = unwrapSecrets(c.inputs) as {
                entrypoints?: string[];
                command?: string[];
                uploads?: Array<{ file: string; content: string }>;
                volumes?: Array<{ containerPath: string }>;
            };
            found.push({
                service: c.name,
                variant,
                test: check.tests,
                timeoutMs: goDurationMs(check.timeout),
                env,
                ...(c.inputs.workingDir ? { workingDir: String(c.inputs.workingDir) } : {}),
                uploads,
                image: String(image?.inputs.name ?? ""),
                argv: [...(given.entrypoints ?? []), ...(given.command ?? [])],
                files: Object.fromEntries((given.uploads ?? []).map((u) => [u.file, String(u.content)])),
                mounts: (given.volumes ?? []).map((v) => v.containerPath),
            });
        }
    }
    return found;
}

/** The distinct checks of one service, one per different test or environment across the stacks; never none. */
export function distinctChecks(checks: readonly RegisteredCheck[], service: string): RegisteredCheck[] {
    const seen = new Map<string, RegisteredCheck>();
    for (const c of checks.filter((c) => c.service === service))
        seen.set(JSON.stringify([c.test, c.env, c.workingDir]), c);
    expect([...seen.values()], `${service} is registered with a health check`).to.not.be.empty;
    return [...seen.values()];
}

/** A directory for one run of this file: the programs the checks find first on PATH, and the secrets. */
export interface Sandbox {
    readonly dir: string;
    readonly bin: string;
    readonly secrets: string;
    path(extra?: string): string;
}

export function makeSandbox(): Sandbox {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-health-"));
    fs.chmodSync(dir, 0o755);
    const bin = path.join(dir, "bin");
    const secrets = path.join(dir, "secrets");
    fs.mkdirSync(bin);
    fs.mkdirSync(secrets);
    fs.mkdirSync(path.join(dir, "home"));
    // The images' wget is BusyBox's applet (BUSYBOX_WGET, ALPINE_WGET); it picks the applet by its own name.
    fs.symlinkSync(BUSYBOX, path.join(bin, "wget"));
    fs.symlinkSync(postgresBin("pg_isready"), path.join(bin, "pg_isready"));
    fs.symlinkSync(process.execPath, path.join(bin, "node"));
    return { dir, bin, secrets, path: (extra) => [extra, bin, "/usr/bin", "/bin"].filter(Boolean).join(":") };
}

/** How the check reaches its server here: the test server's port, and how a default port is given. */
export interface Here {
    readonly port: number;
    readonly defaultPort?: "PGPORT" | "redis-cli on PATH";
    /** With PGPORT: where the server's socket is, which libpq would look for in its default directory (PGHOST). */
    readonly socketDir?: string;
    /** A directory put first on PATH, e.g. one whose `wget` is GNU wget. */
    readonly pathFirst?: string;
    readonly extraEnv?: Readonly<Record<string, string>>;
}

interface Localised {
    readonly argv: string[];
    readonly env: Record<string, string>;
}

/** The check as the container would run it, with only the substitutions the header lists. */
function localise(check: RegisteredCheck, here: Here, box: Sandbox): Localised {
    const servicePort = String((SERVICES as Record<string, ServiceSpec>)[check.service]!.port);
    const secrets = (text: string) => text.replaceAll(`${SECRETS_DIR}/`, `${box.secrets}/`);
    let portsReplaced = 0;
    const args = check.test.slice(1).map((arg, i, all) => {
        let out = secrets(arg);
        for (const form of [`127.0.0.1:${servicePort}`, `127.0.0.1/${servicePort}`]) {
            const parts = out.split(form);
            portsReplaced += parts.length - 1;
            out = parts.join(form.replace(servicePort, String(here.port)));
        }
        if (all[i - 1] === "-p" && arg === servicePort) {
            portsReplaced++;
            out = String(here.port);
        }
        return out;
    });
    if (here.defaultPort)
        expect(portsReplaced, `${check.service}: a default port, yet the check names one`).to.equal(0);
    else expect(portsReplaced, `${check.service}: the check names its own port once`).to.equal(1);
    const env: Record<string, string> = {
        PATH: box.path(here.pathFirst),
        HOME: path.join(box.dir, "home"),
        ...Object.fromEntries(Object.entries(check.env).map(([k, v]) => [k, secrets(v)])),
        ...(here.defaultPort === "PGPORT" ? { PGPORT: String(here.port) } : {}),
        ...(here.socketDir ? { PGHOST: here.socketDir } : {}),
        ...here.extraEnv,
    };
    const kind = check.test[0];
    if (kind === "CMD") return { argv: args, env };
    // Every image whose CMD-SHELL check runs here has BusyBox ash as /bin/sh (checked in the Redis case of
    // test/catalogHealth.servers.test.ts).
    if (kind === "CMD-SHELL") return { argv: [BUSYBOX, "sh", "-c", ...args], env };
    throw new Error(`${check.service}: unknown check kind ${kind}`);
}

export interface Outcome {
    readonly code: number | null;
    readonly output: string;
}

/** Runs a check without blocking this process (the stand-in servers answer from it), killed at its timeout. */
export function runCheck(check: RegisteredCheck, here: Here, box: Sandbox): Promise<Outcome> {
    const { argv, env } = localise(check, here, box);
    return new Promise((resolve) => {
        const child = spawn(argv[0]!, argv.slice(1), { env, cwd: box.dir, timeout: check.timeoutMs });
        let output = `$ ${argv.join(" ")}\n`;
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("error", (e) => resolve({ code: null, output: output + String(e) }));
        child.on("close", (code) => resolve({ code, output }));
    });
}

/** An HTTP server on 127.0.0.1 standing in for a service: it answers `status` on `healthyPath` and 404 elsewhere. */
export interface StandIn {
    readonly port: number;
    readonly seen: Array<{ method: string; url: string }>;
    status: number;
    /** The body of every answer but a healthy one. */
    errorBody: string;
    close(): Promise<void>;
}

export async function standIn(healthyPath: string): Promise<StandIn> {
    const port = await freePort();
    const seen: StandIn["seen"] = [];
    const self = { port, seen, status: 200, errorBody: "not ready\n", close: () => Promise.resolve() };
    const server = http.createServer((req, res) => {
        seen.push({ method: req.method ?? "", url: req.url ?? "" });
        const known = req.url === healthyPath && (req.method === "GET" || req.method === "HEAD");
        res.writeHead(known ? self.status : 404, { "content-type": "text/plain" });
        res.end(known && self.status < 300 ? "ok\n" : self.errorBody);
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    self.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
    return self;
}

/** A scratch directory the `postgres` user may write, as the servers it runs need. */
export function serverDir(box: Sandbox, name: string): string {
    const dir = path.join(box.dir, name);
    fs.mkdirSync(dir, { mode: 0o777 });
    fs.chmodSync(dir, 0o777);
    if (IS_ROOT) execFileSync("chown", ["postgres", dir]);
    return dir;
}

/** Services whose checks run against Debian's real server in test/catalogHealth.servers.test.ts. */
export const REAL_HERE = ["postgres", "pgbouncer", "redis"];

/** Services checked by an HTTP GET, run in test/catalogHealthHttp.servers.test.ts. */
export const HTTP_SPECS = SERVICE_SPECS.filter((s) => typeof s.health === "object" && "get" in s.health);

/** Checks not run in either file, each with the reason and what is asserted instead. */
export const NOT_RUN_HERE: Readonly<Record<string, string>> = {
    worker:
        "its check is freshtrack:appCommands.workerHealthcheck (default `pnpm --silent worker:healthcheck`), a " +
        "script of the FreshTrack worker image, which is an input of the stack and not on this machine",
    "uptime-kuma":
        "extra/healthcheck is a Go binary built inside the image from extra/healthcheck.go " +
        "(louislam/uptime-kuma@1.23.15 docker/dockerfile:6,20); no Debian package ships it",
    backup: "its script is run by BusyBox sh against a real schedule in test/backupHealth.servers.test.ts",
    "backup-sync": "its script is run by BusyBox sh in test/backupHealth.servers.test.ts and backups.servers",
    "backup-offsite": "its script is run by BusyBox sh in test/backupHealth.servers.test.ts and backups.servers",
    "wal-receiver":
        "its script is run against a real PostgreSQL in test/pitr.servers.test.ts, healthy while the receiver " +
        "streams from its slot and unhealthy once it is stopped",
};

/** Removes one run's sandbox, if it was made. */
export function removeSandbox(box: Sandbox | undefined): void {
    if (box) fs.rmSync(box.dir, { recursive: true, force: true });
}
