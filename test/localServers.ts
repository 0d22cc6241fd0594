/** Real servers on 127.0.0.1 for tests: free ports, start, wait, stop. */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
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
