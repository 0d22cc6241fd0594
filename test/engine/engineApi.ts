/**
 * A small client for the Docker Engine API over its Unix socket, for the
 * real-engine tests (rung 5). It speaks to the local daemon only: no TCP, no
 * registry. Requests carry the daemon's own API version, as the provider's
 * client negotiates it.
 */
import * as http from "http";
import { pack } from "tar-stream";

export const DOCKER_SOCKET = process.env.DOCKER_HOST?.startsWith("unix://")
    ? process.env.DOCKER_HOST.slice("unix://".length)
    : "/var/run/docker.sock";

export class EngineError extends Error {
    constructor(
        readonly status: number,
        readonly path: string,
        message: string,
    ) {
        super(`Docker Engine ${path}: HTTP ${status}: ${message}`);
    }
}

interface RawResponse {
    readonly status: number;
    readonly body: Buffer;
}

function raw(
    method: string,
    path: string,
    body?: Buffer | string,
    contentType = "application/json",
    timeoutMs = 60_000,
): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
        const req = http.request(
            {
                socketPath: DOCKER_SOCKET,
                method,
                path,
                headers: body !== undefined ? { "Content-Type": contentType } : {},
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
                res.on("error", reject);
            },
        );
        req.setTimeout(timeoutMs, () =>
            req.destroy(new Error(`Docker Engine ${method} ${path}: no answer in ${timeoutMs} ms`)),
        );
        req.on("error", reject);
        if (body !== undefined) req.write(body);
        req.end();
    });
}

let versionPrefix: string | undefined;

/** True when a Docker daemon answers on the socket. */
export async function engineAnswers(): Promise<boolean> {
    try {
        const res = await raw("GET", "/_ping", undefined, undefined, 3_000);
        return res.status === 200;
    } catch {
        return false;
    }
}

async function prefix(): Promise<string> {
    if (versionPrefix === undefined) {
        const res = await raw("GET", "/version");
        const version = JSON.parse(res.body.toString("utf8")) as { ApiVersion: string };
        versionPrefix = `/v${version.ApiVersion}`;
    }
    return versionPrefix;
}

/** One API call; answers parsed JSON (or text), and throws an EngineError on any status of 400 and above. */
export async function engine<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    opts: { allow?: number[]; timeoutMs?: number } = {},
): Promise<T> {
    const full = `${await prefix()}${path}`;
    const res = await raw(
        method,
        full,
        body === undefined ? undefined : JSON.stringify(body),
        "application/json",
        opts.timeoutMs,
    );
    if (res.status >= 400 && !(opts.allow ?? []).includes(res.status)) {
        let message = res.body.toString("utf8");
        try {
            message = (JSON.parse(message) as { message: string }).message;
        } catch {
            /* plain text */
        }
        throw new EngineError(res.status, `${method} ${path}`, message.trim());
    }
    const text = res.body.toString("utf8");
    if (text === "") return undefined as T;
    try {
        return JSON.parse(text) as T;
    } catch {
        return text as T;
    }
}

/** A tar archive of the given entries (name, content, mode), in memory. */
export function tarOf(
    entries: ReadonlyArray<{ name: string; content: Buffer | string; mode: number }>,
): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const archive = pack();
        const chunks: Buffer[] = [];
        archive.on("data", (c: unknown) => chunks.push(c as Buffer));
        archive.on("end", () => resolve(Buffer.concat(chunks)));
        archive.on("error", reject);
        for (const e of entries)
            archive.entry(
                { name: e.name, mode: e.mode, size: Buffer.byteLength(e.content), mtime: new Date() },
                e.content,
            );
        archive.finalize();
    });
}

/** A tar archive holding one file, in the form the provider uploads it (one header: name, mode, size). */
export function oneFileTar(name: string, content: string, mode: number): Promise<Buffer> {
    return tarOf([{ name, content, mode }]);
}

/** Puts an archive into a container at `path` (PUT /containers/{id}/archive). */
export async function putArchive(id: string, path: string, archive: Buffer): Promise<void> {
    const full = `${await prefix()}/containers/${id}/archive?path=${encodeURIComponent(path)}`;
    const res = await raw("PUT", full, archive, "application/x-tar");
    if (res.status >= 400)
        throw new EngineError(res.status, `PUT /containers/${id}/archive`, res.body.toString("utf8").trim());
}

/** Builds an image from a tar of its context (POST /build); answers the image ID. */
export async function buildImage(tag: string, context: Buffer): Promise<string> {
    const full = `${await prefix()}/build?t=${encodeURIComponent(tag)}&rm=1&forcerm=1`;
    const res = await raw("POST", full, context, "application/x-tar", 120_000);
    const lines = res.body
        .toString("utf8")
        .split("\n")
        .filter((l) => l.trim() !== "");
    const messages = lines.map((l) => JSON.parse(l) as { stream?: string; error?: string; aux?: { ID: string } });
    const failed = messages.find((m) => m.error);
    if (res.status >= 400 || failed)
        throw new EngineError(res.status, "POST /build", failed?.error ?? res.body.toString("utf8"));
    const id = messages.find((m) => m.aux?.ID)?.aux?.ID;
    if (id) return id;
    const inspect = await engine<{ Id: string }>("GET", `/images/${encodeURIComponent(tag)}/json`);
    return inspect.Id;
}

/** Runs a command in a running container and answers its exit code and output (stdout and stderr together). */
export async function exec(
    id: string,
    cmd: string[],
    opts: { user?: string } = {},
): Promise<{ exitCode: number; output: string }> {
    const created = await engine<{ Id: string }>("POST", `/containers/${id}/exec`, {
        AttachStdout: true,
        AttachStderr: true,
        Cmd: cmd,
        ...(opts.user ? { User: opts.user } : {}),
    });
    const full = `${await prefix()}/exec/${created.Id}/start`;
    const res = await raw("POST", full, JSON.stringify({ Detach: false, Tty: false }));
    const output = demux(res.body);
    const inspect = await engine<{ ExitCode: number; Running: boolean }>("GET", `/exec/${created.Id}/json`);
    return { exitCode: inspect.ExitCode, output };
}

/** A container's output so far, stdout and stderr together (GET /containers/{id}/logs, no TTY: multiplexed). */
export async function containerLogs(id: string): Promise<string> {
    const res = await raw("GET", `${await prefix()}/containers/${id}/logs?stdout=1&stderr=1`);
    if (res.status >= 400)
        throw new EngineError(res.status, `GET /containers/${id}/logs`, res.body.toString("utf8").trim());
    return demux(res.body);
}

/** The Engine's multiplexed stream (8-byte frame headers) as one text. */
export function demux(body: Buffer): string {
    let out = "";
    let i = 0;
    while (i + 8 <= body.length) {
        const size = body.readUInt32BE(i + 4);
        out += body.subarray(i + 8, i + 8 + size).toString("utf8");
        i += 8 + size;
    }
    return out;
}
