/** Real servers on 127.0.0.1 for tests: free ports, start, wait, stop; and shellcheck on a rendered script. */
import { ChildProcess, execFileSync, spawn, spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

/** The tests run as root in CI. */
export const IS_ROOT = process.getuid?.() === 0;

/** PostgreSQL and PgBouncer refuse to run as root; CI runs as root, so they run as `postgres`. */
export function asPostgres(cmd: string, args: string[]): [string, string[]] {
    return IS_ROOT ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
}

/** A program of Debian's newest installed PostgreSQL. */
export function postgresBin(name: string): string {
    const base = "/usr/lib/postgresql";
    const version = fs.readdirSync(base).sort().pop();
    if (!version) throw new Error(`no PostgreSQL under ${base}; .ci/run installs Debian's postgresql`);
    return path.join(base, version, "bin", name);
}

/**
 * One statement through Debian's psql to a test server on 127.0.0.1 as a user with a password: unaligned tuples only,
 * no psqlrc, stopping at the first error, a 5 s connect timeout; `quiet` leaves out the command tags.
 */
export function psqlOnLocalhost(
    port: number,
    login: { readonly user: string; readonly password: string },
    database: string,
    sql: string,
    opts: { quiet?: boolean } = {},
): SpawnSyncReturns<string> {
    const args = ["-X", "-A", "-t", ...(opts.quiet ? ["-q"] : []), "--set", "ON_ERROR_STOP=1"];
    args.push("-h", "127.0.0.1", "-p", String(port), "-U", login.user, "-d", database, "-c", sql);
    return spawnSync(postgresBin("psql"), args, {
        encoding: "utf8",
        env: { ...process.env, PGPASSWORD: login.password, PGCONNECT_TIMEOUT: "5" },
    });
}

export function waitForPort(port: number, timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
        const attempt = () => {
            const socket = net.connect(port, "127.0.0.1");
            socket.once("connect", () => {
                socket.destroy();
                resolve();
            });
            socket.once("error", () => {
                socket.destroy();
                if (Date.now() > deadline)
                    reject(new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`));
                else setTimeout(attempt, 100);
            });
        };
        attempt();
    });
}

export function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const server = net.createServer().listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

/** Starts a server in its own process group, so stopping it also stops what runuser started. */
export function startServer(cmd: string, args: string[]): ChildProcess {
    return spawn(cmd, args, { stdio: "ignore", detached: true });
}

/** Stops a server started by startServer and waits until it has exited. */
export function stopServer(child: ChildProcess | undefined): Promise<void> {
    if (!child?.pid || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
        child.once("exit", () => resolve());
        process.kill(-child.pid!, "SIGTERM");
    });
}

/**
 * shellcheck's verdict on a rendered script as POSIX sh, read from a scratch file that is removed afterwards. A
 * shellcheck that did not run is an error naming what installs it, not a failed check with nothing to read.
 */
export function shellcheck(script: string): { status: number | null; stdout: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-shellcheck-"));
    try {
        const file = path.join(dir, "script.sh");
        fs.writeFileSync(file, script);
        const result = spawnSync("shellcheck", ["--shell=sh", file], { encoding: "utf8" });
        if (result.error)
            throw new Error(`shellcheck did not run (.ci/run installs Debian's): ${result.error.message}`);
        return { status: result.status, stdout: `${result.stdout}${result.stderr}` };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** A directory under the system's temp directory that the `postgres` user can write, as a cluster's home. */
export function scratchDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.chmodSync(dir, 0o777);
    if (IS_ROOT) execFileSync("chown", ["postgres", dir]);
    return dir;
}

/** A throwaway PostgreSQL cluster: its directory (data, socket, log) and its TCP port on 127.0.0.1. */
export interface ScratchCluster {
    readonly dir: string;
    readonly port: number;
}

/**
 * Initialises and starts a cluster whose superuser logs in with a password (scram-sha-256, as the image sets up),
 * listening on 127.0.0.1 only, on a free port. `bin` picks the PostgreSQL version's programs (Debian's newest by
 * default).
 */
export async function startScratchCluster(opts: {
    readonly prefix: string;
    readonly superuser: string;
    readonly password: string;
    readonly bin?: (name: string) => string;
}): Promise<ScratchCluster> {
    const bin = opts.bin ?? postgresBin;
    const dir = scratchDir(opts.prefix);
    const port = await freePort();
    fs.writeFileSync(path.join(dir, "pw"), opts.password);
    const run = (cmd: string, args: string[]) => {
        const [c, a] = asPostgres(cmd, args);
        execFileSync(c, a, { stdio: "pipe" });
    };
    const data = path.join(dir, "data");
    run(bin("initdb"), ["-D", data, "-U", opts.superuser, "--auth=scram-sha-256", `--pwfile=${path.join(dir, "pw")}`]);
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`;
    run(bin("pg_ctl"), ["-D", data, "-l", path.join(dir, "pg.log"), "-w", "-o", options, "start"]);
    return { dir, port };
}

/** Stops a cluster started by startScratchCluster, fast, and removes its directory. */
export function stopScratchCluster(cluster: { readonly dir: string } | undefined, bin = postgresBin): void {
    if (!cluster) return;
    const [c, a] = asPostgres(bin("pg_ctl"), ["-D", path.join(cluster.dir, "data"), "-m", "fast", "stop"]);
    spawnSync(c, a);
    fs.rmSync(cluster.dir, { recursive: true, force: true });
}
