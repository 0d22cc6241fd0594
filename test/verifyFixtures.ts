/**
 * What the verification gate's tests against real servers share (test/verifyEndpoints.servers.test.ts,
 * test/verifyGate.servers.test.ts): HTTP and HTTPS servers started on 127.0.0.1 (on a port the system picks),
 * certificates made with openssl, and the shape every failed check must have.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { CheckResult } from "../operator/verify/checks";

type Handler = http.RequestListener;

export async function serve(
    handler: Handler,
    tlsOptions?: https.ServerOptions,
): Promise<{ url: string; port: number; close: () => Promise<void> }> {
    const server = tlsOptions ? https.createServer(tlsOptions, handler) : http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    return {
        url: `${tlsOptions ? "https" : "http"}://127.0.0.1:${port}`,
        port,
        close: () =>
            new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}

/** A CA and a server certificate for `name`, valid for `days`, made with openssl. */
export function makePki(name: string, days: number): { ca: string; cert: string; key: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "freshtrack-pki-"));
    const p = (f: string) => path.join(dir, f);
    const run = (...args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
    run(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        p("ca.key"),
        "-out",
        p("ca.crt"),
        "-days",
        "3650",
        "-subj",
        "/CN=FreshTrack test CA",
    );
    run(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        p("server.key"),
        "-out",
        p("server.csr"),
        "-subj",
        `/CN=${name}`,
    );
    fs.writeFileSync(p("ext"), `subjectAltName=DNS:${name}\nextendedKeyUsage=serverAuth\n`);
    run(
        "x509",
        "-req",
        "-in",
        p("server.csr"),
        "-CA",
        p("ca.crt"),
        "-CAkey",
        p("ca.key"),
        "-CAcreateserial",
        "-out",
        p("server.crt"),
        "-days",
        String(days),
        "-extfile",
        p("ext"),
    );
    return {
        ca: fs.readFileSync(p("ca.crt"), "utf8"),
        cert: fs.readFileSync(p("server.crt"), "utf8"),
        key: fs.readFileSync(p("server.key"), "utf8"),
    };
}

export const fast = { intervalMs: 50, requestTimeoutMs: 500 };

export function expectFailure(result: CheckResult, seen: RegExp): void {
    expect(result.ok, result.seen).to.equal(false);
    expect(result.seen).to.match(seen);
    expect(result.expected).to.be.a("string").that.is.not.empty;
    expect(result.where).to.be.a("string").that.is.not.empty;
}
