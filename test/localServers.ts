/** Real servers on 127.0.0.1 for tests: free ports, start, wait, stop. */
import { ChildProcess, spawn } from "child_process";
import * as net from "net";

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
                if (Date.now() > deadline) reject(new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`));
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
